/* Unit tests for cgroup_stats (server/cgroups/cgroup_stats*.c): the v2 file
 * formats from fixture files, the CPU rate, a missing cgroup, and real
 * cgroups — v1 controllers and the v2 tree — holding a child that burns CPU
 * and touches 32 MiB. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/cgroups/cgroup_detect.h"
#include "server/cgroups/cgroup_pod.h"
#include "server/cgroups/cgroup_stats.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MIB (1024ULL * 1024ULL)
#define TOUCH_BYTES (32 * MIB)
#define MEM_LIMIT (256 * MIB)
#define PIDS_LIMIT 64
#define IO_BYTES (1 * MIB)

/* ------------------------------------------------------------- helpers */

static int write_str(const char *path, const char *s)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t w = write(fd, s, strlen(s));
  int e = w < 0 ? errno : 0;
  close(fd);
  return w < 0 ? -e : 0;
}

static void write_fixture(const char *dir, const char *file, const char *text)
{
  _cleanup_free_ char *path = path_join(dir, file);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_ok(int (*reader)(const char *, cgroup_stats *, crio_err **), const char *arg,
                    cgroup_stats *st)
{
  crio_err *err = NULL;
  if (reader(arg, st, &err) < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err->message);
    crio_err_free(err);
    fail_msg("read stats of %s: %s", arg, msg);
  }
}

/* ---------------------------------------------------------- the child */

/* O_DIRECT I/O bypasses the page cache, so the bytes reach the disk and its
 * blkio counters while the child is still in the cgroup. */
static int direct_io(const char *dir)
{
  _cleanup_free_ char *path = path_join(dir, "io");
  void *buf = NULL;
  if (posix_memalign(&buf, 4096, IO_BYTES) != 0)
    return -1;
  memset(buf, 'x', IO_BYTES);
  int fd = open(path, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  int ok = fd >= 0 && write(fd, buf, IO_BYTES) == (ssize_t)IO_BYTES &&
           pread(fd, buf, IO_BYTES, 0) == (ssize_t)IO_BYTES;
  if (fd >= 0)
    close(fd);
  free(buf);
  return ok ? 0 : -1;
}

/* Joins every cgroup.procs file in procs[], does the optional direct I/O,
 * touches TOUCH_BYTES, reports "r" on fd, burns CPU for burn_s, then sleeps
 * until killed. Any failure reports "e". */
static void child_main(char **procs, size_t n, const char *io_dir, int fd, double burn_s)
{
  for (size_t i = 0; i < n; i++)
    if (write_str(procs[i], "0") < 0)
      goto fail;
  if (io_dir && direct_io(io_dir) < 0)
    goto fail;
  char *mem = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    goto fail;
  memset(mem, 1, TOUCH_BYTES);
  if (write(fd, "r", 1) != 1)
    _exit(1);
  double end = now_s() + burn_s;
  volatile uint64_t x = 0;
  while (now_s() < end)
    for (int i = 0; i < 100000; i++)
      x += (uint64_t)i * mem[i % TOUCH_BYTES];
  for (;;)
    pause();
fail:
  if (write(fd, "e", 1) < 0)
    _exit(2);
  _exit(1);
}

static pid_t spawn_child(char **procs, size_t n, const char *io_dir)
{
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    child_main(procs, n, io_dir, p[1], 3.0);
  }
  close(p[1]);
  char c = 0;
  ssize_t got = read(p[0], &c, 1);
  close(p[0]);
  if (got != 1 || c != 'r') {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("the child could not join its cgroups or touch its memory");
  }
  return pid;
}

/* Two samples 0.5 s apart while the child burns. */
static void sample_twice(int (*reader)(const char *, cgroup_stats *, crio_err **),
                         const char *arg, cgroup_stats *s1, cgroup_stats *s2)
{
  read_ok(reader, arg, s1);
  sleep_ms(500);
  read_ok(reader, arg, s2);
}

