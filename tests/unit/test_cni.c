/* Unit tests for CNI (server/network/cni*.c). Loading and the plugin
 * protocol (env, stdin, prevResult chaining, cache, errors, timeouts) run
 * against small shell-script plugins; networking runs the real Debian
 * plugins (bridge, host-local, portmap) into namespaces pinned with ns_pin,
 * on a per-test bridge and 10.123.X.0/24, and needs root. Every bridge,
 * veth, pin and iptables rule made here is removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/network/cni.h"
#include "server/network/ns_pin.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define SYS_PLUGINS "/usr/lib/cni"

typedef struct fx {
  char root[64];
  char *conf_dir, *cache_dir, *plugin_dir, *ipam_dir, *ns_dir;
  char bridge[16], net[24], prefix[16]; /* prefix: "10.123.X" */
  char *dirs[2];
  ns_pins pins[2];
  bool hostport_chains_existed;
} fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(path);
}

static int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  strcpy(f->root, "/tmp/crio-cni-XXXXXX");
  if (!mkdtemp(f->root))
    return -1;
  f->conf_dir = path_join(f->root, "net.d");
  f->cache_dir = path_join(f->root, "cache");
  f->plugin_dir = path_join(f->root, "bin");
  f->ipam_dir = path_join(f->root, "ipam");
  f->ns_dir = path_join(f->root, "ns");
  mkdir(f->conf_dir, 0700);
  mkdir(f->plugin_dir, 0700);
  int pid = (int) getpid();
  snprintf(f->bridge, sizeof f->bridge, "crioc-t%d", pid % 10000000);
  snprintf(f->net, sizeof f->net, "crioc-%d", pid);
  snprintf(f->prefix, sizeof f->prefix, "10.123.%d", 20 + pid % 200);
  f->dirs[0] = f->plugin_dir;
  f->dirs[1] = (char *) SYS_PLUGINS;
  f->hostport_chains_existed = system("iptables -t nat -S CNI-HOSTPORT-DNAT >/dev/null 2>&1") == 0;
  *state = f;
  return 0;
}

/* Portmap's shared chains, when this test made them and nobody uses them. */
static void remove_hostport_chains(fx *f)
{
  if (f->hostport_chains_existed ||
      system("iptables -t nat -S CNI-HOSTPORT-DNAT >/dev/null 2>&1") != 0 ||
      system("iptables -t nat -S CNI-HOSTPORT-DNAT | grep -q '^-A'") == 0)
    return;
  int r = system("iptables -t nat -S | grep -E '^-A (PREROUTING|OUTPUT|POSTROUTING) .*CNI-HOSTPORT'"
                 " | sed 's/^-A/-D/' | while read -r rule; do eval iptables -t nat $rule; done;"
                 " for c in DNAT SETMARK MASQ; do iptables -t nat -F CNI-HOSTPORT-$c;"
                 " iptables -t nat -X CNI-HOSTPORT-$c; done 2>/dev/null");
  (void) r;
}

static int teardown(void **state)
{
  fx *f = *state;
  for (size_t i = 0; i < 2; i++) {
    ns_pin_remove(&f->pins[i], NULL);
    ns_pins_clear(&f->pins[i]);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "ip link del %s 2>/dev/null", f->bridge);
  if (system(cmd) < 0)
    return -1;
  remove_hostport_chains(f);
  while (umount2(f->ns_dir, MNT_DETACH) == 0)
    ;
  nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->conf_dir);
  free(f->cache_dir);
  free(f->plugin_dir);
  free(f->ipam_dir);
  free(f->ns_dir);
  free(f);
  return 0;
}

/* ------------------------------------------------------------ helpers */

static void write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
  _cleanup_free_ char *p = path_join(dir, name);
  crio_err *err = NULL;
  if (write_file_atomic(p, text, strlen(text), mode, &err) < 0)
    fail_msg("%s", err->message);
}

/* The stdout of sh -c cmd ("" when it fails). */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *cmd = xvasprintf(fmt, ap);
  va_end(ap);
  char *argv[] = { "/bin/sh", "-c", cmd, NULL };
  char *out = NULL;
  crio_err *err = NULL;
  if (run_capture(argv, &out, &err) < 0) {
    crio_err_free(err);
    return xstrdup("");
  }
  return out;
}

