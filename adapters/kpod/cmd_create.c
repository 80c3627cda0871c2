#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "jsonutil.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

extern char **environ;

/* values of a repeatable flag, each split at commas (cobra's StringSlice) */
static json_t *flag_slice(const kpod_args *args, const char *name)
{
  json_t *list = json_array();
  for (const char *const *v = kpod_args_strings(args, name, NULL); *v; v++)
    for (const char *q = *v; *q;) {
      size_t n = strcspn(q, ",");
      if (n)
        json_array_append_new(list, json_stringn(q, n));
      q += n + (q[n] == ',');
    }
  return list;
}

static void set_if_nonempty(json_t *obj, const char *key, json_t *value)
{
  if ((json_is_array(value) && json_array_size(value) == 0) ||
      (json_is_object(value) && json_object_size(value) == 0))
    json_decref(value);
  else
    json_object_set_new(obj, key, value);
}

static void set_string_flag(json_t *spec, const kpod_args *args, const char *flag, const char *key)
{
  const char *v = kpod_args_string(args, flag);
  if (v)
    json_object_set_new(spec, key, json_string(v));
}

static int spec_env(const kpod_args *args, const kpod_spec_env *env, json_t *spec, crio_err **err)
{
  _cleanup_json_ json_t *vars = json_object();
  for (const char *const *f = kpod_args_strings(args, "env-file", NULL); *f; f++) {
    int r = kpod_parse_env_file(*f, env->environ_, vars, err);
    if (r < 0)
      return r;
  }
  for (const char *const *e = kpod_args_strings(args, "env", NULL); *e; e++) {
    int r = kpod_parse_env(*e, env->environ_, vars, err);
    if (r < 0)
      return r;
  }
  set_if_nonempty(spec, "env", kpod_env_list(vars));
  return 0;
}

static int spec_mounts(const kpod_args *args, const kpod_spec_env *env, json_t *spec,
                       crio_err **err)
{
  json_t *mounts = json_array();
  json_t *m = NULL;
  int r = 0;
  for (const char *const *v = kpod_args_strings(args, "volume", NULL); r == 0 && *v; v++)
    if ((r = kpod_parse_volume(*v, env->cwd, &m, err)) == 0)
      json_array_append_new(mounts, m);
  for (const char *const *t = kpod_args_strings(args, "tmpfs", NULL); r == 0 && *t; t++)
    if ((r = kpod_parse_tmpfs(*t, &m, err)) == 0)
      json_array_append_new(mounts, m);
  set_if_nonempty(spec, "mounts", mounts);
  return r;
}

static int spec_lists(const kpod_args *args, json_t *spec, crio_err **err)
{
  json_t *ports = json_array(), *devices = json_array();
  json_t *labels = json_object(), *annotations = json_object();
  int r = 0;
  for (const char *const *p = kpod_args_strings(args, "publish", NULL); r == 0 && *p; p++)
    r = kpod_parse_publish(*p, ports, err);
  for (const char *const *l = kpod_args_strings(args, "label", NULL); r == 0 && *l; l++)
    r = kpod_parse_label(*l, labels, err);
  for (const char *const *a = kpod_args_strings(args, "annotation", NULL); r == 0 && *a; a++)
    r = kpod_parse_annotation(*a, annotations, err);
  for (const char *const *d = kpod_args_strings(args, "device", NULL); r == 0 && *d; d++) {
    json_t *dev = NULL;
    if ((r = kpod_parse_device(*d, &dev, err)) == 0)
      json_array_append_new(devices, dev);
  }
  set_if_nonempty(spec, "ports", ports);
  set_if_nonempty(spec, "devices", devices);
  set_if_nonempty(spec, "labels", labels);
  set_if_nonempty(spec, "annotations", annotations);
  return r;
}

