/* The pure parts of `kpod stats` and `kpod cp`: the stats rows as podman
 * prints them (CPU % from two samples, MEM USAGE / LIMIT with an unlimited
 * container, NET IO summed over the interfaces, "--" for zeros, Go
 * durations, the JSON shape, the default table), and cp's arguments, where
 * a copy lands, and its tar streams made and unpacked on real files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/kpod/cp.h"
#include "adapters/kpod/jsonutil.h"
#include "adapters/kpod/report.h"
#include "adapters/kpod/stats_view.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *load(const char *text)
{
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  return j;
}

/* A Stats object: usage_ns at time (seconds after 12:00:00), memory, nets. */
static json_t *sample(double at, long long usage_ns, double rate, long long mem, long long limit,
                      const char *networks)
{
  char text[2048];
  snprintf(text, sizeof text,
           "{\"id\":\"" ID "\",\"name\":\"web\",\"timestamp\":\"2024-05-01T12:00:%012.9fZ\","
           "\"cpu\":{\"usage_ns\":%lld,\"user_ns\":0,\"system_ns\":7,\"rate\":%g},"
           "\"memory\":{\"usage\":%lld,\"working_set\":0,\"rss\":0,\"limit\":%lld},"
           "\"pids\":{\"current\":3,\"limit\":-1},"
           "\"block_io\":{\"read_bytes\":2048000,\"write_bytes\":0},\"networks\":%s}",
           at, usage_ns, rate, mem, limit, networks);
  return load(text);
}

static const char *field(const json_t *row, const char *key)
{
  const char *s = json_string_value(json_object_get(row, key));
  assert_non_null(s);
  return s;
}

static void test_stats_cpu(void **state)
{
  (void) state;
  _cleanup_json_ json_t *a = sample(1.0, 1000000000, 0.25, 0, 0, "[]");
  _cleanup_json_ json_t *b = sample(2.0, 1500000000, 0.25, 0, 0, "[]");
  _cleanup_json_ json_t *c = sample(3.5, 4500000000, 0.0, 0, 0, "[]");
  /* the CPU time between two samples over the time between them */
  assert_float_equal(kpod_stats_cpu_percent(b, a), 50.0, 1e-9);
  assert_float_equal(kpod_stats_cpu_percent(c, b), 200.0, 1e-9); /* two busy cores */
  /* no previous sample, or one that cannot be used: the daemon's rate */
  assert_float_equal(kpod_stats_cpu_percent(a, NULL), 25.0, 1e-9);
  assert_float_equal(kpod_stats_cpu_percent(a, b), 25.0, 1e-9);
  kpod_stats_view v = { .prev = a };
  _cleanup_json_ json_t *row = kpod_stats_row(b, &v);
  assert_string_equal(field(row, "CPUPerc"), "50.00%");
  kpod_stats_view none = { 0 };
  _cleanup_json_ json_t *idle = kpod_stats_row(c, &none);
  assert_string_equal(field(idle, "CPUPerc"), "--"); /* rate 0: podman's "--" */
}

static void test_stats_memory(void **state)
{
  (void) state;
  _cleanup_json_ json_t *limited = sample(1, 0, 0, 1500000, 67108864, "[]");
  _cleanup_json_ json_t *unlimited = sample(1, 0, 0, 1500000, -1, "[]");
  _cleanup_json_ json_t *above = sample(1, 0, 0, 1500000, INT64_C(1) << 62, "[]");
  kpod_stats_view host = { .memory_total = 16000000000LL };
  kpod_stats_view unknown = { 0 };
  _cleanup_json_ json_t *r1 = kpod_stats_row(limited, &unknown);
  assert_string_equal(field(r1, "MemUsage"), "1.5MB / 67.11MB");
  assert_string_equal(field(r1, "MemPerc"), "2.24%");
  assert_string_equal(field(r1, "MemUsageBytes"), "1.431MiB / 64MiB");
  /* unlimited: the host's memory is the limit, as podman shows it */
  _cleanup_json_ json_t *r2 = kpod_stats_row(unlimited, &host);
  assert_string_equal(field(r2, "MemUsage"), "1.5MB / 16GB");
  assert_string_equal(field(r2, "MemPerc"), "0.01%");
  assert_int_equal(json_integer_value(json_object_get(r2, "MemLimit")), 16000000000LL);
  _cleanup_json_ json_t *r3 = kpod_stats_row(above, &host);
  assert_string_equal(field(r3, "MemUsage"), "1.5MB / 16GB");
  /* unlimited and the host unknown: no limit shown, no percentage */
  _cleanup_json_ json_t *r4 = kpod_stats_row(unlimited, &unknown);
  assert_string_equal(field(r4, "MemUsage"), "1.5MB / --");
  assert_string_equal(field(r4, "MemPerc"), "--");
  assert_string_equal(field(r4, "MemUsageBytes"), "1.431MiB / --");
}

