#include "server/api/json_read.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef enum { F_STR, F_BOOL, F_INT, F_STRV, F_KV, F_OBJ, F_ARR } field_type;

static const char *const type_names[] = { "a string", "a boolean", "an integer",
                                          "an array of strings", "an object of strings",
                                          "an object", "an array" };

static bool type_ok(json_t *v, field_type t)
{
  switch (t) {
  case F_STR: return json_is_string(v);
  case F_BOOL: return json_is_boolean(v);
  case F_INT: return json_is_integer(v);
  case F_OBJ: return json_is_object(v);
  case F_ARR: return json_is_array(v);
  case F_STRV: {
    size_t i;
    json_t *x;
    if (!json_is_array(v))
      return false;
    json_array_foreach(v, i, x)
      if (!json_is_string(x))
        return false;
    return true;
  }
  case F_KV: {
    const char *k;
    json_t *x;
    if (!json_is_object(v))
      return false;
    json_object_foreach(v, k, x)
      if (!json_is_string(x))
        return false;
    return true;
  }
  }
  return false;
}

typedef struct field {
  const char *name;
  field_type type;
} field;

/* Every key of o must be one of fields, of its type. */
static int check_fields(json_t *o, const char *where, const field *fields, size_t n,
                        crio_err **err)
{
  if (!json_is_object(o))
    return crio_err_set(err, CRIO_E_INVALID, "%s: expected an object", where);
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    size_t i = 0;
    while (i < n && strcmp(fields[i].name, k) != 0)
      i++;
    if (i == n)
      return crio_err_set(err, CRIO_E_INVALID, "%s%s%s: unknown field", where,
                          where[0] ? "." : "", k);
    if (!json_is_null(v) && !type_ok(v, fields[i].type))
      return crio_err_set(err, CRIO_E_INVALID, "%s%s%s: expected %s", where,
                          where[0] ? "." : "", k, type_names[fields[i].type]);
  }
  return 0;
}

static char *str(json_t *o, const char *k)
{
  const char *v = json_string_value(json_object_get(o, k));
  return v ? xstrdup(v) : NULL;
}

static void strv(json_t *a, engine_strv *v)
{
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x) {
    v->items = xrealloc(v->items, (v->n + 2) * sizeof *v->items);
    v->items[v->n++] = xstrdup(json_string_value(x));
    v->items[v->n] = NULL;
  }
}

static void kv(json_t *o, engine_kv *out)
{
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v)
    engine_kv_set(out, k, json_string_value(v));
}

static int read_ports(json_t *a, const char *where, engine_port **out, size_t *n, crio_err **err)
{
  static const field fields[] = { { "host_ip", F_STR }, { "host_port", F_INT },
                                  { "container_port", F_INT }, { "protocol", F_STR } };
  *n = json_array_size(a);
  *out = xzalloc((*n + 1) * sizeof **out);
  for (size_t i = 0; i < *n; i++) {
    json_t *p = json_array_get(a, i);
    if (check_fields(p, where, fields, ARRAY_SIZE(fields), err) < 0)
      return -1;
    const char *proto = json_string_value(json_object_get(p, "protocol"));
    if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
      return crio_err_set(err, CRIO_E_INVALID, "%s.protocol: \"%s\" is not tcp, udp or sctp",
                          where, proto);
    (*out)[i] = (engine_port) {
      .host_ip = str(p, "host_ip"), .protocol = xstrdup(proto ? proto : "tcp"),
      .host_port = (int) json_integer_value(json_object_get(p, "host_port")),
      .container_port = (int) json_integer_value(json_object_get(p, "container_port")) };
  }
  return 0;
}

