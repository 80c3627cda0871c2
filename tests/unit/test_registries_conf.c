/* Unit tests for registries.conf (server/image/registries_conf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/image/registries_conf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmpdir[] = "/tmp/test_registries_conf.XXXXXX";
static char *conf_path;

static int setup(void **state)
{
  if (!mkdtemp(tmpdir))
    return -1;
  conf_path = path_join(tmpdir, "registries.conf");
  return 0;
}

static int teardown(void **state)
{
  unlink(conf_path);
  rmdir(tmpdir);
  free(conf_path);
  return 0;
}

static registries_conf *load_ok(const char *text)
{
  crio_err *err = NULL;
  assert_int_equal(write_file_atomic(conf_path, text, strlen(text), 0644, &err), 0);
  registries_conf *c = NULL;
  if (registries_conf_load(conf_path, &c, &err) < 0)
    fail_msg("unexpected error: %s", err->message);
  assert_non_null(c);
  return c;
}

/* The error for text, with the temporary path replaced by "registries.conf". */
static void expect_load_error(const char *text, const char *message)
{
  crio_err *werr = NULL;
  assert_int_equal(write_file_atomic(conf_path, text, strlen(text), 0644, &werr), 0);
  registries_conf *c = NULL;
  _cleanup_err_ crio_err *err = NULL;
  int r = registries_conf_load(conf_path, &c, &err);
  if (r == 0)
    fail_msg("accepted, want \"%s\" for:\n%s", message, text);
  assert_int_equal(r, -CRIO_E_INVALID);
  assert_null(c);
  size_t n = strlen(conf_path);
  assert_memory_equal(err->message, conf_path, n);
  _cleanup_free_ char *got = xasprintf("registries.conf%s", err->message + n);
  if (strcmp(got, message) != 0)
    fail_msg("for:\n%s\n got: %s\nwant: %s", text, got, message);
}

/* The endpoints for name as "host/path" entries, with " insecure" and
 * " mirror" marks, joined by ", "; or "error: <message>". */
static char *endpoints(const registries_conf *c, const char *name, char *const *extra,
                       size_t n_extra)
{
  image_ref ref;
  _cleanup_err_ crio_err *err = NULL;
  if (image_ref_parse(name, &ref, &err) < 0)
    fail_msg("parse %s: %s", name, err->message);
  registry_endpoint *eps = NULL;
  size_t n = 0;
  int r = registries_conf_endpoints(c, &ref, extra, n_extra, &eps, &n, &err);
  image_ref_clear(&ref);
  if (r < 0)
    return xasprintf("error: %s", err->message);
  strbuf b = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    strbuf_printf(&b, "%s%s/%s%s%s", i ? ", " : "", eps[i].host, eps[i].repo_path,
                  eps[i].insecure ? " insecure" : "", eps[i].is_mirror ? " mirror" : "");
  registry_endpoints_free(eps, n);
  return strbuf_steal(&b);
}

static void expect_endpoints(const registries_conf *c, const char *name, const char *want)
{
  _cleanup_free_ char *got = endpoints(c, name, NULL, 0);
  if (strcmp(got, want) != 0)
    fail_msg("%s:\n got: %s\nwant: %s", name, got, want);
}

static void test_missing_file(void **state)
{
  _cleanup_free_ char *path = path_join(tmpdir, "absent.conf");
  registries_conf *c = NULL;
  crio_err *err = NULL;
  assert_int_equal(registries_conf_load(path, &c, &err), 0);
  assert_null(err);
  size_t n = 99;
  const char *const *search = registries_conf_search(c, &n);
  assert_int_equal(n, 0);
  assert_null(search[0]);
  assert_int_equal(registries_conf_short_name_mode(c), SHORT_NAME_MODE_PERMISSIVE);
  expect_endpoints(c, "busybox", "docker.io/library/busybox");
  expect_endpoints(c, "localhost:5000/a/b:1", "localhost:5000/a/b");
  registries_conf_free(c);
  /* no configuration at all behaves the same */
  expect_endpoints(NULL, "quay.io/x", "quay.io/x");
  assert_int_equal(registries_conf_short_name_mode(NULL), SHORT_NAME_MODE_PERMISSIVE);
  assert_null(registries_conf_search(NULL, &n)[0]);
  assert_int_equal(n, 0);
}

