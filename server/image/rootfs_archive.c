/* Tar streams of a container's rootfs. Writing: a walk of the tree with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), one directory descriptor
 * open at a time (its names are read, then it is reopened after each
 * subdirectory), into libarchive's pax writer with a write callback that
 * turns SIGPIPE into EPIPE. Reading: libarchive's tar reader, every entry
 * created with *at() calls relative to its parent directory, which is
 * reached from the destination with openat2(RESOLVE_BENEATH). */
#include "server/image/rootfs_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define COPY_BUF (64 * 1024)

static int openat2_retry(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
  struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };
  int fd = -1;
  for (int i = 0; i < 16; i++) {  /* EAGAIN: a concurrent rename, try again */
    fd = (int) syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN)
      break;
  }
  return fd;
}

/* Names of the tar are kept as UTF-8 whatever the daemon's locale. */
typedef struct utf8_scope {
  locale_t utf8, old;
} utf8_scope;

static void utf8_enter(utf8_scope *s)
{
  s->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  s->old = s->utf8 ? uselocale(s->utf8) : (locale_t) 0;
}

static void utf8_leave(utf8_scope *s)
{
  if (s->utf8) {
    uselocale(s->old);
    freelocale(s->utf8);
  }
}

/* ---------------------------------------------------------------- writing */

typedef struct link_node {
  dev_t dev;
  ino_t ino;
  char *name;
} link_node;

typedef struct tar_out {
  const char *what;  /* "export /merged": the start of error messages */
  int fd;
  bool is_sock;
  int write_errno;
  dev_t dev;         /* the file system walked; others are not entered */
  struct archive *a;
  struct archive_entry *e;
  void *links;       /* link_node by (dev, ino): hardlinks */
  char buf[COPY_BUF];
} tar_out;

/* write(2) that reports a reader gone as EPIPE without raising SIGPIPE. */
static ssize_t write_nosigpipe(tar_out *o, const void *buf, size_t len)
{
  if (o->is_sock)
    return send(o->fd, buf, len, MSG_NOSIGNAL);
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  ssize_t n = write(o->fd, buf, len);
  int e = errno;
  if (n < 0 && e == EPIPE && !was_pending) {
    struct timespec zero = { 0, 0 };
    sigtimedwait(&pipe_set, NULL, &zero);  /* consume the SIGPIPE this write raised */
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return n;
}

static la_ssize_t out_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
  tar_out *o = data;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write_nosigpipe(o, (const char *) buf + done, len - done);
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = { .fd = o->fd, .events = POLLOUT };
      poll(&p, 1, -1);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      o->write_errno = errno;
      archive_set_error(a, errno, "write tar stream: %s", strerror(errno));
      return -1;
    }
    done += (size_t) n;
  }
  return (la_ssize_t) len;
}

static int out_error(tar_out *o, crio_err **err)
{
  if (o->write_errno == EPIPE || o->write_errno == ECONNRESET)
    return crio_err_set(err, CRIO_E_IO, "%s: the client went away", o->what);
  if (o->write_errno)
    return crio_err_errno(err, CRIO_E_IO, o->write_errno, "%s: write tar stream", o->what);
  const char *m = archive_error_string(o->a);
  return crio_err_set(err, CRIO_E_IO, "%s: %s", o->what, m ? m : "tar writer failed");
}

static tar_out *out_new(int fd, const char *what, dev_t dev)
{
  tar_out *o = xzalloc(sizeof *o);
  struct stat st;
  o->what = what;
  o->fd = fd;
  o->is_sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  o->dev = dev;
  o->e = archive_entry_new();
  o->a = archive_write_new();
  return o;
}

