/* The pure parts of kpod's image verbs: humanized sizes and times, the pull
 * progress lines, --creds, the rows of `kpod images` and `kpod history`, and
 * the podman-style report (table templates, tabwriter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/kpod/auth.h"
#include "adapters/kpod/image.h"
#include "adapters/kpod/jsonutil.h"
#include "adapters/kpod/progress.h"
#include "adapters/kpod/report.h"
#include "adapters/kpod/units.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define SEC INT64_C(1000000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define MONTH (30 * DAY)
#define YEAR (365 * DAY)

static json_t *load(const char *text)
{
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  return j;
}

static void assert_size(double bytes, int precision, int space, const char *want)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_human_size(&b, bytes, precision, space);
  assert_string_equal(b.data, want);
}

static void test_human_size(void **state)
{
  assert_size(0, 3, 1, "0 B");
  assert_size(999, 3, 1, "999 B");
  assert_size(1000, 3, 1, "1 kB");
  assert_size(4600, 3, 1, "4.6 kB");
  assert_size(1234567, 3, 1, "1.23 MB");
  assert_size(100000000, 3, 1, "100 MB");
  assert_size(7377024, 3, 0, "7.38MB");
  assert_size(2.5e12, 3, 0, "2.5TB");
  assert_size(0, 3, 0, "0B");
  /* Go's %.3g rounds 999.9 up to 1e+03, and podman prints that */
  assert_size(999999, 3, 1, "1e+03 kB");
  assert_size(1234567, 4, 0, "1.235MB");
}

static void assert_iec(double bytes, const char *want)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_size_iec(&b, bytes);
  assert_string_equal(b.data, want);
}

static void test_size_iec(void **state)
{
  assert_iec(0, "0.0b");
  assert_iec(512, "512.0b");
  assert_iec(1536, "1.5KiB");
  assert_iec(10 * 1024 * 1024, "10.0MiB");
  assert_iec(3.0 * 1024 * 1024 * 1024, "3.0GiB");
}

static void assert_duration(int64_t ns, const char *want)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_human_duration(&b, ns);
  assert_string_equal(b.data, want);
}

/* go-units' own test table */
static void test_human_duration(void **state)
{
  assert_duration(450 * SEC / 1000, "Less than a second");
  assert_duration(-5 * SEC, "Less than a second");
  assert_duration(1 * SEC, "1 second");
  assert_duration(47 * SEC, "47 seconds");
  assert_duration(60 * SEC, "About a minute");
  assert_duration(3 * MIN, "3 minutes");
  assert_duration(35 * MIN + 40 * SEC, "35 minutes");
  assert_duration(59 * MIN, "59 minutes");
  assert_duration(1 * HOUR, "About an hour");
  assert_duration(1 * HOUR + 29 * MIN, "About an hour");
  assert_duration(1 * HOUR + 31 * MIN, "2 hours");
  assert_duration(3 * HOUR + 31 * MIN, "4 hours");
  assert_duration(24 * HOUR, "24 hours");
  assert_duration(1 * DAY + 12 * HOUR, "36 hours");
  assert_duration(2 * DAY, "2 days");
  assert_duration(13 * DAY + 5 * HOUR, "13 days");
  assert_duration(2 * WEEK, "2 weeks");
  assert_duration(4 * WEEK + 3 * DAY, "4 weeks");
  assert_duration(1 * MONTH + 2 * WEEK, "6 weeks");
  assert_duration(2 * MONTH, "2 months");
  assert_duration(3 * MONTH + 1 * WEEK, "3 months");
  assert_duration(24 * MONTH, "24 months");
  assert_duration(24 * MONTH + 2 * WEEK, "2 years");
  assert_duration(3 * YEAR + 2 * MONTH, "3 years");
}

