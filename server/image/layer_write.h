/* Internal to layer extraction: writes tar entries, one at a time, beneath
 * a root directory descriptor, never outside it (see layer_extract.h for the
 * rules). layer_extract.c drives it; tests use layer_path_normalize. */
#ifndef CRIO_IMAGE_LAYER_WRITE_H
#define CRIO_IMAGE_LAYER_WRITE_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "server/image/layer_extract.h"
#include "util/err.h"

typedef struct layer_writer layer_writer;

/* rootfd stays owned by the caller and must outlive the writer; st gets the
 * entry, byte and skipped-xattr counts. */
layer_writer *layer_writer_new(int rootfd, layer_stats *st);
/* Writes the entry e just read from a (its data is read from a). */
int layer_writer_entry(layer_writer *w, struct archive *a, struct archive_entry *e, crio_err **err);
/* Applies what has to wait for the last entry: directory times. */
int layer_writer_finish(layer_writer *w, crio_err **err);
void layer_writer_free(layer_writer *w);

/* raw (an entry path or hardlink target of the entry named entry; label
 * says which in errors) without leading "/", "./", empty and "." components:
 * "a/b", or "" for the root. A ".." component anywhere is refused. */
int layer_path_normalize(const char *entry, const char *label, const char *raw, char **out,
                         crio_err **err);

/* Internal to layer_write.c and layer_meta.c: one entry being written. */
typedef struct layer_entry_ctx {
  layer_stats *st;
  struct archive_entry *e;
  const char *raw;   /* the path as in the tar, for messages */
  int pfd;           /* its parent directory (borrowed) */
  const char *base;  /* its name in pfd; NULL for the root */
} layer_entry_ctx;

/* Owner, mode (not for symlinks), xattrs and, when times, atime/mtime of
 * the entry: through fd when it is >= 0, else on pfd/base without following. */
int layer_apply_meta(layer_entry_ctx *c, int fd, bool times, crio_err **err);
/* The entry's atime and mtime (UTIME_OMIT when the tar has none). */
void layer_entry_times(struct archive_entry *e, struct timespec ts[2]);
/* trusted.overlay.opaque=y on the directory fd; path names it in errors. */
int layer_set_opaque(int dirfd, const char *entry, const char *path, crio_err **err);
bool layer_is_whiteout(const struct stat *st);

#endif
