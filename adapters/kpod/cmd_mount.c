
#include "container.h"
#include "jsonutil.h"
#include "util/cleanup.h"

/* The names to mount: those given, or with --all every container. */
static int mount_names(kpod_client *c, const kpod_args *args, json_t *names, crio_err **err)
{
  int all = kpod_args_bool(args, "all");
  if (all && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "--all and containers cannot be used together");
  if (!all && !args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "kpod mount: a container is required (crio's API "
                        "cannot list the mounted containers)");
  for (size_t i = 0; i < args->npositional; i++)
    json_array_append_new(names, json_string(args->positional[i]));
  if (!all)
    return 0;
  _cleanup_json_ json_t *list = NULL;
  int r = kpod_client_request(c, "GET", "/v1/containers?all=true", NULL, &list, err);
  if (r < 0)
    return r;
  size_t i;
  json_t *ctr;
  json_array_foreach(list, i, ctr)
    if (json_is_string(json_object_get(ctr, "id")))
      json_array_append(names, json_object_get(ctr, "id"));
  return 0;
}

static int mount_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  _cleanup_json_ json_t *names = json_array();
  if (r == 0)
    r = mount_names(c, args, names, err);
  if (r < 0)
    return r;
  kpod_batch b = { .errors = STRBUF_INIT };
  size_t i;
  json_t *name;
  json_array_foreach(names, i, name) {
    _cleanup_free_ char *path = kpod_object_path("containers", json_string_value(name), "/mount");
    _cleanup_json_ json_t *res = NULL;
    _cleanup_err_ crio_err *e = NULL;
    if (kpod_client_request(c, "POST", path, NULL, &res, &e) < 0) {
      if (e->code == CRIO_E_UNAVAILABLE) { /* no daemon: say it once */
        kpod_batch_finish(ctx, &b, 0);
        return crio_err_set(err, e->code, "%s", e->message);
      }
      kpod_batch_fail(&b, e);
      continue;
    }
    fprintf(ctx->out, "%s\n", kpod_json_str(res, "path", ""));
    fflush(ctx->out);
  }
  return kpod_batch_finish(ctx, &b, 0);
}

static const kpod_flag mount_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Mount all containers" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_mount = {
  .name = "mount",
  .summary = "Mount a working container's root filesystem",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Mounts the root file system of each container (POST\n"
                 "/v1/containers/{id}/mount) if it is not mounted yet, and prints where, one\n"
                 "path a line. The path is on the daemon's host.",
  .examples = "kpod mount mycontainer\n"
              "kpod mount 860a4b23 mywebserver\n"
              "ls \"$(kpod mount mycontainer)\"/etc",
  .flags = mount_flags,
  .min_args = 0,
  .max_args = -1,
  .run = mount_run,
};
