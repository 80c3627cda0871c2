#include "container.h"

static int rm_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int force = kpod_args_bool(args, "force");
  kpod_each_op op = {
    .kind = "containers", .method = "DELETE", .suffix = force ? "?force=true" : NULL,
    .list_path = "/v1/containers?all=true", .rm_codes = 1,
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag rm_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Remove all containers" },
  { "force", 'f', KPOD_FLAG_BOOL, NULL, "Force removal of a running or unusable container" },
  { "ignore", 'i', KPOD_FLAG_BOOL, NULL, "Ignore errors when a specified container is missing" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_rm = {
  .name = "rm",
  .summary = "Remove one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Removes containers (DELETE /v1/containers/{id}) and prints each as it was\n"
                 "named. A running container is removed only with --force, which kills it\n"
                 "first. Images are not removed.",
  .examples = "kpod rm mywebserver myflaskserver 860a4b23\n"
              "kpod rm --force --all\n"
              "kpod rm -f c684f0d469f2",
  .flags = rm_flags,
  .min_args = 0,
  .max_args = -1,
  .run = rm_run,
};
