/* Writes layer tar entries beneath a root directory descriptor. Every path
 * is resolved one component at a time with openat(O_NOFOLLOW|O_DIRECTORY),
 * so no symlink, whether from this layer or planted meanwhile, is followed
 * and nothing lands outside the root. */
#include "server/image/layer_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

typedef struct dir_time {
  char *path;  /* normalized; "" for the root */
  struct timespec ts[2];
} dir_time;

struct layer_writer {
  int rootfd;
  layer_stats *st;
  /* The parent directory of the last entry: tar lists siblings together. */
  char *cache_path;
  int cache_fd;
  /* Directory times, set at the end: writing children changes them. */
  dir_time *times;
  size_t n_times, cap_times;
};

layer_writer *layer_writer_new(int rootfd, layer_stats *st)
{
  layer_writer *w = xzalloc(sizeof *w);
  w->rootfd = rootfd;
  w->st = st;
  w->cache_fd = -1;
  return w;
}

void layer_writer_free(layer_writer *w)
{
  if (!w)
    return;
  if (w->cache_fd >= 0)
    close(w->cache_fd);
  free(w->cache_path);
  for (size_t i = 0; i < w->n_times; i++)
    free(w->times[i].path);
  free(w->times);
  free(w);
}

int layer_path_normalize(const char *entry, const char *label, const char *raw, char **out,
                         crio_err **err)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  const char *p = raw;
  while (*p) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t) (end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return crio_err_set(err, CRIO_E_INVALID,
                          "layer entry \"%s\": %s \"%s\" has a \"..\" component; refusing a path "
                          "that may leave the layer", entry, label, raw);
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (b.len > 0)
        strbuf_putc(&b, '/');
      strbuf_append(&b, p, n);
    }
    p = *end ? end + 1 : end;
  }
  *out = strbuf_steal(&b);
  return 0;
}

/* Splits a normalized path in place: *dir gets "" for a top-level name. */
static void split_path(char *norm, const char **dir, const char **base)
{
  char *slash = strrchr(norm, '/');
  if (!slash) {
    *dir = "";
    *base = norm;
    return;
  }
  *slash = '\0';
  *dir = norm;
  *base = slash + 1;
}

/* A component that is not a directory: a whiteout of this layer becomes an
 * opaque directory (the lower one stays hidden) when create is set; a
 * symlink or anything else is refused. *next gets the directory's fd. */
static int walk_not_dir(int fd, const char *entry, const char *comp, const char *prefix,
                        bool create, int *next, crio_err **err)
{
  struct stat st;
  if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": stat \"%s\"", entry, prefix);
  if (S_ISLNK(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID,
                        "layer entry \"%s\": \"%s\" is a symlink; refusing to write through it",
                        entry, prefix);
  if (!create || !layer_is_whiteout(&st))
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": \"%s\" is not a directory",
                        entry, prefix);
  if (unlinkat(fd, comp, 0) < 0 || mkdirat(fd, comp, 0755) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": replace whiteout \"%s\"",
                          entry, prefix);
  *next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*next < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": open \"%s\"", entry, prefix);
  return layer_set_opaque(*next, entry, prefix, err);
}

/* Opens the normalized directory path dir beneath the root, one component
 * at a time, creating missing ones (mode 0755) when create is set. */
static int walk_dir(layer_writer *w, const char *entry, const char *dir, bool create, int *out,
                    crio_err **err)
{
  _cleanup_close_ int fd = openat(w->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": open layer root", entry);
  _cleanup_free_ char *path = xstrdup(dir);
  for (char *p = path; *p;) {
    char *end = strchrnul(p, '/');
    char saved = *end;
    *end = '\0';
    _cleanup_free_ char *prefix = xstrdup(path);
    int next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST)
        return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": mkdir \"%s\"", entry,
                              prefix);
      next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0 && (errno == ELOOP || errno == ENOTDIR)) {
      int r = walk_not_dir(fd, entry, p, prefix, create, &next, err);
      if (r < 0) {
        if (next >= 0)
          close(next);
        return r;
      }
    }
    if (next < 0)
      return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                            "layer entry \"%s\": open \"%s\"", entry, prefix);
    close(fd);
    fd = next;
    *end = saved;
    p = saved ? end + 1 : end;
  }
  *out = steal_fd(&fd);
  return 0;
}

