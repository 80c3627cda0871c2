/* Unit tests for ns_pin (server/network/ns_pin.c): real namespaces pinned by
 * bind mounts under a temporary ns_dir, entered again with setns() as
 * `ip netns exec` does, and removed without leaking mounts. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/network/ns_pin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

typedef struct fx {
  char root[64];
  char *ns_dir;
} fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(path);
}

static int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  strcpy(f->root, "/tmp/crio-nspin-XXXXXX");
  if (!mkdtemp(f->root))
    return -1;
  f->ns_dir = path_join(f->root, "ns");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fx *f = *state;
  while (umount2(f->ns_dir, MNT_DETACH) == 0)
    ;
  nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->ns_dir);
  free(f);
  return 0;
}

/* Mounts under the fixture's directory (other processes' mounts elsewhere
 * on the host do not count). */
static int mount_count(const fx *f)
{
  _cleanup_fclose_ FILE *m = fopen("/proc/self/mountinfo", "re");
  assert_non_null(m);
  char line[4096], mnt[4096];
  size_t len = strlen(f->root);
  int n = 0;
  while (fgets(line, sizeof line, m))
    n += sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strncmp(mnt, f->root, len) == 0;
  return n;
}

/* The mountinfo line whose mount point is path ("" when none), and how many. */
static int mount_lines(const char *path, char *line_out, size_t cap)
{
  _cleanup_fclose_ FILE *m = fopen("/proc/self/mountinfo", "re");
  char line[4096], mnt[4096];
  int n = 0;
  while (fgets(line, sizeof line, m))
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, path) == 0) {
      n++;
      snprintf(line_out, cap, "%s", line);
    }
  return n;
}

static bool exists(const char *p)
{
  struct stat st;
  return lstat(p, &st) == 0;
}

static size_t dir_entries(const char *dir)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  return n;
}

static void must_create(fx *f, const char *id, int kinds, const char *host, ns_pins *p)
{
  crio_err *err = NULL;
  if (ns_pin_create(f->ns_dir, id, kinds, host, p, &err) < 0)
    fail_msg("ns_pin_create %s: %s", id, err->message);
}

/* ---------------------------------------------------------- entering pins */

static int enter(const char *path, int nstype)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int r = setns(fd, nstype);
  close(fd);
  return r;
}

/* In a child, as `ip netns exec` would: enter the pins, then report what is
 * seen. Exit codes name the first check that failed. */
