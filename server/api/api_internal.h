/* What the files of server/api share: the request a handler sees. */
#ifndef CRIO_API_INTERNAL_H
#define CRIO_API_INTERNAL_H

#include <microhttpd.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "server/api/reply.h"
#include "server/api/router.h"
#include "server/engine/engine.h"

typedef struct api_server api_server;

struct api_request {
  engine *engine;
  api_server *server;
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  api_match match;
  const char *body;
  size_t body_len;
  const char *body_path;   /* routes with body_to_file: the body, as a file */
};

/* The value of the {name} path parameter, or NULL. */
const char *api_param(const api_request *req, const char *name);
/* The value of a query parameter, or NULL. */
const char *api_query(const api_request *req, const char *name);

/* A boolean query parameter: *out keeps its value when absent; anything but
 * true/false/1/0 is an error naming the parameter. */
int api_query_bool(const api_request *req, const char *name, bool *out, crio_err **err);
/* The body as a JSON object; an empty body gives an empty object. */
int api_body_json(const api_request *req, json_t **out, crio_err **err);
/* Every value of a repeated query parameter. */
size_t api_query_all(const api_request *req, const char *name, char ***out);

/* Request counters for /metrics, by method and status. */
typedef enum { API_M_GET, API_M_POST, API_M_PUT, API_M_DELETE, API_M_OTHER, API_M__COUNT } api_method;
const char *api_method_name(api_method m);
unsigned long api_server_requests(api_server *srv, api_method m, unsigned int status);

#endif
