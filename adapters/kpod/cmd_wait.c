#include "container.h"
#include "util/cleanup.h"

static int wait_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_batch b = { .errors = STRBUF_INIT };
  for (size_t i = 0; i < args->npositional; i++) {
    _cleanup_err_ crio_err *e = NULL;
    int code;
    int r = kpod_container_wait(ctx, args->positional[i], &code, &e);
    if (r < 0 && e->code == CRIO_E_UNAVAILABLE) { /* no daemon: say it once */
      kpod_batch_finish(ctx, &b, 0);
      return crio_err_set(err, e->code, "%s", e->message);
    }
    if (r < 0)
      kpod_batch_fail(&b, e);
    else
      fprintf(ctx->out, "%d\n", code);
    fflush(ctx->out);
  }
  return kpod_batch_finish(ctx, &b, 0);
}

static const kpod_flag wait_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_wait = {
  .name = "wait",
  .summary = "Block on one or more containers",
  .usage = "CONTAINER [CONTAINER...]",
  .description = "Waits until each container has exited (POST /v1/containers/{id}/wait), one\n"
                 "after the other, and prints its exit code.",
  .examples = "kpod wait mywebserver\n"
              "kpod wait 860a4b23 mywebserver",
  .flags = wait_flags,
  .min_args = 1,
  .max_args = -1,
  .run = wait_run,
};
