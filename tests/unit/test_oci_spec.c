/* The OCI config.json generated for a container: process, user, mounts,
 * namespaces, resources, capabilities, rlimits within the host's limits, the
 * oom score clamp, devices from host nodes; users resolved from the image's
 * /etc/passwd and /etc/group without leaving the rootfs; environment merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/runtime/oci_spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* A list valid in the enclosing block (a compound literal). */
#define STRV(...) ((oci_strv){ (char *const[]){ __VA_ARGS__ }, sizeof((char *const[]){ __VA_ARGS__ }) / sizeof(char *) })

static oci_spec_input minimal_input(void)
{
  static char *const args[] = { "/bin/sh", "-c", "echo hi" };
  static char *const env[] = { "PATH=/bin" };
  oci_spec_input in = { .rootfs = "/var/lib/crio/overlay/containers/c1/merged" };
  in.args = (oci_strv){ args, 3 };
  in.env = (oci_strv){ env, 1 };
  return in;
}

static json_t *generate(const oci_spec_input *in)
{
  _cleanup_free_ char *text = NULL;
  crio_err *err = NULL;
  int r = oci_spec_generate(in, &text, &err);
  if (r < 0)
    fail_msg("oci_spec_generate: %s", err->message);
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  assert_non_null(j);
  return j;
}

static void expect_error(const oci_spec_input *in, crio_code code, const char *needle)
{
  _cleanup_free_ char *text = NULL;
  crio_err *err = NULL;
  assert_true(oci_spec_generate(in, &text, &err) < 0);
  assert_null(text);
  assert_int_equal(err->code, code);
  if (!strstr(err->message, needle))
    fail_msg("error \"%s\" lacks \"%s\"", err->message, needle);
  crio_err_free(err);
}

static json_t *mount_at(json_t *spec, const char *dest)
{
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec, "mounts"), i, m)
    if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
      return m;
  return NULL;
}

static bool array_has(json_t *a, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
      return true;
  return false;
}

