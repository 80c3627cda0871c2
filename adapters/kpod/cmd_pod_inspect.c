#include "container.h"

static int pod_inspect_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  return kpod_inspect_objects(ctx, "pod", kpod_args_string(args, "format"), args->positional,
                              args->npositional, err);
}

static const kpod_flag pod_inspect_flags[] = {
  { "format", 'f', KPOD_FLAG_STRING, "string", "Format the output to a Go template or json" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pod_inspect = {
  .name = "inspect",
  .summary = "Display a pod configuration",
  .usage = "[options] POD [POD...]",
  .description = "Displays pods (GET /v1/pods/{id}) as a JSON array, or each pod through a Go\n"
                 "template with --format.",
  .examples = "kpod pod inspect mywebserverpod\n"
              "kpod pod inspect --format \"{{.Name}} {{.State}} {{.Ips}}\" 490eb241aaf7",
  .flags = pod_inspect_flags,
  .min_args = 1,
  .max_args = -1,
  .run = pod_inspect_run,
};
