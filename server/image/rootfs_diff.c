/* podman diff: walk the upper directory, look each entry up in the image's
 * layers (top first, honouring whiteouts and opaque directories), and list
 * what was added, changed or deleted. Upper directories are opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the upper root, one at
 * a time (names and stats are read, then the descriptor is closed before
 * descending), so a running container that swaps a directory for a symlink
 * cannot lead the walk out of upper, and the open descriptors stay bounded. */
#include "server/image/rootfs_diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"

typedef struct diff_ctx {
  const char *upper;
  int upperfd;
  char *const *lower;
  int *lowerfd;
  size_t n_lower;
  rootfs_change *v;
  size_t n, cap;
} diff_ctx;

/* A directory of upper being walked; recorded once it is in the list. */
typedef struct dir_frame {
  struct dir_frame *parent;
  const char *rel;  /* "etc/ssl"; "" for the root */
  bool recorded;
} dir_frame;

typedef struct dent {
  char *name;
  struct stat st;
} dent;

/* What a layer holds at a path. Negative values are errors. */
enum { PROBE_ABSENT = 1, PROBE_FOUND, PROBE_HIDDEN };

static bool is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static char *rel_child(const char *rel, const char *name)
{
  return rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

static void record(diff_ctx *c, char kind, const char *rel)
{
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 32;
    c->v = xrealloc(c->v, c->cap * sizeof *c->v);
  }
  c->v[c->n].kind = kind;
  c->v[c->n].path = xasprintf("/%s", rel);
  c->n++;
}

/* The directories holding an added or deleted entry are changed, as podman
 * reports them. */
static void record_parents(diff_ctx *c, dir_frame *f)
{
  for (; f && f->rel[0]; f = f->parent) {
    if (!f->recorded) {
      record(c, 'C', f->rel);
      f->recorded = true;
    }
  }
}

static int open_dir_beneath(int rootfd, const char *rel)
{
  struct open_how how = {
    .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = -1;
  for (int i = 0; i < 16; i++) {  /* EAGAIN: a concurrent rename, try again */
    fd = (int) syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN)
      break;
  }
  return fd;
}

static bool fd_is_opaque(int fd)
{
  char v = 0;
  return fgetxattr(fd, OPAQUE_XATTR, &v, 1) == 1 && v == 'y';
}

static bool lower_is_opaque(diff_ctx *c, size_t i, const char *rel)
{
  char v = 0;
  _cleanup_free_ char *p = xasprintf("%s/%s", c->lower[i], rel);
  return lgetxattr(p, OPAQUE_XATTR, &v, 1) == 1 && v == 'y';
}

static bool same_dir_meta(const struct stat *a, const struct stat *b)
{
  if (a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid)
    return false;
  /* podman's sameFsTime: tar drops the nanoseconds of one side */
  return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         (a->st_mtim.tv_nsec == b->st_mtim.tv_nsec || a->st_mtim.tv_nsec == 0 ||
          b->st_mtim.tv_nsec == 0);
}

/* rel ("a/b") in layer i. *stop is set when an opaque directory on the way
 * hides the layers below from rel. */
static int layer_probe(diff_ctx *c, size_t i, const char *rel, struct stat *st, bool *stop,
                       crio_err **err)
{
  _cleanup_free_ char *p = xstrdup(rel);
  char *s = strchr(p, '/');
  for (;;) {
    if (s)
      *s = '\0';
    struct stat cur;
    /* the components before were checked to be real directories, and
     * layers are not written to, so fstatat walks no symlink */
    if (fstatat(c->lowerfd[i], p, &cur, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        return PROBE_ABSENT;
      return crio_err_errno(err, CRIO_E_IO, errno, "diff rootfs: stat %s/%s", c->lower[i], p);
    }
    if (is_whiteout(&cur))
      return PROBE_HIDDEN;
    if (!s) {
      *st = cur;
      return PROBE_FOUND;
    }
    if (!S_ISDIR(cur.st_mode))
      return PROBE_HIDDEN;
    if (lower_is_opaque(c, i, p))
      *stop = true;
    *s = '/';
    s = strchr(s + 1, '/');
  }
}

/* 1 with *st when the image has rel, 0 when not, or an error. */
static int lower_lookup(diff_ctx *c, const char *rel, struct stat *st, crio_err **err)
{
  for (size_t i = 0; i < c->n_lower; i++) {
    bool stop = false;
    int r = layer_probe(c, i, rel, st, &stop, err);
    if (r < 0)
      return r;
    if (r == PROBE_FOUND)
      return 1;
    if (r == PROBE_HIDDEN || stop)
      return 0;
  }
  return 0;
}

static int dent_cmp(const void *a, const void *b)
{
  return strcmp(((const dent *) a)->name, ((const dent *) b)->name);
}

static void dents_free(dent *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i].name);
  free(v);
}

