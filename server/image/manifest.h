/* Image manifests, indexes and configs: Docker v2 schema 2, the OCI image
 * manifest, Docker manifest lists and OCI indexes. Parsed into C structs;
 * anything of an unknown media type is refused. */
#ifndef CRIO_IMAGE_MANIFEST_H
#define CRIO_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* What a registry is asked for, in order of preference. */
extern const char *const manifest_accept_types[];

typedef enum { MANIFEST_IMAGE, MANIFEST_INDEX } manifest_kind;

/* The kind of a manifest body, from the Content-Type the registry sent (or
 * the body's own mediaType when that is missing or generic). */
int manifest_kind_of(const char *media_type, const char *body, size_t len, manifest_kind *kind,
                     char **resolved_media_type, crio_err **err);

typedef struct manifest_blob {
  char *digest;
  char *media_type;
  int64_t size;
} manifest_blob;

typedef struct image_manifest {
  char *media_type;
  manifest_blob config;
  manifest_blob *layers;   /* base first */
  size_t n_layers;
} image_manifest;

int manifest_parse(const char *body, size_t len, const char *media_type, image_manifest *out,
                   crio_err **err);
void image_manifest_clear(image_manifest *m);

typedef struct platform {
  char *os;
  char *arch;
  char *variant;   /* may be NULL */
} platform;

/* This machine's platform (linux/amd64...). */
void platform_host(platform *out);
/* "os/arch[/variant]". */
int platform_parse(const char *s, platform *out, crio_err **err);
void platform_clear(platform *p);

/* Picks the manifest for want from an index or manifest list. */
int index_choose(const char *body, size_t len, const platform *want, char **digest,
                 char **media_type, crio_err **err);

typedef struct image_config {
  char *os;
  char *arch;
  char *variant;
  char *created;        /* RFC 3339 or NULL */
  char **diff_ids;      /* base first */
  size_t n_diff_ids;
} image_config;

int image_config_parse(const char *body, size_t len, image_config *out, crio_err **err);
void image_config_clear(image_config *c);

#endif
