/* Recording an image whose layers are staged (pull, load): the layers are
 * renamed into the layer store and the image recorded in one critical
 * section, so a failure leaves neither directories nor rows behind. */
#ifndef CRIO_ENGINE_IMAGE_COMMIT_H
#define CRIO_ENGINE_IMAGE_COMMIT_H

#include "server/engine/engine_internal.h"

typedef struct commit_layer {
  const char *chain_hex;
  const char *diff_id;
  const char *digest;        /* the blob's */
  int64_t compressed_size;
  char *staging;             /* staged here, or NULL when already in the store; taken */
  int64_t size;              /* uncompressed, when staged */
  bool committed;            /* output: renamed into the store by this commit */
} commit_layer;

typedef struct commit_image {
  const char *id;
  const char *manifest_digest;
  const char *manifest;
  const char *config;
  char **tags;
  size_t n_tags;
  char **digests;            /* repo digests */
  size_t n_digests;
  commit_layer *layers;
  size_t n_layers;
  const char *action;        /* the event: "pull", "load" */
} commit_image;

/* When the image is recorded already, only its names are added. */
int image_commit(engine *e, commit_image *ci, crio_err **err);

#endif
