/* The pure parts of kpod's container and pod verbs: the options of create
 * and run parsed as podman parses them (--memory, --cpus, -p, -v, --tmpfs,
 * -e, --entrypoint, --device), the ContainerSpec built from a command line,
 * the exit status of a failed start, the rows of `kpod ps` and `kpod pod
 * ps`, log lines, and the command-line machinery they use (options before
 * the image, integer flags, subcommands). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/kpod/commands.h"
#include "adapters/kpod/container.h"
#include "adapters/kpod/jsonutil.h"
#include "adapters/kpod/ps.h"
#include "adapters/kpod/spec.h"
#include "adapters/kpod/units.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define SEC INT64_C(1000000000)

static json_t *load(const char *text)
{
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  return j;
}

/* j as compact JSON with sorted keys, for comparisons */
static char *dump(const json_t *j)
{
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  assert_non_null(s);
  return s;
}

static void assert_json(const json_t *j, const char *want)
{
  _cleanup_json_ json_t *w = load(want);
  _cleanup_free_ char *got = dump(j), *exp = dump(w);
  assert_string_equal(got, exp);
}

static void assert_memory(const char *s, int64_t want)
{
  int64_t got = -1;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_parse_memory(s, &got, &err), 0);
  assert_int_equal(got, want);
}

static void assert_memory_error(const char *s, const char *want)
{
  int64_t got = -1;
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_memory(s, &got, &err) < 0);
  assert_string_equal(err->message, want);
  assert_int_equal(got, -1);
}

static void test_memory_units(void **state)
{
  assert_memory("512m", 536870912);
  assert_memory("512M", 536870912);
  assert_memory("512mb", 536870912);
  assert_memory("512 MiB", 536870912);
  assert_memory("1g", 1073741824);
  assert_memory("1.5g", 1610612736);
  assert_memory("10k", 10240);
  assert_memory("10KB", 10240);
  assert_memory("100", 100);
  assert_memory("100b", 100);
  assert_memory("2t", INT64_C(2199023255552));
  assert_memory("0", 0);
  assert_memory_error("abc", "invalid size: 'abc'");
  assert_memory_error("12x", "invalid suffix: 'x'");
  assert_memory_error("12kbb", "invalid suffix: 'kbb'");
  assert_memory_error("12mib2", "strconv.ParseFloat: parsing \"12mib2\": invalid syntax");
  assert_memory_error("-1", "invalid size: '-1'");
  assert_memory_error("1.2.3m", "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
  assert_memory_error("", "invalid size: ''");
}

static void test_cpus_conversion(void **state)
{
  struct { const char *in; int64_t quota, period; } ok[] = {
    { "1.5", 150000, 100000 }, { "0.5", 50000, 100000 }, { "2", 200000, 100000 },
    { "0.001", 100, 100000 },  { "0", 0, 0 },
  };
  for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
    int64_t q = -1, p = -1;
    assert_int_equal(kpod_parse_cpus(ok[i].in, &q, &p, NULL), 0);
    assert_int_equal(q, ok[i].quota);
    assert_int_equal(p, ok[i].period);
  }
  int64_t q, p;
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_cpus("x", &q, &p, &err) < 0);
  assert_string_equal(err->message, "invalid argument \"x\" for \"--cpus\" flag: "
                                    "strconv.ParseFloat: parsing \"x\": invalid syntax");
  _cleanup_err_ crio_err *err2 = NULL;
  assert_true(kpod_parse_cpus("-1", &q, &p, &err2) < 0);
  assert_non_null(strstr(err2->message, "\"-1\""));
}

static void assert_publish(const char *spec, const char *want)
{
  _cleanup_json_ json_t *ports = json_array();
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_parse_publish(spec, ports, &err), 0);
  assert_json(ports, want);
}

