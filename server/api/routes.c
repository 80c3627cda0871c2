/* The route table: every route the REST API serves, and nothing else.
 * openapi/openapi.yaml describes exactly these; the contract test checks it. */
#include "server/api/handlers.h"
#include "server/api/router.h"

#include "util/cleanup.h"

#define ROUTE(m, p, h, ...) { .method = m, .pattern = p, .handler = h, __VA_ARGS__ }

static const api_route routes[] = {
  ROUTE("GET", "/healthz", handle_healthz),
  ROUTE("GET", "/metrics", handle_metrics, .needs_metrics = true),
  ROUTE("GET", "/v1/version", handle_version),
  ROUTE("GET", "/v1/info", handle_info),
  ROUTE("GET", "/v1/images", handle_image_list),
  ROUTE("POST", "/v1/images/pull", handle_image_pull),
  ROUTE("POST", "/v1/images/load", handle_image_load, .body_to_file = true),
  /* NAME may hold slashes: the routes with a suffix come before the bare one */
  ROUTE("GET", "/v1/images/{name*}/history", handle_image_history),
  ROUTE("POST", "/v1/images/{name*}/tag", handle_image_tag),
  ROUTE("POST", "/v1/images/{name*}/push", handle_image_push),
  ROUTE("GET", "/v1/images/{name*}/save", handle_image_save),
  ROUTE("GET", "/v1/images/{name*}", handle_image_inspect),
  ROUTE("DELETE", "/v1/images/{name*}", handle_image_remove),
  ROUTE("POST", "/v1/auth/login", handle_login),
  ROUTE("POST", "/v1/auth/logout", handle_logout),
};

const api_route *api_routes(size_t *n)
{
  *n = ARRAY_SIZE(routes);
  return routes;
}
