#include "command.h"
#include "format.h"
#include "jsonutil.h"

static int info_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  int r = kpod_format_check(format, err);
  if (r < 0)
    return r;
  kpod_client *c;
  r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *info = NULL;
  r = kpod_client_request(c, "GET", "/v1/info", NULL, &info, err);
  if (r < 0)
    return r;
  if (!json_is_object(info))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET /v1/info with no object");
  return kpod_format_write(ctx->out, format, info, kpod_yaml_print, err);
}

static const kpod_flag info_flags[] = {
  { "format", 'f', KPOD_FLAG_STRING, "string",
    "Change the output format to JSON or a Go template" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_info = {
  .name = "info",
  .summary = "Display crio system information",
  .usage = "[options]",
  .description = "Display information about the crio daemon and its host: versions, the OCI\n"
                 "runtime and conmon, storage, registries, networking and object counts\n"
                 "(GET /v1/info). The default output is YAML, as podman info prints it.",
  .examples = "kpod info\n"
              "kpod info --format json\n"
              "kpod info --format '{{.Host.Kernel}}'\n"
              "kpod info --format '{{json .Store}}'",
  .flags = info_flags,
  .min_args = 0,
  .max_args = 0,
  .run = info_run,
};
