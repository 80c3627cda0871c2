/* A pod's network: CNI ADD when it is created (loopback only when no CNI
 * configuration exists), DEL when it stops or goes; the result CNI returned
 * is cached, so DEL gets it even after a restart. */
#include "server/engine/engine_image_internal.h"
#include "server/engine/pods_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/network/cni.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef struct net_settings {
  char *network_dir;
  char *name;
  engine_strv plugin_dirs;
  char *cache_dir;
} net_settings;

static void settings_get(engine *e, net_settings *n)
{
  memset(n, 0, sizeof *n);
  pthread_rwlock_rdlock(&e->lock);
  n->network_dir = xstrdup(e->cfg->network_dir);
  n->name = e->cfg->cni_default_network[0] ? xstrdup(e->cfg->cni_default_network) : NULL;
  for (size_t i = 0; i < e->cfg->n_plugin_dirs; i++)
    strv_push(&n->plugin_dirs, e->cfg->plugin_dirs[i]);
  n->cache_dir = xasprintf("%s/cni/results", e->cfg->root);
  pthread_rwlock_unlock(&e->lock);
}

static void settings_clear(net_settings *n)
{
  free(n->network_dir);
  free(n->name);
  engine_strv_clear(&n->plugin_dirs);
  free(n->cache_dir);
}

static cni_runtime runtime_of(const char *id, const engine_pod_spec *s, const char *netns,
                              const net_settings *n, cni_port_mapping *ports)
{
  for (size_t i = 0; i < s->n_ports; i++)
    ports[i] = (cni_port_mapping) { .host_port = s->ports[i].host_port,
                                    .container_port = s->ports[i].container_port,
                                    .protocol = s->ports[i].protocol ? s->ports[i].protocol : "tcp",
                                    .host_ip = s->ports[i].host_ip };
  return (cni_runtime) { .container_id = id, .netns = netns, .ifname = "eth0",
                         .pod_namespace = s->namespace, .pod_name = s->name, .pod_uid = s->uid,
                         .plugin_dirs = n->plugin_dirs.items, .n_plugin_dirs = n->plugin_dirs.n,
                         .cache_dir = n->cache_dir, .ports = ports, .n_ports = s->n_ports };
}

int pod_network_setup(engine *e, const char *id, engine_pod_spec *s, const char *netns,
                      char **ips_json, crio_err **err)
{
  *ips_json = xstrdup("[]");
  if (s->host_network)
    return 0;
  net_settings n;
  settings_get(e, &n);
  cni_network *net = NULL;
  _cleanup_err_ crio_err *load_err = NULL;
  int r = 0;
  if (cni_network_load(n.network_dir, n.name, &net, &load_err) < 0) {
    if (load_err->code == CRIO_E_NOT_FOUND && !n.name)
      log_info("pod %s: %s; it has loopback only", s->name, load_err->message);
    else
      r = crio_err_set(err, load_err->code, "pod %s: %s", s->name, load_err->message);
    settings_clear(&n);
    return r;
  }
  cni_port_mapping *ports = xzalloc((s->n_ports + 1) * sizeof *ports);
  cni_runtime rt = runtime_of(id, s, netns, &n, ports);
  cni_result res = { 0 };
  r = mkdir_p(n.cache_dir, 0700, err);
  if (r == 0)
    r = cni_add(net, &rt, &res, err);
  if (r == 0) {
    json_t *a = json_array();
    for (size_t i = 0; i < res.n_ips; i++)
      json_array_append_new(a, json_string(res.ips[i]));
    free(*ips_json);
    *ips_json = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    s->network = xstrdup(cni_network_name(net));
  }
  cni_result_clear(&res);
  free(ports);
  cni_network_free(net);
  settings_clear(&n);
  return r;
}

int pod_network_teardown(engine *e, const char *id, const engine_pod_spec *s, const char *netns,
                         crio_err **err)
{
  if (s->host_network || !s->network)
    return 0;
  net_settings n;
  settings_get(e, &n);
  cni_port_mapping *ports = xzalloc((s->n_ports + 1) * sizeof *ports);
  cni_runtime rt = runtime_of(id, s, netns, &n, ports);
  int r = cni_del(NULL, &rt, err);  /* the cached configuration and result */
  free(ports);
  settings_clear(&n);
  return r;
}

int pod_network_check(engine *e, const char *id, const engine_pod_spec *s, const char *netns,
                      crio_err **err)
{
  if (s->host_network || !s->network)
    return 0;
  net_settings n;
  settings_get(e, &n);
  cni_network *net = NULL;
  int r = cni_network_load(n.network_dir, s->network, &net, err);
  cni_port_mapping *ports = xzalloc((s->n_ports + 1) * sizeof *ports);
  cni_runtime rt = runtime_of(id, s, netns, &n, ports);
  if (r == 0)
    r = cni_check(net, &rt, err);
  free(ports);
  cni_network_free(net);
  settings_clear(&n);
  return r;
}

int engine_network_status_get(engine *e, engine_network_status *out, crio_err **err)
{
  (void) err;
  memset(out, 0, sizeof *out);
  net_settings n;
  settings_get(e, &n);
  cni_network *net = NULL;
  _cleanup_err_ crio_err *load_err = NULL;
  if (cni_network_load(n.network_dir, n.name, &net, &load_err) < 0) {
    out->reason = xstrdup("NetworkPluginNotReady");
    out->message = xasprintf("Network plugin returns error: %s. Has your network provider "
                             "started?", load_err->message);
  } else {
    out->ready = true;
    out->network = xstrdup(cni_network_name(net));
    out->path = xstrdup(cni_network_path(net));
    cni_network_free(net);
  }
  settings_clear(&n);
  return 0;
}

void engine_network_status_clear(engine_network_status *s)
{
  free(s->network);
  free(s->path);
  free(s->reason);
  free(s->message);
  memset(s, 0, sizeof *s);
}
