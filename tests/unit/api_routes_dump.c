/* Prints "METHOD PATTERN" for every route of the REST router, one a line,
 * for the OpenAPI contract test (tests/integration/test_openapi.py). A greedy
 * parameter {name*} is printed as OpenAPI writes it: {name}. */
#include <stdio.h>
#include <string.h>

#include "server/api/router.h"

int main(void)
{
  size_t n;
  const api_route *routes = api_routes(&n);
  for (size_t i = 0; i < n; i++) {
    printf("%s ", routes[i].method);
    for (const char *p = routes[i].pattern; *p; p++)
      if (!(*p == '*' && p[1] == '}'))
        putchar(*p);
    putchar('\n');
  }
  return 0;
}