static void test_publish_forms(void **state)
{
  assert_publish("80", "[{\"host_port\":0,\"container_port\":80,\"protocol\":\"tcp\"}]");
  assert_publish("8080:80", "[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"tcp\"}]");
  assert_publish(":80", "[{\"host_port\":0,\"container_port\":80,\"protocol\":\"tcp\"}]");
  assert_publish("127.0.0.1:8080:80/udp", "[{\"host_ip\":\"127.0.0.1\",\"host_port\":8080,"
                                          "\"container_port\":80,\"protocol\":\"udp\"}]");
  assert_publish("0.0.0.0:8080:80", "[{\"host_port\":8080,\"container_port\":80,"
                                    "\"protocol\":\"tcp\"}]");
  assert_publish("127.0.0.1::53/UDP", "[{\"host_ip\":\"127.0.0.1\",\"host_port\":0,"
                                      "\"container_port\":53,\"protocol\":\"udp\"}]");
  assert_publish("[::1]:8080:80", "[{\"host_ip\":\"::1\",\"host_port\":8080,"
                                  "\"container_port\":80,\"protocol\":\"tcp\"}]");
  assert_publish("[0:0::1]:8080:80", "[{\"host_ip\":\"::1\",\"host_port\":8080,"
                                     "\"container_port\":80,\"protocol\":\"tcp\"}]");
  assert_publish("53/tcp,udp", "[{\"host_port\":0,\"container_port\":53,\"protocol\":\"tcp\"},"
                               "{\"host_port\":0,\"container_port\":53,\"protocol\":\"udp\"}]");
  assert_publish("8080-8081:80-81/sctp",
                 "[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"sctp\"},"
                 "{\"host_port\":8081,\"container_port\":81,\"protocol\":\"sctp\"}]");
  assert_publish("80-81", "[{\"host_port\":0,\"container_port\":80,\"protocol\":\"tcp\"},"
                          "{\"host_port\":0,\"container_port\":81,\"protocol\":\"tcp\"}]");
}

static void test_publish_errors(void **state)
{
  struct { const char *in, *want; } cases[] = {
    { "", "must provide a non-empty container port to publish" },
    { "80/tcp/udp", "invalid port format - protocol can only be specified once" },
    { "1:2:3:4", "invalid port format - format is [[hostIP:]hostPort:]containerPort" },
    { "80/", "must provide a non-empty protocol to publish" },
    { "80/icmp", "unrecognized protocol \"icmp\" in port mapping" },
    { "x:80", "parsing host port: invalid port number: strconv.Atoi: parsing \"x\": "
              "invalid syntax" },
    { "8080:0", "parsing container port: port numbers must be between 1 and 65535 (inclusive), "
                "got 0" },
    { "70000", "parsing container port: port numbers must be between 1 and 65535 (inclusive), "
               "got 70000" },
    { "8080-8082:80-81", "host and container port ranges have different lengths: 3 vs 2" },
    { "81-80", "parsing container port: the end port of a range must be higher than the start "
               "port - 80 is not higher than 81" },
    { "80-", "parsing container port: must provide ending number for port range" },
    { "-80", "parsing container port: port numbers cannot be negative" },
    { "1-2-3", "parsing container port: invalid port format - port ranges are formatted as "
               "startPort-stopPort" },
    { "host:8080:80", "cannot parse \"host\" as an IP address" },
    { ":8080:80", "must provide a non-empty container host IP to publish" },
    { "[::1]:80", "invalid port format - must provide host and destination port if specifying "
                  "an IP" },
    { "[::1]:1:2:3", "invalid port format - when v6 address specified, must be "
                     "[ipv6]:hostPort:ctrPort" },
    { "::1]:80:80", "invalid port format - IPv6 addresses must be enclosed by []" },
    { "[::1]80:80", "invalid port format - IPv6 address must be followed by a colon (':')" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_json_ json_t *ports = json_array();
    _cleanup_err_ crio_err *err = NULL;
    assert_true(kpod_parse_publish(cases[i].in, ports, &err) < 0);
    assert_string_equal(err->message, cases[i].want);
  }
}

static void assert_volume(const char *spec, const char *cwd, const char *want)
{
  json_t *m = NULL;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_parse_volume(spec, cwd, &m, &err), 0);
  assert_json(m, want);
  json_decref(m);
}

static void test_volume_forms(void **state)
{
  assert_volume("/srv:/data", NULL,
                "{\"type\":\"bind\",\"source\":\"/srv\",\"destination\":\"/data\"}");
  assert_volume("/srv:/data:ro", NULL, "{\"type\":\"bind\",\"source\":\"/srv\","
                                       "\"destination\":\"/data\",\"options\":[\"ro\"]}");
  assert_volume("/srv:/data:ro,Z,nosuid", NULL,
                "{\"type\":\"bind\",\"source\":\"/srv\",\"destination\":\"/data\","
                "\"options\":[\"ro\",\"Z\",\"nosuid\"]}");
  assert_volume("./x:/y", "/home/u", "{\"type\":\"bind\",\"source\":\"/home/u/x\","
                                     "\"destination\":\"/y\"}");
  assert_volume("../x/./z:/y", "/home/u", "{\"type\":\"bind\",\"source\":\"/home/x/z\","
                                          "\"destination\":\"/y\"}");
  assert_volume(".:/src", "/", "{\"type\":\"bind\",\"source\":\"/\",\"destination\":\"/src\"}");
}

