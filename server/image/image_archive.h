/* Image archives: `docker save` / `podman save` tarballs (docker-archive)
 * and OCI image layouts in a tar (oci-archive), written from and read into
 * plain C structs. No engine or store dependency: the caller hands over the
 * bytes and blob paths it has, and gets files back.
 *
 * Writing (image_archive_write) streams one tar to a descriptor, without
 * seeking (a pipe to an HTTP client is fine). Every tar header has mtime 0,
 * owner 0:0, mode 0644 (0755 directories).
 *
 *   docker-archive, as podman save writes it:
 *     <config hex>.json             the config, bytes unchanged (same image ID)
 *     <diff-id hex>.tar             each layer UNCOMPRESSED (sha256 = diff_id)
 *     <legacy id>/{VERSION,json,layer.tar -> ../<diff-id hex>.tar}
 *     manifest.json                 [{"Config":..,"RepoTags":[..],"Layers":[..]}]
 *     repositories                  {"<name>":{"<tag>":"<top legacy id>"}}
 *   oci-archive, as podman save --format oci-archive writes it:
 *     oci-layout, index.json        one manifest descriptor; its
 *                                   org.opencontainers.image.ref.name is the
 *                                   first repo tag, in full ("docker.io/library/busybox:latest")
 *     blobs/sha256/<hex>            manifest, config and the compressed layer
 *                                   blobs, all unchanged
 * Blob contents are checked against their digests on the way (a layer
 * against its diff_id); a mismatch fails the write and the tar is left
 * unterminated, so no reader takes it for complete.
 *
 * Reading (image_archive_read) takes either format, detected by content
 * (manifest.json: docker-archive; index.json + oci-layout: oci-archive),
 * plain or compressed as a whole (gzip, zstd, xz, bzip2). All regular files
 * of the archive are copied into workdir under the hex of their sha256;
 * archive entry names never become paths: an entry with an absolute name or
 * a ".." component, or a symlink whose target leaves the archive, fails the
 * read. Symlinks and hardlinks are resolved inside the archive only.
 * manifest.json, index.json, configs and manifests over 16 MiB are refused.
 *
 *   docker-archive: each manifest.json entry is an image. Layers may be at
 *     any path ("<hex>.tar", "<id>/layer.tar", "blobs/sha256/<hex>") and plain
 *     tar, gzip or zstd (detected by magic bytes). Each layer's uncompressed
 *     sha256 must equal the config's diff_id. The manifest is synthesized: an
 *     OCI image manifest (MT_OCI_MANIFEST, MT_OCI_CONFIG, layer types from
 *     the magic bytes), JSON with sorted keys and no spaces, so the same
 *     archive always gives the same manifest digest. repo_tags are the
 *     RepoTags strings as written (docker writes "busybox:latest", podman
 *     "docker.io/library/busybox:latest"): normalizing is the caller's.
 *   oci-archive: each index.json entry is an image; an entry that is an
 *     index (or a Docker manifest list) yields the manifest of this machine's
 *     platform. Every blob must have the sha256 and size its descriptor
 *     says; a plain-tar layer must also match its diff_id. Layer media types
 *     are those of the manifest. The repo tag comes from the annotation
 *     io.containerd.image.name (docker save) or else
 *     org.opencontainers.image.ref.name: a full name is kept as written; a
 *     bare tag ("latest", as skopeo's oci-archive:FILE:latest writes it)
 *     becomes "localhost/<archive file name without extension>:<tag>"
 *     (podman would make it "localhost/latest:latest"). Entries with the same
 *     manifest are one image with several tags.
 *
 * Errors name the archive, the image and the entry: "layer 2 (abc.tar) of
 * image busybox:latest in /tmp/x.tar: content does not match the config's
 * diff_id sha256:...". Bad content is CRIO_E_INVALID, too large
 * CRIO_E_TOO_LARGE, system failures CRIO_E_IO. */
#ifndef CRIO_IMAGE_IMAGE_ARCHIVE_H
#define CRIO_IMAGE_IMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The largest manifest.json, index.json, manifest or config read. */
#define IMAGE_ARCHIVE_JSON_MAX (16 * 1024 * 1024)

typedef enum { IMAGE_ARCHIVE_DOCKER, IMAGE_ARCHIVE_OCI } image_archive_format;

/* "docker-archive" or "oci-archive"; anything else is CRIO_E_INVALID. */
int image_archive_format_parse(const char *s, image_archive_format *out, crio_err **err);
const char *image_archive_format_name(image_archive_format fmt);

typedef struct archive_layer {
  const char *blob_path;   /* the blob as the registry served it */
  const char *digest;      /* of the blob file */
  const char *media_type;  /* of the blob: MT_OCI_LAYER{,_GZIP,_ZSTD}, MT_DOCKER_LAYER */
  const char *diff_id;     /* sha256 of the uncompressed tar */
  int64_t size;            /* of the blob file */
} archive_layer;

typedef struct archive_image_in {
  const char *config;
  size_t config_len;
  const char *config_digest;
  const char *manifest;             /* oci-archive only */
  size_t manifest_len;
  const char *manifest_digest;
  const char *manifest_media_type;
  const archive_layer *layers;      /* base first */
  size_t n_layers;
  char *const *repo_tags;           /* full names "domain/path:tag" */
  size_t n_repo_tags;
} archive_image_in;

/* Writes img as one tar stream to fd (not closed). */
int image_archive_write(int fd, image_archive_format fmt, const archive_image_in *img,
                        crio_err **err);

typedef struct archive_layer_out {
  char *path;        /* the file inside workdir */
  char *digest;      /* sha256 of that file */
  char *media_type;  /* MT_OCI_LAYER, MT_OCI_LAYER_GZIP, MT_OCI_LAYER_ZSTD (or the manifest's) */
  char *diff_id;     /* from the config */
  int64_t size;      /* of the file */
} archive_layer_out;

typedef struct archive_image_out {
  char *config;
  size_t config_len;
  char *config_digest;  /* the image ID */
  char *manifest;
  size_t manifest_len;
  char *manifest_digest;
  char *manifest_media_type;
  archive_layer_out *layers;  /* base first */
  size_t n_layers;
  char **repo_tags;
  size_t n_repo_tags;
} archive_image_out;

typedef struct archive_images_out {
  archive_image_out *items;
  size_t n;
} archive_images_out;

/* Reads the archive file at path; workdir is an existing directory the
 * caller created and removes afterwards (it holds the layer files). On
 * failure *out is empty. */
int image_archive_read(const char *path, const char *workdir, archive_images_out *out,
                       crio_err **err);
void archive_images_out_clear(archive_images_out *out);

#endif