static int out_open(tar_out *o, crio_err **err)
{
  if (archive_write_set_format_pax_restricted(o->a) != ARCHIVE_OK ||
      archive_write_set_format_option(o->a, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
      archive_write_add_filter_none(o->a) != ARCHIVE_OK ||
      archive_write_open2(o->a, o, NULL, out_write_cb, NULL, NULL) != ARCHIVE_OK)
    return out_error(o, err);
  return 0;
}

static int link_cmp(const void *a, const void *b)
{
  const link_node *x = a, *y = b;
  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p)
{
  link_node *l = p;
  free(l->name);
  free(l);
}

/* On success the end-of-archive blocks are written; on failure they are
 * not, so the reader sees a truncated archive rather than a complete one. */
static int out_finish(tar_out *o, int r, crio_err **err)
{
  if (r == 0 && archive_write_close(o->a) != ARCHIVE_OK)
    r = out_error(o, err);
  if (r < 0)
    archive_write_fail(o->a);
  archive_write_free(o->a);
  archive_entry_free(o->e);
  tdestroy(o->links, link_free);
  free(o);
  return r;
}

/* name in dfd opened with flags, without following it; name NULL: dfd is
 * an O_PATH descriptor of the node itself. */
static int reopen_node(int dfd, const char *name, int flags)
{
  if (name)
    return openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", dfd);
  return open(proc, flags | O_CLOEXEC | O_NOCTTY);
}

static void add_xattrs(struct archive_entry *e, int fd)
{
  ssize_t len = flistxattr(fd, NULL, 0);
  if (len <= 0)
    return;
  _cleanup_free_ char *names = xmalloc((size_t) len);
  len = flistxattr(fd, names, (size_t) len);
  for (ssize_t i = 0; i < len; i += (ssize_t) strlen(names + i) + 1) {
    const char *n = names + i;
    if (strncmp(n, "user.", 5) != 0 && strcmp(n, "security.capability") != 0)
      continue;
    ssize_t vlen = fgetxattr(fd, n, NULL, 0);
    if (vlen < 0)
      continue;
    _cleanup_free_ char *v = xmalloc((size_t) vlen + 1);
    vlen = fgetxattr(fd, n, v, (size_t) vlen);
    if (vlen >= 0)
      archive_entry_xattr_add_entry(e, n, v, (size_t) vlen);
  }
}

/* The first name written for a multiply linked inode, or NULL when this is
 * the first (then remembered as tarname). */
static const char *link_first(tar_out *o, const struct stat *st, const char *tarname)
{
  link_node key = { .dev = st->st_dev, .ino = st->st_ino };
  link_node **hit = tfind(&key, &o->links, link_cmp);
  if (hit)
    return (*hit)->name;
  link_node *l = xmalloc(sizeof *l);
  *l = key;
  l->name = xstrdup(tarname);
  tsearch(l, &o->links, link_cmp);
  return NULL;
}

static int put_data(tar_out *o, int fd, int64_t size, const char *tarname, crio_err **err)
{
  while (size > 0) {
    size_t want = size < (int64_t) sizeof o->buf ? (size_t) size : sizeof o->buf;
    ssize_t n = read(fd, o->buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "%s: read %s", o->what, tarname);
    if (n == 0)
      break;  /* the file shrank meanwhile: the writer pads the entry with zeros */
    if (archive_write_data(o->a, o->buf, (size_t) n) < 0)
      return out_error(o, err);
    size -= n;
  }
  return 0;
}

/* Opens a file or directory to read its data and xattrs: *fd stays -1 when
 * it vanished or was replaced since st was taken. */
static int open_for_entry(tar_out *o, int dfd, const char *name, const struct stat *st,
                          const char *tarname, int *fd, crio_err **err)
{
  int flags = S_ISDIR(st->st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK;
  int f = reopen_node(dfd, name, flags);
  if (f < 0)
    return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
               ? 0
               : crio_err_errno(err, CRIO_E_IO, errno, "%s: open %s", o->what, tarname);
  struct stat now;
  if (fstat(f, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
    close(f);
    return 0;
  }
  *fd = f;
  return 0;
}

/* The entry for name in dfd (see reopen_node), named tarname. */
static int put_node(tar_out *o, int dfd, const char *name, const char *tarname,
                    const struct stat *st, crio_err **err)
{
  if (S_ISSOCK(st->st_mode))
    return 0;
  struct archive_entry *e = archive_entry_clear(o->e);
  archive_entry_copy_stat(e, st);
  archive_entry_unset_atime(e);
  archive_entry_unset_ctime(e);
  archive_entry_unset_birthtime(e);
  archive_entry_set_pathname(e, tarname);
  if (!S_ISREG(st->st_mode))
    archive_entry_set_size(e, 0);
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX + 1];
    ssize_t n = readlinkat(dfd, name ? name : "", target, PATH_MAX);
    if (n < 0)
      return errno == ENOENT ? 0
                             : crio_err_errno(err, CRIO_E_IO, errno, "%s: read symlink %s",
                                              o->what, tarname);
    target[n] = '\0';
    archive_entry_set_symlink(e, target);
  }
  if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
    const char *first = link_first(o, st, tarname);
    if (first) {
      archive_entry_set_hardlink(e, first);
      archive_entry_set_size(e, 0);
      return archive_write_header(o->a, e) < ARCHIVE_WARN ? out_error(o, err) : 0;
    }
  }
  _cleanup_close_ int fd = -1;
  if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
    int r = open_for_entry(o, dfd, name, st, tarname, &fd, err);
    if (r < 0 || fd < 0)
      return r;
    add_xattrs(e, fd);
  }
  if (archive_write_header(o->a, e) < ARCHIVE_WARN)
    return out_error(o, err);
  return S_ISREG(st->st_mode) ? put_data(o, fd, st->st_size, tarname, err) : 0;
}

