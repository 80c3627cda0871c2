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

json_t *ports_to_json(const engine_port *p, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_pack("{s:i,s:i}", "host_port", p[i].host_port, "container_port",
                          p[i].container_port);
    set_str(o, "host_ip", p[i].host_ip);
    set_str(o, "protocol", p[i].protocol);
    json_array_append_new(a, o);
  }
  return a;
}

void ports_from_json(json_t *a, engine_port **out, size_t *n)
{
  *n = json_array_size(a);
  *out = xzalloc((*n + 1) * sizeof **out);
  for (size_t i = 0; i < *n; i++) {
    json_t *o = json_array_get(a, i);
    (*out)[i] = (engine_port) { .host_ip = get_str(o, "host_ip"),
                                .host_port = (int) json_integer_value(json_object_get(o, "host_port")),
                                .container_port = (int) json_integer_value(json_object_get(o, "container_port")),
                                .protocol = get_str(o, "protocol") };
  }
}

char *pod_spec_to_json(const engine_pod_spec *s)
{
  json_t *o = json_pack("{s:I,s:o,s:o,s:b,s:b,s:b,s:o,s:o,s:o,s:o}", "attempt",
                        (json_int_t) s->attempt, "labels", kv_to_json(&s->labels),
                        "annotations", kv_to_json(&s->annotations), "host_network",
                        s->host_network, "host_ipc", s->host_ipc, "host_pid", s->host_pid,
                        "dns_servers", strv_to_json(&s->dns_servers), "dns_searches",
                        strv_to_json(&s->dns_searches), "dns_options",
                        strv_to_json(&s->dns_options), "ports", ports_to_json(s->ports, s->n_ports));
  set_str(o, "name", s->name);
  set_str(o, "namespace", s->namespace);
  set_str(o, "uid", s->uid);
  set_str(o, "hostname", s->hostname);
  set_str(o, "log_directory", s->log_directory);
  set_str(o, "cgroup_parent", s->cgroup_parent);
  set_str(o, "network", s->network);
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return text;
}

int pod_spec_from_json(const char *text, engine_pod_spec *s, crio_err **err)
{
  memset(s, 0, sizeof *s);
  json_t *o = json_loads(text, 0, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    return crio_err_set(err, CRIO_E_INTERNAL, "stored pod spec is not JSON");
  }
  s->name = get_str(o, "name");
  s->namespace = get_str(o, "namespace");
  s->uid = get_str(o, "uid");
  s->hostname = get_str(o, "hostname");
  s->log_directory = get_str(o, "log_directory");
  s->cgroup_parent = get_str(o, "cgroup_parent");
  s->network = get_str(o, "network");
  s->attempt = (uint32_t) json_integer_value(json_object_get(o, "attempt"));
  kv_from_json(json_object_get(o, "labels"), &s->labels);
  kv_from_json(json_object_get(o, "annotations"), &s->annotations);
  s->host_network = json_is_true(json_object_get(o, "host_network"));
  s->host_ipc = json_is_true(json_object_get(o, "host_ipc"));
  s->host_pid = json_is_true(json_object_get(o, "host_pid"));
  strv_from_json(json_object_get(o, "dns_servers"), &s->dns_servers);
  strv_from_json(json_object_get(o, "dns_searches"), &s->dns_searches);
  strv_from_json(json_object_get(o, "dns_options"), &s->dns_options);
  ports_from_json(json_object_get(o, "ports"), &s->ports, &s->n_ports);
  json_decref(o);
  return 0;
}

void ports_clear(engine_port *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(p[i].host_ip);
    free(p[i].protocol);
  }
  free(p);
}

void engine_pod_spec_clear(engine_pod_spec *s)
{
  char **strs[] = { &s->name, &s->namespace, &s->uid, &s->hostname, &s->log_directory,
                    &s->cgroup_parent, &s->network };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    free(*strs[i]);
  engine_kv_clear(&s->labels);
  engine_kv_clear(&s->annotations);
  engine_strv_clear(&s->dns_servers);
  engine_strv_clear(&s->dns_searches);
  engine_strv_clear(&s->dns_options);
  ports_clear(s->ports, s->n_ports);
  memset(s, 0, sizeof *s);
}

void engine_pod_spec_copy(const engine_pod_spec *src, engine_pod_spec *dst)
{
  _cleanup_free_ char *text = pod_spec_to_json(src);
  pod_spec_from_json(text, dst, NULL);
}
