/* Container and pod statistics: the cgroup's counters, the network of the
 * pod's namespace, and a CPU rate against the previous sample. */
#include "server/engine/ctr_internal.h"
#include "server/engine/pods_internal.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>

#include "server/cgroups/cgroup_pod.h"
#include "server/cgroups/cgroup_stats.h"
#include "server/network/net_stats.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The previous CPU sample of each object, for rates. */
typedef struct cpu_sample {
  char id[65];
  int64_t timestamp_ns;
  uint64_t usage_ns;
} cpu_sample;

#define MAX_SAMPLES 4096

static double rate_since_last(engine *e, const char *id, int64_t ts, uint64_t usage)
{
  pthread_mutex_lock(&e->stats_lock);
  if (!e->cpu_samples)
    e->cpu_samples = xzalloc(MAX_SAMPLES * sizeof(cpu_sample));
  cpu_sample *slot = NULL, *samples = e->cpu_samples;
  for (size_t i = 0; i < MAX_SAMPLES && !slot; i++)
    if (strcmp(samples[i].id, id) == 0 || samples[i].id[0] == '\0')
      slot = &samples[i];
  if (!slot)
    slot = &samples[(size_t) (ts / 1000) % MAX_SAMPLES];  /* full: reuse one */
  double rate = 0;
  if (strcmp(slot->id, id) == 0 && ts > slot->timestamp_ns && usage >= slot->usage_ns)
    rate = (double) (usage - slot->usage_ns) / (double) (ts - slot->timestamp_ns);
  snprintf(slot->id, sizeof slot->id, "%s", id);
  slot->timestamp_ns = ts;
  slot->usage_ns = usage;
  pthread_mutex_unlock(&e->stats_lock);
  return rate;
}

static void stats_from_cgroup(engine_stats *o, const cgroup_stats *c)
{
  o->timestamp_ns = c->timestamp_ns;
  o->cpu_usage_ns = c->cpu_usage_ns;
  o->cpu_user_ns = c->cpu_user_ns;
  o->cpu_system_ns = c->cpu_system_ns;
  o->memory_usage = c->memory_usage;
  o->memory_working_set = c->memory_working_set;
  o->memory_rss = c->memory_rss;
  o->memory_limit = c->memory_limit;
  o->pids_current = c->pids_current;
  o->pids_limit = c->pids_limit;
  o->blkio_read_bytes = c->blkio_read_bytes;
  o->blkio_write_bytes = c->blkio_write_bytes;
  o->cgroup_version = c->version;
}

static void stats_networks(engine_stats *o, const net_iface_stats *ifs, size_t n)
{
  o->networks = xzalloc((n + 1) * sizeof *o->networks);
  o->n_networks = n;
  for (size_t i = 0; i < n; i++) {
    engine_net_stats *d = &o->networks[i];
    snprintf(d->name, sizeof d->name, "%s", ifs[i].name);
    d->rx_bytes = ifs[i].s.rx_bytes;
    d->rx_packets = ifs[i].s.rx_packets;
    d->rx_errors = ifs[i].s.rx_errors;
    d->rx_dropped = ifs[i].s.rx_dropped;
    d->tx_bytes = ifs[i].s.tx_bytes;
    d->tx_packets = ifs[i].s.tx_packets;
    d->tx_errors = ifs[i].s.tx_errors;
    d->tx_dropped = ifs[i].s.tx_dropped;
  }
}

static int container_cgroup_stats(engine *e, const store_container *c, cgroup_stats *out,
                                  crio_err **err)
{
  store_pod *pod = NULL;
  engine_pod_spec spec;
  if (pod_load(e, c->pod_id, &pod, &spec, err) < 0)
    return -1;
  _cleanup_free_ char *pod_cg = cgroup_pod_path(spec.cgroup_parent, pod->id);
  _cleanup_free_ char *cg = cgroup_container_path(pod_cg, c->id);
  int r = cgroup_stats_read(cg, out, err);
  engine_pod_spec_clear(&spec);
  store_pod_free(pod);
  return r;
}

int engine_container_stats(engine *e, const char *ref, engine_stats *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  int r = 0;
  cgroup_stats cs;
  if (c->state != STORE_CTR_RUNNING && c->state != STORE_CTR_PAUSED)
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is not running", c->name);
  if (r == 0)
    r = container_cgroup_stats(e, c, &cs, err);
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  if (r == 0 && net_stats_read_pid(c->pid, &ifs, &n, NULL) < 0)
    n = 0;  /* the process just exited: no network figures */
  if (r == 0) {
    out->id = xstrdup(c->id);
    out->name = xstrdup(c->name);
    stats_from_cgroup(out, &cs);
    out->cpu_rate = rate_since_last(e, c->id, cs.timestamp_ns, cs.cpu_usage_ns);
    stats_networks(out, ifs, n);
  }
  free(ifs);
  store_container_free(c);
  return r;
}

static void stats_add(engine_stats *sum, const cgroup_stats *c)
{
  sum->cpu_usage_ns += c->cpu_usage_ns;
  sum->cpu_user_ns += c->cpu_user_ns;
  sum->cpu_system_ns += c->cpu_system_ns;
  sum->memory_usage += c->memory_usage;
  sum->memory_working_set += c->memory_working_set;
  sum->memory_rss += c->memory_rss;
  sum->pids_current += c->pids_current;
  sum->blkio_read_bytes += c->blkio_read_bytes;
  sum->blkio_write_bytes += c->blkio_write_bytes;
  sum->timestamp_ns = c->timestamp_ns;
  sum->cgroup_version = c->version;
}

int engine_pod_stats(engine *e, const char *ref, engine_stats *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  engine_pod p;
  if (engine_pod_get(e, ref, &p, err) < 0)
    return -1;
  out->id = xstrdup(p.id);
  out->name = xstrdup(p.spec.name);
  out->memory_limit = out->pids_limit = -1;
  out->timestamp_ns = cgroup_stats__now_ns();
  for (size_t i = 0; i < p.containers.n; i++) {
    store_container *c = NULL;
    cgroup_stats cs;
    if (store_container_get(e->store, p.containers.items[i], &c, NULL) == 0 &&
        (c->state == STORE_CTR_RUNNING || c->state == STORE_CTR_PAUSED) &&
        container_cgroup_stats(e, c, &cs, NULL) == 0)
      stats_add(out, &cs);
    store_container_free(c);
  }
  out->cpu_rate = rate_since_last(e, p.id, out->timestamp_ns, out->cpu_usage_ns);
  net_iface_stats *ifs = NULL;
  size_t n = 0;
  if (!p.netns || net_stats_read_netns(p.netns, &ifs, &n, NULL) < 0)
    n = 0;
  stats_networks(out, ifs, n);
  free(ifs);
  engine_pod_clear(&p);
  return 0;
}

void engine_stats_clear(engine_stats *s)
{
  free(s->id);
  free(s->name);
  free(s->networks);
  memset(s, 0, sizeof *s);
}
