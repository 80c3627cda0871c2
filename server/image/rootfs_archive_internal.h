/* What the two halves of rootfs_archive (writing tar streams in
 * rootfs_archive.c, reading them in rootfs_copy_in.c) share. */
#ifndef CRIO_IMAGE_ROOTFS_ARCHIVE_INTERNAL_H
#define CRIO_IMAGE_ROOTFS_ARCHIVE_INTERNAL_H

#include <locale.h>
#include <stdint.h>

/* openat2 with flags | O_CLOEXEC and the given resolve flags, retried on
 * EAGAIN (a concurrent rename); "" opens dirfd itself. */
int rootfs__openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve);

/* Names of the tar are kept as UTF-8 whatever the daemon's locale. */
typedef struct utf8_scope {
  locale_t utf8, old;
} utf8_scope;

void rootfs__utf8_enter(utf8_scope *s);
void rootfs__utf8_leave(utf8_scope *s);

#endif