static json_t *path_get(json_t *j, const char *path)
{
  _cleanup_free_ char *copy = xstrdup(path);
  char *save = NULL;
  for (char *k = strtok_r(copy, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    j = json_object_get(j, k);
  return j;
}

static const char *str_at(json_t *j, const char *path)
{
  return json_string_value(path_get(j, path));
}

static json_int_t int_at(json_t *j, const char *path)
{
  json_t *v = path_get(j, path);
  if (!json_is_integer(v))
    fail_msg("%s is not an integer", path);
  return json_integer_value(v);
}

/* A container of a pod: user, terminal, pod files and namespaces, limits. */
static json_t *representative_spec(void)
{
  static gid_t gids[] = { 10, 29 };
  static char *const ro[] = { "ro" }, *const tmpfs_opts[] = { "size=16m", "mode=1777" };
  static oci_mount_input mounts[] = {
    { .type = "bind", .source = "/srv/data", .destination = "/data", .options = { ro, 1 } },
    { .type = "tmpfs", .destination = "/scratch", .options = { tmpfs_opts, 2 } },
  };
  static char *const env[] = { "PATH=/usr/bin:/bin", "HOME=/home/alice" };
  static char *const sysctl_k[] = { "net.ipv4.ip_forward" }, *const sysctl_v[] = { "1" };
  static char *const ann_k[] = { "io.kubernetes.pod.name" }, *const ann_v[] = { "pod-a" };
  oci_spec_input in = minimal_input();
  in.readonly_rootfs = in.terminal = in.no_new_privileges = true;
  in.env = (oci_strv){ env, 2 };
  in.cwd = "/work";
  in.uid = in.gid = 1000;
  in.additional_gids = gids;
  in.n_additional_gids = 2;
  in.hostname = "pod-a";
  in.shm_path = "/run/crio/pods/p1/shm";
  in.resolv_conf_path = "/run/crio/pods/p1/resolv.conf";
  in.hosts_path = "/run/crio/pods/p1/hosts";
  in.hostname_path = "/run/crio/pods/p1/hostname";
  in.mounts = mounts;
  in.n_mounts = 2;
  in.network_ns = (oci_ns){ OCI_NS_PATH, "/run/crio/ns/net/p1" };
  in.ipc_ns = (oci_ns){ OCI_NS_PATH, "/run/crio/ns/ipc/p1" };
  in.uts_ns = (oci_ns){ OCI_NS_HOST, NULL };
  in.cgroups_path = "/crio/pod-p1/c1";
  in.resources = (oci_resources){ .cpu_shares = 512, .cpu_quota = 50000, .cpu_period = 100000,
                                  .cpuset_cpus = "0", .memory_limit = 64 << 20, .pids_limit = 100 };
  in.sysctls = (oci_kv){ { sysctl_k, 1 }, { sysctl_v, 1 } };
  in.annotations = (oci_kv){ { ann_k, 1 }, { ann_v, 1 } };
  return generate(&in);
}

static void test_spec_process(void **state)
{
  (void) state;
  json_t *s = representative_spec();
  assert_string_equal(str_at(s, "ociVersion"), "1.0.2");
  assert_string_equal(str_at(s, "root.path"), "/var/lib/crio/overlay/containers/c1/merged");
  assert_true(json_is_true(path_get(s, "root.readonly")));
  assert_true(json_is_true(path_get(s, "process.terminal")));
  assert_int_equal(json_array_size(path_get(s, "process.args")), 3);
  assert_string_equal(json_string_value(json_array_get(path_get(s, "process.args"), 2)), "echo hi");
  assert_true(array_has(path_get(s, "process.env"), "HOME=/home/alice"));
  assert_string_equal(str_at(s, "process.cwd"), "/work");
  assert_int_equal(int_at(s, "process.user.uid"), 1000);
  assert_int_equal(int_at(s, "process.user.gid"), 1000);
  assert_int_equal(json_integer_value(json_array_get(path_get(s, "process.user.additionalGids"), 1)), 29);
  assert_true(json_is_true(path_get(s, "process.noNewPrivileges")));
  assert_string_equal(str_at(s, "hostname"), "pod-a");
  assert_string_equal(json_string_value(json_object_get(json_object_get(s, "annotations"),
                                                        "io.kubernetes.pod.name")), "pod-a");
  json_decref(s);
}

static void test_spec_mounts(void **state)
{
  (void) state;
  json_t *s = representative_spec();
  const char *std[] = { "/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup" };
  for (size_t i = 0; i < ARRAY_SIZE(std); i++)
    assert_non_null(mount_at(s, std[i]));
  assert_true(array_has(json_object_get(mount_at(s, "/sys"), "options"), "ro"));
  json_t *shm = mount_at(s, "/dev/shm");
  assert_string_equal(str_at(shm, "type"), "bind");
  assert_string_equal(str_at(shm, "source"), "/run/crio/pods/p1/shm");
  json_t *data = mount_at(s, "/data");
  assert_string_equal(str_at(data, "source"), "/srv/data");
  const char *bind_opts[] = { "rbind", "rprivate", "ro" };
  for (size_t i = 0; i < ARRAY_SIZE(bind_opts); i++)
    assert_true(array_has(json_object_get(data, "options"), bind_opts[i]));
  json_t *scratch = mount_at(s, "/scratch");
  assert_string_equal(str_at(scratch, "type"), "tmpfs");
  assert_true(array_has(json_object_get(scratch, "options"), "size=16m"));
  assert_string_equal(str_at(mount_at(s, "/etc/resolv.conf"), "source"), "/run/crio/pods/p1/resolv.conf");
  assert_string_equal(str_at(mount_at(s, "/etc/hosts"), "source"), "/run/crio/pods/p1/hosts");
  assert_true(array_has(json_object_get(mount_at(s, "/etc/hostname"), "options"), "ro"));
  json_decref(s);
}

static void check_namespaces(json_t *s)
{
  size_t i;
  json_t *n;
  int seen = 0;
  json_array_foreach(path_get(s, "linux.namespaces"), i, n) {
    const char *type = str_at(n, "type");
    if (strcmp(type, "network") == 0)
      assert_string_equal(str_at(n, "path"), "/run/crio/ns/net/p1"), seen |= 1;
    else if (strcmp(type, "ipc") == 0)
      assert_string_equal(str_at(n, "path"), "/run/crio/ns/ipc/p1"), seen |= 2;
    else if (strcmp(type, "pid") == 0)
      assert_null(json_object_get(n, "path")), seen |= 4;
    else if (strcmp(type, "mount") == 0)
      seen |= 8;
    else
      fail_msg("unexpected namespace %s (uts is the host's)", type);
  }
  assert_int_equal(seen, 15);
}

static void test_spec_linux(void **state)
{
  (void) state;
  json_t *s = representative_spec();
  check_namespaces(s);
  assert_string_equal(str_at(s, "linux.cgroupsPath"), "/crio/pod-p1/c1");
  assert_int_equal(int_at(s, "linux.resources.cpu.shares"), 512);
  assert_int_equal(int_at(s, "linux.resources.cpu.quota"), 50000);
  assert_int_equal(int_at(s, "linux.resources.cpu.period"), 100000);
  assert_string_equal(str_at(s, "linux.resources.cpu.cpus"), "0");
  assert_int_equal(int_at(s, "linux.resources.memory.limit"), 64 << 20);
  if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
    assert_int_equal(int_at(s, "linux.resources.memory.swap"), 64 << 20);
  assert_int_equal(int_at(s, "linux.resources.pids.limit"), 100);
  json_t *rule0 = json_array_get(path_get(s, "linux.resources.devices"), 0);
  assert_true(json_is_false(json_object_get(rule0, "allow")));
  assert_string_equal(str_at(rule0, "access"), "rwm");
  assert_string_equal(json_string_value(json_object_get(path_get(s, "linux.sysctl"), "net.ipv4.ip_forward")), "1");
  assert_true(array_has(path_get(s, "linux.maskedPaths"), "/proc/kcore"));
  assert_true(array_has(path_get(s, "linux.readonlyPaths"), "/proc/sys"));
  assert_null(path_get(s, "linux.seccomp"));
  json_decref(s);
}

static void test_missing_command(void **state)
{
  (void) state;
  oci_spec_input in = minimal_input();
  in.args = (oci_strv){ NULL, 0 };
  expect_error(&in, CRIO_E_INVALID, "no command: the image has no Entrypoint/Cmd and none was given");
}

static void test_rlimits_within_host(void **state)
{
  (void) state;
  struct rlimit host;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &host), 0);
  uint64_t want = host.rlim_max == RLIM_INFINITY || host.rlim_max > 1048576 ? 1048576 : host.rlim_max;
  oci_spec_input in = minimal_input();
  json_t *s = generate(&in);
  json_t *rl = json_array_get(path_get(s, "process.rlimits"), 0);
  assert_string_equal(str_at(rl, "type"), "RLIMIT_NOFILE");
  assert_int_equal(int_at(rl, "hard"), want);
  assert_int_equal(int_at(rl, "soft"), want);
  json_decref(s);

  oci_rlimit_input given[] = { { "RLIMIT_NOFILE", UINT64_C(1) << 40, UINT64_C(1) << 40 },
                               { "rlimit_core", 10, 20 } };
  in.rlimits = given;
  in.n_rlimits = 2;
  s = generate(&in);
  rl = json_array_get(path_get(s, "process.rlimits"), 0);
  if (host.rlim_max != RLIM_INFINITY)
    assert_true((uint64_t) int_at(rl, "hard") <= host.rlim_max);
  assert_true(int_at(rl, "soft") <= int_at(rl, "hard"));
  rl = json_array_get(path_get(s, "process.rlimits"), 1);
  assert_string_equal(str_at(rl, "type"), "RLIMIT_CORE");
  assert_int_equal(int_at(rl, "soft"), 10);
  json_decref(s);

  oci_rlimit_input bad[] = { { "RLIMIT_BOGUS", 1, 1 } };
  in.rlimits = bad;
  in.n_rlimits = 1;
  expect_error(&in, CRIO_E_INVALID, "RLIMIT_BOGUS");
}

