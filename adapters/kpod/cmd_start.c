#include "container.h"
#include "jsonutil.h"
#include "util/cleanup.h"

/* --attach: one container, followed as `kpod run` follows it. */
static int start_attach(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (args->npositional != 1)
    return crio_err_set(err, CRIO_E_INVALID,
                        "you cannot start and attach multiple containers at once");
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_object_path("containers", args->positional[0], "/start");
  _cleanup_json_ json_t *started = NULL;
  r = kpod_client_request(c, "POST", path, NULL, &started, err);
  if (r < 0)
    return r;
  const char *id = kpod_json_str(started, "id", args->positional[0]);
  return kpod_container_follow(ctx, id, 0, err);
}

static int start_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (kpod_args_bool(args, "attach"))
    return start_attach(ctx, args, err);
  static const kpod_each_op op = {
    .kind = "containers", .method = "POST", .suffix = "/start",
    .list_path = "/v1/containers?all=true&filter=status%3Dcreated",
  };
  return kpod_each_run(ctx, args, &op, err);
}

static const kpod_flag start_flags[] = {
  { "all", 0, KPOD_FLAG_BOOL, NULL, "Start all created containers" },
  { "attach", 'a', KPOD_FLAG_BOOL, NULL,
    "Print the container's output until it exits, and exit with its exit code" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_start = {
  .name = "start",
  .summary = "Start one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Starts created containers (POST /v1/containers/{id}/start) and prints each\n"
                 "as it was named. With --attach, one container's output is printed until it\n"
                 "exits, as `kpod run` does, and kpod exits with its exit code.",
  .examples = "kpod start mywebserver\n"
              "kpod start --attach 860a4b231279\n"
              "kpod start --all",
  .flags = start_flags,
  .min_args = 0,
  .max_args = -1,
  .run = start_run,
};
