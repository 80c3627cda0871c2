/* Unit tests for net_stats (server/network/net_stats.c): parsing a fixed
 * /proc/net/dev, this process's real file, and real network namespaces made
 * by the test (ip netns add), joined by a veth pair that carries UDP packets
 * the test sends; loopback traffic is made and must stay out of the result.
 * Only loopback and the test's own namespaces see traffic. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/network/net_stats.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define PACKETS 20
#define PAYLOAD 1000

static const char sample[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:  123456     789    0    0    0     0          0         0   123456     789    0    "
    "0    0     0       0          0\n"
    "  eth0: 98765432   65432    1    2    0     0          0        12  1234567    4321    3    "
    "4    0     0       0          0\n"
    "veth1a2b3c4d:18446744073709551615 5 0 0 0 0 0 0 7 8 0 9 0 0 0 0\n";

static void test_parse_sample(void **state)
{
  (void)state;
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(net_stats_parse(sample, "sample", &ifs, &n, &err), 0);
  assert_int_equal(n, 2); /* lo left out */
  assert_string_equal(ifs[0].name, "eth0");
  assert_int_equal(ifs[0].s.rx_bytes, 98765432);
  assert_int_equal(ifs[0].s.rx_packets, 65432);
  assert_int_equal(ifs[0].s.rx_errors, 1);
  assert_int_equal(ifs[0].s.rx_dropped, 2);
  assert_int_equal(ifs[0].s.tx_bytes, 1234567);
  assert_int_equal(ifs[0].s.tx_packets, 4321);
  assert_int_equal(ifs[0].s.tx_errors, 3);
  assert_int_equal(ifs[0].s.tx_dropped, 4);
  /* no space after the colon, as large counters print on old kernels */
  assert_string_equal(ifs[1].name, "veth1a2b3c4d");
  assert_int_equal(ifs[1].s.rx_bytes, UINT64_MAX);
  assert_int_equal(ifs[1].s.tx_bytes, 7);
  assert_int_equal(ifs[1].s.tx_dropped, 9);
  net_stats t = net_stats_total(ifs, n);
  assert_int_equal(t.tx_bytes, 1234567 + 7);
  assert_int_equal(t.rx_packets, 65432 + 5);
  free(ifs);

  /* only the headers and lo: nothing */
  assert_int_equal(net_stats_parse("Inter-|\n face |\n lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                   "lo only", &ifs, &n, &err),
                   0);
  assert_int_equal(n, 0);
  assert_null(ifs);
}

static void test_parse_malformed(void **state)
{
  (void)state;
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(net_stats_parse("eth0: 1 2 3\n", "short.txt", &ifs, &n, &err),
                   -CRIO_E_IO);
  assert_non_null(strstr(err->message, "short.txt"));
  crio_err_free(err);
  err = NULL;
  assert_int_equal(net_stats_parse("a-name-far-too-long-for-an-interface: 1 2 3 4 5 6 7 8 9 10 "
                                   "11 12 13 14 15 16\n",
                                   "long", &ifs, &n, &err),
                   -CRIO_E_IO);
  crio_err_free(err);
}

