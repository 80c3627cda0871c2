/* RuntimeService pod sandbox calls: Run, Stop, Remove, Status, List. The
 * sandbox's CRI name is kept in a reserved annotation. */
#include "adapters/cri/cri_common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char *protocol_name(Runtime__V1__Protocol p)
{
  switch (p) {
  case RUNTIME__V1__PROTOCOL__UDP:
    return "udp";
  case RUNTIME__V1__PROTOCOL__SCTP:
    return "sctp";
  default:
    return "tcp";
  }
}

static int h_run_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__RunPodSandboxRequest *q = (const Runtime__V1__RunPodSandboxRequest *)req;
  const Runtime__V1__PodSandboxConfig *c = q->config;
  if (!c || !c->metadata || cri_empty(c->metadata->name))
    return crio_err_set(err, CRIO_E_INVALID, "RunPodSandbox: config.metadata.name is empty");
  const Runtime__V1__PodSandboxMetadata *md = c->metadata;
  const char *ns = cri_empty(md->namespace_) ? "default" : md->namespace_;
  engine_pod_spec s = {0};
  s.name = xasprintf("%s_%s_%s_%u", md->name, ns, cri_empty(md->uid) ? "" : md->uid, md->attempt);

  /* One sandbox per (name, namespace, uid, attempt): say which holds it. */
  engine_pod old = {0};
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
  s.hostname = cri_empty(c->hostname) ? NULL : xstrdup(c->hostname);
  s.log_directory = cri_empty(c->log_directory) ? NULL : xstrdup(c->log_directory);
  KV_IN(&s.labels, c->labels, c->n_labels);
  KV_IN(&s.annotations, c->annotations, c->n_annotations);
  engine_kv_set(&s.annotations, META_NAME, md->name);
  if (c->dns_config) {
    cri_strv_from(&s.dns_servers, c->dns_config->servers, c->dns_config->n_servers);
    cri_strv_from(&s.dns_searches, c->dns_config->searches, c->dns_config->n_searches);
    cri_strv_from(&s.dns_options, c->dns_config->options, c->dns_config->n_options);
  }
  if (c->n_port_mappings) {
    s.ports = xzalloc(c->n_port_mappings * sizeof *s.ports);
    for (size_t i = 0; i < c->n_port_mappings; i++) {
      const Runtime__V1__PortMapping *pm = c->port_mappings[i];
      engine_port *p = &s.ports[s.n_ports++];
      p->host_ip = cri_empty(pm->host_ip) ? NULL : xstrdup(pm->host_ip);
      p->host_port = pm->host_port;
      p->container_port = pm->container_port;
      p->protocol = xstrdup(protocol_name(pm->protocol));
    }
  }
  if (c->linux) {
    s.cgroup_parent = cri_empty(c->linux->cgroup_parent) ? NULL : xstrdup(c->linux->cgroup_parent);
    const Runtime__V1__LinuxSandboxSecurityContext *sc = c->linux->security_context;
    if (sc && sc->namespace_options) {
      s.host_network = sc->namespace_options->network == RUNTIME__V1__NAMESPACE_MODE__NODE;
      s.host_ipc = sc->namespace_options->ipc == RUNTIME__V1__NAMESPACE_MODE__NODE;
      s.host_pid = sc->namespace_options->pid == RUNTIME__V1__NAMESPACE_MODE__NODE;
    }
  }

  engine_pod pod = {0};
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

/* The CRI gives addresses without their prefix length: "10.88.0.5". */
static char *ip_only(const char *cidr)
{
  return xasprintf("%.*s", (int)strcspn(cidr, "/"), cidr);
}

static Runtime__V1__PodSandboxNetworkStatus *pod_network(const engine_pod *p)
{
  Runtime__V1__PodSandboxNetworkStatus *n =
      NEW_MSG(Runtime__V1__PodSandboxNetworkStatus, runtime__v1__pod_sandbox_network_status__init);
  n->ip = ip_only(p->ips.n ? p->ips.items[0] : "");
  if (p->ips.n > 1)
    n->additional_ips = xmalloc((p->ips.n - 1) * sizeof *n->additional_ips);
  for (size_t i = 1; i < p->ips.n; i++) {
    Runtime__V1__PodIP *ip = NEW_MSG(Runtime__V1__PodIP, runtime__v1__pod_ip__init);
    ip->ip = ip_only(p->ips.items[i]);
    n->additional_ips[n->n_additional_ips++] = ip;
  }
  return n;
}

