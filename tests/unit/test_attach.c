/* conmon's attach socket and control FIFO with real containers (conmon +
 * runc on the busybox fixture's rootfs): stdin reaches the container, output
 * written after attaching arrives on the right stream, closing stdin with
 * stdin_once ends the container's input, a terminal is resized, a socket
 * path longer than a unix address works. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/runtime/attach.h"
#include "server/runtime/conmon.h"
#include "util/strbuf.h"
#include "ctr_test_util.h"

typedef struct fixture {
  char *long_sockets;   /* SOCKDIR/<id>/attach longer than sun_path */
} fixture;

static ctr_test_env F;
static fixture X;

static int group_setup(void **state)
{
  (void) state;
  if (geteuid() != 0)
    return 0;
  ctr_test_env_setup(&F, "/tmp/crio-attach-XXXXXX");
  X.long_sockets = xasprintf("%s/%0120d", F.tmp, 0);
  assert_int_equal(mkdir(X.long_sockets, 0700), 0);
  return 0;
}

static int group_teardown(void **state)
{
  (void) state;
  if (!F.tmp)
    return 0;
  ctr_test_env_teardown(&F);
  free(X.long_sockets);
  return 0;
}

typedef struct ctr {
  char *id;
  char *bundle;
  const char *sockets;
  int fd;   /* attached */
} ctr;

typedef struct ctr_opts {
  const char *script;   /* sh -c SCRIPT */
  bool terminal;
  bool stdin_once;
  bool long_socket_dir;
} ctr_opts;

/* Creates (conmon with stdin open) and starts a container, then attaches. */
static void ctr_run(ctr *c, const char *name, const ctr_opts *o)
{
  c->id = xasprintf("t%d-%s", (int) getpid(), name);
  c->bundle = path_join(F.tmp, name);
  c->sockets = o->long_socket_dir ? X.long_sockets : F.sockets;
  c->fd = -1;
  assert_int_equal(mkdir(c->bundle, 0700), 0);
  _cleanup_free_ char *cgroup = xasprintf("%s/%s", F.cgroup_parent, c->id);
  char *const args[] = { "sh", "-c", (char *) o->script };
  char *const env[] = { "PATH=" OCI_DEFAULT_PATH, "HOME=/root" };
  oci_spec_input in = { .rootfs = F.rootfs, .readonly_rootfs = true, .args = { args, 3 },
                        .env = { env, 2 }, .terminal = o->terminal, .cgroups_path = cgroup,
                        .resources = { .pids_limit = 64 } };
  ctr_test_write_config(c->bundle, &in);
  crio_err *err = NULL;
  conmon_create_opts co = { .conmon_path = F.conmon, .runtime_path = F.runc,
                            .runtime_root = F.rt.root, .id = c->id, .bundle = c->bundle,
                            .exit_dir = F.exits, .socket_dir = c->sockets, .terminal = o->terminal,
                            .stdin_open = true, .stdin_once = o->stdin_once, .timeout_sec = 30 };
  pid_t pid = 0;
  if (conmon_create_container(&co, &pid, &err) < 0)
    fail_msg("create %s: %s", c->id, err->message);
  if (attach_open(c->sockets, c->id, &c->fd, &err) < 0)
    fail_msg("attach %s: %s", c->id, err->message);
  if (runtime_start(&F.rt, c->id, &err) < 0)
    fail_msg("start %s: %s", c->id, err->message);
}

static void ctr_free(ctr *c)
{
  crio_err *err = NULL;
  if (c->fd >= 0)
    close(c->fd);
  if (runtime_delete(&F.rt, c->id, true, &err) < 0) {
    print_error("delete %s: %s\n", c->id, err->message);
    crio_err_free(err);
  }
  conmon_cleanup(c->sockets, c->id, NULL);
  free(c->id);
  free(c->bundle);
}

/* Reads messages into out[stream] until out[want] holds needle (true), the
 * connection ends or timeout_ms passes (false). */
