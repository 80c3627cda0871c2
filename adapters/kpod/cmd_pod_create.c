#include "command.h"
#include "jsonutil.h"
#include "spec.h"
#include "util/cleanup.h"

static int pod_create_spec(const kpod_args *args, json_t **out, crio_err **err)
{
  const char *name = kpod_args_string(args, "name");
  if (name && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "cannot specify --name and NAME at the same time");
  name = name ? name : args->positional[0];
  _cleanup_json_ json_t *spec = json_object();
  if (name)
    json_object_set_new(spec, "name", json_string(name));
  const char *hostname = kpod_args_string(args, "hostname");
  if (hostname)
    json_object_set_new(spec, "hostname", json_string(hostname));
  _cleanup_json_ json_t *labels = json_object(), *ports = json_array();
  for (const char *const *l = kpod_args_strings(args, "label", NULL); *l; l++) {
    int r = kpod_parse_label(*l, labels, err);
    if (r < 0)
      return r;
  }
  for (const char *const *p = kpod_args_strings(args, "publish", NULL); *p; p++) {
    int r = kpod_parse_publish(*p, ports, err);
    if (r < 0)
      return r;
  }
  if (json_object_size(labels))
    json_object_set(spec, "labels", labels);
  if (json_array_size(ports))
    json_object_set(spec, "ports", ports);
  *out = steal_pointer(&spec);
  return 0;
}

static int pod_create_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  _cleanup_json_ json_t *spec = NULL, *pod = NULL;
  int r = pod_create_spec(args, &spec, err);
  kpod_client *c;
  if (r == 0)
    r = kpod_ctx_client(ctx, &c, err);
  if (r == 0)
    r = kpod_client_request(c, "POST", "/v1/pods", spec, &pod, err);
  if (r < 0)
    return r;
  const char *id = kpod_json_str(pod, "id", NULL);
  if (!id)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered POST /v1/pods with no id");
  fprintf(ctx->out, "%s\n", id);
  return 0;
}

static const kpod_flag pod_create_flags[] = {
  { "hostname", 0, KPOD_FLAG_STRING, "string", "Set the pod's hostname (default: its name)" },
  { "label", 'l', KPOD_FLAG_STRING_ARRAY, "stringArray", "Set metadata on pod (key[=value])" },
  { "name", 'n', KPOD_FLAG_STRING, "string", "Assign a name to the pod" },
  { "publish", 'p', KPOD_FLAG_STRING_ARRAY, "stringArray",
    "Publish a port or a range of ports of the pod to the host" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pod_create = {
  .name = "create",
  .summary = "Create a new empty pod",
  .usage = "[options] [NAME]",
  .description = "Creates a pod (POST /v1/pods), its namespaces pinned and its network set up,\n"
                 "and prints its ID. Add containers to it with `kpod create --pod` or\n"
                 "`kpod run --pod`.",
  .examples = "kpod pod create --name web -p 8080:80\n"
              "kpod pod create --label app=db --hostname db db",
  .flags = pod_create_flags,
  .min_args = 0,
  .max_args = 1,
  .run = pod_create_run,
};
