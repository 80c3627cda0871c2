/* The CRI method tables against the project's api.proto: every RPC of the
 * RuntimeService and the ImageService has an entry, of the right kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/cri/cri_handlers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char *proto_text(void)
{
  const char *src = getenv("CRIO_SOURCE_DIR");
  assert_non_null(src);
  _cleanup_free_ char *path = path_join(src, "adapters/cri/api.proto");
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(read_file(path, &text, &len, NULL), 0);
  return text;
}

/* Calls fn for each "rpc NAME(...) returns ([stream ]...)" of service. */
static size_t each_rpc(const char *text, const char *service,
                       void (*fn)(const char *path, bool stream))
{
  _cleanup_free_ char *head = xasprintf("service %s {", service);
  const char *p = strstr(text, head);
  assert_non_null(p);
  const char *end = strstr(p, "\n}");
  size_t n = 0;
  while ((p = strstr(p, "rpc ")) && p < end) {
    p += 4;
    size_t len = strcspn(p, "(");
    _cleanup_free_ char *path = xasprintf("/runtime.v1.%s/%.*s", service, (int) len, p);
    const char *ret = strstr(p, "returns");
    fn(path, ret && strncmp(ret, "returns (stream ", 16) == 0);
    n++;
  }
  return n;
}

static void check_rpc(const char *path, bool stream)
{
  const cri_method *m = cri_method_find(path);
  if (!m)
    fail_msg("%s has no handler", path);
  assert_int_equal(m->kind != CRI_UNARY, stream);
}

static void test_every_rpc_has_an_entry(void **state)
{
  (void) state;
  _cleanup_free_ char *text = proto_text();
  assert_true(each_rpc(text, "RuntimeService", check_rpc) >= 35);
  assert_true(each_rpc(text, "ImageService", check_rpc) >= 6);
}

static void check_entry(const cri_method *m, void *data)
{
  size_t *n = data;
  (*n)++;
  assert_non_null(m->request);
  switch (m->kind) {
  case CRI_UNARY:
    assert_non_null(m->handler);
    assert_null(m->stream_response);
    break;
  case CRI_STREAM_LIST:
    assert_non_null(m->handler);
    assert_non_null(m->stream_response);
    break;
  case CRI_STREAM_EVENTS:
    assert_null(m->handler);
    break;
  }
  assert_ptr_equal(cri_method_find(m->name), m); /* no name twice */
}

static void test_entries_are_well_formed(void **state)
{
  (void) state;
  size_t n = 0;
  cri_methods_each(check_entry, &n);
  assert_true(n >= 41);
}

static void test_unknown_method(void **state)
{
  (void) state;
  assert_null(cri_method_find("/runtime.v1.RuntimeService/NoSuchThing"));
  assert_null(cri_method_find("/runtime.v1alpha2.RuntimeService/Version"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_rpc_has_an_entry),
    cmocka_unit_test(test_entries_are_well_formed),
    cmocka_unit_test(test_unknown_method),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
