/* config.json: mounts and the linux section (namespaces, cgroup resources,
 * devices, masked paths, sysctls). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "server/runtime/oci_spec_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *const masked_defaults[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
};

static const char *const readonly_defaults[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* ---- mounts ------------------------------------------------------------- */

static void mount_add(json_t *mounts, const char *dest, const char *type, const char *source,
                      const char *const *opts, size_t n_opts)
{
  json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
  json_object_set_new(m, "options", oci_json_cstrv(opts, n_opts));
  json_array_append_new(mounts, m);
}

/* Whether a given mount (or a pod file) takes the place of dest. */
static bool mount_overridden(const oci_spec_input *in, const char *dest)
{
  for (size_t i = 0; i < in->n_mounts; i++)
    if (in->mounts[i].destination && strcmp(in->mounts[i].destination, dest) == 0)
      return true;
  return false;
}

static void mounts_standard(const oci_spec_input *in, json_t *a)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
  static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620", "gid=5" };
  static const char *const shm_tmpfs[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
  static const char *const shm_bind[] = { "rbind", "rprivate", "rw" };
  static const char *const nsd[] = { "nosuid", "noexec", "nodev" };
  static const char *const sys_ro[] = { "nosuid", "noexec", "nodev", "ro" };
  static const char *const cg_ro[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
  static const char *const cg_rw[] = { "nosuid", "noexec", "nodev", "relatime", "rw" };
  struct {
    const char *dest, *type, *source;
    const char *const *opts;
    size_t n;
  } std[] = {
    { "/proc", "proc", "proc", nsd, ARRAY_SIZE(nsd) },
    { "/dev", "tmpfs", "tmpfs", dev, ARRAY_SIZE(dev) },
    { "/dev/pts", "devpts", "devpts", pts, ARRAY_SIZE(pts) },
    { "/dev/shm", "tmpfs", "shm", shm_tmpfs, ARRAY_SIZE(shm_tmpfs) },
    { "/dev/mqueue", "mqueue", "mqueue", nsd, ARRAY_SIZE(nsd) },
    { "/sys", "sysfs", "sysfs", sys_ro, ARRAY_SIZE(sys_ro) },
    { "/sys/fs/cgroup", "cgroup", "cgroup", cg_ro, ARRAY_SIZE(cg_ro) },
  };
  if (in->shm_path && in->shm_path[0]) {
    std[3].type = "bind";
    std[3].source = in->shm_path;
    std[3].opts = shm_bind;
    std[3].n = ARRAY_SIZE(shm_bind);
  }
  if (in->privileged) {
    std[5].opts = nsd;   /* rw /sys and cgroups, as CRI-O gives a privileged container */
    std[5].n = ARRAY_SIZE(nsd);
    std[6].opts = cg_rw;
    std[6].n = ARRAY_SIZE(cg_rw);
  }
  for (size_t i = 0; i < ARRAY_SIZE(std); i++)
    if (!mount_overridden(in, std[i].dest))
      mount_add(a, std[i].dest, std[i].type, std[i].source, std[i].opts, std[i].n);
}

static bool opt_is_bind_or_propagation(const char *o)
{
  static const char *const names[] = { "bind", "rbind", "private", "rprivate", "shared",
                                       "rshared", "slave", "rslave", "unbindable", "runbindable" };
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (strcmp(o, names[i]) == 0)
      return true;
  return false;
}

static int mount_given(const oci_mount_input *m, json_t *a, crio_err **err)
{
  if (!m->destination || m->destination[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "mount destination \"%s\" is not an absolute path",
                        m->destination ? m->destination : "");
  const char *type = m->type && m->type[0] ? m->type : "bind";
  bool bind = strcmp(type, "bind") == 0;
  if (bind && (!m->source || m->source[0] != '/'))
    return crio_err_set(err, CRIO_E_INVALID, "bind mount on %s: source \"%s\" is not an absolute path",
                        m->destination, m->source ? m->source : "");
  _cleanup_jsonp_ json_t *given = oci_json_strv(m->options);
  if (!given)
    return crio_err_set(err, CRIO_E_INVALID, "mount on %s: an option is not UTF-8", m->destination);
  json_t *opts = json_array();
  bool has_bind = false, has_prop = false;
  for (size_t i = 0; i < m->options.n; i++) {
    const char *o = m->options.items[i];
    if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)
      has_bind = true;
    else if (opt_is_bind_or_propagation(o))
      has_prop = true;
  }
  if (bind && !has_bind)
    json_array_append_new(opts, json_string("rbind"));
  if (bind && !has_prop)
    json_array_append_new(opts, json_string("rprivate"));
  json_array_extend(opts, given);
  json_t *o = json_pack("{s:s, s:s, s:s}", "destination", m->destination, "type", type, "source",
                        bind ? m->source : (m->source && m->source[0] ? m->source : type));
  json_object_set_new(o, "options", opts);
  json_array_append_new(a, o);
  return 0;
}

int oci_spec_mounts(const oci_spec_input *in, json_t **out, crio_err **err)
{
  _cleanup_jsonp_ json_t *a = json_array();
  mounts_standard(in, a);
  for (size_t i = 0; i < in->n_mounts; i++) {
    int r = mount_given(&in->mounts[i], a, err);
    if (r < 0)
      return r;
  }
  const char *opts[] = { "bind", "rprivate", "nodev", "nosuid", "noexec",
                         in->readonly_rootfs ? "ro" : "rw" };
  const char *files[][2] = { { "/etc/resolv.conf", in->resolv_conf_path },
                             { "/etc/hosts", in->hosts_path },
                             { "/etc/hostname", in->hostname_path } };
  for (size_t i = 0; i < ARRAY_SIZE(files); i++)
    if (files[i][1] && files[i][1][0] && !mount_overridden(in, files[i][0]))
      mount_add(a, files[i][0], "bind", files[i][1], opts, ARRAY_SIZE(opts));
  *out = steal_pointer(&a);
  return 0;
}

/* ---- linux -------------------------------------------------------------- */

static json_t *namespaces_json(const oci_spec_input *in)
{
  const struct {
    const char *type;
    const oci_ns *ns;
  } list[] = { { "pid", &in->pid_ns }, { "network", &in->network_ns },
               { "ipc", &in->ipc_ns }, { "uts", &in->uts_ns } };
  json_t *a = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
    if (list[i].ns->mode == OCI_NS_HOST)
      continue;
    json_t *o = json_pack("{s:s}", "type", list[i].type);
    if (list[i].ns->mode == OCI_NS_PATH && list[i].ns->path)
      json_object_set_new(o, "path", json_string(list[i].ns->path));
    json_array_append_new(a, o);
  }
  json_array_append_new(a, json_pack("{s:s}", "type", "mount"));
  return a;
}

