/* What a container changed in its rootfs, as `podman diff` reports it: the
 * container's overlay upper directory compared with the image's layers.
 *
 * - A whiteout in upper (a character device 0:0) is "D path".
 * - Any other upper entry is "C path" when the image has that path: the
 *   lower layers are searched top-down, and a whiteout, an opaque directory
 *   or a non-directory in a higher layer hides what lower layers hold below
 *   it. Otherwise it is "A path".
 * - A directory that is in upper only because something below it changed
 *   (overlayfs copied it up with the image's mode, owner and mtime) is not a
 *   change itself. Like podman, a directory holding an added or deleted
 *   entry is reported "C" all the same, so "A /etc/new" comes with "C /etc";
 *   a directory whose only change is a modified file is not.
 * - An opaque directory in upper (the container removed the directory and
 *   made it again) gets "D" for each of the image's entries directly in it
 *   that upper does not hold again (podman reports "D dir" instead; its
 *   entries are what a user asks about). Deleted directories are one "D",
 *   their contents are not listed.
 * - The paths podman hides because the runtime creates them at start
 *   (/dev, /dev/shm, /etc/hostname, /etc/hosts, /etc/mtab, /etc/resolv.conf,
 *   /proc, /run, /run/.containerenv, /run/notify, /run/secrets, /sys) are left
 *   out; what lies below them is not.
 *
 * Directories are compared by type, permission bits, owner and mtime, not
 * by size (a copied-up directory's size is the upper file system's). No
 * symlink is followed, in upper or in the layers. The list is sorted by
 * path, a directory directly before what it holds ("/a", "/a/b", "/a-b"). */
#ifndef CRIO_IMAGE_ROOTFS_DIFF_H
#define CRIO_IMAGE_ROOTFS_DIFF_H

#include <stddef.h>

#include "util/err.h"

typedef struct rootfs_change {
  char kind;   /* 'A' added, 'C' changed, 'D' deleted */
  char *path;  /* absolute in the container: "/etc/motd" */
} rootfs_change;

/* upper: the container's upper directory; lower: the image's diff
 * directories, TOP FIRST. *out (free with rootfs_changes_free) gets *n
 * changes; an unchanged rootfs gives *out NULL and *n 0. A missing upper is
 * CRIO_E_NOT_FOUND; a missing lower CRIO_E_IO. Entries that vanish while the
 * container runs are skipped. */
int rootfs_diff(const char *upper, char *const *lower, size_t n_lower, rootfs_change **out,
                size_t *n, crio_err **err);
void rootfs_changes_free(rootfs_change *changes, size_t n);

#endif
