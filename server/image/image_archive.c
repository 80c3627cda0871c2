/* Image archives: format names, and reading an archive: every regular file
 * of the (possibly compressed) tar is copied into workdir under the hex of
 * its sha256, its first bytes sniffed; names, symlinks and hardlinks stay
 * in a table (arc_files) that is looked up lexically, so no entry name ever
 * becomes a path. Then the format readers (archive_docker.c,
 * archive_oci.c) work from the table. */
#include "server/image/image_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/image/archive_internal.h"
#include "server/image/digest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ARC_MAX_ENTRIES (256 * 1024)
#define ARC_MAX_LINK_HOPS 16
#define COPY_BUF (128 * 1024)
#define SNIFF_LEN 512
#define INCOMING ".incoming"

int image_archive_format_parse(const char *s, image_archive_format *out, crio_err **err)
{
  if (s && strcmp(s, "docker-archive") == 0)
    *out = IMAGE_ARCHIVE_DOCKER;
  else if (s && strcmp(s, "oci-archive") == 0)
    *out = IMAGE_ARCHIVE_OCI;
  else
    return crio_err_set(err, CRIO_E_INVALID,
                        "unknown archive format \"%s\" (known: docker-archive, oci-archive)",
                        s ? s : "");
  return 0;
}

const char *image_archive_format_name(image_archive_format fmt)
{
  return fmt == IMAGE_ARCHIVE_OCI ? "oci-archive" : "docker-archive";
}

/* What each format needs is there, before anything is written. */
static int check_input(image_archive_format fmt, const archive_image_in *img, crio_err **err)
{
  if (!img->config || !img->config_digest)
    return crio_err_set(err, CRIO_E_INVALID, "write %s: the image's config is missing",
                        image_archive_format_name(fmt));
  if (fmt == IMAGE_ARCHIVE_OCI && (!img->manifest || !img->manifest_digest))
    return crio_err_set(err, CRIO_E_INVALID, "write oci-archive: the image's manifest is missing");
  for (size_t i = 0; i < img->n_layers; i++) {
    const archive_layer *l = &img->layers[i];
    if (!l->blob_path || !l->diff_id || (fmt == IMAGE_ARCHIVE_OCI && !l->digest))
      return crio_err_set(err, CRIO_E_INVALID, "write %s: layer %zu lacks its blob or digests",
                          image_archive_format_name(fmt), i + 1);
  }
  for (size_t i = 0; i < img->n_repo_tags; i++)
    if (!img->repo_tags[i] || !img->repo_tags[i][0])
      return crio_err_set(err, CRIO_E_INVALID, "write %s: repo tag %zu is empty",
                          image_archive_format_name(fmt), i + 1);
  return 0;
}

int image_archive_write(int fd, image_archive_format fmt, const archive_image_in *img,
                        crio_err **err)
{
  int r = check_input(fmt, img, err);
  if (r < 0)
    return r;
  tarw *w = NULL;
  r = tarw_open(fd, &w, err);
  if (r < 0)
    return r;
  r = fmt == IMAGE_ARCHIVE_OCI ? oci_archive_write(w, img, err)
                               : docker_archive_write(w, img, err);
  if (r < 0)
    tarw_abort(w);
  else
    r = tarw_close(w, err);
  if (r < 0)
    crio_err_wrap(err, "write %s of image %s", image_archive_format_name(fmt),
                  img->n_repo_tags ? img->repo_tags[0] : img->config_digest);
  return r;
}

/* ----------------------------------------------------------------- paths */

/* Appends name's components to b ("." skipped); "..": pops one when
 * allow_up, fails otherwise and when nothing is left to pop. */
static int path_push(strbuf *b, const char *name, bool allow_up)
{
  const char *p = name;
  while (*p) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (!allow_up || b->len == 0)
        return -1;
      char *slash = strrchr(b->data, '/');
      b->len = slash ? (size_t) (slash - b->data) : 0;
      b->data[b->len] = '\0';
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (b->len)
        strbuf_putc(b, '/');
      strbuf_append(b, p, n);
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return 0;
}

char *arc_path_clean(const char *name)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  if (!name || name[0] == '/' || path_push(&b, name, false) < 0)
    return NULL;
  return strbuf_steal(&b);
}

/* A symlink's target, relative to the archive's root; NULL when it is
 * absolute or climbs out of the archive. */
static char *symlink_resolve(const char *entry, const char *target)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  if (!target || target[0] == '/' || target[0] == '\0')
    return NULL;
  const char *slash = strrchr(entry, '/');
  if (slash)
    strbuf_append(&b, entry, (size_t) (slash - entry));
  if (path_push(&b, target, true) < 0)
    return NULL;
  return strbuf_steal(&b);
}

/* ----------------------------------------------------------------- table */

