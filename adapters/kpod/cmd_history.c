#include <string.h>

#include "command.h"
#include "format.h"
#include "image.h"
#include "jsonutil.h"
#include "report.h"
#include "template.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int history_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  int json = format && strcmp(format, "json") == 0;
  if (format && !json) {
    int headers;
    _cleanup_free_ char *text = kpod_report_template(format, "", &headers);
    int r = kpod_template_check(text, err);
    if (r < 0)
      return r;
  }
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_image_path(args->positional[0], "/history");
  _cleanup_json_ json_t *entries = NULL;
  r = kpod_client_request(c, "GET", path, NULL, &entries, err);
  if (r < 0)
    return r;
  if (!json_is_array(entries))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  if (json)
    return kpod_format_write(ctx->out, "json", entries, NULL, err);
  /* --human defaults to true, as podman's -H */
  int human = !kpod_args_string(args, "human") || kpod_args_bool(args, "human");
  _cleanup_json_ json_t *rows =
    kpod_history_rows(entries, kpod_args_bool(args, "no-trunc"), human, kpod_time_now());
  if (kpod_args_bool(args, "quiet"))
    return kpod_report_write(ctx->out, "{{.ID}}", NULL, kpod_history_columns, rows, 1, err);
  return kpod_report_write(ctx->out, format,
                           "{{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}\n",
                           kpod_history_columns, rows, 0, err);
}

static const kpod_flag history_flags[] = {
  { "format", 0, KPOD_FLAG_STRING, "string", "Change the output to JSON or a Go template" },
  { "human", 'H', KPOD_FLAG_BOOL, NULL,
    "Display sizes and dates in human readable format (default true)" },
  { "no-trunc", 0, KPOD_FLAG_BOOL, NULL, "Do not truncate the output" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Display the numeric IDs only" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_history = {
  .name = "history",
  .summary = "Show history of a specified image",
  .usage = "[options] IMAGE",
  .description = "Displays the history of an image (GET /v1/images/{name}/history), newest\n"
                 "first: the step that made each layer, when, and the layer's size.",
  .examples = "kpod history alpine\n"
              "kpod history --no-trunc --format \"{{.ID}} {{.CreatedBy}}\" alpine\n"
              "kpod history --format json alpine",
  .flags = history_flags,
  .min_args = 1,
  .max_args = 1,
  .run = history_run,
};
