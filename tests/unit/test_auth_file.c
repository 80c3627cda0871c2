/* auth.json (server/image/auth_file.c): round trips, namespaces, legacy keys,
 * modes, removal, malformed files. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/image/auth_file.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define OK(call)                                                                     \
  do {                                                                               \
    int r_ = (call);                                                                 \
    if (r_ != 0)                                                                     \
      fail_msg("%s returned %d: %s", #call, r_, err ? err->message : "(no error)"); \
  } while (0)

typedef struct fixture {
  char dir[64];
  char *path;  /* DIR/sub/dir/auth.json: parents do not exist yet */
} fixture;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/crio-test-auth-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  f->path = path_join(f->dir, "sub/dir/auth.json");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->path);
  free(f);
  return 0;
}

static void write_text(const char *path, const char *text)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *dir = xstrdup(path);
  *strrchr(dir, '/') = '\0';
  OK(mkdir_p(dir, 0700, &err));
  OK(write_file_atomic(path, text, strlen(text), 0600, &err));
}

static void expect_creds(const char *path, const char *query, const char *user, const char *pass)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *u = NULL;
  _cleanup_free_ char *p = NULL;
  OK(auth_file_get(path, query, &u, &p, &err));
  if (!user) {
    assert_null(u);
    assert_null(p);
    return;
  }
  if (!u)
    fail_msg("no credentials for %s", query);
  assert_string_equal(u, user);
  assert_string_equal(p, pass);
}

static json_t *load_json(const char *path)
{
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j)
    fail_msg("%s: %s", path, jerr.text);
  return j;
}

static void test_round_trip_and_modes(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  OK(auth_file_set(f->path, "127.0.0.1:5000", "alice", "s3cret:with:colons", &err));
  expect_creds(f->path, "127.0.0.1:5000", "alice", "s3cret:with:colons");
  expect_creds(f->path, "127.0.0.1:5000/busybox", "alice", "s3cret:with:colons");
  expect_creds(f->path, "127.0.0.1:5001", NULL, NULL);

  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  _cleanup_free_ char *dir = path_join(f->dir, "sub/dir");
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);

  /* The stored form is podman's: base64 of user:password. */
  json_t *j = load_json(f->path);
  const char *b64 = json_string_value(json_object_get(
      json_object_get(json_object_get(j, "auths"), "127.0.0.1:5000"), "auth"));
  assert_string_equal(b64, "YWxpY2U6czNjcmV0OndpdGg6Y29sb25z");
  json_decref(j);

  /* Setting again replaces. */
  OK(auth_file_set(f->path, "127.0.0.1:5000", "bob", "", &err));
  expect_creds(f->path, "127.0.0.1:5000", "bob", "");
}

static void test_keeps_other_entries_and_fields(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  write_text(f->path, "{\"auths\": {\"quay.io\": {\"auth\": \"cTp1\", \"email\": \"x@y\"}},"
                      " \"credHelpers\": {\"gcr.io\": \"gcloud\"}, \"psFormat\": \"x\"}");
  OK(auth_file_set(f->path, "reg.example:443", "u", "p", &err));
  json_t *j = load_json(f->path);
  json_t *quay = json_object_get(json_object_get(j, "auths"), "quay.io");
  assert_string_equal(json_string_value(json_object_get(quay, "auth")), "cTp1");
  assert_string_equal(json_string_value(json_object_get(quay, "email")), "x@y");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(j, "credHelpers"), "gcr.io")), "gcloud");
  assert_string_equal(json_string_value(json_object_get(j, "psFormat")), "x");
  json_decref(j);
  expect_creds(f->path, "quay.io/some/image", "q", "u");
  expect_creds(f->path, "reg.example:443", "u", "p");
}

static void test_namespace_longest_first(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  OK(auth_file_set(f->path, "reg.io", "host", "h", &err));
  OK(auth_file_set(f->path, "reg.io/team", "team", "t", &err));
  OK(auth_file_set(f->path, "reg.io/team/app", "app", "a", &err));
  expect_creds(f->path, "reg.io/team/app", "app", "a");
  expect_creds(f->path, "reg.io/team/app/sub", "app", "a");
  expect_creds(f->path, "reg.io/team/other", "team", "t");
  expect_creds(f->path, "reg.io/teamx", "host", "h");
  expect_creds(f->path, "reg.io", "host", "h");
  expect_creds(f->path, "reg.iox/team", NULL, NULL);
}

static void test_legacy_docker_keys(void **state)
{
  fixture *f = *state;
  /* "dXNlcjpwYXNz" = user:pass */
  write_text(f->path, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"dXNlcjpwYXNz\"},"
                      " \"http://old.example:5000/v2/\": {\"auth\": \"bzpw\"}}}");
  expect_creds(f->path, "docker.io/library/busybox", "user", "pass");
  expect_creds(f->path, "docker.io", "user", "pass");
  expect_creds(f->path, "old.example:5000/x", "o", "p");
  _cleanup_err_ crio_err *err = NULL;
  OK(auth_file_remove(f->path, "docker.io", &err));
  expect_creds(f->path, "docker.io", NULL, NULL);
  expect_creds(f->path, "old.example:5000", "o", "p");
}

