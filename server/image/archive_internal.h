/* Internals of the image archive code (image_archive.h), shared by its files:
 *   image_archive.c   format names; reading: the outer tar copied into
 *                     workdir, the table of its entries, format detection
 *   archive_common.c  tar writing, blob decompression and sniffing, JSON
 *   archive_docker.c  docker-archive writer and reader
 *   archive_oci.c     oci-archive writer and reader
 * Not for use outside these files. */
#ifndef CRIO_IMAGE_ARCHIVE_INTERNAL_H
#define CRIO_IMAGE_ARCHIVE_INTERNAL_H

#include <archive.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/image/image_archive.h"

static inline void arc_json_decref(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_arc_json_ __attribute__((cleanup(arc_json_decref)))

/* ------------------------------------------------------------- reading */

typedef enum { BLOB_OTHER, BLOB_TAR, BLOB_GZIP, BLOB_ZSTD } blob_kind;

/* One entry of the archive being read. */
typedef struct arc_file {
  char *name;     /* cleaned path inside the archive: "a/b.tar" */
  char *link;     /* symlink or hardlink: the cleaned target; NULL for a file */
  char *path;     /* regular file: its copy in workdir */
  char *digest;   /* regular file: its sha256 */
  char *diff_id;  /* memo of blob_decompress(): sha256 of the content decompressed */
  int64_t size;
  blob_kind kind; /* from the first bytes */
  size_t seq;     /* position in the archive; the last of a name wins */
} arc_file;

typedef struct arc_files {
  const char *archive;  /* the archive's path, for messages */
  arc_file *items;      /* sorted by name once the archive is read */
  size_t n, cap;
} arc_files;

/* "./a//b/" → "a/b" ("" for the root); NULL when name is absolute or has a
 * ".." component. */
char *arc_path_clean(const char *name);
/* The regular file name designates, symlinks and hardlinks followed inside
 * the archive. what says what it is for messages ("config of image X"). */
arc_file *arc_files_find(arc_files *f, const char *name, const char *what, crio_err **err);
/* The content of a JSON file (NUL-terminated), refused over IMAGE_ARCHIVE_JSON_MAX. */
int arc_file_read(const arc_files *f, const arc_file *af, const char *what, char **out,
                  size_t *len, crio_err **err);

blob_kind blob_kind_sniff(const unsigned char *head, size_t len);
/* The OCI layer media type of a kind; NULL for BLOB_OTHER. */
const char *blob_kind_media_type(blob_kind kind);
/* The kind a layer media type declares; BLOB_OTHER when unknown. */
blob_kind blob_kind_of_media_type(const char *media_type);

/* Reads the blob at path through gzip/zstd decompression (plain data passes
 * as it is), hands every decompressed chunk to sink (may be NULL) and
 * returns the sha256 and size of the decompressed stream. */
typedef int (*blob_sink)(void *data, const void *buf, size_t len, crio_err **err);
int blob_decompress(const char *path, blob_sink sink, void *data, char **diff_id,
                    int64_t *size, crio_err **err);

/* JSON with sorted keys and no spaces (caller frees). */
char *arc_json_canonical(json_t *j);
/* JSON without spaces, keys in insertion order (caller frees). */
char *arc_json_compact(json_t *j);
/* A JSON value from bytes; what names it in the error. */
json_t *arc_json_parse(const char *body, size_t len, const char *what, crio_err **err);

archive_image_out *images_out_add(archive_images_out *out);
void archive_image_out_clear(archive_image_out *img);
void str_list_add(char ***list, size_t *n, const char *s);

int docker_archive_read(arc_files *f, archive_images_out *out, crio_err **err);
int oci_archive_read(arc_files *f, archive_images_out *out, crio_err **err);

/* ------------------------------------------------------------- writing */

/* A tar writer on a descriptor: pax-restricted (plain ustar where it can),
 * sequential writes only. */
typedef struct tarw tarw;
int tarw_open(int fd, tarw **out, crio_err **err);
int tarw_dir(tarw *w, const char *name, crio_err **err);
int tarw_bytes(tarw *w, const char *name, const void *data, size_t len, crio_err **err);
int tarw_symlink(tarw *w, const char *name, const char *target, crio_err **err);
/* A regular file header; then exactly size bytes of tarw_data() (a blob_sink
 * whose data is the tarw). */
int tarw_header(tarw *w, const char *name, int64_t size, crio_err **err);
int tarw_data(void *w, const void *buf, size_t len, crio_err **err);
/* The file src as name, checked to be size bytes (size < 0: any) with the
 * given digest (NULL: any). */
int tarw_file(tarw *w, const char *name, const char *src, int64_t size, const char *digest,
              crio_err **err);
/* Writes the end of the archive and frees w. */
int tarw_close(tarw *w, crio_err **err);
/* Frees w without writing anything more, the end of the archive included,
 * so a reader sees the tar truncated. */
void tarw_abort(tarw *w);

int docker_archive_write(tarw *a, const archive_image_in *img, crio_err **err);
int oci_archive_write(tarw *a, const archive_image_in *img, crio_err **err);

#endif
