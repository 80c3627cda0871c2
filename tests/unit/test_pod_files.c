/* Unit tests for pod_files (server/network/pod_files.c): the exact contents
 * of a pod's resolv.conf, hosts and hostname, and refused inputs that name
 * what was wrong and write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/network/pod_files.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(path);
}

static int setup(void **state)
{
  char *dir = xstrdup("/tmp/crio-podfiles-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  *state = dir;
  return 0;
}

static int teardown(void **state)
{
  nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(*state);
  return 0;
}

static char *slurp(const char *dir, const char *name)
{
  _cleanup_free_ char *p = path_join(dir, name);
  char *data = NULL;
  crio_err *err = NULL;
  if (read_file(p, &data, NULL, &err) < 0)
    fail_msg("%s", err->message);
  return data;
}

static bool exists(const char *dir, const char *name)
{
  _cleanup_free_ char *p = path_join(dir, name);
  return access(p, F_OK) == 0;
}

static void expect_msg(crio_err *err, const char *want)
{
  assert_non_null(err);
  assert_int_equal(err->code, CRIO_E_INVALID);
  if (!strstr(err->message, want))
    fail_msg("message \"%s\" lacks \"%s\"", err->message, want);
}

/* ---------------------------------------------------------- resolv.conf */

static void test_resolv_conf_given(void **state)
{
  const char *dir = *state;
  const char *servers[] = {"10.96.0.10", "fd00::a", "fe80::1%eth0"};
  const char *searches[] = {"default.svc.cluster.local", "svc.cluster.local", "cluster.local."};
  const char *options[] = {"ndots:5", "edns0"};
  _cleanup_free_ char *path = NULL;
  crio_err *err = NULL;
  if (pod_write_resolv_conf(dir, servers, 3, searches, 3, options, 2, &path, &err) < 0)
    fail_msg("%s", err->message);
  _cleanup_free_ char *want_path = path_join(dir, "resolv.conf");
  assert_string_equal(path, want_path);
  _cleanup_free_ char *got = slurp(dir, "resolv.conf");
  assert_string_equal(got, "search default.svc.cluster.local svc.cluster.local cluster.local.\n"
                           "nameserver 10.96.0.10\n"
                           "nameserver fd00::a\n"
                           "nameserver fe80::1%eth0\n"
                           "options ndots:5 edns0\n");
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0644);

  /* servers only */
  assert_int_equal(pod_write_resolv_conf(dir, servers, 1, NULL, 0, NULL, 0, NULL, NULL), 0);
  free(got);
  got = slurp(dir, "resolv.conf");
  assert_string_equal(got, "nameserver 10.96.0.10\n");
}

static void test_resolv_conf_copies_host(void **state)
{
  const char *dir = *state;
  _cleanup_free_ char *host = NULL;
  if (read_file("/etc/resolv.conf", &host, NULL, NULL) < 0)
    host = xstrdup(""); /* the host has none: the pod gets an empty one */
  assert_int_equal(pod_write_resolv_conf(dir, NULL, 0, NULL, 0, NULL, 0, NULL, NULL), 0);
  _cleanup_free_ char *got = slurp(dir, "resolv.conf");
  assert_string_equal(got, host);
}

static void test_resolv_conf_refused(void **state)
{
  const char *dir = *state;
  const char *bad_servers[][1] = {
      {"8.8.8"}, {"dns.example.com"}, {"10.0.0.1 "}, {"fe80::1%"}, {""}};
  for (size_t i = 0; i < ARRAY_SIZE(bad_servers); i++) {
    _cleanup_err_ crio_err *err = NULL;
    assert_int_equal(pod_write_resolv_conf(dir, bad_servers[i], 1, NULL, 0, NULL, 0, NULL, &err),
                     -CRIO_E_INVALID);
    expect_msg(err, bad_servers[i][0]);
    assert_non_null(strstr(err->message, "is not an IP address"));
  }
  const char *ok[] = {"1.1.1.1"};
  const char *seven[] = {"a", "b", "c", "d", "e", "f", "g"};
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
  assert_int_equal(pod_write_resolv_conf(dir, ok, 1, seven, 7, NULL, 0, NULL, &e1),
                   -CRIO_E_INVALID);
  expect_msg(e1, "7 DNS search domains given, at most 6");
  const char *spaced[] = {"a b"};
  assert_int_equal(pod_write_resolv_conf(dir, ok, 1, spaced, 1, NULL, 0, NULL, &e2),
                   -CRIO_E_INVALID);
  expect_msg(e2, "search domain a b");
  const char *dots[] = {"a..b"};
  assert_int_equal(pod_write_resolv_conf(dir, ok, 1, dots, 1, NULL, 0, NULL, &e3), -CRIO_E_INVALID);
  expect_msg(e3, "empty label");
  const char *opt[] = {"ndots:5\nnameserver 6.6.6.6"};
  assert_int_equal(pod_write_resolv_conf(dir, ok, 1, NULL, 0, opt, 1, NULL, &e4), -CRIO_E_INVALID);
  expect_msg(e4, "DNS option");
  assert_false(exists(dir, "resolv.conf"));
}