static void test_stats_io_and_pids(void **state)
{
  (void) state;
  _cleanup_json_ json_t *two = sample(
    1, 0, 0, 0, 0,
    "[{\"name\":\"eth0\",\"rx_bytes\":1000,\"tx_bytes\":200},"
    "{\"name\":\"eth1\",\"rx_bytes\":500,\"tx_bytes\":50}]");
  _cleanup_json_ json_t *none = sample(1, 0, 0, 0, 0, "[]");
  kpod_stats_view v = { 0 };
  _cleanup_json_ json_t *r1 = kpod_stats_row(two, &v);
  assert_string_equal(field(r1, "NetIO"), "1.5kB / 250B");
  assert_int_equal(json_integer_value(json_object_get(r1, "NetInput")), 1500);
  assert_int_equal(json_integer_value(json_object_get(r1, "NetOutput")), 250);
  assert_string_equal(field(r1, "BlockIO"), "2.048MB / 0B");
  assert_string_equal(field(r1, "PIDS"), "3");
  assert_string_equal(field(r1, "MemUsage"), "-- / --");
  _cleanup_json_ json_t *r2 = kpod_stats_row(none, &v);
  assert_string_equal(field(r2, "NetIO"), "-- / --");
  assert_string_equal(field(r2, "ID"), "0123456789ab");
  assert_string_equal(field(r2, "Name"), "web");
  kpod_stats_view full = { .no_trunc = 1 };
  _cleanup_json_ json_t *r3 = kpod_stats_row(none, &full);
  assert_string_equal(field(r3, "ID"), ID);
  _cleanup_json_ json_t *idle = kpod_stats_row_idle(ID, "old", 0);
  assert_string_equal(field(idle, "PIDS"), "--");
  assert_string_equal(field(idle, "BlockIO"), "-- / --");
  assert_string_equal(field(idle, "UpTime"), "0s");
}

static void assert_duration(int64_t ns, const char *want)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_go_duration(&b, ns);
  assert_string_equal(b.data, want);
}

static void test_go_duration(void **state)
{
  (void) state;
  assert_duration(0, "0s");
  assert_duration(850, "850ns");
  assert_duration(1500, "1.5\xc2\xb5s");
  assert_duration(4933000, "4.933ms");
  assert_duration(1000000000, "1s");
  assert_duration(279028579000LL, "4m39.028579s");
  assert_duration(7203000000000LL, "2h0m3s");
  assert_duration(-1500000000LL, "-1.5s");
}

static void test_stats_json_and_table(void **state)
{
  (void) state;
  _cleanup_json_ json_t *s = sample(1, 4933000, 0.1234, 1500000, 67108864,
                                    "[{\"name\":\"eth0\",\"rx_bytes\":1000,\"tx_bytes\":200}]");
  kpod_stats_view v = { .avg_cpu = 12.34 };
  _cleanup_json_ json_t *row = kpod_stats_row(s, &v);
  _cleanup_json_ json_t *j = kpod_stats_row_json(row);
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
  assert_string_equal(text, "{\"id\":\"0123456789ab\",\"name\":\"web\",\"cpu_time\":\"4.933ms\","
                            "\"cpu_percent\":\"12.34%\",\"avg_cpu\":\"12.34%\",\"mem_usage\":"
                            "\"1.5MB / 67.11MB\",\"mem_percent\":\"2.24%\",\"net_io\":\"1kB / "
                            "200B\",\"block_io\":\"2.048MB / 0B\",\"pids\":\"3\"}");
  _cleanup_json_ json_t *rows = json_pack("[O]", row);
  _cleanup_strbuf_ strbuf out = STRBUF_INIT;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_report_render(&out, NULL, KPOD_STATS_FORMAT, kpod_stats_columns, rows, 0,
                                      &err), 0);
  assert_string_equal(out.data,
                      "ID            NAME        CPU %       MEM USAGE / LIMIT  MEM %       NET IO"
                      "      BLOCK IO      PIDS\n"
                      "0123456789ab  web         12.34%      1.5MB / 67.11MB    2.24%       1kB / "
                      "200B  2.048MB / 0B  3\n");
  strbuf_reset(&out);
  assert_int_equal(kpod_report_render(&out, "table {{.Name}} {{.PIDs}} {{.CPUNano}}",
                                      KPOD_STATS_FORMAT, kpod_stats_columns, rows, 0, &err), 0);
  assert_string_equal(out.data, "NAME        PIDS        CPU NANO\nweb         3           4933000\n");
}

