/* The layer stream: fd → libarchive "raw" reader with the gzip and zstd
 * filters (decompression, detected from the first bytes) → sha256 (the
 * DiffID) → libarchive tar reader → layer_writer. One thread, no seeks:
 * the tar reader pulls its input through a read callback that reads the
 * decompressed bytes from the first reader and hashes them on the way. */
#include "server/image/layer_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/image/digest.h"
#include "server/image/layer_write.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define STREAM_BUF (128 * 1024)

typedef struct layer_stream {
  int fd;
  struct archive *outer;  /* raw format + filters: decompressed bytes */
  struct archive *inner;  /* tar format, no filter */
  digester *diff;
  int read_errno;         /* read(2) on fd failed */
  bool outer_failed;      /* the decompressor failed; message in outer_msg */
  bool outer_empty;       /* no bytes at all (Go's tar, so Docker, takes it as empty) */
  char *outer_msg;
  char fd_buf[STREAM_BUF];
  char data_buf[STREAM_BUF];
} layer_stream;

static la_ssize_t fd_read_cb(struct archive *a, void *data, const void **buf)
{
  layer_stream *s = data;
  for (;;) {
    ssize_t n = read(s->fd, s->fd_buf, sizeof s->fd_buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      s->read_errno = errno;
      archive_set_error(a, errno, "read layer stream: %s", strerror(errno));
      return -1;
    }
    *buf = s->fd_buf;
    return n;
  }
}

/* The next decompressed bytes: 0 at the end, -1 on error (recorded). */
static la_ssize_t pull_decompressed(layer_stream *s)
{
  if (s->outer_empty)
    return 0;
  la_ssize_t n = archive_read_data(s->outer, s->data_buf, sizeof s->data_buf);
  if (n < 0) {
    s->outer_failed = true;
    if (!s->outer_msg) {
      const char *m = archive_error_string(s->outer);
      s->outer_msg = xstrdup(m ? m : "decompression failed");
    }
    return -1;
  }
  digester_update(s->diff, s->data_buf, (size_t) n);
  return n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **buf)
{
  layer_stream *s = data;
  la_ssize_t n = pull_decompressed(s);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", s->outer_msg);
    return -1;
  }
  *buf = s->data_buf;
  return n;
}

/* The error of a failed libarchive call on a, preferring the root cause
 * (a read error or the decompressor's) over the tar reader's view of it. */
static int stream_error(layer_stream *s, struct archive *a, const char *what, crio_err **err)
{
  if (s->read_errno)
    return crio_err_errno(err, CRIO_E_IO, s->read_errno, "%s: read layer stream", what);
  const char *m = s->outer_failed ? s->outer_msg : archive_error_string(a);
  return crio_err_set(err, CRIO_E_INVALID, "%s: %s", what, m ? m : "unknown error");
}

static int stream_open(layer_stream *s, crio_err **err)
{
  s->outer = archive_read_new();
  s->inner = archive_read_new();
  if (!s->outer || !s->inner)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive: out of memory");
  if (archive_read_support_filter_gzip(s->outer) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(s->outer) != ARCHIVE_OK ||
      archive_read_support_format_raw(s->outer) != ARCHIVE_OK ||
      archive_read_support_format_empty(s->outer) != ARCHIVE_OK ||
      archive_read_support_format_tar(s->inner) != ARCHIVE_OK ||
      archive_read_support_format_empty(s->inner) != ARCHIVE_OK)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive lacks gzip, zstd or tar support: %s",
                        archive_error_string(s->outer));
  if (archive_read_open(s->outer, s, NULL, fd_read_cb, NULL) != ARCHIVE_OK)
    return stream_error(s, s->outer, "open layer stream", err);
  struct archive_entry *raw_entry;
  int r = archive_read_next_header(s->outer, &raw_entry);
  if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
    return stream_error(s, s->outer, "open layer stream", err);
  s->outer_empty = r == ARCHIVE_EOF;
  if (archive_read_open(s->inner, s, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
    return stream_error(s, s->inner, "read layer tar", err);
  return 0;
}

/* Reads what follows the tar's end-of-archive marker, through the hash
 * (it is part of the uncompressed blob), then whatever the decompressor
 * left on fd, so that a writer feeding fd never blocks. */
static int stream_drain(layer_stream *s, crio_err **err)
{
  la_ssize_t n;
  while ((n = pull_decompressed(s)) > 0)
    ;
  if (n < 0)
    return stream_error(s, s->outer, "read layer stream after the tar end", err);
  for (;;) {
    ssize_t m = read(s->fd, s->fd_buf, sizeof s->fd_buf);
    if (m < 0 && errno == EINTR)
      continue;
    if (m < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "read layer stream");
    if (m == 0)
      return 0;
  }
}

static void stream_close(layer_stream *s)
{
  if (s->inner)
    archive_read_free(s->inner);
  if (s->outer)
    archive_read_free(s->outer);
  digester_free(s->diff);
  free(s->outer_msg);
  free(s);
}

/* err is never NULL here: a failed entry may be blamed on the stream. */
static int extract_entries(layer_stream *s, layer_writer *w, crio_err **err)
{
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(s->inner, &e);
    if (r == ARCHIVE_EOF)
      return 0;
    if (r < ARCHIVE_WARN || s->outer_failed || s->read_errno)
      return stream_error(s, s->inner, "read layer tar", err);
    if (r == ARCHIVE_WARN)
      log_warn("layer tar: %s", archive_error_string(s->inner));
    r = layer_writer_entry(w, s->inner, e, err);
    if (r < 0 && (s->outer_failed || s->read_errno)) {
      crio_err_free(*err);
      *err = NULL;
      return stream_error(s, s->inner, "read layer tar", err);
    }
    if (r < 0)
      return r;
  }
}

/* Reads the tar in the UTF-8 C locale, so that libarchive keeps the UTF-8
 * names of pax headers as they are whatever the daemon's locale. */
static int extract_stream(layer_stream *s, int rootfd, layer_stats *st, crio_err **err)
{
  int r = stream_open(s, err);
  if (r < 0)
    return r;
  layer_writer *w = layer_writer_new(rootfd, st);
  r = extract_entries(s, w, err);
  if (r == 0)
    r = layer_writer_finish(w, err);
  layer_writer_free(w);
  if (r == 0)
    r = stream_drain(s, err);
  return r;
}

int layer_extract_fd(int fd, const char *dest, layer_stats *st, crio_err **err)
{
  layer_stats local = { 0 };
  _cleanup_close_ int rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "extract layer: open %s", dest);
  layer_stream *s = xzalloc(sizeof *s);
  s->fd = fd;
  s->diff = digester_new();
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale(utf8) : (locale_t) 0;
  crio_err *e = NULL;
  int r = extract_stream(s, rootfd, &local, &e);
  if (utf8) {
    uselocale(old);
    freelocale(utf8);
  }
  if (r == 0)
    local.diff_id = digester_final(s->diff);
  stream_close(s);
  if (r < 0) {
    crio_err_wrap(&e, "extract layer into %s", dest);
    if (err && !*err)
      *err = e;
    else
      crio_err_free(e);
    return r;
  }
  if (st)
    *st = local;
  else
    free(local.diff_id);
  return 0;
}

int layer_extract_file(const char *path, const char *dest, layer_stats *st, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "extract layer: open %s", path);
  return layer_extract_fd(fd, dest, st, err);
}

void layer_stats_clear(layer_stats *st)
{
  if (!st)
    return;
  free(st->diff_id);
  memset(st, 0, sizeof *st);
}