/* The entries of the directory dfd (taken over and closed), sorted by name. */
static int read_entries(diff_ctx *c, int dfd, const char *rel, dent **out, size_t *n,
                        crio_err **err)
{
  _cleanup_closedir_ DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return crio_err_errno(err, CRIO_E_IO, e, "diff rootfs: read %s/%s", c->upper, rel);
  }
  dent *v = NULL;
  size_t len = 0, cap = 0;
  struct dirent *de;
  for (errno = 0; (de = readdir(d)); errno = 0) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)  /* removed by the running container meanwhile */
        continue;
      int e = errno;
      dents_free(v, len);
      return crio_err_errno(err, CRIO_E_IO, e, "diff rootfs: stat %s/%s/%s", c->upper, rel,
                            de->d_name);
    }
    if (len == cap) {
      cap = cap ? cap * 2 : 16;
      v = xrealloc(v, cap * sizeof *v);
    }
    v[len].name = xstrdup(de->d_name);
    v[len++].st = st;
  }
  if (errno) {
    int e = errno;
    dents_free(v, len);
    return crio_err_errno(err, CRIO_E_IO, e, "diff rootfs: read %s/%s", c->upper, rel);
  }
  if (len)
    qsort(v, len, sizeof *v, dent_cmp);
  *out = v;
  *n = len;
  return 0;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(a, b);
}

static void free_name(void *p)
{
  free(p);
}

/* Deletes the entries of layer i's directory f->rel that no higher layer
 * named (seen) and that upper does not hold again (ents). */
static int list_layer_dir(diff_ctx *c, size_t i, dir_frame *f, const dent *ents, size_t n_ents,
                          void **seen, crio_err **err)
{
  int dfd = openat(c->lowerfd[i], f->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_closedir_ DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    int e = errno;
    if (dfd >= 0)
      close(dfd);
    return crio_err_errno(err, CRIO_E_IO, e, "diff rootfs: read %s/%s", c->lower[i], f->rel);
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || tfind(de->d_name, seen, name_cmp))
      continue;
    tsearch(xstrdup(de->d_name), seen, name_cmp);
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || is_whiteout(&st))
      continue;
    dent key = { .name = de->d_name };
    if (bsearch(&key, ents, n_ents, sizeof *ents, dent_cmp))
      continue;
    _cleanup_free_ char *rel = rel_child(f->rel, de->d_name);
    record(c, 'D', rel);
    record_parents(c, f);
  }
  return 0;
}

/* f is opaque in upper: what the image had in it and upper lacks is gone. */
static int opaque_deleted(diff_ctx *c, dir_frame *f, const dent *ents, size_t n_ents,
                          crio_err **err)
{
  void *seen = NULL;
  int r = 0;
  for (size_t i = 0; i < c->n_lower && r == 0; i++) {
    bool stop = false;
    struct stat st;
    r = layer_probe(c, i, f->rel, &st, &stop, err);
    if (r == PROBE_ABSENT) {
      r = 0;
      if (stop)
        break;
      continue;
    }
    if (r < 0 || r == PROBE_HIDDEN || !S_ISDIR(st.st_mode))
      break;
    r = list_layer_dir(c, i, f, ents, n_ents, &seen, err);
    if (stop || lower_is_opaque(c, i, f->rel))
      break;
  }
  tdestroy(seen, free_name);
  return r < 0 ? r : 0;
}

static int walk_dir(diff_ctx *c, dir_frame *f, crio_err **err);

static int visit(diff_ctx *c, dir_frame *f, const dent *d, crio_err **err)
{
  _cleanup_free_ char *rel = rel_child(f->rel, d->name);
  if (is_whiteout(&d->st)) {
    record(c, 'D', rel);
    record_parents(c, f);
    return 0;
  }
  struct stat lst;
  int found = lower_lookup(c, rel, &lst, err);
  if (found < 0)
    return found;
  bool is_dir = S_ISDIR(d->st.st_mode);
  bool recorded = true;
  if (!found) {
    record(c, 'A', rel);
    record_parents(c, f);
  } else if (is_dir && S_ISDIR(lst.st_mode) && same_dir_meta(&d->st, &lst)) {
    recorded = false;  /* copied up only because something below changed */
  } else {
    record(c, 'C', rel);
  }
  if (!is_dir)
    return 0;
  dir_frame child = { .parent = f, .rel = rel, .recorded = recorded };
  return walk_dir(c, &child, err);
}

