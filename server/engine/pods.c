/* Pod sandboxes: pinned namespaces, the pod's /etc files, a cgroup parent. */
#include "server/engine/engine_image_internal.h"
#include "server/engine/paths.h"
#include "server/engine/pods_internal.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/cgroups/cgroup_pod.h"
#include "server/image/fsutil.h"
#include "server/network/ns_pin.h"
#include "server/network/pod_files.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define DEFAULT_CGROUP_PARENT "/crio-c"

static int pod_spec_check(engine_pod_spec *s, crio_err **err)
{
  if (s->name && check_name("pod", s->name, err) < 0)
    return -1;
  if (s->hostname && pod_validate_hostname(s->hostname, err) < 0)
    return -1;
  if (s->log_directory && s->log_directory[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "log_directory \"%s\" is not absolute",
                        s->log_directory);
  if (s->cgroup_parent && (s->cgroup_parent[0] != '/' || strstr(s->cgroup_parent, "..")))
    return crio_err_set(err, CRIO_E_INVALID,
                        "cgroup_parent \"%s\" must be an absolute cgroup path without \"..\"",
                        s->cgroup_parent);
  for (size_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].container_port < 1 || s->ports[i].container_port > 65535 ||
        s->ports[i].host_port < 0 || s->ports[i].host_port > 65535)
      return crio_err_set(err, CRIO_E_INVALID, "port mapping %d:%d is out of range",
                          s->ports[i].host_port, s->ports[i].container_port);
  return 0;
}

/* Fills in the defaults: name, hostname, namespace, cgroup parent. */
static void pod_spec_defaults(engine_pod_spec *s, const char *id)
{
  if (!s->name)
    s->name = xasprintf("pod-%.12s", id);
  if (!s->namespace)
    s->namespace = xstrdup("default");
  if (!s->uid)
    s->uid = xstrdup("");
  if (!s->hostname) {
    /* a name is a valid hostname once its '_' and '.' are dashes */
    s->hostname = xstrndup(s->name, 63);
    for (char *c = s->hostname; *c; c++)
      if (*c == '_' || *c == '.')
        *c = '-';
  }
  if (!s->cgroup_parent)
    s->cgroup_parent = xstrdup(DEFAULT_CGROUP_PARENT);
  if (!s->log_directory)
    s->log_directory = xstrdup("");
}

/* The pod's files and namespaces; undone by pod_teardown. */
static int pod_setup(engine *e, const char *id, const engine_pod_spec *s, ns_pins *pins,
                     crio_err **err)
{
  _cleanup_free_ char *dir = pod_dir(e, id);
  _cleanup_free_ char *resolv = NULL, *hosts = NULL, *hostname = NULL, *nsd = ns_dir(e);
  if (mkdir_p(dir, 0700, err) < 0 ||
      pod_write_resolv_conf(dir, (const char *const *) s->dns_servers.items, s->dns_servers.n,
                            (const char *const *) s->dns_searches.items, s->dns_searches.n,
                            (const char *const *) s->dns_options.items, s->dns_options.n, &resolv,
                            err) < 0 ||
      pod_write_hosts(dir, s->hostname, NULL, 0, &hosts, err) < 0 ||
      pod_write_hostname(dir, s->hostname, &hostname, err) < 0)
    return -1;
  int kinds = (s->host_network ? 0 : NS_PIN_NET) | (s->host_ipc ? 0 : NS_PIN_IPC) | NS_PIN_UTS;
  if (s->host_network)
    kinds &= ~NS_PIN_UTS;  /* host network pods share the host's name too */
  if (kinds && ns_pin_create(nsd, id, kinds, s->hostname, pins, err) < 0)
    return crio_err_wrap(err, "pin namespaces of pod %s", s->name);
  return 0;
}

void pod_teardown(engine *e, const char *id, const engine_pod_spec *s)
{
  _cleanup_err_ crio_err *err = NULL;
  ns_pins pins = { 0 };
  pod_pins(e, id, s, &pins);
  if (pod_network_teardown(e, id, s, pins.net, &err) < 0)
    log_warn("pod %s: %s", id, err->message);
  crio_err_free(err);
  err = NULL;
  if (ns_pin_remove(&pins, &err) < 0)
    log_warn("pod %s: %s", id, err->message);
  ns_pins_clear(&pins);
  _cleanup_free_ char *dir = pod_dir(e, id);
  rm_rf_at(dir, NULL);
  _cleanup_free_ char *cg = cgroup_pod_path(s->cgroup_parent ? s->cgroup_parent : DEFAULT_CGROUP_PARENT, id);
  crio_err_free(err);
  err = NULL;
  if (cgroup_pod_remove(cg, &err) < 0)
    log_warn("pod %s: %s", id, err->message);
}

void pod_pins(engine *e, const char *id, const engine_pod_spec *s, ns_pins *out)
{
  _cleanup_free_ char *nsd = ns_dir(e);
  memset(out, 0, sizeof *out);
  if (!s->host_network)
    out->net = xasprintf("%s/netns/%s", nsd, id);
  if (!s->host_ipc)
    out->ipc = xasprintf("%s/ipcns/%s", nsd, id);
  if (!s->host_network)
    out->uts = xasprintf("%s/utsns/%s", nsd, id);
}

int engine_pod_create(engine *e, const engine_pod_spec *spec, engine_pod *out, crio_err **err)
{
  engine_pod_spec s;
  engine_pod_spec_copy(spec, &s);
  _cleanup_free_ char *id = new_id();
  if (pod_spec_check(&s, err) < 0) {
    engine_pod_spec_clear(&s);
    return -1;
  }
  pod_spec_defaults(&s, id);
  ns_pins pins = { 0 };
  _cleanup_free_ char *ips = NULL;
  int r = pod_setup(e, id, &s, &pins, err);
  if (r == 0)
    r = pod_network_setup(e, id, &s, pins.net, &ips, err);
  _cleanup_free_ char *spec_text = pod_spec_to_json(&s);
  _cleanup_free_ char *labels = kv_to_json_text(&s.labels);
  _cleanup_free_ char *annotations = kv_to_json_text(&s.annotations);
  store_pod row = { .id = id, .name = s.name, .namespace = s.namespace, .uid = s.uid,
                    .attempt = s.attempt, .state = STORE_POD_READY, .hostname = s.hostname,
                    .labels = labels, .annotations = annotations, .spec = spec_text,
                    .netns_path = pins.net, .ips = ips ? ips : "[]" };
  store_event ev = { .type = STORE_EVENT_POD, .action = "create" };
  if (r == 0)
    r = store_pod_put(e->store, &row, &ev, err);
  ns_pins_clear(&pins);
  if (r < 0) {
    pod_teardown(e, id, &s);
    engine_pod_spec_clear(&s);
    return -1;
  }
  engine_pod_spec_clear(&s);
  return out ? engine_pod_get(e, id, out, err) : 0;
}
