#include "download.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct download_sink {
  FILE *f;          /* a stream, or */
  int fd;           /* the output file */
  const char *name; /* for messages */
} download_sink;

static int download_write(const char *data, size_t len, void *userdata, crio_err **err)
{
  download_sink *s = userdata;
  if (s->f) {
    if (fwrite(data, 1, len, s->f) != len)
      return crio_err_errno(err, CRIO_E_IO, errno, "write to %s", s->name);
    return 0;
  }
  while (len > 0) {
    ssize_t n = write(s->fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "write to %s", s->name);
    data += n;
    len -= (size_t) n;
  }
  return 0;
}

int kpod_download_to_stream(kpod_client *c, const char *path, FILE *f, const char *name,
                            crio_err **err)
{
  download_sink sink = { .f = f, .fd = -1, .name = name };
  int r = kpod_client_download(c, path, download_write, &sink, err);
  if (r == 0 && fflush(f) != 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "write to %s", name);
  return r;
}

static int download_in_place(kpod_client *c, const char *path, const char *output,
                             crio_err **err)
{
  _cleanup_close_ int fd = open(output, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open %s", output);
  download_sink sink = { .fd = fd, .name = output };
  return kpod_client_download(c, path, download_write, &sink, err);
}

int kpod_download_to_file(kpod_client *c, const char *path, const char *output, crio_err **err)
{
  struct stat st;
  if (stat(output, &st) == 0 && S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "%s is a directory: -o takes a file", output);
  if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
    return download_in_place(c, path, output, err);
  _cleanup_free_ char *tmp = xasprintf("%s.kpod-XXXXXX", output);
  _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", output);
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) < 0) {
    unlink(tmp);
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", output);
  }
  download_sink sink = { .fd = fd, .name = output };
  int r = kpod_client_download(c, path, download_write, &sink, err);
  if (r == 0 && fsync(fd) < 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "write %s", output);
  if (r == 0 && rename(tmp, output) < 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "rename %s to %s", tmp, output);
  if (r < 0)
    unlink(tmp);
  return r;
}
