/* Tar streams of a container's rootfs. Writing: a walk of the tree with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), one directory descriptor
 * open at a time (its names are read, then it is reopened after each
 * subdirectory), into libarchive's pax writer with a write callback that
 * turns SIGPIPE into EPIPE. Reading: libarchive's tar reader, every entry
 * created with *at() calls relative to its parent directory, which is
 * reached from the destination with openat2(RESOLVE_BENEATH). */
#include "server/image/rootfs_archive.h"
#include "server/image/rootfs_archive_internal.h"

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

int rootfs__openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
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

void rootfs__utf8_enter(utf8_scope *s)
{
  s->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  s->old = s->utf8 ? uselocale(s->utf8) : (locale_t) 0;
}

void rootfs__utf8_leave(utf8_scope *s)
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
  int dfd = rootfs__openat2(wfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, how);
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
      dfd = rootfs__openat2(wfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, how);
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
  rootfs__utf8_enter(&loc);
  tar_out *o = out_new(fd, what, st.st_dev);
  int r = out_open(o, err);
  if (r == 0)
    r = put_tree(o, rootfd, "", "", err);
  r = out_finish(o, r, err);
  rootfs__utf8_leave(&loc);
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
      rootfs__openat2(rootfd, rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
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
  rootfs__utf8_enter(&loc);
  tar_out *o = out_new(fd, what, st.st_dev);
  r = out_open(o, err);
  if (r == 0 && base)
    r = put_node(o, node, NULL, base, &st, err);
  if (r == 0 && S_ISDIR(st.st_mode))
    r = put_tree(o, node, "", base ? base : "", err);
  r = out_finish(o, r, err);
  rootfs__utf8_leave(&loc);
  return r;
}