/* ------------------------------------------------------- hosts, hostname */

static void test_hosts(void **state)
{
  const char *dir = *state;
  const char *ips[] = {"10.88.0.5", "fd00::5"};
  _cleanup_free_ char *path = NULL;
  crio_err *err = NULL;
  if (pod_write_hosts(dir, "web-0", ips, 2, &path, &err) < 0)
    fail_msg("%s", err->message);
  _cleanup_free_ char *want_path = path_join(dir, "hosts");
  assert_string_equal(path, want_path);
  _cleanup_free_ char *got = slurp(dir, "hosts");
  assert_string_equal(got, "127.0.0.1\tlocalhost\n"
                           "::1\tlocalhost ip6-localhost ip6-loopback\n"
                           "10.88.0.5\tweb-0\n"
                           "fd00::5\tweb-0\n");
  /* no IP yet: the loopback lines alone */
  assert_int_equal(pod_write_hosts(dir, "web-0", NULL, 0, NULL, NULL), 0);
  free(got);
  got = slurp(dir, "hosts");
  assert_string_equal(got, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
}

static void test_hosts_refused(void **state)
{
  const char *dir = *state;
  const char *bad_ip[] = {"10.88.0.256"};
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL;
  assert_int_equal(pod_write_hosts(dir, "web-0", bad_ip, 1, NULL, &e1), -CRIO_E_INVALID);
  expect_msg(e1, "10.88.0.256 is not an IP address");
  const char *ip[] = {"10.88.0.5"};
  assert_int_equal(pod_write_hosts(dir, "web_0", ip, 1, NULL, &e2), -CRIO_E_INVALID);
  expect_msg(e2, "hostname web_0");
  assert_false(exists(dir, "hosts"));
}

static void test_hostname_file(void **state)
{
  const char *dir = *state;
  _cleanup_free_ char *path = NULL;
  assert_int_equal(pod_write_hostname(dir, "web-0.example", &path, NULL), 0);
  _cleanup_free_ char *got = slurp(dir, "hostname");
  assert_string_equal(got, "web-0.example\n");
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(pod_write_hostname(dir, "bad name", NULL, &err), -CRIO_E_INVALID);
  expect_msg(err, "bad name");
  free(got);
  got = slurp(dir, "hostname");
  assert_string_equal(got, "web-0.example\n"); /* a refusal changes nothing */
  _cleanup_err_ crio_err *e2 = NULL;
  assert_true(pod_write_hostname("/nonexistent-crio/dir", "h", NULL, &e2) < 0);
  assert_non_null(strstr(e2->message, "/nonexistent-crio/dir"));
}

static void test_validate_hostname(void **state)
{
  char l63[64], l64[65], long_name[300];
  memset(l63, 'a', 63);
  l63[63] = '\0';
  memset(l64, 'b', 64);
  l64[64] = '\0';
  const char *good[] = {"a", "web-0", "Pod1", "0pod", "a.b.c", "x1-y2.example.com", l63};
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    if (pod_validate_hostname(good[i], NULL) != 0)
      fail_msg("%s refused", good[i]);
  struct {
    const char *h, *msg;
  } bad[] = {
      {"", "empty"},
      {"-a", "must start and end"},
      {"a-", "must start and end"},
      {"a..b", "empty label"},
      {"a.", "empty label"},
      {".a", "empty label"},
      {"a_b", "'_'"},
      {"a b", "' '"},
      {l64, "longer than 63"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    _cleanup_err_ crio_err *err = NULL;
    assert_int_equal(pod_validate_hostname(bad[i].h, &err), -CRIO_E_INVALID);
    expect_msg(err, bad[i].msg);
  }
  /* 4 labels of 63 + 3 dots = 255 > 253; 253 exactly is fine */
  snprintf(long_name, sizeof long_name, "%s.%s.%s.%s", l63, l63, l63, l63);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(pod_validate_hostname(long_name, &err), -CRIO_E_INVALID);
  expect_msg(err, "longer than 253");
  long_name[253] = '\0';
  assert_int_equal(pod_validate_hostname(long_name, NULL), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_resolv_conf_given),   T(test_resolv_conf_copies_host),
      T(test_resolv_conf_refused), T(test_hosts),
      T(test_hosts_refused),       T(test_hostname_file),
      T(test_validate_hostname),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
