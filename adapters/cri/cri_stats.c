/* Container and pod sandbox stats and metrics. */
#include "adapters/cri/cri_common.h"

#include <stdio.h>
#include <stdlib.h>

static Runtime__V1__CpuUsage *cpu_usage(const engine_stats *s)
{
  Runtime__V1__CpuUsage *c = NEW_MSG(Runtime__V1__CpuUsage, runtime__v1__cpu_usage__init);
  c->timestamp = s->timestamp_ns;
  c->usage_core_nano_seconds = cri_u64(s->cpu_usage_ns);
  c->usage_nano_cores = cri_u64(s->cpu_rate > 0 ? (uint64_t)(s->cpu_rate * 1e9) : 0);
  return c;
}

static Runtime__V1__MemoryUsage *memory_usage(const engine_stats *s)
{
  Runtime__V1__MemoryUsage *m = NEW_MSG(Runtime__V1__MemoryUsage, runtime__v1__memory_usage__init);
  m->timestamp = s->timestamp_ns;
  m->working_set_bytes = cri_u64(s->memory_working_set);
  m->usage_bytes = cri_u64(s->memory_usage);
  m->rss_bytes = cri_u64(s->memory_rss);
  if (s->memory_limit > 0)
    m->available_bytes = cri_u64((uint64_t)s->memory_limit > s->memory_working_set
                                     ? (uint64_t)s->memory_limit - s->memory_working_set
                                     : 0);
  return m;
}

static Runtime__V1__ContainerAttributes *container_attributes(const engine_container *c)
{
  Runtime__V1__ContainerAttributes *a =
      NEW_MSG(Runtime__V1__ContainerAttributes, runtime__v1__container_attributes__init);
  a->id = xstrdup(c->id ? c->id : "");
  a->metadata = cri_ctr_metadata(c);
  KV_OUT(&c->spec.labels, a->labels, a->n_labels, Runtime__V1__ContainerAttributes__LabelsEntry,
         runtime__v1__container_attributes__labels_entry__init);
  KV_OUT(&c->spec.annotations, a->annotations, a->n_annotations,
         Runtime__V1__ContainerAttributes__AnnotationsEntry,
         runtime__v1__container_attributes__annotations_entry__init);
  return a;
}

/* The stats of a container got from the engine. */
static int container_stats(engine *e, const engine_container *c, Runtime__V1__ContainerStats **out,
                           crio_err **err)
{
  engine_stats s = {0};
  int rc = engine_container_stats(e, c->id, &s, err);
  if (rc < 0)
    return rc;
  if (s.timestamp_ns <= 0)
    s.timestamp_ns = cri_now_ns();
  Runtime__V1__ContainerStats *m =
      NEW_MSG(Runtime__V1__ContainerStats, runtime__v1__container_stats__init);
  m->attributes = container_attributes(c);
  m->cpu = cpu_usage(&s);
  m->memory = memory_usage(&s);
  if (c->size_rw >= 0)
    m->writable_layer = cri_fs_usage(s.timestamp_ns, "", (uint64_t)c->size_rw);
  engine_stats_clear(&s);
  *out = m;
  return 0;
}

static int h_container_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__ContainerStatsRequest *q = (const Runtime__V1__ContainerStatsRequest *)req;
  if (!q->container_id || !*q->container_id)
    return crio_err_set(err, CRIO_E_INVALID, "ContainerStats: container_id is empty");
  engine_container c = {0};
  int rc = engine_container_get(e, q->container_id, &c, err);
  if (rc < 0)
    return rc;
  c.size_rw = -1;
  Runtime__V1__ContainerStats *st = NULL;
  rc = container_stats(e, &c, &st, err);
  engine_container_clear(&c);
  if (rc < 0)
    return rc;
  Runtime__V1__ContainerStatsResponse *r =
      NEW_MSG(Runtime__V1__ContainerStatsResponse, runtime__v1__container_stats_response__init);
  r->stats = st;
  *resp = &r->base;
  return 0;
}