static void test_search_and_mode(void **state)
{
  registries_conf *c = load_ok("unqualified-search-registries = [\"registry.example.com\",\n"
                               "  \"docker.io\", 'localhost:5000/', \"[::1]:5000\"]\n"
                               "short-name-mode = \"enforcing\"\n");
  size_t n = 0;
  const char *const *s = registries_conf_search(c, &n);
  assert_int_equal(n, 4);
  assert_string_equal(s[0], "registry.example.com");
  assert_string_equal(s[1], "docker.io");
  assert_string_equal(s[2], "localhost:5000");
  assert_string_equal(s[3], "[::1]:5000");
  assert_null(s[4]);
  assert_int_equal(registries_conf_short_name_mode(c), SHORT_NAME_MODE_ENFORCING);
  registries_conf_free(c);

  c = load_ok("short-name-mode = \"disabled\"\nunqualified-search-registries = []\n");
  assert_int_equal(registries_conf_short_name_mode(c), SHORT_NAME_MODE_DISABLED);
  registries_conf_search(c, &n);
  assert_int_equal(n, 0);
  registries_conf_free(c);
  c = load_ok("short-name-mode = \"permissive\"\n");
  assert_int_equal(registries_conf_short_name_mode(c), SHORT_NAME_MODE_PERMISSIVE);
  registries_conf_free(c);
  c = load_ok("short-name-mode = \"\"\n");
  assert_int_equal(registries_conf_short_name_mode(c), SHORT_NAME_MODE_PERMISSIVE);
  registries_conf_free(c);
}

static void test_man_page_example(void **state)
{
  registries_conf *c = load_ok("unqualified-search-registries = [\"example.com\"]\n"
                               "\n"
                               "[[registry]]\n"
                               "prefix = \"example.com/foo\"\n"
                               "insecure = false\n"
                               "blocked = false\n"
                               "location = \"internal-registry-for-example.com/bar\"\n"
                               "\n"
                               "[[registry.mirror]]\n"
                               "location = \"example-mirror-0.local/mirror-for-foo\"\n"
                               "\n"
                               "[[registry.mirror]]\n"
                               "location = \"example-mirror-1.local/mirrors/foo\"\n"
                               "insecure = true\n");
  expect_endpoints(c, "example.com/foo/image:latest",
                   "example-mirror-0.local/mirror-for-foo/image mirror, "
                   "example-mirror-1.local/mirrors/foo/image insecure mirror, "
                   "internal-registry-for-example.com/bar/image");
  registries_conf_free(c);
}

static void test_longest_prefix(void **state)
{
  registries_conf *c = load_ok("[[registry]]\n"
                               "location = \"example.com\"\n"
                               "insecure = true\n"
                               "[[registry]]\n"
                               "prefix = \"example.com/foo/app\"\n"
                               "location = \"app.internal:5000/apps/app\"\n"
                               "[[registry]]\n"
                               "prefix = \"example.com/foo\"\n"
                               "location = \"foo.internal/foo/\"\n"
                               "[[registry]]\n"
                               "prefix = \"docker.io/library/alpine\"\n"
                               "location = \"mirror.local/dockerhub/alpine\"\n"
                               "[[registry]]\n"
                               "prefix = \"quay.io/team/app:v1\"\n"
                               "location = \"old.internal/app\"\n");
  expect_endpoints(c, "example.com/foo/app:1", "app.internal:5000/apps/app");
  expect_endpoints(c, "example.com/foo/app/sub", "app.internal:5000/apps/app/sub");
  expect_endpoints(c, "example.com/foo/app@" DIGEST, "app.internal:5000/apps/app");
  expect_endpoints(c, "example.com/foo/other", "foo.internal/foo/other");
  /* a prefix ends at a separator: foobar is not under foo */
  expect_endpoints(c, "example.com/foobar/x", "example.com/foobar/x insecure");
  expect_endpoints(c, "example.com/x", "example.com/x insecure");
  /* nor is another port of the same host */
  expect_endpoints(c, "example.com:5000/x", "example.com:5000/x");
  /* docker.io names are matched in their normalized form */
  expect_endpoints(c, "alpine:3", "mirror.local/dockerhub/alpine");
  expect_endpoints(c, "docker.io/alpine", "mirror.local/dockerhub/alpine");
  expect_endpoints(c, "alpine2", "docker.io/library/alpine2");
  /* a prefix may name a tag */
  expect_endpoints(c, "quay.io/team/app:v1", "old.internal/app");
  expect_endpoints(c, "quay.io/team/app:v2", "quay.io/team/app");
  registries_conf_free(c);
}