static void test_oom_score_adj_clamped(void **state)
{
  (void) state;
  _cleanup_free_ char *own_text = NULL;
  assert_int_equal(read_file("/proc/self/oom_score_adj", &own_text, NULL, NULL), 0);
  int own = atoi(own_text);
  oci_spec_input in = minimal_input();
  json_t *s = generate(&in);
  assert_null(path_get(s, "process.oomScoreAdj"));
  json_decref(s);
  in.has_oom_score_adj = true;
  in.oom_score_adj = -999;
  s = generate(&in);
  assert_int_equal(int_at(s, "process.oomScoreAdj"), own > -999 ? own : -999);
  json_decref(s);
  in.oom_score_adj = 1000;
  s = generate(&in);
  assert_int_equal(int_at(s, "process.oomScoreAdj"), 1000);
  json_decref(s);
  assert_int_equal(oci_oom_score_adj_clamp(5000), 1000);
  assert_int_equal(oci_oom_score_adj_clamp(own + 1), own + 1 > 1000 ? 1000 : own + 1);
}

static size_t caps_of(json_t *s, const char *set)
{
  _cleanup_free_ char *path = xasprintf("process.capabilities.%s", set);
  return json_array_size(path_get(s, path));
}

static bool has_cap(json_t *s, const char *cap)
{
  return array_has(path_get(s, "process.capabilities.bounding"), cap) &&
         array_has(path_get(s, "process.capabilities.effective"), cap) &&
         array_has(path_get(s, "process.capabilities.permitted"), cap);
}