static int spec_resources(const kpod_args *args, json_t *spec, crio_err **err)
{
  _cleanup_json_ json_t *res = json_object();
  const char *memory = kpod_args_string(args, "memory");
  int64_t bytes = 0, quota = 0, period = 0;
  if (memory && kpod_parse_memory(memory, &bytes, err) < 0)
    return crio_err_wrap(err, "invalid value for memory");
  if (bytes > 0)
    json_object_set_new(res, "memory_limit", json_integer(bytes));
  const char *cpus = kpod_args_string(args, "cpus");
  if (cpus && kpod_parse_cpus(cpus, &quota, &period, err) < 0)
    return -CRIO_E_INVALID;
  if (quota > 0) {
    json_object_set_new(res, "cpu_quota", json_integer(quota));
    json_object_set_new(res, "cpu_period", json_integer(period));
  }
  long long v;
  int r = kpod_args_int(args, "cpu-shares", 0, LLONG_MAX, &v, err);
  if (r > 0)
    json_object_set_new(res, "cpu_shares", json_integer(v));
  if (r >= 0 && (r = kpod_args_int(args, "pids-limit", LLONG_MIN, LLONG_MAX, &v, err)) > 0)
    json_object_set_new(res, "pids_limit", json_integer(v));
  if (r < 0)
    return r;
  set_string_flag(res, args, "cpuset-cpus", "cpuset_cpus");
  set_if_nonempty(spec, "resources", json_incref(res));
  return 0;
}

/* seccomp=FILE names a file of the client's: made absolute, as the daemon
 * reads it (a unix socket's daemon runs on this host). */
static int seccomp_opt(const char *v, const kpod_spec_env *env, json_t *sec, crio_err **err)
{
  if (v[0] == '/' || strcmp(v, "unconfined") == 0 || strcmp(v, "runtime/default") == 0 ||
      strncmp(v, "localhost/", 10) == 0) {
    json_object_set_new(sec, "seccomp_profile", json_string(v));
    return 0;
  }
  if (!env->cwd)
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: not an absolute path", v);
  _cleanup_free_ char *path = xasprintf("%s/%s", env->cwd, v);
  json_object_set_new(sec, "seccomp_profile", json_string(path));
  return 0;
}

/* --security-opt, as podman spells it */
static int security_opts(const kpod_args *args, const kpod_spec_env *env, json_t *sec,
                         crio_err **err)
{
  for (const char *const *v = kpod_args_strings(args, "security-opt", NULL); *v; v++) {
    const char *o = *v;
    int r = 0;
    if (strncmp(o, "seccomp=", 8) == 0 && o[8])
      r = seccomp_opt(o + 8, env, sec, err);
    else if (strncmp(o, "apparmor=", 9) == 0 && o[9])
      json_object_set_new(sec, "apparmor_profile", json_string(o + 9));
    else if (strcmp(o, "no-new-privileges") == 0 || strcmp(o, "no-new-privileges=true") == 0)
      json_object_set_new(sec, "no_new_privileges", json_true());
    else if (strcmp(o, "no-new-privileges=false") != 0)
      r = crio_err_set(err, CRIO_E_INVALID,
                       "invalid --security-opt \"%s\": expected seccomp=PROFILE, "
                       "apparmor=PROFILE or no-new-privileges", o);
    if (r < 0)
      return r;
  }
  return 0;
}

static int spec_security(const kpod_args *args, const kpod_spec_env *env, json_t *spec,
                         crio_err **err)
{
  _cleanup_json_ json_t *sec = json_object();
  if (security_opts(args, env, sec, err) < 0)
    return -CRIO_E_INVALID;
  if (kpod_args_bool(args, "privileged"))
    json_object_set_new(sec, "privileged", json_true());
  if (kpod_args_bool(args, "read-only"))
    json_object_set_new(sec, "readonly_rootfs", json_true());
  set_if_nonempty(sec, "cap_add", flag_slice(args, "cap-add"));
  set_if_nonempty(sec, "cap_drop", flag_slice(args, "cap-drop"));
  set_if_nonempty(spec, "security", json_incref(sec));
  return 0;
}

/* IMAGE [COMMAND [ARG...]] and --entrypoint; as podman, an entrypoint
 * given without a command drops the image's command too. */
static void spec_command(const kpod_args *args, json_t *spec)
{
  json_object_set_new(spec, "image", json_string(args->positional[0]));
  const char *entrypoint = kpod_args_string(args, "entrypoint");
  if (entrypoint)
    json_object_set_new(spec, "entrypoint", kpod_parse_entrypoint(entrypoint));
  if (args->npositional > 1 || entrypoint) {
    json_t *cmd = json_array();
    for (size_t i = 1; i < args->npositional; i++)
      json_array_append_new(cmd, json_string(args->positional[i]));
    json_object_set_new(spec, "command", cmd);
  }
}