static Runtime__V1__LinuxPodSandboxStatus *pod_linux(const engine_pod *p)
{
  Runtime__V1__LinuxPodSandboxStatus *l =
      NEW_MSG(Runtime__V1__LinuxPodSandboxStatus, runtime__v1__linux_pod_sandbox_status__init);
  l->namespaces = NEW_MSG(Runtime__V1__Namespace, runtime__v1__namespace__init);
  Runtime__V1__NamespaceOption *o =
      NEW_MSG(Runtime__V1__NamespaceOption, runtime__v1__namespace_option__init);
  o->network = ns_mode(p->spec.host_network);
  o->ipc = ns_mode(p->spec.host_ipc);
  o->pid =
      p->spec.host_pid ? RUNTIME__V1__NAMESPACE_MODE__NODE : RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
  l->namespaces->options = o;
  return l;
}

Runtime__V1__PodSandboxStatus *cri_pod_status(const engine_pod *p)
{
  Runtime__V1__PodSandboxStatus *st =
      NEW_MSG(Runtime__V1__PodSandboxStatus, runtime__v1__pod_sandbox_status__init);
  st->id = xstrdup(p->id);
  st->metadata = cri_pod_metadata(p);
  st->state = pod_state(p);
  st->created_at = p->created_ns;
  st->network = pod_network(p);
  st->linux = pod_linux(p);
  KV_OUT(&p->spec.labels, st->labels, st->n_labels, Runtime__V1__PodSandboxStatus__LabelsEntry,
         runtime__v1__pod_sandbox_status__labels_entry__init);
  KV_OUT(&p->spec.annotations, st->annotations, st->n_annotations,
         Runtime__V1__PodSandboxStatus__AnnotationsEntry,
         runtime__v1__pod_sandbox_status__annotations_entry__init);
  st->runtime_handler = xstrdup("");
  return st;
}

/* Verbose info "info": what a node operator debugs a pod with, as JSON. */
static char *pod_info(const engine_pod *p)
{
  json_t *ips = json_array();
  for (size_t i = 0; i < p->ips.n; i++)
    json_array_append_new(ips, json_string(p->ips.items[i]));
  json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:b, s:b, s:b, s:I}", "id",
                        p->id, "name", p->spec.name, "hostname", p->spec.hostname, "cgroup_parent",
                        p->spec.cgroup_parent, "network_namespace", p->netns, "ipc_namespace",
                        p->ipcns, "uts_namespace", p->utsns, "ips", ips, "host_network",
                        p->spec.host_network, "host_ipc", p->spec.host_ipc, "host_pid",
                        p->spec.host_pid, "containers", (json_int_t)p->containers.n);
  if (p->spec.network)
    json_object_set_new(o, "cni_network", json_string(p->spec.network));
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

/* The statuses of the pod's containers (for the kubelet's evented PLEG);
 * one removed meanwhile is left out. */
static void pod_container_statuses(engine *e, const engine_pod *p,
                                   Runtime__V1__PodSandboxStatusResponse *r)
{
  if (p->containers.n == 0)
    return;
  r->containers_statuses = xmalloc(p->containers.n * sizeof *r->containers_statuses);
  for (size_t i = 0; i < p->containers.n; i++) {
    engine_container c = {0};
    crio_err *lerr = NULL;
    if (engine_container_get(e, p->containers.items[i], &c, &lerr) < 0) {
      crio_err_free(lerr);
      continue;
    }
    r->containers_statuses[r->n_containers_statuses++] = cri_container_status(&c);
    engine_container_clear(&c);
  }
}

static int h_pod_sandbox_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                crio_err **err)
{
  const Runtime__V1__PodSandboxStatusRequest *q = (const Runtime__V1__PodSandboxStatusRequest *)req;
  if (cri_empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "PodSandboxStatus: pod_sandbox_id is empty");
  engine_pod p = {0};
  int rc = engine_pod_get(e, q->pod_sandbox_id, &p, err);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStatusResponse *r = NEW_MSG(
      Runtime__V1__PodSandboxStatusResponse, runtime__v1__pod_sandbox_status_response__init);
  r->timestamp = cri_now_ns();
  r->status = cri_pod_status(&p);
  pod_container_statuses(e, &p, r);
  if (q->verbose)
    INFO_ADD(r, Runtime__V1__PodSandboxStatusResponse__InfoEntry,
             runtime__v1__pod_sandbox_status_response__info_entry__init, "info", pod_info(&p));
  engine_pod_clear(&p);
  *resp = &r->base;
  return 0;
}