static void test_volume_errors(void **state)
{
  struct { const char *in, *cwd, *want; } cases[] = {
    { "data:/y", "/h", "invalid volume \"data:/y\": the source must be an absolute path "
                       "(crio-c has no named volumes)" },
    { "./x:/y", NULL, "invalid volume \"./x:/y\": the source must be an absolute path "
                      "(crio-c has no named volumes)" },
    { "/data", NULL, "invalid volume \"/data\": crio-c has no anonymous volumes, give SRC:DST" },
    { "/a:b", NULL, "invalid container path \"b\", must be an absolute path" },
    { ":/b", NULL, "host directory cannot be empty" },
    { "/a:/b:ro,rw", NULL, "invalid options \"ro,rw\", can only specify 1 'rw' or 'ro' option" },
    { "/a:/b:z,Z", NULL, "invalid options \"z,Z\", can only specify 1 'z' or 'Z' option" },
    { "/a:/b:foo", NULL, "invalid option type \"foo\" in volume \"/a:/b:foo\"" },
    { "/a:/b:ro:x", NULL, "incorrect volume format \"/a:/b:ro:x\", should be "
                          "[host-dir:]ctr-dir[:option]" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    json_t *m = NULL;
    _cleanup_err_ crio_err *err = NULL;
    assert_true(kpod_parse_volume(cases[i].in, cases[i].cwd, &m, &err) < 0);
    assert_null(m);
    assert_string_equal(err->message, cases[i].want);
  }
}

static void test_tmpfs(void **state)
{
  json_t *m = NULL;
  assert_int_equal(kpod_parse_tmpfs("/tmp", &m, NULL), 0);
  assert_json(m, "{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/tmp\","
                 "\"options\":[\"rw\",\"noexec\",\"nosuid\",\"nodev\"]}");
  json_decref(m);
  assert_int_equal(kpod_parse_tmpfs("/run:size=64m,mode=1777", &m, NULL), 0);
  assert_json(m, "{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/run\","
                 "\"options\":[\"size=64m\",\"mode=1777\"]}");
  json_decref(m);
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_tmpfs("tmp:size=1m", &m, &err) < 0);
  assert_string_equal(err->message, "invalid container path \"tmp\", must be an absolute path");
}

static void test_env(void **state)
{
  char *environ_[] = { "HOME=/root", "PATH=/bin", "PATHEXT=x", "EMPTY=", "NOEQ", NULL };
  _cleanup_json_ json_t *env = json_object();
  const char *lines[] = { "A=1", "HOME", "UNSET", "EMPTY", "PAT*", "B=x=y", "A=2", "  C=3" };
  for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
    assert_int_equal(kpod_parse_env(lines[i], environ_, env, NULL), 0);
  _cleanup_json_ json_t *list = kpod_env_list(env);
  assert_json(list, "[\"A=2\",\"HOME=/root\",\"EMPTY=\",\"PATH=/bin\",\"PATHEXT=x\","
                    "\"B=x=y\",\"C=3\"]");
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_env("=x", environ_, env, &err) < 0);
  assert_string_equal(err->message, "invalid environment variable: \"=x\"");
}

static void test_env_file(void **state)
{
  char path[] = "/tmp/kpod-env-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *text = "# comment\n\n  A=1\r\nHOME\nB=two words\n";
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  char *environ_[] = { "HOME=/root", NULL };
  _cleanup_json_ json_t *env = json_object();
  assert_int_equal(kpod_parse_env_file(path, environ_, env, NULL), 0);
  unlink(path);
  assert_json(env, "{\"A\":\"1\",\"HOME\":\"/root\",\"B\":\"two words\"}");
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_env_file(path, environ_, env, &err) < 0);
  assert_non_null(strstr(err->message, path));
}

static void assert_entrypoint(const char *in, const char *want)
{
  _cleanup_json_ json_t *e = kpod_parse_entrypoint(in);
  assert_json(e, want);
}

