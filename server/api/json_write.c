/* Pods and containers as the REST API shows them (openapi.yaml Pod,
 * Container, ContainerSpec). */
#include "server/api/json_read.h"
#include "server/api/json_util.h"

#include <stdio.h>
#include <time.h>

#include "util/cleanup.h"

json_t *time_json(int64_t ns)
{
  if (ns <= 0)
    return json_string("");
  time_t s = (time_t) (ns / 1000000000LL);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%09lldZ", (long long) (ns % 1000000000LL));
  return json_string(buf);
}

static json_t *strv_json(const engine_strv *v)
{
  return json_string_array(v->items, v->n);
}

static json_t *kv_json(const engine_kv *kv)
{
  json_t *o = json_object();
  for (size_t i = 0; i < kv->keys.n; i++)
    json_object_set_new(o, kv->keys.items[i], json_string(kv->values.items[i]));
  return o;
}

static json_t *ports_json(const engine_port *p, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_pack("{s:i,s:i,s:s}", "host_port", p[i].host_port, "container_port",
                          p[i].container_port, "protocol", p[i].protocol ? p[i].protocol : "tcp");
    if (p[i].host_ip)
      json_object_set_new(o, "host_ip", json_string(p[i].host_ip));
    json_array_append_new(a, o);
  }
  return a;
}

static void set_opt_str(json_t *o, const char *k, const char *v)
{
  if (v)
    json_object_set_new(o, k, json_string(v));
}

json_t *pod_json(const engine_pod *p)
{
  const engine_pod_spec *s = &p->spec;
  json_t *ns = json_object();
  json_t *o = NULL;
  set_opt_str(ns, "net", p->netns);
  set_opt_str(ns, "ipc", p->ipcns);
  set_opt_str(ns, "uts", p->utsns);
  o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:s,s:o,s:o,s:s,s:s,s:b,s:b,s:b,s:o,s:o,s:o,s:o}",
                   "id", p->id, "name", s->name, "namespace", s->namespace, "uid", s->uid,
                   "attempt", (json_int_t) s->attempt, "state", p->state, "created",
                   time_json(p->created_ns), "hostname", s->hostname, "labels",
                   kv_json(&s->labels), "annotations", kv_json(&s->annotations),
                   "log_directory", s->log_directory ? s->log_directory : "", "cgroup_parent",
                   s->cgroup_parent ? s->cgroup_parent : "", "host_network", s->host_network,
                   "host_ipc", s->host_ipc, "host_pid", s->host_pid, "namespaces", ns, "ips",
                   strv_json(&p->ips), "ports", ports_json(s->ports, s->n_ports), "containers",
                   strv_json(&p->containers));
  json_object_set_new(o, "network", json_string(s->network ? s->network : ""));
  return o;
}

static json_t *mounts_json(const engine_container_spec *s)
{
  json_t *a = json_array();
  for (size_t i = 0; i < s->n_mounts; i++) {
    json_t *m = json_pack("{s:s,s:o}", "destination", s->mounts[i].destination, "options",
                          strv_json(&s->mounts[i].options));
    set_opt_str(m, "type", s->mounts[i].type);
    set_opt_str(m, "source", s->mounts[i].source);
    json_array_append_new(a, m);
  }
  return a;
}

static json_t *devices_json(const engine_container_spec *s)
{
  json_t *a = json_array();
  for (size_t i = 0; i < s->n_devices; i++) {
    json_t *d = json_pack("{s:s}", "host_path", s->devices[i].host_path);
    set_opt_str(d, "container_path", s->devices[i].container_path);
    set_opt_str(d, "permissions", s->devices[i].permissions);
    json_array_append_new(a, d);
  }
  return a;
}

static json_t *resources_json(const engine_resources *r)
{
  json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I}", "cpu_shares", (json_int_t) r->cpu_shares,
                        "cpu_quota", (json_int_t) r->cpu_quota, "cpu_period",
                        (json_int_t) r->cpu_period, "memory_limit", (json_int_t) r->memory_limit,
                        "pids_limit", (json_int_t) r->pids_limit);
  set_opt_str(o, "cpuset_cpus", r->cpuset_cpus);
  set_opt_str(o, "cpuset_mems", r->cpuset_mems);
  if (r->has_oom_score_adj)
    json_object_set_new(o, "oom_score_adj", json_integer(r->oom_score_adj));
  return o;
}

static json_t *security_json(const engine_security *s)
{
  json_t *g = json_array();
  for (size_t i = 0; i < s->n_supplemental_groups; i++)
    json_array_append_new(g, json_integer(s->supplemental_groups[i]));
  json_t *o = json_pack("{s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:o}", "privileged", s->privileged,
                        "readonly_rootfs", s->readonly_rootfs, "no_new_privileges",
                        s->no_new_privileges, "cap_add", strv_json(&s->cap_add), "cap_drop",
                        strv_json(&s->cap_drop), "supplemental_groups", g, "masked_paths",
                        strv_json(&s->masked_paths), "readonly_paths",
                        strv_json(&s->readonly_paths));
  set_opt_str(o, "seccomp_profile", s->seccomp_profile);
  set_opt_str(o, "apparmor_profile", s->apparmor_profile);
  return o;
}

json_t *container_spec_json(const engine_container_spec *s)
{
  json_t *o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o}", "image", s->image,
                        "env", strv_json(&s->env), "mounts", mounts_json(s), "devices",
                        devices_json(s), "labels", kv_json(&s->labels), "annotations",
                        kv_json(&s->annotations), "ports", ports_json(s->ports, s->n_ports),
                        "tty", s->tty, "stdin", s->stdin_open, "resources",
                        resources_json(&s->resources), "security", security_json(&s->security),
                        "command", strv_json(&s->command));
  if (!s->has_command)
    json_object_del(o, "command");
  if (s->has_entrypoint)
    json_object_set_new(o, "entrypoint", strv_json(&s->entrypoint));
  const struct { const char *k; const char *v; } strs[] = {
    { "name", s->name }, { "pod", s->pod }, { "working_dir", s->working_dir },
    { "user", s->user }, { "log_path", s->log_path }, { "runtime_handler", s->runtime_handler },
    { "stop_signal", s->stop_signal },
  };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    set_opt_str(o, strs[i].k, strs[i].v);
  return o;
}

json_t *container_json(const engine_container *c)
{
  json_t *o = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:i,s:b,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o}", "id",
      c->id, "name", c->spec.name, "pod_id", c->spec.pod, "image", c->spec.image, "image_id",
      c->image_id, "command", strv_json(&c->command), "state", c->state, "pid", c->pid,
      "exit_code", c->exit_code, "oom_killed", c->oom_killed, "reason", c->reason, "message",
      c->message, "created", time_json(c->created_ns), "started", time_json(c->started_ns),
      "finished", time_json(c->finished_ns), "labels", kv_json(&c->spec.labels), "annotations",
      kv_json(&c->spec.annotations), "log_path", c->log_path, "runtime_handler",
      c->runtime_handler, "spec", container_spec_json(&c->spec));
  if (c->size_rw >= 0)
    json_object_set_new(o, "size_rw", json_integer(c->size_rw));
  return o;
}