int read_pod_spec(json_t *o, engine_pod_spec *s, crio_err **err)
{
  static const field fields[] = {
    { "name", F_STR }, { "namespace", F_STR }, { "uid", F_STR }, { "attempt", F_INT },
    { "hostname", F_STR }, { "labels", F_KV }, { "annotations", F_KV },
    { "log_directory", F_STR }, { "cgroup_parent", F_STR }, { "host_network", F_BOOL },
    { "host_ipc", F_BOOL }, { "host_pid", F_BOOL }, { "dns", F_OBJ }, { "ports", F_ARR },
  };
  static const field dns_fields[] = { { "servers", F_STRV }, { "searches", F_STRV },
                                      { "options", F_STRV } };
  memset(s, 0, sizeof *s);
  json_t *dns = json_object_get(o, "dns");
  if (check_fields(o, "", fields, ARRAY_SIZE(fields), err) < 0 ||
      (dns && check_fields(dns, "dns", dns_fields, ARRAY_SIZE(dns_fields), err) < 0))
    return -1;
  s->name = str(o, "name");
  s->namespace = str(o, "namespace");
  s->uid = str(o, "uid");
  s->attempt = (uint32_t) json_integer_value(json_object_get(o, "attempt"));
  s->hostname = str(o, "hostname");
  kv(json_object_get(o, "labels"), &s->labels);
  kv(json_object_get(o, "annotations"), &s->annotations);
  s->log_directory = str(o, "log_directory");
  s->cgroup_parent = str(o, "cgroup_parent");
  s->host_network = json_is_true(json_object_get(o, "host_network"));
  s->host_ipc = json_is_true(json_object_get(o, "host_ipc"));
  s->host_pid = json_is_true(json_object_get(o, "host_pid"));
  strv(json_object_get(dns, "servers"), &s->dns_servers);
  strv(json_object_get(dns, "searches"), &s->dns_searches);
  strv(json_object_get(dns, "options"), &s->dns_options);
  return read_ports(json_object_get(o, "ports"), "ports", &s->ports, &s->n_ports, err);
}

static int read_mounts(json_t *a, engine_container_spec *s, crio_err **err)
{
  static const field fields[] = { { "type", F_STR }, { "source", F_STR },
                                  { "destination", F_STR }, { "options", F_STRV } };
  s->n_mounts = json_array_size(a);
  s->mounts = xzalloc((s->n_mounts + 1) * sizeof *s->mounts);
  for (size_t i = 0; i < s->n_mounts; i++) {
    json_t *m = json_array_get(a, i);
    if (check_fields(m, "mounts[]", fields, ARRAY_SIZE(fields), err) < 0)
      return -1;
    s->mounts[i].type = str(m, "type");
    s->mounts[i].source = str(m, "source");
    s->mounts[i].destination = str(m, "destination");
    strv(json_object_get(m, "options"), &s->mounts[i].options);
  }
  return 0;
}

static int read_devices(json_t *a, engine_container_spec *s, crio_err **err)
{
  static const field fields[] = { { "host_path", F_STR }, { "container_path", F_STR },
                                  { "permissions", F_STR } };
  s->n_devices = json_array_size(a);
  s->devices = xzalloc((s->n_devices + 1) * sizeof *s->devices);
  for (size_t i = 0; i < s->n_devices; i++) {
    json_t *d = json_array_get(a, i);
    if (check_fields(d, "devices[]", fields, ARRAY_SIZE(fields), err) < 0)
      return -1;
    s->devices[i] = (engine_device) { .host_path = str(d, "host_path"),
                                      .container_path = str(d, "container_path"),
                                      .permissions = str(d, "permissions") };
  }
  return 0;
}

static int read_resources(json_t *o, engine_resources *r, crio_err **err)
{
  static const field fields[] = { { "cpu_shares", F_INT }, { "cpu_quota", F_INT },
                                  { "cpu_period", F_INT }, { "cpuset_cpus", F_STR },
                                  { "cpuset_mems", F_STR }, { "memory_limit", F_INT },
                                  { "pids_limit", F_INT }, { "oom_score_adj", F_INT } };
  if (!o)
    return 0;
  if (check_fields(o, "resources", fields, ARRAY_SIZE(fields), err) < 0)
    return -1;
  r->cpu_shares = json_integer_value(json_object_get(o, "cpu_shares"));
  r->cpu_quota = json_integer_value(json_object_get(o, "cpu_quota"));
  r->cpu_period = json_integer_value(json_object_get(o, "cpu_period"));
  r->cpuset_cpus = str(o, "cpuset_cpus");
  r->cpuset_mems = str(o, "cpuset_mems");
  r->memory_limit = json_integer_value(json_object_get(o, "memory_limit"));
  r->pids_limit = json_integer_value(json_object_get(o, "pids_limit"));
  r->has_oom_score_adj = json_is_integer(json_object_get(o, "oom_score_adj"));
  r->oom_score_adj = json_integer_value(json_object_get(o, "oom_score_adj"));
  if (r->memory_limit < 0 || r->cpu_shares < 0 || r->cpu_period < 0)
    return crio_err_set(err, CRIO_E_INVALID, "resources: negative limits are not allowed");
  return 0;
}