static void test_capabilities(void **state)
{
  (void) state;
  oci_spec_input in = minimal_input();
  json_t *s = generate(&in);
  assert_int_equal(caps_of(s, "bounding"), 14);
  assert_true(has_cap(s, "CAP_NET_BIND_SERVICE"));
  assert_true(has_cap(s, "CAP_AUDIT_WRITE"));
  assert_false(has_cap(s, "CAP_SYS_ADMIN"));
  assert_null(path_get(s, "process.capabilities.inheritable"));
  json_decref(s);

  in.cap_add = STRV("NET_ADMIN", "cap_sys_time");
  in.cap_drop = STRV("CAP_KILL", "mknod");
  s = generate(&in);
  assert_true(has_cap(s, "CAP_NET_ADMIN"));
  assert_true(has_cap(s, "CAP_SYS_TIME"));
  assert_false(has_cap(s, "CAP_KILL"));
  assert_false(has_cap(s, "CAP_MKNOD"));
  assert_int_equal(caps_of(s, "bounding"), 14);
  json_decref(s);

  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = 40;
  if (f) {
    assert_int_equal(fscanf(f, "%d", &last), 1);
    fclose(f);
  }
  /* every capability the table and the kernel know that crio itself has */
  unsigned long long bounding = ~0ULL;
  char line[256];
  f = fopen("/proc/self/status", "re");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "CapBnd: %llx", &bounding) == 1)
      break;
  if (f)
    fclose(f);
  size_t all = (size_t) __builtin_popcountll(bounding &
                                             ((2ULL << (last > 40 ? 40 : last)) - 1));
  in.cap_add = STRV("ALL");
  in.cap_drop = STRV("MKNOD");
  s = generate(&in);
  assert_int_equal(caps_of(s, "bounding"), all - 1);
  assert_true(has_cap(s, "CAP_SYS_ADMIN"));
  assert_false(has_cap(s, "CAP_MKNOD"));
  json_decref(s);

  in.cap_add = STRV("CHOWN");
  in.cap_drop = STRV("all");
  s = generate(&in);
  assert_int_equal(caps_of(s, "effective"), 1);
  assert_true(has_cap(s, "CAP_CHOWN"));
  json_decref(s);

  in.cap_add = STRV("NOT_A_CAP");
  in.cap_drop = (oci_strv){ NULL, 0 };
  expect_error(&in, CRIO_E_INVALID, "NOT_A_CAP");
}

