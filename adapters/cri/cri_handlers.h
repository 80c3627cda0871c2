/* The CRI methods crio-c answers: tables from the gRPC method name to the
 * request's protobuf-c descriptor and a handler calling the engine. */
#ifndef CRIO_CRI_HANDLERS_H
#define CRIO_CRI_HANDLERS_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "server/engine/engine.h"
#include "util/err.h"

/* Fills *resp with a message whose every part is malloc'd, so that
 * protobuf_c_message_free_unpacked(resp, NULL) frees it; returns 0 or a
 * negative crio_code with *err set. */
typedef int (*cri_handler_fn)(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err);

typedef enum cri_call_kind {
  CRI_UNARY,
  /* A server stream of a list: the handler is the unary List call's, whose
   * response holds its items in field 1; the server sends them in pieces
   * as stream_response messages (field 1 too, the same item type: the
   * same wire format, which cri_stream_compatible checks). */
  CRI_STREAM_LIST,
  /* GetContainerEvents: no handler; the server follows the engine's events. */
  CRI_STREAM_EVENTS,
} cri_call_kind;

typedef struct cri_method {
  const char *name; /* "/runtime.v1.RuntimeService/Version" */
  const ProtobufCMessageDescriptor *request;
  cri_handler_fn handler;
  cri_call_kind kind;
  const ProtobufCMessageDescriptor *stream_response; /* CRI_STREAM_LIST only */
  /* may take seconds (a pull, an exec, a stop's grace period, CNI, a walk
   * of every container): run on a thread of its own, not a worker */
  bool blocking;
} cri_method;

/* Table entries: a unary call, one that may block, a list stream. */
#define CRI_CALL(path, req, fn)                                                                    \
  {                                                                                                \
    path, &req, fn, CRI_UNARY, NULL, false                                                         \
  }
#define CRI_BLOCKING_CALL(path, req, fn)                                                           \
  {                                                                                                \
    path, &req, fn, CRI_UNARY, NULL, true                                                          \
  }
#define CRI_LIST_STREAM(path, req, fn, resp, blocks)                                               \
  {                                                                                                \
    path, &req, fn, CRI_STREAM_LIST, &resp, blocks                                                 \
  }

/* Defines fn, the getter of a file's table `methods`. */
#define CRI_METHOD_TABLE(fn)                                                                       \
  const cri_method *fn(size_t *n)                                                                  \
  {                                                                                                \
    *n = sizeof methods / sizeof methods[0];                                                       \
    return methods;                                                                                \
  }

/* The tables, one a file of handlers. */
const cri_method *cri_runtime_methods(size_t *n);   /* cri_handlers.c */
const cri_method *cri_pod_methods(size_t *n);       /* cri_pods.c */
const cri_method *cri_container_methods(size_t *n); /* cri_containers.c */
const cri_method *cri_exec_methods(size_t *n);      /* cri_exec.c */
const cri_method *cri_stats_methods(size_t *n);     /* cri_stats.c */
const cri_method *cri_metrics_methods(size_t *n);   /* cri_metrics.c */
const cri_method *cri_image_methods(size_t *n);     /* cri_images.c */

/* NULL when crio-c does not answer the method. */
const cri_method *cri_method_find(const char *name);
/* Calls fn on every method of every table (for tests and docs). */
void cri_methods_each(void (*fn)(const cri_method *m, void *data), void *data);
/* Whether a CRI_STREAM_LIST method's list response and stream response
 * share the wire format (field 1, repeated, the same message type). */
bool cri_stream_compatible(const ProtobufCMessageDescriptor *list,
                           const ProtobufCMessageDescriptor *stream);

#endif
