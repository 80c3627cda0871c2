#include <limits.h>

#include "container.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int pod_stop_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  long long timeout = 10;
  int r = kpod_args_int(args, "time", 0, INT_MAX, &timeout, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *suffix = xasprintf("/stop?timeout=%lld", timeout);
  kpod_each_op op = {
    .kind = "pods", .method = "POST", .suffix = suffix, .list_path = "/v1/pods",
    .print_answer_id = 1,
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag pod_stop_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Stop all running pods" },
  { "ignore", 'i', KPOD_FLAG_BOOL, NULL, "Ignore errors when a specified pod is missing" },
  { "time", 't', KPOD_FLAG_STRING, "uint",
    "Seconds to wait for pod stop before killing the container (default 10)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pod_stop = {
  .name = "stop",
  .summary = "Stop one or more pods",
  .usage = "[options] POD [POD...]",
  .description = "Stops every container of each pod (POST /v1/pods/{id}/stop) and prints the\n"
                 "pod's ID; the pod becomes NOTREADY. Stopping a stopped pod succeeds.",
  .examples = "kpod pod stop mywebserverpod\n"
              "kpod pod stop -t 2 490eb241aaf7\n"
              "kpod pod stop --all",
  .flags = pod_stop_flags,
  .min_args = 0,
  .max_args = -1,
  .run = pod_stop_run,
};