/* The engine's id= filter takes prefixes; the CRI's too (crictl does). */
static int h_list_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__ListPodSandboxRequest *q = (const Runtime__V1__ListPodSandboxRequest *)req;
  cri_filters f = {0};
  const Runtime__V1__PodSandboxFilter *pf = q->filter;
  if (pf) {
    if (!cri_empty(pf->id))
      cri_filters_add(&f, xasprintf("id=%s", pf->id));
    if (pf->state)
      cri_filters_add(&f, xstrdup(pf->state->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                      ? "state=READY"
                                      : "state=NOTREADY"));
    for (size_t i = 0; i < pf->n_label_selector; i++)
      cri_filters_add(&f,
                      xasprintf("label=%s=%s", pf->label_selector[i]->key,
                                pf->label_selector[i]->value ? pf->label_selector[i]->value : ""));
  }
  engine_filter ef = {.filters = f.items, .n_filters = f.n};
  engine_pods pods = {0};
  int rc = engine_pod_list(e, &ef, &pods, err);
  cri_filters_clear(&f);
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
    m->metadata = cri_pod_metadata(p);
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
  const Runtime__V1__StopPodSandboxRequest *q = (const Runtime__V1__StopPodSandboxRequest *)req;
  if (cri_empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "StopPodSandbox: pod_sandbox_id is empty");
  crio_err *lerr = NULL;
  int rc = cri_gone_ok(engine_pod_stop(e, q->pod_sandbox_id, 10, &lerr), &lerr, err);
  if (rc < 0)
    return rc;
  *resp =
      &NEW_MSG(Runtime__V1__StopPodSandboxResponse, runtime__v1__stop_pod_sandbox_response__init)
           ->base;
  return 0;
}

static int h_remove_pod_sandbox(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                crio_err **err)
{
  const Runtime__V1__RemovePodSandboxRequest *q = (const Runtime__V1__RemovePodSandboxRequest *)req;
  if (cri_empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "RemovePodSandbox: pod_sandbox_id is empty");
  crio_err *lerr = NULL;
  char *id = NULL;
  int rc = cri_gone_ok(engine_pod_remove(e, q->pod_sandbox_id, true, &id, &lerr), &lerr, err);
  free(id);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__RemovePodSandboxResponse,
                   runtime__v1__remove_pod_sandbox_response__init)
               ->base;
  return 0;
}

/* The kubelet tells the pod's new resources; with the cgroupfs driver it
 * writes the pod-level cgroup itself, so there is nothing to change here
 * beyond checking the pod exists (as CRI-O without NRI plugins). */
static int h_update_pod_sandbox_resources(engine *e, const ProtobufCMessage *req,
                                          ProtobufCMessage **resp, crio_err **err)
{
  const Runtime__V1__UpdatePodSandboxResourcesRequest *q =
      (const Runtime__V1__UpdatePodSandboxResourcesRequest *)req;
  if (cri_empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "UpdatePodSandboxResources: pod_sandbox_id is empty");
  engine_pod p = {0};
  if (engine_pod_get(e, q->pod_sandbox_id, &p, err) < 0)
    return -1;
  engine_pod_clear(&p);
  *resp = &NEW_MSG(Runtime__V1__UpdatePodSandboxResourcesResponse,
                   runtime__v1__update_pod_sandbox_resources_response__init)
               ->base;
  return 0;
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_BLOCKING_CALL(RT "RunPodSandbox", runtime__v1__run_pod_sandbox_request__descriptor,
                      h_run_pod_sandbox),
    CRI_CALL(RT "PodSandboxStatus", runtime__v1__pod_sandbox_status_request__descriptor,
             h_pod_sandbox_status),
    CRI_CALL(RT "ListPodSandbox", runtime__v1__list_pod_sandbox_request__descriptor,
             h_list_pod_sandbox),
    CRI_LIST_STREAM(RT "StreamPodSandboxes", runtime__v1__list_pod_sandbox_request__descriptor,
                    h_list_pod_sandbox, runtime__v1__stream_pod_sandboxes_response__descriptor,
                    false),
    CRI_BLOCKING_CALL(RT "StopPodSandbox", runtime__v1__stop_pod_sandbox_request__descriptor,
                      h_stop_pod_sandbox),
    CRI_BLOCKING_CALL(RT "RemovePodSandbox", runtime__v1__remove_pod_sandbox_request__descriptor,
                      h_remove_pod_sandbox),
    CRI_CALL(RT "UpdatePodSandboxResources",
             runtime__v1__update_pod_sandbox_resources_request__descriptor,
             h_update_pod_sandbox_resources),
};

CRI_METHOD_TABLE(cri_pod_methods)
