#include "container.h"

static int pod_rm_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_each_op op = {
    .kind = "pods", .method = "DELETE",
    .suffix = kpod_args_bool(args, "force") ? "?force=true" : NULL,
    .list_path = "/v1/pods", .print_answer_id = 1, .rm_codes = 1,
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag pod_rm_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Remove all pods" },
  { "force", 'f', KPOD_FLAG_BOOL, NULL,
    "Force removal of a pod with containers: they are stopped and removed" },
  { "ignore", 'i', KPOD_FLAG_BOOL, NULL, "Ignore errors when a specified pod is missing" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pod_rm = {
  .name = "rm",
  .summary = "Remove one or more pods",
  .usage = "[options] POD [POD...]",
  .description = "Removes pods (DELETE /v1/pods/{id}) and prints each pod's ID. A pod that\n"
                 "still has containers is removed only with --force, which stops and removes\n"
                 "them.",
  .examples = "kpod pod rm mywebserverpod\n"
              "kpod pod rm -f 490eb241aaf7\n"
              "kpod pod rm --all --force",
  .flags = pod_rm_flags,
  .min_args = 0,
  .max_args = -1,
  .run = pod_rm_run,
};