static void test_time_parse(void **state)
{
  int64_t ns;
  assert_int_equal(kpod_time_parse("1970-01-01T00:00:00Z", &ns), 0);
  assert_true(ns == 0);
  assert_int_equal(kpod_time_parse("2024-01-02T03:04:05Z", &ns), 0);
  assert_true(ns == INT64_C(1704164645) * SEC);
  assert_int_equal(kpod_time_parse("2024-01-02T04:04:05.5+01:00", &ns), 0);
  assert_true(ns == INT64_C(1704164645) * SEC + SEC / 2);
  assert_int_equal(kpod_time_parse("2024-01-01T22:04:05.123456789-05:00", &ns), 0);
  assert_true(ns == INT64_C(1704164645) * SEC + 123456789);
  assert_int_equal(kpod_time_parse("", &ns), -1);
  assert_int_equal(kpod_time_parse(NULL, &ns), -1);
  assert_int_equal(kpod_time_parse("2024-01-02", &ns), -1);
  assert_int_equal(kpod_time_parse("2024-01-02T03:04:05", &ns), -1);
  assert_int_equal(kpod_time_parse("2024-13-02T03:04:05Z", &ns), -1);
  assert_int_equal(kpod_time_parse("2024-01-02T03:04:05Zjunk", &ns), -1);
}

static void test_time_ago_and_go_string(void **state)
{
  int64_t created;
  assert_int_equal(kpod_time_parse("2024-01-02T03:04:05Z", &created), 0);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_time_ago(&b, created, created + 3 * DAY);
  assert_string_equal(b.data, "3 days ago");
  strbuf_reset(&b);
  kpod_time_ago(&b, created, created + 61 * SEC);
  assert_string_equal(b.data, "About a minute ago");
  strbuf_reset(&b);
  kpod_time_ago(&b, created, created);
  assert_string_equal(b.data, "Less than a second ago");
  strbuf_reset(&b);
  kpod_time_go_utc(&b, created);
  assert_string_equal(b.data, "2024-01-02 03:04:05 +0000 UTC");
}

static void assert_render(kpod_layer_state st, int64_t cur, int64_t total, int tty, int cols,
                          const char *want)
{
  kpod_layer l = { .digest = "sha256:1a2b3c4d5e6f7a8b9c0d1e2f", .current = cur, .total = total,
                   .state = st };
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "");
  kpod_progress_render(&b, &l, tty, cols);
  assert_string_equal(b.data, want);
}

static void test_progress_render(void **state)
{
  const int64_t mib = 1024 * 1024;
  assert_render(KPOD_LAYER_ACTIVE, 10 * mib, 20 * mib, 1, 0,
                "Copying blob 1a2b3c4d5e6f [===============>--------------] 10.0MiB / 20.0MiB");
  assert_render(KPOD_LAYER_ACTIVE, 0, 20 * mib, 1, 0,
                "Copying blob 1a2b3c4d5e6f [------------------------------] 0.0b / 20.0MiB");
  assert_render(KPOD_LAYER_ACTIVE, 20 * mib, 20 * mib, 1, 0,
                "Copying blob 1a2b3c4d5e6f [==============================] 20.0MiB / 20.0MiB");
  assert_render(KPOD_LAYER_ACTIVE, 1536, 0, 1, 0, "Copying blob 1a2b3c4d5e6f 1.5KiB");
  assert_render(KPOD_LAYER_DONE, 0, 0, 1, 0, "Copying blob 1a2b3c4d5e6f done");
  assert_render(KPOD_LAYER_EXISTS, 0, 0, 1, 0,
                "Copying blob 1a2b3c4d5e6f skipped: already exists");
  /* a narrow terminal: a shorter bar, and never a wrapped line */
  assert_render(KPOD_LAYER_ACTIVE, 10 * mib, 20 * mib, 1, 60,
                "Copying blob 1a2b3c4d5e6f [======>------] 10.0MiB / 20.0MiB");
  assert_render(KPOD_LAYER_ACTIVE, 10 * mib, 20 * mib, 1, 40,
                "Copying blob 1a2b3c4d5e6f 10.0MiB / 20.");
  /* plain lines: the full digest, finished layers only */
  assert_render(KPOD_LAYER_ACTIVE, 1, 2, 0, 0, "");
  assert_render(KPOD_LAYER_DONE, 2, 2, 0, 0, "Copying blob sha256:1a2b3c4d5e6f7a8b9c0d1e2f done");
  assert_render(KPOD_LAYER_EXISTS, 0, 0, 0, 0,
                "Copying blob sha256:1a2b3c4d5e6f7a8b9c0d1e2f skipped: already exists");
}

static int feed(kpod_progress *p, const char *line, crio_err **err)
{
  return kpod_progress_event(line, strlen(line), p, err);
}

