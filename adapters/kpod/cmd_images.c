#include <errno.h>
#include <string.h>

#include "command.h"
#include "format.h"
#include "image.h"
#include "jsonutil.h"
#include "report.h"
#include "template.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int images_fetch(kpod_ctx *ctx, const kpod_args *args, json_t **out, crio_err **err)
{
  size_t nfilters;
  const char *const *filters = kpod_args_strings(args, "filter", &nfilters);
  if (nfilters && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "cannot specify an image and a filter(s)");
  _cleanup_strbuf_ strbuf path = STRBUF_INIT;
  strbuf_puts(&path, "/v1/images");
  size_t base = path.len;
  if (kpod_args_bool(args, "all"))
    strbuf_puts(&path, "?all=true");
  for (size_t i = 0; i < nfilters; i++) {
    _cleanup_free_ char *v = kpod_url_escape(filters[i]);
    strbuf_printf(&path, "%cfilter=%s", path.len > base ? '&' : '?', v);
  }
  if (args->npositional) {
    _cleanup_free_ char *f = xasprintf("reference=%s", args->positional[0]);
    _cleanup_free_ char *v = kpod_url_escape(f);
    strbuf_printf(&path, "%cfilter=%s", path.len > base ? '&' : '?', v);
  }
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  r = kpod_client_request(c, "GET", path.data, NULL, out, err);
  if (r < 0)
    return r;
  if (!json_is_array(*out))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET /v1/images with no array");
  return 0;
}

/* --quiet: each image's ID once, in the order of the rows. */
static void images_print_ids(strbuf *out, const json_t *rows)
{
  size_t i, j;
  json_t *row, *prev;
  json_array_foreach(rows, i, row) {
    const char *id = kpod_json_str(row, "ID", "");
    int seen = 0;
    json_array_foreach(rows, j, prev) {
      if (j >= i)
        break;
      seen |= strcmp(kpod_json_str(prev, "ID", ""), id) == 0;
    }
    if (!seen)
      strbuf_printf(out, "%s\n", id);
  }
}

static int images_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
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
  _cleanup_json_ json_t *summaries = NULL;
  int r = images_fetch(ctx, args, &summaries, err);
  if (r < 0)
    return r;
  if (json)
    return kpod_format_write(ctx->out, "json", summaries, NULL, err);
  int no_trunc = kpod_args_bool(args, "no-trunc");
  _cleanup_json_ json_t *rows = kpod_images_rows(summaries, no_trunc, kpod_time_now());
  if (kpod_args_bool(args, "quiet")) {
    _cleanup_strbuf_ strbuf b = STRBUF_INIT;
    images_print_ids(&b, rows);
    if (b.len && fwrite(b.data, 1, b.len, ctx->out) != b.len)
      return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
    return 0;
  }
  const char *def = kpod_args_bool(args, "digests")
                      ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\n"
                      : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\n";
  return kpod_report_write(ctx->out, format, def, kpod_images_columns, rows,
                           kpod_args_bool(args, "noheading"), err);
}

static const kpod_flag images_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL,
    "Show all images (crio-c keeps no intermediate images: the same as without)" },
  { "digests", 0, KPOD_FLAG_BOOL, NULL, "Show digests" },
  { "filter", 'f', KPOD_FLAG_STRING_ARRAY, "stringArray",
    "Filter output based on conditions provided (reference=, dangling=, label=, before=, "
    "since=)" },
  { "format", 0, KPOD_FLAG_STRING, "string", "Change the output format to JSON or a Go template" },
  { "no-trunc", 0, KPOD_FLAG_BOOL, NULL, "Do not truncate output" },
  { "noheading", 'n', KPOD_FLAG_BOOL, NULL, "Do not print column headings" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Display only image IDs" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_images = {
  .name = "images",
  .summary = "List images in local storage",
  .usage = "[options] [IMAGE]",
  .description = "Lists the images in crio's store (GET /v1/images), newest first, one row per\n"
                 "name. IMAGE limits the list to the images whose name matches it, as\n"
                 "--filter reference=IMAGE does.",
  .examples = "kpod images\n"
              "kpod images --digests alpine\n"
              "kpod images --filter dangling=true --quiet\n"
              "kpod images --format \"table {{.ID}} {{.Repository}} {{.Tag}}\"\n"
              "kpod images --format json",
  .flags = images_flags,
  .min_args = 0,
  .max_args = 1,
  .run = images_run,
};