static void test_wildcards(void **state)
{
  registries_conf *c = load_ok("[[registry]]\n"
                               "prefix = \"*.example.org\"\n"
                               "insecure = true\n"
                               "[[registry]]\n"
                               "prefix = \"special.example.org\"\n"
                               "location = \"special.example.org\"\n"
                               "[[registry]]\n"
                               "prefix = \"*.corp.example.net\"\n"
                               "location = \"gateway.example.net/corp\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"cache.local\"\n");
  expect_endpoints(c, "a.example.org/x/y:1", "a.example.org/x/y insecure");
  expect_endpoints(c, "a.b.example.org/x", "a.b.example.org/x insecure");
  /* the longer, exact prefix wins over the wildcard */
  expect_endpoints(c, "special.example.org/x", "special.example.org/x");
  /* the wildcard matches subdomains only */
  expect_endpoints(c, "example.org/x", "example.org/x");
  expect_endpoints(c, "badexample.org/x", "badexample.org/x");
  expect_endpoints(c, "a.example.org:5000/x", "a.example.org:5000/x");
  /* with a location, the whole host is replaced */
  expect_endpoints(c, "build.corp.example.net/team/app",
                   "cache.local/team/app mirror, gateway.example.net/corp/team/app");
  registries_conf_free(c);
}

static void test_insecure_sources(void **state)
{
  registries_conf *c = load_ok("[[registry]]\n"
                               "location = \"secure.example.com\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"localhost:5000/cache\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"mirror.example.com\"\n"
                               "insecure = true\n"
                               "[[registry]]\n"
                               "location = \"plain.example.com\"\n"
                               "insecure = true\n");
  char *extra[] = { "localhost:5000", "Other.Example.com/", "secure.example.com:443" };
  _cleanup_free_ char *a = endpoints(c, "secure.example.com/app", extra, ARRAY_SIZE(extra));
  assert_string_equal(a, "localhost:5000/cache/app insecure mirror, "
                         "mirror.example.com/app insecure mirror, secure.example.com/app");
  _cleanup_free_ char *b = endpoints(c, "plain.example.com/app", extra, ARRAY_SIZE(extra));
  assert_string_equal(b, "plain.example.com/app insecure");
  /* insecure_registries alone, host names compared without case */
  _cleanup_free_ char *d = endpoints(c, "other.example.com/app", extra, ARRAY_SIZE(extra));
  assert_string_equal(d, "other.example.com/app insecure");
  _cleanup_free_ char *e = endpoints(c, "secure.example.com:443/app", extra, ARRAY_SIZE(extra));
  assert_string_equal(e, "secure.example.com:443/app insecure");
  _cleanup_free_ char *f = endpoints(NULL, "localhost:5000/x", extra, ARRAY_SIZE(extra));
  assert_string_equal(f, "localhost:5000/x insecure");
  _cleanup_free_ char *g = endpoints(NULL, "localhost:5001/x", extra, ARRAY_SIZE(extra));
  assert_string_equal(g, "localhost:5001/x");
  registries_conf_free(c);
}

static void test_blocked(void **state)
{
  registries_conf *c = load_ok("[[registry]]\n"
                               "location = \"evil.example.com\"\n"
                               "blocked = true\n"
                               "[[registry]]\n"
                               "prefix = \"docker.io/library/nginx\"\n"
                               "location = \"docker.io/library/nginx\"\n"
                               "blocked = true\n"
                               "[[registry]]\n"
                               "prefix = \"evil.example.com/ok\"\n"
                               "location = \"evil.example.com/ok\"\n");
  _cleanup_free_ char *a = endpoints(c, "evil.example.com/app:1", NULL, 0);
  _cleanup_free_ char *want_a = xasprintf("error: registry evil.example.com is blocked in %s",
                                          conf_path);
  assert_string_equal(a, want_a);
  _cleanup_free_ char *b = endpoints(c, "nginx", NULL, 0);
  _cleanup_free_ char *want_b =
      xasprintf("error: registry docker.io/library/nginx is blocked in %s", conf_path);
  assert_string_equal(b, want_b);
  /* a longer prefix that is not blocked lifts the block beneath it */
  expect_endpoints(c, "evil.example.com/ok/app", "evil.example.com/ok/app");
  expect_endpoints(c, "nginx-unprivileged", "docker.io/library/nginx-unprivileged");
  registries_conf_free(c);
}

