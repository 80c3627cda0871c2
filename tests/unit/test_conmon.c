/* Real conmon and runc on the busybox fixture's rootfs: exit codes and CRI
 * logs, state, pause/resume, update, kill, OOM kill, the runtime's own error
 * message on a bad command; conmon never left as the test's zombie; nothing
 * left running, mounted or in the cgroup trees. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/runtime/conmon.h"
#include "ctr_test_util.h"

static ctr_test_env F;

static int group_setup(void **state)
{
  (void) state;
  if (geteuid() != 0)
    return 0;
  ctr_test_env_setup(&F, "/tmp/crio-conmon-XXXXXX");
  return 0;
}

static int group_teardown(void **state)
{
  (void) state;
  if (!F.tmp)
    return 0;
  ctr_test_env_teardown(&F);
  return 0;
}

typedef struct ctr {
  char *id;
  char *bundle;
  char *persist;
  char *log;
  char *cgroup;   /* cgroupsPath */
  pid_t pid;
} ctr;

static void ctr_free(ctr *c)
{
  _cleanup_err_ crio_err *err = NULL;
  runtime_delete(&F.rt, c->id, true, &err);
  conmon_cleanup(F.sockets, c->id, NULL);
  free(c->id);
  free(c->bundle);
  free(c->persist);
  free(c->log);
  free(c->cgroup);
}

static void ctr_prepare(ctr *c, const char *name, oci_strv args, int64_t memory_limit)
{
  c->id = xasprintf("t%d-%s", (int) getpid(), name);
  c->bundle = path_join(F.tmp, name);
  c->persist = path_join(c->bundle, "persist");
  c->log = path_join(c->bundle, "ctr.log");
  c->cgroup = xasprintf("%s/%s", F.cgroup_parent, c->id);
  assert_int_equal(mkdir_p(c->persist, 0700, NULL), 0);
  char *const env[] = { "PATH=" OCI_DEFAULT_PATH, "HOME=/root" };
  oci_spec_input in = { .rootfs = F.rootfs, .readonly_rootfs = true, .args = args,
                        .env = { env, 2 }, .hostname = "ctr", .cgroups_path = c->cgroup,
                        .has_oom_score_adj = true, .oom_score_adj = -998,   /* clamped */
                        .resources = { .memory_limit = memory_limit, .pids_limit = 64 } };
  ctr_test_write_config(c->bundle, &in);
}

static int ctr_create(ctr *c, crio_err **err)
{
  conmon_create_opts o = { .conmon_path = F.conmon, .runtime_path = F.runc,
                           .runtime_root = F.rt.root, .id = c->id, .bundle = c->bundle,
                           .exit_dir = F.exits, .persist_dir = c->persist, .log_path = c->log,
                           .socket_dir = F.sockets, .timeout_sec = 30 };
  int r = conmon_create_container(&o, &c->pid, err);
  /* conmon's first process is reaped and the monitor is not our child */
  int status;
  assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
  return r;
}

static void ctr_create_ok(ctr *c)
{
  crio_err *err = NULL;
  if (ctr_create(c, &err) < 0)
    fail_msg("create %s: %s", c->id, err->message);
  assert_true(c->pid > 1);
}

static int wait_exit(const ctr *c, int timeout_s)
{
  for (int i = 0; i < timeout_s * 20; i++) {
    int code = 0;
    bool exists = false;
    crio_err *err = NULL;
    if (conmon_read_exit(F.exits, c->id, &code, &exists, &err) < 0)
      fail_msg("read exit: %s", err->message);
    if (exists)
      return code;
    usleep(50000);
  }
  fail_msg("container %s: no exit file after %d s", c->id, timeout_s);
  return -1;
}

static void assert_state(const ctr *c, const char *want, int *pid)
{
  _cleanup_free_ char *status = NULL;
  crio_err *err = NULL;
  if (runtime_state(&F.rt, c->id, &status, pid, &err) < 0)
    fail_msg("state %s: %s", c->id, err->message);
  assert_string_equal(status, want);
}

/* "<RFC3339Nano> <stream> F <text>" */
static void check_log_line(const char *line, const char **stream, const char **text)
{
  struct tm tm;
  const char *p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
  assert_non_null(p);
  assert_int_equal(*p++, '.');
  size_t digits = strspn(p, "0123456789");
  assert_true(digits >= 1 && digits <= 9);
  p += digits;
  if (*p == 'Z')
    p++;
  else {
    assert_true(*p == '+' || *p == '-');
    assert_true(strspn(p + 1, "0123456789") == 2 && p[3] == ':' && strspn(p + 4, "0123456789") == 2);
    p += 6;
  }
  assert_int_equal(*p++, ' ');
  *stream = p;
  const char *sp = strchr(p, ' ');
  assert_non_null(sp);
  assert_true(strncmp(sp, " F ", 3) == 0);
  *text = sp + 3;
}

