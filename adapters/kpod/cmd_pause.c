#include "container.h"

static int pause_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  static const kpod_each_op op = {
    .kind = "containers", .method = "POST", .suffix = "/pause",
    .list_path = "/v1/containers?filter=status%3Drunning",
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag pause_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Pause all running containers" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pause = {
  .name = "pause",
  .summary = "Pause all the processes in one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Freezes running containers (POST /v1/containers/{id}/pause) and prints each\n"
                 "as it was named.",
  .examples = "kpod pause mywebserver\nkpod pause --all",
  .flags = pause_flags,
  .min_args = 0,
  .max_args = -1,
  .run = pause_run,
};