static int h_list_container_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                  crio_err **err)
{
  const Runtime__V1__ListContainerStatsRequest *q =
      (const Runtime__V1__ListContainerStatsRequest *)req;
  cri_filters f = {0};
  const Runtime__V1__ContainerStatsFilter *qf = q->filter;
  if (qf) {
    if (qf->id && *qf->id)
      cri_filters_add(&f, xasprintf("id=%s", qf->id));
    if (qf->pod_sandbox_id && *qf->pod_sandbox_id)
      cri_filters_add(&f, xasprintf("pod=%s", qf->pod_sandbox_id));
    for (size_t i = 0; i < qf->n_label_selector; i++)
      cri_filters_add(&f,
                      xasprintf("label=%s=%s", qf->label_selector[i]->key,
                                qf->label_selector[i]->value ? qf->label_selector[i]->value : ""));
  }
  engine_filter ef = {.filters = f.items, .n_filters = f.n};
  engine_containers list = {0};
  int rc = engine_container_list(e, false, false, &ef, &list, err);
  cri_filters_clear(&f);
  if (rc < 0)
    return rc;
  Runtime__V1__ListContainerStatsResponse *r = NEW_MSG(
      Runtime__V1__ListContainerStatsResponse, runtime__v1__list_container_stats_response__init);
  if (list.n > 0)
    r->stats = xmalloc(list.n * sizeof *r->stats);
  for (size_t i = 0; i < list.n; i++) {
    Runtime__V1__ContainerStats *st = NULL;
    crio_err *lerr = NULL;
    list.items[i].size_rw = -1;
    if (container_stats(e, &list.items[i], &st, &lerr) < 0) {
      crio_err_free(lerr); /* stopped meanwhile: left out */
      continue;
    }
    r->stats[r->n_stats++] = st;
  }
  engine_containers_clear(&list);
  *resp = &r->base;
  return 0;
}

static Runtime__V1__NetworkInterfaceUsage *iface_usage(const engine_net_stats *n)
{
  Runtime__V1__NetworkInterfaceUsage *u =
      NEW_MSG(Runtime__V1__NetworkInterfaceUsage, runtime__v1__network_interface_usage__init);
  u->name = xstrdup(n->name);
  u->rx_bytes = cri_u64(n->rx_bytes);
  u->rx_errors = cri_u64(n->rx_errors);
  u->tx_bytes = cri_u64(n->tx_bytes);
  u->tx_errors = cri_u64(n->tx_errors);
  return u;
}

static int pod_stats(engine *e, const engine_pod *p, Runtime__V1__PodSandboxStats **out,
                     crio_err **err)
{
  engine_stats s = {0};
  int rc = engine_pod_stats(e, p->id, &s, err);
  if (rc < 0)
    return rc;
  if (s.timestamp_ns <= 0)
    s.timestamp_ns = cri_now_ns();
  Runtime__V1__PodSandboxStats *m =
      NEW_MSG(Runtime__V1__PodSandboxStats, runtime__v1__pod_sandbox_stats__init);
  Runtime__V1__PodSandboxAttributes *a =
      NEW_MSG(Runtime__V1__PodSandboxAttributes, runtime__v1__pod_sandbox_attributes__init);
  a->id = xstrdup(p->id);
  a->metadata = cri_pod_metadata(p);
  KV_OUT(&p->spec.labels, a->labels, a->n_labels, Runtime__V1__PodSandboxAttributes__LabelsEntry,
         runtime__v1__pod_sandbox_attributes__labels_entry__init);
  KV_OUT(&p->spec.annotations, a->annotations, a->n_annotations,
         Runtime__V1__PodSandboxAttributes__AnnotationsEntry,
         runtime__v1__pod_sandbox_attributes__annotations_entry__init);
  m->attributes = a;
  Runtime__V1__LinuxPodSandboxStats *l =
      NEW_MSG(Runtime__V1__LinuxPodSandboxStats, runtime__v1__linux_pod_sandbox_stats__init);
  l->cpu = cpu_usage(&s);
  l->memory = memory_usage(&s);
  l->process = NEW_MSG(Runtime__V1__ProcessUsage, runtime__v1__process_usage__init);
  l->process->timestamp = s.timestamp_ns;
  l->process->process_count = cri_u64(s.pids_current);
  Runtime__V1__NetworkUsage *nu =
      NEW_MSG(Runtime__V1__NetworkUsage, runtime__v1__network_usage__init);
  nu->timestamp = s.timestamp_ns;
  if (s.n_networks > 0) {
    nu->default_interface = iface_usage(&s.networks[0]);
    nu->interfaces = xmalloc(s.n_networks * sizeof *nu->interfaces);
    for (size_t i = 0; i < s.n_networks; i++)
      nu->interfaces[nu->n_interfaces++] = iface_usage(&s.networks[i]);
  }
  l->network = nu;
  m->linux = l;
  engine_stats_clear(&s);
  *out = m;
  return 0;
}

