/* Reading a tar stream into a container's directory (rootfs_copy_in):
 * libarchive's tar reader, every entry created with *at() calls relative to
 * its parent directory, reached from the destination with
 * openat2(RESOLVE_BENEATH). */
#include "server/image/rootfs_archive.h"
#include "server/image/rootfs_archive_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define COPY_BUF (64 * 1024)

typedef struct dir_time {
  char *rel;
  struct timespec ts[2];
} dir_time;

typedef struct tar_in {
  const char *what;  /* "copy into /dest": the start of error messages */
  int destfd;
  struct archive *a;
  struct archive_entry *e;
  const char *raw;   /* the entry's name as in the tar */
  dir_time *dirs;    /* directory times, set at the end */
  size_t n_dirs, cap_dirs;
} tar_in;

/* raw (the entry's path or, label "hardlink target", its target) without
 * "/" and "." components ("" for the destination itself); ".." is refused. */
static int in_normalize(tar_in *t, const char *raw, const char *label, char **out, crio_err **err)
{
  strbuf b = STRBUF_INIT;
  _cleanup_free_ char *copy = xstrdup(raw);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (!strcmp(c, "."))
      continue;
    if (!strcmp(c, "..")) {
      strbuf_free(&b);
      return crio_err_set(err, CRIO_E_INVALID, "%s: tar entry %s: \"..\" in its %s", t->what,
                          t->raw, label);
    }
    if (b.len)
      strbuf_putc(&b, '/');
    strbuf_puts(&b, c);
  }
  *out = strbuf_steal(&b);
  return 0;
}

static int in_resolve_error(tar_in *t, const char *dir, crio_err **err)
{
  if (errno == EXDEV || errno == ELOOP)
    return crio_err_set(err, CRIO_E_INVALID,
                        "%s: tar entry %s: %s leads out of the destination through a symlink",
                        t->what, t->raw, dir);
  if (errno == ENOTDIR)
    return crio_err_set(err, CRIO_E_INVALID, "%s: tar entry %s: %s is not a directory", t->what,
                        t->raw, dir);
  return crio_err_errno(err, CRIO_E_IO, errno, "%s: tar entry %s: open %s", t->what, t->raw, dir);
}

/* The directory rel below the destination (symlinks followed only while
 * they stay below it); missing ones are made 0755 when create. */
static int in_open_dir(tar_in *t, const char *rel, bool create, crio_err **err)
{
  const uint64_t how = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = rootfs__openat2(t->destfd, rel, O_PATH | O_DIRECTORY, how);
  if (fd >= 0 || errno != ENOENT || !create)
    return fd >= 0 ? fd : in_resolve_error(t, rel, err);
  _cleanup_free_ char *p = xstrdup(rel);
  _cleanup_close_ int prev = -1;
  for (char *comp = p, *end;; comp = end + 1) {
    end = strchrnul(comp, '/');
    bool last = !*end;
    *end = '\0';
    fd = rootfs__openat2(t->destfd, p, O_PATH | O_DIRECTORY, how);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(prev >= 0 ? prev : t->destfd, comp, 0755) < 0 && errno != EEXIST)
        return crio_err_errno(err, CRIO_E_IO, errno, "%s: tar entry %s: make directory %s",
                              t->what, t->raw, p);
      fd = rootfs__openat2(t->destfd, p, O_PATH | O_DIRECTORY, how);
    }
    if (fd < 0)
      return in_resolve_error(t, p, err);
    if (prev >= 0)
      close(prev);
    prev = fd;
    if (last)
      return steal_fd(&prev);
    *end = '/';
  }
}

/* Owner, mode and (but for directories, done at the end) times of the new
 * node: through fd when >= 0, else pfd/base without following it. */
