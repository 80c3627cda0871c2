/* RuntimeService pod sandbox and container handlers: CRI messages to engine
 * calls. The CRI metadata names (a pod's, a container's) are kept in reserved
 * annotations, hidden again in every answer. */
#include "adapters/cri/cri_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.pb-c.h"
#include "util/xalloc.h"

#define NEW_MSG(type, init)         \
  ({                                \
    type *m_ = xmalloc(sizeof *m_); \
    init(m_);                       \
    m_;                             \
  })

#define RESERVED_PREFIX "io.crio-c.cri."
#define META_NAME RESERVED_PREFIX "name"
#define META_ATTEMPT RESERVED_PREFIX "attempt"

/* A map of the request (every entry type has key and value) into kv. */
#define KV_IN(kv, arr, n)                                                    \
  do {                                                                       \
    for (size_t i_ = 0; i_ < (n); i_++)                                      \
      engine_kv_set((kv), (arr)[i_]->key ? (arr)[i_]->key : "",              \
                    (arr)[i_]->value ? (arr)[i_]->value : "");               \
  } while (0)

/* kv into a map of the response, the reserved keys left out. */
#define KV_OUT(kv, arr, cnt_, EntryType, init)                                  \
  do {                                                                       \
    (cnt_) = 0;                                                                 \
    (arr) = (kv)->keys.n ? xmalloc((kv)->keys.n * sizeof *(arr)) : NULL;     \
    for (size_t i_ = 0; i_ < (kv)->keys.n; i_++) {                           \
      if (strncmp((kv)->keys.items[i_], RESERVED_PREFIX,                     \
                  strlen(RESERVED_PREFIX)) == 0)                             \
        continue;                                                            \
      EntryType *e_ = NEW_MSG(EntryType, init);                              \
      e_->key = xstrdup((kv)->keys.items[i_]);                               \
      e_->value = xstrdup((kv)->values.items[i_]);                           \
      (arr)[(cnt_)++] = e_;                                                     \
    }                                                                        \
  } while (0)

static const char *kv_get(const engine_kv *kv, const char *key)
{
  for (size_t i = 0; i < kv->keys.n; i++)
    if (strcmp(kv->keys.items[i], key) == 0)
      return kv->values.items[i];
  return NULL;
}

static void strv_push(engine_strv *v, const char *s)
{
  v->items = xrealloc(v->items, (v->n + 1) * sizeof *v->items);
  v->items[v->n++] = xstrdup(s);
}

static void strv_from(engine_strv *v, char **items, size_t n)
{
  for (size_t i = 0; i < n; i++)
    strv_push(v, items[i] ? items[i] : "");
}

static bool empty(const char *s)
{
  return !s || !*s;
}

/* NOT_FOUND is success: the kubelet retries stops and removes of what is gone. */
static int gone_ok(int rc, crio_err **lerr, crio_err **err)
{
  if (rc >= 0)
    return 0;
  if (*lerr && (*lerr)->code == CRIO_E_NOT_FOUND) {
    crio_err_free(*lerr);
    *lerr = NULL;
    return 0;
  }
  *err = *lerr;
  *lerr = NULL;
  return rc;
}

/* ---- pod sandboxes ------------------------------------------------------ */

static const char *protocol_name(Runtime__V1__Protocol p)
{
  switch (p) {
  case RUNTIME__V1__PROTOCOL__UDP: return "udp";
  case RUNTIME__V1__PROTOCOL__SCTP: return "sctp";
  default: return "tcp";
  }
}