static int file_cmp(const void *a, const void *b)
{
  const arc_file *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(((const arc_file *) a)->name, ((const arc_file *) b)->name);
}

static void arc_file_clear(arc_file *af)
{
  free(af->name);
  free(af->link);
  free(af->path);
  free(af->digest);
  free(af->diff_id);
}

static void arc_files_clear(arc_files *f)
{
  for (size_t i = 0; i < f->n; i++)
    arc_file_clear(&f->items[i]);
  free(f->items);
  f->items = NULL;
  f->n = f->cap = 0;
}

/* Sorted by name; of entries of the same name only the last stays, as a
 * tar extraction would leave it. */
static void arc_files_index(arc_files *f)
{
  qsort(f->items, f->n, sizeof *f->items, file_cmp);
  size_t kept = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (i + 1 < f->n && strcmp(f->items[i].name, f->items[i + 1].name) == 0)
      arc_file_clear(&f->items[i]);
    else
      f->items[kept++] = f->items[i];
  }
  f->n = kept;
}

arc_file *arc_files_find(arc_files *f, const char *name, const char *what, crio_err **err)
{
  _cleanup_free_ char *cur = arc_path_clean(name);
  if (!cur || !*cur) {
    crio_err_set(err, CRIO_E_INVALID, "%s in %s: path \"%s\" is not inside the archive", what,
                 f->archive, name ? name : "");
    return NULL;
  }
  for (int hops = 0; hops < ARC_MAX_LINK_HOPS; hops++) {
    arc_file key = { .name = cur };
    arc_file *af = bsearch(&key, f->items, f->n, sizeof *f->items, name_cmp);
    if (!af) {
      crio_err_set(err, CRIO_E_INVALID, "%s in %s: the archive has no file \"%s\"", what,
                   f->archive, cur);
      return NULL;
    }
    if (!af->link)
      return af;
    free(cur);
    cur = xstrdup(af->link);
  }
  crio_err_set(err, CRIO_E_INVALID, "%s in %s: too many levels of links at \"%s\"", what,
               f->archive, name);
  return NULL;
}

int arc_file_read(const arc_files *f, const arc_file *af, const char *what, char **out,
                  size_t *len, crio_err **err)
{
  if (af->size > IMAGE_ARCHIVE_JSON_MAX)
    return crio_err_set(err, CRIO_E_TOO_LARGE,
                        "%s in %s (%s) is %lld bytes, more than the %d allowed", what,
                        f->archive, af->name, (long long) af->size, IMAGE_ARCHIVE_JSON_MAX);
  return read_file(af->path, out, len, err);
}

/* ------------------------------------------------------------ extraction */

typedef struct arc_reader {
  struct archive *a;
  int dirfd;
  const char *workdir;
  arc_files *f;
  digester *d;
  char *buf;
} arc_reader;

static int write_all(int fd, const char *p, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

/* Copies the entry's data to workdir/INCOMING, hashing and sniffing it. */
static int copy_entry(arc_reader *rd, int fd, arc_file *af, crio_err **err)
{
  unsigned char head[SNIFF_LEN];
  size_t head_len = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(rd->a, rd->buf, COPY_BUF);
    if (n < 0)
      return crio_err_set(err, CRIO_E_INVALID, "read %s: entry %s: %s", rd->f->archive,
                          af->name, archive_error_string(rd->a));
    if (n == 0)
      break;
    if (head_len < SNIFF_LEN) {
      size_t take = (size_t) n < SNIFF_LEN - head_len ? (size_t) n : SNIFF_LEN - head_len;
      memcpy(head + head_len, rd->buf, take);
      head_len += take;
    }
    digester_update(rd->d, rd->buf, (size_t) n);
    af->size += n;
    if (write_all(fd, rd->buf, (size_t) n) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "write %s/%s", rd->workdir, INCOMING);
  }
  af->kind = blob_kind_sniff(head, head_len);
  return 0;
}

/* The entry's data lands in workdir/<sha256 hex>. */
static int extract_file(arc_reader *rd, arc_file *af, crio_err **err)
{
  unlinkat(rd->dirfd, INCOMING, 0);
  _cleanup_close_ int fd = openat(rd->dirfd, INCOMING,
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s/%s", rd->workdir, INCOMING);
  int r = copy_entry(rd, fd, af, err);
  if (r < 0)
    return r;
  if (close(steal_fd(&fd)) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "write %s/%s", rd->workdir, INCOMING);
  af->digest = digester_final(rd->d);
  const char *hex = af->digest + strlen(DIGEST_SHA256_PREFIX);
  if (renameat(rd->dirfd, INCOMING, rd->dirfd, hex) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "rename %s/%s to %s", rd->workdir, INCOMING,
                          hex);
  af->path = path_join(rd->workdir, hex);
  return 0;
}

static arc_file *table_push(arc_files *f, char *name)
{
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    f->items = xrealloc(f->items, f->cap * sizeof *f->items);
  }
  arc_file *af = &f->items[f->n];
  memset(af, 0, sizeof *af);
  af->name = name;
  af->seq = f->n++;
  return af;
}

