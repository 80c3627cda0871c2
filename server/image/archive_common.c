/* What both archive formats share: the tar writer, blob decompression and
 * sniffing, JSON output, and the result structs. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/image/archive_internal.h"
#include "server/image/digest.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define COPY_BUF (128 * 1024)
#define TAR_MAGIC_OFFSET 257
#define TAR_BLOCK 512

/* ------------------------------------------------------------ sniffing */

blob_kind blob_kind_sniff(const unsigned char *head, size_t len)
{
  static const unsigned char gzip[] = { 0x1f, 0x8b };
  static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
  if (len >= sizeof gzip && memcmp(head, gzip, sizeof gzip) == 0)
    return BLOB_GZIP;
  if (len >= sizeof zstd && memcmp(head, zstd, sizeof zstd) == 0)
    return BLOB_ZSTD;
  if (len >= TAR_MAGIC_OFFSET + 5 && memcmp(head + TAR_MAGIC_OFFSET, "ustar", 5) == 0)
    return BLOB_TAR;
  /* A layer without files is a bare end-of-archive marker: zero blocks. */
  if (len >= TAR_BLOCK) {
    size_t i = 0;
    while (i < TAR_BLOCK && head[i] == 0)
      i++;
    if (i == TAR_BLOCK)
      return BLOB_TAR;
  }
  return BLOB_OTHER;
}

const char *blob_kind_media_type(blob_kind kind)
{
  switch (kind) {
  case BLOB_TAR:
    return MT_OCI_LAYER;
  case BLOB_GZIP:
    return MT_OCI_LAYER_GZIP;
  case BLOB_ZSTD:
    return MT_OCI_LAYER_ZSTD;
  default:
    return NULL;
  }
}

blob_kind blob_kind_of_media_type(const char *mt)
{
  if (!mt)
    return BLOB_OTHER;
  if (strcmp(mt, MT_OCI_LAYER) == 0)
    return BLOB_TAR;
  if (strcmp(mt, MT_OCI_LAYER_GZIP) == 0 || strcmp(mt, MT_DOCKER_LAYER) == 0)
    return BLOB_GZIP;
  if (strcmp(mt, MT_OCI_LAYER_ZSTD) == 0)
    return BLOB_ZSTD;
  return BLOB_OTHER;
}

/* --------------------------------------------------------- decompression */

static int decompress_open(struct archive *a, const char *path, crio_err **err)
{
  if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_format_raw(a) != ARCHIVE_OK)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive lacks gzip or zstd support: %s",
                        archive_error_string(a));
  if (archive_read_open_filename(a, path, COPY_BUF) != ARCHIVE_OK)
    return crio_err_set(err, archive_errno(a) == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO,
                        "open blob %s: %s", path, archive_error_string(a));
  return 0;
}

static int decompress_copy(struct archive *a, const char *path, blob_sink sink, void *data,
                           digester *d, int64_t *total, crio_err **err)
{
  _cleanup_free_ char *buf = xmalloc(COPY_BUF);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
    if (n < 0)
      return crio_err_set(err, CRIO_E_INVALID, "decompress blob %s: %s", path,
                          archive_error_string(a));
    if (n == 0)
      return 0;
    digester_update(d, buf, (size_t) n);
    *total += n;
    if (sink) {
      int r = sink(data, buf, (size_t) n, err);
      if (r < 0)
        return r;
    }
  }
}

int blob_decompress(const char *path, blob_sink sink, void *data, char **diff_id,
                    int64_t *size, crio_err **err)
{
  struct archive *a = archive_read_new();
  if (!a)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive: out of memory");
  int r = decompress_open(a, path, err);
  struct archive_entry *e;
  int64_t total = 0;
  _cleanup_digester_ digester *d = digester_new();
  if (r == 0) {
    int h = archive_read_next_header(a, &e);
    if (h == ARCHIVE_OK)
      r = decompress_copy(a, path, sink, data, d, &total, err);
    else if (h != ARCHIVE_EOF)  /* an empty blob is empty content */
      r = crio_err_set(err, CRIO_E_INVALID, "decompress blob %s: %s", path,
                       archive_error_string(a));
  }
  archive_read_free(a);
  if (r < 0)
    return r;
  *diff_id = digester_final(d);
  if (size)
    *size = total;
  return 0;
}

/* ------------------------------------------------------------------ JSON */

static char *dump_or_abort(json_t *j, size_t flags)
{
  char *s = json_dumps(j, flags);
  if (!s)
    abort();  /* out of memory: never an error path (xalloc.h) */
  return s;
}

char *arc_json_canonical(json_t *j)
{
  return dump_or_abort(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

char *arc_json_compact(json_t *j)
{
  return dump_or_abort(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

json_t *arc_json_parse(const char *body, size_t len, const char *what, crio_err **err)
{
  json_error_t je;
  json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!j)
    crio_err_set(err, CRIO_E_INVALID, "%s is not valid JSON: %s (line %d)", what, je.text,
                 je.line);
  return j;
}

/* --------------------------------------------------------------- results */

archive_image_out *images_out_add(archive_images_out *out)
{
  out->items = xrealloc(out->items, (out->n + 1) * sizeof *out->items);
  archive_image_out *img = &out->items[out->n++];
  memset(img, 0, sizeof *img);
  return img;
}

void str_list_add(char ***list, size_t *n, const char *s)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i], s) == 0)
      return;
  *list = xrealloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = xstrdup(s);
}