static void test_exit_code_and_cri_log(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const args[] = { "sh", "-c", "echo out; echo err >&2; exit 3" };
  ctr c = { 0 };
  ctr_prepare(&c, "exit3", (oci_strv){ args, 3 }, 0);
  ctr_create_ok(&c);
  assert_state(&c, "created", NULL);
  crio_err *err = NULL;
  if (runtime_start(&F.rt, c.id, &err) < 0)
    fail_msg("start: %s", err->message);
  assert_int_equal(wait_exit(&c, 20), 3);
  _cleanup_free_ char *persisted = path_join(c.persist, "exit");
  _cleanup_free_ char *text = NULL;
  assert_int_equal(read_file(persisted, &text, NULL, NULL), 0);
  assert_string_equal(text, "3");
  assert_false(conmon_oom_killed(c.persist));

  _cleanup_free_ char *log = NULL;
  assert_int_equal(read_file(c.log, &log, NULL, NULL), 0);
  char *save = NULL;
  int lines = 0, seen = 0;
  for (char *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++) {
    const char *stream, *t;
    check_log_line(l, &stream, &t);
    if (strncmp(stream, "stdout ", 7) == 0 && strcmp(t, "out") == 0)
      seen |= 1;
    else if (strncmp(stream, "stderr ", 7) == 0 && strcmp(t, "err") == 0)
      seen |= 2;
    else
      fail_msg("unexpected log line \"%s\"", l);
  }
  assert_int_equal(lines, 2);
  assert_int_equal(seen, 3);

  assert_state(&c, "stopped", NULL);
  assert_int_equal(runtime_delete(&F.rt, c.id, false, &err), 0);
  assert_true(runtime_state(&F.rt, c.id, NULL, NULL, &err) < 0);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "does not exist"));
  crio_err_free(err);
  err = NULL;
  assert_int_equal(runtime_delete(&F.rt, c.id, false, &err), 0);   /* absent: fine */
  assert_int_equal(conmon_cleanup(F.sockets, c.id, &err), 0);
  _cleanup_free_ char *link = path_join(F.sockets, c.id);
  struct stat st;
  assert_int_equal(lstat(link, &st), -1);
  ctr_free(&c);
}

static void read_cgroup_value(const ctr *c, const char *controller, const char *file, char **out)
{
  _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s%s/%s", controller, c->cgroup, file);
  crio_err *err = NULL;
  if (read_file(p, out, NULL, &err) < 0)
    fail_msg("%s", err->message);
}