static void test_entrypoint_syntax(void **state)
{
  assert_entrypoint("/bin/sh", "[\"/bin/sh\"]");
  assert_entrypoint("/bin/sh -c", "[\"/bin/sh -c\"]");
  assert_entrypoint("[\"sh\",\"-c\"]", "[\"sh\",\"-c\"]");
  assert_entrypoint(" [ \"sh\" ] ", "[\"sh\"]");
  assert_entrypoint("[]", "[]");
  assert_entrypoint("", "[]");
  assert_entrypoint("null", "[]");
  assert_entrypoint("[\"a\",1]", "[\"[\\\"a\\\",1]\"]");
  assert_entrypoint("[\"a\"", "[\"[\\\"a\\\"\"]");
  assert_entrypoint("\"x\"", "[\"\\\"x\\\"\"]");
}

static void test_device(void **state)
{
  struct { const char *in, *want; } ok[] = {
    { "/dev/fuse", "{\"host_path\":\"/dev/fuse\",\"container_path\":\"/dev/fuse\","
                   "\"permissions\":\"rwm\"}" },
    { "/dev/a:/dev/b", "{\"host_path\":\"/dev/a\",\"container_path\":\"/dev/b\","
                       "\"permissions\":\"rwm\"}" },
    { "/dev/a:rw", "{\"host_path\":\"/dev/a\",\"container_path\":\"/dev/a\","
                   "\"permissions\":\"rw\"}" },
    { "/dev/a:/dev/b:r", "{\"host_path\":\"/dev/a\",\"container_path\":\"/dev/b\","
                         "\"permissions\":\"r\"}" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
    json_t *d = NULL;
    assert_int_equal(kpod_parse_device(ok[i].in, &d, NULL), 0);
    assert_json(d, ok[i].want);
    json_decref(d);
  }
  struct { const char *in, *want; } bad[] = {
    { "/dev/a:xyz", "invalid device mode: xyz" },
    { "/dev/a:/dev/b:rr", "invalid device mode: rr" },
    { "/a:/b:r:x", "invalid device specification: /a:/b:r:x" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    json_t *d = NULL;
    _cleanup_err_ crio_err *err = NULL;
    assert_true(kpod_parse_device(bad[i].in, &d, &err) < 0);
    assert_string_equal(err->message, bad[i].want);
  }
}

static void test_labels_and_annotations(void **state)
{
  _cleanup_json_ json_t *l = json_object(), *a = json_object();
  assert_int_equal(kpod_parse_label("app=web", l, NULL), 0);
  assert_int_equal(kpod_parse_label("flag", l, NULL), 0);
  assert_int_equal(kpod_parse_label("x=a=b", l, NULL), 0);
  assert_json(l, "{\"app\":\"web\",\"flag\":\"\",\"x\":\"a=b\"}");
  assert_true(kpod_parse_label("=v", l, NULL) < 0);
  assert_int_equal(kpod_parse_annotation("k=v", a, NULL), 0);
  assert_json(a, "{\"k\":\"v\"}");
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_parse_annotation("k", a, &err) < 0);
  assert_string_equal(err->message, "annotations must be formatted KEY=VALUE: \"k\"");
}

static const kpod_flag create_flags[] = {
  KPOD_CREATE_FLAGS,
  { NULL, 0, 0, NULL, NULL },
};

static void test_container_spec(void **state)
{
  char *argv[] = { "--name", "web", "-e", "A=1", "-m", "1g", "--cpus", "0.5", "-p", "8080:80",
                   "-v", "/srv:/srv:ro", "-l", "app=web", "--cap-add", "NET_ADMIN,SYS_TIME",
                   "--read-only", "-t", "--pids-limit", "-1", "--entrypoint", "/bin/sh",
                   "-w", "/work", "alpine", "-c", "--name", "x" };
  _cleanup_kpod_args_ kpod_args a = { 0 };
  int argc = (int) ARRAY_SIZE(argv);
  assert_int_equal(kpod_args_parse(create_flags, argc, argv, KPOD_PARSE_FLAGS_FIRST, &a, NULL), 0);
  kpod_spec_env env = { NULL, "/" };
  _cleanup_json_ json_t *spec = NULL;
  assert_int_equal(kpod_container_spec(&a, &env, &spec, NULL), 0);
  assert_json(spec, "{\"image\":\"alpine\",\"name\":\"web\",\"entrypoint\":[\"/bin/sh\"],"
                    "\"command\":[\"-c\",\"--name\",\"x\"],\"env\":[\"A=1\"],"
                    "\"mounts\":[{\"type\":\"bind\",\"source\":\"/srv\",\"destination\":\"/srv\","
                    "\"options\":[\"ro\"]}],"
                    "\"ports\":[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"tcp\"}],"
                    "\"labels\":{\"app\":\"web\"},"
                    "\"resources\":{\"memory_limit\":1073741824,\"cpu_quota\":50000,"
                    "\"cpu_period\":100000,\"pids_limit\":-1},"
                    "\"security\":{\"readonly_rootfs\":true,\"cap_add\":[\"NET_ADMIN\","
                    "\"SYS_TIME\"]},\"working_dir\":\"/work\",\"tty\":true}");
}

static void test_container_spec_entrypoint_drops_cmd(void **state)
{
  char *argv[] = { "--entrypoint", "[\"env\"]", "alpine" };
  _cleanup_kpod_args_ kpod_args a = { 0 };
  assert_int_equal(kpod_args_parse(create_flags, 3, argv, KPOD_PARSE_FLAGS_FIRST, &a, NULL), 0);
  kpod_spec_env env = { NULL, NULL };
  _cleanup_json_ json_t *spec = NULL;
  assert_int_equal(kpod_container_spec(&a, &env, &spec, NULL), 0);
  assert_json(spec, "{\"image\":\"alpine\",\"entrypoint\":[\"env\"],\"command\":[]}");
  char *bad[] = { "-m", "1q", "alpine" };
  _cleanup_kpod_args_ kpod_args b = { 0 };
  assert_int_equal(kpod_args_parse(create_flags, 3, bad, KPOD_PARSE_FLAGS_FIRST, &b, NULL), 0);
  _cleanup_err_ crio_err *err = NULL;
  json_t *none = NULL;
  assert_true(kpod_container_spec(&b, &env, &none, &err) < 0);
  assert_null(none);
  assert_string_equal(err->message, "invalid value for memory: invalid suffix: 'q'");
}

static void test_start_exit_codes(void **state)
{
  assert_int_equal(kpod_start_exit_code("runc create failed: exec: \"foo\": executable file not "
                                        "found in $PATH"), 127);
  assert_int_equal(kpod_start_exit_code("exec /bin/nope: No such file or directory"), 127);
  assert_int_equal(kpod_start_exit_code("exec: \"/etc\": permission denied"), 126);
  assert_int_equal(kpod_start_exit_code("Operation not permitted"), 126);
  assert_int_equal(kpod_start_exit_code("start container x: cgroup: device busy"), 125);
  assert_int_equal(kpod_start_exit_code(NULL), 125);
}

static void assert_status(const char *container, int64_t now_ns, const char *want)
{
  _cleanup_json_ json_t *c = load(container);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_container_status(&b, c, now_ns);
  assert_string_equal(b.data ? b.data : "", want);
}

static void test_ps_status(void **state)
{
  int64_t t0;
  assert_int_equal(kpod_time_parse("2024-01-02T03:04:00Z", &t0), 0);
  assert_status("{\"state\":\"running\",\"started\":\"2024-01-02T03:03:55.9Z\"}", t0,
                "Up 5 seconds");
  assert_status("{\"state\":\"running\",\"started\":\"2024-01-02T03:04:00Z\"}", t0 + SEC / 2,
                "Up Less than a second");
  assert_status("{\"state\":\"running\",\"started\":\"2024-01-02T02:00:00Z\"}", t0,
                "Up About an hour");
  assert_status("{\"state\":\"exited\",\"exit_code\":0,\"finished\":\"2024-01-02T03:03:57Z\"}",
                t0, "Exited (0) 3 seconds ago");
  assert_status("{\"state\":\"exited\",\"exit_code\":137,"
                "\"finished\":\"2024-01-02T03:02:00.5Z\"}", t0, "Exited (137) 2 minutes ago");
  assert_status("{\"state\":\"created\"}", t0, "Created");
  assert_status("{\"state\":\"paused\"}", t0, "Paused");
  assert_status("{\"state\":\"unknown\"}", t0, "Unknown");
}

static void test_ps_command_and_ports(void **state)
{
  _cleanup_json_ json_t *cmd = load("[\"sh\",\"-c\",\"sleep 1000 && echo done\"]");
  _cleanup_free_ char *cut = kpod_ps_command(cmd, 0), *full = kpod_ps_command(cmd, 1);
  assert_string_equal(cut, "sh -c sleep 1000 ...");
  assert_string_equal(full, "sh -c sleep 1000 && echo done");
  _cleanup_json_ json_t *short_cmd = load("[\"top\"]");
  _cleanup_free_ char *top = kpod_ps_command(short_cmd, 0);
  assert_string_equal(top, "top");
  _cleanup_json_ json_t *ports = load(
    "[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"tcp\"},"
    "{\"host_port\":8081,\"container_port\":81,\"protocol\":\"tcp\"},"
    "{\"host_port\":8082,\"container_port\":82,\"protocol\":\"udp\"},"
    "{\"host_ip\":\"127.0.0.1\",\"host_port\":5353,\"container_port\":53}]");
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_ports_string(&b, ports);
  assert_string_equal(b.data, "0.0.0.0:8080-8081->80-81/tcp, 0.0.0.0:8082->82/udp, "
                              "127.0.0.1:5353->53/tcp");
}

static void test_ps_rows(void **state)
{
  int64_t now;
  assert_int_equal(kpod_time_parse("2024-01-02T03:05:00Z", &now), 0);
  _cleanup_json_ json_t *containers = load(
    "[{\"id\":\"0123456789abcdef0123\",\"name\":\"web\",\"pod_id\":\"feedfacecafe0000\","
    "\"image\":\"alpine\",\"image_id\":\"sha256:aaaabbbbccccdddd\",\"command\":[\"top\"],"
    "\"state\":\"running\",\"pid\":42,\"exit_code\":0,\"created\":\"2024-01-02T03:04:00.5Z\","
    "\"started\":\"2024-01-02T03:04:50Z\",\"finished\":\"\",\"labels\":{\"a\":\"b\"},"
    "\"size_rw\":1234,\"spec\":{\"mounts\":[{\"destination\":\"/data\"}]}}]");
  _cleanup_json_ json_t *pods = load(
    "{\"feedfacecafe0000\":{\"name\":\"mypod\",\"ports\":[{\"host_port\":80,"
    "\"container_port\":80}]}}");
  _cleanup_json_ json_t *sizes = load("{\"sha256:aaaabbbbccccdddd\":7000000}");
  kpod_ps_ctx pc = { .pods = pods, .image_sizes = sizes, .size = 1, .now_ns = now };
  _cleanup_json_ json_t *rows = kpod_ps_rows(containers, &pc);
  json_t *r = json_array_get(rows, 0);
  assert_string_equal(kpod_json_str(r, "ID", ""), "0123456789ab");
  assert_string_equal(kpod_json_str(r, "ImageID", ""), "aaaabbbbcccc");
  assert_string_equal(kpod_json_str(r, "Status", ""), "Up 10 seconds");
  assert_string_equal(kpod_json_str(r, "State", ""), "running");
  assert_string_equal(kpod_json_str(r, "CreatedHuman", ""), "59 seconds ago");
  assert_string_equal(kpod_json_str(r, "CreatedAt", ""), "2024-01-02 03:04:00.5 +0000 UTC");
  assert_string_equal(kpod_json_str(r, "Ports", ""), "0.0.0.0:80->80/tcp");
  assert_string_equal(kpod_json_str(r, "Pod", ""), "feedfacecafe");
  assert_string_equal(kpod_json_str(r, "PodName", ""), "mypod");
  assert_string_equal(kpod_json_str(r, "Size", ""), "1.23kB (virtual 7MB)");
  assert_json(json_object_get(r, "Mounts"), "[\"/data\"]");
  _cleanup_strbuf_ strbuf out = STRBUF_INIT;
  assert_int_equal(kpod_report_render(&out, NULL, "{{.ID}}\t{{.Names}}\t{{.Status}}\n",
                                      kpod_ps_columns, rows, 0, NULL), 0);
  assert_string_equal(out.data, "CONTAINER ID  NAMES       STATUS\n"
                                "0123456789ab  web         Up 10 seconds\n");
}

static void test_pod_status_and_rows(void **state)
{
  struct { const char *states, *want; } cases[] = {
    { "[]", "Created" },
    { "[\"running\",\"running\"]", "Running" },
    { "[\"running\",\"exited\"]", "Degraded" },
    { "[\"paused\"]", "Paused" },
    { "[\"exited\",\"exited\"]", "Exited" },
    { "[\"exited\",\"created\"]", "Stopped" },
    { "[\"unknown\",\"created\"]", "Error" },
    { "[\"created\"]", "Created" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_json_ json_t *s = load(cases[i].states);
    assert_string_equal(kpod_pod_status(s), cases[i].want);
  }
  int64_t now;
  assert_int_equal(kpod_time_parse("2024-01-02T03:05:00Z", &now), 0);
  _cleanup_json_ json_t *pods = load(
    "[{\"id\":\"1111111111111111\",\"name\":\"old\",\"created\":\"2024-01-01T03:05:00Z\","
    "\"containers\":[]},"
    "{\"id\":\"2222222222222222\",\"name\":\"new\",\"created\":\"2024-01-02T03:04:00Z\","
    "\"state\":\"READY\",\"containers\":[\"c1c1c1c1c1c1c1c1\",\"c2c2c2c2c2c2c2c2\"]}]");
  _cleanup_json_ json_t *ctrs = load(
    "{\"c1c1c1c1c1c1c1c1\":{\"name\":\"a\",\"state\":\"running\"},"
    "\"c2c2c2c2c2c2c2c2\":{\"name\":\"b\",\"state\":\"exited\"}}");
  _cleanup_json_ json_t *rows = kpod_pod_rows(pods, ctrs, 0, now);
  json_t *first = json_array_get(rows, 0);
  assert_string_equal(kpod_json_str(first, "Name", ""), "new");
  assert_string_equal(kpod_json_str(first, "Id", ""), "222222222222");
  assert_string_equal(kpod_json_str(first, "Status", ""), "Degraded");
  assert_string_equal(kpod_json_str(first, "Created", ""), "About a minute ago");
  assert_string_equal(kpod_json_str(first, "ContainerIds", ""), "c1c1c1c1c1c1,c2c2c2c2c2c2");
  assert_string_equal(kpod_json_str(first, "ContainerNames", ""), "a,b");
  assert_string_equal(kpod_json_str(first, "ContainerStatuses", ""), "running,exited");
  assert_int_equal(json_integer_value(json_object_get(first, "NumberOfContainers")), 2);
  assert_string_equal(kpod_json_str(json_array_get(rows, 1), "Status", ""), "Created");
}

static void assert_log(const char *line, int timestamps, const char *want, int want_stderr)
{
  _cleanup_json_ json_t *j = load(line);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  int to_stderr = -1;
  assert_int_equal(kpod_log_line_render(&b, j, timestamps, &to_stderr), 0);
  assert_string_equal(b.data ? b.data : "", want);
  assert_int_equal(to_stderr, want_stderr);
}

static void test_log_lines(void **state)
{
  assert_log("{\"time\":\"2024-01-02T03:04:05.123456789Z\",\"stream\":\"stdout\","
             "\"log\":\"hello\\n\"}", 0, "hello\n", 0);
  assert_log("{\"time\":\"2024-01-02T03:04:05.1234Z\",\"stream\":\"stderr\",\"log\":\"oops\\n\"}",
             1, "2024-01-02T03:04:05.123400000Z oops\n", 1);
  assert_log("{\"time\":\"2024-01-02T03:04:05+01:00\",\"stream\":\"stdout\",\"log\":\"part\"}", 1,
             "2024-01-02T03:04:05.000000000+01:00 part", 0);
  assert_log("{\"time\":\"2024-01-02T03:04:05.5+00:00\",\"stream\":\"stdout\",\"log\":\"x\"}", 1,
             "2024-01-02T03:04:05.500000000Z x", 0);
  assert_log("{\"time\":\"garbage\",\"stream\":\"stdout\",\"log\":\"x\"}", 1, "garbage x", 0);
  _cleanup_json_ json_t *bad = load("{\"time\":\"x\"}");
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  int e;
  assert_int_equal(kpod_log_line_render(&b, bad, 0, &e), -1);
}

static void test_object_path(void **state)
{
  _cleanup_free_ char *p = kpod_object_path("containers", "a/b c?%", "/start");
  assert_string_equal(p, "/v1/containers/a%2Fb%20c%3F%25/start");
  _cleanup_free_ char *q = kpod_object_path("pods", "web", NULL);
  assert_string_equal(q, "/v1/pods/web");
}

static const kpod_flag int_flags[] = {
  { "time", 't', KPOD_FLAG_STRING, "uint", "t" },
  { "tail", 0, KPOD_FLAG_STRING, "int", "n" },
  { "detach", 'd', KPOD_FLAG_BOOL, NULL, "d" },
  { NULL, 0, 0, NULL, NULL },
};

static void test_args_flags_first_and_ints(void **state)
{
  char *argv[] = { "-d", "alpine", "ls", "-l", "--tail", "3" };
  _cleanup_kpod_args_ kpod_args a = { 0 };
  assert_int_equal(kpod_args_parse(int_flags, 6, argv, KPOD_PARSE_FLAGS_FIRST, &a, NULL), 0);
  assert_true(kpod_args_bool(&a, "detach"));
  assert_int_equal(a.npositional, 5);
  assert_string_equal(a.positional[2], "-l");
  assert_null(kpod_args_string(&a, "tail"));
  char *ints[] = { "-t", "7", "--tail=-2" };
  _cleanup_kpod_args_ kpod_args b = { 0 };
  assert_int_equal(kpod_args_parse(int_flags, 3, ints, KPOD_PARSE_ANYWHERE, &b, NULL), 0);
  long long v = 0;
  assert_int_equal(kpod_args_int(&b, "time", 0, 100, &v, NULL), 1);
  assert_int_equal(v, 7);
  assert_int_equal(kpod_args_int(&b, "tail", -100, 100, &v, NULL), 1);
  assert_int_equal(v, -2);
  assert_int_equal(kpod_args_int(&a, "time", 0, 100, &v, NULL), 0);
  char *bad[] = { "-t", "-1", "--tail", "x" };
  _cleanup_kpod_args_ kpod_args c = { 0 };
  assert_int_equal(kpod_args_parse(int_flags, 4, bad, KPOD_PARSE_ANYWHERE, &c, NULL), 0);
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL;
  assert_true(kpod_args_int(&c, "time", 0, 100, &v, &e1) < 0);
  assert_string_equal(e1->message, "invalid argument \"-1\" for \"-t, --time\" flag: "
                                   "strconv.ParseUint: parsing \"-1\": invalid syntax");
  assert_true(kpod_args_int(&c, "tail", -100, 100, &v, &e2) < 0);
  assert_string_equal(e2->message, "invalid argument \"x\" for \"--tail\" flag: "
                                   "strconv.ParseInt: parsing \"x\": invalid syntax");
}

static void test_subcommand_lookup(void **state)
{
  const kpod_cmd *pod = kpod_command_find("pod");
  assert_non_null(pod);
  assert_non_null(pod->subcommands);
  const kpod_cmd *ls = kpod_cmd_lookup(pod->subcommands, "ls");
  assert_non_null(ls);
  assert_string_equal(ls->name, "ps");
  assert_ptr_equal(kpod_cmd_lookup(pod->subcommands, "list"), ls);
  assert_null(kpod_cmd_lookup(pod->subcommands, "l"));
  assert_null(kpod_cmd_lookup(pod->subcommands, "images"));
  assert_true(kpod_command_find("run")->flags_first);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_memory_units),
    cmocka_unit_test(test_cpus_conversion),
    cmocka_unit_test(test_publish_forms),
    cmocka_unit_test(test_publish_errors),
    cmocka_unit_test(test_volume_forms),
    cmocka_unit_test(test_volume_errors),
    cmocka_unit_test(test_tmpfs),
    cmocka_unit_test(test_env),
    cmocka_unit_test(test_env_file),
    cmocka_unit_test(test_entrypoint_syntax),
    cmocka_unit_test(test_device),
    cmocka_unit_test(test_labels_and_annotations),
    cmocka_unit_test(test_container_spec),
    cmocka_unit_test(test_container_spec_entrypoint_drops_cmd),
    cmocka_unit_test(test_start_exit_codes),
    cmocka_unit_test(test_ps_status),
    cmocka_unit_test(test_ps_command_and_ports),
    cmocka_unit_test(test_ps_rows),
    cmocka_unit_test(test_pod_status_and_rows),
    cmocka_unit_test(test_log_lines),
    cmocka_unit_test(test_object_path),
    cmocka_unit_test(test_args_flags_first_and_ints),
    cmocka_unit_test(test_subcommand_lookup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
