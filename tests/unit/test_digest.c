/* Unit tests for sha256 digests and chain IDs (server/image/digest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/image/digest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void test_bytes_known_vectors(void **state)
{
  _cleanup_free_ char *e = digest_bytes("", 0);
  _cleanup_free_ char *a = digest_bytes("abc", 3);
  assert_string_equal(e, EMPTY);
  assert_string_equal(a, ABC);
}

static void test_streaming_matches_one_shot(void **state)
{
  _cleanup_digester_ digester *d = digester_new();
  char chunk[1000];
  memset(chunk, 'a', sizeof chunk);
  for (int i = 0; i < 1000; i++)
    digester_update(d, chunk, sizeof chunk);
  _cleanup_free_ char *got = digester_final(d);
  assert_string_equal(got, MILLION_A);
  /* final resets: the same digester digests anew */
  digester_update(d, "a", 1);
  digester_update(d, "bc", 2);
  _cleanup_free_ char *again = digester_final(d);
  assert_string_equal(again, ABC);
  _cleanup_free_ char *none = digester_final(d);
  assert_string_equal(none, EMPTY);
}

static void test_parse_valid(void **state)
{
  char hex[DIGEST_HEX_LEN + 1];
  crio_err *err = NULL;
  assert_int_equal(digest_parse(ABC, hex, &err), 0);
  assert_null(err);
  assert_string_equal(hex, ABC + strlen("sha256:"));
  assert_int_equal(digest_parse(EMPTY, NULL, &err), 0);
}

static void expect_parse_error(const char *s, const char *substring)
{
  _cleanup_err_ crio_err *err = NULL;
  char hex[DIGEST_HEX_LEN + 1];
  int r = digest_parse(s, hex, &err);
  if (r == 0)
    fail_msg("accepted \"%s\"", s ? s : "(null)");
  assert_int_equal(r, -CRIO_E_INVALID);
  assert_non_null(err);
  if (!strstr(err->message, substring))
    fail_msg("for \"%s\": got \"%s\", want it to contain \"%s\"", s ? s : "(null)", err->message,
             substring);
}

static void test_parse_invalid(void **state)
{
  expect_parse_error(NULL, "invalid digest");
  expect_parse_error("", "invalid digest");
  expect_parse_error("sha256", "invalid digest");
  expect_parse_error("sha256:", "invalid digest");
  expect_parse_error(":abc", "invalid digest");
  expect_parse_error("sha256:abc", "invalid digest \"sha256:abc\"");
  /* uppercase hex, one digit short, one too many, a non-hex digit */
  expect_parse_error("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                     "invalid digest");
  expect_parse_error("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
                     "invalid digest");
  expect_parse_error("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
                     "invalid digest");
  expect_parse_error("sha256:ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     "invalid digest");
  expect_parse_error("SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     "invalid digest");
  expect_parse_error(" sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     "invalid digest");
}

static void test_parse_unsupported_algorithm(void **state)
{
  expect_parse_error("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
                     "unsupported digest algorithm \"sha512\"");
  expect_parse_error("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm");
  expect_parse_error("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
                     "unsupported digest algorithm \"sha256+b64u\"");
}

static void test_file(void **state)
{
  char dir[] = "/tmp/crio-digest-XXXXXX";
  assert_non_null(mkdtemp(dir));
  _cleanup_free_ char *path = path_join(dir, "blob");
  crio_err *err = NULL;
  assert_int_equal(write_file_atomic(path, "abc", 3, 0644, &err), 0);
  _cleanup_free_ char *d = NULL;
  assert_int_equal(digest_file(path, &d, &err), 0);
  assert_string_equal(d, ABC);
  unlink(path);

  _cleanup_err_ crio_err *missing = NULL;
  char *none = NULL;
  assert_int_equal(digest_file(path, &none, &missing), -CRIO_E_NOT_FOUND);
  assert_null(none);
  assert_non_null(strstr(missing->message, path));
  rmdir(dir);
}

static void test_chain_id(void **state)
{
  _cleanup_free_ char *c0 = chain_id_next(NULL, EMPTY);
  assert_string_equal(c0, EMPTY);
  _cleanup_free_ char *c1 = chain_id_next(c0, ABC);
  assert_string_equal(c1, "sha256:a893da35bd22286079f2f3931516d3423eb9b4945f2379e0f8a501ec3d665dd6");
  _cleanup_free_ char *c2 = chain_id_next(c1, EMPTY);
  assert_string_equal(c2, "sha256:c7aee1adee42d4db4910137e5f81f051269d58787a1f676ee50078fd0c689280");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bytes_known_vectors),
    cmocka_unit_test(test_streaming_matches_one_shot),
    cmocka_unit_test(test_parse_valid),
    cmocka_unit_test(test_parse_invalid),
    cmocka_unit_test(test_parse_unsupported_algorithm),
    cmocka_unit_test(test_file),
    cmocka_unit_test(test_chain_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
