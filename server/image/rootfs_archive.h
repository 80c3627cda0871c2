/* A container's files as tar streams: `podman export`, `podman cp CTR:PATH -`
 * and `podman cp - CTR:DIR`. root is the container's rootfs as the host sees
 * it (the merged overlay mount); paths in the container are resolved inside
 * root, so a symlink in the container never leads to a host file.
 *
 * Written tars are pax (restricted: plain ustar headers unless a name, a
 * size or an xattr needs pax records), written sequentially to fd (a pipe
 * or a socket to an HTTP client is fine): numeric owners, modes (setuid,
 * setgid, sticky), mtimes, symlinks (the target as stored), hardlinks (a
 * second path of an inode already written), character and block devices,
 * FIFOs, and the security.capability and user.* xattrs of files and
 * directories. Sockets are skipped. No symlink is followed while walking;
 * the walk does not descend into another file system mounted below root.
 * Entries that vanish while the container runs are skipped. A reader that
 * goes away (EPIPE, never SIGPIPE) fails the call with CRIO_E_IO
 * "... the client went away". fd is never closed. */
#ifndef CRIO_IMAGE_ROOTFS_ARCHIVE_H
#define CRIO_IMAGE_ROOTFS_ARCHIVE_H

#include "util/err.h"

/* The whole tree below root, names relative without "./" and without an
 * entry for root itself: "bin", "etc/hostname". */
int rootfs_export(const char *root, int fd, crio_err **err);

/* One file or directory of the container (symlinks in path_in_container,
 * the last one too, resolved inside root), its entries named from the
 * basename of path_in_container: "/etc/hosts" gives "hosts", "/etc" gives
 * "etc", "etc/ssl/...". A path ending in "/." (or "/") gives the contents of
 * the directory without an entry for it, as podman cp does. Missing →
 * CRIO_E_NOT_FOUND "no such file or directory in the container: PATH". */
int rootfs_copy_out(const char *root, const char *path_in_container, int fd, crio_err **err);

/* Extracts the tar stream read from fd (plain, gzip, bzip2, xz or zstd)
 * into dest_dir_in_container (resolved inside root; missing →
 * CRIO_E_NOT_FOUND, not a directory → CRIO_E_INVALID), keeping numeric
 * owners, modes and mtimes (the process must be root). Existing files are
 * replaced, existing directories kept (their owner, mode and mtime set from
 * the entry); missing parent directories are made 0755. An entry for "."
 * (the destination itself) and sockets are skipped; xattrs are not applied.
 *
 * Nothing is written outside the destination: an entry whose path or
 * hardlink target has a ".." component, or whose directory is reached
 * through a symlink that is absolute or climbs out of the destination
 * (symlinks staying below it, such as lib -> usr/lib, are followed), fails
 * with CRIO_E_INVALID naming the entry. Leading "/" are dropped. The stream
 * is not staged: entries before a bad one stay written. */
int rootfs_copy_in(const char *root, const char *dest_dir_in_container, int fd, crio_err **err);

#endif
