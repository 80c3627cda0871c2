#include <errno.h>
#include <string.h>

#include "command.h"
#include "container.h"
#include "format.h"
#include "image.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* A kind of object that inspect can look up, in the order --type all tries
 * them (podman's: containers, then images, then pods). */
typedef struct inspect_kind {
  const char *type;
  char *(*path)(const char *name);
} inspect_kind;

static char *image_inspect_path(const char *name)
{
  return kpod_image_path(name, NULL);
}

static char *container_inspect_path(const char *name)
{
  return kpod_object_path("containers", name, NULL);
}

static char *pod_inspect_path(const char *name)
{
  return kpod_object_path("pods", name, NULL);
}

static const inspect_kind inspect_kinds[] = {
  { "container", container_inspect_path },
  { "image", image_inspect_path },
  { "pod", pod_inspect_path },
};

static int inspect_check_type(const char *type, crio_err **err)
{
  if (strcmp(type, "all") == 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE(inspect_kinds); i++)
    if (strcmp(type, inspect_kinds[i].type) == 0)
      return 0;
  return crio_err_set(err, CRIO_E_INVALID, "invalid type \"%s\": must be \"container\", "
                      "\"image\", \"pod\" or \"all\"", type);
}

/* name as an object of type ("all": the first kind that has it). */
static int inspect_one(kpod_client *c, const char *type, const char *name, json_t **out,
                       crio_err **err)
{
  int all = strcmp(type, "all") == 0;
  for (size_t i = 0; i < ARRAY_SIZE(inspect_kinds); i++) {
    if (!all && strcmp(type, inspect_kinds[i].type) != 0)
      continue;
    _cleanup_free_ char *path = inspect_kinds[i].path(name);
    _cleanup_err_ crio_err *e = NULL;
    int r = kpod_client_request(c, "GET", path, NULL, out, &e);
    if (r == 0 && json_is_object(*out))
      return 0;
    if (r == 0)
      return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no object", path);
    if (!all || e->code != CRIO_E_NOT_FOUND)
      return crio_err_set(err, e->code, "%s", e->message);
  }
  return crio_err_set(err, CRIO_E_NOT_FOUND, "no such object: \"%s\"", name);
}

static int inspect_print(kpod_ctx *ctx, const char *format, json_t *found, crio_err **err)
{
  if (!format || !*format || strcmp(format, "json") == 0)
    return kpod_format_write(ctx->out, "json", found, NULL, err);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  size_t i;
  json_t *obj;
  json_array_foreach(found, i, obj) {
    int r = kpod_format_render(format, obj, NULL, &b, err);
    if (r < 0)
      return r;
  }
  if (b.len && fwrite(b.data, 1, b.len, ctx->out) != b.len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}

int kpod_inspect_objects(kpod_ctx *ctx, const char *type, const char *format,
                         const char *const *names, size_t n, crio_err **err)
{
  int r = inspect_check_type(type, err);
  if (r == 0)
    r = kpod_format_check(format, err);
  kpod_client *c;
  if (r == 0)
    r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *found = json_array();
  _cleanup_strbuf_ strbuf errors = STRBUF_INIT;
  _cleanup_err_ crio_err *last = NULL;
  for (size_t i = 0; i < n; i++) {
    json_t *obj = NULL;
    if (last) /* as podman: every failure is reported after the output */
      strbuf_printf(&errors, "Error: %s\n", last->message);
    crio_err_free(steal_pointer(&last));
    if (inspect_one(c, type, names[i], &obj, &last) == 0)
      json_array_append_new(found, obj);
    else if (obj)
      json_decref(obj);
  }
  r = inspect_print(ctx, format, found, err);
  if (r < 0)
    return r;
  if (!last)
    return 0;
  fflush(ctx->out);
  if (errors.len)
    fputs(errors.data, ctx->errout);
  return crio_err_set(err, last->code, "%s", last->message);
}

static int inspect_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *type = kpod_args_string(args, "type");
  return kpod_inspect_objects(ctx, type ? type : "all", kpod_args_string(args, "format"),
                              args->positional, args->npositional, err);
}

static const kpod_flag inspect_flags[] = {
  { "format", 'f', KPOD_FLAG_STRING, "string",
    "Format the output to a Go template or json" },
  { "type", 't', KPOD_FLAG_STRING, "string",
    "Specify inspect-object type (\"container\", \"image\", \"pod\" or \"all\")" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_inspect = {
  .name = "inspect",
  .summary = "Display the configuration of object denoted by ID",
  .usage = "[options] NAME [NAME...]",
  .description = "Displays the low-level information of containers, images and pods (GET\n"
                 "/v1/containers/{id}, /v1/images/{name}, /v1/pods/{id}) as a JSON array, or\n"
                 "each object through a Go template with --format. Without --type a name is\n"
                 "looked up as a container, then as an image, then as a pod.",
  .examples = "kpod inspect mywebserver\n"
              "kpod inspect --format \"{{.State}} {{.ExitCode}}\" mywebserver\n"
              "kpod inspect alpine\n"
              "kpod inspect --format \"{{.Id}} {{.Size}}\" alpine busybox\n"
              "kpod inspect --type image --format \"{{json .RepoTags}}\" alpine",
  .flags = inspect_flags,
  .min_args = 1,
  .max_args = -1,
  .run = inspect_run,
};
