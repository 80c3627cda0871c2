/* The overlay layer store on disk, under ROOT/overlay:
 *
 *   layers/<chain-id hex>/diff   a layer's files (an overlayfs lower directory)
 *   layers/<chain-id hex>/blob   the compressed blob as the registry served it
 *   staging/<random>/            a layer being extracted; renamed into layers/
 *                                when complete and verified, removed otherwise
 *   containers/<id>/{upper,work,merged}   a container's rootfs
 *
 * The store (SQLite) says which layers exist; a directory under layers/ that
 * it does not know is debris of a crash and is removed at start. */
#ifndef CRIO_IMAGE_LAYER_STORE_H
#define CRIO_IMAGE_LAYER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

char *layer_dir(const char *overlay_root, const char *chain_hex);
char *layer_diff_dir(const char *overlay_root, const char *chain_hex);
char *layer_blob_path(const char *overlay_root, const char *chain_hex);
bool layer_exists(const char *overlay_root, const char *chain_hex);

/* Creates the directories and removes whatever staging/ holds. */
int layer_store_init(const char *overlay_root, crio_err **err);
/* Removes layer directories for which known(hex, data) is false. */
int layer_store_remove_unknown(const char *overlay_root, bool (*known)(const char *hex, void *data),
                               void *data, crio_err **err);

/* A new staging directory with an empty diff/ inside. */
int layer_staging_new(const char *overlay_root, char **out, crio_err **err);
/* Moves a complete staging directory to layers/<hex>, after syncing it to
 * disk. If the layer exists already (another pull), the staging directory
 * is removed and *existed set. */
int layer_staging_commit(const char *overlay_root, const char *staging, const char *chain_hex,
                         bool *existed, crio_err **err);
int layer_remove(const char *overlay_root, const char *chain_hex, crio_err **err);

/* A container's rootfs: mkdir upper, work and merged under containers/<id>
 * and mount the overlay of lower (diff dirs, top first). *merged_out gets
 * the mount point. */
int rootfs_create(const char *overlay_root, const char *ctr_id, char *const *lower,
                  size_t n_lower, char **merged_out, crio_err **err);
int rootfs_mount(const char *overlay_root, const char *ctr_id, char *const *lower,
                 size_t n_lower, char **merged_out, crio_err **err);
int rootfs_unmount(const char *overlay_root, const char *ctr_id, crio_err **err);
/* Unmounts and deletes the container's directories. */
int rootfs_remove(const char *overlay_root, const char *ctr_id, crio_err **err);
char *rootfs_upper_dir(const char *overlay_root, const char *ctr_id);
char *rootfs_merged_dir(const char *overlay_root, const char *ctr_id);

#endif