static void test_progress_events_plain(void **state)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  _cleanup_kpod_progress_ kpod_progress p = { 0 };
  kpod_progress_init(&p, f, 0, 0, 1);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(
    feed(&p, "{\"status\":\"resolving\",\"reference\":\"docker.io/library/a:1\"}", &err), 0);
  assert_int_equal(
    feed(&p, "{\"status\":\"manifest\",\"digest\":\"sha256:m\",\"layers\":2}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"exists\",\"layer\":\"sha256:l1\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"downloading\",\"layer\":\"sha256:l2\","
                            "\"current\":5,\"total\":10}", &err), 0);
  assert_int_equal(feed(&p, "", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"something-new\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"extracted\",\"layer\":\"sha256:l2\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"writing\"}\r", &err), 0);
  assert_int_equal(kpod_progress_finish(&p, "pull", &err), -CRIO_E_INTERNAL);
  assert_string_equal(err->message, "crio ended the pull without reporting its result");
  crio_err_free(steal_pointer(&err));
  assert_int_equal(feed(&p, "{\"status\":\"done\",\"id\":\"0123abcd\"}", &err), 0);
  assert_int_equal(kpod_progress_finish(&p, "pull", &err), 0);
  assert_string_equal(p.id, "0123abcd");
  fclose(f);
  assert_string_equal(text, "Trying to pull docker.io/library/a:1...\n"
                            "Getting image source signatures\n"
                            "Copying blob sha256:l1 skipped: already exists\n"
                            "Copying blob sha256:l2 done\n"
                            "Writing manifest to image destination\n");
  free(text);
}

static void test_progress_events_errors(void **state)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  _cleanup_kpod_progress_ kpod_progress p = { 0 };
  kpod_progress_init(&p, f, 0, 1, 1); /* quiet */
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(feed(&p, "{\"status\":\"resolving\",\"reference\":\"x\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"error\",\"error\":{\"code\":\"not_found\","
                            "\"message\":\"pull x: manifest unknown\"}}", &err),
                   -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "pull x: manifest unknown");
  crio_err_free(steal_pointer(&err));
  assert_true(feed(&p, "not json", &err) < 0);
  assert_string_equal(err->message, "crio sent a malformed progress line: not json");
  fclose(f);
  assert_string_equal(text, ""); /* quiet */
  free(text);
}

static void test_progress_events_push_and_tty(void **state)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  _cleanup_kpod_progress_ kpod_progress p = { 0 };
  kpod_progress_init(&p, f, 0, 0, 0);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(feed(&p, "{\"status\":\"exists\",\"layer\":\"sha256:l1\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"pushing\",\"layer\":\"sha256:l2\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"pushed\",\"layer\":\"sha256:l2\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"writing\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"done\",\"digest\":\"sha256:m\"}", &err), 0);
  assert_int_equal(kpod_progress_finish(&p, "push", &err), 0);
  fclose(f);
  assert_string_equal(text, "Getting image source signatures\n"
                            "Copying blob sha256:l1 skipped: already exists\n"
                            "Copying blob sha256:l2 done\n"
                            "Writing manifest to image destination\n");
  free(text);

  /* on a terminal: bars redrawn in place (cursor up, erase line), messages above them */
  f = open_memstream(&text, &len);
  kpod_progress_release(&p);
  kpod_progress_init(&p, f, 1, 0, 1);
  assert_int_equal(feed(&p, "{\"status\":\"downloading\",\"layer\":\"sha256:abc\","
                            "\"current\":1024,\"total\":2048}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"extracted\",\"layer\":\"sha256:abc\"}", &err), 0);
  assert_int_equal(feed(&p, "{\"status\":\"done\",\"id\":\"0123\"}", &err), 0);
  assert_int_equal(kpod_progress_finish(&p, "pull", &err), 0);
  fclose(f);
  assert_non_null(strstr(text, "\rCopying blob abc [==============="));
  assert_non_null(strstr(text, "] 1.0KiB / 2.0KiB\033[K\n"));
  assert_non_null(strstr(text, "\033[1A\rCopying blob abc done\033[K\n"));
  free(text);
}

static void assert_creds(const char *in, const char *user, const char *pass)
{
  _cleanup_free_ char *u = NULL, *p = NULL;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_creds_parse(in, &u, &p, &err), 0);
  if (user)
    assert_string_equal(u, user);
  else
    assert_null(u);
  if (pass)
    assert_string_equal(p, pass);
  else
    assert_null(p);
}