static void check_cpu(const cgroup_stats *s1, const cgroup_stats *s2)
{
  assert_true(s2->cpu_usage_ns > s1->cpu_usage_ns);
  assert_true(s2->timestamp_ns > s1->timestamp_ns);
  double rate = cgroup_cpu_rate(s1, s2);
  print_message("cpu: %.2f cores while burning (usage %llu ns, user %llu, system %llu)\n", rate,
                (unsigned long long)s2->cpu_usage_ns, (unsigned long long)s2->cpu_user_ns,
                (unsigned long long)s2->cpu_system_ns);
  assert_true(rate > 0.3);
  assert_true(rate < 4.0);
  assert_true(s2->cpu_user_ns > 0);
  assert_true(s2->cpu_user_ns + s2->cpu_system_ns <= s2->cpu_usage_ns + 200000000ULL);
}

static void check_memory(const cgroup_stats *s)
{
  print_message("memory: usage %llu, working set %llu, rss %llu, limit %lld\n",
                (unsigned long long)s->memory_usage, (unsigned long long)s->memory_working_set,
                (unsigned long long)s->memory_rss, (long long)s->memory_limit);
  assert_true(s->memory_usage >= TOUCH_BYTES);
  assert_true(s->memory_working_set >= TOUCH_BYTES);
  assert_true(s->memory_working_set <= s->memory_usage);
  assert_true(s->memory_rss >= TOUCH_BYTES);
  assert_int_equal(s->memory_limit, (int64_t)MEM_LIMIT);
}

static void check_pids(const cgroup_stats *s)
{
  print_message("pids: %llu of %lld\n", (unsigned long long)s->pids_current,
                (long long)s->pids_limit);
  assert_true(s->pids_current >= 1);
  assert_int_equal(s->pids_limit, PIDS_LIMIT);
}

/* ------------------------------------------------------------ fixtures */

static void test_v2_fixture(void **state)
{
  (void)state;
  char tmpl[] = "/tmp/crioc-statstest-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  write_fixture(tmpl, "cpu.stat",
                "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnice_usec 0\n"
                "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
  write_fixture(tmpl, "memory.current", "104857600\n");
  write_fixture(tmpl, "memory.max", "209715200\n");
  write_fixture(tmpl, "memory.stat",
                "anon 41943040\nfile 62914560\nkernel 1048576\nactive_anon 0\n"
                "inactive_anon 41943040\nactive_file 20971520\ninactive_file 41943040\n");
  write_fixture(tmpl, "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
  write_fixture(tmpl, "pids.current", "3\n");
  write_fixture(tmpl, "pids.max", "max\n");
  write_fixture(tmpl, "io.stat",
                "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 "
                "dios=3021\n");
  cgroup_stats s;
  read_ok(cgroup_stats_read_v2, tmpl, &s);
  assert_int_equal(s.version, 2);
  assert_int_equal(s.cpu_usage_ns, 2500000000ULL);
  assert_int_equal(s.cpu_user_ns, 2000000000ULL);
  assert_int_equal(s.cpu_system_ns, 500000000ULL);
  assert_true(s.timestamp_ns > 0);
  assert_int_equal(s.memory_usage, 104857600);
  assert_int_equal(s.memory_working_set, 104857600 - 41943040);
  assert_int_equal(s.memory_rss, 41943040);
  assert_int_equal(s.memory_limit, 209715200);
  assert_int_equal(s.memory_failcnt, 7);
  assert_int_equal(s.pids_current, 3);
  assert_int_equal(s.pids_limit, -1);
  assert_int_equal(s.blkio_read_bytes, 1459200ULL + 90430464ULL);
  assert_int_equal(s.blkio_write_bytes, 314773504ULL + 299008000ULL);

  /* inactive_file above usage (they are sampled apart): floored at 0 */
  write_fixture(tmpl, "memory.current", "1000\n");
  write_fixture(tmpl, "memory.max", "max\n");
  read_ok(cgroup_stats_read_v2, tmpl, &s);
  assert_int_equal(s.memory_working_set, 0);
  assert_int_equal(s.memory_limit, -1);

  /* only cpu.stat, as in a cgroup whose parent enables no controllers */
  const char *gone[] = {"memory.current", "memory.max", "memory.stat", "memory.events",
                        "pids.current", "pids.max", "io.stat"};
  for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
    _cleanup_free_ char *p = path_join(tmpl, gone[i]);
    assert_int_equal(unlink(p), 0);
  }
  read_ok(cgroup_stats_read_v2, tmpl, &s);
  assert_int_equal(s.cpu_usage_ns, 2500000000ULL);
  assert_int_equal(s.memory_usage, 0);
  assert_int_equal(s.memory_limit, -1);
  assert_int_equal(s.pids_limit, -1);
  assert_int_equal(s.blkio_read_bytes, 0);

  /* no cpu.stat: not a cgroup v2 directory */
  _cleanup_free_ char *cpu = path_join(tmpl, "cpu.stat");
  assert_int_equal(unlink(cpu), 0);
  crio_err *err = NULL;
  assert_int_equal(cgroup_stats_read_v2(tmpl, &s, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, tmpl));
  crio_err_free(err);
  assert_int_equal(rmdir(tmpl), 0);
}

