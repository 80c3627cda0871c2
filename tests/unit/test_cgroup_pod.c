/* Unit tests for cgroup_pod (server/cgroups/cgroup_pod.c): pod and container
 * cgroup paths, finding a controller's directory on this host's layout, and
 * removing a pod's cgroups from every hierarchy, real cgroups under a test
 * parent. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/cgroups/cgroup_detect.h"
#include "server/cgroups/cgroup_pod.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* The hierarchies the real tests create cgroups in, when mounted. */
static const char *const controllers[] = {"memory", "pids",         "cpu",
                                          "cpuset", "name=systemd", "unified"};

typedef struct fx {
  char *parent; /* /crio-c-test-PID */
  char *pod;    /* <parent>/pod-p1 */
  char *ctr;    /* <pod>/ctr-c1 */
  pid_t child;
} fx;

static int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  f->parent = xasprintf("/crio-c-test-%d", (int)getpid());
  f->pod = cgroup_pod_path(f->parent, "p1");
  f->ctr = cgroup_container_path(f->pod, "c1");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fx *f = *state;
  if (f->child > 0) {
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
  }
  /* the parent is not a pod, but removing it is the same walk */
  crio_err *err = NULL;
  if (cgroup_pod_remove(f->parent, &err) < 0) {
    fprintf(stderr, "teardown: %s\n", err->message);
    crio_err_free(err);
  }
  free(f->parent);
  free(f->pod);
  free(f->ctr);
  free(f);
  return 0;
}

static bool is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *dir_of(const char *controller, const char *path)
{
  char *dir = NULL;
  crio_err *err = NULL;
  if (cgroup_controller_dir(controller, path, &dir, &err) < 0)
    fail_msg("%s: %s", controller, err->message);
  return dir;
}

static bool have(const char *controller)
{
  char *dir = NULL;
  if (cgroup_controller_dir(controller, "/", &dir, NULL) < 0)
    return false;
  free(dir);
  return true;
}

/* ------------------------------------------------------------------ paths */

static void test_paths(void **state)
{
  const struct {
    const char *parent, *want;
  } cases[] = {
      {"/crio-c", "/crio-c/pod-abc"},    {NULL, "/crio-c/pod-abc"},
      {"", "/crio-c/pod-abc"},           {"/kubepods/", "/kubepods/pod-abc"},
      {"kubepods", "/kubepods/pod-abc"}, {"/", "/pod-abc"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *p = cgroup_pod_path(cases[i].parent, "abc");
    assert_string_equal(p, cases[i].want);
  }
  _cleanup_free_ char *c = cgroup_container_path("/crio-c/pod-abc", "def");
  assert_string_equal(c, "/crio-c/pod-abc/ctr-def");
}

static void test_controller_dirs(void **state)
{
  cgroup_layout l = cgroup_detect("/sys/fs/cgroup");
  const char *path = "/crio-c/pod-x/ctr-y";
  _cleanup_free_ char *mem = dir_of("memory", path), *pids = dir_of("pids", path);
  _cleanup_free_ char *cpu = dir_of("cpu", path), *cpu_root = dir_of("cpu", "/");
  if (l.version == 2) {
    assert_string_equal(mem, "/sys/fs/cgroup/crio-c/pod-x/ctr-y");
    assert_string_equal(pids, "/sys/fs/cgroup/crio-c/pod-x/ctr-y");
    assert_string_equal(cpu, "/sys/fs/cgroup/crio-c/pod-x/ctr-y");
    assert_string_equal(cpu_root, "/sys/fs/cgroup");
  } else {
    assert_string_equal(mem, "/sys/fs/cgroup/memory/crio-c/pod-x/ctr-y");
    assert_string_equal(pids, "/sys/fs/cgroup/pids/crio-c/pod-x/ctr-y");
    /* "cpu" or a comounted "cpu,cpuacct": whichever, it holds cpu.shares */
    _cleanup_free_ char *shares = path_join(cpu_root, "cpu.shares");
    assert_int_equal(access(shares, F_OK), 0);
    _cleanup_free_ char *want = xasprintf("%s%s", cpu_root, path);
    assert_string_equal(cpu, want);
  }
  if (l.hybrid) {
    _cleanup_free_ char *u = dir_of("unified", path);
    assert_string_equal(u, "/sys/fs/cgroup/unified/crio-c/pod-x/ctr-y");
  }
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL, *e3 = NULL;
  char *dir = NULL;
  assert_int_equal(cgroup_controller_dir("nosuch", path, &dir, &e1), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(e1->message, "nosuch"));
  assert_int_equal(cgroup_controller_dir("memory", "crio-c/x", &dir, &e2), -CRIO_E_INVALID);
  assert_non_null(strstr(e2->message, "crio-c/x"));
  assert_int_equal(cgroup_controller_dir("memory", "/crio-c/../x", &dir, &e3), -CRIO_E_INVALID);
  assert_null(dir);
}

/* ---------------------------------------------------------------- remove */

static void test_remove_everywhere(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *extra = path_join(f->pod, "ctr-c2");
  size_t made = 0;
  for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
    if (!have(controllers[i]))
      continue;
    _cleanup_free_ char *d1 = dir_of(controllers[i], f->ctr), *d2 = dir_of(controllers[i], extra);
    assert_int_equal(mkdir_p(d1, 0755, NULL), 0);
    assert_int_equal(mkdir_p(d2, 0755, NULL), 0);
    made++;
  }
  assert_true(made >= 2);
  crio_err *err = NULL;
  if (cgroup_pod_remove(f->pod, &err) < 0)
    fail_msg("%s", err->message);
  for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
    if (!have(controllers[i]))
      continue;
    _cleanup_free_ char *pod = dir_of(controllers[i], f->pod);
    _cleanup_free_ char *parent = dir_of(controllers[i], f->parent);
    assert_false(is_dir(pod));
    assert_true(is_dir(parent)); /* only the pod goes */
  }
  assert_int_equal(cgroup_pod_remove(f->pod, &err), 0); /* absent: success */
  assert_null(err);
}

