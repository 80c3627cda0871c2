/* Pods. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/xalloc.h"

#define POD_COLUMNS \
  "id, name, namespace, uid, attempt, state, created_ns, hostname, labels, annotations, spec," \
  " netns_path, ips"

static const store_resolver pod_resolver = {
  .kind = "pod",
  .by_id_sql = "SELECT id FROM pods WHERE id = ?",
  .by_name_sql = "SELECT id FROM pods WHERE name = ?",
  .prefix_sql = "SELECT id FROM pods WHERE id GLOB ? || '*'",
};

const char *store_pod_state_name(store_pod_state state)
{
  switch (state) {
  case STORE_POD_READY:
    return "READY";
  case STORE_POD_NOTREADY:
    return "NOTREADY";
  default:
    return NULL;
  }
}

static store_pod_state pod_state_parse(const char *name)
{
  if (name && strcmp(name, "READY") == 0)
    return STORE_POD_READY;
  if (name && strcmp(name, "NOTREADY") == 0)
    return STORE_POD_NOTREADY;
  return STORE_POD_ANY;
}

static void pod_read(sqlite3_stmt *st, store_pod *p)
{
  p->id = store_col_str(st, 0);
  p->name = store_col_str(st, 1);
  p->namespace = store_col_str(st, 2);
  p->uid = store_col_str(st, 3);
  p->attempt = (uint32_t) sqlite3_column_int64(st, 4);
  p->state = pod_state_parse((const char *) sqlite3_column_text(st, 5));
  p->created_ns = sqlite3_column_int64(st, 6);
  p->hostname = store_col_str(st, 7);
  p->labels = store_col_str(st, 8);
  p->annotations = store_col_str(st, 9);
  p->spec = store_col_str(st, 10);
  p->netns_path = store_col_str(st, 11);
  p->ips = store_col_str(st, 12);
}

/* One pod selected by `column = key`; the lock is held by the caller. */
static int pod_fetch(store *s, const char *column, const char *key, store_pod **out,
                     crio_err **err)
{
  _cleanup_free_ char *sql = xasprintf("SELECT " POD_COLUMNS " FROM pods WHERE %s = ?", column);
  _cleanup_free_ char *what = xasprintf("read pod %s", key);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "t", key);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "pod %s%s not found",
                        strcmp(column, "name") == 0 ? "named " : "", key);
  store_pod *p = xzalloc(sizeof *p);
  pod_read(st, p);
  *out = p;
  return 0;
}

static int pod_check_new(store *s, const store_pod *pod, crio_err **err)
{
  int64_t n;
  int r = store_query_int(s, "SELECT count(*) FROM pods WHERE id = ?", &n, err, "check pod id",
                          "t", pod->id);
  if (r < 0)
    return r;
  if (n > 0)
    return crio_err_set(err, CRIO_E_EXISTS, "pod %s already exists", pod->id);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if ((r = store_prepare_bind(s, "SELECT id FROM pods WHERE name = ?", &st, err, "t",
                              pod->name)) < 0 ||
      (r = store_step(s, st, err, "check pod name")) < 0)
    return r;
  if (r > 0)
    return crio_err_set(err, CRIO_E_EXISTS, "pod name %s is already used by pod %s", pod->name,
                        (const char *) sqlite3_column_text(st, 0));
  return 0;
}

