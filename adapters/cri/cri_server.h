/* The CRI face: a gRPC server (C core) on a unix socket that answers the
 * kubelet's RuntimeService and ImageService calls through the engine. */
#ifndef CRIO_CRI_SERVER_H
#define CRIO_CRI_SERVER_H

#include "server/engine/engine.h"
#include "util/err.h"

typedef struct cri_server cri_server;

/* Listens on socket_path (a stale socket there is removed; mode 0660) and
 * serves from a pool of worker threads until cri_server_stop. */
int cri_server_start(engine *e, const char *socket_path, cri_server **out, crio_err **err);
/* Stops listening, cancels the calls in flight, joins the workers and frees s.
 * NULL is a no-op. */
void cri_server_stop(cri_server *s);

#endif