static void test_cpu_rate(void **state)
{
  (void)state;
  cgroup_stats a = {.timestamp_ns = 1000000000LL, .cpu_usage_ns = 5000000000ULL};
  cgroup_stats b = {.timestamp_ns = 3000000000LL, .cpu_usage_ns = 8000000000ULL};
  assert_float_equal(cgroup_cpu_rate(&a, &b), 1.5, 1e-9);
  assert_float_equal(cgroup_cpu_rate(&b, &a), 0.0, 0.0);  /* out of order */
  cgroup_stats c = {.timestamp_ns = 4000000000LL, .cpu_usage_ns = 100};
  assert_float_equal(cgroup_cpu_rate(&b, &c), 0.0, 0.0);  /* counter went back */
  assert_float_equal(cgroup_cpu_rate(&a, &a), 0.0, 0.0);
}

static void test_missing_cgroup(void **state)
{
  (void)state;
  _cleanup_free_ char *path = xasprintf("/crioc-statstest-%d-none/ctr", (int)getpid());
  cgroup_stats s;
  crio_err *err = NULL;
  assert_int_equal(cgroup_stats_read(path, &s, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, path));
  crio_err_free(err);
  err = NULL;
  if (cgroup_detect("/sys/fs/cgroup").version == 1) {
    assert_int_equal(cgroup_stats_read_v1(path, &s, &err), -CRIO_E_NOT_FOUND);
    assert_non_null(strstr(err->message, path));
    crio_err_free(err);
    err = NULL;
  }
  assert_int_equal(cgroup_stats_read_v2("/sys/fs/cgroup/crioc-statstest-none", &s, &err),
                   -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "/sys/fs/cgroup/crioc-statstest-none"));
  crio_err_free(err);
}

/* --------------------------------------------------------- real cgroups */

typedef struct real_fx {
  char *parent; /* /crioc-statstest-PID-v1 (or -v2) */
  char *path;   /* <parent>/ctr, the cgroup the child joins */
  char *leaf;   /* its directory in the v2 tree (v2 tests) */
  char io_tmp[64];
  pid_t child;
} real_fx;

static int real_setup(void **state, const char *suffix)
{
  real_fx *f = xzalloc(sizeof *f);
  f->parent = xasprintf("/crioc-statstest-%d-%s", (int)getpid(), suffix);
  f->path = xasprintf("%s/ctr", f->parent);
  *state = f;
  return 0;
}
static int v1_setup(void **state) { return real_setup(state, "v1"); }
static int v2_setup(void **state) { return real_setup(state, "v2"); }

static int real_teardown(void **state)
{
  real_fx *f = *state;
  if (f->child > 0) {
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
  }
  crio_err *err = NULL;
  if (cgroup_pod_remove(f->parent, &err) < 0) {
    fprintf(stderr, "teardown: %s\n", err->message);
    crio_err_free(err);
  }
  if (f->io_tmp[0]) {
    _cleanup_free_ char *io = path_join(f->io_tmp, "io");
    unlink(io);
    rmdir(f->io_tmp);
  }
  free(f->parent);
  free(f->path);
  free(f->leaf);
  free(f);
  return 0;
}

static char *controller_dir_or_null(const char *controller, const char *path)
{
  char *dir = NULL;
  crio_err *err = NULL;
  if (cgroup_controller_dir(controller, path, &dir, &err) < 0)
    crio_err_free(err);
  return dir;
}

