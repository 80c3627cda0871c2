/* The CRI methods crio-c answers: a table from the gRPC method name to the
 * request's protobuf-c descriptor and a handler calling the engine. */
#ifndef CRIO_CRI_HANDLERS_H
#define CRIO_CRI_HANDLERS_H

#include <protobuf-c/protobuf-c.h>

#include "server/engine/engine.h"
#include "util/err.h"

/* Fills *resp with a message whose every part is malloc'd, so that
 * protobuf_c_message_free_unpacked(resp, NULL) frees it; returns 0 or a
 * negative crio_code with *err set. */
typedef int (*cri_handler_fn)(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err);

typedef struct cri_method {
  const char *name;                          /* "/runtime.v1.RuntimeService/Version" */
  const ProtobufCMessageDescriptor *request;
  cri_handler_fn handler;
} cri_method;

/* More tables, one a file of handlers (cri_sandbox.c: pods and containers;
 * cri_images.c: the ImageService and stats). */
const cri_method *cri_sandbox_methods(size_t *n);
const cri_method *cri_image_methods(size_t *n);

/* NULL when crio-c does not answer the method. */
const cri_method *cri_method_find(const char *name);

#endif