static void test_read_self(void **state)
{
  (void)state;
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(net_stats_read_pid(getpid(), &ifs, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    assert_string_not_equal(ifs[i].name, "lo");
  print_message("host namespace: %zu interface(s) besides lo\n", n);
  free(ifs);

  /* beyond any pid_max */
  assert_int_equal(net_stats_read_pid(1 << 30, &ifs, &n, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "1073741824"));
  crio_err_free(err);
  err = NULL;
  assert_int_equal(net_stats_read_pid(0, &ifs, &n, &err), -CRIO_E_INVALID);
  crio_err_free(err);
}

static void test_netns_bad_paths(void **state)
{
  (void)state;
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(net_stats_read_netns("/run/netns/crioc-statstest-none", &ifs, &n, &err),
                   -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "/run/netns/crioc-statstest-none"));
  crio_err_free(err);
  err = NULL;
  assert_int_equal(net_stats_read_netns("/proc/self/ns/mnt", &ifs, &n, &err), -CRIO_E_INVALID);
  assert_non_null(strstr(err->message, "not a network namespace"));
  crio_err_free(err);
  err = NULL;
  assert_int_equal(net_stats_read_netns("/proc/self/status", &ifs, &n, &err), -CRIO_E_INVALID);
  crio_err_free(err);
}

/* ------------------------------------------------------ real namespaces */

typedef struct fx {
  char ns_a[64], ns_b[64];      /* ip netns names */
  char path_a[96], path_b[96];  /* /run/netns/<name> */
  char if_a[16], if_b[16];      /* the veth ends */
  bool made_a, made_b;
  pid_t sleeper;
} fx;

static int ip(const char *const *args)
{
  char *argv[16];
  size_t n = 0;
  argv[n++] = (char *)"ip";
  for (; *args && n < 15; args++)
    argv[n++] = (char *)*args;
  argv[n] = NULL;
  char *out = NULL;
  crio_err *err = NULL;
  int r = run_capture(argv, &out, &err);
  if (r < 0) {
    print_error("%s\n", err->message);
    crio_err_free(err);
  }
  free(out);
  return r;
}
#define IP(...) ip((const char *const[]){__VA_ARGS__, NULL})

static int teardown(void **state);

static int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  int pid = (int)getpid();
  snprintf(f->ns_a, sizeof f->ns_a, "crioc-statstest-%d", pid);
  snprintf(f->ns_b, sizeof f->ns_b, "crioc-statstest-%d-peer", pid);
  snprintf(f->path_a, sizeof f->path_a, "/run/netns/%s", f->ns_a);
  snprintf(f->path_b, sizeof f->path_b, "/run/netns/%s", f->ns_b);
  snprintf(f->if_a, sizeof f->if_a, "cst%da", pid % 10000000);
  snprintf(f->if_b, sizeof f->if_b, "cst%db", pid % 10000000);
  *state = f;
  f->made_a = IP("netns", "add", f->ns_a) == 0;
  f->made_b = f->made_a && IP("netns", "add", f->ns_b) == 0;
  if (f->made_b && IP("-n", f->ns_a, "link", "set", "lo", "up") == 0)
    return 0;
  teardown(state); /* cmocka skips the teardown of a failed setup */
  return -1;
}

static int teardown(void **state)
{
  fx *f = *state;
  if (f->sleeper > 0) {
    kill(f->sleeper, SIGKILL);
    waitpid(f->sleeper, NULL, 0);
  }
  /* deleting a namespace destroys the veth end in it, and so the pair */
  if (f->made_a)
    IP("netns", "del", f->ns_a);
  if (f->made_b)
    IP("netns", "del", f->ns_b);
  free(f);
  return 0;
}

static void read_netns_ok(const char *path, net_iface_stats **ifs, size_t *n)
{
  crio_err *err = NULL;
  if (net_stats_read_netns(path, ifs, n, &err) < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err->message);
    crio_err_free(err);
    fail_msg("%s", msg);
  }
}

/* A child that enters netns_path and sends `count` UDP datagrams of PAYLOAD
 * bytes to addr:9 (discard). */
