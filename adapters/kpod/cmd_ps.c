#include <errno.h>
#include <string.h>

#include "command.h"
#include "format.h"
#include "image.h"
#include "jsonutil.h"
#include "ps.h"
#include "report.h"
#include "template.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int ps_check(const kpod_args *args, crio_err **err)
{
  if (kpod_args_bool(args, "quiet") && kpod_args_bool(args, "size"))
    return crio_err_set(err, CRIO_E_INVALID, "quiet conflicts with size and namespace");
  for (const char *const *f = kpod_args_strings(args, "filter", NULL); *f; f++)
    if (!strchr(*f, '='))
      return crio_err_set(err, CRIO_E_INVALID, "invalid filter \"%s\"", *f);
  const char *format = kpod_args_string(args, "format");
  if (!format || strcmp(format, "json") == 0)
    return 0;
  int headers;
  _cleanup_free_ char *text = kpod_report_template(format, "", &headers);
  return kpod_template_check(text, err);
}

static int ps_fetch(kpod_client *c, const char *path, json_t **out, crio_err **err)
{
  int r = kpod_client_request(c, "GET", path, NULL, out, err);
  if (r == 0 && !json_is_array(*out))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  return r;
}

/* id -> object of a list, by its "id" (and "sha256:<id>" with prefixed). */
static json_t *ps_index(const json_t *list, const char *field, int prefixed)
{
  json_t *map = json_object();
  size_t i;
  json_t *obj;
  json_array_foreach(list, i, obj) {
    const char *id = kpod_json_str(obj, "id", NULL);
    json_t *v = field ? json_object_get(obj, field) : obj;
    if (!id || !v)
      continue;
    json_object_set(map, id, v);
    if (prefixed) {
      _cleanup_free_ char *full = xasprintf("sha256:%s", id);
      json_object_set(map, full, v);
    }
  }
  return map;
}

static void ps_print_ids(strbuf *out, const json_t *containers, int no_trunc)
{
  size_t i;
  json_t *c;
  json_array_foreach(containers, i, c) {
    const char *id = kpod_json_str(c, "id", "");
    strbuf_printf(out, "%.*s\n", no_trunc ? (int) strlen(id) : 12, id);
  }
}

static int ps_write(kpod_ctx *ctx, const strbuf *b, crio_err **err)
{
  if (b->len && fwrite(b->data, 1, b->len, ctx->out) != b->len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}

static int ps_table(kpod_ctx *ctx, kpod_client *c, const kpod_args *args, json_t *containers,
                    crio_err **err)
{
  kpod_ps_ctx pc = { .no_trunc = kpod_args_bool(args, "no-trunc"),
                     .size = kpod_args_bool(args, "size"), .now_ns = kpod_time_now() };
  _cleanup_json_ json_t *pods = NULL, *images = NULL, *pod_map = NULL, *size_map = NULL;
  int r = ps_fetch(c, "/v1/pods", &pods, err);
  if (r == 0 && pc.size)
    r = ps_fetch(c, "/v1/images", &images, err);
  if (r < 0)
    return r;
  pc.pods = pod_map = ps_index(pods, NULL, 0);
  pc.image_sizes = size_map = images ? ps_index(images, "size", 1) : NULL;
  _cleanup_json_ json_t *rows = kpod_ps_rows(containers, &pc);
  const char *format = kpod_args_string(args, "format");
  _cleanup_free_ char *def =
    xasprintf("{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t"
              "{{.Names}}%s%s\n",
              kpod_args_bool(args, "pod") ? "\t{{.Pod}}\t{{.PodName}}" : "",
              pc.size ? "\t{{.Size}}" : "");
  return kpod_report_write(ctx->out, format, def, kpod_ps_columns, rows,
                           kpod_args_bool(args, "noheading"), err);
}

static int ps_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int r = ps_check(args, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf path = STRBUF_INIT;
  strbuf_puts(&path, "/v1/containers");
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  if (kpod_args_bool(args, "all"))
    kpod_query_add(&q, "all", "true");
  if (kpod_args_bool(args, "size"))
    kpod_query_add(&q, "size", "true");
  for (const char *const *f = kpod_args_strings(args, "filter", NULL); *f; f++)
    kpod_query_add(&q, "filter", *f);
  if (q.len)
    strbuf_puts(&path, q.data);
  kpod_client *c;
  r = kpod_ctx_client(ctx, &c, err);
  _cleanup_json_ json_t *containers = NULL;
  if (r == 0)
    r = ps_fetch(c, path.data, &containers, err);
  if (r < 0)
    return r;
  const char *format = kpod_args_string(args, "format");
  if (format && strcmp(format, "json") == 0)
    return kpod_format_write(ctx->out, "json", containers, NULL, err);
  if (kpod_args_bool(args, "quiet") && !format) {
    _cleanup_strbuf_ strbuf b = STRBUF_INIT;
    ps_print_ids(&b, containers, kpod_args_bool(args, "no-trunc"));
    return ps_write(ctx, &b, err);
  }
  return ps_table(ctx, c, args, containers, err);
}

static const kpod_flag ps_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL,
    "Show all the containers, default is only running containers" },
  { "filter", 'f', KPOD_FLAG_STRING_ARRAY, "stringArray",
    "Filter output based on conditions given (id=, name=, pod=, status=, label=, ancestor=, "
    "exited=)" },
  { "format", 0, KPOD_FLAG_STRING, "string",
    "Pretty-print containers to JSON or using a Go template" },
  { "no-trunc", 0, KPOD_FLAG_BOOL, NULL, "Display the extended information" },
  { "noheading", 0, KPOD_FLAG_BOOL, NULL, "Do not print headers" },
  { "pod", 'p', KPOD_FLAG_BOOL, NULL,
    "Print the ID and name of the pod the containers are associated with" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Print the numeric IDs of the containers only" },
  { "size", 's', KPOD_FLAG_BOOL, NULL, "Display the total file sizes" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_ps = {
  .name = "ps",
  .summary = "List containers",
  .usage = "[options]",
  .description = "Lists the containers (GET /v1/containers), newest first: the running ones,\n"
                 "or all of them with --all.",
  .examples = "kpod ps -a\n"
              "kpod ps -a --format \"{{.ID}}  {{.Image}}  {{.Labels}}  {{.Mounts}}\"\n"
              "kpod ps --size --filter status=exited",
  .flags = ps_flags,
  .min_args = 0,
  .max_args = 0,
  .run = ps_run,
};
