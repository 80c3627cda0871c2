/* Exec in a real container (conmon + runc on the busybox fixture's rootfs):
 * ExecSync output, exit codes, timeouts that leave nothing running, the
 * runtime's errors; streaming exec with a terminal (input, output, resize)
 * and with pipes. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/runtime/conmon.h"
#include "server/runtime/exec.h"
#include "util/strbuf.h"
#include "ctr_test_util.h"

typedef struct fixture {
  char *bundle;
  char *id;          /* the running `sleep 1000` */
} fixture;

static ctr_test_env F;
static fixture X;

/* A `sleep 1000` container, created by conmon and started. */
static void start_container(void)
{
  X.id = xasprintf("t%d-exec", (int) getpid());
  X.bundle = path_join(F.tmp, "bundle");
  assert_int_equal(mkdir(X.bundle, 0700), 0);
  _cleanup_free_ char *cgroup = xasprintf("%s/%s", F.cgroup_parent, X.id);
  char *const args[] = { "sleep", "1000" };
  char *const env[] = { "PATH=" OCI_DEFAULT_PATH, "HOME=/root" };
  oci_spec_input in = { .rootfs = F.rootfs, .readonly_rootfs = true, .args = { args, 2 },
                        .env = { env, 2 }, .hostname = "ctr", .cgroups_path = cgroup,
                        .resources = { .pids_limit = 64 } };
  ctr_test_write_config(X.bundle, &in);
  crio_err *err = NULL;
  conmon_create_opts o = { .conmon_path = F.conmon, .runtime_path = F.runc,
                           .runtime_root = F.rt.root, .id = X.id, .bundle = X.bundle,
                           .exit_dir = F.exits, .socket_dir = F.sockets, .timeout_sec = 30 };
  pid_t pid = 0;
  if (conmon_create_container(&o, &pid, &err) < 0)
    fail_msg("create %s: %s", X.id, err->message);
  if (runtime_start(&F.rt, X.id, &err) < 0)
    fail_msg("start %s: %s", X.id, err->message);
}

static int group_setup(void **state)
{
  (void) state;
  if (geteuid() != 0)
    return 0;
  ctr_test_env_setup(&F, "/tmp/crio-exec-test-XXXXXX");
  start_container();
  return 0;
}

static int group_teardown(void **state)
{
  (void) state;
  if (!F.tmp)
    return 0;
  crio_err *err = NULL;
  if (X.id && runtime_delete(&F.rt, X.id, true, &err) < 0) {
    print_error("delete %s: %s\n", X.id, err->message);
    crio_err_free(err);
  }
  if (X.id)
    conmon_cleanup(F.sockets, X.id, NULL);
  ctr_test_env_teardown(&F);
  free(X.bundle);
  free(X.id);
  return 0;
}

typedef struct sync_result {
  int r;
  char *out, *err;
  size_t out_len, err_len;
  int code;
  bool timed_out;
  crio_err *e;
} sync_result;

static void sync_result_free(sync_result *s)
{
  free(s->out);
  free(s->err);
  crio_err_free(s->e);
}

static sync_result exec_sync(char *const *argv, int timeout_s)
{
  sync_result s = { 0 };
  s.r = runtime_exec_sync(&F.rt, X.id, argv, NULL, timeout_s, &s.out, &s.out_len, &s.err, &s.err_len,
                          &s.code, &s.timed_out, &s.e);
  return s;
}

static void test_sync_output_and_exit_code(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const argv[] = { "sh", "-c", "echo hi; echo err >&2; exit 3", NULL };
  sync_result s = exec_sync(argv, 10);
  if (s.r < 0)
    fail_msg("exec: %s", s.e->message);
  assert_string_equal(s.out, "hi\n");
  assert_int_equal(s.out_len, 3);
  assert_string_equal(s.err, "err\n");
  assert_int_equal(s.err_len, 4);
  assert_int_equal(s.code, 3);
  assert_false(s.timed_out);
  sync_result_free(&s);

  char *const t[] = { "true", NULL };
  s = exec_sync(t, 0);
  assert_int_equal(s.r, 0);
  assert_string_equal(s.out, "");
  assert_string_equal(s.err, "");
  assert_int_equal(s.code, 0);
  sync_result_free(&s);

  /* a command killed by a signal: 128 + signal */
  char *const k[] = { "sh", "-c", "kill -9 $$", NULL };
  s = exec_sync(k, 10);
  assert_int_equal(s.r, 0);
  assert_int_equal(s.code, 137);
  sync_result_free(&s);
}

