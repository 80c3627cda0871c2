/* overlayfs mounts: a container's rootfs is the image's layers (read-only
 * lower directories) under the container's own upper and work directories. */
#ifndef CRIO_IMAGE_OVERLAY_H
#define CRIO_IMAGE_OVERLAY_H

#include <stddef.h>

#include "util/err.h"

/* lower: the layers' diff directories, TOP FIRST (overlayfs order). With
 * upper == NULL the mount is read-only and needs at least two lowers, or one
 * lower is bind-mounted read-only. */
int overlay_mount(char *const *lower, size_t n_lower, const char *upper, const char *work,
                  const char *target, crio_err **err);
/* Unmounts target; not being mounted is not an error. */
int overlay_unmount(const char *target, crio_err **err);
/* Whether path is a mount point (its device differs from its parent's, or it
 * is listed in /proc/self/mountinfo). */
int overlay_is_mounted(const char *path);

#endif
