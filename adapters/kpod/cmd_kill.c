#include "container.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int kill_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *signal = kpod_args_string(args, "signal");
  _cleanup_strbuf_ strbuf suffix = STRBUF_INIT;
  kpod_query_add(&suffix, "signal", signal && *signal ? signal : "KILL");
  _cleanup_free_ char *path_suffix = xasprintf("/kill%s", suffix.data);
  kpod_each_op op = {
    .kind = "containers", .method = "POST", .suffix = path_suffix,
    .list_path = "/v1/containers",
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag kill_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Signal all running containers" },
  { "signal", 's', KPOD_FLAG_STRING, "string",
    "Signal to send to the container (default \"KILL\")" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_kill = {
  .name = "kill",
  .summary = "Kill one or more running containers with a specific signal",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Sends a signal to running containers (POST /v1/containers/{id}/kill),\n"
                 "SIGKILL unless --signal names another (KILL, SIGTERM, 15), and prints each\n"
                 "container as it was named.",
  .examples = "kpod kill mywebserver\n"
              "kpod kill --signal TERM 860a4b231279\n"
              "kpod kill --all",
  .flags = kill_flags,
  .min_args = 0,
  .max_args = -1,
  .run = kill_run,
};