/* Creates f->path in each v1 hierarchy; procs[] gets their cgroup.procs. */
static size_t v1_make(real_fx *f, char **procs, size_t max)
{
  static const char *const controllers[] = {"cpu", "cpuacct", "memory", "pids", "blkio"};
  size_t n = 0;
  for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
    _cleanup_free_ char *dir = controller_dir_or_null(controllers[i], f->path);
    if (!dir)
      continue;
    char *file = path_join(dir, "cgroup.procs");
    bool dup = false;
    for (size_t j = 0; j < n && !dup; j++)
      dup = strcmp(procs[j], file) == 0;
    if (dup || n == max) {
      free(file);
      continue;
    }
    crio_err *err = NULL;
    if (mkdir_p(dir, 0755, &err) < 0)
      fail_msg("create cgroup: %s", err->message);
    procs[n++] = file;
  }
  return n;
}

static void write_ok(const char *dir, const char *file, const char *value)
{
  _cleanup_free_ char *path = path_join(dir, file);
  int r = write_str(path, value);
  if (r < 0)
    fail_msg("write %s to %s: %s", value, path, strerror(-r));
}

/* Limits on memory and pids; a throttle limit no I/O reaches on the disk of
 * /var/tmp, so that recent kernels count the cgroup's bytes. Returns whether
 * the blkio bytes can be checked. */
static bool v1_limits(real_fx *f)
{
  _cleanup_free_ char *mem = controller_dir_or_null("memory", f->path);
  _cleanup_free_ char *pids = controller_dir_or_null("pids", f->path);
  _cleanup_free_ char *blkio = controller_dir_or_null("blkio", f->path);
  _cleanup_free_ char *limit = xasprintf("%llu", MEM_LIMIT);
  _cleanup_free_ char *pmax = xasprintf("%d", PIDS_LIMIT);
  write_ok(mem, "memory.limit_in_bytes", limit);
  write_ok(pids, "pids.max", pmax);
  snprintf(f->io_tmp, sizeof f->io_tmp, "/var/tmp/crioc-statstest-XXXXXX");
  struct stat st;
  if (!blkio || !mkdtemp(f->io_tmp) || stat(f->io_tmp, &st) < 0 || direct_io(f->io_tmp) < 0) {
    print_message("note: no O_DIRECT file on /var/tmp: blkio bytes not checked\n");
    return false;
  }
  _cleanup_free_ char *rule =
      xasprintf("%u:%u 1099511627776", major(st.st_dev), minor(st.st_dev));
  _cleanup_free_ char *rd = path_join(blkio, "blkio.throttle.read_bps_device");
  _cleanup_free_ char *wr = path_join(blkio, "blkio.throttle.write_bps_device");
  if (write_str(rd, rule) < 0 || write_str(wr, rule) < 0) {
    print_message("note: no throttle rule on device %s (a partition?): blkio bytes not checked\n",
                  rule);
    return false;
  }
  return true;
}

static void test_v1_real(void **state)
{
  real_fx *f = *state;
  if (cgroup_detect("/sys/fs/cgroup").version != 1) {
    print_message("skipped: this host has no cgroup v1 controllers (pure v2)\n");
    skip();
  }
  char *procs[8];
  size_t n = v1_make(f, procs, ARRAY_SIZE(procs));
  bool io = v1_limits(f);
  f->child = spawn_child(procs, n, io ? f->io_tmp : NULL);
  for (size_t i = 0; i < n; i++)
    free(procs[i]);

  cgroup_stats s1, s2;
  sample_twice(cgroup_stats_read_v1, f->path, &s1, &s2);
  assert_int_equal(s2.version, 1);
  check_cpu(&s1, &s2);
  check_memory(&s2);
  check_pids(&s2);
  print_message("blkio: read %llu, write %llu bytes\n", (unsigned long long)s2.blkio_read_bytes,
                (unsigned long long)s2.blkio_write_bytes);
  if (io) {
    assert_true(s2.blkio_read_bytes >= IO_BYTES);
    assert_true(s2.blkio_write_bytes >= IO_BYTES);
  }

  /* the host's choice on a v1 or hybrid host is v1 */
  cgroup_stats s3;
  read_ok(cgroup_stats_read, f->path, &s3);
  assert_int_equal(s3.version, 1);
  assert_int_equal(s3.memory_limit, (int64_t)MEM_LIMIT);
  assert_true(s3.cpu_usage_ns >= s2.cpu_usage_ns);
}

/* Creates the test parent in the v2 tree, enables there what the tree
 * offers, and creates the leaf (f->leaf, freed by the teardown: skip() and
 * failures longjmp past cleanup attributes). *enabled lists what was
 * enabled. Skips the test when there is no v2 tree. */