static int read_security(json_t *o, engine_security *s, crio_err **err)
{
  static const field fields[] = { { "privileged", F_BOOL }, { "readonly_rootfs", F_BOOL },
                                  { "no_new_privileges", F_BOOL }, { "cap_add", F_STRV },
                                  { "cap_drop", F_STRV }, { "supplemental_groups", F_ARR },
                                  { "masked_paths", F_STRV }, { "readonly_paths", F_STRV },
                                  { "seccomp_profile", F_STR }, { "apparmor_profile", F_STR } };
  if (!o)
    return 0;
  if (check_fields(o, "security", fields, ARRAY_SIZE(fields), err) < 0)
    return -1;
  s->privileged = json_is_true(json_object_get(o, "privileged"));
  s->readonly_rootfs = json_is_true(json_object_get(o, "readonly_rootfs"));
  s->no_new_privileges = json_is_true(json_object_get(o, "no_new_privileges"));
  strv(json_object_get(o, "cap_add"), &s->cap_add);
  strv(json_object_get(o, "cap_drop"), &s->cap_drop);
  strv(json_object_get(o, "masked_paths"), &s->masked_paths);
  strv(json_object_get(o, "readonly_paths"), &s->readonly_paths);
  s->seccomp_profile = str(o, "seccomp_profile");
  s->apparmor_profile = str(o, "apparmor_profile");
  json_t *g = json_object_get(o, "supplemental_groups");
  s->n_supplemental_groups = json_array_size(g);
  s->supplemental_groups = xzalloc((s->n_supplemental_groups + 1) * sizeof *s->supplemental_groups);
  for (size_t i = 0; i < s->n_supplemental_groups; i++) {
    if (!json_is_integer(json_array_get(g, i)))
      return crio_err_set(err, CRIO_E_INVALID, "security.supplemental_groups: expected integers");
    s->supplemental_groups[i] = json_integer_value(json_array_get(g, i));
  }
  return 0;
}

int read_container_spec(json_t *o, engine_container_spec *s, crio_err **err)
{
  static const field fields[] = {
    { "name", F_STR }, { "pod", F_STR }, { "image", F_STR }, { "entrypoint", F_STRV },
    { "command", F_STRV }, { "env", F_STRV }, { "working_dir", F_STR }, { "user", F_STR },
    { "mounts", F_ARR }, { "devices", F_ARR }, { "labels", F_KV }, { "annotations", F_KV },
    { "tty", F_BOOL }, { "stdin", F_BOOL }, { "resources", F_OBJ }, { "security", F_OBJ },
    { "ports", F_ARR }, { "log_path", F_STR }, { "runtime_handler", F_STR },
    { "stop_signal", F_STR },
  };
  memset(s, 0, sizeof *s);
  if (check_fields(o, "", fields, ARRAY_SIZE(fields), err) < 0)
    return -1;
  s->name = str(o, "name");
  s->pod = str(o, "pod");
  s->image = str(o, "image");
  s->has_entrypoint = json_is_array(json_object_get(o, "entrypoint"));
  strv(json_object_get(o, "entrypoint"), &s->entrypoint);
  s->has_command = json_is_array(json_object_get(o, "command"));
  strv(json_object_get(o, "command"), &s->command);
  strv(json_object_get(o, "env"), &s->env);
  for (size_t i = 0; i < s->env.n; i++)
    if (!strchr(s->env.items[i], '=') || s->env.items[i][0] == '=')
      return crio_err_set(err, CRIO_E_INVALID, "env: \"%s\" is not KEY=VALUE", s->env.items[i]);
  s->working_dir = str(o, "working_dir");
  s->user = str(o, "user");
  kv(json_object_get(o, "labels"), &s->labels);
  kv(json_object_get(o, "annotations"), &s->annotations);
  s->tty = json_is_true(json_object_get(o, "tty"));
  s->stdin_open = json_is_true(json_object_get(o, "stdin"));
  s->log_path = str(o, "log_path");
  s->runtime_handler = str(o, "runtime_handler");
  s->stop_signal = str(o, "stop_signal");
  if (read_mounts(json_object_get(o, "mounts"), s, err) < 0 ||
      read_devices(json_object_get(o, "devices"), s, err) < 0 ||
      read_resources(json_object_get(o, "resources"), &s->resources, err) < 0 ||
      read_security(json_object_get(o, "security"), &s->security, err) < 0)
    return -1;
  return read_ports(json_object_get(o, "ports"), "ports", &s->ports, &s->n_ports, err);
}