/* The parent directory of an entry, from the one-entry cache or a walk.
 * The fd stays owned by the writer; entries only ever remove children of
 * their own parent, so the cached directory stays valid. */
static int parent_fd(layer_writer *w, const char *entry, const char *dir, bool create, int *out,
                     crio_err **err)
{
  if (w->cache_fd >= 0 && strcmp(w->cache_path, dir) == 0) {
    *out = w->cache_fd;
    return 0;
  }
  int fd;
  int r = walk_dir(w, entry, dir, create, &fd, err);
  if (r < 0)
    return r;
  if (w->cache_fd >= 0)
    close(w->cache_fd);
  free(w->cache_path);
  w->cache_fd = fd;
  w->cache_path = xstrdup(dir);
  *out = fd;
  return 0;
}

/* Removes what an entry replaces (a later entry wins, as with tar), except
 * a directory replaced by a directory: its metadata is updated in place. */
static int clear_slot(layer_entry_ctx *c, bool want_dir, bool *keep_dir, bool *was_whiteout,
                      crio_err **err)
{
  *keep_dir = *was_whiteout = false;
  struct stat st;
  if (fstatat(c->pfd, c->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": stat", c->raw);
  }
  if (want_dir && S_ISDIR(st.st_mode)) {
    *keep_dir = true;
    return 0;
  }
  *was_whiteout = layer_is_whiteout(&st);
  int r = rm_rf_child(c->pfd, c->base, c->raw, err);
  if (r < 0) {
    crio_err_wrap(err, "layer entry \"%s\": replace", c->raw);
    return r;
  }
  return 0;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
  while (len > 0) {
    ssize_t n = pwrite(fd, p, len, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= (size_t) n;
    off += n;
  }
  return 0;
}

static int write_regular(layer_entry_ctx *c, struct archive *a, crio_err **err)
{
  _cleanup_close_ int fd =
      openat(c->pfd, c->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": create", c->raw);
  for (;;) {
    const void *buf;
    size_t size;
    la_int64_t off;
    int r = archive_read_data_block(a, &buf, &size, &off);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK)
      return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": read data: %s", c->raw,
                          archive_error_string(a) ? archive_error_string(a) : "unknown error");
    if (pwrite_all(fd, buf, size, (off_t) off) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": write", c->raw);
  }
  /* Sparse files may end in a hole. */
  la_int64_t size = archive_entry_size_is_set(c->e) ? archive_entry_size(c->e) : 0;
  if (size > 0 && ftruncate(fd, (off_t) size) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": truncate", c->raw);
  c->st->bytes += (uint64_t) size;
  return layer_apply_meta(c, fd, true, err);
}

static void defer_dir_times(layer_writer *w, const char *path, struct archive_entry *e)
{
  if (w->n_times == w->cap_times) {
    w->cap_times = w->cap_times ? w->cap_times * 2 : 64;
    w->times = xrealloc(w->times, w->cap_times * sizeof *w->times);
  }
  dir_time *t = &w->times[w->n_times++];
  t->path = xstrdup(path);
  layer_entry_times(e, t->ts);
}

static int make_dir(layer_writer *w, layer_entry_ctx *c, const char *norm, bool keep,
                    bool was_whiteout, crio_err **err)
{
  if (!keep && mkdirat(c->pfd, c->base, 0700) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": mkdir", c->raw);
  _cleanup_close_ int fd = openat(c->pfd, c->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": open", c->raw);
  /* It replaces a whiteout of this layer: the lower directory stays hidden. */
  int r = was_whiteout ? layer_set_opaque(fd, c->raw, norm, err) : 0;
  if (r < 0)
    return r;
  r = layer_apply_meta(c, fd, false, err);
  if (r < 0)
    return r;
  defer_dir_times(w, norm, c->e);
  return 0;
}