static int h_run_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__RunPodSandboxRequest *q = (const Runtime__V1__RunPodSandboxRequest *) req;
  const Runtime__V1__PodSandboxConfig *c = q->config;
  if (!c || !c->metadata || empty(c->metadata->name))
    return crio_err_set(err, CRIO_E_INVALID, "RunPodSandbox: config.metadata.name is empty");
  const Runtime__V1__PodSandboxMetadata *md = c->metadata;
  const char *ns = empty(md->namespace_) ? "default" : md->namespace_;
  engine_pod_spec s = { 0 };
  s.name = xasprintf("%s_%s_%s_%u", md->name, ns, empty(md->uid) ? "" : md->uid, md->attempt);

  /* One sandbox per (name, namespace, uid, attempt): say which holds it. */
  engine_pod old = { 0 };
  crio_err *lerr = NULL;
  if (engine_pod_get(e, s.name, &old, &lerr) == 0) {
    int rc = crio_err_set(err, CRIO_E_EXISTS, "pod sandbox \"%s\" already exists (id %s)", s.name,
                          old.id);
    engine_pod_clear(&old);
    engine_pod_spec_clear(&s);
    return rc;
  }
  crio_err_free(lerr);

  s.namespace = xstrdup(ns);
  s.uid = xstrdup(md->uid ? md->uid : "");
  s.attempt = md->attempt;
  s.hostname = empty(c->hostname) ? NULL : xstrdup(c->hostname);
  s.log_directory = empty(c->log_directory) ? NULL : xstrdup(c->log_directory);
  KV_IN(&s.labels, c->labels, c->n_labels);
  KV_IN(&s.annotations, c->annotations, c->n_annotations);
  engine_kv_set(&s.annotations, META_NAME, md->name);
  if (c->dns_config) {
    strv_from(&s.dns_servers, c->dns_config->servers, c->dns_config->n_servers);
    strv_from(&s.dns_searches, c->dns_config->searches, c->dns_config->n_searches);
    strv_from(&s.dns_options, c->dns_config->options, c->dns_config->n_options);
  }
  if (c->n_port_mappings) {
    s.ports = xzalloc(c->n_port_mappings * sizeof *s.ports);
    for (size_t i = 0; i < c->n_port_mappings; i++) {
      const Runtime__V1__PortMapping *pm = c->port_mappings[i];
      engine_port *p = &s.ports[s.n_ports++];
      p->host_ip = empty(pm->host_ip) ? NULL : xstrdup(pm->host_ip);
      p->host_port = pm->host_port;
      p->container_port = pm->container_port;
      p->protocol = xstrdup(protocol_name(pm->protocol));
    }
  }
  if (c->linux) {
    s.cgroup_parent = empty(c->linux->cgroup_parent) ? NULL : xstrdup(c->linux->cgroup_parent);
    const Runtime__V1__LinuxSandboxSecurityContext *sc = c->linux->security_context;
    if (sc && sc->namespace_options) {
      s.host_network = sc->namespace_options->network == RUNTIME__V1__NAMESPACE_MODE__NODE;
      s.host_ipc = sc->namespace_options->ipc == RUNTIME__V1__NAMESPACE_MODE__NODE;
      s.host_pid = sc->namespace_options->pid == RUNTIME__V1__NAMESPACE_MODE__NODE;
    }
  }

  engine_pod pod = { 0 };
  int rc = engine_pod_create(e, &s, &pod, err);
  engine_pod_spec_clear(&s);
  if (rc < 0)
    return rc;
  Runtime__V1__RunPodSandboxResponse *r =
      NEW_MSG(Runtime__V1__RunPodSandboxResponse, runtime__v1__run_pod_sandbox_response__init);
  r->pod_sandbox_id = xstrdup(pod.id);
  engine_pod_clear(&pod);
  *resp = &r->base;
  return 0;
}

static Runtime__V1__PodSandboxMetadata *pod_metadata(const engine_pod *p)
{
  Runtime__V1__PodSandboxMetadata *m =
      NEW_MSG(Runtime__V1__PodSandboxMetadata, runtime__v1__pod_sandbox_metadata__init);
  const char *name = kv_get(&p->spec.annotations, META_NAME);
  m->name = xstrdup(name ? name : p->spec.name ? p->spec.name : "");
  m->uid = xstrdup(p->spec.uid ? p->spec.uid : "");
  m->namespace_ = xstrdup(p->spec.namespace ? p->spec.namespace : "");
  m->attempt = p->spec.attempt;
  return m;
}

static Runtime__V1__PodSandboxState pod_state(const engine_pod *p)
{
  return p->state && strcmp(p->state, "READY") == 0
             ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
             : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
}

static Runtime__V1__NamespaceMode ns_mode(bool host)
{
  return host ? RUNTIME__V1__NAMESPACE_MODE__NODE : RUNTIME__V1__NAMESPACE_MODE__POD;
}