static void test_privileged(void **state)
{
  (void) state;
  oci_spec_input in = minimal_input();
  in.privileged = true;
  in.cap_drop = STRV("ALL");
  json_t *s = generate(&in);
  assert_true(caps_of(s, "bounding") >= 38);
  assert_true(has_cap(s, "CAP_SYS_ADMIN"));
  assert_null(path_get(s, "linux.maskedPaths"));
  assert_null(path_get(s, "linux.readonlyPaths"));
  assert_false(array_has(json_object_get(mount_at(s, "/sys"), "options"), "ro"));
  json_t *rule0 = json_array_get(path_get(s, "linux.resources.devices"), 0);
  assert_true(json_is_true(json_object_get(rule0, "allow")));
  assert_string_equal(str_at(rule0, "access"), "rwm");
  json_decref(s);
}

static void test_masked_paths_given(void **state)
{
  (void) state;
  oci_spec_input in = minimal_input();
  in.masked_paths = STRV("/proc/secret");
  json_t *s = generate(&in);
  assert_int_equal(json_array_size(path_get(s, "linux.maskedPaths")), 1);
  assert_true(array_has(path_get(s, "linux.maskedPaths"), "/proc/secret"));
  assert_true(array_has(path_get(s, "linux.readonlyPaths"), "/proc/sysrq-trigger"));
  json_decref(s);
}

static void test_devices_from_host_nodes(void **state)
{
  (void) state;
  oci_device_input devs[] = { { "/dev/null", "/dev/xnull", "rw" } };
  oci_spec_input in = minimal_input();
  in.devices = devs;
  in.n_devices = 1;
  json_t *s = generate(&in);
  json_t *d = json_array_get(path_get(s, "linux.devices"), 0);
  assert_string_equal(str_at(d, "path"), "/dev/xnull");
  assert_string_equal(str_at(d, "type"), "c");
  assert_int_equal(int_at(d, "major"), 1);
  assert_int_equal(int_at(d, "minor"), 3);
  assert_int_equal(int_at(d, "fileMode"), 0666);
  assert_int_equal(int_at(d, "uid"), 0);
  json_t *rules = path_get(s, "linux.resources.devices");
  json_t *last = json_array_get(rules, json_array_size(rules) - 1);
  assert_true(json_is_true(json_object_get(last, "allow")));
  assert_int_equal(int_at(last, "major"), 1);
  assert_int_equal(int_at(last, "minor"), 3);
  assert_string_equal(str_at(last, "access"), "rw");
  json_decref(s);

  oci_device_input not_dev[] = { { "/proc/self/status", NULL, NULL } };
  in.devices = not_dev;
  expect_error(&in, CRIO_E_INVALID, "/proc/self/status is not a character or block device");
  oci_device_input bad_perm[] = { { "/dev/null", NULL, "rwx" } };
  in.devices = bad_perm;
  expect_error(&in, CRIO_E_INVALID, "rwx");
}

static void test_invalid_inputs(void **state)
{
  (void) state;
  oci_spec_input in = minimal_input();
  oci_mount_input rel[] = { { .type = "bind", .source = "/srv", .destination = "data" } };
  in.mounts = rel;
  in.n_mounts = 1;
  expect_error(&in, CRIO_E_INVALID, "mount destination \"data\"");
  in = minimal_input();
  in.network_ns = (oci_ns){ OCI_NS_HOST, NULL };
  in.sysctls = (oci_kv){ STRV("net.core.somaxconn"), STRV("1024") };
  expect_error(&in, CRIO_E_INVALID, "host network");
  in = minimal_input();
  in.rootfs = "relative/rootfs";
  expect_error(&in, CRIO_E_INVALID, "rootfs");
}

static void test_overridden_standard_mount(void **state)
{
  (void) state;
  oci_mount_input m[] = { { .type = "tmpfs", .destination = "/dev/shm", .options = STRV("size=1g") } };
  oci_spec_input in = minimal_input();
  in.mounts = m;
  in.n_mounts = 1;
  json_t *s = generate(&in);
  int count = 0;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(s, "mounts"), i, v)
    count += strcmp(str_at(v, "destination"), "/dev/shm") == 0;
  assert_int_equal(count, 1);
  assert_true(array_has(json_object_get(mount_at(s, "/dev/shm"), "options"), "size=1g"));
  json_decref(s);
  oci_resources r = { .memory_limit = 1 << 20, .cpu_shares = 2 };
  _cleanup_free_ char *res = oci_resources_json(&r);
  json_t *j = json_loads(res, 0, NULL);
  assert_int_equal(int_at(j, "memory.limit"), 1 << 20);
  assert_int_equal(int_at(j, "cpu.shares"), 2);
  assert_null(json_object_get(j, "devices"));
  json_decref(j);
}

