/* What the files of server/api share: the request a handler sees. */
#ifndef CRIO_API_INTERNAL_H
#define CRIO_API_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>

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
};

/* The value of the {name} path parameter, or NULL. */
const char *api_param(const api_request *req, const char *name);
/* The value of a query parameter, or NULL. */
const char *api_query(const api_request *req, const char *name);

/* Request counters for /metrics, by method and status. */
typedef enum { API_M_GET, API_M_POST, API_M_PUT, API_M_DELETE, API_M_OTHER, API_M__COUNT } api_method;
const char *api_method_name(api_method m);
unsigned long api_server_requests(api_server *srv, api_method m, unsigned int status);

#endif
