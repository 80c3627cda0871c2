#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "download.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int save_check_format(const char *format, crio_err **err)
{
  if (strcmp(format, "docker-archive") == 0 || strcmp(format, "oci-archive") == 0)
    return 0;
  return crio_err_set(err, CRIO_E_INVALID,
                      "unsupported format \"%s\": must be docker-archive or oci-archive", format);
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
    return kpod_download_to_file(c, url, output, err);
  return kpod_download_to_stream(c, url, ctx->out, "stdout", err);
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
