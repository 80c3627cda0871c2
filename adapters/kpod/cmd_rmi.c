#include <string.h>

#include "cli.h"
#include "command.h"
#include "image.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* podman rmi's exit statuses */
#define RMI_EXIT_NOT_FOUND 1
#define RMI_EXIT_IN_USE 2

typedef struct rmi_state {
  json_t *untagged;
  json_t *deleted;
  strbuf errors;     /* "Error: ..." lines, printed after the report */
  int not_found;
  int in_use;
  int other;
} rmi_state;

static void rmi_collect(json_t *into, const json_t *from)
{
  size_t i;
  json_t *v;
  json_array_foreach(from, i, v)
    if (json_is_string(v) && json_string_length(v) > 0)
      json_array_append(into, v);
}

static void rmi_one(kpod_client *c, const char *name, int force, int ignore, rmi_state *s)
{
  _cleanup_free_ char *path = kpod_image_path(name, force ? "?force=true" : NULL);
  _cleanup_json_ json_t *res = NULL;
  _cleanup_err_ crio_err *e = NULL;
  if (kpod_client_request(c, "DELETE", path, NULL, &res, &e) == 0) {
    rmi_collect(s->untagged, json_object_get(res, "untagged"));
    rmi_collect(s->deleted, json_object_get(res, "deleted"));
    return;
  }
  if (e->code == CRIO_E_NOT_FOUND && ignore)
    return;
  strbuf_printf(&s->errors, "Error: %s\n", e->message);
  if (e->code == CRIO_E_NOT_FOUND)
    s->not_found = 1;
  else if (e->code == CRIO_E_CONFLICT || e->code == CRIO_E_BUSY)
    s->in_use = 1;
  else
    s->other = 1;
}

/* --all: every name of every image (the last one removes it), or the IDs
 * with --force, which removes an image named by ID whatever its names. */
static int rmi_all_names(kpod_client *c, int force, json_t *names, crio_err **err)
{
  _cleanup_json_ json_t *list = NULL;
  int r = kpod_client_request(c, "GET", "/v1/images", NULL, &list, err);
  if (r < 0)
    return r;
  size_t i, j;
  json_t *img, *tag;
  json_array_foreach(list, i, img) {
    json_t *tags = json_object_get(img, "repo_tags");
    if (force || json_array_size(tags) == 0) {
      json_array_append(names, json_object_get(img, "id"));
      continue;
    }
    json_array_foreach(tags, j, tag)
      json_array_append(names, tag);
  }
  return 0;
}

static int rmi_report(kpod_ctx *ctx, rmi_state *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(s->untagged, i, v)
    fprintf(ctx->out, "Untagged: %s\n", json_string_value(v));
  json_array_foreach(s->deleted, i, v)
    fprintf(ctx->out, "Deleted: %s\n", json_string_value(v));
  if (!s->errors.len)
    return 0;
  fflush(ctx->out);
  fputs(s->errors.data, ctx->errout);
  if (s->other)
    return KPOD_EXIT_ERROR;
  return s->in_use ? RMI_EXIT_IN_USE : RMI_EXIT_NOT_FOUND;
}

static int rmi_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int all = kpod_args_bool(args, "all"), force = kpod_args_bool(args, "force");
  int ignore = force || kpod_args_bool(args, "ignore");
  if (!all && args->npositional == 0)
    return crio_err_set(err, CRIO_E_INVALID, "image name or ID must be specified");
  if (all && args->npositional > 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "when using the --all switch, you may not pass any images names or IDs");
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *names = json_array();
  if (all)
    r = rmi_all_names(c, force, names, err);
  for (size_t i = 0; !all && i < args->npositional; i++)
    json_array_append_new(names, json_string(args->positional[i]));
  if (r < 0)
    return r;
  rmi_state s = { .untagged = json_array(), .deleted = json_array(), .errors = STRBUF_INIT };
  size_t i;
  json_t *name;
  json_array_foreach(names, i, name)
    if (json_is_string(name))
      rmi_one(c, json_string_value(name), force, ignore, &s);
  int status = rmi_report(ctx, &s);
  json_decref(s.untagged);
  json_decref(s.deleted);
  strbuf_free(&s.errors);
  return status;
}

static const kpod_flag rmi_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Remove all images" },
  { "force", 'f', KPOD_FLAG_BOOL, NULL, "Force Removal of the image" },
  { "ignore", 'i', KPOD_FLAG_BOOL, NULL, "Ignore errors if a specified image does not exist" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_rmi = {
  .name = "rmi",
  .summary = "Remove one or more images from local storage",
  .usage = "[options] IMAGE [IMAGE...]",
  .description = "Removes images from crio's store (DELETE /v1/images/{name}). A name that is\n"
                 "one of several names of its image is only untagged; the image goes with its\n"
                 "last name. An image named by its ID and having several names is removed\n"
                 "only with --force.",
  .examples = "kpod rmi alpine\n"
              "kpod rmi --force 3f53bb00af94\n"
              "kpod rmi c4dfb1609ee2 93fd78260bd1 c0ed59d05ff7\n"
              "kpod rmi --all",
  .flags = rmi_flags,
  .min_args = 0,
  .max_args = -1,
  .run = rmi_run,
};