static void test_sync_output_capped(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const argv[] = { "sh", "-c", "head -c 17000000 /dev/zero; echo done >&2", NULL };
  sync_result s = exec_sync(argv, 60);
  if (s.r < 0)
    fail_msg("exec: %s", s.e->message);
  assert_int_equal(s.out_len, EXEC_SYNC_OUTPUT_MAX);
  assert_string_equal(s.err, "done\n");
  assert_int_equal(s.code, 0);
  sync_result_free(&s);
}

/* Whether a process of the container runs argv `cmd` (ps inside it). */
static bool container_runs(const char *cmd)
{
  char *const ps[] = { "ps", "-o", "pid,args", NULL };
  sync_result s = exec_sync(ps, 10);
  if (s.r < 0)
    fail_msg("ps: %s", s.e->message);
  bool found = false;
  char *save = NULL;
  for (char *l = strtok_r(s.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    size_t n = strlen(l), c = strlen(cmd);
    if (n >= c && strcmp(l + n - c, cmd) == 0 && (n == c || l[n - c - 1] == ' '))
      found = true;
  }
  sync_result_free(&s);
  return found;
}

static void test_sync_timeout_kills(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const argv[] = { "sleep", "10", NULL };
  int64_t t0 = now_ms();
  sync_result s = exec_sync(argv, 1);
  int64_t took = now_ms() - t0;
  if (s.r < 0)
    fail_msg("exec: %s", s.e->message);
  assert_true(s.timed_out);
  assert_int_equal(s.code, EXEC_TIMEOUT_EXIT_CODE);
  print_message("timed out after %lld ms\n", (long long) took);
  assert_true(took >= 900 && took < 2500);
  sync_result_free(&s);
  assert_false(container_runs("sleep 10"));

  /* a shell and its child: the whole process group goes */
  char *const sh[] = { "sh", "-c", "echo started; sleep 11; echo never", NULL };
  s = exec_sync(sh, 1);
  assert_int_equal(s.r, 0);
  assert_true(s.timed_out);
  assert_string_equal(s.out, "started\n");
  sync_result_free(&s);
  assert_false(container_runs("sleep 11"));
  assert_true(container_runs("sleep 1000"));   /* the container's own process is untouched */
}

static void expect_sync_error(char *const *argv, const char *id, crio_code code, const char *text)
{
  sync_result s = { 0 };
  s.r = runtime_exec_sync(&F.rt, id, argv, NULL, 10, &s.out, &s.out_len, &s.err, &s.err_len, &s.code,
                          &s.timed_out, &s.e);
  assert_true(s.r < 0);
  print_message("%s: %s\n", argv[0] ? argv[0] : "(empty)", s.e->message);
  assert_int_equal(s.e->code, code);
  assert_non_null(strstr(s.e->message, text));
  assert_null(strstr(s.e->message, "level=error"));
  assert_null(s.out);
  assert_null(s.err);
  sync_result_free(&s);
}

static void test_sync_runtime_errors(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const missing[] = { "no-such-command", "x", NULL };
  expect_sync_error(missing, X.id, CRIO_E_NOT_FOUND, "executable file not found");
  expect_sync_error(missing, X.id, CRIO_E_NOT_FOUND, X.id);
  char *const not_exec[] = { "/etc/passwd", NULL };
  expect_sync_error(not_exec, X.id, CRIO_E_INVALID, "permission denied");
  char *const t[] = { "true", NULL };
  expect_sync_error(t, "no-such-container", CRIO_E_NOT_FOUND, "does not exist");
  char *const empty[] = { NULL };
  expect_sync_error(empty, X.id, CRIO_E_INVALID, "empty command");
  oci_runtime bad = { .path = "/nonexistent/runc" };
  sync_result s = { 0 };
  assert_true(runtime_exec_sync(&bad, X.id, t, NULL, 0, NULL, NULL, NULL, NULL, &s.code, &s.timed_out,
                                &s.e) < 0);
  assert_int_equal(s.e->code, CRIO_E_UNAVAILABLE);
  crio_err_free(s.e);
}

/* Reads fd into acc until it holds needle (true) or timeout_ms passes, or
 * the fd ends (false). */
static bool read_until(int fd, strbuf *acc, const char *needle, int timeout_ms)
{
  int64_t deadline = now_ms() + timeout_ms;
  while (!acc->data || !strstr(acc->data, needle)) {
    int64_t left = deadline - now_ms();
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (left <= 0 || poll(&p, 1, (int) left) <= 0)
      return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
      return false;
    strbuf_append(acc, buf, (size_t) n);
  }
  return true;
}

static void write_all(int fd, const char *s)
{
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t) strlen(s));
}

