#include <limits.h>

#include "container.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static int logs_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  long long tail = -1;
  int r = kpod_args_int(args, "tail", LLONG_MIN, LLONG_MAX, &tail, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  if (kpod_args_bool(args, "follow"))
    kpod_query_add(&q, "follow", "true");
  const char *since = kpod_args_string(args, "since");
  if (since)
    kpod_query_add(&q, "since", since);
  if (tail >= 0) { /* podman: any negative is all of it */
    char n[32];
    snprintf(n, sizeof n, "%lld", tail);
    kpod_query_add(&q, "tail", n);
  }
  return kpod_container_logs(ctx, args->positional[0], q.data, kpod_args_bool(args, "timestamps"),
                             err);
}

static const kpod_flag logs_flags[] = {
  { "follow", 'f', KPOD_FLAG_BOOL, NULL, "Follow log output" },
  { "since", 0, KPOD_FLAG_STRING, "string",
    "Show logs since TIMESTAMP (RFC 3339, Unix seconds, or a duration such as 10m)" },
  { "tail", 0, KPOD_FLAG_STRING, "int",
    "Output the specified number of LINES at the end of the logs (default -1: all)" },
  { "timestamps", 't', KPOD_FLAG_BOOL, NULL, "Output the timestamps in the log" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_logs = {
  .name = "logs",
  .summary = "Fetch the logs of a container",
  .usage = "[options] CONTAINER",
  .description = "Prints the log of a container (GET /v1/containers/{id}/logs): what it wrote\n"
                 "on stdout to stdout, on stderr to stderr. With --follow, new output is\n"
                 "printed until the container exits.",
  .examples = "kpod logs mywebserver\n"
              "kpod logs --tail 10 --timestamps 860a4b23\n"
              "kpod logs -f --since 10m mywebserver",
  .flags = logs_flags,
  .min_args = 1,
  .max_args = 1,
  .run = logs_run,
};