static int not_dots(const struct dirent *d)
{
  return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int dirent_cmp(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

static char *join_rel(const char *a, const char *b)
{
  return a[0] ? xasprintf("%s/%s", a, b) : xstrdup(b);
}

static int put_tree(tar_out *o, int wfd, const char *rel, const char *prefix, crio_err **err);

static int put_child(tar_out *o, int wfd, int *dfd, const char *rel, const char *name,
                     const char *prefix, crio_err **err)
{
  struct stat st;
  if (fstatat(*dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0
                           : crio_err_errno(err, CRIO_E_IO, errno, "%s: stat /%s/%s", o->what,
                                            rel, name);
  _cleanup_free_ char *tarname = join_rel(prefix, name);
  int r = put_node(o, *dfd, name, tarname, &st, err);
  if (r < 0 || !S_ISDIR(st.st_mode) || st.st_dev != o->dev)
    return r;
  close(*dfd);  /* one directory open at a time, whatever the depth */
  *dfd = -1;
  _cleanup_free_ char *child = join_rel(rel, name);
  return put_tree(o, wfd, child, tarname, err);
}

/* What directory rel below wfd holds, named prefix/NAME, in name order. */
static int put_tree(tar_out *o, int wfd, const char *rel, const char *prefix, crio_err **err)
{
  const uint64_t how = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int dfd = openat2_retry(wfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, how);
  struct dirent **names = NULL;
  int n = dfd < 0 ? -1 : scandirat(dfd, ".", &names, not_dots, dirent_cmp);
  if (n < 0) {
    int e = errno;
    if (dfd >= 0)
      close(dfd);
    return rel[0] && (e == ENOENT || e == ENOTDIR || e == ELOOP)
               ? 0  /* replaced by the running container meanwhile */
               : crio_err_errno(err, CRIO_E_IO, e, "%s: read directory /%s", o->what, rel);
  }
  int r = 0;
  for (int i = 0; i < n; i++) {
    if (r == 0 && dfd < 0)
      dfd = openat2_retry(wfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, how);
    if (r == 0 && dfd >= 0)
      r = put_child(o, wfd, &dfd, rel, names[i]->d_name, prefix, err);
    free(names[i]);
  }
  free(names);
  if (dfd >= 0)
    close(dfd);
  return r;
}

int rootfs_export(const char *root, int fd, crio_err **err)
{
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (rootfd < 0 || fstat(rootfd, &st) < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "export: open container rootfs %s", root);
  _cleanup_free_ char *what = xasprintf("export %s", root);
  utf8_scope loc;
  utf8_enter(&loc);
  tar_out *o = out_new(fd, what, st.st_dev);
  int r = out_open(o, err);
  if (r == 0)
    r = put_tree(o, rootfd, "", "", err);
  r = out_finish(o, r, err);
  utf8_leave(&loc);
  return r;
}

/* "/etc/hosts" → rel "etc/hosts", base "hosts"; "/", "/etc/." → the
 * directory's contents (*base NULL). */
static int split_ctr_path(const char *path, char **rel, char **base, crio_err **err)
{
  while (*path == '/')
    path++;
  size_t len = strlen(path);
  while (len && path[len - 1] == '/')
    len--;
  *rel = len ? xstrndup(path, len) : xstrdup(".");
  const char *slash = strrchr(*rel, '/');
  const char *last = slash ? slash + 1 : *rel;
  *base = strcmp(last, ".") ? xstrdup(last) : NULL;
  if (*base && !strcmp(*base, ".."))
    return crio_err_set(err, CRIO_E_INVALID, "copy from the container: %s does not name a file",
                        path);
  return 0;
}

int rootfs_copy_out(const char *root, const char *path_in_container, int fd, crio_err **err)
{
  _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "copy from the container: open container rootfs %s", root);
  _cleanup_free_ char *rel = NULL, *base = NULL;
  int r = split_ctr_path(path_in_container, &rel, &base, err);
  if (r < 0)
    return r;
  _cleanup_close_ int node =
      openat2_retry(rootfd, rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  struct stat st;
  if (node < 0 && (errno == ENOENT || errno == ENOTDIR))
    return crio_err_set(err, CRIO_E_NOT_FOUND, "no such file or directory in the container: %s",
                        path_in_container);
  if (node < 0 || fstat(node, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "copy from the container: open %s in %s",
                          path_in_container, root);
  if (!base && !S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "not a directory in the container: %s",
                        path_in_container);
  _cleanup_free_ char *what = xasprintf("copy %s from the container", path_in_container);
  utf8_scope loc;
  utf8_enter(&loc);
  tar_out *o = out_new(fd, what, st.st_dev);
  r = out_open(o, err);
  if (r == 0 && base)
    r = put_node(o, node, NULL, base, &st, err);
  if (r == 0 && S_ISDIR(st.st_mode))
    r = put_tree(o, node, "", base ? base : "", err);
  r = out_finish(o, r, err);
  utf8_leave(&loc);
  return r;
}

/* ---------------------------------------------------------------- reading */

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
  int fd = openat2_retry(t->destfd, rel, O_PATH | O_DIRECTORY, how);
  if (fd >= 0 || errno != ENOENT || !create)
    return fd >= 0 ? fd : in_resolve_error(t, rel, err);
  _cleanup_free_ char *p = xstrdup(rel);
  _cleanup_close_ int prev = -1;
  for (char *comp = p, *end;; comp = end + 1) {
    end = strchrnul(comp, '/');
    bool last = !*end;
    *end = '\0';
    fd = openat2_retry(t->destfd, p, O_PATH | O_DIRECTORY, how);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(prev >= 0 ? prev : t->destfd, comp, 0755) < 0 && errno != EEXIST)
        return crio_err_errno(err, CRIO_E_IO, errno, "%s: tar entry %s: make directory %s",
                              t->what, t->raw, p);
      fd = openat2_retry(t->destfd, p, O_PATH | O_DIRECTORY, how);
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
    _cleanup_close_ int fd = openat2_retry(t->destfd, t->dirs[i].rel,
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
  _cleanup_close_ int destfd = openat2_retry(rootfd, rel, O_PATH | O_DIRECTORY,
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
  utf8_enter(&loc);
  int r = in_stream(t, fd, err);
  in_dir_times(t);
  utf8_leave(&loc);
  archive_read_free(t->a);
  archive_entry_free(t->e);
  free(t);
  return r;
}
