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

static int pod_ps_check(const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  if (kpod_args_bool(args, "quiet") && format && *format)
    return crio_err_set(err, CRIO_E_INVALID, "quiet and format cannot be used together");
  for (const char *const *f = kpod_args_strings(args, "filter", NULL); *f; f++)
    if (!strchr(*f, '='))
      return crio_err_set(err, CRIO_E_INVALID,
                          "filter input must be in the form of filter=value: %s is invalid", *f);
  if (!format || strcmp(format, "json") == 0)
    return 0;
  int headers;
  _cleanup_free_ char *text = kpod_report_template(format, "", &headers);
  return kpod_template_check(text, err);
}

static int pod_ps_fetch(kpod_client *c, const char *path, json_t **out, crio_err **err)
{
  int r = kpod_client_request(c, "GET", path, NULL, out, err);
  if (r == 0 && !json_is_array(*out))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  return r;
}

/* podman pod ps's default row */
static char *pod_ps_default(const kpod_args *args)
{
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "{{.Id}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}");
  int ids = kpod_args_bool(args, "ctr-ids"), names = kpod_args_bool(args, "ctr-names");
  int status = kpod_args_bool(args, "ctr-status");
  if (ids)
    strbuf_puts(&b, "\t{{.ContainerIds}}");
  if (names)
    strbuf_puts(&b, "\t{{.ContainerNames}}");
  if (status)
    strbuf_puts(&b, "\t{{.ContainerStatuses}}");
  if (!ids && !names && !status)
    strbuf_puts(&b, "\t{{.NumberOfContainers}}");
  strbuf_putc(&b, '\n');
  return strbuf_steal(&b);
}

static int pod_ps_table(kpod_ctx *ctx, kpod_client *c, const kpod_args *args, json_t *pods,
                        crio_err **err)
{
  _cleanup_json_ json_t *containers = NULL, *by_id = json_object();
  int r = pod_ps_fetch(c, "/v1/containers?all=true", &containers, err);
  if (r < 0)
    return r;
  size_t i;
  json_t *ctr;
  json_array_foreach(containers, i, ctr)
    if (kpod_json_str(ctr, "id", NULL))
      json_object_set(by_id, kpod_json_str(ctr, "id", ""), ctr);
  _cleanup_json_ json_t *rows =
    kpod_pod_rows(pods, by_id, kpod_args_bool(args, "no-trunc"), kpod_time_now());
  _cleanup_free_ char *def = pod_ps_default(args);
  return kpod_report_write(ctx->out, kpod_args_string(args, "format"), def, kpod_pod_columns, rows,
                           kpod_args_bool(args, "noheading"), err);
}

static int pod_ps_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int r = pod_ps_check(args, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  for (const char *const *f = kpod_args_strings(args, "filter", NULL); *f; f++)
    kpod_query_add(&q, "filter", *f);
  _cleanup_free_ char *path = xasprintf("/v1/pods%s", q.len ? q.data : "");
  kpod_client *c;
  _cleanup_json_ json_t *pods = NULL;
  r = kpod_ctx_client(ctx, &c, err);
  if (r == 0)
    r = pod_ps_fetch(c, path, &pods, err);
  if (r < 0)
    return r;
  const char *format = kpod_args_string(args, "format");
  if (format && strcmp(format, "json") == 0)
    return kpod_format_write(ctx->out, "json", pods, NULL, err);
  if (kpod_args_bool(args, "quiet")) { /* podman prints the full IDs, newest first */
    for (size_t i = json_array_size(pods); i-- > 0;)
      fprintf(ctx->out, "%s\n", kpod_json_str(json_array_get(pods, i), "id", ""));
    return 0;
  }
  return pod_ps_table(ctx, c, args, pods, err);
}

static const kpod_flag pod_ps_flags[] = {
  { "ctr-ids", 0, KPOD_FLAG_BOOL, NULL,
    "Display the container UUIDs. If no-trunc is not set they will be truncated" },
  { "ctr-names", 0, KPOD_FLAG_BOOL, NULL, "Display the container names" },
  { "ctr-status", 0, KPOD_FLAG_BOOL, NULL, "Display the container status" },
  { "filter", 'f', KPOD_FLAG_STRING_ARRAY, "stringArray",
    "Filter output based on conditions given (id=, name=, state=, label=, namespace=)" },
  { "format", 0, KPOD_FLAG_STRING, "string", "Pretty-print pods to JSON or using a Go template" },
  { "no-trunc", 0, KPOD_FLAG_BOOL, NULL, "Do not truncate pod and container IDs" },
  { "noheading", 'n', KPOD_FLAG_BOOL, NULL, "Do not print headers" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Print the numeric IDs of the pods only" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pod_ps = {
  .name = "ps",
  .summary = "List pods",
  .usage = "[options]",
  .description = "Lists the pods (GET /v1/pods), newest first, with a status made from their\n"
                 "containers' states as podman makes it.",
  .examples = "kpod pod ps\n"
              "kpod pod ls --ctr-names --ctr-status\n"
              "kpod pod ps --filter label=app=web --format \"{{.Name}} {{.Status}}\"",
  .flags = pod_ps_flags,
  .min_args = 0,
  .max_args = 0,
  .run = pod_ps_run,
  .aliases = "ls list",
};
