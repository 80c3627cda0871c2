/* Pods: lookup, list, stop, remove. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/pods_internal.h"
#include "server/engine/spec_json.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

int pod_load(engine *e, const char *ref, store_pod **row, engine_pod_spec *spec, crio_err **err)
{
  if (store_pod_lookup(e->store, ref, row, err) < 0)
    return -1;
  if (pod_spec_from_json((*row)->spec, spec, err) < 0) {
    store_pod_free(*row);
    *row = NULL;
    return -1;
  }
  return 0;
}

static void pod_from_row(engine *e, const store_pod *row, engine_pod_spec *spec, engine_pod *out)
{
  memset(out, 0, sizeof *out);
  out->id = xstrdup(row->id);
  out->spec = *spec;   /* taken */
  memset(spec, 0, sizeof *spec);
  out->state = xstrdup(store_pod_state_name(row->state));
  out->created_ns = row->created_ns;
  ns_pins pins;
  pod_pins(e, row->id, &out->spec, &pins);
  out->netns = pins.net;
  out->ipcns = pins.ipc;
  out->utsns = pins.uts;
  json_t *ips = json_loads(row->ips ? row->ips : "[]", 0, NULL);
  strv_from_json(ips, &out->ips);
  json_decref(ips);
  if (store_container_ids_of_pod(e->store, row->id, &out->containers.items,
                                 &out->containers.n, NULL) < 0)
    out->containers = (engine_strv) { 0 };
}

int engine_pod_get(engine *e, const char *ref, engine_pod *out, crio_err **err)
{
  store_pod *row = NULL;
  engine_pod_spec spec;
  if (pod_load(e, ref, &row, &spec, err) < 0)
    return -1;
  pod_from_row(e, row, &spec, out);
  store_pod_free(row);
  return 0;
}

void engine_pod_clear(engine_pod *p)
{
  free(p->id);
  engine_pod_spec_clear(&p->spec);
  free(p->state);
  free(p->netns);
  free(p->ipcns);
  free(p->utsns);
  engine_strv_clear(&p->ips);
  engine_strv_clear(&p->containers);
  memset(p, 0, sizeof *p);
}

void engine_pods_clear(engine_pods *l)
{
  for (size_t i = 0; i < l->n; i++)
    engine_pod_clear(&l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

bool kv_filter_matches(const engine_kv *kv, const char *want)
{
  const char *eq = strchr(want, '=');
  size_t klen = eq ? (size_t) (eq - want) : strlen(want);
  for (size_t i = 0; i < kv->keys.n; i++)
    if (strlen(kv->keys.items[i]) == klen && strncmp(kv->keys.items[i], want, klen) == 0)
      return !eq || strcmp(kv->values.items[i], eq + 1) == 0;
  return false;
}

static int pod_matches(const engine_pod *p, const char *f, bool *match, crio_err **err)
{
  const char *eq = strchr(f, '=');
  if (!eq)
    return crio_err_set(err, CRIO_E_INVALID, "pod filter \"%s\" is not KEY=VALUE", f);
  size_t kl = (size_t) (eq - f);
  const char *v = eq + 1;
  if (kl == 2 && strncmp(f, "id", 2) == 0)
    *match = strncmp(p->id, v, strlen(v)) == 0;
  else if (kl == 4 && strncmp(f, "name", 4) == 0)
    *match = fnmatch(v, p->spec.name, 0) == 0;
  else if (kl == 5 && strncmp(f, "state", 5) == 0)
    *match = strcasecmp(p->state, v) == 0;
  else if (kl == 5 && strncmp(f, "label", 5) == 0)
    *match = kv_filter_matches(&p->spec.labels, v);
  else if (kl == 9 && strncmp(f, "namespace", 9) == 0)
    *match = strcmp(p->spec.namespace, v) == 0;
  else
    return crio_err_set(err, CRIO_E_INVALID,
                        "unknown pod filter \"%.*s\" (known: id, name, state, label, namespace)",
                        (int) kl, f);
  return 0;
}

int engine_pod_list(engine *e, const engine_filter *f, engine_pods *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  store_pods rows = { 0 };
  if (store_pod_list(e->store, NULL, &rows, err) < 0)
    return -1;
  out->items = xzalloc((rows.n + 1) * sizeof *out->items);
  int r = 0;
  for (size_t i = 0; r == 0 && i < rows.n; i++) {
    engine_pod_spec spec;
    if (pod_spec_from_json(rows.items[i].spec, &spec, err) < 0) {
      r = -1;
      break;
    }
    engine_pod p;
    pod_from_row(e, &rows.items[i], &spec, &p);
    bool keep = true;
    for (size_t k = 0; r == 0 && keep && f && k < f->n_filters; k++)
      r = pod_matches(&p, f->filters[k], &keep, err);
    if (keep && r == 0)
      out->items[out->n++] = p;
    else
      engine_pod_clear(&p);
  }
  store_pods_free(&rows);
  if (r < 0)
    engine_pods_clear(out);
  return r;
}

int engine_pod_stop(engine *e, const char *ref, int timeout_s, crio_err **err)
{
  engine_pod p;
  if (engine_pod_get(e, ref, &p, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i < p.containers.n; i++)
    r = engine_container_stop(e, p.containers.items[i], timeout_s, err);
  store_event ev = { .type = STORE_EVENT_POD, .action = "stop" };
  if (r == 0 && strcmp(p.state, "READY") == 0)
    r = pod_network_teardown(e, p.id, &p.spec, p.netns, err);
  if (r == 0 && strcmp(p.state, "READY") == 0)
    r = store_pod_update_network(e->store, p.id, p.netns, "[]", NULL, err);
  if (r == 0 && strcmp(p.state, "READY") == 0)
    r = store_pod_update_state(e->store, p.id, STORE_POD_NOTREADY, &ev, err);
  engine_pod_clear(&p);
  return r;
}

int engine_pod_remove(engine *e, const char *ref, bool force, char **id_out, crio_err **err)
{
  engine_pod p;
  if (engine_pod_get(e, ref, &p, err) < 0)
    return -1;
  int r = 0;
  if (p.containers.n && !force)
    r = crio_err_set(err, CRIO_E_CONFLICT,
                     "pod %s has %zu containers: remove them first, or use force",
                     p.spec.name, p.containers.n);
  for (size_t i = 0; r == 0 && i < p.containers.n; i++)
    r = ctr_remove(e, p.containers.items[i], true, false, NULL, err);
  store_event ev = { .type = STORE_EVENT_POD, .action = "remove" };
  if (r == 0)
    r = store_pod_delete(e->store, p.id, &ev, err);
  if (r == 0) {
    pod_teardown(e, p.id, &p.spec);
    if (id_out)
      *id_out = xstrdup(p.id);
  }
  engine_pod_clear(&p);
  return r;
}
