#include "server/image/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* One directory on the way down: its identity (to check the way back up
 * through "..") and the subdirectories still to remove. */
typedef struct rm_level {
  dev_t dev;
  ino_t ino;
  char *name;      /* its name in the parent level */
  char **pending;  /* subdirectory names not yet removed */
  size_t n_pending;
} rm_level;

typedef struct rm_walk {
  rm_level *levels;
  size_t depth;  /* levels in use */
  size_t cap;
  const char *what;
} rm_walk;

static void level_clear(rm_level *l)
{
  free(l->name);
  for (size_t i = 0; i < l->n_pending; i++)
    free(l->pending[i]);
  free(l->pending);
  memset(l, 0, sizeof *l);
}

/* Unlinks every non-directory of fd and records its subdirectories. */
static int scan_level(rm_walk *w, int fd, rm_level *l, crio_err **err)
{
  int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open %s", w->what, l->name);
  _cleanup_closedir_ DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: read %s", w->what, l->name);
  }
  size_t cap = 0;
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue;
      return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: stat %s", w->what, de->d_name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (l->n_pending == cap) {
        cap = cap ? cap * 2 : 8;
        l->pending = xrealloc(l->pending, cap * sizeof *l->pending);
      }
      l->pending[l->n_pending++] = xstrdup(de->d_name);
    } else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
      return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: unlink %s", w->what, de->d_name);
    }
  }
  if (errno != 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: read %s", w->what, l->name);
  return 0;
}

/* Opens the subdirectory name of fd and pushes it; *out gets its fd. */
static int descend(rm_walk *w, int fd, char *name, int *out, crio_err **err)
{
  _cleanup_free_ char *owned = name;
  _cleanup_close_ int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child < 0 && errno == ENOENT)
    return 0;
  if (child < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open %s", w->what, name);
  struct stat st;
  if (fstat(child, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: stat %s", w->what, name);
  if (st.st_dev != w->levels[0].dev)
    return crio_err_set(err, CRIO_E_BUSY, "remove %s: %s is a mount point; refusing to cross it",
                        w->what, name);
  if ((st.st_mode & 0700) != 0700 && fchmod(child, 0700) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: chmod %s", w->what, name);
  if (w->depth == w->cap) {
    w->cap *= 2;
    w->levels = xrealloc(w->levels, w->cap * sizeof *w->levels);
  }
  rm_level *l = &w->levels[w->depth++];
  memset(l, 0, sizeof *l);
  l->dev = st.st_dev;
  l->ino = st.st_ino;
  l->name = steal_pointer(&owned);
  int r = scan_level(w, child, l, err);
  if (r < 0)
    return r;
  *out = steal_fd(&child);
  return 0;
}

/* fd is empty: go up through "..", check it is the level we came from,
 * and remove the directory. *fd becomes the parent's. */
static int ascend(rm_walk *w, int *fd, crio_err **err)
{
  rm_level *l = &w->levels[w->depth - 1];
  rm_level *up = &w->levels[w->depth - 2];
  int parent = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open parent of %s", w->what, l->name);
  close(*fd);
  *fd = parent;
  struct stat st;
  if (fstat(parent, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: stat parent of %s", w->what, l->name);
  if (st.st_dev != up->dev || st.st_ino != up->ino)
    return crio_err_set(err, CRIO_E_CONFLICT, "remove %s: %s was moved while being removed",
                        w->what, l->name);
  if (unlinkat(parent, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: rmdir %s", w->what, l->name);
  level_clear(l);
  w->depth--;
  return 0;
}

/* Depth first from fd (the top level, already scanned): one descriptor
 * open at a time, whatever the depth. */
static int rm_walk_run(rm_walk *w, int fd, crio_err **err)
{
  _cleanup_close_ int cur = fd;
  for (;;) {
    rm_level *l = &w->levels[w->depth - 1];
    int r = 0;
    if (l->n_pending > 0) {
      int child = -1;
      r = descend(w, cur, l->pending[--l->n_pending], &child, err);
      if (r == 0 && child >= 0) {
        close(cur);
        cur = child;
      }
    } else if (w->depth > 1) {
      r = ascend(w, &cur, err);
    } else {
      return 0;
    }
    if (r < 0)
      return r;
  }
}

/* Empties the directory topfd. */
static int rm_contents(int topfd, const char *what, crio_err **err)
{
  int fd = openat(topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int r = crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open", what);
    if (fd >= 0)
      close(fd);
    return r;
  }
  rm_walk w = { .levels = xzalloc(16 * sizeof(rm_level)), .depth = 1, .cap = 16, .what = what };
  w.levels[0].dev = st.st_dev;
  w.levels[0].ino = st.st_ino;
  w.levels[0].name = xstrdup(what);
  int r = scan_level(&w, fd, &w.levels[0], err);
  if (r == 0)
    r = rm_walk_run(&w, fd, err);  /* takes fd */
  else
    close(fd);
  for (size_t i = 0; i < w.depth; i++)
    level_clear(&w.levels[i]);
  free(w.levels);
  return r;
}

int rm_rf_child(int dirfd, const char *name, const char *what, crio_err **err)
{
  if (!what)
    what = name;
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : crio_err_errno(err, CRIO_E_IO, errno, "remove %s: stat", what);
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
      return crio_err_errno(err, CRIO_E_IO, errno, "remove %s", what);
    return 0;
  }
  _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open", what);
  if ((st.st_mode & 0700) != 0700 && fchmod(fd, 0700) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: chmod", what);
  int r = rm_contents(fd, what, err);
  if (r < 0)
    return r;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove %s: rmdir", what);
  return 0;
}

int rm_rf_at(const char *path, crio_err **err)
{
  _cleanup_free_ char *copy = xstrdup(path);
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  char *slash = strrchr(copy, '/');
  const char *base = slash ? slash + 1 : copy;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return crio_err_set(err, CRIO_E_INVALID, "remove %s: refusing to remove this path", path);
  _cleanup_free_ char *dir = slash ? (slash == copy ? xstrdup("/") : xstrndup(copy, (size_t) (slash - copy)))
                                   : xstrdup(".");
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : crio_err_errno(err, CRIO_E_IO, errno, "remove %s: open %s", path, dir);
  return rm_rf_child(dfd, base, path, err);
}
