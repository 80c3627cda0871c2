/* Unit tests for image references (server/image/reference.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/image/reference.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX

static void expect_ref(const char *input, const char *want)
{
  image_ref r;
  _cleanup_err_ crio_err *err = NULL;
  if (image_ref_parse(input, &r, &err) < 0)
    fail_msg("\"%s\": unexpected error: %s", input, err->message);
  _cleanup_free_ char *got = image_ref_string(&r);
  if (strcmp(got, want) != 0)
    fail_msg("\"%s\": got %s, want %s", input, got, want);
  image_ref_clear(&r);
}

static void expect_invalid(const char *input, const char *message)
{
  image_ref r = { (char *) "x", NULL, NULL, NULL };
  _cleanup_err_ crio_err *err = NULL;
  int ret = image_ref_parse(input, &r, &err);
  if (ret == 0)
    fail_msg("\"%s\": accepted, want: %s", input, message);
  assert_int_equal(ret, -CRIO_E_INVALID);
  assert_int_equal(err->code, CRIO_E_INVALID);
  if (strcmp(err->message, message) != 0)
    fail_msg("\"%s\":\n got: %s\nwant: %s", input, err->message, message);
  /* nothing is left allocated on failure */
  assert_null(r.domain);
  assert_null(r.path);
  assert_null(r.tag);
  assert_null(r.digest);
}

static const struct {
  const char *input, *want;
} valid_cases[] = {
  { "busybox", "docker.io/library/busybox:latest" },
  { "busybox:1.36", "docker.io/library/busybox:1.36" },
  { "library/busybox", "docker.io/library/busybox:latest" },
  { "docker.io/busybox", "docker.io/library/busybox:latest" },
  { "docker.io/library/busybox:musl", "docker.io/library/busybox:musl" },
  { "index.docker.io/busybox", "docker.io/library/busybox:latest" },
  { "index.docker.io/team/app:v1", "docker.io/team/app:v1" },
  { "team/app", "docker.io/team/app:latest" },
  { "team/sub/app:2", "docker.io/team/sub/app:2" },
  { "quay.io/podman/stable", "quay.io/podman/stable:latest" },
  { "quay.io/busybox", "quay.io/busybox:latest" },
  { "localhost/busybox", "localhost/busybox:latest" },
  { "localhost:5000/busybox:test", "localhost:5000/busybox:test" },
  { "127.0.0.1:5000/test/busybox", "127.0.0.1:5000/test/busybox:latest" },
  { "[::1]:5000/busybox", "[::1]:5000/busybox:latest" },
  { "[fe80::1]/app", "[fe80::1]/app:latest" },
  { "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9" },
  { "My-Registry.Example.COM/app", "My-Registry.Example.COM/app:latest" },
  { "a-b.c/x", "a-b.c/x:latest" },
  { "busybox@" DIGEST, "docker.io/library/busybox@" DIGEST },
  { "busybox:1.36@" DIGEST, "docker.io/library/busybox:1.36@" DIGEST },
  { "quay.io/a/b:t@" DIGEST, "quay.io/a/b:t@" DIGEST },
  { "localhost:5000@" DIGEST, "docker.io/library/localhost:5000@" DIGEST },
  { "localhost:5000", "docker.io/library/localhost:5000" },
  { "a.b:tag", "docker.io/library/a.b:tag" },
  { "team/foo_bar.baz__qux---x", "docker.io/team/foo_bar.baz__qux---x:latest" },
  { "foo_bar__qux---x/a-b", "docker.io/foo_bar__qux---x/a-b:latest" },
  { "app:Latest", "docker.io/library/app:Latest" },
  { "app:_v1.0-rc.1", "docker.io/library/app:_v1.0-rc.1" },
  { "0/1/2", "docker.io/0/1/2:latest" },
  { "foo:1/bar", "foo:1/bar:latest" },
  { "example.com:443/ns/app:v2", "example.com:443/ns/app:v2" },
  { HEX ":tag", "docker.io/library/" HEX ":tag" },
};

static void test_valid(void **state)
{
  for (size_t k = 0; k < ARRAY_SIZE(valid_cases); k++)
    expect_ref(valid_cases[k].input, valid_cases[k].want);
}

