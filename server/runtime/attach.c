/* conmon's attach socket and control FIFO, from the client's side. */
#include "server/runtime/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define CONMON_STDOUT_PIPE 2
#define CONMON_STDERR_PIPE 3
#define CONMON_WIN_RESIZE_EVENT 1
#define CONMON_REOPEN_LOGS_EVENT 2
/* conmon reads stdin in 32 KiB; a larger seqpacket message would be cut */
#define ATTACH_STDIN_CHUNK 8192

/* SOCKET_DIR/<id>, the symlink to the bundle, named as conmon names it: one
 * character shorter when it would be exactly as long as an address (so the
 * symlink never collides with a socket of that name). */
static char *attach_dir(const char *socket_dir, const char *id)
{
  struct sockaddr_un addr;
  char *dir = path_join(socket_dir, id);
  if (strlen(dir) == sizeof addr.sun_path - 1)
    dir[sizeof addr.sun_path - 2] = '\0';
  return dir;
}

static crio_code connect_code(int e)
{
  if (e == ENOENT || e == ENOTDIR)
    return CRIO_E_NOT_FOUND;
  if (e == ECONNREFUSED)
    return CRIO_E_CONFLICT;
  return CRIO_E_IO;
}

int attach_open(const char *socket_dir, const char *id, int *fd, crio_err **err)
{
  *fd = -1;
  if (!socket_dir || !socket_dir[0] || !id || !id[0] || strchr(id, '/'))
    return crio_err_set(err, CRIO_E_INVALID, "attach: bad socket directory or container id \"%s\"",
                        id ? id : "");
  _cleanup_free_ char *dir = attach_dir(socket_dir, id);
  _cleanup_free_ char *path = path_join(dir, "attach");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int dir_fd = -1;
  if (strlen(path) < sizeof addr.sun_path) {
    memcpy(addr.sun_path, path, strlen(path) + 1);
  } else {
    dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
      return crio_err_errno(err, connect_code(errno), errno, "attach to container %s: open %s", id,
                            dir);
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dir_fd);
  }
  _cleanup_close_ int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "attach to container %s: socket", id);
  int r;
  do
    r = connect(s, (struct sockaddr *) &addr, sizeof addr);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return crio_err_errno(err, connect_code(errno), errno, "attach to container %s: connect %s", id,
                          path);
  *fd = steal_fd(&s);
  return 0;
}

int attach_read(int fd, int *stream, char *buf, size_t cap, size_t *n, crio_err **err)
{
  *stream = 0;
  *n = 0;
  unsigned char header = 0;
  struct iovec iov[2] = { { .iov_base = &header, .iov_len = 1 },
                          { .iov_base = buf, .iov_len = cap } };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t got;
  do
    got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "read attach socket %d", fd);
  if (got == 0)
    return 0;
  if (msg.msg_flags & MSG_TRUNC)
    return crio_err_set(err, CRIO_E_TOO_LARGE,
                        "read attach socket %d: message longer than the buffer of %zu bytes", fd,
                        cap);
  if (header != CONMON_STDOUT_PIPE && header != CONMON_STDERR_PIPE)
    return crio_err_set(err, CRIO_E_INTERNAL, "read attach socket %d: unknown stream %u", fd,
                        (unsigned) header);
  *stream = header == CONMON_STDOUT_PIPE ? 1 : 2;
  *n = (size_t) got - 1;
  return 0;
}

int attach_write_stdin(int fd, const void *buf, size_t n, crio_err **err)
{
  const char *p = buf;
  while (n > 0) {
    size_t chunk = n < ATTACH_STDIN_CHUNK ? n : ATTACH_STDIN_CHUNK;
    ssize_t w = send(fd, p, chunk, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return crio_err_errno(err,
                            errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN
                                ? CRIO_E_CONFLICT
                                : CRIO_E_IO,
                            errno, "write to attach socket %d", fd);
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

int attach_close_stdin(int fd, crio_err **err)
{
  if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
    return crio_err_errno(err, CRIO_E_IO, errno, "shut down attach socket %d for writing", fd);
  return 0;
}

/* Writes one "TYPE HEIGHT WIDTH\n" line to conmon's control FIFO. */
static int ctl_write(const char *ctl_path_or_bundle, const char *what, int type, unsigned rows,
                     unsigned cols, crio_err **err)
{
  if (!ctl_path_or_bundle || !ctl_path_or_bundle[0])
    return crio_err_set(err, CRIO_E_INVALID, "%s: no control fifo path", what);
  struct stat st;
  _cleanup_free_ char *path = NULL;
  if (stat(ctl_path_or_bundle, &st) == 0 && S_ISDIR(st.st_mode))
    path = path_join(ctl_path_or_bundle, "ctl");
  else
    path = xstrdup(ctl_path_or_bundle);
  /* O_NONBLOCK: ENXIO instead of blocking forever when conmon is gone */
  _cleanup_close_ int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err,
                          errno == ENOENT ? CRIO_E_NOT_FOUND
                          : errno == ENXIO ? CRIO_E_CONFLICT
                                           : CRIO_E_IO,
                          errno, "%s: open control fifo %s", what, path);
  if (fstat(fd, &st) == 0 && !S_ISFIFO(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "%s: %s is not a fifo", what, path);
  char line[64];
  int len = snprintf(line, sizeof line, "%d %u %u\n", type, rows, cols);
  ssize_t w;
  do
    w = write(fd, line, (size_t) len);
  while (w < 0 && errno == EINTR);
  if (w != len)   /* shorter than PIPE_BUF: all or nothing */
    return crio_err_errno(err, w < 0 && errno == EPIPE ? CRIO_E_CONFLICT : CRIO_E_IO,
                          w < 0 ? errno : EAGAIN, "%s: write control fifo %s", what, path);
  return 0;
}

int attach_resize(const char *ctl_path_or_bundle, unsigned short rows, unsigned short cols,
                  crio_err **err)
{
  return ctl_write(ctl_path_or_bundle, "resize", CONMON_WIN_RESIZE_EVENT, rows, cols, err);
}

int attach_reopen_log(const char *ctl_path_or_bundle, crio_err **err)
{
  return ctl_write(ctl_path_or_bundle, "reopen log", CONMON_REOPEN_LOGS_EVENT, 0, 0, err);
}