/* Records one entry; directories, devices and FIFOs are of no use and
 * skipped. name (cleaned) is taken over. */
static int add_entry(arc_reader *rd, struct archive_entry *e, char *name, crio_err **err)
{
  const char *hardlink = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  if ((!hardlink && type != AE_IFREG && type != AE_IFLNK) || !*name) {
    free(name);
    return 0;
  }
  arc_file *af = table_push(rd->f, name);
  if (hardlink) {
    af->link = arc_path_clean(hardlink);
    if (!af->link)
      return crio_err_set(err, CRIO_E_INVALID,
                          "%s: entry \"%s\" is a hardlink to \"%s\", outside the archive; refused",
                          rd->f->archive, name, hardlink);
    return 0;
  }
  if (type == AE_IFLNK) {
    const char *target = archive_entry_symlink(e);
    af->link = symlink_resolve(name, target);
    if (!af->link)
      return crio_err_set(err, CRIO_E_INVALID,
                          "%s: entry \"%s\" is a symlink to \"%s\", outside the archive; refused",
                          rd->f->archive, name, target ? target : "");
    return 0;
  }
  return extract_file(rd, af, err);
}

static int extract_entries(arc_reader *rd, crio_err **err)
{
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(rd->a, &e);
    if (r == ARCHIVE_EOF)
      return 0;
    if (r < ARCHIVE_WARN)
      return crio_err_set(err, CRIO_E_INVALID, "read %s: %s", rd->f->archive,
                          archive_error_string(rd->a));
    const char *raw = archive_entry_pathname_utf8(e);
    if (!raw)
      raw = archive_entry_pathname(e);
    char *name = arc_path_clean(raw);
    if (!name)
      return crio_err_set(err, CRIO_E_INVALID,
                          "%s: entry \"%s\" leaves the archive (absolute path or \"..\"); refused",
                          rd->f->archive, raw ? raw : "");
    if (rd->f->n >= ARC_MAX_ENTRIES) {
      free(name);
      return crio_err_set(err, CRIO_E_TOO_LARGE, "%s has more than %d files", rd->f->archive,
                          ARC_MAX_ENTRIES);
    }
    r = add_entry(rd, e, name, err);
    if (r < 0)
      return r;
  }
}

static int open_reader(struct archive *a, int fd, const char *path, crio_err **err)
{
  if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_filter_xz(a) != ARCHIVE_OK ||
      archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
      archive_read_support_format_tar(a) != ARCHIVE_OK)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive lacks a decompressor or tar: %s",
                        archive_error_string(a));
  if (archive_read_open_fd(a, fd, COPY_BUF) != ARCHIVE_OK)
    return crio_err_set(err, CRIO_E_INVALID, "read %s: %s", path, archive_error_string(a));
  return 0;
}

static int extract_archive(const char *path, const char *workdir, arc_files *f, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "open archive %s", path);
  _cleanup_close_ int dirfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open work directory %s", workdir);
  arc_reader rd = { .a = archive_read_new(), .dirfd = dirfd, .workdir = workdir, .f = f };
  if (!rd.a)
    return crio_err_set(err, CRIO_E_INTERNAL, "libarchive: out of memory");
  rd.d = digester_new();
  rd.buf = xmalloc(COPY_BUF);
  int r = open_reader(rd.a, fd, path, err);
  if (r == 0)
    r = extract_entries(&rd, err);
  archive_read_free(rd.a);
  digester_free(rd.d);
  free(rd.buf);
  unlinkat(dirfd, INCOMING, 0);
  if (r == 0)
    arc_files_index(f);
  return r;
}

static bool has_file(arc_files *f, const char *name)
{
  return arc_files_find(f, name, name, NULL) != NULL;
}

int image_archive_read(const char *path, const char *workdir, archive_images_out *out,
                       crio_err **err)
{
  memset(out, 0, sizeof *out);
  arc_files f = { .archive = path };
  int r = extract_archive(path, workdir, &f, err);
  if (r == 0) {
    if (has_file(&f, "manifest.json"))
      r = docker_archive_read(&f, out, err);
    else if (has_file(&f, "index.json") && has_file(&f, "oci-layout"))
      r = oci_archive_read(&f, out, err);
    else
      r = crio_err_set(err, CRIO_E_INVALID,
                       "%s is neither a docker-archive (no manifest.json) nor an oci-archive "
                       "(no index.json and oci-layout)",
                       path);
  }
  arc_files_clear(&f);
  if (r < 0)
    archive_images_out_clear(out);
  return r;
}