/* A shell reading commands from the terminal. Not an interactive `sh`:
 * runc sets the container pty's size once the shell runs, and busybox's
 * line editor, redrawing on that SIGWINCH, may lose a line typed meanwhile. */
static char *const tty_shell[] = { "sh", "-c", "while read -r l; do eval \"$l\"; done", NULL };

static void test_start_tty(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const *argv = tty_shell;
  exec_session s;
  crio_err *err = NULL;
  if (runtime_exec_start(&F.rt, X.id, argv, NULL, true, true, &s, &err) < 0)
    fail_msg("exec start: %s", err->message);
  assert_true(s.pty >= 0);
  assert_int_equal(s.in, -1);
  assert_int_equal(s.out, -1);
  assert_int_equal(s.err, -1);
  assert_true(s.pid > 1);
  assert_int_equal(kill(s.pid, 0), 0);
  /* the runtime leads a session whose controlling terminal is the pty (the
   * kernel's SIGWINCH on a resize needs it): field 7 of stat, tty_nr */
  _cleanup_free_ char *stat_path = xasprintf("/proc/%d/stat", (int) s.runc_pid);
  _cleanup_free_ char *stat_text = NULL;
  assert_int_equal(read_file(stat_path, &stat_text, NULL, NULL), 0);
  int sid = 0, tty_nr = 0;
  assert_int_equal(sscanf(strrchr(stat_text, ')') + 2, "%*c %*d %*d %d %d", &sid, &tty_nr), 2);
  assert_int_equal(sid, s.runc_pid);
  assert_int_not_equal(tty_nr, 0);
  write_all(s.pty, "echo $((6*7))\nexit 5\n");
  _cleanup_strbuf_ strbuf acc = STRBUF_INIT;
  if (!read_until(s.pty, &acc, "42\r\n", 10000))
    fail_msg("no 42 from the terminal; got \"%s\"", acc.data ? acc.data : "");
  int code = -1;
  assert_int_equal(exec_session_wait(&s, &code, &err), 0);
  assert_int_equal(code, 5);
  assert_true(exec_session_wait(&s, &code, &err) < 0);   /* only once */
  crio_err_free(err);
  exec_session_close(&s);
  assert_int_equal(s.pty, -1);
}

/* `stty size` until it says want: the runtime applies a size (the first
 * one, a resize on SIGWINCH) asynchronously. */
static void expect_stty_size(int pty, strbuf *acc, const char *want)
{
  _cleanup_free_ char *line = xasprintf("%s\r\n", want);
  for (int i = 0; i < 50; i++) {
    write_all(pty, "stty size\n");
    if (read_until(pty, acc, line, 200))
      return;
  }
  fail_msg("stty size never said %s: \"%s\"", want, acc->data ? acc->data : "");
}