static const struct {
  const char *input, *message;
} invalid_cases[] = {
  { "", "invalid reference \"\": empty reference" },
  { "Foo/bar", "invalid reference \"Foo/bar\": repository name must be lowercase" },
  { "BusyBox", "invalid reference \"BusyBox\": repository name must be lowercase" },
  { "quay.io/Team/app",
    "invalid reference \"quay.io/Team/app\": repository name must be lowercase" },
  { "a:b:c", "invalid reference \"a:b:c\": invalid tag \"b:c\"" },
  { "busybox:", "invalid reference \"busybox:\": empty tag" },
  { "busybox:-x", "invalid reference \"busybox:-x\": invalid tag \"-x\"" },
  { "busybox:.x", "invalid reference \"busybox:.x\": invalid tag \".x\"" },
  { "busybox:a+b", "invalid reference \"busybox:a+b\": invalid tag \"a+b\"" },
  { ":latest", "invalid reference \":latest\": repository name must have at least one component" },
  { "@" DIGEST,
    "invalid reference \"@" DIGEST "\": repository name must have at least one component" },
  { "a//b", "invalid reference \"a//b\": empty path component in \"a//b\"" },
  { "busybox/", "invalid reference \"busybox/\": empty path component in \"busybox/\"" },
  { "/busybox", "invalid reference \"/busybox\": empty path component in \"/busybox\"" },
  { "quay.io/",
    "invalid reference \"quay.io/\": repository name must have at least one component" },
  { "-app", "invalid reference \"-app\": invalid path component \"-app\"" },
  { "app-", "invalid reference \"app-\": invalid path component \"app-\"" },
  { "a.", "invalid reference \"a.\": invalid path component \"a.\"" },
  { "a..b", "invalid reference \"a..b\": invalid path component \"a..b\"" },
  { "a___b", "invalid reference \"a___b\": invalid path component \"a___b\"" },
  { "a._b", "invalid reference \"a._b\": invalid path component \"a._b\"" },
  { "team/my app", "invalid reference \"team/my app\": invalid path component \"my app\"" },
  { "team/caf\xc3\xa9",
    "invalid reference \"team/caf\xc3\xa9\": invalid path component \"caf\xc3\xa9\"" },
  { "exa_mple.com/app", "invalid reference \"exa_mple.com/app\": invalid domain \"exa_mple.com\"" },
  { "-a.com/app", "invalid reference \"-a.com/app\": invalid domain \"-a.com\"" },
  { "a-.com/app", "invalid reference \"a-.com/app\": invalid domain \"a-.com\"" },
  { "a..com/app", "invalid reference \"a..com/app\": invalid domain \"a..com\"" },
  { "localhost:/app", "invalid reference \"localhost:/app\": invalid domain \"localhost:\"" },
  { "localhost:50a/app",
    "invalid reference \"localhost:50a/app\": invalid domain \"localhost:50a\"" },
  { "[::1/app", "invalid reference \"[::1/app\": invalid domain \"[::1\"" },
  { "[]:5000/app", "invalid reference \"[]:5000/app\": invalid domain \"[]:5000\"" },
  { "busybox@sha256:abc",
    "invalid reference \"busybox@sha256:abc\": invalid digest \"sha256:abc\": sha256 needs 64 "
    "lowercase hex digits" },
  { "busybox@sha256:" HEX "0",
    "invalid reference \"busybox@sha256:" HEX "0\": invalid digest \"sha256:" HEX
    "0\": sha256 needs 64 lowercase hex digits" },
  { "busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
    "invalid reference \"busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef"
    "0123456789abcdef\": invalid digest \"sha256:0123456789ABCDEF0123456789abcdef0123456789"
    "abcdef0123456789abcdef\": sha256 needs 64 lowercase hex digits" },
  { "busybox@sha512:" HEX HEX,
    "invalid reference \"busybox@sha512:" HEX HEX "\": invalid digest \"sha512:" HEX HEX
    "\": unsupported algorithm \"sha512\" (only sha256)" },
  { "busybox@" HEX,
    "invalid reference \"busybox@" HEX "\": invalid digest \"" HEX "\": expected sha256:<hex>" },
  { "busybox@", "invalid reference \"busybox@\": invalid digest \"\": expected sha256:<hex>" },
  { "busybox@1sha:" HEX,
    "invalid reference \"busybox@1sha:" HEX "\": invalid digest \"1sha:" HEX
    "\": expected sha256:<hex>" },
  { "busybox@" DIGEST ":tag",
    "invalid reference \"busybox@" DIGEST ":tag\": invalid digest \"" DIGEST
    ":tag\": sha256 needs 64 lowercase hex digits" },
  { HEX,
    "invalid reference \"" HEX "\": a 64-character hex string is an image ID, not a reference" },
};

static void test_invalid(void **state)
{
  for (size_t k = 0; k < ARRAY_SIZE(invalid_cases); k++)
    expect_invalid(invalid_cases[k].input, invalid_cases[k].message);
}

