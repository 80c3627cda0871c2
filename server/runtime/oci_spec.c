/* config.json: the top level and the process (user, capabilities, rlimits,
 * oom score). Mounts and the linux section are in oci_spec_linux.c. */
#include "server/runtime/oci_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "server/runtime/oci_spec_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Capability names by number (linux/capability.h), without "CAP_". */
static const char *const cap_names[] = {
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
  "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
  "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
  "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
  "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
  "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* CRI-O's and containerd's default set. */
static const char *const cap_defaults[] = {
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
  "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
};

/* The daemon's bounding set: a container cannot get what crio lacks (as
 * podman, privileged means every capability crio has). */
static uint64_t cap_bounding(void)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
  char line[256];
  unsigned long long set;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "CapBnd: %llx", &set) == 1)
      return set;
  return UINT64_MAX;
}

/* The capabilities this table, the running kernel and the daemon's
 * bounding set have. */
static uint64_t cap_all(void)
{
  int last = (int) ARRAY_SIZE(cap_names) - 1;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int kernel_last;
  if (f) {
    if (fscanf(f, "%d", &kernel_last) == 1 && kernel_last >= 0 && kernel_last < last)
      last = kernel_last;
    fclose(f);
  }
  return (last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1) & cap_bounding();
}

static int cap_lookup(const char *name)
{
  if (strncasecmp(name, "CAP_", 4) == 0)
    name += 4;
  for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
    if (strcasecmp(name, cap_names[i]) == 0)
      return (int) i;
  return -1;
}

static bool strv_has_all(oci_strv v)
{
  for (size_t i = 0; i < v.n; i++)
    if (strcasecmp(v.items[i], "ALL") == 0 || strcasecmp(v.items[i], "CAP_ALL") == 0)
      return true;
  return false;
}

/* Sets (add) or clears the bits of the named capabilities, "ALL" skipped. */
static int cap_apply(uint64_t *set, oci_strv names, bool add, crio_err **err)
{
  for (size_t i = 0; i < names.n; i++) {
    if (strcasecmp(names.items[i], "ALL") == 0 || strcasecmp(names.items[i], "CAP_ALL") == 0)
      continue;
    int c = cap_lookup(names.items[i]);
    if (c < 0)
      return crio_err_set(err, CRIO_E_INVALID, "unknown capability \"%s\" in %s", names.items[i],
                          add ? "add" : "drop");
    if (add)
      *set |= UINT64_C(1) << c;
    else
      *set &= ~(UINT64_C(1) << c);
  }
  return 0;
}

/* Docker's rules: add ALL starts from every capability and applies the drops;
 * drop ALL starts from none and applies the adds; otherwise the defaults
 * minus the drops plus the adds. */
static int caps_compute(const oci_spec_input *in, uint64_t *out, crio_err **err)
{
  uint64_t all = cap_all();
  if (in->privileged) {
    *out = all;
    return 0;
  }
  uint64_t set = 0;
  int r;
  if (strv_has_all(in->cap_add)) {
    set = all;
    r = cap_apply(&set, in->cap_drop, false, err);
  } else if (strv_has_all(in->cap_drop)) {
    r = cap_apply(&set, in->cap_add, true, err);
  } else {
    for (size_t i = 0; i < ARRAY_SIZE(cap_defaults); i++)
      set |= UINT64_C(1) << cap_lookup(cap_defaults[i]);
    r = cap_apply(&set, in->cap_drop, false, err);
    if (r == 0)
      r = cap_apply(&set, in->cap_add, true, err);
  }
  *out = set & all;
  return r;
}

int oci_spec_capabilities(const oci_spec_input *in, char ***out, size_t *n_out, crio_err **err)
{
  uint64_t set;
  int r = caps_compute(in, &set, err);
  if (r < 0)
    return r;
  char **names = xzalloc((ARRAY_SIZE(cap_names) + 1) * sizeof *names);
  size_t n = 0;
  for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
    if (set & (UINT64_C(1) << i))
      names[n++] = xasprintf("CAP_%s", cap_names[i]);
  *out = names;
  *n_out = n;
  return 0;
}

static json_t *caps_json(uint64_t set)
{
  json_t *list = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
    if (set & (UINT64_C(1) << i)) {
      char *name = xasprintf("CAP_%s", cap_names[i]);
      json_array_append_new(list, json_string(name));
      free(name);
    }
  json_t *caps = json_object();
  json_object_set(caps, "bounding", list);
  json_object_set(caps, "effective", list);
  json_object_set(caps, "permitted", list);
  json_decref(list);
  return caps;
}

static const struct {
  const char *name;
  int resource;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

/* {type, hard, soft} with hard at most the host's hard limit (raising it
 * needs CAP_SYS_RESOURCE, and runc fails "error setting rlimit"). */
static int rlimit_json(const char *type, uint64_t soft, uint64_t hard, json_t *out, crio_err **err)
{
  size_t i = 0;
  while (i < ARRAY_SIZE(rlimit_table) && strcasecmp(type, rlimit_table[i].name) != 0)
    i++;
  if (i == ARRAY_SIZE(rlimit_table))
    return crio_err_set(err, CRIO_E_INVALID, "unknown rlimit \"%s\"", type);
  struct rlimit host;
  if (getrlimit(rlimit_table[i].resource, &host) == 0 && host.rlim_max != RLIM_INFINITY &&
      hard > host.rlim_max)
    hard = host.rlim_max;
  if (hard > INT64_MAX)   /* RLIM_INFINITY: JSON integers stop at INT64_MAX */
    hard = INT64_MAX;
  if (soft > hard)
    soft = hard;
  json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "type", rlimit_table[i].name, "hard",
                                       (json_int_t) hard, "soft", (json_int_t) soft));
  return 0;
}