static void test_missing_file_is_no_creds(void **state)
{
  fixture *f = *state;
  expect_creds(f->path, "127.0.0.1:5000", NULL, NULL);
  write_text(f->path, "{}");
  expect_creds(f->path, "127.0.0.1:5000", NULL, NULL);
  _cleanup_err_ crio_err *err = NULL;
  OK(auth_file_remove_all(f->path, &err));
}

static void expect_invalid(const char *path, const char *text, const char *needle)
{
  write_text(path, text);
  _cleanup_err_ crio_err *err = NULL;
  char *u = NULL, *p = NULL;
  int r = auth_file_get(path, "127.0.0.1:5000", &u, &p, &err);
  assert_int_equal(r, -CRIO_E_INVALID);
  assert_null(u);
  assert_non_null(err);
  if (!strstr(err->message, path) || !strstr(err->message, needle))
    fail_msg("message \"%s\" lacks the path or \"%s\"", err->message, needle);
}

static void test_malformed(void **state)
{
  fixture *f = *state;
  expect_invalid(f->path, "{\"auths\": {", "parse auth file");
  expect_invalid(f->path, "[1]", "not a JSON object");
  expect_invalid(f->path, "{\"auths\": 3}", "\"auths\" is not an object");
  expect_invalid(f->path, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"!!!!\"}}}",
                 "127.0.0.1:5000: auth is not base64");
  /* "bm9jb2xvbg==" = "nocolon" */
  expect_invalid(f->path, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"bm9jb2xvbg==\"}}}",
                 "user:password");
  /* A malformed file is never overwritten by set. */
  _cleanup_err_ crio_err *err = NULL;
  write_text(f->path, "{oops");
  assert_int_equal(auth_file_set(f->path, "a.io", "u", "p", &err), -CRIO_E_INVALID);
  _cleanup_free_ char *text = NULL;
  crio_err *rerr = NULL;
  assert_int_equal(read_file(f->path, &text, NULL, &rerr), 0);
  assert_string_equal(text, "{oops");
}

static void test_remove(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(auth_file_remove(f->path, "a.io", &err), -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "not logged in to a.io");
  crio_err_free(err);
  err = NULL;
  OK(auth_file_set(f->path, "a.io", "ua", "pa", &err));
  OK(auth_file_set(f->path, "b.io:5000", "ub", "pb", &err));
  OK(auth_file_remove(f->path, "a.io", &err));
  expect_creds(f->path, "a.io", NULL, NULL);
  expect_creds(f->path, "b.io:5000", "ub", "pb");
  assert_int_equal(auth_file_remove(f->path, "a.io", &err), -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "not logged in to a.io");
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_remove_all(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  write_text(f->path, "{\"auths\": {\"a.io\": {\"auth\": \"dXNlcjpwYXNz\"}}, \"other\": 1}");
  OK(auth_file_set(f->path, "b.io", "u", "p", &err));
  OK(auth_file_remove_all(f->path, &err));
  expect_creds(f->path, "a.io", NULL, NULL);
  expect_creds(f->path, "b.io", NULL, NULL);
  json_t *j = load_json(f->path);
  assert_int_equal(json_object_size(json_object_get(j, "auths")), 0);
  assert_int_equal(json_integer_value(json_object_get(j, "other")), 1);
  json_decref(j);
}

static void test_invalid_arguments(void **state)
{
  fixture *f = *state;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(auth_file_set(f->path, "a.io", "us:er", "p", &err), -CRIO_E_INVALID);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(auth_file_set(f->path, "https://a.io", "u", "p", &err), -CRIO_E_INVALID);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(auth_file_set(f->path, "", "u", "p", &err), -CRIO_E_INVALID);
  assert_int_equal(access(f->path, F_OK), -1);
}

static void test_default_path(void **state)
{
  _cleanup_free_ char *saved_raf = xstrdup(getenv("REGISTRY_AUTH_FILE"));
  _cleanup_free_ char *saved_xdg = xstrdup(getenv("XDG_RUNTIME_DIR"));
  char *p = NULL;

  setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
  auth_file_default_path(&p);
  assert_string_equal(p, "/x/auth.json");
  free(p);

  unsetenv("REGISTRY_AUTH_FILE");
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  auth_file_default_path(&p);
  assert_string_equal(p, "/run/user/1000/containers/auth.json");
  free(p);

  unsetenv("XDG_RUNTIME_DIR");
  auth_file_default_path(&p);
  _cleanup_free_ char *want = xasprintf("/run/containers/%u/auth.json", (unsigned) getuid());
  assert_string_equal(p, want);
  free(p);

  if (saved_raf)
    setenv("REGISTRY_AUTH_FILE", saved_raf, 1);
  if (saved_xdg)
    setenv("XDG_RUNTIME_DIR", saved_xdg, 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_round_trip_and_modes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keeps_other_entries_and_fields, setup, teardown),
    cmocka_unit_test_setup_teardown(test_namespace_longest_first, setup, teardown),
    cmocka_unit_test_setup_teardown(test_legacy_docker_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_file_is_no_creds, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
    cmocka_unit_test_setup_teardown(test_remove_all, setup, teardown),
    cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
    cmocka_unit_test_setup_teardown(test_default_path, setup, teardown),
  };
  return cmocka_run_group_tests_name("auth_file", tests, NULL, NULL);
}