static int h_pod_sandbox_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                crio_err **err)
{
  const Runtime__V1__PodSandboxStatusRequest *q =
      (const Runtime__V1__PodSandboxStatusRequest *) req;
  if (empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "PodSandboxStatus: pod_sandbox_id is empty");
  engine_pod p = { 0 };
  int rc = engine_pod_get(e, q->pod_sandbox_id, &p, err);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStatusResponse *r = NEW_MSG(
      Runtime__V1__PodSandboxStatusResponse, runtime__v1__pod_sandbox_status_response__init);
  Runtime__V1__PodSandboxStatus *st =
      NEW_MSG(Runtime__V1__PodSandboxStatus, runtime__v1__pod_sandbox_status__init);
  r->status = st;
  st->id = xstrdup(p.id);
  st->metadata = pod_metadata(&p);
  st->state = pod_state(&p);
  st->created_at = p.created_ns;
  st->network =
      NEW_MSG(Runtime__V1__PodSandboxNetworkStatus, runtime__v1__pod_sandbox_network_status__init);
  st->network->ip = xstrdup(p.ips.n ? p.ips.items[0] : "");
  if (p.ips.n > 1) {
    st->network->additional_ips = xmalloc((p.ips.n - 1) * sizeof *st->network->additional_ips);
    for (size_t i = 1; i < p.ips.n; i++) {
      Runtime__V1__PodIP *ip = NEW_MSG(Runtime__V1__PodIP, runtime__v1__pod_ip__init);
      ip->ip = xstrdup(p.ips.items[i]);
      st->network->additional_ips[st->network->n_additional_ips++] = ip;
    }
  }
  st->linux = NEW_MSG(Runtime__V1__LinuxPodSandboxStatus, runtime__v1__linux_pod_sandbox_status__init);
  st->linux->namespaces = NEW_MSG(Runtime__V1__Namespace, runtime__v1__namespace__init);
  Runtime__V1__NamespaceOption *o =
      NEW_MSG(Runtime__V1__NamespaceOption, runtime__v1__namespace_option__init);
  o->network = ns_mode(p.spec.host_network);
  o->ipc = ns_mode(p.spec.host_ipc);
  o->pid = p.spec.host_pid ? RUNTIME__V1__NAMESPACE_MODE__NODE : RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
  st->linux->namespaces->options = o;
  KV_OUT(&p.spec.labels, st->labels, st->n_labels, Runtime__V1__PodSandboxStatus__LabelsEntry,
         runtime__v1__pod_sandbox_status__labels_entry__init);
  KV_OUT(&p.spec.annotations, st->annotations, st->n_annotations,
         Runtime__V1__PodSandboxStatus__AnnotationsEntry,
         runtime__v1__pod_sandbox_status__annotations_entry__init);
  st->runtime_handler = xstrdup("");
  engine_pod_clear(&p);
  *resp = &r->base;
  return 0;
}

typedef struct filters {
  char *items[64];
  size_t n;
} filters;

static void filters_add(filters *f, char *s)
{
  if (f->n < sizeof f->items / sizeof f->items[0])
    f->items[f->n++] = s;
  else
    free(s);
}

static void filters_clear(filters *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->items[i]);
  f->n = 0;
}

/* The engine's id= filter takes prefixes; the CRI's too (crictl does). */
static int h_list_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__ListPodSandboxRequest *q = (const Runtime__V1__ListPodSandboxRequest *) req;
  filters f = { 0 };
  const Runtime__V1__PodSandboxFilter *pf = q->filter;
  if (pf) {
    if (!empty(pf->id))
      filters_add(&f, xasprintf("id=%s", pf->id));
    if (pf->state)
      filters_add(&f, xstrdup(pf->state->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                  ? "state=READY"
                                  : "state=NOTREADY"));
    for (size_t i = 0; i < pf->n_label_selector; i++)
      filters_add(&f, xasprintf("label=%s=%s", pf->label_selector[i]->key,
                                pf->label_selector[i]->value ? pf->label_selector[i]->value : ""));
  }
  engine_filter ef = { .filters = f.items, .n_filters = f.n };
  engine_pods pods = { 0 };
  int rc = engine_pod_list(e, &ef, &pods, err);
  filters_clear(&f);
  if (rc < 0)
    return rc;
  Runtime__V1__ListPodSandboxResponse *r =
      NEW_MSG(Runtime__V1__ListPodSandboxResponse, runtime__v1__list_pod_sandbox_response__init);
  if (pods.n)
    r->items = xmalloc(pods.n * sizeof *r->items);
  for (size_t i = 0; i < pods.n; i++) {
    const engine_pod *p = &pods.items[i];
    Runtime__V1__PodSandbox *m = NEW_MSG(Runtime__V1__PodSandbox, runtime__v1__pod_sandbox__init);
    m->id = xstrdup(p->id);
    m->metadata = pod_metadata(p);
    m->state = pod_state(p);
    m->created_at = p->created_ns;
    KV_OUT(&p->spec.labels, m->labels, m->n_labels, Runtime__V1__PodSandbox__LabelsEntry,
           runtime__v1__pod_sandbox__labels_entry__init);
    KV_OUT(&p->spec.annotations, m->annotations, m->n_annotations,
           Runtime__V1__PodSandbox__AnnotationsEntry,
           runtime__v1__pod_sandbox__annotations_entry__init);
    m->runtime_handler = xstrdup("");
    r->items[r->n_items++] = m;
  }
  engine_pods_clear(&pods);
  *resp = &r->base;
  return 0;
}