static void test_pull_from_mirror(void **state)
{
  registries_conf *c = load_ok("[[registry]]\n"
                               "location = \"a.example.com\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"all.local\"\n"
                               "pull-from-mirror = \"all\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"digest.local\"\n"
                               "pull-from-mirror = \"digest-only\"\n"
                               "[[registry.mirror]]\n"
                               "location = \"tag.local\"\n"
                               "pull-from-mirror = \"tag-only\"\n"
                               "[[registry]]\n"
                               "location = \"b.example.com\"\n"
                               "mirror-by-digest-only = true\n"
                               "[[registry.mirror]]\n"
                               "location = \"b-mirror.local\"\n");
  expect_endpoints(c, "a.example.com/x:1",
                   "all.local/x mirror, tag.local/x mirror, a.example.com/x");
  expect_endpoints(c, "a.example.com/x@" DIGEST,
                   "all.local/x mirror, digest.local/x mirror, a.example.com/x");
  expect_endpoints(c, "b.example.com/x:1", "b.example.com/x");
  expect_endpoints(c, "b.example.com/x:1@" DIGEST, "b-mirror.local/x mirror, b.example.com/x");
  registries_conf_free(c);
}

static void test_lenient(void **state)
{
  registries_conf *c = load_ok("credential-helpers = [\"containers-auth.json\"]\n"
                               "additional-layer-store-auth-helper = \"helper\"\n"
                               "some-future-key = 3\n"
                               "[aliases]\n"
                               "\"busybox\" = \"docker.io/library/busybox\"\n"
                               "[registries.search]\n"
                               "registries = ['registry1.com']\n"
                               "[[registry]]\n"
                               "location = \"x.example.com\"\n"
                               "unknown = { a = 1 }\n"
                               "[[registry.mirror]]\n"
                               "location = \"m.example.com\"\n"
                               "unknown = true\n");
  expect_endpoints(c, "x.example.com/y", "m.example.com/y mirror, x.example.com/y");
  size_t n = 1;
  registries_conf_search(c, &n);
  assert_int_equal(n, 0);
  registries_conf_free(c);
  /* inline tables in a static array are arrays of tables too */
  c = load_ok("registry = [{ location = \"z.example.com\", insecure = true }]\n");
  expect_endpoints(c, "z.example.com/y", "z.example.com/y insecure");
  registries_conf_free(c);
}

