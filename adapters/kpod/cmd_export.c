#include <unistd.h>

#include "container.h"
#include "download.h"
#include "util/cleanup.h"

static int export_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *output = kpod_args_string(args, "output");
  if ((!output || !*output) && isatty(fileno(ctx->out)))
    return crio_err_set(err, CRIO_E_INVALID,
                        "refusing to export to terminal. Use -o flag or redirect");
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_object_path("containers", args->positional[0], "/export");
  if (output && *output)
    return kpod_download_to_file(c, path, output, err);
  return kpod_download_to_stream(c, path, ctx->out, "stdout", err);
}

static const kpod_flag export_flags[] = {
  { "output", 'o', KPOD_FLAG_STRING, "string", "Write to a specified file (default: stdout, which "
    "must be redirected)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_export = {
  .name = "export",
  .summary = "Export container's filesystem contents as a tar archive",
  .usage = "[options] CONTAINER",
  .description = "Writes the whole root file system of a container as a tarball (GET\n"
                 "/v1/containers/{id}/export), streamed to the file of -o or to stdout, which\n"
                 "must not be a terminal.",
  .examples = "kpod export -o mycontainer.tar mycontainer\n"
              "kpod export 860a4b23 > rootfs.tar\n"
              "kpod export mycontainer | tar -t",
  .flags = export_flags,
  .min_args = 1,
  .max_args = 1,
  .run = export_run,
};