static int h_stop_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__StopPodSandboxRequest *q = (const Runtime__V1__StopPodSandboxRequest *) req;
  if (empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "StopPodSandbox: pod_sandbox_id is empty");
  crio_err *lerr = NULL;
  int rc = gone_ok(engine_pod_stop(e, q->pod_sandbox_id, 10, &lerr), &lerr, err);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__StopPodSandboxResponse,
                   runtime__v1__stop_pod_sandbox_response__init)->base;
  return 0;
}

static int h_remove_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                crio_err **err)
{
  const Runtime__V1__RemovePodSandboxRequest *q =
      (const Runtime__V1__RemovePodSandboxRequest *) req;
  if (empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "RemovePodSandbox: pod_sandbox_id is empty");
  crio_err *lerr = NULL;
  char *id = NULL;
  int rc = gone_ok(engine_pod_remove(e, q->pod_sandbox_id, true, &id, &lerr), &lerr, err);
  free(id);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__RemovePodSandboxResponse,
                   runtime__v1__remove_pod_sandbox_response__init)->base;
  return 0;
}

/* ---- containers --------------------------------------------------------- */

static char *user_of(const Runtime__V1__LinuxContainerSecurityContext *sc, crio_err **err)
{
  char *u = NULL;
  if (sc->run_as_user)
    u = xasprintf("%lld", (long long) sc->run_as_user->value);
  else if (!empty(sc->run_as_username))
    u = xstrdup(sc->run_as_username);
  if (sc->run_as_group) {
    if (!u) {
      crio_err_set(err, CRIO_E_INVALID,
                   "CreateContainer: run_as_group is set without run_as_user or run_as_username");
      return NULL;
    }
    char *ug = xasprintf("%s:%lld", u, (long long) sc->run_as_group->value);
    free(u);
    u = ug;
  }
  return u;
}

