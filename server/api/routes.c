/* The route table: every route the REST API serves, and nothing else.
 * openapi/openapi.yaml describes exactly these; the contract test checks it. */
#include "server/api/handlers.h"
#include "server/api/router.h"

#include "util/cleanup.h"

static const api_route routes[] = {
  { "GET", "/healthz", handle_healthz, false },
  { "GET", "/metrics", handle_metrics, true },
  { "GET", "/v1/version", handle_version, false },
  { "GET", "/v1/info", handle_info, false },
  { "GET", "/v1/images", handle_image_list, false },
  { "POST", "/v1/images/pull", handle_image_pull, false },
  /* NAME may hold slashes: the routes with a suffix come before the bare one */
  { "GET", "/v1/images/{name*}/history", handle_image_history, false },
  { "POST", "/v1/images/{name*}/tag", handle_image_tag, false },
  { "POST", "/v1/images/{name*}/push", handle_image_push, false },
  { "GET", "/v1/images/{name*}", handle_image_inspect, false },
  { "DELETE", "/v1/images/{name*}", handle_image_remove, false },
  { "POST", "/v1/auth/login", handle_login, false },
  { "POST", "/v1/auth/logout", handle_logout, false },
};

const api_route *api_routes(size_t *n)
{
  *n = ARRAY_SIZE(routes);
  return routes;
}
