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
  ROUTE("GET", "/v1/pods", handle_pod_list),
  ROUTE("POST", "/v1/pods", handle_pod_create),
  ROUTE("GET", "/v1/pods/{id}", handle_pod_inspect),
  ROUTE("DELETE", "/v1/pods/{id}", handle_pod_remove),
  ROUTE("POST", "/v1/pods/{id}/stop", handle_pod_stop),
  ROUTE("GET", "/v1/containers", handle_container_list),
  ROUTE("POST", "/v1/containers", handle_container_create),
  ROUTE("GET", "/v1/containers/{id}", handle_container_inspect),
  ROUTE("DELETE", "/v1/containers/{id}", handle_container_remove),
  ROUTE("POST", "/v1/containers/{id}/start", handle_container_start),
  ROUTE("POST", "/v1/containers/{id}/stop", handle_container_stop),
  ROUTE("POST", "/v1/containers/{id}/kill", handle_container_kill),
  ROUTE("POST", "/v1/containers/{id}/pause", handle_container_pause),
  ROUTE("POST", "/v1/containers/{id}/unpause", handle_container_unpause),
  ROUTE("POST", "/v1/containers/{id}/wait", handle_container_wait),
  ROUTE("POST", "/v1/containers/{id}/rename", handle_container_rename),
  ROUTE("GET", "/v1/containers/{id}/logs", handle_container_logs),
  ROUTE("POST", "/v1/containers/{id}/exec", handle_container_exec),
  ROUTE("GET", "/v1/containers/{id}/exec/stream", handle_container_exec_stream),
  ROUTE("GET", "/v1/containers/{id}/attach", handle_container_attach),
  ROUTE("POST", "/v1/containers/{id}/mount", handle_container_mount),
  ROUTE("POST", "/v1/containers/{id}/unmount", handle_container_unmount),
  ROUTE("GET", "/v1/containers/{id}/changes", handle_container_changes),
  ROUTE("GET", "/v1/containers/{id}/export", handle_container_export),
  ROUTE("GET", "/v1/containers/{id}/archive", handle_container_copy_out),
  ROUTE("PUT", "/v1/containers/{id}/archive", handle_container_copy_in, .body_to_file = true),
  ROUTE("GET", "/v1/containers/{id}/stats", handle_container_stats),
  ROUTE("GET", "/v1/pods/{id}/stats", handle_pod_stats),
  ROUTE("POST", "/v1/auth/login", handle_login),
  ROUTE("POST", "/v1/auth/logout", handle_logout),
};

const api_route *api_routes(size_t *n)
{
  *n = ARRAY_SIZE(routes);
  return routes;
}