int store_pod_put(store *s, const store_pod *pod, store_event *ev, crio_err **err)
{
  static const char sql[] = "INSERT INTO pods (" POD_COLUMNS ")"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  int r = store_check_id("pod", pod->id, err);
  if (r < 0)
    return r;
  if (!pod->name || !*pod->name || !store_pod_state_name(pod->state))
    return crio_err_set(err, CRIO_E_INVALID, "pod %s: a name and a state are required", pod->id);
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("insert pod %s", pod->id);
  if ((r = store_tx_begin(s, &tx, true, err)) < 0 || (r = pod_check_new(s, pod, err)) < 0)
    return r;
  r = store_prepare_bind(s, sql, &st, err, "ttttItItjjjta", pod->id, pod->name, pod->namespace,
                         pod->uid, (int64_t) pod->attempt, store_pod_state_name(pod->state),
                         pod->created_ns ? pod->created_ns : store_now_ns(), pod->hostname,
                         pod->labels, pod->annotations, pod->spec, pod->netns_path, pod->ips);
  if (r < 0 || (r = store_exec_stmt(s, st, err, what)) < 0)
    return r;
  store_hook(s, "pod_put:after_insert");
  if (ev && (r = store_event_insert(s, ev, STORE_EVENT_POD, pod->id, pod->name, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_pod_get(store *s, const char *id, store_pod **out, crio_err **err)
{
  STORE_LOCK(s);
  return pod_fetch(s, "id", id, out, err);
}

int store_pod_get_by_name(store *s, const char *name, store_pod **out, crio_err **err)
{
  STORE_LOCK(s);
  return pod_fetch(s, "name", name, out, err);
}

int store_pod_lookup(store *s, const char *ref, store_pod **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_free_ char *id = NULL;
  int r = store_tx_begin(s, &tx, false, err);
  if (r < 0 || (r = store_resolve(s, &pod_resolver, ref, &id, err)) < 0)
    return r;
  return pod_fetch(s, "id", id, out, err);
}

int store_pod_list(store *s, const store_pod_filter *f, store_pods *out, crio_err **err)
{
  static const char sql[] = "SELECT " POD_COLUMNS " FROM pods"
                            " WHERE (?1 IS NULL OR id GLOB ?1 || '*')"
                            "   AND (?2 IS NULL OR state = ?2)"
                            "   AND (?3 IS NULL OR namespace = ?3)"
                            " ORDER BY created_ns, id";
  static const store_pod_filter all = { 0 };
  if (!f)
    f = &all;
  if (f->id_prefix && !store_hex_prefix_valid(f->id_prefix))
    return crio_err_set(err, CRIO_E_INVALID, "invalid pod id prefix \"%s\"", f->id_prefix);
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "ttt", f->id_prefix,
                             store_pod_state_name(f->state), f->namespace);
  if (r < 0)
    return r;
  _cleanup_store_pods_ store_pods list = { 0 };
  size_t cap = 0;
  while ((r = store_step(s, st, err, "list pods")) > 0)
    pod_read(st, STORE_LIST_PUSH(&list, cap));
  if (r < 0)
    return r;
  *out = list;
  list = (store_pods) { 0 };
  return 0;
}

/* An UPDATE/DELETE ... RETURNING name of one pod and its event, one transaction. */
static int pod_change(store *s, const char *verb, const char *id, const char *sql,
                      const char *fmt, const char *a, const char *b, store_event *ev,
                      crio_err **err)
{
  const store_change c = { .verb = verb, .kind = "pod", .id = id, .type = STORE_EVENT_POD };
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_prepare_bind(s, sql, &st, err, fmt, a, b, id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_pod_update_state(store *s, const char *id, store_pod_state state, store_event *ev,
                           crio_err **err)
{
  if (!store_pod_state_name(state))
    return crio_err_set(err, CRIO_E_INVALID, "pod %s: invalid state %d", id, (int) state);
  STORE_LOCK(s);
  return pod_change(s, "update state of", id,
                    "UPDATE pods SET state = ?1 WHERE id = ?3 RETURNING name", "ttt",
                    store_pod_state_name(state), NULL, ev, err);
}

int store_pod_update_network(store *s, const char *id, const char *netns_path, const char *ips,
                             store_event *ev, crio_err **err)
{
  STORE_LOCK(s);
  return pod_change(s, "update network of", id,
                    "UPDATE pods SET netns_path = ?1, ips = ?2 WHERE id = ?3 RETURNING name",
                    "tat", netns_path, ips, ev, err);
}

int store_pod_delete(store *s, const char *id, store_event *ev, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  const store_change c = { .verb = "delete", .kind = "pod", .id = id, .type = STORE_EVENT_POD };
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_prepare_bind(s, "SELECT count(*), min(name) FROM containers"
                                          " WHERE pod_id = ?", &st, err, "t", id)) < 0 ||
      (r = store_step(s, st, err, "count containers of pod")) < 0)
    return r;
  int64_t n = sqlite3_column_int64(st, 0);
  if (n > 0)
    return crio_err_set(err, CRIO_E_CONFLICT, "pod %s still has %lld container(s), including %s",
                        id, (long long) n, (const char *) sqlite3_column_text(st, 1));
  sqlite3_finalize(steal_pointer(&st));
  if ((r = store_prepare_bind(s, "DELETE FROM pods WHERE id = ? RETURNING name", &st, err, "t",
                              id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

void store_pod_clear(store_pod *p)
{
  if (!p)
    return;
  free(p->id);
  free(p->name);
  free(p->namespace);
  free(p->uid);
  free(p->hostname);
  free(p->labels);
  free(p->annotations);
  free(p->spec);
  free(p->netns_path);
  free(p->ips);
  memset(p, 0, sizeof *p);
}

void store_pod_free(store_pod *p)
{
  store_pod_clear(p);
  free(p);
}

void store_pods_free(store_pods *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_pod_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
