/* Prints "METHOD PATTERN" for every route of the REST router, one a line,
 * for the OpenAPI contract test (tests/integration/test_openapi.py). */
#include <stdio.h>

#include "server/api/router.h"

int main(void)
{
  size_t n;
  const api_route *routes = api_routes(&n);
  for (size_t i = 0; i < n; i++)
    printf("%s %s\n", routes[i].method, routes[i].pattern);
  return 0;
}