static int walk_dir(diff_ctx *c, dir_frame *f, crio_err **err)
{
  int dfd = open_dir_beneath(c->upperfd, f->rel);
  if (dfd < 0) {
    if ((errno == ENOENT || errno == ENOTDIR || errno == ELOOP) && f->rel[0])
      return 0;  /* replaced by the running container meanwhile */
    return crio_err_errno(err, CRIO_E_IO, errno, "diff rootfs: open %s/%s", c->upper, f->rel);
  }
  bool opaque = f->rel[0] && fd_is_opaque(dfd);
  dent *ents = NULL;
  size_t n = 0;
  int r = read_entries(c, dfd, f->rel, &ents, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    r = visit(c, f, &ents[i], err);
  if (r == 0 && opaque)
    r = opaque_deleted(c, f, ents, n, err);
  dents_free(ents, n);
  return r;
}

/* Paths podman diff leaves out: the runtime makes them at start. */
static bool runtime_made(const char *path)
{
  static const char *const paths[] = {
    "/dev", "/dev/shm", "/etc/hostname", "/etc/hosts", "/etc/mtab", "/etc/resolv.conf", "/proc",
    "/run", "/run/.containerenv", "/run/notify", "/run/secrets", "/sys",
  };
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
    if (!strcmp(path, paths[i]))
      return true;
  return false;
}

/* Path order with '/' before every other byte: a directory, then what it
 * holds, then its siblings. */
static int change_cmp(const void *a, const void *b)
{
  const unsigned char *x = (const unsigned char *) ((const rootfs_change *) a)->path;
  const unsigned char *y = (const unsigned char *) ((const rootfs_change *) b)->path;
  for (;; x++, y++) {
    unsigned cx = *x == '/' ? 1u : *x, cy = *y == '/' ? 1u : *y;
    if (cx != cy)
      return cx < cy ? -1 : 1;
    if (!cx)
      return 0;
  }
}

static void finish_list(diff_ctx *c)
{
  size_t k = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (runtime_made(c->v[i].path))
      free(c->v[i].path);
    else
      c->v[k++] = c->v[i];
  }
  c->n = k;
  if (k)
    qsort(c->v, k, sizeof *c->v, change_cmp);
}

static int open_layers(diff_ctx *c, crio_err **err)
{
  c->upperfd = open(c->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->upperfd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "diff rootfs: open upper directory %s", c->upper);
  for (size_t i = 0; i < c->n_lower; i++) {
    c->lowerfd[i] = open(c->lower[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->lowerfd[i] < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "diff rootfs: open layer %s", c->lower[i]);
  }
  return 0;
}

int rootfs_diff(const char *upper, char *const *lower, size_t n_lower, rootfs_change **out,
                size_t *n, crio_err **err)
{
  *out = NULL;
  *n = 0;
  diff_ctx c = { .upper = upper, .upperfd = -1, .lower = lower, .n_lower = n_lower };
  c.lowerfd = xmalloc((n_lower ? n_lower : 1) * sizeof *c.lowerfd);
  for (size_t i = 0; i < n_lower; i++)
    c.lowerfd[i] = -1;
  int r = open_layers(&c, err);
  if (r == 0) {
    dir_frame root = { .parent = NULL, .rel = "", .recorded = true };
    r = walk_dir(&c, &root, err);
  }
  for (size_t i = 0; i < n_lower; i++)
    if (c.lowerfd[i] >= 0)
      close(c.lowerfd[i]);
  free(c.lowerfd);
  if (c.upperfd >= 0)
    close(c.upperfd);
  if (r < 0) {
    rootfs_changes_free(c.v, c.n);
    return r;
  }
  finish_list(&c);
  if (c.n == 0) {
    free(c.v);
    return 0;
  }
  *out = c.v;
  *n = c.n;
  return 0;
}

void rootfs_changes_free(rootfs_change *changes, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(changes[i].path);
  free(changes);
}