static const struct {
  const char *text, *message;
} error_cases[] = {
  { "unqualified-search-registries = \"docker.io\"\n",
    "registries.conf:1:33: unqualified-search-registries: expected an array of strings, got a "
    "string" },
  { "unqualified-search-registries = [\"docker.io\", 5]\n",
    "registries.conf:1:47: unqualified-search-registries: expected a string, got an integer" },
  { "unqualified-search-registries = [\"https://quay.io\"]\n",
    "registries.conf:1:34: unqualified-search-registries: \"https://quay.io\" is not a registry "
    "host[:port]" },
  { "unqualified-search-registries = [\"quay.io/ns\"]\n",
    "registries.conf:1:34: unqualified-search-registries: \"quay.io/ns\" is not a registry "
    "host[:port]" },
  { "short-name-mode = true\n",
    "registries.conf:1:19: short-name-mode: expected a string, got a boolean" },
  { "short-name-mode = \"strict\"\n",
    "registries.conf:1:19: short-name-mode: \"strict\" is not one of \"enforcing\", "
    "\"permissive\", \"disabled\"" },
  { "registry = \"quay.io\"\n",
    "registries.conf:1:12: registry: expected an array of tables, got a string" },
  { "[registry]\nlocation = \"quay.io\"\n",
    "registries.conf:1:1: registry: expected an array of tables, got a table" },
  { "registry = [1]\n", "registries.conf:1:13: registry: expected a table, got an integer" },
  { "[[registry]]\nlocation = \"quay.io\"\ninsecure = \"yes\"\n",
    "registries.conf:3:12: registry.insecure: expected a boolean, got a string" },
  { "[[registry]]\nlocation = \"quay.io\"\nblocked = 1\n",
    "registries.conf:3:11: registry.blocked: expected a boolean, got an integer" },
  { "[[registry]]\nlocation = [\"quay.io\"]\n",
    "registries.conf:2:12: registry.location: expected a string, got an array" },
  { "[[registry]]\nprefix = 1\nlocation = \"quay.io\"\n",
    "registries.conf:2:10: registry.prefix: expected a string, got an integer" },
  { "[[registry]]\nlocation = \"quay.io\"\nmirror-by-digest-only = \"true\"\n",
    "registries.conf:3:25: registry.mirror-by-digest-only: expected a boolean, got a string" },
  { "[[registry]]\nlocation = \"https://quay.io\"\n",
    "registries.conf:2:12: registry.location: \"https://quay.io\": URI schemes are not supported" },
  { "\n[[registry]]\ninsecure = true\n",
    "registries.conf:2:1: registry: neither prefix nor location is set" },
  { "[[registry]]\nprefix = \"example.com\"\n",
    "registries.conf:1:1: registry: location is not set and prefix \"example.com\" is not of "
    "the form *.example.com" },
  { "[[registry]]\nprefix = \"*.example.com/foo\"\n",
    "registries.conf:2:10: registry.prefix: wildcard prefix \"*.example.com/foo\" must be of the "
    "form *.example.com" },
  { "[[registry]]\nprefix = \"*.\"\n",
    "registries.conf:2:10: registry.prefix: wildcard prefix \"*.\" must be of the form "
    "*.example.com" },
  { "[[registry]]\nlocation = \"quay.io\"\nmirror = \"m.local\"\n",
    "registries.conf:3:10: registry.mirror: expected an array of tables, got a string" },
  { "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\nlocation = 1\n",
    "registries.conf:4:12: registry.mirror.location: expected a string, got an integer" },
  { "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\ninsecure = 0\n",
    "registries.conf:4:12: registry.mirror.insecure: expected a boolean, got an integer" },
  { "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\ninsecure = true\n",
    "registries.conf:3:1: registry.mirror: location is not set" },
  { "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\nlocation = \"m\"\n"
    "pull-from-mirror = \"sometimes\"\n",
    "registries.conf:5:20: registry.mirror.pull-from-mirror: \"sometimes\" is not one of \"all\", "
    "\"digest-only\", \"tag-only\"" },
  { "[[registry]]\nlocation = \"quay.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
    "location = \"m\"\npull-from-mirror = \"tag-only\"\n",
    "registries.conf:6:20: registry.mirror.pull-from-mirror: cannot be used with "
    "mirror-by-digest-only = true" },
  /* the second [[registry]] is checked as closely as the first */
  { "[[registry]]\nlocation = \"a.io\"\n\n[[registry]]\nlocation = \"b.io\"\ninsecure = \"no\"\n",
    "registries.conf:6:12: registry.insecure: expected a boolean, got a string" },
  /* TOML errors keep their place */
  { "[[registry]]\nlocation = \"quay.io\n", "registries.conf:2:12: unterminated string" },
  { "[[registry]]\nlocation = \"quay.io\"\n[registry]\n",
    "registries.conf:3:2: key \"registry\" already defined as an array of tables" },
};

static void test_errors(void **state)
{
  for (size_t k = 0; k < ARRAY_SIZE(error_cases); k++)
    expect_load_error(error_cases[k].text, error_cases[k].message);
}

static void test_unreadable(void **state)
{
  /* a directory where the file should be is an error, not an empty config */
  registries_conf *c = NULL;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(registries_conf_load(tmpdir, &c, &err), -CRIO_E_IO);
  assert_null(c);
  assert_non_null(strstr(err->message, tmpdir));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_missing_file),
    cmocka_unit_test(test_search_and_mode),
    cmocka_unit_test(test_man_page_example),
    cmocka_unit_test(test_longest_prefix),
    cmocka_unit_test(test_wildcards),
    cmocka_unit_test(test_insecure_sources),
    cmocka_unit_test(test_blocked),
    cmocka_unit_test(test_pull_from_mirror),
    cmocka_unit_test(test_lenient),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_unreadable),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