/* --- cp -------------------------------------------------------------------- */

static void assert_cp(const char *src, const char *dest, const char *sc, const char *sp,
                      const char *dc, const char *dp)
{
  _cleanup_kpod_cp_args_ kpod_cp_args a = { { NULL, NULL }, { NULL, NULL } };
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_cp_parse(src, dest, &a, &err), 0);
  if (sc)
    assert_string_equal(a.src.container, sc);
  else
    assert_null(a.src.container);
  assert_string_equal(a.src.path, sp);
  if (dc)
    assert_string_equal(a.dest.container, dc);
  else
    assert_null(a.dest.container);
  assert_string_equal(a.dest.path, dp);
}

static void assert_cp_error(const char *src, const char *dest, const char *part)
{
  _cleanup_kpod_cp_args_ kpod_cp_args a = { { NULL, NULL }, { NULL, NULL } };
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_cp_parse(src, dest, &a, &err) < 0);
  assert_non_null(err);
  if (!strstr(err->message, part))
    fail_msg("error \"%s\" lacks \"%s\"", err->message, part);
  assert_null(a.src.path);
}

static void test_cp_parse(void **state)
{
  (void) state;
  assert_cp("web:/etc/hosts", ".", "web", "/etc/hosts", NULL, ".");
  assert_cp("./file", "web:/tmp/", NULL, "./file", "web", "/tmp/");
  assert_cp("/abs:olute", "web:rel/path", NULL, "/abs:olute", "web", "rel/path");
  assert_cp("web:/a:b", "-", "web", "/a:b", NULL, "-"); /* the first colon splits */
  assert_cp("-", "0123abc:/srv", NULL, "-", "0123abc", "/srv");
  assert_cp_error("a", "b", "two host paths");
  assert_cp_error("/x", "./y", "two host paths");
  assert_cp_error("web:/a", "db:/b", "between containers");
  assert_cp_error("web:", "x", "you must specify paths");
  assert_cp_error("x", "", "you must specify paths");
  assert_cp_error(":/etc", "x", "a container name is needed");
}

static void test_cp_paths(void **state)
{
  (void) state;
  assert_true(kpod_cp_contents_only("/etc/."));
  assert_true(kpod_cp_contents_only("dir/./"));
  assert_true(kpod_cp_contents_only("."));
  assert_true(kpod_cp_contents_only("/"));
  assert_true(kpod_cp_contents_only("//"));
  assert_false(kpod_cp_contents_only("/etc/"));
  assert_false(kpod_cp_contents_only("/etc/.x"));
  assert_false(kpod_cp_contents_only("a."));
  _cleanup_free_ char *p1 = kpod_cp_container_path("/srv", "data/x");
  _cleanup_free_ char *p2 = kpod_cp_container_path("", "data");
  _cleanup_free_ char *p3 = kpod_cp_container_path("/srv", "/etc");
  _cleanup_free_ char *t1 = kpod_cp_trim("/etc//"), *t2 = kpod_cp_trim("/");
  assert_string_equal(p1, "/srv/data/x");
  assert_string_equal(p2, "/data");
  assert_string_equal(p3, "/etc");
  assert_string_equal(t1, "/etc");
  assert_string_equal(t2, "/");
}

/* The plan as "DIR NAME" (NAME "-" for contents), or "error". */
static void assert_plan(const char *src_name, bool is_dir, bool contents, const char *dest,
                        bool exists, bool dest_dir, const char *want)
{
  kpod_cp_dest d = { .path = dest, .exists = exists, .is_dir = dest_dir };
  _cleanup_kpod_cp_plan_ kpod_cp_plan p = { NULL, NULL };
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *got = NULL;
  if (kpod_cp_plan_make(src_name, is_dir, contents, &d, &p, &err) < 0) {
    assert_non_null(err);
    got = xstrdup("error");
  } else {
    got = xasprintf("%s %s", p.dir, p.name ? p.name : "-");
  }
  assert_string_equal(got, want);
}

static void test_cp_plan(void **state)
{
  (void) state;
  /* into an existing directory, under its own name or as contents */
  assert_plan("hosts", false, false, "/tmp", true, true, "/tmp hosts");
  assert_plan("etc", true, false, "out/", true, true, "out/ etc");
  assert_plan("etc", true, true, "out", true, true, "out -");
  /* over an existing file: a file replaces it, a directory cannot */
  assert_plan("hosts", false, false, "a/b", true, false, "a b");
  assert_plan("etc", true, false, "a/b", true, false, "error");
  assert_plan("etc", true, true, "a/b", true, false, "error");
  /* a missing destination is created with its own name */
  assert_plan("hosts", false, false, "copy", false, false, ". copy");
  assert_plan("etc", true, false, "/srv/etc2/", false, false, "/srv etc2");
  assert_plan("etc", true, true, "/new", false, false, "/ new");
  assert_plan("hosts", false, false, "nodir/", false, false, "error");
  assert_plan("hosts", false, false, "..", false, false, "error");
}

