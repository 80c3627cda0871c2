/* The REST router: patterns, parameters, 404 and 405 decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "server/api/router.h"

static void test_exact_route_found(void **state)
{
  api_match m;
  assert_int_equal(api_route_match("GET", "/v1/info", true, &m), ROUTE_FOUND);
  assert_string_equal(m.route->pattern, "/v1/info");
  assert_int_equal(m.n_params, 0);
  api_match_clear(&m);
}

static void test_unknown_path_is_404(void **state)
{
  api_match m;
  assert_int_equal(api_route_match("GET", "/v1/nope", true, &m), ROUTE_NO_PATH);
  assert_int_equal(api_route_match("GET", "/v1/info/extra", true, &m), ROUTE_NO_PATH);
  assert_int_equal(api_route_match("GET", "/v1", true, &m), ROUTE_NO_PATH);
  assert_int_equal(api_route_match("GET", "", true, &m), ROUTE_NO_PATH);
}

static void test_wrong_method_is_405(void **state)
{
  api_match m;
  assert_int_equal(api_route_match("DELETE", "/v1/version", true, &m), ROUTE_NO_METHOD);
}

static void test_metrics_only_when_enabled(void **state)
{
  api_match m;
  assert_int_equal(api_route_match("GET", "/metrics", true, &m), ROUTE_FOUND);
  api_match_clear(&m);
  assert_int_equal(api_route_match("GET", "/metrics", false, &m), ROUTE_NO_PATH);
}

static void test_every_pattern_matches_itself(void **state)
{
  size_t n;
  const api_route *routes = api_routes(&n);
  assert_true(n > 0);
  for (size_t i = 0; i < n; i++) {
    char path[256];
    /* {param} segments replaced by a value */
    const char *p = routes[i].pattern;
    size_t o = 0;
    while (*p && o < sizeof path - 8) {
      if (*p == '{') {
        memcpy(path + o, "abc123", 6);
        o += 6;
        p = strchr(p, '}') + 1;
      } else {
        path[o++] = *p++;
      }
    }
    path[o] = '\0';
    api_match m;
    assert_int_equal(api_route_match(routes[i].method, path, true, &m), ROUTE_FOUND);
    assert_ptr_equal(m.route, &routes[i]);
    api_match_clear(&m);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_exact_route_found),
    cmocka_unit_test(test_unknown_path_is_404),
    cmocka_unit_test(test_wrong_method_is_405),
    cmocka_unit_test(test_metrics_only_when_enabled),
    cmocka_unit_test(test_every_pattern_matches_itself),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