static bool read_until(int fd, strbuf out[3], int want, const char *needle, int timeout_ms)
{
  int64_t deadline = now_ms() + timeout_ms;
  while (!out[want].data || !strstr(out[want].data, needle)) {
    int64_t left = deadline - now_ms();
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (left <= 0 || poll(&p, 1, (int) left) <= 0)
      return false;
    char buf[ATTACH_READ_MAX];
    int stream = -1;
    size_t n = 0;
    crio_err *err = NULL;
    if (attach_read(fd, &stream, buf, sizeof buf, &n, &err) < 0)
      fail_msg("attach read: %s", err->message);
    if (n == 0) {
      assert_int_equal(stream, 0);
      return false;
    }
    assert_true(stream == 1 || stream == 2);
    strbuf_append(&out[stream], buf, n);
  }
  return true;
}

static void send_stdin(int fd, const char *s)
{
  crio_err *err = NULL;
  if (attach_write_stdin(fd, s, strlen(s), &err) < 0)
    fail_msg("attach write: %s", err->message);
}

static void test_stdin_reaches_container(void **state)
{
  (void) state;
  NEED_ROOT();
  ctr c = { 0 };
  ctr_opts o = { .script = "while read l; do echo \"got $l\"; done", .long_socket_dir = true };
  _cleanup_free_ char *probe = xasprintf("%s/t%d-echo/attach", X.long_sockets, (int) getpid());
  struct sockaddr_un addr;
  assert_true(strlen(probe) >= sizeof addr.sun_path);   /* through /proc/self/fd */
  ctr_run(&c, "echo", &o);
  strbuf out[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  send_stdin(c.fd, "hello\n");
  assert_true(read_until(c.fd, out, 1, "got hello\n", 10000));
  assert_string_equal(out[1].data, "got hello\n");
  /* a second client sees output too, and its input goes to the same stdin */
  int fd2 = -1;
  crio_err *err = NULL;
  assert_int_equal(attach_open(c.sockets, c.id, &fd2, &err), 0);
  strbuf out2[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  send_stdin(fd2, "again\n");
  assert_true(read_until(fd2, out2, 1, "got again\n", 10000));
  assert_true(read_until(c.fd, out, 1, "got again\n", 10000));
  /* without stdin_once, one client leaving leaves stdin open */
  assert_int_equal(attach_close_stdin(fd2, &err), 0);
  close(fd2);
  send_stdin(c.fd, "still\n");
  assert_true(read_until(c.fd, out, 1, "got still\n", 10000));
  assert_null(out[2].data);
  for (int i = 0; i < 3; i++) {
    strbuf_free(&out[i]);
    strbuf_free(&out2[i]);
  }
  ctr_free(&c);
}

static void test_output_after_attach(void **state)
{
  (void) state;
  NEED_ROOT();
  ctr c = { 0 };
  ctr_opts o = { .script = "i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); "
                           "sleep 0.1; done" };
  ctr_run(&c, "ticker", &o);
  strbuf out[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  assert_true(read_until(c.fd, out, 1, "tick 0\n", 10000));
  assert_true(read_until(c.fd, out, 1, "tick 3\n", 10000));
  assert_true(read_until(c.fd, out, 2, "tock 3\n", 10000));
  assert_null(strstr(out[1].data, "tock"));
  assert_null(strstr(out[2].data, "tick"));
  /* a client attaching later sees what is written from then on */
  int late = -1;
  crio_err *err = NULL;
  assert_int_equal(attach_open(c.sockets, c.id, &late, &err), 0);
  strbuf l[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  assert_true(read_until(late, l, 1, "tick", 10000));
  int first = atoi(strstr(l[1].data, "tick") + 5);
  assert_true(first >= 3);
  close(late);
  for (int i = 0; i < 3; i++) {
    strbuf_free(&out[i]);
    strbuf_free(&l[i]);
  }
  ctr_free(&c);
}

static int wait_exit(const ctr *c, int timeout_s)
{
  for (int i = 0; i < timeout_s * 20; i++) {
    int code = 0;
    bool exists = false;
    if (conmon_read_exit(F.exits, c->id, &code, &exists, NULL) == 0 && exists)
      return code;
    usleep(50000);
  }
  fail_msg("container %s: no exit file after %d s", c->id, timeout_s);
  return -1;
}

static void test_close_stdin_once(void **state)
{
  (void) state;
  NEED_ROOT();
  ctr c = { 0 };
  ctr_opts o = { .script = "cat; echo done", .stdin_once = true };
  ctr_run(&c, "once", &o);
  strbuf out[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  send_stdin(c.fd, "x\n");
  assert_true(read_until(c.fd, out, 1, "x\n", 10000));
  crio_err *err = NULL;
  assert_int_equal(attach_close_stdin(c.fd, &err), 0);
  assert_true(read_until(c.fd, out, 1, "done\n", 10000));
  assert_string_equal(out[1].data, "x\ndone\n");
  assert_int_equal(wait_exit(&c, 20), 0);
  /* conmon gone: the end of the stream, then nobody to talk to */
  assert_false(read_until(c.fd, out, 1, "never", 10000));
  int fd = -1;
  assert_true(attach_open(c.sockets, c.id, &fd, &err) < 0);
  print_message("attach after exit: %s\n", err->message);
  assert_true(err->code == CRIO_E_CONFLICT || err->code == CRIO_E_NOT_FOUND);
  crio_err_free(err);
  err = NULL;
  assert_true(attach_resize(c.bundle, 10, 10, &err) < 0);
  print_message("resize after exit: %s\n", err->message);
  assert_int_equal(err->code, CRIO_E_CONFLICT);
  crio_err_free(err);
  for (int i = 0; i < 3; i++)
    strbuf_free(&out[i]);
  ctr_free(&c);
}

static void test_terminal_resize(void **state)
{
  (void) state;
  NEED_ROOT();
  ctr c = { 0 };
  ctr_opts o = { .script = "while read l; do stty size; done", .terminal = true };
  ctr_run(&c, "tty", &o);
  strbuf out[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
  crio_err *err = NULL;
  _cleanup_free_ char *via_link = path_join(c.sockets, c.id);   /* the symlink to the bundle */
  assert_int_equal(attach_resize(via_link, 30, 100, &err), 0);
  bool seen = false;
  for (int i = 0; i < 50 && !seen; i++) {   /* conmon applies it asynchronously */
    send_stdin(c.fd, "x\n");
    seen = read_until(c.fd, out, 1, "30 100\r\n", 200);
  }
  if (!seen)
    fail_msg("stty size never said 30 100: \"%s\"", out[1].data ? out[1].data : "");
  _cleanup_free_ char *ctl = path_join(c.bundle, "ctl");
  assert_int_equal(attach_resize(ctl, 40, 120, &err), 0);
  seen = false;
  for (int i = 0; i < 50 && !seen; i++) {
    send_stdin(c.fd, "x\n");
    seen = read_until(c.fd, out, 1, "40 120\r\n", 200);
  }
  assert_true(seen);
  assert_null(out[2].data);   /* a terminal has one stream */
  for (int i = 0; i < 3; i++)
    strbuf_free(&out[i]);
  ctr_free(&c);
}

static void test_bad_targets(void **state)
{
  (void) state;
  NEED_ROOT();
  int fd = -1;
  crio_err *err = NULL;
  assert_true(attach_open(F.sockets, "no-such-container", &fd, &err) < 0);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "no-such-container"));
  crio_err_free(err);
  err = NULL;
  assert_true(attach_open(F.sockets, "../x", &fd, &err) < 0);
  assert_int_equal(err->code, CRIO_E_INVALID);
  crio_err_free(err);
  err = NULL;
  _cleanup_free_ char *missing = path_join(F.tmp, "no-such-bundle");
  assert_true(attach_resize(missing, 10, 10, &err) < 0);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  crio_err_free(err);
  err = NULL;
  assert_true(attach_resize(F.tmp, 10, 10, &err) < 0);   /* a directory without ctl */
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  crio_err_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_stdin_reaches_container),
    cmocka_unit_test(test_output_after_attach),
    cmocka_unit_test(test_close_stdin_once),
    cmocka_unit_test(test_terminal_resize),
    cmocka_unit_test(test_bad_targets),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