static void test_creds_parse(void **state)
{
  assert_creds("user:pass", "user", "pass");
  assert_creds("user:pa:ss", "user", "pa:ss");
  assert_creds("user", "user", NULL);
  assert_creds("user:", "user", NULL);
  assert_creds(":pass", NULL, "pass");
  _cleanup_free_ char *u = NULL, *p = NULL;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_creds_parse("", &u, &p, &err), -CRIO_E_INVALID);
  _cleanup_free_ char *r1 = kpod_registry_arg("https://localhost:5000/v2/");
  _cleanup_free_ char *r2 = kpod_registry_arg("quay.io/team");
  assert_string_equal(r1, "localhost:5000");
  assert_string_equal(r2, "quay.io/team");
}

static void assert_split(const char *ref, const char *repo, const char *tag)
{
  _cleanup_free_ char *r = NULL, *t = NULL;
  kpod_repo_tag_split(ref, &r, &t);
  assert_string_equal(r, repo);
  assert_string_equal(t, tag);
}

static void test_repo_tag_split_and_paths(void **state)
{
  assert_split("docker.io/library/alpine:3.19", "docker.io/library/alpine", "3.19");
  assert_split("localhost:5000/app", "localhost:5000/app", "<none>");
  assert_split("localhost:5000/app:1", "localhost:5000/app", "1");
  assert_split("quay.io/a/b@sha256:abcd", "quay.io/a/b", "<none>");
  assert_split("quay.io/a/b:v2@sha256:abcd", "quay.io/a/b", "v2");
  assert_split("<none>:<none>", "<none>", "<none>");
  assert_split(NULL, "<none>", "<none>");
  _cleanup_free_ char *p1 = kpod_image_path("docker.io/library/alpine:3.19", "/history");
  _cleanup_free_ char *p2 = kpod_image_path("a b?c#d%e", NULL);
  assert_string_equal(p1, "/v1/images/docker.io/library/alpine:3.19/history");
  assert_string_equal(p2, "/v1/images/a%20b%3Fc%23d%25e");
}

static const char *const SUMMARIES =
  "[{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
  "\"digest\":\"sha256:dd\",\"repo_tags\":[\"docker.io/library/alpine:3.19\","
  "\"docker.io/library/alpine:latest\"],\"repo_digests\":[],"
  "\"created\":\"2024-01-02T03:04:05Z\",\"size\":7377024,\"labels\":{}},"
  " {\"id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
  "\"digest\":\"sha256:ee\",\"repo_tags\":[],\"repo_digests\":[],"
  "\"created\":\"2024-01-01T03:04:05Z\",\"size\":4600,\"labels\":{\"a\":\"b\"}},"
  " {\"id\":\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\","
  "\"digest\":\"sha256:ff\",\"repo_tags\":[\"quay.io/x/y@sha256:01\",\"quay.io/x/z@sha256:02\"],"
  "\"repo_digests\":[],\"created\":\"\",\"size\":100000000,\"labels\":{}}]";

