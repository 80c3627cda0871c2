/* Extraction of one image layer (a tar stream, gzip, zstd or uncompressed,
 * detected from its first bytes) into an overlayfs "diff" directory.
 *
 * The stream is read sequentially (a pipe fed by a downloader is fine) and
 * consumed to its end, trailing bytes included. While extracting, the
 * sha256 of the uncompressed tar stream (the layer's DiffID) is computed.
 *
 * What lands in dest:
 * - files, directories, symlinks (targets stored as they are, never
 *   followed), hardlinks within the layer, character and block devices and
 *   FIFOs, with numeric owners, modes (setuid, setgid, sticky included),
 *   mtimes and extended attributes. The process must be root (CAP_CHOWN,
 *   CAP_MKNOD, CAP_SYS_ADMIN for trusted.* xattrs).
 * - OCI whiteouts turned into overlayfs ones: "dir/.wh.NAME" becomes the
 *   character device 0:0 "dir/NAME"; "dir/.wh..wh..opq" sets
 *   trusted.overlay.opaque=y on dir. Whiteouts only hide lower layers: when
 *   NAME was written by this layer it stays (a directory becomes opaque).
 *   Other ".wh..wh.*" names (aufs metadata) are ignored.
 * - security.* xattrs the file system refuses (EPERM, ENOTSUP) and user.*
 *   ones on symlinks and devices are skipped with a warning and counted;
 *   trusted.overlay.* xattrs from the tar are always skipped (a layer must
 *   not steer overlayfs); other failures fail the layer.
 *
 * Nothing is ever written outside dest: an entry whose path or hardlink
 * target has a ".." component, or whose parent is a symlink (or anything but
 * a directory) fails the whole layer with CRIO_E_INVALID naming the entry.
 * Every write is an *at() call relative to a directory descriptor reached
 * from dest with O_NOFOLLOW at each step.
 *
 * On failure dest holds a partial layer: the caller removes it (rm_rf_at) and
 * the stream is left unread; close it (a writer then gets EPIPE). Nothing is
 * fsync'ed: syncfs() dest before publishing it. */
#ifndef CRIO_IMAGE_LAYER_EXTRACT_H
#define CRIO_IMAGE_LAYER_EXTRACT_H

#include <stdint.h>

#include "util/err.h"

typedef struct layer_stats {
  uint64_t entries;         /* tar entries read, whiteouts included */
  uint64_t bytes;           /* sum of regular file sizes: the layer's size */
  uint64_t xattrs_skipped;  /* xattrs not applied (see above) */
  char *diff_id;            /* "sha256:<hex>" of the uncompressed tar stream */
} layer_stats;

/* Frees diff_id and zeroes st. */
void layer_stats_clear(layer_stats *st);

/* Extracts the layer read from fd into the existing empty directory dest.
 * st (optional) is filled on success. fd is not closed. */
int layer_extract_fd(int fd, const char *dest, layer_stats *st, crio_err **err);
/* The same, reading the layer from the file at path. */
int layer_extract_file(const char *path, const char *dest, layer_stats *st, crio_err **err);

#endif
