/* The REST router: one table of routes (method + path pattern + handler).
 * Patterns are literal segments and {name} parameters, one segment each. */
#ifndef CRIO_API_ROUTER_H
#define CRIO_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "server/api/reply.h"

#define API_MAX_PARAMS 4

typedef struct api_request api_request;
typedef void (*api_handler)(api_request *req, api_reply *reply);

typedef struct api_route {
  const char *method;
  const char *pattern;   /* "/v1/containers/{id}" */
  api_handler handler;
  bool needs_metrics;    /* served only when [crio.metrics] enable_metrics */
  bool body_to_file;     /* the body (an archive) goes to a file, with no size limit */
} api_route;

typedef struct api_match {
  const api_route *route;
  size_t n_params;
  char *param_names[API_MAX_PARAMS];
  char *param_values[API_MAX_PARAMS];
} api_match;

/* Every route the daemon serves; the OpenAPI contract test compares this
 * table with openapi/openapi.yaml. */
const api_route *api_routes(size_t *n);

typedef enum { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD } route_result;
route_result api_route_match(const char *method, const char *path, bool metrics_enabled,
                             api_match *out);
void api_match_clear(api_match *m);

#endif