static bool exists(const char *p)
{
  struct stat st;
  return lstat(p, &st) == 0;
}

static cni_network *load(fx *f, const char *name)
{
  cni_network *n = NULL;
  crio_err *err = NULL;
  if (cni_network_load(f->conf_dir, name, &n, &err) < 0)
    fail_msg("load: %s", err->message);
  return n;
}

static cni_runtime runtime(fx *f, const char *id, const char *netns)
{
  return (cni_runtime){ .container_id = id, .netns = netns, .pod_namespace = "default",
                        .pod_name = "web", .pod_uid = "uid-1", .plugin_dirs = f->dirs,
                        .n_plugin_dirs = 2, .cache_dir = f->cache_dir };
}

static void must(int r, crio_err *err, const char *what)
{
  if (r < 0)
    fail_msg("%s: %s", what, err ? err->message : "?");
}

/* ------------------------------------------------------------ loading */

static void test_load_first_named_invalid(void **state)
{
  fx *f = *state;
  crio_err *err = NULL;
  cni_network *n = NULL;
  assert_int_equal(cni_network_load(f->conf_dir, NULL, &n, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "no CNI network configuration in"));
  crio_err_free(err), err = NULL;
  write_text(f->conf_dir, "05-broken.conflist", "{ not json", 0644);
  write_text(f->conf_dir, "07-noplugins.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"x\"}", 0644);
  write_text(f->conf_dir, "README", "{\"name\":\"readme\",\"type\":\"bridge\"}", 0644);
  write_text(f->conf_dir, "20-b.conflist",
             "{\"cniVersion\":\"1.0.0\",\"name\":\"netb\",\"plugins\":[{\"type\":\"bridge\"},"
             "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}", 0644);
  write_text(f->conf_dir, "10-a.conf", "{\"cniVersion\":\"0.4.0\",\"name\":\"neta\",\"type\":\"bridge\"}",
             0644);
  write_text(f->conf_dir, "30-c.json",
             "{\"cniVersion\":\"1.0.0\",\"name\":\"netc\",\"plugins\":[]}", 0644);
  n = load(f, NULL); /* the broken and the plugin-less files are skipped */
  assert_string_equal(cni_network_name(n), "neta");
  assert_string_equal(cni_network_version(n), "0.4.0");
  assert_non_null(strstr(cni_network_path(n), "10-a.conf"));
  cni_network_free(n);
  n = load(f, "netb");
  assert_string_equal(cni_network_name(n), "netb");
  cni_network_free(n), n = NULL;
  assert_int_equal(cni_network_load(f->conf_dir, "readme", &n, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "CNI network readme not found in"));
  crio_err_free(err), err = NULL;
  /* Named, but invalid: the error names the file. */
  assert_int_equal(cni_network_load(f->conf_dir, "netc", &n, &err), -CRIO_E_INVALID);
  assert_non_null(strstr(err->message, "30-c.json"));
  crio_err_free(err), err = NULL;
  _cleanup_free_ char *none = path_join(f->root, "absent");
  assert_int_equal(cni_network_load(none, NULL, &n, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(err);
}

static void test_missing_plugin(void **state)
{
  fx *f = *state;
  write_text(f->conf_dir, "10-x.conf",
             "{\"cniVersion\":\"1.0.0\",\"name\":\"netx\",\"type\":\"crioc-nope\"}", 0644);
  cni_network *n = load(f, NULL);
  cni_runtime rt = runtime(f, "ctr1", "/run/netns/none");
  cni_result res = { 0 };
  crio_err *err = NULL;
  assert_int_equal(cni_add(n, &rt, &res, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, "CNI plugin crioc-nope not found in"));
  assert_non_null(strstr(err->message, SYS_PLUGINS));
  assert_non_null(strstr(err->message, f->plugin_dir));
  assert_false(exists(f->cache_dir));
  crio_err_free(err);
  cni_network_free(n);
}

/* ------------------------------------------------------------ protocol (scripts) */

/* Records each call ("COMMAND <stdin>") and its environment; ADD prints a
 * result whose address and MAC end in the plugin's tag (1 or 2). */
static const char echo_plugin[] =
    "#!/bin/sh\n"
    "in=$(cat)\n"
    "dir=$(dirname \"$0\")\n"
    "printf '%s %s\\n' \"$CNI_COMMAND\" \"$in\" >> \"$dir/calls\"\n"
    "env | sort > \"$dir/env.$CNI_COMMAND\"\n"
    "case \"$in\" in *'\"tag\":\"two\"'*) n=2;; *) n=1;; esac\n"
    "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
    "printf '{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"%s\",\"mac\":\"0a:00:00:00:00:0%s\","
    "\"sandbox\":\"%s\"}],\"ips\":[{\"address\":\"10.99.0.%s/24\",\"gateway\":\"10.99.0.1\","
    "\"interface\":0}]}' \"$CNI_IFNAME\" $n \"$CNI_NETNS\" $n\n";

static const char echo_list[] =
    "{\"cniVersion\":\"1.0.0\",\"name\":\"echonet\",\"plugins\":["
    "{\"type\":\"crioc-echo\",\"tag\":\"one\"},"
    "{\"type\":\"crioc-echo\",\"tag\":\"two\",\"capabilities\":{\"portMappings\":true}}]}";

static char *calls_line(fx *f, int lineno)
{
  return sh("sed -n %dp %s/calls", lineno, f->plugin_dir);
}

static void test_protocol_chaining_and_cache(void **state)
{
  fx *f = *state;
  write_text(f->plugin_dir, "crioc-echo", echo_plugin, 0755);
  write_text(f->conf_dir, "10-echo.conflist", echo_list, 0644);
  setenv("CRIOC_SECRET", "leak", 1);
  cni_network *n = load(f, NULL);
  cni_port_mapping pm = { .host_port = 8080, .container_port = 80 };
  cni_runtime rt = runtime(f, "ctr-echo", "/run/netns/fake");
  rt.ports = &pm;
  rt.n_ports = 1;
  cni_result res = { 0 };
  crio_err *err = NULL;
  must(cni_add(n, &rt, &res, &err), err, "add");
  assert_int_equal(res.n_ips, 1);
  assert_string_equal(res.ips[0], "10.99.0.2/24"); /* the last plugin's result */
  assert_string_equal(res.gateways[0], "10.99.0.1");
  assert_string_equal(res.mac, "0a:00:00:00:00:02");
  _cleanup_free_ char *c1 = calls_line(f, 1), *c2 = calls_line(f, 2);
  assert_non_null(strstr(c1, "ADD {"));
  assert_non_null(strstr(c1, "\"name\":\"echonet\""));
  assert_non_null(strstr(c1, "\"cniVersion\":\"1.0.0\""));
  assert_null(strstr(c1, "prevResult"));
  assert_null(strstr(c1, "runtimeConfig")); /* no capability, no arguments */
  assert_non_null(strstr(c2, "\"prevResult\":{"));
  assert_non_null(strstr(c2, "10.99.0.1/24"));
  assert_non_null(strstr(c2, "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,"
                             "\"containerPort\":80,\"protocol\":\"tcp\"}]}"));
  _cleanup_free_ char *env = sh("cat %s/env.ADD | grep -v -E '^(PWD|SHLVL|_|OLDPWD)='",
                                f->plugin_dir);
  _cleanup_free_ char *want = xasprintf(
      "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
      "K8S_POD_INFRA_CONTAINER_ID=ctr-echo;K8S_POD_UID=uid-1\nCNI_COMMAND=ADD\n"
      "CNI_CONTAINERID=ctr-echo\nCNI_IFNAME=eth0\nCNI_NETNS=/run/netns/fake\n"
      "CNI_PATH=%s:%s\nPATH=%s",
      f->plugin_dir, SYS_PLUGINS, getenv("PATH"));
  assert_string_equal(env, want);
  _cleanup_free_ char *cache = xasprintf("%s/echonet/ctr-echo.json", f->cache_dir);
  assert_true(exists(cache));
  cni_result cached = { 0 };
  must(cni_cached_result(f->cache_dir, "echonet", "ctr-echo", &cached, &err), err, "cached");
  assert_string_equal(cached.json, res.json);
  cni_result_clear(&cached);

  must(cni_check(n, &rt, &err), err, "check");
  _cleanup_free_ char *c3 = calls_line(f, 3);
  assert_non_null(strstr(c3, "CHECK {"));
  assert_non_null(strstr(c3, "\"prevResult\":{"));
  assert_non_null(strstr(c3, "10.99.0.2/24"));

  /* DEL from the cache alone: the config, ports and args ADD used. */
  cni_runtime del = { .container_id = "ctr-echo", .plugin_dirs = f->dirs, .n_plugin_dirs = 2,
                      .cache_dir = f->cache_dir };
  must(cni_del(NULL, &del, &err), err, "del");
  _cleanup_free_ char *c5 = calls_line(f, 5), *c6 = calls_line(f, 6);
  assert_non_null(strstr(c5, "DEL {"));
  assert_non_null(strstr(c5, "\"tag\":\"two\"")); /* reverse order */
  assert_non_null(strstr(c5, "\"hostPort\":8080"));
  assert_non_null(strstr(c5, "10.99.0.2/24"));
  assert_non_null(strstr(c6, "\"tag\":\"one\""));
  assert_non_null(strstr(c6, "10.99.0.2/24")); /* the final ADD result, for every plugin */
  _cleanup_free_ char *denv = sh("grep CNI_ARGS %s/env.DEL", f->plugin_dir);
  assert_non_null(strstr(denv, "K8S_POD_NAME=web"));
  assert_false(exists(cache));
  must(cni_del(NULL, &del, &err), err, "del again");
  must(cni_del(n, &rt, &err), err, "del with config, no cache");
  assert_int_equal(cni_check(n, &rt, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(err);
  unsetenv("CRIOC_SECRET");
  cni_result_clear(&res);
  cni_network_free(n);
}

static void test_plugin_error_and_timeout(void **state)
{
  fx *f = *state;
  write_text(f->plugin_dir, "crioc-echo", echo_plugin, 0755);
  write_text(f->plugin_dir, "crioc-fail",
             "#!/bin/sh\ncat >/dev/null\necho \"$CNI_COMMAND\" >> \"$(dirname \"$0\")/calls\"\n"
             "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
             "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"try later\",\"details\":\"busy\"}'\n"
             "exit 1\n", 0755);
  write_text(f->plugin_dir, "crioc-slow",
             "#!/bin/sh\ncat >/dev/null\n[ \"$CNI_COMMAND\" = ADD ] && exec sleep 30\nexit 0\n",
             0755);
  write_text(f->conf_dir, "10-f.conflist",
             "{\"cniVersion\":\"1.0.0\",\"name\":\"failnet\",\"plugins\":["
             "{\"type\":\"crioc-echo\"},{\"type\":\"crioc-fail\"},{\"type\":\"crioc-echo\"}]}", 0644);
  write_text(f->conf_dir, "20-s.conf",
             "{\"cniVersion\":\"1.0.0\",\"name\":\"slownet\",\"type\":\"crioc-slow\"}", 0644);
  cni_network *n = load(f, "failnet");
  cni_runtime rt = runtime(f, "ctr-f", "/run/netns/fake");
  cni_result res = { 0 };
  crio_err *err = NULL;
  assert_int_equal(cni_add(n, &rt, &res, &err), -CRIO_E_UNAVAILABLE);
  assert_string_equal(err->message,
                      "CNI plugin crioc-fail (network failnet) ADD failed: try later: busy");
  crio_err_free(err), err = NULL;
  /* ADD, ADD(fail), then DEL of the whole list in reverse order. */
  _cleanup_free_ char *cmds = sh("cut -d' ' -f1 %s/calls | tr '\\n' ,", f->plugin_dir);
  assert_string_equal(cmds, "ADD,ADD,DEL,DEL,DEL,");
  _cleanup_free_ char *cached = sh("ls -R %s 2>/dev/null | grep json", f->cache_dir);
  assert_string_equal(cached, "");
  cni_network_free(n);

  n = load(f, "slownet");
  rt.timeout_s = 1;
  assert_int_equal(cni_add(n, &rt, &res, &err), -CRIO_E_UNAVAILABLE);
  assert_string_equal(err->message,
                      "CNI plugin crioc-slow (network slownet) ADD failed: timed out after 1 s");
  crio_err_free(err);
  cni_network_free(n);
}

typedef struct par_arg {
  fx *f;
  cni_network *n;
  int i;
  int rc;
} par_arg;

static void *par_add_del(void *p)
{
  par_arg *a = p;
  char id[32];
  snprintf(id, sizeof id, "par-%d", a->i);
  cni_runtime rt = runtime(a->f, id, "/run/netns/fake");
  cni_result res = { 0 };
  crio_err *err = NULL;
  a->rc = cni_add(a->n, &rt, &res, &err);
  if (a->rc == 0)
    a->rc = cni_del(a->n, &rt, &err);
  crio_err_free(err);
  cni_result_clear(&res);
  return NULL;
}

/* One network, used by many threads at once: no shared state to trip on. */
static void test_parallel(void **state)
{
  fx *f = *state;
  write_text(f->plugin_dir, "crioc-echo", echo_plugin, 0755);
  write_text(f->conf_dir, "10-echo.conflist", echo_list, 0644);
  cni_network *n = load(f, NULL);
  pthread_t t[8];
  par_arg a[8];
  for (int i = 0; i < 8; i++) {
    a[i] = (par_arg){ f, n, i, -1 };
    assert_int_equal(pthread_create(&t[i], NULL, par_add_del, &a[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(a[i].rc, 0);
  }
  _cleanup_free_ char *adds = sh("grep -c ^ADD %s/calls", f->plugin_dir);
  assert_string_equal(adds, "16");
  cni_network_free(n);
}

/* ------------------------------------------------------------ real plugins */

static void need_root(void)
{
  if (geteuid() != 0 || access(SYS_PLUGINS "/bridge", X_OK) != 0 ||
      access(SYS_PLUGINS "/portmap", X_OK) != 0)
    skip();
}

/* bridge + host-local on this test's bridge and subnet, then `second`. */
static cni_network *bridge_net(fx *f, const char *second)
{
  _cleanup_free_ char *list = xasprintf(
      "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",\"plugins\":[{\"type\":\"bridge\","
      "\"bridge\":\"%s\",\"isGateway\":true,\"ipMasq\":false,\"hairpinMode\":true,"
      "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"%s\",\"ranges\":[[{\"subnet\":"
      "\"%s.0/24\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}},%s]}",
      f->net, f->bridge, f->ipam_dir, f->prefix, second);
  write_text(f->conf_dir, "10-bridge.conflist", list, 0644);
  return load(f, NULL);
}

static const char *pin(fx *f, int i, const char *id)
{
  crio_err *err = NULL;
  must(ns_pin_create(f->ns_dir, id, NS_PIN_NET, NULL, &f->pins[i], &err), err, "pin");
  return f->pins[i].net;
}

/* What is left of a pod on the host and in its netns after DEL or undo:
 * no eth0, no bridge port beyond ports_left, its address (ip, or with NULL
 * any address) no longer held by host-local, no cache entry. */
static void assert_no_trace(fx *f, const char *netns, const char *id, const char *ip,
                            const char *ports_left)
{
  _cleanup_free_ char *links = sh("nsenter --net=%s ip -o link", netns);
  assert_non_null(strstr(links, "lo"));
  assert_null(strstr(links, "eth0"));
  _cleanup_free_ char *ports = sh("ls /sys/class/net/%s/brif 2>/dev/null | wc -l", f->bridge);
  assert_string_equal(ports, ports_left);
  _cleanup_free_ char *bare = ip ? xstrndup(ip, strcspn(ip, "/")) : NULL;
  _cleanup_free_ char *held = sh("ls %s/%s 2>/dev/null | grep %s '%s' || true", f->ipam_dir,
                                 f->net, ip ? "-x -F" : "-E", ip ? bare : "^[0-9a-f:.]+$");
  assert_string_equal(held, "");
  _cleanup_free_ char *cache = xasprintf("%s/%s/%s.json", f->cache_dir, f->net, id);
  assert_false(exists(cache));
}

static void test_bridge_two_pods_ping(void **state)
{
  fx *f = *state;
  need_root();
  cni_network *n = bridge_net(f, "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}");
  cni_runtime a = runtime(f, "ctr-a", pin(f, 0, "a")), b = runtime(f, "ctr-b", pin(f, 1, "b"));
  cni_result ra = { 0 }, rb = { 0 };
  crio_err *err = NULL;
  must(cni_add(n, &a, &ra, &err), err, "add a");
  must(cni_add(n, &b, &rb, &err), err, "add b");
  _cleanup_free_ char *gw = xasprintf("%s.1", f->prefix), *net = xasprintf("%s.", f->prefix);
  cni_result *rs[] = { &ra, &rb };
  for (int i = 0; i < 2; i++) {
    assert_int_equal(rs[i]->n_ips, 1);
    assert_true(strncmp(rs[i]->ips[0], net, strlen(net)) == 0);
    assert_non_null(strstr(rs[i]->ips[0], "/24"));
    assert_int_equal(rs[i]->n_gateways, 1);
    assert_string_equal(rs[i]->gateways[0], gw);
    assert_non_null(rs[i]->mac);
    _cleanup_free_ char *addr = sh("nsenter --net=%s ip -o -4 addr show dev eth0", f->pins[i].net);
    assert_non_null(strstr(addr, rs[i]->ips[0]));
  }
  assert_string_not_equal(ra.ips[0], rb.ips[0]);
  _cleanup_free_ char *ipb = xstrndup(rb.ips[0], strcspn(rb.ips[0], "/"));
  _cleanup_free_ char *ping = sh("nsenter --net=%s busybox ping -c1 -W2 %s >/dev/null && echo ok",
                                 a.netns, ipb);
  assert_string_equal(ping, "ok");
  must(cni_check(n, &a, &err), err, "check a");

  must(cni_del(n, &a, &err), err, "del a");
  must(cni_del(n, &a, &err), err, "del a again");
  assert_no_trace(f, a.netns, "ctr-a", ra.ips[0], "1");
  must(cni_del(NULL, &b, &err), err, "del b from the cache");
  must(cni_del(NULL, &b, &err), err, "del b again");
  assert_no_trace(f, b.netns, "ctr-b", NULL, "0");
  cni_result_clear(&ra);
  cni_result_clear(&rb);
  cni_network_free(n);
}

static void test_portmap_rules(void **state)
{
  fx *f = *state;
  need_root();
  cni_network *n = bridge_net(f, "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}");
  int port = 20000 + (int) getpid() % 20000;
  cni_port_mapping pm = { .host_port = port, .container_port = 80, .protocol = "TCP",
                          .host_ip = "127.0.0.1" };
  cni_runtime rt = runtime(f, "ctr-p", pin(f, 0, "p"));
  rt.ports = &pm;
  rt.n_ports = 1;
  cni_result res = { 0 };
  crio_err *err = NULL;
  must(cni_add(n, &rt, &res, &err), err, "add");
  _cleanup_free_ char *dport = xasprintf("--dport %d", port);
  _cleanup_free_ char *rules = sh("iptables -t nat -S");
  assert_non_null(strstr(rules, "-N CNI-HOSTPORT-DNAT"));
  assert_non_null(strstr(rules, dport));
  _cleanup_free_ char *jump = sh("iptables -t nat -S CNI-HOSTPORT-DNAT | grep -c CNI-DN-");
  assert_string_not_equal(jump, "");
  rt.ports = NULL; /* DEL takes the mappings from the cache */
  rt.n_ports = 0;
  must(cni_del(n, &rt, &err), err, "del");
  _cleanup_free_ char *after = sh("iptables -t nat -S");
  assert_null(strstr(after, dport));
  assert_no_trace(f, rt.netns, "ctr-p", NULL, "0");
  cni_result_clear(&res);
  cni_network_free(n);
}

static void test_failed_add_is_undone(void **state)
{
  fx *f = *state;
  need_root();
  write_text(f->plugin_dir, "crioc-fail",
             "#!/bin/sh\ncat >/dev/null\n[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
             "echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"boom from test\"}'\nexit 1\n",
             0755);
  cni_network *n = bridge_net(f, "{\"type\":\"crioc-fail\"}");
  cni_runtime rt = runtime(f, "ctr-f", pin(f, 0, "f"));
  cni_result res = { 0 };
  crio_err *err = NULL;
  assert_int_equal(cni_add(n, &rt, &res, &err), -CRIO_E_INVALID);
  _cleanup_free_ char *want = xasprintf("CNI plugin crioc-fail (network %s) ADD failed: boom from test",
                                        f->net);
  assert_string_equal(err->message, want);
  crio_err_free(err);
  assert_null(res.json);
  assert_no_trace(f, rt.netns, "ctr-f", NULL, "0");
  cni_network_free(n);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_load_first_named_invalid, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_plugin, setup, teardown),
    cmocka_unit_test_setup_teardown(test_protocol_chaining_and_cache, setup, teardown),
    cmocka_unit_test_setup_teardown(test_plugin_error_and_timeout, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bridge_two_pods_ping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_portmap_rules, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_add_is_undone, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