static int rlimits_json(const oci_spec_input *in, json_t **out, crio_err **err)
{
  _cleanup_jsonp_ json_t *a = json_array();
  if (!in->rlimits) {
    int r = rlimit_json("RLIMIT_NOFILE", 1048576, 1048576, a, err);
    if (r < 0)
      return r;
  }
  for (size_t i = 0; in->rlimits && i < in->n_rlimits; i++) {
    int r = rlimit_json(in->rlimits[i].type, in->rlimits[i].soft, in->rlimits[i].hard, a, err);
    if (r < 0)
      return r;
  }
  *out = steal_pointer(&a);
  return 0;
}

int oci_oom_score_adj_clamp(int requested)
{
  int own = 0;
  FILE *f = fopen("/proc/self/oom_score_adj", "re");
  if (f) {
    if (fscanf(f, "%d", &own) != 1)
      own = 0;
    fclose(f);
  }
  if (requested < own)
    requested = own;
  return requested > 1000 ? 1000 : requested;
}

static json_t *user_json(const oci_spec_input *in)
{
  json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t) in->uid, "gid", (json_int_t) in->gid);
  if (in->n_additional_gids > 0) {
    json_t *gids = json_array();
    for (size_t i = 0; i < in->n_additional_gids; i++)
      json_array_append_new(gids, json_integer(in->additional_gids[i]));
    json_object_set_new(user, "additionalGids", gids);
  }
  return user;
}

static int process_json(const oci_spec_input *in, json_t **out, crio_err **err)
{
  if (in->args.n == 0 || !in->args.items[0] || !in->args.items[0][0])
    return crio_err_set(err, CRIO_E_INVALID,
                        "no command: the image has no Entrypoint/Cmd and none was given");
  uint64_t caps;
  _cleanup_jsonp_ json_t *rlimits = NULL;
  int r = caps_compute(in, &caps, err);
  if (r == 0)
    r = rlimits_json(in, &rlimits, err);
  if (r < 0)
    return r;
  json_t *args = oci_json_strv(in->args), *env = oci_json_strv(in->env);
  if (!args || !env) {
    json_decref(args);
    json_decref(env);
    return crio_err_set(err, CRIO_E_INVALID, "OCI spec: %s holds a string that is not UTF-8",
                        args ? "env" : "args");
  }
  json_t *p = json_object();
  json_object_set_new(p, "terminal", json_boolean(in->terminal));
  json_object_set_new(p, "user", user_json(in));
  json_object_set_new(p, "args", args);
  json_object_set_new(p, "env", env);
  json_object_set_new(p, "cwd", json_string(in->cwd && in->cwd[0] ? in->cwd : "/"));
  json_object_set_new(p, "capabilities", caps_json(caps));
  json_object_set_new(p, "rlimits", steal_pointer(&rlimits));
  json_object_set_new(p, "noNewPrivileges", json_boolean(in->no_new_privileges));
  if (in->has_oom_score_adj)
    json_object_set_new(p, "oomScoreAdj", json_integer(oci_oom_score_adj_clamp(in->oom_score_adj)));
  if (in->apparmor_profile && in->apparmor_profile[0])
    json_object_set_new(p, "apparmorProfile", json_string(in->apparmor_profile));
  if (in->selinux_label && in->selinux_label[0])
    json_object_set_new(p, "selinuxLabel", json_string(in->selinux_label));
  *out = p;
  return 0;
}

static json_t *annotations_json(oci_kv kv)
{
  json_t *o = json_object();
  for (size_t i = 0; i < kv.keys.n && i < kv.values.n; i++)
    json_object_set_new(o, kv.keys.items[i], json_string(kv.values.items[i]));
  return o;
}

int oci_spec_generate(const oci_spec_input *in, char **json_out, crio_err **err)
{
  if (!in->rootfs || in->rootfs[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "OCI spec: rootfs \"%s\" is not an absolute path",
                        in->rootfs ? in->rootfs : "");
  _cleanup_jsonp_ json_t *process = NULL, *mounts = NULL, *linux_ = NULL;
  int r = process_json(in, &process, err);
  if (r == 0)
    r = oci_spec_mounts(in, &mounts, err);
  if (r == 0)
    r = oci_spec_linux(in, &linux_, err);
  if (r < 0)
    return r;
  _cleanup_jsonp_ json_t *spec = json_object();
  json_object_set_new(spec, "ociVersion", json_string("1.0.2"));
  json_object_set_new(spec, "root", json_pack("{s:s, s:b}", "path", in->rootfs, "readonly",
                                              in->readonly_rootfs));
  json_object_set_new(spec, "process", steal_pointer(&process));
  if (in->hostname && in->hostname[0])
    json_object_set_new(spec, "hostname", json_string(in->hostname));
  json_object_set_new(spec, "mounts", steal_pointer(&mounts));
  json_object_set_new(spec, "linux", steal_pointer(&linux_));
  json_object_set_new(spec, "annotations", annotations_json(in->annotations));
  char *text = json_dumps(spec, JSON_INDENT(2));
  if (!text)
    return crio_err_set(err, CRIO_E_INVALID, "OCI spec: cannot encode (a string is not UTF-8)");
  *json_out = text;
  return 0;
}