static int check_in_child(const ns_pins *p, const char *hostname)
{
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (enter(p->net, CLONE_NEWNET) < 0)
      _exit(10);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
      _exit(11);
    if (!(ifr.ifr_flags & IFF_UP))
      _exit(12);
    /* only lo lives in a fresh netns: index 2 does not exist */
    if (if_indextoname(2, ifr.ifr_name))
      _exit(13);
    if (enter(p->uts, CLONE_NEWUTS) < 0)
      _exit(20);
    char h[256] = "";
    if (gethostname(h, sizeof h) < 0 || strcmp(h, hostname) != 0)
      _exit(21);
    if (enter(p->ipc, CLONE_NEWIPC) < 0)
      _exit(30);
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static ino_t ns_ino(const char *path)
{
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_ino;
}

/* ------------------------------------------------------------------ tests */

static void test_pin_all(void **state)
{
  fx *f = *state;
  char host_before[256], host_after[256];
  gethostname(host_before, sizeof host_before);
  int before = mount_count(f);
  ns_pins p = {0};
  must_create(f, "pod1", NS_PIN_NET | NS_PIN_IPC | NS_PIN_UTS, "pod-one", &p);

  _cleanup_free_ char *net = xasprintf("%s/netns/pod1", f->ns_dir);
  _cleanup_free_ char *uts = xasprintf("%s/utsns/pod1", f->ns_dir);
  assert_string_equal(p.net, net);
  assert_string_equal(p.uts, uts);
  assert_non_null(p.ipc);
  assert_true(ns_pin_valid(p.net) && ns_pin_valid(p.ipc) && ns_pin_valid(p.uts));
  assert_true(ns_ino(p.net) != ns_ino("/proc/self/ns/net"));
  assert_true(ns_ino(p.ipc) != ns_ino("/proc/self/ns/ipc"));
  assert_true(ns_ino(p.uts) != ns_ino("/proc/self/ns/uts"));
  /* ns_dir itself + the three pins */
  assert_int_equal(mount_count(f), before + 4);
  assert_int_equal(check_in_child(&p, "pod-one"), 0);
  gethostname(host_after, sizeof host_after);
  assert_string_equal(host_before, host_after);
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* the pin child was reaped */

  crio_err *err = NULL;
  assert_int_equal(ns_pin_remove(&p, &err), 0);
  assert_false(exists(p.net) || exists(p.ipc) || exists(p.uts));
  assert_int_equal(mount_count(f), before + 1);
  assert_int_equal(ns_pin_remove(&p, &err), 0); /* again: nothing to do */
  assert_null(err);
  ns_pins_clear(&p);
  assert_null(p.net);
}

static void test_ns_dir_is_one_unbindable_mount(void **state)
{
  fx *f = *state;
  ns_pins a = {0}, b = {0};
  must_create(f, "a", NS_PIN_NET, NULL, &a);
  must_create(f, "b", NS_PIN_IPC, NULL, &b);
  char line[4096] = "";
  assert_int_equal(mount_lines(f->ns_dir, line, sizeof line), 1);
  assert_non_null(strstr(line, " unbindable "));
  assert_null(strstr(line, "shared:"));
  assert_int_equal(ns_pin_remove(&a, NULL), 0);
  assert_int_equal(ns_pin_remove(&b, NULL), 0);
  ns_pins_clear(&a);
  ns_pins_clear(&b);
}

static void test_pin_net_only_ignores_hostname(void **state)
{
  fx *f = *state;
  char host_before[256], host_after[256];
  gethostname(host_before, sizeof host_before);
  ns_pins p = {0};
  must_create(f, "netonly", NS_PIN_NET, "not-the-host", &p);
  assert_non_null(p.net);
  assert_null(p.ipc);
  assert_null(p.uts);
  _cleanup_free_ char *uts_dir = path_join(f->ns_dir, "utsns");
  _cleanup_free_ char *ipc_dir = path_join(f->ns_dir, "ipcns");
  assert_int_equal(dir_entries(uts_dir), 0);
  assert_int_equal(dir_entries(ipc_dir), 0);
  gethostname(host_after, sizeof host_after);
  assert_string_equal(host_before, host_after);
  assert_int_equal(ns_pin_remove(&p, NULL), 0);
  ns_pins_clear(&p);
}

static void expect_invalid(fx *f, const char *id, int kinds, const char *host, const char *msg)
{
  ns_pins p = {0};
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(ns_pin_create(f->ns_dir, id, kinds, host, &p, &err), -CRIO_E_INVALID);
  assert_non_null(err);
  if (!strstr(err->message, msg))
    fail_msg("message \"%s\" lacks \"%s\"", err->message, msg);
  assert_null(p.net);
}

static void test_bad_input_refused_before_anything(void **state)
{
  fx *f = *state;
  int before = mount_count(f);
  int all = NS_PIN_NET | NS_PIN_IPC | NS_PIN_UTS;
  expect_invalid(f, "a/b", all, "h", "a/b");
  expect_invalid(f, "..", all, "h", "\"..\"");
  expect_invalid(f, "", all, "h", "invalid pod id");
  expect_invalid(f, "ok", 0, "h", "invalid kinds");
  expect_invalid(f, "ok", 8, "h", "invalid kinds");
  expect_invalid(f, "ok", all, "-bad", "-bad");
  expect_invalid(f, "ok", all, "a.b_c", "a.b_c");
  assert_false(exists(f->ns_dir));
  assert_int_equal(mount_count(f), before);
}

static void test_failure_midway_leaves_nothing(void **state)
{
  fx *f = *state;
  ns_pins p = {0};
  must_create(f, "first", NS_PIN_UTS, "h", &p); /* sets ns_dir up */
  assert_int_equal(ns_pin_remove(&p, NULL), 0);
  ns_pins_clear(&p);
  /* someone else's file where the UTS pin would go: the net and IPC pins are
   * made first, then must be undone; the stranger's file stays */
  _cleanup_free_ char *stranger = xasprintf("%s/utsns/mid", f->ns_dir);
  assert_int_equal(write_file_atomic(stranger, "x", 1, 0644, NULL), 0);
  int before = mount_count(f);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(
      ns_pin_create(f->ns_dir, "mid", NS_PIN_NET | NS_PIN_IPC | NS_PIN_UTS, "h", &p, &err),
      -CRIO_E_EXISTS);
  assert_non_null(strstr(err->message, stranger));
  assert_null(p.net);
  assert_int_equal(mount_count(f), before);
  _cleanup_free_ char *net = xasprintf("%s/netns/mid", f->ns_dir);
  _cleanup_free_ char *ipc = xasprintf("%s/ipcns/mid", f->ns_dir);
  assert_false(exists(net) || exists(ipc));
  assert_true(exists(stranger) && !ns_pin_valid(stranger));
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_duplicate_pod_keeps_first(void **state)
{
  fx *f = *state;
  ns_pins p = {0}, q = {0};
  must_create(f, "dup", NS_PIN_NET | NS_PIN_UTS, "h", &p);
  ino_t ino = ns_ino(p.net);
  int before = mount_count(f);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(ns_pin_create(f->ns_dir, "dup", NS_PIN_NET, NULL, &q, &err), -CRIO_E_EXISTS);
  assert_int_equal(mount_count(f), before);
  assert_true(ns_pin_valid(p.net) && ns_pin_valid(p.uts));
  assert_int_equal(ns_ino(p.net), ino);
  assert_int_equal(ns_pin_remove(&p, NULL), 0);
  ns_pins_clear(&p);
}

static void test_cycles_leak_nothing(void **state)
{
  fx *f = *state;
  ns_pins p = {0};
  must_create(f, "warm", NS_PIN_NET, NULL, &p);
  assert_int_equal(ns_pin_remove(&p, NULL), 0);
  ns_pins_clear(&p);
  int before = mount_count(f);
  int fds_before = (int)dir_entries("/proc/self/fd");
  for (int i = 0; i < 20; i++) {
    must_create(f, "cycle", NS_PIN_NET | NS_PIN_IPC | NS_PIN_UTS, "cycle", &p);
    assert_int_equal(ns_pin_remove(&p, NULL), 0);
    ns_pins_clear(&p);
  }
  assert_int_equal(mount_count(f), before);
  assert_int_equal((int)dir_entries("/proc/self/fd"), fds_before);
  const char *subs[] = {"netns", "ipcns", "utsns"};
  for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
    _cleanup_free_ char *d = path_join(f->ns_dir, subs[i]);
    assert_int_equal(dir_entries(d), 0);
  }
}

typedef struct thread_arg {
  fx *f;
  char id[16];
  int ret;
} thread_arg;

static void *pin_thread(void *a)
{
  thread_arg *t = a;
  for (int i = 0; i < 5 && t->ret == 0; i++) {
    ns_pins p = {0};
    t->ret = ns_pin_create(t->f->ns_dir, t->id, NS_PIN_NET | NS_PIN_UTS, t->id, &p, NULL);
    if (t->ret == 0)
      t->ret = ns_pin_valid(p.net) ? ns_pin_remove(&p, NULL) : -1;
    ns_pins_clear(&p);
  }
  return NULL;
}

/* Pods started at once from several threads (the daemon's case): one
 * ns_dir mount, no deadlock between children holding each other's pipes. */
static void test_concurrent_pins(void **state)
{
  fx *f = *state;
  int before = mount_count(f);
  pthread_t th[4];
  thread_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thread_arg){f, "", 0};
    snprintf(args[i].id, sizeof args[i].id, "t%d", i);
    assert_int_equal(pthread_create(&th[i], NULL, pin_thread, &args[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].ret, 0);
  }
  assert_int_equal(mount_count(f), before + 1);
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_ns_pin needs root (namespaces, mounts)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_pin_all),
      T(test_ns_dir_is_one_unbindable_mount),
      T(test_pin_net_only_ignores_hostname),
      T(test_bad_input_refused_before_anything),
      T(test_failure_midway_leaves_nothing),
      T(test_duplicate_pod_keeps_first),
      T(test_cycles_leak_nothing),
      T(test_concurrent_pins),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