static void test_start_tty_resize(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const *argv = tty_shell;
  exec_session s;
  crio_err *err = NULL;
  if (runtime_exec_start(&F.rt, X.id, argv, NULL, true, true, &s, &err) < 0)
    fail_msg("exec start: %s", err->message);
  _cleanup_strbuf_ strbuf acc = STRBUF_INIT;
  expect_stty_size(s.pty, &acc, "24 80");   /* the initial size */
  assert_int_equal(exec_session_resize(&s, 30, 100, &err), 0);
  expect_stty_size(s.pty, &acc, "30 100");
  write_all(s.pty, "exit\n");
  int code = -1;
  assert_int_equal(exec_session_wait(&s, &code, &err), 0);
  assert_int_equal(code, 0);
  exec_session_close(&s);
}

static void test_start_pipes(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const argv[] = { "sh", "-c", "cat; echo bye >&2; exit 4", NULL };
  exec_session s;
  crio_err *err = NULL;
  if (runtime_exec_start(&F.rt, X.id, argv, NULL, false, true, &s, &err) < 0)
    fail_msg("exec start: %s", err->message);
  assert_int_equal(s.pty, -1);
  assert_true(s.in >= 0 && s.out >= 0 && s.err >= 0);
  assert_int_equal(exec_session_resize(&s, 10, 10, &err), -CRIO_E_INVALID);
  crio_err_free(err);
  err = NULL;
  write_all(s.in, "ping\n");
  _cleanup_strbuf_ strbuf out = STRBUF_INIT, errs = STRBUF_INIT;
  assert_true(read_until(s.out, &out, "ping\n", 10000));
  close(s.in);   /* EOF for cat */
  s.in = -1;
  assert_true(read_until(s.err, &errs, "bye\n", 10000));
  assert_false(read_until(s.out, &out, "never", 10000));   /* ends at EOF */
  assert_string_equal(out.data, "ping\n");
  int code = -1;
  assert_int_equal(exec_session_wait(&s, &code, &err), 0);
  assert_int_equal(code, 4);
  exec_session_close(&s);

  /* no stdin: /dev/null, cat ends at once */
  char *const cat[] = { "cat", NULL };
  assert_int_equal(runtime_exec_start(&F.rt, X.id, cat, NULL, false, false, &s, &err), 0);
  assert_int_equal(s.in, -1);
  assert_int_equal(exec_session_wait(&s, &code, &err), 0);
  assert_int_equal(code, 0);
  exec_session_close(&s);
}

static void test_start_errors_and_close(void **state)
{
  (void) state;
  NEED_ROOT();
  char *const missing[] = { "no-such-command", NULL };
  exec_session s;
  crio_err *err = NULL;
  for (int tty = 0; tty < 2; tty++) {
    assert_true(runtime_exec_start(&F.rt, X.id, missing, NULL, tty, true, &s, &err) < 0);
    print_message("exec start (tty %d): %s\n", tty, err->message);
    assert_int_equal(err->code, CRIO_E_NOT_FOUND);
    assert_non_null(strstr(err->message, "executable file not found"));
    assert_int_equal(s.pty, -1);
    assert_int_equal(s.runc_pid, 0);
    crio_err_free(err);
    err = NULL;
  }
  /* closing a running session kills it: nothing stays behind */
  char *const sleeper[] = { "sh", "-c", "sleep 12; true", NULL };
  assert_int_equal(runtime_exec_start(&F.rt, X.id, sleeper, NULL, false, false, &s, &err), 0);
  assert_true(container_runs("sleep 12"));
  pid_t pid = s.pid;
  exec_session_close(&s);
  assert_int_equal(s.runc_pid, 0);
  for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
    usleep(20000);
  assert_int_equal(kill(pid, 0), -1);
  assert_false(container_runs("sleep 12"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sync_output_and_exit_code),
    cmocka_unit_test(test_sync_output_capped),
    cmocka_unit_test(test_sync_timeout_kills),
    cmocka_unit_test(test_sync_runtime_errors),
    cmocka_unit_test(test_start_tty),
    cmocka_unit_test(test_start_tty_resize),
    cmocka_unit_test(test_start_pipes),
    cmocka_unit_test(test_start_errors_and_close),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
