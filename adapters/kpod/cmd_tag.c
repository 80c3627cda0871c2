#include "command.h"
#include "image.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int tag_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_image_path(args->positional[0], "/tag");
  for (size_t i = 1; i < args->npositional; i++) {
    _cleanup_strbuf_ strbuf url = STRBUF_INIT;
    strbuf_puts(&url, path);
    strbuf_puts(&url, "?target=");
    _cleanup_free_ char *target = kpod_url_escape(args->positional[i]);
    strbuf_puts(&url, target);
    _cleanup_json_ json_t *res = NULL;
    r = kpod_client_request(c, "POST", url.data, NULL, &res, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static const kpod_flag tag_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_tag = {
  .name = "tag",
  .summary = "Add an additional name to a local image",
  .usage = "IMAGE TARGET_NAME [TARGET_NAME...]",
  .description = "Adds one or more names to an image in crio's store\n"
                 "(POST /v1/images/{name}/tag).",
  .examples = "kpod tag 0e3dbe2b1b54 myimage\n"
              "kpod tag alpine:3.19 localhost:5000/test/alpine:3.19 localhost:5000/test/alpine",
  .flags = tag_flags,
  .min_args = 2,
  .max_args = -1,
  .run = tag_run,
};