static int h_create_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__CreateContainerRequest *q = (const Runtime__V1__CreateContainerRequest *) req;
  const Runtime__V1__ContainerConfig *c = q->config;
  if (empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: pod_sandbox_id is empty");
  if (!c || !c->metadata || empty(c->metadata->name))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: config.metadata.name is empty");
  if (!c->image || empty(c->image->image))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: config.image.image is empty");
  engine_pod pod = { 0 };
  int rc = engine_pod_get(e, q->pod_sandbox_id, &pod, err);
  if (rc < 0)
    return rc;
  const char *pod_name = kv_get(&pod.spec.annotations, META_NAME);

  engine_container_spec s = { 0 };
  s.name = xasprintf("%s_%s_%u", c->metadata->name, pod_name ? pod_name : pod.spec.name,
                     c->metadata->attempt);
  s.pod = xstrdup(pod.id);
  engine_pod_clear(&pod);
  s.image = xstrdup(c->image->image);
  strv_from(&s.entrypoint, c->command, c->n_command);
  s.has_entrypoint = c->n_command > 0;
  strv_from(&s.command, c->args, c->n_args);
  s.has_command = c->n_args > 0;
  s.working_dir = empty(c->working_dir) ? NULL : xstrdup(c->working_dir);
  for (size_t i = 0; i < c->n_envs; i++) {
    const Runtime__V1__KeyValue *kv = c->envs[i];
    char *env = xasprintf("%s=%.*s", kv->key ? kv->key : "", (int) kv->value.len,
                          kv->value.data ? (const char *) kv->value.data : "");
    strv_push(&s.env, env);
    free(env);
  }
  if (c->n_mounts) {
    s.mounts = xzalloc(c->n_mounts * sizeof *s.mounts);
    for (size_t i = 0; i < c->n_mounts; i++) {
      const Runtime__V1__Mount *m = c->mounts[i];
      engine_mount *em = &s.mounts[s.n_mounts++];
      em->type = xstrdup("bind");
      em->source = xstrdup(m->host_path ? m->host_path : "");
      em->destination = xstrdup(m->container_path ? m->container_path : "");
      strv_push(&em->options, "rbind");
      strv_push(&em->options, m->readonly ? "ro" : "rw");
    }
  }
  KV_IN(&s.labels, c->labels, c->n_labels);
  KV_IN(&s.annotations, c->annotations, c->n_annotations);
  engine_kv_set(&s.annotations, META_NAME, c->metadata->name);
  char attempt[16];
  snprintf(attempt, sizeof attempt, "%u", c->metadata->attempt);
  engine_kv_set(&s.annotations, META_ATTEMPT, attempt);
  s.tty = c->tty;
  s.stdin_open = c->stdin;
  s.log_path = empty(c->log_path) ? NULL : xstrdup(c->log_path);
  if (c->linux && c->linux->resources) {
    const Runtime__V1__LinuxContainerResources *rs = c->linux->resources;
    s.resources.cpu_shares = rs->cpu_shares;
    s.resources.cpu_quota = rs->cpu_quota;
    s.resources.cpu_period = rs->cpu_period;
    s.resources.memory_limit = rs->memory_limit_in_bytes;
    s.resources.cpuset_cpus = empty(rs->cpuset_cpus) ? NULL : xstrdup(rs->cpuset_cpus);
    s.resources.cpuset_mems = empty(rs->cpuset_mems) ? NULL : xstrdup(rs->cpuset_mems);
    s.resources.oom_score_adj = rs->oom_score_adj;
    s.resources.has_oom_score_adj = rs->oom_score_adj != 0;
  }
  if (c->linux && c->linux->security_context) {
    const Runtime__V1__LinuxContainerSecurityContext *sc = c->linux->security_context;
    crio_err *uerr = NULL;
    s.user = user_of(sc, &uerr);
    if (uerr) {
      *err = uerr;
      engine_container_spec_clear(&s);
      return -CRIO_E_INVALID;
    }
    s.security.privileged = sc->privileged;
    s.security.readonly_rootfs = sc->readonly_rootfs;
    s.security.no_new_privileges = sc->no_new_privs;
    if (sc->capabilities) {
      strv_from(&s.security.cap_add, sc->capabilities->add_capabilities,
                sc->capabilities->n_add_capabilities);
      strv_from(&s.security.cap_drop, sc->capabilities->drop_capabilities,
                sc->capabilities->n_drop_capabilities);
    }
    if (sc->n_supplemental_groups) {
      s.security.supplemental_groups =
          xmalloc(sc->n_supplemental_groups * sizeof *s.security.supplemental_groups);
      memcpy(s.security.supplemental_groups, sc->supplemental_groups,
             sc->n_supplemental_groups * sizeof *s.security.supplemental_groups);
      s.security.n_supplemental_groups = sc->n_supplemental_groups;
    }
    strv_from(&s.security.masked_paths, sc->masked_paths, sc->n_masked_paths);
    strv_from(&s.security.readonly_paths, sc->readonly_paths, sc->n_readonly_paths);
  }

  engine_container ctr = { 0 };
  rc = engine_container_create(e, &s, &ctr, err);
  engine_container_spec_clear(&s);
  if (rc < 0)
    return rc;
  Runtime__V1__CreateContainerResponse *r =
      NEW_MSG(Runtime__V1__CreateContainerResponse, runtime__v1__create_container_response__init);
  r->container_id = xstrdup(ctr.id);
  engine_container_clear(&ctr);
  *resp = &r->base;
  return 0;
}

static int h_start_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__StartContainerRequest *q = (const Runtime__V1__StartContainerRequest *) req;
  if (empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "StartContainer: container_id is empty");
  int rc = engine_container_start(e, q->container_id, err);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__StartContainerResponse,
                   runtime__v1__start_container_response__init)->base;
  return 0;
}