/* ---- users ------------------------------------------------------------- */

typedef struct user_fixture {
  char *tmp;
  char *rootfs;
} user_fixture;

static void write_text(const char *dir, const char *rel, const char *text)
{
  _cleanup_free_ char *p = path_join(dir, rel);
  _cleanup_free_ char *parent = xstrdup(p);
  *strrchr(parent, '/') = '\0';
  assert_int_equal(mkdir_p(parent, 0755, NULL), 0);
  assert_int_equal(write_file_atomic(p, text, strlen(text), 0644, NULL), 0);
}

static int user_setup(void **state)
{
  user_fixture *f = xzalloc(sizeof *f);
  f->tmp = xstrdup("/tmp/test_oci_user_XXXXXX");
  assert_non_null(mkdtemp(f->tmp));
  f->rootfs = path_join(f->tmp, "rootfs");
  write_text(f->rootfs, "etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\n"
             "# a comment\n"
             "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  write_text(f->rootfs, "etc/group",
             "root:x:0:\nalice:x:1000:\nwheel:x:10:carol,alice\naudio:x:29:alice\nstaff:x:50:\n");
  *state = f;
  return 0;
}

static int user_teardown(void **state)
{
  user_fixture *f = *state;
  rm_rf_at(f->tmp, NULL);
  free(f->rootfs);
  free(f->tmp);
  free(f);
  return 0;
}

typedef struct resolved {
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t n_groups;
  char *home;
} resolved;

static resolved resolve_ok(const char *rootfs, const char *user)
{
  resolved r = { 0 };
  crio_err *err = NULL;
  if (oci_resolve_user(rootfs, user, &r.uid, &r.gid, &r.groups, &r.n_groups, &r.home, &err) < 0)
    fail_msg("resolve \"%s\": %s", user, err->message);
  return r;
}

static void resolved_free(resolved *r)
{
  free(r->groups);
  free(r->home);
}

static void resolve_fails(const char *rootfs, const char *user, const char *message)
{
  uid_t uid;
  gid_t gid;
  crio_err *err = NULL;
  assert_true(oci_resolve_user(rootfs, user, &uid, &gid, NULL, NULL, NULL, &err) < 0);
  assert_int_equal(err->code, CRIO_E_INVALID);
  assert_string_equal(err->message, message);
  crio_err_free(err);
}

static void test_resolve_user_forms(void **state)
{
  user_fixture *f = *state;
  const struct {
    const char *user;
    uid_t uid;
    gid_t gid;
    const char *home;
    size_t n_groups;
    gid_t group0;
  } cases[] = {
    { "", 0, 0, "/root", 0, 0 },
    { "alice", 1000, 1000, "/home/alice", 2, 10 },   /* wheel and audio list alice */
    { "1000", 1000, 1000, "/home/alice", 2, 10 },
    { "alice:staff", 1000, 50, "/home/alice", 2, 10 },
    { "1000:29", 1000, 29, "/home/alice", 1, 10 },   /* audio is the primary group now */
    { "alice:7", 1000, 7, "/home/alice", 2, 10 },
    { "4242", 4242, 0, "/", 0, 0 },                  /* not in passwd: fine */
    { "4242:staff", 4242, 50, "/", 0, 0 },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    resolved r = resolve_ok(f->rootfs, cases[i].user);
    assert_int_equal(r.uid, cases[i].uid);
    assert_int_equal(r.gid, cases[i].gid);
    assert_string_equal(r.home, cases[i].home);
    assert_int_equal(r.n_groups, cases[i].n_groups);
    if (r.n_groups)
      assert_int_equal(r.groups[0], cases[i].group0);
    resolved_free(&r);
  }
  resolve_fails(f->rootfs, "bob", "user \"bob\" not found in /etc/passwd of the image");
  resolve_fails(f->rootfs, "alice:nogroup", "group \"nogroup\" not found in /etc/group of the image");
  resolve_fails(f->rootfs, "alice:", "user \"alice:\": expected user, user:group, uid or uid:gid");
}