/* Swap is limited with memory (to the same value: no swap) only where the
 * host accounts it: runc fails on a cgroup v1 host without memory.memsw.*,
 * and ignores a missing memory.swap.max on v2. */
static bool swap_accounting(void)
{
  if (access("/sys/fs/cgroup/memory", F_OK) == 0)
    return access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
  return true;
}

json_t *oci_spec_resources(const oci_resources *r)
{
  json_t *res = json_object();
  json_t *cpu = json_object();
  if (r->cpu_shares > 0)
    json_object_set_new(cpu, "shares", json_integer((json_int_t) r->cpu_shares));
  if (r->cpu_quota != 0)
    json_object_set_new(cpu, "quota", json_integer(r->cpu_quota));
  if (r->cpu_period > 0)
    json_object_set_new(cpu, "period", json_integer((json_int_t) r->cpu_period));
  if (r->cpuset_cpus && r->cpuset_cpus[0])
    json_object_set_new(cpu, "cpus", json_string(r->cpuset_cpus));
  if (r->cpuset_mems && r->cpuset_mems[0])
    json_object_set_new(cpu, "mems", json_string(r->cpuset_mems));
  if (json_object_size(cpu) > 0)
    json_object_set(res, "cpu", cpu);
  json_decref(cpu);
  if (r->memory_limit > 0) {
    json_t *mem = json_pack("{s:I}", "limit", (json_int_t) r->memory_limit);
    if (swap_accounting())
      json_object_set_new(mem, "swap", json_integer(r->memory_limit));
    json_object_set_new(res, "memory", mem);
  }
  if (r->pids_limit != 0)
    json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t) r->pids_limit));
  return res;
}

char *oci_resources_json(const oci_resources *r)
{
  json_t *res = oci_spec_resources(r);
  char *text = json_dumps(res, JSON_COMPACT);
  json_decref(res);
  return text ? text : xstrdup("{}");
}

static void device_rule(json_t *rules, bool allow, const char *type, int64_t major, int64_t minor,
                        const char *access)
{
  json_t *o = json_pack("{s:b, s:s}", "allow", allow, "access", access);
  if (type)
    json_object_set_new(o, "type", json_string(type));
  if (major >= 0)
    json_object_set_new(o, "major", json_integer(major));
  if (minor >= 0)
    json_object_set_new(o, "minor", json_integer(minor));
  json_array_append_new(rules, o);
}

/* Deny everything, then allow what runc allows by default: mknod of any
 * node, null, zero, full, random, urandom, tty, ptmx, the pts and tun. */
static void device_rules_default(json_t *rules, bool privileged)
{
  if (privileged) {
    device_rule(rules, true, NULL, -1, -1, "rwm");
    return;
  }
  static const int nodes[][2] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 },
                                  { 5, 0 }, { 5, 2 }, { 10, 200 } };
  device_rule(rules, false, NULL, -1, -1, "rwm");
  device_rule(rules, true, "c", -1, -1, "m");
  device_rule(rules, true, "b", -1, -1, "m");
  for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
    device_rule(rules, true, "c", nodes[i][0], nodes[i][1], "rwm");
  device_rule(rules, true, "c", 136, -1, "rwm");
}

