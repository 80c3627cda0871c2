#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

typedef struct save_sink {
  FILE *f;          /* stdout, or */
  int fd;           /* the output file */
  const char *name; /* for messages */
} save_sink;

static int save_write(const char *data, size_t len, void *userdata, crio_err **err)
{
  save_sink *s = userdata;
  if (s->f) {
    if (fwrite(data, 1, len, s->f) != len)
      return crio_err_errno(err, CRIO_E_IO, errno, "write the archive to %s", s->name);
    return 0;
  }
  while (len > 0) {
    ssize_t n = write(s->fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "write the archive to %s", s->name);
    data += n;
    len -= (size_t) n;
  }
  return 0;
}

static int save_check_format(const char *format, crio_err **err)
{
  if (strcmp(format, "docker-archive") == 0 || strcmp(format, "oci-archive") == 0)
    return 0;
  return crio_err_set(err, CRIO_E_INVALID,
                      "unsupported format \"%s\": must be docker-archive or oci-archive", format);
}

/* A regular file is written beside its place and renamed over it when
 * complete, so a failed save leaves no truncated archive; anything else
 * (/dev/stdout, a FIFO) is written in place. */
static int save_to_file(kpod_client *c, const char *url, const char *output, crio_err **err)
{
  struct stat st;
  if (stat(output, &st) == 0 && S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "%s is a directory: -o takes a file", output);
  if (stat(output, &st) == 0 && !S_ISREG(st.st_mode)) {
    _cleanup_close_ int fd = open(output, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "open %s", output);
    save_sink sink = { .fd = fd, .name = output };
    return kpod_client_download(c, url, save_write, &sink, err);
  }
  _cleanup_free_ char *tmp = xasprintf("%s.kpod-XXXXXX", output);
  _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", output);
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  save_sink sink = { .fd = fd, .name = output };
  int r = kpod_client_download(c, url, save_write, &sink, err);
  if (r == 0 && fsync(fd) < 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "write %s", output);
  if (r == 0 && rename(tmp, output) < 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "rename %s to %s", tmp, output);
  if (r < 0)
    unlink(tmp);
  return r;
}

static int save_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  const char *output = kpod_args_string(args, "output");
  format = format ? format : "docker-archive";
  int r = save_check_format(format, err);
  if (r < 0)
    return r;
  if ((!output || !*output) && isatty(fileno(ctx->out)))
    return crio_err_set(err, CRIO_E_INVALID,
                        "refusing to save to terminal. Use -o flag or redirect");
  kpod_client *c;
  r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_image_path(args->positional[0], "/save");
  _cleanup_free_ char *url = xasprintf("%s?format=%s", path, format);
  if (output && *output)
    return save_to_file(c, url, output, err);
  save_sink sink = { .f = ctx->out, .name = "stdout" };
  return kpod_client_download(c, url, save_write, &sink, err);
}

static const kpod_flag save_flags[] = {
  { "format", 0, KPOD_FLAG_STRING, "format",
    "Save image to oci-archive or docker-archive (default docker-archive)" },
  { "output", 'o', KPOD_FLAG_STRING, "string", "Write to a specified file (default: stdout)" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Suppress the output (kpod prints none)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_save = {
  .name = "save",
  .summary = "Save image to an archive",
  .usage = "[options] IMAGE",
  .description = "Saves an image as a tarball (GET /v1/images/{name}/save), streamed to the\n"
                 "file of -o or to stdout, which must not be a terminal. kpod load reads it.",
  .examples = "kpod save --output alpine.tar alpine:3.19\n"
              "kpod save --format oci-archive -o alpine-oci.tar alpine\n"
              "kpod save alpine | gzip > alpine.tar.gz",
  .flags = save_flags,
  .min_args = 1,
  .max_args = 1,
  .run = save_run,
};