static int make_node(layer_entry_ctx *c, mode_t type, crio_err **err)
{
  dev_t dev = 0;
  mode_t kind = S_IFIFO;
  if (type == AE_IFCHR || type == AE_IFBLK) {
    kind = type == AE_IFCHR ? S_IFCHR : S_IFBLK;
    dev = makedev(archive_entry_rdevmajor(c->e), archive_entry_rdevminor(c->e));
  }
  if (mknodat(c->pfd, c->base, kind | 0600, dev) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": mknod", c->raw);
  return layer_apply_meta(c, -1, true, err);
}

static int make_symlink(layer_entry_ctx *c, crio_err **err)
{
  const char *target = archive_entry_symlink(c->e);
  if (!target || !*target)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": symlink without a target", c->raw);
  if (symlinkat(target, c->pfd, c->base) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": symlink to \"%s\"", c->raw,
                          target);
  return layer_apply_meta(c, -1, true, err);
}

/* A hardlink to an earlier entry of this layer; the target's path is
 * resolved like any entry's (no "..", no symlinked parents) and a symlink
 * target is linked itself, never followed. */
static int make_hardlink(layer_writer *w, layer_entry_ctx *c, const char *norm, crio_err **err)
{
  const char *raw_target = archive_entry_hardlink(c->e);
  _cleanup_free_ char *target = NULL;
  int r = layer_path_normalize(c->raw, "hardlink target", raw_target, &target, err);
  if (r < 0)
    return r;
  if (!*target)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": hardlink to the layer root",
                        c->raw);
  if (strcmp(target, norm) == 0)
    return 0;
  const char *tdir, *tbase;
  split_path(target, &tdir, &tbase);
  _cleanup_close_ int tfd = -1;
  r = walk_dir(w, c->raw, tdir, false, &tfd, err);
  if (r < 0) {
    crio_err_wrap(err, "hardlink target \"%s\"", raw_target);
    return r;
  }
  struct stat st;
  if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_INVALID : CRIO_E_IO, errno,
                          "layer entry \"%s\": hardlink target \"%s\"", c->raw, raw_target);
  if (S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID,
                        "layer entry \"%s\": hardlink target \"%s\" is a directory", c->raw,
                        raw_target);
  bool keep, was_whiteout;
  r = clear_slot(c, false, &keep, &was_whiteout, err);
  if (r < 0)
    return r;
  if (linkat(tfd, tbase, c->pfd, c->base, 0) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": link to \"%s\"", c->raw,
                          raw_target);
  return 0;
}

/* "dir/.wh.NAME" and "dir/.wh..wh..opq": see layer_extract.h. */
static int write_whiteout(layer_writer *w, const char *raw, const char *dir, const char *base,
                          crio_err **err)
{
  if (strcmp(base, WH_OPAQUE) == 0) {
    int pfd;
    int r = parent_fd(w, raw, dir, true, &pfd, err);
    return r < 0 ? r : layer_set_opaque(pfd, raw, dir, err);
  }
  if (strncmp(base, WH_META_PREFIX, strlen(WH_META_PREFIX)) == 0) {
    log_debug("layer entry \"%s\": aufs metadata ignored", raw);
    return 0;
  }
  const char *victim = base + strlen(WH_PREFIX);
  if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": whiteout of \"%s\" is invalid",
                        raw, victim);
  int pfd;
  int r = parent_fd(w, raw, dir, true, &pfd, err);
  if (r < 0)
    return r;
  struct stat st;
  if (fstatat(pfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    /* Written by this layer: it stays; only what lower layers hold in a
     * directory of that name is hidden. */
    if (!S_ISDIR(st.st_mode))
      return 0;
    _cleanup_close_ int fd = openat(pfd, victim, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": open \"%s\"", raw, victim);
    return layer_set_opaque(fd, raw, victim, err);
  }
  if (errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": stat \"%s\"", raw, victim);
  if (mknodat(pfd, victim, S_IFCHR, makedev(0, 0)) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": create whiteout \"%s\"", raw,
                          victim);
  return 0;
}