void archive_image_out_clear(archive_image_out *img)
{
  free(img->config);
  free(img->config_digest);
  free(img->manifest);
  free(img->manifest_digest);
  free(img->manifest_media_type);
  for (size_t i = 0; i < img->n_layers; i++) {
    archive_layer_out *l = &img->layers[i];
    free(l->path);
    free(l->digest);
    free(l->media_type);
    free(l->diff_id);
  }
  free(img->layers);
  for (size_t i = 0; i < img->n_repo_tags; i++)
    free(img->repo_tags[i]);
  free(img->repo_tags);
  memset(img, 0, sizeof *img);
}

void archive_images_out_clear(archive_images_out *out)
{
  for (size_t i = 0; i < out->n; i++)
    archive_image_out_clear(&out->items[i]);
  free(out->items);
  out->items = NULL;
  out->n = 0;
}

/* ------------------------------------------------------------ tar writer */

struct tarw {
  struct archive *a;
  int fd;
  bool abandoned;  /* from now on the output is dropped */
};

static int write_error(tarw *w, const char *what, const char *name, crio_err **err)
{
  int e = archive_errno(w->a);
  const char *m = archive_error_string(w->a);
  if (e > 0)
    return crio_err_errno(err, CRIO_E_IO, e, "write archive: %s %s", what, name);
  return crio_err_set(err, CRIO_E_IO, "write archive: %s %s: %s", what, name,
                      m ? m : "unknown error");
}

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t len)
{
  tarw *w = data;
  const char *p = buf;
  size_t left = len;
  while (!w->abandoned && left > 0) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      archive_set_error(a, errno, "%s", strerror(errno));
      return -1;
    }
    p += n;
    left -= (size_t) n;
  }
  return (la_ssize_t) len;
}

static void tarw_free(tarw *w)
{
  archive_write_free(w->a);
  free(w);
}

int tarw_open(int fd, tarw **out, crio_err **err)
{
  tarw *w = xzalloc(sizeof *w);
  w->fd = fd;
  w->a = archive_write_new();
  if (!w->a) {
    free(w);
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive: out of memory");
  }
  /* no padding of the last block: the stream ends after the end marker */
  if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
      archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
      archive_write_open2(w->a, w, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
    int r = write_error(w, "open", "writer", err);
    tarw_free(w);
    return r;
  }
  *out = w;
  return 0;
}

/* Fixed metadata, so the same image always gives the same bytes. */
static int put_header(tarw *w, const char *name, mode_t type, mode_t perm, int64_t size,
                      const char *symlink, crio_err **err)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, perm);
  archive_entry_set_size(e, size);
  archive_entry_set_mtime(e, 0, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  if (symlink)
    archive_entry_set_symlink(e, symlink);
  int r = archive_write_header(w->a, e);
  archive_entry_free(e);
  if (r < ARCHIVE_WARN)
    return write_error(w, "header of", name, err);
  return 0;
}

int tarw_dir(tarw *w, const char *name, crio_err **err)
{
  return put_header(w, name, AE_IFDIR, 0755, 0, NULL, err);
}

int tarw_symlink(tarw *w, const char *name, const char *target, crio_err **err)
{
  return put_header(w, name, AE_IFLNK, 0777, 0, target, err);
}

int tarw_header(tarw *w, const char *name, int64_t size, crio_err **err)
{
  return put_header(w, name, AE_IFREG, 0644, size, NULL, err);
}

int tarw_data(void *data, const void *buf, size_t len, crio_err **err)
{
  tarw *w = data;
  const char *p = buf;
  while (len > 0) {
    la_ssize_t n = archive_write_data(w->a, p, len);
    if (n < 0)
      return write_error(w, "data", "", err);
    if (n == 0)
      return crio_err_set(err, CRIO_E_INTERNAL, "write archive: more data than the entry's size");
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

int tarw_bytes(tarw *w, const char *name, const void *data, size_t len, crio_err **err)
{
  int r = tarw_header(w, name, (int64_t) len, err);
  return r < 0 ? r : tarw_data(w, data, len, err);
}

static int copy_verified(tarw *w, int fd, const char *src, int64_t size, const char *digest,
                         crio_err **err)
{
  _cleanup_free_ char *buf = xmalloc(COPY_BUF);
  _cleanup_digester_ digester *d = digester_new();
  int64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, COPY_BUF);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "read %s", src);
    if (n == 0 || total + n > size)
      break;
    digester_update(d, buf, (size_t) n);
    total += n;
    int r = tarw_data(w, buf, (size_t) n, err);
    if (r < 0)
      return r;
  }
  if (total != size)
    return crio_err_set(err, CRIO_E_IO, "blob %s changed size while being written", src);
  _cleanup_free_ char *got = digester_final(d);
  if (digest && strcmp(got, digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "blob %s does not match its digest %s (content is %s)",
                        src, digest, got);
  return 0;
}

int tarw_file(tarw *w, const char *name, const char *src, int64_t size, const char *digest,
              crio_err **err)
{
  _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "open blob %s", src);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "stat blob %s", src);
  if (size >= 0 && st.st_size != size)
    return crio_err_set(err, CRIO_E_INVALID, "blob %s is %lld bytes, its descriptor says %lld",
                        src, (long long) st.st_size, (long long) size);
  int r = tarw_header(w, name, st.st_size, err);
  return r < 0 ? r : copy_verified(w, fd, src, st.st_size, digest, err);
}

int tarw_close(tarw *w, crio_err **err)
{
  int r = 0;
  if (archive_write_close(w->a) != ARCHIVE_OK)
    r = write_error(w, "end of", "archive", err);
  tarw_free(w);
  return r;
}

void tarw_abort(tarw *w)
{
  w->abandoned = true;
  archive_write_close(w->a);  /* frees libarchive's buffers; writes nothing now */
  tarw_free(w);
}