static void test_resolve_user_stays_in_rootfs(void **state)
{
  user_fixture *f = *state;
  /* a host file the image points at, absolutely and relatively */
  _cleanup_free_ char *outside = path_join(f->tmp, "outside");
  write_text(outside, "passwd", "bob:x:1234:1234:Bob:/home/bob:/bin/sh\n");
  write_text(outside, "group", "bobs:x:77:bob\n");
  _cleanup_free_ char *host_passwd = path_join(outside, "passwd");
  const char *targets[] = { host_passwd, "../../../../../../../../outside/passwd" };
  for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
    _cleanup_free_ char *evil = xasprintf("%s/evil%zu", f->tmp, i);
    _cleanup_free_ char *etc = path_join(evil, "etc");
    _cleanup_free_ char *link = path_join(etc, "passwd");
    assert_int_equal(mkdir_p(etc, 0755, NULL), 0);
    assert_int_equal(symlink(targets[i], link), 0);
    resolve_fails(evil, "bob", "user \"bob\" not found in /etc/passwd of the image");
    resolved r = resolve_ok(evil, "1234");   /* numeric: fine, but nothing from the host file */
    assert_int_equal(r.gid, 0);
    assert_string_equal(r.home, "/");
    resolved_free(&r);
  }
  /* a symlink within the image is followed inside it */
  _cleanup_free_ char *good = path_join(f->tmp, "good");
  write_text(good, "usr/lib/passwd", "carol:x:2000:2000::/home/carol:/bin/sh\n");
  _cleanup_free_ char *etc = path_join(good, "etc");
  _cleanup_free_ char *link = path_join(etc, "passwd");
  assert_int_equal(mkdir_p(etc, 0755, NULL), 0);
  assert_int_equal(symlink("/usr/lib/passwd", link), 0);
  resolved r = resolve_ok(good, "carol");
  assert_int_equal(r.uid, 2000);
  assert_string_equal(r.home, "/home/carol");
  resolved_free(&r);
}

static void test_env_merge(void **state)
{
  (void) state;
  size_t n;
  char **env = oci_env_merge(STRV("PATH=/img/bin", "A=1", "B=2"), STRV("A=3", "C=4"), "/home/x", &n);
  assert_int_equal(n, 5);
  assert_string_equal(env[0], "PATH=/img/bin");
  assert_string_equal(env[1], "A=3");
  assert_string_equal(env[2], "B=2");
  assert_string_equal(env[3], "C=4");
  assert_string_equal(env[4], "HOME=/home/x");
  assert_null(env[5]);
  oci_env_free(env);
  env = oci_env_merge((oci_strv){ NULL, 0 }, STRV("HOME=/mine"), "/root", &n);
  assert_int_equal(n, 2);
  assert_string_equal(env[0], "HOME=/mine");
  assert_string_equal(env[1], "PATH=" OCI_DEFAULT_PATH);
  oci_env_free(env);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_spec_process),
    cmocka_unit_test(test_spec_mounts),
    cmocka_unit_test(test_spec_linux),
    cmocka_unit_test(test_missing_command),
    cmocka_unit_test(test_rlimits_within_host),
    cmocka_unit_test(test_oom_score_adj_clamped),
    cmocka_unit_test(test_capabilities),
    cmocka_unit_test(test_privileged),
    cmocka_unit_test(test_masked_paths_given),
    cmocka_unit_test(test_devices_from_host_nodes),
    cmocka_unit_test(test_invalid_inputs),
    cmocka_unit_test(test_overridden_standard_mount),
    cmocka_unit_test_setup_teardown(test_resolve_user_forms, user_setup, user_teardown),
    cmocka_unit_test_setup_teardown(test_resolve_user_stays_in_rootfs, user_setup, user_teardown),
    cmocka_unit_test(test_env_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