int kpod_container_spec(const kpod_args *args, const kpod_spec_env *env, json_t **out,
                        crio_err **err)
{
  _cleanup_json_ json_t *spec = json_object();
  spec_command(args, spec);
  set_string_flag(spec, args, "name", "name");
  set_string_flag(spec, args, "pod", "pod");
  int r = spec_env(args, env, spec, err);
  if (r == 0)
    r = spec_mounts(args, env, spec, err);
  if (r == 0)
    r = spec_lists(args, spec, err);
  if (r == 0)
    r = spec_resources(args, spec, err);
  if (r == 0)
    r = spec_security(args, env, spec, err);
  if (r < 0)
    return r;
  set_string_flag(spec, args, "workdir", "working_dir");
  set_string_flag(spec, args, "user", "user");
  set_string_flag(spec, args, "runtime", "runtime_handler");
  set_string_flag(spec, args, "stop-signal", "stop_signal");
  if (kpod_args_bool(args, "tty"))
    json_object_set_new(spec, "tty", json_true());
  if (kpod_args_bool(args, "interactive"))
    json_object_set_new(spec, "stdin", json_true());
  *out = steal_pointer(&spec);
  return 0;
}

/* --pull: podman's policies, but "newer" (the API cannot compare). */
static int pull_policy(const kpod_args *args, const char **policy, crio_err **err)
{
  const char *p = kpod_args_string(args, "pull");
  *policy = p ? p : "missing";
  if (strcmp(*policy, "missing") == 0 || strcmp(*policy, "always") == 0 ||
      strcmp(*policy, "never") == 0)
    return 0;
  return crio_err_set(err, CRIO_E_INVALID,
                      "invalid pull policy \"%s\": must be always, missing or never", *policy);
}

static int image_ensure(kpod_ctx *ctx, const char *image, const char *policy, int quiet,
                        crio_err **err)
{
  if (strcmp(policy, "never") == 0)
    return 0;
  if (strcmp(policy, "missing") == 0) {
    kpod_client *c;
    int r = kpod_ctx_client(ctx, &c, err);
    if (r < 0)
      return r;
    _cleanup_free_ char *path = kpod_image_path(image, NULL);
    _cleanup_json_ json_t *found = NULL;
    _cleanup_err_ crio_err *e = NULL;
    r = kpod_client_request(c, "GET", path, NULL, &found, &e);
    if (r == 0)
      return 0;
    if (e->code != CRIO_E_NOT_FOUND)
      return crio_err_set(err, e->code, "%s", e->message);
  }
  return kpod_image_pull(ctx, image, NULL, quiet, NULL, NULL, err);
}

int kpod_container_create(kpod_ctx *ctx, const kpod_args *args, char **id, crio_err **err)
{
  const char *policy;
  int r = pull_policy(args, &policy, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  kpod_spec_env env = { environ, cwd };
  _cleanup_json_ json_t *spec = NULL;
  r = kpod_container_spec(args, &env, &spec, err);
  if (r < 0)
    return r;
  r = image_ensure(ctx, args->positional[0], policy, kpod_args_bool(args, "quiet"), err);
  kpod_client *c;
  if (r == 0)
    r = kpod_ctx_client(ctx, &c, err);
  _cleanup_json_ json_t *created = NULL;
  if (r == 0)
    r = kpod_client_request(c, "POST", "/v1/containers", spec, &created, err);
  if (r < 0)
    return r;
  const char *cid = kpod_json_str(created, "id", NULL);
  if (!cid)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered POST /v1/containers with no id");
  *id = xstrdup(cid);
  return 0;
}

static int create_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  _cleanup_free_ char *id = NULL;
  int r = kpod_container_create(ctx, args, &id, err);
  if (r < 0)
    return r;
  fprintf(ctx->out, "%s\n", id);
  return 0;
}

static const kpod_flag create_flags[] = {
  KPOD_CREATE_FLAGS,
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_create = {
  .name = "create",
  .summary = "Create but do not start a container",
  .usage = "[options] IMAGE [COMMAND [ARG...]]",
  .description = "Creates a container from IMAGE (POST /v1/containers), in the pod given by\n"
                 "--pod or in a pod of its own, and prints its ID. The image is pulled first\n"
                 "when it is missing (--pull). Start it with `kpod start`.",
  .examples = "kpod create alpine ls\n"
              "kpod create --name web -p 8080:80 -e MODE=prod nginx\n"
              "kpod create --memory 512m --cpus 1.5 -v /srv/data:/data:ro alpine top",
  .flags = create_flags,
  .min_args = 1,
  .max_args = -1,
  .run = create_run,
  .flags_first = 1,
};
