#include "container.h"
#include "image.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int rename_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (!*args->positional[1])
    return crio_err_set(err, CRIO_E_INVALID, "must provide a new name for the container");
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  kpod_query_add(&q, "name", args->positional[1]);
  _cleanup_free_ char *suffix = xasprintf("/rename%s", q.data);
  _cleanup_free_ char *path = kpod_object_path("containers", args->positional[0], suffix);
  _cleanup_json_ json_t *res = NULL;
  return kpod_client_request(c, "POST", path, NULL, &res, err);
}

static const kpod_flag rename_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_rename = {
  .name = "rename",
  .summary = "Rename an existing container",
  .usage = "CONTAINER NAME",
  .description = "Gives a container a new name (POST /v1/containers/{id}/rename).",
  .examples = "kpod rename focused_cori mywebserver\n"
              "kpod rename 6e7514b47180 databaseCtr",
  .flags = rename_flags,
  .min_args = 2,
  .max_args = 2,
  .run = rename_run,
};