static void test_pause_update_kill(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const args[] = { "sleep", "1000" };
  ctr c = { 0 };
  ctr_prepare(&c, "sleep", (oci_strv){ args, 2 }, 0);
  ctr_create_ok(&c);
  crio_err *err = NULL;
  assert_int_equal(runtime_start(&F.rt, c.id, &err), 0);
  int pid = 0;
  assert_state(&c, "running", &pid);
  assert_int_equal(pid, c.pid);
  _cleanup_free_ char *sock = conmon_attach_socket_path(F.sockets, c.id);
  struct stat st;
  assert_int_equal(stat(sock, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  _cleanup_free_ char *adj = xasprintf("/proc/%d/oom_score_adj", pid);
  _cleanup_free_ char *adj_text = NULL, *own_text = NULL;
  assert_int_equal(read_file(adj, &adj_text, NULL, NULL), 0);
  assert_int_equal(read_file("/proc/self/oom_score_adj", &own_text, NULL, NULL), 0);
  assert_int_equal(atoi(adj_text), oci_oom_score_adj_clamp(-998));

  assert_int_equal(runtime_pause(&F.rt, c.id, &err), 0);
  assert_state(&c, "paused", NULL);
  assert_true(runtime_pause(&F.rt, c.id, &err) < 0);   /* twice: the runtime says why */
  assert_non_null(err);
  print_message("pause twice: %s\n", err->message);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(runtime_resume(&F.rt, c.id, &err), 0);
  assert_state(&c, "running", NULL);

  oci_resources res = { .memory_limit = 48 << 20, .pids_limit = 32 };
  _cleanup_free_ char *json = oci_resources_json(&res);
  if (runtime_update(&F.rt, c.id, json, &err) < 0)
    fail_msg("update: %s", err->message);
  _cleanup_free_ char *limit = NULL, *pids = NULL;
  read_cgroup_value(&c, "memory", "memory.limit_in_bytes", &limit);
  assert_int_equal(strtoll(limit, NULL, 10), 48 << 20);
  read_cgroup_value(&c, "pids", "pids.max", &pids);
  assert_int_equal(atoi(pids), 32);

  assert_int_equal(runtime_kill(&F.rt, c.id, SIGKILL, false, &err), 0);
  assert_int_equal(wait_exit(&c, 20), 137);
  assert_false(conmon_oom_killed(c.persist));
  assert_state(&c, "stopped", NULL);
  assert_true(runtime_kill(&F.rt, c.id, SIGKILL, false, &err) < 0);
  print_message("kill a stopped container: %s\n", err->message);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(runtime_delete(&F.rt, c.id, false, &err), 0);
  ctr_free(&c);
}

static void test_oom_kill(void **state)
{
  (void) state;
  NEED_ROOT();
  /* busybox tail keeps the "last line" of an endless stream without newlines */
  char *const args[] = { "tail", "/dev/zero" };
  ctr c = { 0 };
  ctr_prepare(&c, "oom", (oci_strv){ args, 2 }, 8 << 20);
  ctr_create_ok(&c);
  crio_err *err = NULL;
  assert_int_equal(runtime_start(&F.rt, c.id, &err), 0);
  assert_int_equal(wait_exit(&c, 60), 137);
  assert_true(conmon_oom_killed(c.persist));
  assert_int_equal(runtime_delete(&F.rt, c.id, false, &err), 0);
  ctr_free(&c);
}

static void test_runtime_error_reported(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const args[] = { "no-such-command" };
  ctr c = { 0 };
  ctr_prepare(&c, "noexec", (oci_strv){ args, 1 }, 0);
  free(c.log);
  c.log = NULL;   /* conmon gets "-l none" */
  crio_err *err = NULL;
  assert_true(ctr_create(&c, &err) < 0);
  print_message("create: %s\n", err->message);
  assert_non_null(strstr(err->message, "executable file not found"));
  assert_non_null(strstr(err->message, c.id));
  assert_null(strstr(err->message, "level=error"));
  crio_err_free(err);
  err = NULL;
  bool exists = true;
  int code;
  assert_int_equal(conmon_read_exit(F.exits, c.id, &code, &exists, &err), 0);
  assert_false(exists);
  assert_true(runtime_state(&F.rt, c.id, NULL, NULL, &err) < 0);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  crio_err_free(err);
  err = NULL;
  assert_true(runtime_start(&F.rt, c.id, &err) < 0);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  crio_err_free(err);
  ctr_free(&c);
}

static void test_bad_options_refused(void **state)
{
  (void) state;
  NEED_ROOT();
  crio_err *err = NULL;
  char long_dir[120];
  memset(long_dir, 'x', sizeof long_dir - 1);
  long_dir[0] = '/';
  long_dir[sizeof long_dir - 1] = '\0';
  assert_null(conmon_attach_socket_path(long_dir, "abc"));
  _cleanup_free_ char *fits = conmon_attach_socket_path(F.sockets, "abc");
  assert_non_null(fits);
  conmon_create_opts o = { .conmon_path = "/nonexistent/conmon", .runtime_path = F.runc,
                           .id = "abc", .bundle = F.tmp, .exit_dir = F.exits,
                           .socket_dir = F.sockets };
  pid_t pid;
  assert_true(conmon_create_container(&o, &pid, &err) < 0);
  assert_int_equal(err->code, CRIO_E_UNAVAILABLE);
  crio_err_free(err);
  err = NULL;
  o.conmon_path = F.conmon;
  o.runtime_path = "runc";   /* conmon needs an absolute path */
  assert_true(conmon_create_container(&o, &pid, &err) < 0);
  assert_int_equal(err->code, CRIO_E_INVALID);
  crio_err_free(err);
  err = NULL;
  oci_runtime missing = { .path = "/nonexistent/runc" };
  assert_true(runtime_start(&missing, "abc", &err) < 0);
  assert_int_equal(err->code, CRIO_E_UNAVAILABLE);
  print_message("missing runtime: %s\n", err->message);
  crio_err_free(err);
}

static void test_runtime_error_message(void **state)
{
  (void) state;
  char *m = runtime_error_message("time=\"2024-01-01T00:00:00Z\" level=warning msg=\"w\"\n"
                                  "time=\"2024-01-01T00:00:00Z\" level=error msg=\"exec: \\\"x\\\": "
                                  "not found\"\n");
  assert_string_equal(m, "exec: \"x\": not found");
  free(m);
  m = runtime_error_message("{\"level\":\"error\",\"msg\":\"container does not exist\"}\n");
  assert_string_equal(m, "container does not exist");
  free(m);
  m = runtime_error_message("cgroups in hybrid mode not supported\n");
  assert_string_equal(m, "cgroups in hybrid mode not supported");
  free(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_runtime_error_message),
    cmocka_unit_test(test_exit_code_and_cri_log),
    cmocka_unit_test(test_pause_update_kill),
    cmocka_unit_test(test_oom_kill),
    cmocka_unit_test(test_runtime_error_reported),
    cmocka_unit_test(test_bad_options_refused),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