static void test_images_rows(void **state)
{
  int64_t now;
  assert_int_equal(kpod_time_parse("2024-01-05T03:04:05Z", &now), 0);
  _cleanup_json_ json_t *in = load(SUMMARIES);
  _cleanup_json_ json_t *rows = kpod_images_rows(in, 0, now);
  assert_int_equal(json_array_size(rows), 4);
  json_t *r0 = json_array_get(rows, 0), *r2 = json_array_get(rows, 2);
  json_t *r3 = json_array_get(rows, 3);
  assert_string_equal(kpod_json_str(r0, "Repository", ""), "docker.io/library/alpine");
  assert_string_equal(kpod_json_str(r0, "Tag", ""), "3.19");
  assert_string_equal(kpod_json_str(json_array_get(rows, 1), "Tag", ""), "latest");
  assert_string_equal(kpod_json_str(r0, "ID", ""), "aaaaaaaaaaaa");
  assert_string_equal(kpod_json_str(r0, "Created", ""), "3 days ago");
  assert_string_equal(kpod_json_str(r0, "CreatedAt", ""), "2024-01-02 03:04:05 +0000 UTC");
  assert_string_equal(kpod_json_str(r0, "Size", ""), "7.38 MB");
  assert_string_equal(kpod_json_str(r2, "Repository", ""), "<none>");
  assert_string_equal(kpod_json_str(r2, "Tag", ""), "<none>");
  assert_true(json_is_true(json_object_get(r2, "Dangling")));
  assert_string_equal(kpod_json_str(r2, "Size", ""), "4.6 kB");
  /* only digested names: the first one, without a tag */
  assert_string_equal(kpod_json_str(r3, "Repository", ""), "quay.io/x/y");
  assert_string_equal(kpod_json_str(r3, "Tag", ""), "<none>");
  assert_string_equal(kpod_json_str(r3, "Created", ""), "N/A");
  _cleanup_json_ json_t *full = kpod_images_rows(in, 1, now);
  assert_string_equal(kpod_json_str(json_array_get(full, 0), "ID", ""),
                      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static char *report(const char *format, const char *def, const kpod_column *cols, json_t *rows,
                    int noheading)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  _cleanup_err_ crio_err *err = NULL;
  strbuf_puts(&b, "");
  if (kpod_report_render(&b, format, def, cols, rows, noheading, &err) < 0)
    fail_msg("report %s: %s", format ? format : def, err->message);
  return strbuf_steal(&b);
}

static void test_images_table(void **state)
{
  int64_t now;
  assert_int_equal(kpod_time_parse("2024-01-05T03:04:05Z", &now), 0);
  _cleanup_json_ json_t *in = load(SUMMARIES);
  _cleanup_json_ json_t *rows = kpod_images_rows(in, 0, now);
  const char *def = "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\n";
  _cleanup_free_ char *table = report(NULL, def, kpod_images_columns, rows, 0);
  assert_string_equal(table,
    "REPOSITORY                TAG         IMAGE ID      CREATED     SIZE\n"
    "docker.io/library/alpine  3.19        aaaaaaaaaaaa  3 days ago  7.38 MB\n"
    "docker.io/library/alpine  latest      aaaaaaaaaaaa  3 days ago  7.38 MB\n"
    "<none>                    <none>      bbbbbbbbbbbb  4 days ago  4.6 kB\n"
    "quay.io/x/y               <none>      cccccccccccc  N/A         100 MB\n");
  _cleanup_free_ char *custom = report("table {{.ID}} {{.Size}}", def, kpod_images_columns,
                                       rows, 0);
  assert_string_equal(custom, "IMAGE ID      SIZE\n"
                              "aaaaaaaaaaaa  7.38 MB\n"
                              "aaaaaaaaaaaa  7.38 MB\n"
                              "bbbbbbbbbbbb  4.6 kB\n"
                              "cccccccccccc  100 MB\n");
  _cleanup_free_ char *plain = report("{{.Repository}}:{{.Tag}} {{join .RepoTags \", \"}}", def,
                                      kpod_images_columns, rows, 0);
  assert_string_equal(plain, "docker.io/library/alpine:3.19 docker.io/library/alpine:3.19, "
                             "docker.io/library/alpine:latest\n"
                             "docker.io/library/alpine:latest docker.io/library/alpine:3.19, "
                             "docker.io/library/alpine:latest\n"
                             "<none>:<none> \n"
                             "quay.io/x/y:<none> quay.io/x/y@sha256:01, quay.io/x/z@sha256:02\n");
  _cleanup_json_ json_t *none = json_array();
  _cleanup_free_ char *empty = report(NULL, def, kpod_images_columns, none, 0);
  assert_string_equal(empty, "REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n");
  _cleanup_free_ char *noheading = report(NULL, def, kpod_images_columns, none, 1);
  assert_string_equal(noheading, "");
}

static void test_history_rows(void **state)
{
  int64_t now;
  assert_int_equal(kpod_time_parse("2024-01-02T05:04:05Z", &now), 0);
  _cleanup_json_ json_t *in = load(
    "[{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "\"created\":\"2024-01-02T03:04:05Z\","
    "\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"/bin/sh\\\"]\","
    "\"size\":0,\"comment\":\"\",\"empty_layer\":true},"
    " {\"id\":\"<missing>\",\"created\":\"2024-01-02T03:04:04Z\","
    "\"created_by\":\"/bin/sh -c #(nop) ADD file:37a76ec18f9887751cd8473744917d08b7431fc in / \","
    "\"size\":7377024,\"comment\":\"imported\",\"empty_layer\":false}]");
  _cleanup_json_ json_t *rows = kpod_history_rows(in, 0, 1, now);
  json_t *r1 = json_array_get(rows, 1);
  assert_string_equal(kpod_json_str(r1, "ID", ""), "<missing>");
  assert_string_equal(kpod_json_str(r1, "CreatedBy", ""),
                      "/bin/sh -c #(nop) ADD file:37a76ec18f98877...");
  assert_int_equal(strlen(kpod_json_str(r1, "CreatedBy", "")), 45);
  assert_string_equal(kpod_json_str(r1, "Size", ""), "7.38MB");
  assert_string_equal(kpod_json_str(r1, "Created", ""), "2 hours ago");
  const char *def = "{{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}\n";
  _cleanup_free_ char *table = report(NULL, def, kpod_history_columns, rows, 0);
  assert_string_equal(table,
    "ID            CREATED      CREATED BY                                     SIZE        "
    "COMMENT\n"
    "aaaaaaaaaaaa  2 hours ago  /bin/sh -c #(nop)  CMD [\"/bin/sh\"]             0B          "
    "\n"
    "<missing>     2 hours ago  /bin/sh -c #(nop) ADD file:37a76ec18f98877...  7.38MB      "
    "imported\n");
  _cleanup_json_ json_t *full = kpod_history_rows(in, 1, 1, now);
  assert_string_equal(kpod_json_str(json_array_get(full, 1), "CreatedBy", ""),
                      "/bin/sh -c #(nop) ADD file:37a76ec18f9887751cd8473744917d08b7431fc in / ");
  assert_int_equal(strlen(kpod_json_str(json_array_get(full, 0), "ID", "")), 64);
  _cleanup_free_ char *short_s = kpod_truncate("short", 45);
  _cleanup_free_ char *utf8 = kpod_truncate("aaaa\xc3\xa9zzzz", 8); /* never half an é */
  assert_string_equal(short_s, "short");
  assert_string_equal(utf8, "aaaa...");
}

static void assert_tabwrite(const char *in, const char *want)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "");
  kpod_tabwrite(&b, in, strlen(in));
  assert_string_equal(b.data, want);
}