static int h_stop_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                            crio_err **err)
{
  const Runtime__V1__StopContainerRequest *q = (const Runtime__V1__StopContainerRequest *) req;
  if (empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "StopContainer: container_id is empty");
  int timeout = q->timeout < 0 ? 0 : q->timeout > 86400 ? 86400 : (int) q->timeout;
  crio_err *lerr = NULL;
  int rc = gone_ok(engine_container_stop(e, q->container_id, timeout, &lerr), &lerr, err);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__StopContainerResponse,
                   runtime__v1__stop_container_response__init)->base;
  return 0;
}

static int h_remove_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__RemoveContainerRequest *q = (const Runtime__V1__RemoveContainerRequest *) req;
  if (empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "RemoveContainer: container_id is empty");
  crio_err *lerr = NULL;
  char *id = NULL;
  int rc = gone_ok(engine_container_remove(e, q->container_id, true, &id, &lerr), &lerr, err);
  free(id);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__RemoveContainerResponse,
                   runtime__v1__remove_container_response__init)->base;
  return 0;
}

static Runtime__V1__ContainerState ctr_state(const char *s)
{
  if (!s)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
  if (strcmp(s, "created") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
  if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
  if (strcmp(s, "exited") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
  return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
}

static Runtime__V1__ContainerMetadata *ctr_metadata(const engine_container *c)
{
  Runtime__V1__ContainerMetadata *m =
      NEW_MSG(Runtime__V1__ContainerMetadata, runtime__v1__container_metadata__init);
  const char *name = kv_get(&c->spec.annotations, META_NAME);
  const char *attempt = kv_get(&c->spec.annotations, META_ATTEMPT);
  m->name = xstrdup(name ? name : c->spec.name ? c->spec.name : "");
  m->attempt = attempt ? (uint32_t) strtoul(attempt, NULL, 10) : 0;
  return m;
}

static Runtime__V1__ImageSpec *ctr_image(const engine_container *c)
{
  Runtime__V1__ImageSpec *i = NEW_MSG(Runtime__V1__ImageSpec, runtime__v1__image_spec__init);
  i->image = xstrdup(c->spec.image ? c->spec.image : "");
  return i;
}

static int h_container_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__ContainerStatusRequest *q = (const Runtime__V1__ContainerStatusRequest *) req;
  if (empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "ContainerStatus: container_id is empty");
  engine_container c = { 0 };
  int rc = engine_container_get(e, q->container_id, &c, err);
  if (rc < 0)
    return rc;
  Runtime__V1__ContainerStatusResponse *r = NEW_MSG(
      Runtime__V1__ContainerStatusResponse, runtime__v1__container_status_response__init);
  Runtime__V1__ContainerStatus *st =
      NEW_MSG(Runtime__V1__ContainerStatus, runtime__v1__container_status__init);
  r->status = st;
  st->id = xstrdup(c.id);
  st->metadata = ctr_metadata(&c);
  st->state = ctr_state(c.state);
  st->created_at = c.created_ns;
  st->started_at = c.started_ns;
  st->finished_at = c.finished_ns;
  st->exit_code = c.exit_code;
  st->image = ctr_image(&c);
  st->image_ref = xstrdup(c.image_id ? c.image_id : "");
  st->image_id = xstrdup(c.image_id ? c.image_id : "");
  st->reason = xstrdup(c.reason ? c.reason : c.oom_killed ? "OOMKilled" : "");
  st->message = xstrdup(c.message ? c.message : "");
  KV_OUT(&c.spec.labels, st->labels, st->n_labels, Runtime__V1__ContainerStatus__LabelsEntry,
         runtime__v1__container_status__labels_entry__init);
  KV_OUT(&c.spec.annotations, st->annotations, st->n_annotations,
         Runtime__V1__ContainerStatus__AnnotationsEntry,
         runtime__v1__container_status__annotations_entry__init);
  st->log_path = xstrdup(c.log_path ? c.log_path : "");
  engine_container_clear(&c);
  *resp = &r->base;
  return 0;
}

static const char *ctr_state_filter(Runtime__V1__ContainerState s)
{
  switch (s) {
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED: return "status=created";
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING: return "status=running";
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED: return "status=exited";
  default: return "status=unknown";
  }
}

static int h_list_containers(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__ListContainersRequest *q = (const Runtime__V1__ListContainersRequest *) req;
  filters f = { 0 };
  const Runtime__V1__ContainerFilter *cf = q->filter;
  if (cf) {
    if (!empty(cf->id))
      filters_add(&f, xasprintf("id=%s", cf->id));
    if (cf->state)
      filters_add(&f, xstrdup(ctr_state_filter(cf->state->state)));
    if (!empty(cf->pod_sandbox_id))
      filters_add(&f, xasprintf("pod=%s", cf->pod_sandbox_id));
    for (size_t i = 0; i < cf->n_label_selector; i++)
      filters_add(&f, xasprintf("label=%s=%s", cf->label_selector[i]->key,
                                cf->label_selector[i]->value ? cf->label_selector[i]->value : ""));
  }
  engine_filter ef = { .filters = f.items, .n_filters = f.n };
  engine_containers list = { 0 };
  crio_err *lerr = NULL;
  int rc = engine_container_list(e, true, false, &ef, &list, &lerr);
  filters_clear(&f);
  Runtime__V1__ListContainersResponse *r =
      NEW_MSG(Runtime__V1__ListContainersResponse, runtime__v1__list_containers_response__init);
  if (rc < 0) {
    /* A filter naming a pod that is gone matches nothing. */
    if (lerr && lerr->code == CRIO_E_NOT_FOUND) {
      crio_err_free(lerr);
      *resp = &r->base;
      return 0;
    }
    *err = lerr;
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
  }
  if (list.n)
    r->containers = xmalloc(list.n * sizeof *r->containers);
  for (size_t i = 0; i < list.n; i++) {
    const engine_container *c = &list.items[i];
    Runtime__V1__Container *m = NEW_MSG(Runtime__V1__Container, runtime__v1__container__init);
    m->id = xstrdup(c->id);
    m->pod_sandbox_id = xstrdup(c->spec.pod ? c->spec.pod : "");
    m->metadata = ctr_metadata(c);
    m->image = ctr_image(c);
    m->image_ref = xstrdup(c->image_id ? c->image_id : "");
    m->image_id = xstrdup(c->image_id ? c->image_id : "");
    m->state = ctr_state(c->state);
    m->created_at = c->created_ns;
    KV_OUT(&c->spec.labels, m->labels, m->n_labels, Runtime__V1__Container__LabelsEntry,
           runtime__v1__container__labels_entry__init);
    KV_OUT(&c->spec.annotations, m->annotations, m->n_annotations,
           Runtime__V1__Container__AnnotationsEntry,
           runtime__v1__container__annotations_entry__init);
    r->containers[r->n_containers++] = m;
  }
  engine_containers_clear(&list);
  *resp = &r->base;
  return 0;
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
  { RT "RunPodSandbox", &runtime__v1__run_pod_sandbox_request__descriptor, h_run_pod_sandbox },
  { RT "PodSandboxStatus", &runtime__v1__pod_sandbox_status_request__descriptor,
    h_pod_sandbox_status },
  { RT "ListPodSandbox", &runtime__v1__list_pod_sandbox_request__descriptor, h_list_pod_sandbox },
  { RT "StopPodSandbox", &runtime__v1__stop_pod_sandbox_request__descriptor, h_stop_pod_sandbox },
  { RT "RemovePodSandbox", &runtime__v1__remove_pod_sandbox_request__descriptor,
    h_remove_pod_sandbox },
  { RT "CreateContainer", &runtime__v1__create_container_request__descriptor,
    h_create_container },
  { RT "StartContainer", &runtime__v1__start_container_request__descriptor, h_start_container },
  { RT "StopContainer", &runtime__v1__stop_container_request__descriptor, h_stop_container },
  { RT "RemoveContainer", &runtime__v1__remove_container_request__descriptor,
    h_remove_container },
  { RT "ContainerStatus", &runtime__v1__container_status_request__descriptor,
    h_container_status },
  { RT "ListContainers", &runtime__v1__list_containers_request__descriptor, h_list_containers },
};

const cri_method *cri_sandbox_methods(size_t *n)
{
  *n = sizeof methods / sizeof methods[0];
  return methods;
}
