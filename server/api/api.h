/* The REST API server: libmicrohttpd on the daemon's unix socket (mode
 * 0660) and, when configured, a TCP listener that requires a bearer token
 * for everything but /healthz and /metrics. */
#ifndef CRIO_API_H
#define CRIO_API_H

#include <stdbool.h>
#include <stddef.h>

#include "server/engine/engine.h"
#include "util/err.h"

typedef struct api_server api_server;

typedef struct api_options {
  const char *unix_socket;   /* replaced if it exists */
  const char *listen;        /* "HOST:PORT" or NULL/"" for none */
  const char *token;         /* required on TCP when listen is set */
  size_t max_body_size;      /* larger bodies get 413 */
  bool enable_metrics;
} api_options;

int api_server_start(engine *e, const api_options *opts, api_server **out, crio_err **err);
/* Replace the bearer token (SIGHUP). */
void api_server_set_token(api_server *srv, const char *token);
/* Stops serving and removes the unix socket. */
void api_server_stop(api_server *srv);

#endif