static void test_tabwriter(void **state)
{
  /* containers/common's report test: minwidth 12, padding 2 */
  assert_tabwrite("a46001bfea3a4172b46c173101208244\tRandom\tuuid",
                  "a46001bfea3a4172b46c173101208244  Random      uuid");
  assert_tabwrite("no tabs\n", "no tabs\n");
  assert_tabwrite("", "");
  /* a line without the column ends the block: widths restart after it */
  assert_tabwrite("aaaaaaaaaaaaaaaa\tb\nplain\nc\td\n",
                  "aaaaaaaaaaaaaaaa  b\nplain\nc           d\n");
  /* widths count characters, not bytes */
  assert_tabwrite("\xc3\xa9t\xc3\xa9\tx\nabc\ty\n", "\xc3\xa9t\xc3\xa9         x\nabc         y\n");
}

static void test_report_template(void **state)
{
  int headers;
  _cleanup_free_ char *t1 = kpod_report_template("table {{.ID}} {{join .X \", \"}}", "D", &headers);
  assert_string_equal(t1, "{{.ID}}\t{{join .X \", \"}}\n");
  assert_int_equal(headers, 1);
  _cleanup_free_ char *t2 = kpod_report_template("{{.ID}} {{.Size}}\\t{{.Tag}}", "D", &headers);
  assert_string_equal(t2, "{{.ID}} {{.Size}}\t{{.Tag}}\n");
  assert_int_equal(headers, 0);
  _cleanup_free_ char *t3 = kpod_report_template("table", "D\n", &headers);
  assert_string_equal(t3, "D\n");
  assert_int_equal(headers, 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_human_size),
    cmocka_unit_test(test_size_iec),
    cmocka_unit_test(test_human_duration),
    cmocka_unit_test(test_time_parse),
    cmocka_unit_test(test_time_ago_and_go_string),
    cmocka_unit_test(test_progress_render),
    cmocka_unit_test(test_progress_events_plain),
    cmocka_unit_test(test_progress_events_errors),
    cmocka_unit_test(test_progress_events_push_and_tty),
    cmocka_unit_test(test_creds_parse),
    cmocka_unit_test(test_repo_tag_split_and_paths),
    cmocka_unit_test(test_images_rows),
    cmocka_unit_test(test_images_table),
    cmocka_unit_test(test_history_rows),
    cmocka_unit_test(test_tabwriter),
    cmocka_unit_test(test_report_template),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
