/* The container spec's storage form (see spec_json.h). */
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>

#include "server/engine/engine_image_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void set_str(json_t *o, const char *k, const char *v)
{
  if (v)
    json_object_set_new(o, k, json_string(v));
}

static char *get_str(json_t *o, const char *k)
{
  const char *v = json_string_value(json_object_get(o, k));
  return v ? xstrdup(v) : NULL;
}

static int64_t get_int(json_t *o, const char *k)
{
  return json_integer_value(json_object_get(o, k));
}

static json_t *resources_to_json(const engine_resources *r)
{
  json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I}", "cpu_shares", (json_int_t) r->cpu_shares,
                        "cpu_quota", (json_int_t) r->cpu_quota, "cpu_period",
                        (json_int_t) r->cpu_period, "memory_limit", (json_int_t) r->memory_limit,
                        "pids_limit", (json_int_t) r->pids_limit);
  set_str(o, "cpuset_cpus", r->cpuset_cpus);
  set_str(o, "cpuset_mems", r->cpuset_mems);
  if (r->has_oom_score_adj)
    json_object_set_new(o, "oom_score_adj", json_integer(r->oom_score_adj));
  return o;
}

static void resources_from_json(json_t *o, engine_resources *r)
{
  r->cpu_shares = get_int(o, "cpu_shares");
  r->cpu_quota = get_int(o, "cpu_quota");
  r->cpu_period = get_int(o, "cpu_period");
  r->memory_limit = get_int(o, "memory_limit");
  r->pids_limit = get_int(o, "pids_limit");
  r->cpuset_cpus = get_str(o, "cpuset_cpus");
  r->cpuset_mems = get_str(o, "cpuset_mems");
  r->has_oom_score_adj = json_object_get(o, "oom_score_adj") != NULL;
  r->oom_score_adj = get_int(o, "oom_score_adj");
}

static json_t *security_to_json(const engine_security *s)
{
  json_t *groups = json_array();
  for (size_t i = 0; i < s->n_supplemental_groups; i++)
    json_array_append_new(groups, json_integer(s->supplemental_groups[i]));
  json_t *o = json_pack("{s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:o}", "privileged", s->privileged,
                        "readonly_rootfs", s->readonly_rootfs, "no_new_privileges",
                        s->no_new_privileges, "cap_add", strv_to_json(&s->cap_add), "cap_drop",
                        strv_to_json(&s->cap_drop), "supplemental_groups", groups,
                        "masked_paths", strv_to_json(&s->masked_paths), "readonly_paths",
                        strv_to_json(&s->readonly_paths));
  set_str(o, "seccomp_profile", s->seccomp_profile);
  set_str(o, "apparmor_profile", s->apparmor_profile);
  return o;
}

static void security_from_json(json_t *o, engine_security *s)
{
  s->privileged = json_is_true(json_object_get(o, "privileged"));
  s->readonly_rootfs = json_is_true(json_object_get(o, "readonly_rootfs"));
  s->no_new_privileges = json_is_true(json_object_get(o, "no_new_privileges"));
  strv_from_json(json_object_get(o, "cap_add"), &s->cap_add);
  strv_from_json(json_object_get(o, "cap_drop"), &s->cap_drop);
  strv_from_json(json_object_get(o, "masked_paths"), &s->masked_paths);
  strv_from_json(json_object_get(o, "readonly_paths"), &s->readonly_paths);
  s->seccomp_profile = get_str(o, "seccomp_profile");
  s->apparmor_profile = get_str(o, "apparmor_profile");
  json_t *g = json_object_get(o, "supplemental_groups");
  s->n_supplemental_groups = json_array_size(g);
  s->supplemental_groups = xzalloc((s->n_supplemental_groups + 1) * sizeof *s->supplemental_groups);
  for (size_t i = 0; i < s->n_supplemental_groups; i++)
    s->supplemental_groups[i] = json_integer_value(json_array_get(g, i));
}

static json_t *mounts_to_json(const engine_container_spec *s)
{
  json_t *a = json_array();
  for (size_t i = 0; i < s->n_mounts; i++) {
    json_t *m = json_pack("{s:o}", "options", strv_to_json(&s->mounts[i].options));
    set_str(m, "type", s->mounts[i].type);
    set_str(m, "source", s->mounts[i].source);
    set_str(m, "destination", s->mounts[i].destination);
    json_array_append_new(a, m);
  }
  return a;
}

static json_t *devices_to_json(const engine_container_spec *s)
{
  json_t *a = json_array();
  for (size_t i = 0; i < s->n_devices; i++) {
    json_t *d = json_object();
    set_str(d, "host_path", s->devices[i].host_path);
    set_str(d, "container_path", s->devices[i].container_path);
    set_str(d, "permissions", s->devices[i].permissions);
    json_array_append_new(a, d);
  }
  return a;
}