static void test_fields(void **state)
{
  image_ref r;
  crio_err *err = NULL;
  assert_int_equal(image_ref_parse("busybox", &r, &err), 0);
  assert_string_equal(r.domain, "docker.io");
  assert_string_equal(r.path, "library/busybox");
  assert_string_equal(r.tag, "latest");
  assert_null(r.digest);
  _cleanup_free_ char *repo = image_ref_repo(&r);
  assert_string_equal(repo, "docker.io/library/busybox");
  image_ref_clear(&r);
  assert_null(r.domain);
  assert_null(r.path);

  assert_int_equal(image_ref_parse("localhost:5000/a/b@" DIGEST, &r, &err), 0);
  assert_string_equal(r.domain, "localhost:5000");
  assert_string_equal(r.path, "a/b");
  assert_null(r.tag); /* a digest alone gets no "latest" */
  assert_string_equal(r.digest, DIGEST);
  _cleanup_free_ char *repo2 = image_ref_repo(&r);
  assert_string_equal(repo2, "localhost:5000/a/b");
  image_ref_clear(&r);
  image_ref_clear(&r); /* clearing twice is harmless */

  /* an error without a place to put it still fails */
  assert_int_equal(image_ref_parse("Foo", &r, NULL), -CRIO_E_INVALID);
  assert_null(err);
}

static void test_length_limits(void **state)
{
  _cleanup_strbuf_ strbuf tag = STRBUF_INIT;
  strbuf_puts(&tag, "app:");
  for (int k = 0; k < 128; k++)
    strbuf_putc(&tag, 't');
  _cleanup_free_ char *want = xasprintf("docker.io/library/%s", tag.data);
  expect_ref(tag.data, want);
  strbuf_putc(&tag, 't');
  _cleanup_free_ char *msg =
      xasprintf("invalid reference \"%s\": tag is longer than 128 characters", tag.data);
  expect_invalid(tag.data, msg);

  /* docker.io/library/ (18) + 237 = 255: the limit counts the normalized name */
  _cleanup_strbuf_ strbuf name = STRBUF_INIT;
  for (int k = 0; k < 237; k++)
    strbuf_putc(&name, 'a');
  image_ref r;
  assert_int_equal(image_ref_parse(name.data, &r, NULL), 0);
  image_ref_clear(&r);
  strbuf_putc(&name, 'a');
  _cleanup_free_ char *msg2 = xasprintf(
      "invalid reference \"%s\": repository name must not be more than 255 characters", name.data);
  expect_invalid(name.data, msg2);
}

static void test_short_names(void **state)
{
  const char *shorts[] = { "busybox", "busybox:1", "library/busybox", "team/app@" DIGEST,
                           "Foo/bar", "a.b:tag", "localhost:5000" };
  const char *longs[] = { "docker.io/busybox", "quay.io/a", "localhost/a", "localhost:5000/a",
                          "[::1]/a", "127.0.0.1/x" };
  for (size_t k = 0; k < ARRAY_SIZE(shorts); k++)
    if (!image_ref_is_short_name(shorts[k]))
      fail_msg("%s should be a short name", shorts[k]);
  for (size_t k = 0; k < ARRAY_SIZE(longs); k++)
    if (image_ref_is_short_name(longs[k]))
      fail_msg("%s should not be a short name", longs[k]);
}

static void test_with_domain(void **state)
{
  static const struct {
    const char *name, *domain, *want;
  } cases[] = {
    { "busybox", "quay.io", "quay.io/busybox:latest" },
    { "busybox", "docker.io", "docker.io/library/busybox:latest" },
    { "busybox:1", "index.docker.io", "docker.io/library/busybox:1" },
    { "team/app@" DIGEST, "registry.example.com:5000",
      "registry.example.com:5000/team/app@" DIGEST },
    { "app", "myregistry", "myregistry/app:latest" },
    { "app", "127.0.0.1:5000", "127.0.0.1:5000/app:latest" },
  };
  for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
    image_ref r;
    _cleanup_err_ crio_err *err = NULL;
    if (image_ref_with_domain(cases[k].name, cases[k].domain, &r, &err) < 0)
      fail_msg("%s in %s: %s", cases[k].name, cases[k].domain, err->message);
    _cleanup_free_ char *got = image_ref_string(&r);
    assert_string_equal(got, cases[k].want);
    image_ref_clear(&r);
  }
  image_ref r;
  _cleanup_err_ crio_err *e1 = NULL, *e2 = NULL, *e3 = NULL;
  assert_int_equal(image_ref_with_domain("quay.io/app", "docker.io", &r, &e1), -CRIO_E_INVALID);
  assert_string_equal(e1->message, "invalid reference \"quay.io/app\": not a short name: it "
                                   "names a registry already");
  assert_int_equal(image_ref_with_domain("app", "bad_host", &r, &e2), -CRIO_E_INVALID);
  assert_string_equal(e2->message, "invalid reference \"app\": invalid domain \"bad_host\"");
  assert_int_equal(image_ref_with_domain("App", "quay.io", &r, &e3), -CRIO_E_INVALID);
  assert_string_equal(e3->message, "invalid reference \"App\": repository name must be lowercase");
  assert_null(r.domain);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid),
    cmocka_unit_test(test_invalid),
    cmocka_unit_test(test_fields),
    cmocka_unit_test(test_length_limits),
    cmocka_unit_test(test_short_names),
    cmocka_unit_test(test_with_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
