#include "container.h"

static int unpause_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  static const kpod_each_op op = {
    .kind = "containers", .method = "POST", .suffix = "/unpause",
    .list_path = "/v1/containers?all=true&filter=status%3Dpaused",
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag unpause_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Unpause all paused containers" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_unpause = {
  .name = "unpause",
  .summary = "Unpause the processes in one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Thaws paused containers (POST /v1/containers/{id}/unpause) and prints each\n"
                 "as it was named.",
  .examples = "kpod unpause mywebserver\nkpod unpause --all",
  .flags = unpause_flags,
  .min_args = 0,
  .max_args = -1,
  .run = unpause_run,
};