static void test_cp_tar_first(void **state)
{
  (void) state;
  char buf[8192];
  size_t used = 0;
  struct archive *w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  assert_int_equal(archive_write_open_memory(w, buf, sizeof buf, &used), ARCHIVE_OK);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "etc");
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, 0755);
  assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
  archive_entry_free(e);
  archive_write_close(w);
  archive_write_free(w);
  assert_int_equal(kpod_cp_tar_first_is_dir(buf, used), 1);
  assert_int_equal(kpod_cp_tar_first_is_dir(buf, 100), -1); /* no whole header yet */
}

static void write_text(const char *path, const char *text, mode_t mode)
{
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(write_file_atomic(path, text, strlen(text), mode, &err), 0);
}

/* The host's src archived under name, unpacked at dest as a copy out does. */
static int roundtrip(const char *src, const char *name, bool contents, const char *dest)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  int big = 4 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  _cleanup_err_ crio_err *err = NULL;
  bool gone = false;
  kpod_cp_owner owner = { .chown = false };
  assert_int_equal(kpod_cp_archive(sv[0], src, name, &owner, &gone, &err), 0);
  close(sv[0]);
  _cleanup_err_ crio_err *xerr = NULL;
  int r = kpod_cp_extract(sv[1], contents, dest, false, &xerr);
  close(sv[1]);
  return r;
}

static void test_cp_roundtrip(void **state)
{
  (void) state;
  char tmpl[] = "/tmp/kpod-cp-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  _cleanup_free_ char *src = path_join(tmpl, "src"), *out = path_join(tmpl, "out");
  _cleanup_free_ char *sub = path_join(src, "sub"), *f = path_join(src, "sub/f");
  _cleanup_free_ char *lnk = path_join(src, "lnk");
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(mkdir_p(sub, 0750, &err), 0);
  assert_int_equal(mkdir(out, 0755), 0);
  write_text(f, "data\n", 0640);
  assert_int_equal(symlink("sub/f", lnk), 0);
  /* a directory into an existing one: under its name */
  assert_int_equal(roundtrip(src, "src", false, out), 0);
  _cleanup_free_ char *got = path_join(out, "src/sub/f"), *text = NULL;
  assert_int_equal(read_file(got, &text, NULL, &err), 0);
  assert_string_equal(text, "data\n");
  struct stat st;
  assert_int_equal(stat(got, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);
  _cleanup_free_ char *gotlnk = path_join(out, "src/lnk");
  char target[64] = "";
  assert_int_equal(readlink(gotlnk, target, sizeof target - 1), 5);
  assert_string_equal(target, "sub/f");
  /* contents to a missing destination: created with its name */
  _cleanup_free_ char *fresh = path_join(out, "fresh"), *dot = path_join(src, ".");
  assert_int_equal(roundtrip(dot, NULL, true, fresh), 0);
  _cleanup_free_ char *fresh_f = path_join(fresh, "sub/f");
  assert_int_equal(stat(fresh_f, &st), 0);
  /* a file over an existing file, renamed */
  _cleanup_free_ char *copy = path_join(out, "copy");
  write_text(copy, "old\n", 0600);
  assert_int_equal(roundtrip(f, "f", false, copy), 0);
  free(text);
  text = NULL;
  assert_int_equal(read_file(copy, &text, NULL, &err), 0);
  assert_string_equal(text, "data\n");
  /* a directory cannot replace a file */
  assert_true(roundtrip(src, "src", false, copy) < 0);
  char *rm[] = { "rm", "-rf", tmpl, NULL };
  _cleanup_free_ char *ignored = NULL;
  run_capture(rm, &ignored, &err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_stats_cpu),
    cmocka_unit_test(test_stats_memory),
    cmocka_unit_test(test_stats_io_and_pids),
    cmocka_unit_test(test_go_duration),
    cmocka_unit_test(test_stats_json_and_table),
    cmocka_unit_test(test_cp_parse),
    cmocka_unit_test(test_cp_paths),
    cmocka_unit_test(test_cp_plan),
    cmocka_unit_test(test_cp_tar_first),
    cmocka_unit_test(test_cp_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
