/* Containers: the engine's view of a row, lookup, list with filters. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/paths.h"
#include "server/engine/spec_json.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/image/fsutil.h"
#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

bool kv_filter_matches(const engine_kv *kv, const char *want);

/* What runs: recorded at create; for containers made before it was, the
 * args of the bundle's config.json. */
static void command_of(engine *e, const store_container *row, const engine_container_spec *spec,
                       engine_strv *out)
{
  if (spec->process_args.n > 0) {
    for (size_t i = 0; i < spec->process_args.n; i++)
      strv_push(out, spec->process_args.items[i]);
    return;
  }
  _cleanup_free_ char *dir = ctr_dir(e, row->id);
  _cleanup_free_ char *bundle = path_join(dir, "config.json");
  json_t *cfg = json_load_file(bundle, 0, NULL);
  strv_from_json(json_object_get(json_object_get(cfg, "process"), "args"), out);
  json_decref(cfg);
}

void engine_container_from_row(engine *e, const store_container *row, engine_container *out)
{
  memset(out, 0, sizeof *out);
  out->id = xstrdup(row->id);
  container_spec_from_json(row->spec, &out->spec, NULL);
  free(out->spec.pod);
  out->spec.pod = xstrdup(row->pod_id);
  free(out->spec.name);
  out->spec.name = xstrdup(row->name);
  out->image_id = xstrdup(row->image_id ? row->image_id : "");
  command_of(e, row, &out->spec, &out->command);
  out->state = xstrdup(ctr_state_name(row->state));
  out->pid = row->pid;
  out->exit_code = row->exit_code;
  out->oom_killed = row->oom_killed;
  out->reason = xstrdup(row->reason ? row->reason : "");
  out->message = xstrdup(row->message ? row->message : "");
  out->created_ns = row->created_ns;
  out->started_ns = row->started_ns;
  out->finished_ns = row->finished_ns;
  out->log_path = xstrdup(row->log_path ? row->log_path : "");
  pthread_rwlock_rdlock(&e->lock);
  out->runtime_handler = xstrdup(out->spec.runtime_handler ? out->spec.runtime_handler
                                                           : e->cfg->default_runtime);
  pthread_rwlock_unlock(&e->lock);
  out->size_rw = -1;
}

int engine_container_get(engine *e, const char *ref, engine_container *out, crio_err **err)
{
  store_container *row = NULL;
  if (store_container_lookup(e->store, ref, &row, err) < 0)
    return -1;
  engine_container_from_row(e, row, out);
  store_container_free(row);
  return 0;
}

void engine_container_clear(engine_container *c)
{
  free(c->id);
  engine_container_spec_clear(&c->spec);
  free(c->image_id);
  engine_strv_clear(&c->command);
  free(c->state);
  free(c->reason);
  free(c->message);
  free(c->log_path);
  free(c->runtime_handler);
  memset(c, 0, sizeof *c);
}

void engine_containers_clear(engine_containers *l)
{
  for (size_t i = 0; i < l->n; i++)
    engine_container_clear(&l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int ctr_matches(engine *e, const engine_container *c, const char *f, bool *match,
                       crio_err **err)
{
  const char *eq = strchr(f, '=');
  if (!eq)
    return crio_err_set(err, CRIO_E_INVALID, "container filter \"%s\" is not KEY=VALUE", f);
  size_t kl = (size_t) (eq - f);
  const char *v = eq + 1;
#define KEY(k) (kl == strlen(k) && strncmp(f, k, kl) == 0)
  if (KEY("id"))
    *match = strncmp(c->id, v, strlen(v)) == 0;
  else if (KEY("name"))
    *match = fnmatch(v, c->spec.name, 0) == 0 || strstr(c->spec.name, v) != NULL;
  else if (KEY("pod"))
    *match = strncmp(c->spec.pod, v, strlen(v)) == 0;
  else if (KEY("status"))
    *match = strcmp(c->state, v) == 0;
  else if (KEY("label"))
    *match = kv_filter_matches(&c->spec.labels, v);
  else if (KEY("exited"))
    *match = strcmp(c->state, "exited") == 0 && c->exit_code == atoi(v);
  else if (KEY("ancestor")) {
    store_image *img = NULL;
    *match = image_lookup(e, v, &img, NULL) == 0 && strcmp(img->id, c->image_id) == 0;
    store_image_free(img);
  } else
    return crio_err_set(err, CRIO_E_INVALID,
                        "unknown container filter \"%.*s\" (known: id, name, pod, status, "
                        "label, ancestor, exited)", (int) kl, f);
#undef KEY
  return 0;
}

static bool all_hex(const char *s, size_t min, size_t max)
{
  size_t n = strspn(s, "0123456789abcdef");
  return s[n] == '\0' && n >= min && n <= max;
}

/* Filters the store can apply itself, so rows that cannot match are never
 * converted: a full pod ID, an ID prefix. They are still checked after. */
static void pushdown_filters(const engine_filter *f, store_container_filter *sf)
{
  for (size_t i = 0; f && i < f->n_filters; i++) {
    const char *v = f->filters[i];
    if (strncmp(v, "pod=", 4) == 0 && all_hex(v + 4, 64, 64))
      sf->pod_id = v + 4;
    else if (strncmp(v, "id=", 3) == 0 && all_hex(v + 3, 1, 64))
      sf->id_prefix = v + 3;
  }
}

int engine_container_list(engine *e, bool all, bool size, const engine_filter *f,
                          engine_containers *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  store_containers rows = { 0 };
  store_container_filter sf = { 0 };
  pushdown_filters(f, &sf);
  if (store_container_list(e->store, &sf, &rows, err) < 0)
    return -1;
  out->items = xzalloc((rows.n + 1) * sizeof *out->items);
  int r = 0;
  for (size_t i = rows.n; r == 0 && i-- > 0;) {   /* newest first */
    if (!all && rows.items[i].state != STORE_CTR_RUNNING && rows.items[i].state != STORE_CTR_PAUSED)
      continue;
    engine_container c;
    engine_container_from_row(e, &rows.items[i], &c);
    bool keep = true;
    for (size_t k = 0; r == 0 && keep && f && k < f->n_filters; k++)
      r = ctr_matches(e, &c, f->filters[k], &keep, err);
    if (keep && r == 0 && size) {
      _cleanup_free_ char *upper = rootfs_upper_dir(e->overlay_root, c.id);
      c.size_rw = dir_size_bytes(upper);
    }
    if (keep && r == 0)
      out->items[out->n++] = c;
    else
      engine_container_clear(&c);
  }
  store_containers_free(&rows);
  if (r < 0)
    engine_containers_clear(out);
  return r;
}