char *container_spec_to_json(const engine_container_spec *s)
{
  json_t *o = json_pack(
      "{s:o,s:b,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o}", "entrypoint",
      strv_to_json(&s->entrypoint), "has_entrypoint", s->has_entrypoint, "command",
      strv_to_json(&s->command), "has_command", s->has_command, "env", strv_to_json(&s->env),
      "mounts", mounts_to_json(s), "devices", devices_to_json(s), "labels",
      kv_to_json(&s->labels), "annotations", kv_to_json(&s->annotations), "tty", s->tty, "stdin",
      s->stdin_open, "resources", resources_to_json(&s->resources), "security",
      security_to_json(&s->security), "ports", ports_to_json(s->ports, s->n_ports));
  const struct { const char *k; const char *v; } strs[] = {
    { "name", s->name }, { "pod", s->pod }, { "image", s->image },
    { "working_dir", s->working_dir }, { "user", s->user }, { "log_path", s->log_path },
    { "runtime_handler", s->runtime_handler }, { "stop_signal", s->stop_signal },
  };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    set_str(o, strs[i].k, strs[i].v);
  if (s->process_args.n > 0)
    json_object_set_new(o, "process_args", strv_to_json(&s->process_args));
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return text;
}

static void mounts_from_json(json_t *a, engine_container_spec *s)
{
  s->n_mounts = json_array_size(a);
  s->mounts = xzalloc((s->n_mounts + 1) * sizeof *s->mounts);
  for (size_t i = 0; i < s->n_mounts; i++) {
    json_t *m = json_array_get(a, i);
    s->mounts[i].type = get_str(m, "type");
    s->mounts[i].source = get_str(m, "source");
    s->mounts[i].destination = get_str(m, "destination");
    strv_from_json(json_object_get(m, "options"), &s->mounts[i].options);
  }
}

static void devices_from_json(json_t *a, engine_container_spec *s)
{
  s->n_devices = json_array_size(a);
  s->devices = xzalloc((s->n_devices + 1) * sizeof *s->devices);
  for (size_t i = 0; i < s->n_devices; i++) {
    json_t *d = json_array_get(a, i);
    s->devices[i] = (engine_device) { .host_path = get_str(d, "host_path"),
                                      .container_path = get_str(d, "container_path"),
                                      .permissions = get_str(d, "permissions") };
  }
}

int container_spec_from_json(const char *text, engine_container_spec *s, crio_err **err)
{
  memset(s, 0, sizeof *s);
  json_t *o = json_loads(text, 0, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    return crio_err_set(err, CRIO_E_INTERNAL, "stored container spec is not JSON");
  }
  char **strs[] = { &s->name, &s->pod, &s->image, &s->working_dir, &s->user, &s->log_path,
                    &s->runtime_handler, &s->stop_signal };
  const char *keys[] = { "name", "pod", "image", "working_dir", "user", "log_path",
                         "runtime_handler", "stop_signal" };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    *strs[i] = get_str(o, keys[i]);
  strv_from_json(json_object_get(o, "entrypoint"), &s->entrypoint);
  s->has_entrypoint = json_is_true(json_object_get(o, "has_entrypoint"));
  strv_from_json(json_object_get(o, "command"), &s->command);
  s->has_command = json_is_true(json_object_get(o, "has_command"));
  strv_from_json(json_object_get(o, "env"), &s->env);
  strv_from_json(json_object_get(o, "process_args"), &s->process_args);
  mounts_from_json(json_object_get(o, "mounts"), s);
  devices_from_json(json_object_get(o, "devices"), s);
  kv_from_json(json_object_get(o, "labels"), &s->labels);
  kv_from_json(json_object_get(o, "annotations"), &s->annotations);
  s->tty = json_is_true(json_object_get(o, "tty"));
  s->stdin_open = json_is_true(json_object_get(o, "stdin"));
  resources_from_json(json_object_get(o, "resources"), &s->resources);
  security_from_json(json_object_get(o, "security"), &s->security);
  ports_from_json(json_object_get(o, "ports"), &s->ports, &s->n_ports);
  json_decref(o);
  return 0;
}

void engine_container_spec_clear(engine_container_spec *s)
{
  char **strs[] = { &s->name, &s->pod, &s->image, &s->working_dir, &s->user, &s->log_path,
                    &s->runtime_handler, &s->stop_signal, &s->resources.cpuset_cpus,
                    &s->resources.cpuset_mems, &s->security.seccomp_profile,
                    &s->security.apparmor_profile };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    free(*strs[i]);
  engine_strv *strvs[] = { &s->entrypoint, &s->command, &s->env, &s->process_args,
                           &s->security.cap_add,
                           &s->security.cap_drop, &s->security.masked_paths,
                           &s->security.readonly_paths };
  for (size_t i = 0; i < ARRAY_SIZE(strvs); i++)
    engine_strv_clear(strvs[i]);
  for (size_t i = 0; i < s->n_mounts; i++) {
    free(s->mounts[i].type);
    free(s->mounts[i].source);
    free(s->mounts[i].destination);
    engine_strv_clear(&s->mounts[i].options);
  }
  free(s->mounts);
  for (size_t i = 0; i < s->n_devices; i++) {
    free(s->devices[i].host_path);
    free(s->devices[i].container_path);
    free(s->devices[i].permissions);
  }
  free(s->devices);
  engine_kv_clear(&s->labels);
  engine_kv_clear(&s->annotations);
  free(s->security.supplemental_groups);
  ports_clear(s->ports, s->n_ports);
  memset(s, 0, sizeof *s);
}

void engine_container_spec_copy(const engine_container_spec *src, engine_container_spec *dst)
{
  _cleanup_free_ char *text = container_spec_to_json(src);
  container_spec_from_json(text, dst, NULL);
}
