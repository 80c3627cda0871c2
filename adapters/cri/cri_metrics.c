/* ListMetricDescriptors and ListPodSandboxMetrics (and its stream): the
 * cAdvisor-named metrics the kubelet exports when it takes pod metrics
 * from the runtime. Label keys are sorted, as the CRI asks. */
#include "adapters/cri/cri_common.h"

#include <stdlib.h>

typedef struct metric_def {
  const char *name;
  const char *help;
  Runtime__V1__MetricType type;
  bool network; /* per interface, of the pod */
  uint64_t (*value)(const engine_stats *s, const engine_net_stats *n);
} metric_def;

static uint64_t cpu_seconds(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->cpu_usage_ns / 1000000000u;
}
static uint64_t mem_usage(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->memory_usage;
}
static uint64_t mem_working_set(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->memory_working_set;
}
static uint64_t mem_rss(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->memory_rss;
}
static uint64_t mem_limit(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->memory_limit > 0 ? (uint64_t)s->memory_limit : 0;
}
static uint64_t procs(const engine_stats *s, const engine_net_stats *n)
{
  (void)n;
  return s->pids_current;
}
static uint64_t rx_bytes(const engine_stats *s, const engine_net_stats *n)
{
  (void)s;
  return n->rx_bytes;
}
static uint64_t tx_bytes(const engine_stats *s, const engine_net_stats *n)
{
  (void)s;
  return n->tx_bytes;
}
static uint64_t rx_errors(const engine_stats *s, const engine_net_stats *n)
{
  (void)s;
  return n->rx_errors;
}
static uint64_t tx_errors(const engine_stats *s, const engine_net_stats *n)
{
  (void)s;
  return n->tx_errors;
}

#define COUNTER RUNTIME__V1__METRIC_TYPE__COUNTER
#define GAUGE RUNTIME__V1__METRIC_TYPE__GAUGE

static const metric_def defs[] = {
    {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", COUNTER,
     false, cpu_seconds},
    {"container_memory_usage_bytes",
     "Current memory usage in bytes, including all memory "
     "regardless of when it was accessed.",
     GAUGE, false, mem_usage},
    {"container_memory_working_set_bytes", "Current working set in bytes.", GAUGE, false,
     mem_working_set},
    {"container_memory_rss", "Size of RSS in bytes.", GAUGE, false, mem_rss},
    {"container_spec_memory_limit_bytes", "Memory limit for the container.", GAUGE, false,
     mem_limit},
    {"container_processes", "Number of processes running inside the container.", GAUGE, false,
     procs},
    {"container_network_receive_bytes_total", "Cumulative count of bytes received.", COUNTER, true,
     rx_bytes},
    {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.", COUNTER,
     true, tx_bytes},
    {"container_network_receive_errors_total",
     "Cumulative count of errors encountered while receiving.", COUNTER, true, rx_errors},
    {"container_network_transmit_errors_total",
     "Cumulative count of errors encountered while transmitting.", COUNTER, true, tx_errors},
};

#define N_DEFS (sizeof defs / sizeof defs[0])

static const char *const base_keys[] = {"id", "image", "name"};
static const char *const net_keys[] = {"id", "image", "interface", "name"};

static int h_list_metric_descriptors(engine *e, const ProtobufCMessage *req,
                                     ProtobufCMessage **resp, crio_err **err)
{
  (void)e;
  (void)req;
  (void)err;
  Runtime__V1__ListMetricDescriptorsResponse *r =
      NEW_MSG(Runtime__V1__ListMetricDescriptorsResponse,
              runtime__v1__list_metric_descriptors_response__init);
  r->descriptors = xmalloc(N_DEFS * sizeof *r->descriptors);
  for (size_t i = 0; i < N_DEFS; i++) {
    Runtime__V1__MetricDescriptor *d =
        NEW_MSG(Runtime__V1__MetricDescriptor, runtime__v1__metric_descriptor__init);
    d->name = xstrdup(defs[i].name);
    d->help = xstrdup(defs[i].help);
    const char *const *keys = defs[i].network ? net_keys : base_keys;
    d->n_label_keys = defs[i].network ? 4 : 3;
    d->label_keys = xmalloc(d->n_label_keys * sizeof *d->label_keys);
    for (size_t k = 0; k < d->n_label_keys; k++)
      d->label_keys[k] = xstrdup(keys[k]);
    r->descriptors[r->n_descriptors++] = d;
  }
  *resp = &r->base;
  return 0;
}

typedef struct metric_list {
  Runtime__V1__Metric **items;
  size_t n;
} metric_list;