static int h_pod_sandbox_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                               crio_err **err)
{
  const Runtime__V1__PodSandboxStatsRequest *q = (const Runtime__V1__PodSandboxStatsRequest *)req;
  if (!q->pod_sandbox_id || !*q->pod_sandbox_id)
    return crio_err_set(err, CRIO_E_INVALID, "PodSandboxStats: pod_sandbox_id is empty");
  engine_pod p = {0};
  int rc = engine_pod_get(e, q->pod_sandbox_id, &p, err);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStats *st = NULL;
  rc = pod_stats(e, &p, &st, err);
  engine_pod_clear(&p);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStatsResponse *r =
      NEW_MSG(Runtime__V1__PodSandboxStatsResponse, runtime__v1__pod_sandbox_stats_response__init);
  r->stats = st;
  *resp = &r->base;
  return 0;
}

static int h_list_pod_sandbox_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                    crio_err **err)
{
  const Runtime__V1__ListPodSandboxStatsRequest *q =
      (const Runtime__V1__ListPodSandboxStatsRequest *)req;
  cri_filters f = {0};
  if (q->filter) {
    if (q->filter->id && *q->filter->id)
      cri_filters_add(&f, xasprintf("id=%s", q->filter->id));
    for (size_t i = 0; i < q->filter->n_label_selector; i++)
      cri_filters_add(&f, xasprintf("label=%s=%s", q->filter->label_selector[i]->key,
                                    q->filter->label_selector[i]->value
                                        ? q->filter->label_selector[i]->value
                                        : ""));
  }
  cri_filters_add(&f, xstrdup("state=READY"));
  engine_filter ef = {.filters = f.items, .n_filters = f.n};
  engine_pods list = {0};
  int rc = engine_pod_list(e, &ef, &list, err);
  cri_filters_clear(&f);
  if (rc < 0)
    return rc;
  Runtime__V1__ListPodSandboxStatsResponse *r = NEW_MSG(
      Runtime__V1__ListPodSandboxStatsResponse, runtime__v1__list_pod_sandbox_stats_response__init);
  if (list.n > 0)
    r->stats = xmalloc(list.n * sizeof *r->stats);
  for (size_t i = 0; i < list.n; i++) {
    Runtime__V1__PodSandboxStats *st = NULL;
    crio_err *lerr = NULL;
    if (pod_stats(e, &list.items[i], &st, &lerr) < 0) {
      crio_err_free(lerr);
      continue;
    }
    r->stats[r->n_stats++] = st;
  }
  engine_pods_clear(&list);
  *resp = &r->base;
  return 0;
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_CALL(RT "ContainerStats", runtime__v1__container_stats_request__descriptor,
             h_container_stats),
    CRI_BLOCKING_CALL(RT "ListContainerStats",
                      runtime__v1__list_container_stats_request__descriptor,
                      h_list_container_stats),
    CRI_LIST_STREAM(RT "StreamContainerStats",
                    runtime__v1__list_container_stats_request__descriptor, h_list_container_stats,
                    runtime__v1__stream_container_stats_response__descriptor, true),
    CRI_CALL(RT "PodSandboxStats", runtime__v1__pod_sandbox_stats_request__descriptor,
             h_pod_sandbox_stats),
    CRI_BLOCKING_CALL(RT "ListPodSandboxStats",
                      runtime__v1__list_pod_sandbox_stats_request__descriptor,
                      h_list_pod_sandbox_stats),
    CRI_LIST_STREAM(
        RT "StreamPodSandboxStats", runtime__v1__list_pod_sandbox_stats_request__descriptor,
        h_list_pod_sandbox_stats, runtime__v1__stream_pod_sandbox_stats_response__descriptor, true),
};

CRI_METHOD_TABLE(cri_stats_methods)