static int in_meta(tar_in *t, int fd, int pfd, const char *base, crio_err **err)
{
  struct archive_entry *e = t->e;
  uid_t uid = (uid_t) archive_entry_uid(e);
  gid_t gid = (gid_t) archive_entry_gid(e);
  mode_t mode = archive_entry_perm(e);
  struct timespec ts[2] = {
    { archive_entry_atime_is_set(e) ? archive_entry_atime(e) : 0,
      archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : UTIME_OMIT },
    { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
  };
  bool lnk = archive_entry_filetype(e) == AE_IFLNK;
  int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
  if (r == 0 && !lnk)  /* after chown, which clears setuid */
    r = fd >= 0 ? fchmod(fd, mode) : fchmodat(pfd, base, mode, AT_SYMLINK_NOFOLLOW);
  if (r == 0 && archive_entry_filetype(e) != AE_IFDIR)
    r = fd >= 0 ? futimens(fd, ts) : utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "%s: tar entry %s: set owner, mode or times",
                          t->what, t->raw);
  return 0;
}

static int in_data(tar_in *t, int fd, crio_err **err)
{
  const void *buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(t->a, &buf, &len, &off)) == ARCHIVE_OK) {
    for (size_t done = 0; done < len;) {
      ssize_t n = pwrite(fd, (const char *) buf + done, len - done, off + (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return crio_err_errno(err, CRIO_E_IO, errno, "%s: write %s", t->what, t->raw);
      done += (size_t) n;
    }
  }
  if (r != ARCHIVE_EOF)
    return crio_err_set(err, CRIO_E_INVALID, "%s: read tar entry %s: %s", t->what, t->raw,
                        archive_error_string(t->a));
  if (ftruncate(fd, archive_entry_size(t->e)) < 0)  /* a sparse file's trailing hole */
    return crio_err_errno(err, CRIO_E_IO, errno, "%s: write %s", t->what, t->raw);
  return 0;
}

static int in_hardlink(tar_in *t, int pfd, const char *base, const char *target, crio_err **err)
{
  _cleanup_free_ char *rel = NULL;
  int r = in_normalize(t, target, "hardlink target", &rel, err);
  if (r < 0)
    return r;
  char *slash = strrchr(rel, '/');
  const char *tbase = slash ? slash + 1 : rel;
  if (slash)
    *slash = '\0';
  if (!*tbase)
    return crio_err_set(err, CRIO_E_INVALID, "%s: tar entry %s: bad hardlink target %s", t->what,
                        t->raw, target);
  _cleanup_close_ int tpfd = in_open_dir(t, slash ? rel : "", false, err);
  if (tpfd < 0)
    return tpfd;
  if (linkat(tpfd, tbase, pfd, base, 0) < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_INVALID : CRIO_E_IO, errno,
                          "%s: tar entry %s: link to %s", t->what, t->raw, target);
  return 0;
}

static void in_remember_dir(tar_in *t, const char *rel)
{
  if (t->n_dirs == t->cap_dirs) {
    t->cap_dirs = t->cap_dirs ? t->cap_dirs * 2 : 16;
    t->dirs = xrealloc(t->dirs, t->cap_dirs * sizeof *t->dirs);
  }
  dir_time *d = &t->dirs[t->n_dirs++];
  d->rel = xstrdup(rel);
  d->ts[0] = (struct timespec){ 0, UTIME_OMIT };
  d->ts[1] = (struct timespec){ archive_entry_mtime(t->e), archive_entry_mtime_nsec(t->e) };
}

/* Makes the node base in pfd, which nothing holds (but a directory kept). */
static int in_make(tar_in *t, int pfd, const char *base, const char *rel, crio_err **err)
{
  struct archive_entry *e = t->e;
  mode_t type = archive_entry_filetype(e);
  const char *hardlink = archive_entry_hardlink(e);
  if (hardlink)
    return in_hardlink(t, pfd, base, hardlink, err);
  _cleanup_close_ int fd = -1;
  int r = 0;
  if (type == AE_IFREG) {
    fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    r = fd < 0 ? -1 : in_data(t, fd, err);
    if (r < 0 && fd >= 0)
      return r;
  } else if (type == AE_IFDIR) {
    if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
      r = -1;
    else if ((fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
      r = -1;
    else
      in_remember_dir(t, rel);
  } else if (type == AE_IFLNK) {
    const char *target = archive_entry_symlink(e);
    r = symlinkat(target ? target : "", pfd, base);
  } else {
    r = mknodat(pfd, base, type | 0600, archive_entry_rdev(e));
  }
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "%s: create %s", t->what, t->raw);
  return in_meta(t, fd, pfd, base, err);
}

static int in_entry(tar_in *t, crio_err **err)
{
  struct archive_entry *e = t->e;
  t->raw = archive_entry_pathname(e);
  mode_t type = archive_entry_filetype(e);
  if (!t->raw)
    return crio_err_set(err, CRIO_E_INVALID, "%s: a tar entry with an unreadable name", t->what);
  _cleanup_free_ char *rel = NULL;
  int r = in_normalize(t, t->raw, "path", &rel, err);
  if (r < 0 || !rel[0] || type == AE_IFSOCK)
    return r;
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFCHR &&
      type != AE_IFBLK && type != AE_IFIFO && !archive_entry_hardlink(e))
    return crio_err_set(err, CRIO_E_INVALID, "%s: tar entry %s: unknown file type", t->what,
                        t->raw);
  char *slash = strrchr(rel, '/');
  const char *base = slash ? slash + 1 : rel;
  _cleanup_free_ char *parent = slash ? xstrndup(rel, (size_t) (slash - rel)) : xstrdup("");
  _cleanup_close_ int pfd = in_open_dir(t, parent, true, err);
  if (pfd < 0)
    return pfd;
  struct stat st;
  bool keep = false;
  if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    keep = S_ISDIR(st.st_mode) && type == AE_IFDIR && !archive_entry_hardlink(e);
    if (!keep && unlinkat(pfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "%s: tar entry %s: replace %s", t->what,
                            t->raw, rel);
  }
  return in_make(t, pfd, base, rel, err);
}

/* Directory times last: the entries written into them changed them. */
static void in_dir_times(tar_in *t)
{
  for (size_t i = t->n_dirs; i-- > 0;) {
    const uint64_t how = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    _cleanup_close_ int fd = rootfs__openat2(t->destfd, t->dirs[i].rel,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW, how);
    if (fd < 0 || futimens(fd, t->dirs[i].ts) < 0)
      log_debug("%s: set times of /%s: %s", t->what, t->dirs[i].rel, strerror(errno));
    free(t->dirs[i].rel);
  }
  free(t->dirs);
}

static int in_stream(tar_in *t, int fd, crio_err **err)
{
  archive_read_support_filter_all(t->a);
  archive_read_support_format_tar(t->a);
  archive_read_support_format_empty(t->a);
  if (archive_read_open_fd(t->a, fd, COPY_BUF) != ARCHIVE_OK)
    return crio_err_set(err, CRIO_E_INVALID, "%s: read tar stream: %s", t->what,
                        archive_error_string(t->a));
  for (;;) {
    int r = archive_read_next_header2(t->a, t->e);
    if (r == ARCHIVE_EOF)
      return 0;
    if (r < ARCHIVE_WARN)
      return crio_err_set(err, CRIO_E_INVALID, "%s: read tar stream: %s", t->what,
                          archive_error_string(t->a));
    r = in_entry(t, err);
    if (r < 0)
      return r;
  }
}

int rootfs_copy_in(const char *root, const char *dest_dir_in_container, int fd, crio_err **err)
{
  _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "copy into the container: open container rootfs %s", root);
  const char *rel = dest_dir_in_container;
  while (*rel == '/')
    rel++;
  _cleanup_close_ int destfd = rootfs__openat2(rootfd, rel, O_PATH | O_DIRECTORY,
                                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (destfd < 0 && errno == ENOENT)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "no such file or directory in the container: %s",
                        dest_dir_in_container);
  if (destfd < 0 && errno == ENOTDIR)
    return crio_err_set(err, CRIO_E_INVALID, "not a directory in the container: %s",
                        dest_dir_in_container);
  if (destfd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "copy into the container: open %s in %s",
                          dest_dir_in_container, root);
  _cleanup_free_ char *what = xasprintf("copy into %s", dest_dir_in_container);
  tar_in *t = xzalloc(sizeof *t);
  t->what = what;
  t->destfd = destfd;
  t->a = archive_read_new();
  t->e = archive_entry_new();
  utf8_scope loc;
  rootfs__utf8_enter(&loc);
  int r = in_stream(t, fd, err);
  in_dir_times(t);
  rootfs__utf8_leave(&loc);
  archive_read_free(t->a);
  archive_entry_free(t->e);
  free(t);
  return r;
}