static const char *v2_make(real_fx *f, char *enabled, size_t cap)
{
  char *base = controller_dir_or_null("unified", f->parent);
  if (!base) {
    print_message("skipped: no cgroup v2 tree is mounted\n");
    skip();
  }
  crio_err *err = NULL;
  if (mkdir_p(base, 0755, &err) < 0)
    fail_msg("create cgroup: %s", err->message);
  _cleanup_free_ char *offered = NULL;
  _cleanup_free_ char *cfile = path_join(base, "cgroup.controllers");
  if (read_file(cfile, &offered, NULL, &err) < 0)
    fail_msg("%s", err->message);
  enabled[0] = '\0';
  _cleanup_free_ char *ctl = path_join(base, "cgroup.subtree_control");
  for (char *save = NULL, *w = strtok_r(offered, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
    _cleanup_free_ char *plus = xasprintf("+%s", w);
    if (write_str(ctl, plus) == 0 && strlen(enabled) + strlen(w) + 2 < cap) {
      strcat(enabled, enabled[0] ? " " : "");
      strcat(enabled, w);
    }
  }
  f->leaf = path_join(base, "ctr");
  free(base);
  if (mkdir(f->leaf, 0755) < 0)
    fail_msg("create cgroup %s: %s", f->leaf, strerror(errno));
  return f->leaf;
}

static bool has_file(const char *dir, const char *file)
{
  _cleanup_free_ char *p = path_join(dir, file);
  return access(p, F_OK) == 0;
}

static void test_v2_real_cpu(void **state)
{
  real_fx *f = *state;
  char enabled[256];
  const char *leaf = v2_make(f, enabled, sizeof enabled);
  _cleanup_free_ char *procs = path_join(leaf, "cgroup.procs");
  char *p = procs;
  f->child = spawn_child(&p, 1, NULL);
  assert_true(has_file(leaf, "cgroup.stat"));
  cgroup_stats s1, s2;
  sample_twice(cgroup_stats_read_v2, leaf, &s1, &s2);
  assert_int_equal(s2.version, 2);
  check_cpu(&s1, &s2);
  print_message("v2 tree %s: controllers enabled for the test: [%s]\n", leaf, enabled);
}

static void test_v2_real_memory_pids(void **state)
{
  real_fx *f = *state;
  char enabled[256];
  const char *leaf = v2_make(f, enabled, sizeof enabled);
  bool mem = has_file(leaf, "memory.current"), pids = has_file(leaf, "pids.current");
  if (!mem || !pids) {
    print_message("skipped: the cgroup v2 tree passes %s%s%s down to %s (the root's "
                  "cgroup.subtree_control; on a hybrid host memory and pids are bound to v1 "
                  "hierarchies), so %s%s%s could not be tested on a real v2 cgroup; the v2 "
                  "memory, pids and io.stat formats are covered by test_v2_fixture\n",
                  enabled[0] ? "only [" : "no controllers", enabled, enabled[0] ? "]" : "", leaf,
                  mem ? "" : "memory.*", !mem && !pids ? " and " : "", pids ? "" : "pids.*");
    skip();
  }
  _cleanup_free_ char *limit = xasprintf("%llu", MEM_LIMIT);
  _cleanup_free_ char *pmax = xasprintf("%d", PIDS_LIMIT);
  write_ok(leaf, "memory.max", limit);
  write_ok(leaf, "pids.max", pmax);
  _cleanup_free_ char *procs = path_join(leaf, "cgroup.procs");
  char *p = procs;
  f->child = spawn_child(&p, 1, NULL);
  cgroup_stats s;
  read_ok(cgroup_stats_read_v2, leaf, &s);
  check_memory(&s);
  check_pids(&s);
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_cgroup_stats needs root (real cgroups)\n");
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v2_fixture),
      cmocka_unit_test(test_cpu_rate),
      cmocka_unit_test(test_missing_cgroup),
      cmocka_unit_test_setup_teardown(test_v1_real, v1_setup, real_teardown),
      cmocka_unit_test_setup_teardown(test_v2_real_cpu, v2_setup, real_teardown),
      cmocka_unit_test_setup_teardown(test_v2_real_memory_pids, v2_setup, real_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
