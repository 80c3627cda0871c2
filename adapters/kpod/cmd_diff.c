#include <errno.h>
#include <string.h>

#include "container.h"
#include "jsonutil.h"
#include "util/cleanup.h"

/* podman's ChangesReportJSON: {"changed":[...],"added":[...],"deleted":[...]},
 * empty lists left out, compact on one line. */
static void diff_json(strbuf *out, const json_t *changes)
{
  static const char *const keys[][2] = { { "C", "changed" }, { "A", "added" }, { "D", "deleted" } };
  _cleanup_json_ json_t *doc = json_object();
  for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
    json_t *list = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
      if (strcmp(kpod_json_str(c, "kind", ""), keys[k][0]) == 0)
        json_array_append_new(list, json_string(kpod_json_str(c, "path", "")));
    if (json_array_size(list))
      json_object_set_new(doc, keys[k][1], list);
    else
      json_decref(list);
  }
  _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  strbuf_printf(out, "%s\n", text ? text : "{}");
}

static int diff_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  if (format && *format && strcmp(format, "json") != 0)
    return crio_err_set(err, CRIO_E_INVALID, "only supported value for '--format' is 'json'");
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_object_path("containers", args->positional[0], "/changes");
  _cleanup_json_ json_t *changes = NULL;
  r = kpod_client_request(c, "GET", path, NULL, &changes, err);
  if (r < 0)
    return r;
  if (!json_is_array(changes))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  _cleanup_strbuf_ strbuf out = STRBUF_INIT;
  if (format && *format) {
    diff_json(&out, changes);
  } else {
    size_t i;
    json_t *ch;
    json_array_foreach(changes, i, ch)
      strbuf_printf(&out, "%s %s\n", kpod_json_str(ch, "kind", "?"), kpod_json_str(ch, "path", ""));
  }
  if (out.len && fwrite(out.data, 1, out.len, ctx->out) != out.len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}

static const kpod_flag diff_flags[] = {
  { "format", 0, KPOD_FLAG_STRING, "string", "Change the output format (json)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_diff = {
  .name = "diff",
  .summary = "Inspect changes to the container's file systems",
  .usage = "[options] CONTAINER",
  .description = "Lists what a container changed in its root file system against its image\n"
                 "(GET /v1/containers/{id}/changes), one \"KIND PATH\" a line: A added, C\n"
                 "changed, D deleted.",
  .examples = "kpod diff mycontainer\n"
              "kpod diff --format json 860a4b23",
  .flags = diff_flags,
  .min_args = 1,
  .max_args = 1,
  .run = diff_run,
};
