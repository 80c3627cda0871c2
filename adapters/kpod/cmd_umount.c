#include <string.h>

#include "container.h"
#include "jsonutil.h"
#include "util/cleanup.h"

/* --all: every container that is not running (crio keeps a running
 * container's rootfs mounted; podman's --all skips it too). */
static int umount_all_names(kpod_client *c, json_t *names, crio_err **err)
{
  _cleanup_json_ json_t *list = NULL;
  int r = kpod_client_request(c, "GET", "/v1/containers?all=true", NULL, &list, err);
  if (r < 0)
    return r;
  size_t i;
  json_t *ctr;
  json_array_foreach(list, i, ctr) {
    const char *state = kpod_json_str(ctr, "state", "");
    if (strcmp(state, "running") != 0 && strcmp(state, "paused") != 0 &&
        json_is_string(json_object_get(ctr, "id")))
      json_array_append(names, json_object_get(ctr, "id"));
  }
  return 0;
}

static int umount_names(kpod_client *c, const kpod_args *args, json_t *names, crio_err **err)
{
  int all = kpod_args_bool(args, "all");
  if (all && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "--all and containers cannot be used together");
  if (!all && !args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "container ID must be specified");
  for (size_t i = 0; i < args->npositional; i++)
    json_array_append_new(names, json_string(args->positional[i]));
  return all ? umount_all_names(c, names, err) : 0;
}

static int umount_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  _cleanup_json_ json_t *names = json_array();
  if (r == 0)
    r = umount_names(c, args, names, err);
  if (r < 0)
    return r;
  kpod_batch b = { .errors = STRBUF_INIT };
  size_t i;
  json_t *name;
  json_array_foreach(names, i, name) {
    const char *n = json_string_value(name);
    _cleanup_free_ char *path = kpod_object_path("containers", n, "/unmount");
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
    fprintf(ctx->out, "%s\n", kpod_json_str(res, "id", n));
    fflush(ctx->out);
  }
  return kpod_batch_finish(ctx, &b, 0);
}

static const kpod_flag umount_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Umount all of the currently mounted containers" },
  { "force", 'f', KPOD_FLAG_BOOL, NULL,
    "Accepted for podman's command lines: crio unmounts the rootfs completely" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_umount = {
  .name = "umount",
  .summary = "Unmount working container's root filesystem",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .description = "Unmounts the root file system of each container that is not running (POST\n"
                 "/v1/containers/{id}/unmount) and prints its ID.",
  .examples = "kpod umount mycontainer\n"
              "kpod unmount 860a4b23 mywebserver\n"
              "kpod umount --all",
  .flags = umount_flags,
  .min_args = 0,
  .max_args = -1,
  .run = umount_run,
  .aliases = "unmount",
};