static void send_udp_in(const char *netns_path, const char *addr, int count)
{
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
      _exit(1);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    if (s < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1)
      _exit(2);
    char buf[PAYLOAD];
    memset(buf, 'n', sizeof buf);
    for (int i = 0; i < count; i++) {
      /* the first datagrams may wait in the neighbour queue for ARP */
      if (sendto(s, buf, sizeof buf, 0, (struct sockaddr *)&to, sizeof to) < 0 && errno != ECONNREFUSED)
        _exit(3);
      usleep(2000);
    }
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* rx bytes of lo in the namespace, from `ip netns exec` (the library leaves
 * lo out). */
static uint64_t lo_rx_bytes(const char *ns)
{
  char *argv[] = {(char *)"ip", (char *)"netns", (char *)"exec", (char *)ns, (char *)"cat",
                  (char *)"/proc/net/dev", NULL};
  _cleanup_free_ char *out = NULL;
  crio_err *err = NULL;
  if (run_capture(argv, &out, &err) < 0)
    fail_msg("%s", err->message);
  char *lo = strstr(out, "lo:");
  assert_non_null(lo);
  return strtoull(lo + 3, NULL, 10);
}

static void test_netns_loopback_only(void **state)
{
  fx *f = *state;
  send_udp_in(f->path_a, "127.0.0.1", 5);
  assert_true(lo_rx_bytes(f->ns_a) >= 5 * PAYLOAD);
  net_iface_stats *ifs = NULL;
  size_t n = 99;
  read_netns_ok(f->path_a, &ifs, &n);
  assert_int_equal(n, 0);
  assert_null(ifs);
}

/* Waits until ifname in netns_path has at least min tx (or rx) bytes. */
static net_stats wait_bytes(const char *netns_path, const char *ifname, bool tx, uint64_t min)
{
  net_stats s = {0};
  for (int i = 0; i < 100; i++) {
    net_iface_stats *ifs = NULL;
    size_t n = 0;
    read_netns_ok(netns_path, &ifs, &n);
    assert_int_equal(n, 1);
    assert_string_equal(ifs[0].name, ifname);
    s = ifs[0].s;
    free(ifs);
    if ((tx ? s.tx_bytes : s.rx_bytes) >= min)
      break;
    usleep(20000);
  }
  return s;
}

/* A child parked in netns_path, so its /proc/PID/net/dev shows that
 * namespace. */
static pid_t park_in(const char *netns_path)
{
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
      _exit(1);
    if (write(p[1], "r", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  close(p[1]);
  char c = 0;
  ssize_t got = read(p[0], &c, 1);
  close(p[0]);
  assert_int_equal(got, 1);
  return pid;
}

static void make_veth(fx *f)
{
  assert_int_equal(IP("link", "add", f->if_a, "netns", f->ns_a, "type", "veth", "peer", "name",
                      f->if_b, "netns", f->ns_b),
                   0);
  assert_int_equal(IP("-n", f->ns_a, "addr", "add", "192.0.2.1/24", "dev", f->if_a), 0);
  assert_int_equal(IP("-n", f->ns_b, "addr", "add", "192.0.2.2/24", "dev", f->if_b), 0);
  assert_int_equal(IP("-n", f->ns_a, "link", "set", f->if_a, "up"), 0);
  assert_int_equal(IP("-n", f->ns_b, "link", "set", f->if_b, "up"), 0);
}

static void test_netns_veth_traffic(void **state)
{
  fx *f = *state;
  make_veth(f);
  net_stats a0 = wait_bytes(f->path_a, f->if_a, true, 0);
  net_stats b0 = wait_bytes(f->path_b, f->if_b, false, 0);

  send_udp_in(f->path_a, "192.0.2.2", PACKETS);
  uint64_t sent = (uint64_t)PACKETS * PAYLOAD;
  net_stats a1 = wait_bytes(f->path_a, f->if_a, true, a0.tx_bytes + sent);
  net_stats b1 = wait_bytes(f->path_b, f->if_b, false, b0.rx_bytes + sent);
  print_message("%s: tx %llu bytes / %llu packets, rx %llu bytes; %s: rx %llu bytes / %llu "
                "packets\n",
                f->if_a, (unsigned long long)(a1.tx_bytes - a0.tx_bytes),
                (unsigned long long)(a1.tx_packets - a0.tx_packets),
                (unsigned long long)(a1.rx_bytes - a0.rx_bytes), f->if_b,
                (unsigned long long)(b1.rx_bytes - b0.rx_bytes),
                (unsigned long long)(b1.rx_packets - b0.rx_packets));
  assert_true(a1.tx_bytes - a0.tx_bytes >= sent);
  assert_true(a1.tx_packets - a0.tx_packets >= PACKETS);
  assert_true(b1.rx_bytes - b0.rx_bytes >= sent);
  assert_true(b1.rx_packets - b0.rx_packets >= PACKETS);
  /* the ARP reply and the ICMP port-unreachable answers come back */
  assert_true(a1.rx_packets > a0.rx_packets);
  assert_int_equal(a1.tx_errors, 0);

  /* a process in the namespace shows the same interface */
  f->sleeper = park_in(f->path_a);
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(net_stats_read_pid(f->sleeper, &ifs, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(ifs[0].name, f->if_a);
  assert_true(ifs[0].s.tx_bytes >= a1.tx_bytes);
  free(ifs);
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_net_stats needs root (network namespaces)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_sample),
      cmocka_unit_test(test_parse_malformed),
      cmocka_unit_test(test_read_self),
      cmocka_unit_test(test_netns_bad_paths),
      T(test_netns_loopback_only),
      T(test_netns_veth_traffic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