/* "./" or "/": the metadata of the layer's root directory. */
static int write_root(layer_writer *w, layer_entry_ctx *c, crio_err **err)
{
  if (archive_entry_hardlink(c->e) || archive_entry_filetype(c->e) != AE_IFDIR)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": the layer root must be a directory",
                        c->raw);
  int r = layer_apply_meta(c, w->rootfd, false, err);
  if (r < 0)
    return r;
  defer_dir_times(w, "", c->e);
  return 0;
}

/* A directory component named like a whiteout cannot be meant. */
static int check_dir_components(const char *raw, const char *dir, crio_err **err)
{
  for (const char *p = dir; *p;) {
    const char *end = strchrnul(p, '/');
    if (strncmp(p, WH_PREFIX, strlen(WH_PREFIX)) == 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "layer entry \"%s\": whiteout name \"%.*s\" used as a directory", raw,
                          (int) (end - p), p);
    p = *end ? end + 1 : end;
  }
  return 0;
}

static int write_entry_at(layer_writer *w, layer_entry_ctx *c, struct archive *a, const char *norm,
                          crio_err **err)
{
  if (archive_entry_hardlink(c->e))
    return make_hardlink(w, c, norm, err);
  mode_t type = archive_entry_filetype(c->e);
  if (type == AE_IFSOCK) {
    log_debug("layer entry \"%s\": socket skipped", c->raw);
    return 0;
  }
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFCHR &&
      type != AE_IFBLK && type != AE_IFIFO)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": unsupported type 0%o", c->raw,
                        (unsigned) type);
  bool keep, was_whiteout;
  int r = clear_slot(c, type == AE_IFDIR, &keep, &was_whiteout, err);
  if (r < 0)
    return r;
  switch (type) {
  case AE_IFREG:
    return write_regular(c, a, err);
  case AE_IFDIR:
    return make_dir(w, c, norm, keep, was_whiteout, err);
  case AE_IFLNK:
    return make_symlink(c, err);
  default:
    return make_node(c, type, err);
  }
}

int layer_writer_entry(layer_writer *w, struct archive *a, struct archive_entry *e, crio_err **err)
{
  const char *raw = archive_entry_pathname(e);
  if (!raw || !*raw)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry %llu has no path",
                        (unsigned long long) w->st->entries + 1);
  w->st->entries++;
  _cleanup_free_ char *norm = NULL;
  int r = layer_path_normalize(raw, "path", raw, &norm, err);
  if (r < 0)
    return r;
  layer_entry_ctx c = { .st = w->st, .e = e, .raw = raw, .pfd = -1, .base = NULL };
  if (!*norm)
    return write_root(w, &c, err);
  _cleanup_free_ char *split = xstrdup(norm);
  const char *dir, *base;
  split_path(split, &dir, &base);
  r = check_dir_components(raw, dir, err);
  if (r < 0)
    return r;
  if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
    return write_whiteout(w, raw, dir, base, err);
  r = parent_fd(w, raw, dir, true, &c.pfd, err);
  if (r < 0)
    return r;
  c.base = base;
  return write_entry_at(w, &c, a, norm, err);
}

int layer_writer_finish(layer_writer *w, crio_err **err)
{
  for (size_t i = 0; i < w->n_times; i++) {
    dir_time *t = &w->times[i];
    if (!*t->path) {
      if (futimens(w->rootfd, t->ts) < 0)
        return crio_err_errno(err, CRIO_E_IO, errno, "set times of the layer root");
      continue;
    }
    _cleanup_free_ char *split = xstrdup(t->path);
    const char *dir, *base;
    split_path(split, &dir, &base);
    /* A later entry may have replaced the directory or a parent of it. */
    _cleanup_err_ crio_err *gone = NULL;
    int pfd;
    struct stat st;
    if (parent_fd(w, t->path, dir, false, &pfd, &gone) < 0 ||
        fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
      continue;
    if (utimensat(pfd, base, t->ts, AT_SYMLINK_NOFOLLOW) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": set times", t->path);
  }
  return 0;
}