/* Label values in the order of the keys: id, image, [interface,] name. */
static void metric_add(metric_list *l, const metric_def *d, const engine_stats *s,
                       const engine_net_stats *n, const char *image, const char *name)
{
  Runtime__V1__Metric *m = NEW_MSG(Runtime__V1__Metric, runtime__v1__metric__init);
  m->name = xstrdup(d->name);
  m->metric_type = d->type;
  m->value = cri_u64(d->value(s, n));
  const char *values[] = {s->id ? s->id : "", image ? image : "", n ? n->name : name, name};
  m->n_label_values = n ? 4 : 3;
  m->label_values = xmalloc(m->n_label_values * sizeof *m->label_values);
  for (size_t k = 0; k < m->n_label_values; k++)
    m->label_values[k] = xstrdup(values[k] ? values[k] : "");
  l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
  l->items[l->n++] = m;
}

static Runtime__V1__ContainerMetrics *container_metrics(engine *e, const engine_container *c)
{
  engine_stats s = {0};
  crio_err *lerr = NULL;
  if (engine_container_stats(e, c->id, &s, &lerr) < 0) {
    crio_err_free(lerr); /* stopped meanwhile */
    return NULL;
  }
  Runtime__V1__ContainerMetrics *cm =
      NEW_MSG(Runtime__V1__ContainerMetrics, runtime__v1__container_metrics__init);
  cm->container_id = xstrdup(c->id);
  metric_list l = {0};
  const char *name = cri_kv_get(&c->spec.annotations, META_NAME);
  for (size_t i = 0; i < N_DEFS; i++)
    if (!defs[i].network)
      metric_add(&l, &defs[i], &s, NULL, c->spec.image, name ? name : c->spec.name);
  cm->metrics = l.items;
  cm->n_metrics = l.n;
  engine_stats_clear(&s);
  return cm;
}

/* The pod's network metrics, and its running containers'. */
static Runtime__V1__PodSandboxMetrics *pod_metrics(engine *e, const engine_pod *p)
{
  Runtime__V1__PodSandboxMetrics *pm =
      NEW_MSG(Runtime__V1__PodSandboxMetrics, runtime__v1__pod_sandbox_metrics__init);
  pm->pod_sandbox_id = xstrdup(p->id);
  engine_stats s = {0};
  crio_err *lerr = NULL;
  metric_list l = {0};
  const char *name = cri_kv_get(&p->spec.annotations, META_NAME);
  if (engine_pod_stats(e, p->id, &s, &lerr) == 0) {
    for (size_t i = 0; i < N_DEFS; i++)
      for (size_t n = 0; defs[i].network && n < s.n_networks; n++)
        metric_add(&l, &defs[i], &s, &s.networks[n], "", name ? name : p->spec.name);
    engine_stats_clear(&s);
  }
  crio_err_free(lerr);
  pm->metrics = l.items;
  pm->n_metrics = l.n;
  engine_containers list = {0};
  char *filter = xasprintf("pod=%s", p->id);
  engine_filter f = {.filters = &filter, .n_filters = 1};
  lerr = NULL;
  if (engine_container_list(e, false, false, &f, &list, &lerr) == 0 && list.n > 0) {
    pm->container_metrics = xmalloc(list.n * sizeof *pm->container_metrics);
    for (size_t i = 0; i < list.n; i++) {
      Runtime__V1__ContainerMetrics *cm = container_metrics(e, &list.items[i]);
      if (cm)
        pm->container_metrics[pm->n_container_metrics++] = cm;
    }
  }
  crio_err_free(lerr);
  free(filter);
  engine_containers_clear(&list);
  return pm;
}

static int h_list_pod_sandbox_metrics(engine *e, const ProtobufCMessage *req,
                                      ProtobufCMessage **resp, crio_err **err)
{
  (void)req;
  char *ready = xstrdup("state=READY");
  engine_filter f = {.filters = &ready, .n_filters = 1};
  engine_pods pods = {0};
  int rc = engine_pod_list(e, &f, &pods, err);
  free(ready);
  if (rc < 0)
    return rc;
  Runtime__V1__ListPodSandboxMetricsResponse *r =
      NEW_MSG(Runtime__V1__ListPodSandboxMetricsResponse,
              runtime__v1__list_pod_sandbox_metrics_response__init);
  if (pods.n > 0)
    r->pod_metrics = xmalloc(pods.n * sizeof *r->pod_metrics);
  for (size_t i = 0; i < pods.n; i++)
    r->pod_metrics[r->n_pod_metrics++] = pod_metrics(e, &pods.items[i]);
  engine_pods_clear(&pods);
  *resp = &r->base;
  return 0;
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_CALL(RT "ListMetricDescriptors", runtime__v1__list_metric_descriptors_request__descriptor,
             h_list_metric_descriptors),
    CRI_BLOCKING_CALL(RT "ListPodSandboxMetrics",
                      runtime__v1__list_pod_sandbox_metrics_request__descriptor,
                      h_list_pod_sandbox_metrics),
    CRI_LIST_STREAM(RT "StreamPodSandboxMetrics",
                    runtime__v1__list_pod_sandbox_metrics_request__descriptor,
                    h_list_pod_sandbox_metrics,
                    runtime__v1__stream_pod_sandbox_metrics_response__descriptor, true),
};

CRI_METHOD_TABLE(cri_metrics_methods)
