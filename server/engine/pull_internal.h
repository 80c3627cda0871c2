/* The pieces of a pull: resolving the reference to a manifest, fetching the
 * layers in parallel, committing the image. */
#ifndef CRIO_ENGINE_PULL_INTERNAL_H
#define CRIO_ENGINE_PULL_INTERNAL_H

#include <pthread.h>

#include "server/engine/engine_image_internal.h"
#include "server/engine/registry_session.h"
#include "server/image/manifest.h"
#include "server/image/reference.h"
#include "server/image/registry_client.h"

typedef struct pull_layer {
  const manifest_blob *blob;
  const char *diff_id;
  char *chain_hex;       /* chain ID without "sha256:" */
  bool present;          /* already in the layer store */
  char *staging;         /* fetched into this staging directory */
  int64_t size;          /* uncompressed */
} pull_layer;

typedef struct pull_ctx {
  engine *e;
  const engine_pull_opts *opts;
  engine_progress_fn fn;
  void *fn_data;
  pthread_mutex_t progress_lock;
  registry_settings settings;   /* copied from the configuration at the start */
  /* what was resolved */
  registry_client *rc;
  char *repo_path;       /* the repository on that registry */
  image_ref ref;         /* the reference as the user means it (normalized) */
  char *manifest;
  size_t manifest_len;
  char *manifest_digest;
  image_manifest man;
  char *config;
  size_t config_len;
  char *config_digest;
  image_config cfg;
  pull_layer *layers;
  size_t n_layers;
} pull_ctx;

void pull_progress(pull_ctx *p, const engine_progress *ev);
/* Finds the image: candidates for short names, mirrors, platform choice;
 * fills rc, repo_path, ref, manifest, man, config and cfg. */
int pull_resolve(pull_ctx *p, crio_err **err);
/* Downloads and extracts the layers not in the store yet, in parallel. */
int pull_fetch_layers(pull_ctx *p, crio_err **err);
/* Removes what pull_fetch_layers staged. */
void pull_discard_staging(pull_ctx *p);

#endif
