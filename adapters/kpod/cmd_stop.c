#include <limits.h>

#include "container.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int stop_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  long long timeout = 10;
  int r = kpod_args_int(args, "time", 0, INT_MAX, &timeout, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *suffix = xasprintf("/stop?timeout=%lld", timeout);
  kpod_each_op op = {
    .kind = "containers", .method = "POST", .suffix = suffix, .list_path = "/v1/containers",
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag stop_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Stop all running containers" },
  { "ignore", 'i', KPOD_FLAG_BOOL, NULL, "Ignore errors when a specified container is missing" },
  { "time", 't', KPOD_FLAG_STRING, "uint",
    "Seconds to wait for stop before killing the container (default 10)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_stop = {
  .name = "stop",
  .summary = "Stop one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Stops containers (POST /v1/containers/{id}/stop): the stop signal (the\n"
                 "container's, else SIGTERM), then SIGKILL after --time seconds. Each stopped\n"
                 "container is printed as it was named; stopping a stopped one succeeds.",
  .examples = "kpod stop mywebserver\n"
              "kpod stop -t 2 860a4b231279 5421ab43b45\n"
              "kpod stop --all",
  .flags = stop_flags,
  .min_args = 0,
  .max_args = -1,
  .run = stop_run,
};