static void test_remove_refuses_bad_paths(void **state)
{
  const char *bad[] = {"/", "//", "relative/pod", "/crio-c/../etc", "/crio-c/./pod"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    _cleanup_err_ crio_err *err = NULL;
    assert_int_equal(cgroup_pod_remove(bad[i], &err), -CRIO_E_INVALID);
  }
}

static void test_remove_busy(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *mem_ctr = dir_of("memory", f->ctr);
  _cleanup_free_ char *pids_pod = NULL;
  assert_int_equal(mkdir_p(mem_ctr, 0755, NULL), 0);
  if (have("pids")) {
    pids_pod = dir_of("pids", f->pod);
    _cleanup_free_ char *pids_ctr = dir_of("pids", f->ctr);
    assert_int_equal(mkdir_p(pids_ctr, 0755, NULL), 0);
  }
  f->child = fork();
  assert_true(f->child >= 0);
  if (f->child == 0) {
    pause();
    _exit(0);
  }
  _cleanup_free_ char *procs = path_join(mem_ctr, "cgroup.procs");
  _cleanup_free_ char *pid = xasprintf("%d\n", (int)f->child);
  FILE *p = fopen(procs, "we");
  assert_non_null(p);
  assert_true(fputs(pid, p) >= 0);
  assert_int_equal(fclose(p), 0);

  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(cgroup_pod_remove(f->pod, &err), -CRIO_E_BUSY);
  if (!strstr(err->message, mem_ctr))
    fail_msg("message \"%s\" does not name %s", err->message, mem_ctr);
  /* nothing else broken: the process lives on in its cgroup */
  assert_true(is_dir(mem_ctr));
  assert_int_equal(kill(f->child, 0), 0);
  _cleanup_free_ char *inside = NULL;
  assert_int_equal(read_file(procs, &inside, NULL, NULL), 0);
  assert_non_null(strstr(inside, pid));
  if (pids_pod)
    assert_false(is_dir(pids_pod)); /* the other hierarchies were cleaned */

  kill(f->child, SIGKILL);
  assert_int_equal(waitpid(f->child, NULL, 0), f->child);
  f->child = 0;
  crio_err *err2 = NULL;
  if (cgroup_pod_remove(f->pod, &err2) < 0)
    fail_msg("%s", err2->message);
  _cleanup_free_ char *mem_pod = dir_of("memory", f->pod);
  assert_false(is_dir(mem_pod));
}

/* ------------------------------------------------------------------ read */

static void test_read_int64(void **state)
{
  fx *f = *state;
  char tmp[] = "/tmp/crio-cgread-XXXXXX";
  assert_non_null(mkdtemp(tmp));
  const struct {
    const char *data;
    int64_t want;
  } ok[] = {
      {"42\n", 42},
      {"max\n", -1},
      {"0", 0},
      {"9223372036854771712\n", 9223372036854771712},
  };
  _cleanup_free_ char *file = path_join(tmp, "v");
  for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
    assert_int_equal(write_file_atomic(file, ok[i].data, strlen(ok[i].data), 0644, NULL), 0);
    int64_t v = 0;
    assert_int_equal(cgroup_read_int64(tmp, "v", &v, NULL), 0);
    assert_true(v == ok[i].want);
  }
  assert_int_equal(write_file_atomic(file, "12abc\n", 6, 0644, NULL), 0);
  int64_t v = 0;
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL;
  assert_true(cgroup_read_int64(tmp, "v", &v, &e1) < 0);
  assert_non_null(strstr(e1->message, file));
  assert_int_equal(cgroup_read_int64(tmp, "missing", &v, &e2), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(e2->message, "missing"));
  unlink(file);
  rmdir(tmp);

  /* a real cgroup: a fresh pids cgroup is unlimited */
  if (!have("pids"))
    return;
  _cleanup_free_ char *d = dir_of("pids", f->ctr);
  assert_int_equal(mkdir_p(d, 0755, NULL), 0);
  assert_int_equal(cgroup_read_int64(d, "pids.max", &v, NULL), 0);
  assert_true(v == -1);
  assert_int_equal(cgroup_read_int64(d, "pids.current", &v, NULL), 0);
  assert_true(v == 0);
}

static void test_is_v2(void **state)
{
  assert_true(cgroup_is_v2() == (cgroup_detect("/sys/fs/cgroup").version == 2));
}

int main(void)
{
  if (geteuid() != 0 || !have("memory")) {
    fprintf(stderr, "test_cgroup_pod needs root and a memory cgroup controller\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_paths),
      T(test_controller_dirs),
      T(test_remove_everywhere),
      T(test_remove_refuses_bad_paths),
      T(test_remove_busy),
      T(test_read_int64),
      T(test_is_v2),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