static int device_json(const oci_device_input *d, json_t *devices, json_t *rules, crio_err **err)
{
  const char *perms = d->permissions && d->permissions[0] ? d->permissions : "rwm";
  if (strspn(perms, "rwm") != strlen(perms))
    return crio_err_set(err, CRIO_E_INVALID, "device %s: permissions \"%s\" are not of \"rwm\"",
                        d->host_path, perms);
  const char *dest = d->container_path && d->container_path[0] ? d->container_path : d->host_path;
  if (!d->host_path || d->host_path[0] != '/' || dest[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "device \"%s\" -> \"%s\": paths must be absolute",
                        d->host_path ? d->host_path : "", dest ? dest : "");
  struct stat st;
  if (stat(d->host_path, &st) < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "device %s", d->host_path);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "device %s is not a character or block device node",
                        d->host_path);
  const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
  json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:i, s:I, s:I}", "path", dest, "type", type, "major",
                        (json_int_t) major(st.st_rdev), "minor", (json_int_t) minor(st.st_rdev),
                        "fileMode", (int) (st.st_mode & 07777), "uid", (json_int_t) st.st_uid,
                        "gid", (json_int_t) st.st_gid);
  json_array_append_new(devices, o);
  device_rule(rules, true, type, major(st.st_rdev), minor(st.st_rdev), perms);
  return 0;
}

static bool sysctl_of(const char *key, const char *const *prefixes, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
      return true;
  return false;
}

static int sysctls_json(const oci_spec_input *in, json_t **out, crio_err **err)
{
  static const char *const ipc[] = { "kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue." };
  static const char *const net[] = { "net." };
  _cleanup_jsonp_ json_t *o = json_object();
  for (size_t i = 0; i < in->sysctls.keys.n && i < in->sysctls.values.n; i++) {
    const char *k = in->sysctls.keys.items[i];
    if (in->network_ns.mode == OCI_NS_HOST && sysctl_of(k, net, ARRAY_SIZE(net)))
      return crio_err_set(err, CRIO_E_INVALID, "sysctl %s: not allowed with the host network", k);
    if (in->ipc_ns.mode == OCI_NS_HOST && sysctl_of(k, ipc, ARRAY_SIZE(ipc)))
      return crio_err_set(err, CRIO_E_INVALID, "sysctl %s: not allowed with the host IPC namespace",
                          k);
    json_object_set_new(o, k, json_string(in->sysctls.values.items[i]));
  }
  *out = steal_pointer(&o);
  return 0;
}

static void paths_json(json_t *linux_, const oci_spec_input *in)
{
  if (in->privileged)
    return;
  json_object_set_new(linux_, "maskedPaths",
                      in->masked_paths.n ? oci_json_strv(in->masked_paths)
                                         : oci_json_cstrv(masked_defaults, ARRAY_SIZE(masked_defaults)));
  json_object_set_new(linux_, "readonlyPaths",
                      in->readonly_paths.n
                          ? oci_json_strv(in->readonly_paths)
                          : oci_json_cstrv(readonly_defaults, ARRAY_SIZE(readonly_defaults)));
}

int oci_spec_linux(const oci_spec_input *in, json_t **out, crio_err **err)
{
  _cleanup_jsonp_ json_t *devices = json_array(), *rules = json_array(), *sysctl = NULL;
  device_rules_default(rules, in->privileged);
  for (size_t i = 0; i < in->n_devices; i++) {
    int r = device_json(&in->devices[i], devices, rules, err);
    if (r < 0)
      return r;
  }
  if (in->privileged)
    oci_host_devices(devices);
  int r = sysctls_json(in, &sysctl, err);
  if (r < 0)
    return r;
  _cleanup_jsonp_ json_t *seccomp = in->seccomp_json ? json_loads(in->seccomp_json, 0, NULL) : NULL;
  if (in->seccomp_json && !json_is_object(seccomp))
    return crio_err_set(err, CRIO_E_INVALID, "OCI spec: linux.seccomp is not a JSON object");
  json_t *res = oci_spec_resources(&in->resources);
  json_object_set_new(res, "devices", steal_pointer(&rules));
  json_t *l = json_object();
  json_object_set_new(l, "namespaces", namespaces_json(in));
  if (in->cgroups_path && in->cgroups_path[0])
    json_object_set_new(l, "cgroupsPath", json_string(in->cgroups_path));
  json_object_set_new(l, "resources", res);
  json_object_set_new(l, "devices", steal_pointer(&devices));
  paths_json(l, in);
  if (json_object_size(sysctl) > 0)
    json_object_set_new(l, "sysctl", steal_pointer(&sysctl));
  if (in->mount_label && in->mount_label[0])
    json_object_set_new(l, "mountLabel", json_string(in->mount_label));
  if (seccomp)
    json_object_set_new(l, "seccomp", steal_pointer(&seccomp));
  *out = l;
  return 0;
}
