/* Containers. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/xalloc.h"

#define CTR_COLUMNS                                                                         \
  "id, pod_id, name, attempt, image_id, image_ref, state, pid, exit_code, oom_killed, reason," \
  " message, created_ns, started_ns, finished_ns, labels, annotations, log_path, spec"

static const store_resolver ctr_resolver = {
  .kind = "container",
  .by_id_sql = "SELECT id FROM containers WHERE id = ?",
  .by_name_sql = "SELECT id FROM containers WHERE name = ?",
  .prefix_sql = "SELECT id FROM containers WHERE id GLOB ? || '*'",
};

static const char *const ctr_state_names[] = {
  [STORE_CTR_CREATED] = "CREATED", [STORE_CTR_RUNNING] = "RUNNING",
  [STORE_CTR_PAUSED] = "PAUSED",   [STORE_CTR_EXITED] = "EXITED",
  [STORE_CTR_UNKNOWN] = "UNKNOWN",
};

const char *store_container_state_name(store_container_state state)
{
  if (state <= STORE_CTR_ANY || state > STORE_CTR_UNKNOWN)
    return NULL;
  return ctr_state_names[state];
}

static store_container_state ctr_state_parse(const char *name)
{
  for (int i = STORE_CTR_CREATED; i <= STORE_CTR_UNKNOWN; i++)
    if (name && strcmp(name, ctr_state_names[i]) == 0)
      return (store_container_state) i;
  return STORE_CTR_ANY;
}

static void ctr_read(sqlite3_stmt *st, store_container *c)
{
  c->id = store_col_str(st, 0);
  c->pod_id = store_col_str(st, 1);
  c->name = store_col_str(st, 2);
  c->attempt = (uint32_t) sqlite3_column_int64(st, 3);
  c->image_id = store_col_str(st, 4);
  c->image_ref = store_col_str(st, 5);
  c->state = ctr_state_parse((const char *) sqlite3_column_text(st, 6));
  c->pid = sqlite3_column_int(st, 7);
  c->exit_code = sqlite3_column_int(st, 8);
  c->oom_killed = sqlite3_column_int(st, 9) != 0;
  c->reason = store_col_str(st, 10);
  c->message = store_col_str(st, 11);
  c->created_ns = sqlite3_column_int64(st, 12);
  c->started_ns = sqlite3_column_int64(st, 13);
  c->finished_ns = sqlite3_column_int64(st, 14);
  c->labels = store_col_str(st, 15);
  c->annotations = store_col_str(st, 16);
  c->log_path = store_col_str(st, 17);
  c->spec = store_col_str(st, 18);
}

static int ctr_fetch(store *s, const char *column, const char *key, store_container **out,
                     crio_err **err)
{
  _cleanup_free_ char *sql = xasprintf("SELECT " CTR_COLUMNS " FROM containers WHERE %s = ?",
                                       column);
  _cleanup_free_ char *what = xasprintf("read container %s", key);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "t", key);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "container %s%s not found",
                        strcmp(column, "name") == 0 ? "named " : "", key);
  store_container *c = xzalloc(sizeof *c);
  ctr_read(st, c);
  *out = c;
  return 0;
}

/* The id and name are free, the pod and the image exist. */
static int ctr_check_new(store *s, const store_container *c, crio_err **err)
{
  int64_t n;
  int r = store_query_int(s, "SELECT count(*) FROM containers WHERE id = ?", &n, err,
                          "check container id", "t", c->id);
  if (r < 0)
    return r;
  if (n > 0)
    return crio_err_set(err, CRIO_E_EXISTS, "container %s already exists", c->id);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if ((r = store_prepare_bind(s, "SELECT id FROM containers WHERE name = ?", &st, err, "t",
                              c->name)) < 0 ||
      (r = store_step(s, st, err, "check container name")) < 0)
    return r;
  if (r > 0)
    return crio_err_set(err, CRIO_E_EXISTS, "container name %s is already used by container %s",
                        c->name, (const char *) sqlite3_column_text(st, 0));
  if ((r = store_query_int(s, "SELECT count(*) FROM pods WHERE id = ?", &n, err,
                           "check pod of container", "t", c->pod_id)) < 0)
    return r;
  if (n == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "pod %s of container %s not found", c->pod_id,
                        c->name);
  if (!c->image_id)
    return 0;
  if ((r = store_query_int(s, "SELECT count(*) FROM images WHERE id = ?", &n, err,
                           "check image of container", "t", c->image_id)) < 0)
    return r;
  if (n == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image %s of container %s not found",
                        c->image_id, c->name);
  return 0;
}

static int ctr_insert(store *s, const store_container *c, crio_err **err)
{
  static const char sql[] = "INSERT INTO containers (" CTR_COLUMNS ") VALUES"
                            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  _cleanup_free_ char *what = xasprintf("insert container %s", c->id);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(
      s, sql, &st, err, "tttItttiibttIIIjjtj", c->id, c->pod_id, c->name, (int64_t) c->attempt,
      c->image_id, c->image_ref, store_container_state_name(c->state), (int) c->pid,
      (int) c->exit_code, (int) c->oom_killed, c->reason, c->message,
      c->created_ns ? c->created_ns : store_now_ns(), c->started_ns, c->finished_ns, c->labels,
      c->annotations, c->log_path, c->spec);
  return r < 0 ? r : store_exec_stmt(s, st, err, what);
}

int store_container_put(store *s, const store_container *c, store_event *ev, crio_err **err)
{
  int r = store_check_id("container", c->id, err);
  if (r < 0 || (r = store_check_id("pod", c->pod_id, err)) < 0)
    return r;
  if (c->image_id && (r = store_check_id("image", c->image_id, err)) < 0)
    return r;
  if (!c->name || !*c->name || !store_container_state_name(c->state))
    return crio_err_set(err, CRIO_E_INVALID, "container %s: a name and a state are required",
                        c->id);
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  if ((r = store_tx_begin(s, &tx, true, err)) < 0 || (r = ctr_check_new(s, c, err)) < 0 ||
      (r = ctr_insert(s, c, err)) < 0)
    return r;
  store_hook(s, "container_put:after_insert");
  if (ev && (r = store_event_insert(s, ev, STORE_EVENT_CONTAINER, c->id, c->name, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_container_get(store *s, const char *id, store_container **out, crio_err **err)
{
  STORE_LOCK(s);
  return ctr_fetch(s, "id", id, out, err);
}

int store_container_get_by_name(store *s, const char *name, store_container **out,
                                crio_err **err)
{
  STORE_LOCK(s);
  return ctr_fetch(s, "name", name, out, err);
}

int store_container_lookup(store *s, const char *ref, store_container **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_free_ char *id = NULL;
  int r = store_tx_begin(s, &tx, false, err);
  if (r < 0 || (r = store_resolve(s, &ctr_resolver, ref, &id, err)) < 0)
    return r;
  return ctr_fetch(s, "id", id, out, err);
}

int store_container_list(store *s, const store_container_filter *f, store_containers *out,
                         crio_err **err)
{
  static const char sql[] = "SELECT " CTR_COLUMNS " FROM containers"
                            " WHERE (?1 IS NULL OR id GLOB ?1 || '*')"
                            "   AND (?2 IS NULL OR pod_id = ?2)"
                            "   AND (?3 IS NULL OR state = ?3)"
                            " ORDER BY created_ns, id";
  static const store_container_filter all = { 0 };
  if (!f)
    f = &all;
  if (f->id_prefix && !store_hex_prefix_valid(f->id_prefix))
    return crio_err_set(err, CRIO_E_INVALID, "invalid container id prefix \"%s\"", f->id_prefix);
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "ttt", f->id_prefix, f->pod_id,
                             store_container_state_name(f->state));
  if (r < 0)
    return r;
  _cleanup_store_containers_ store_containers list = { 0 };
  size_t cap = 0;
  while ((r = store_step(s, st, err, "list containers")) > 0)
    ctr_read(st, STORE_LIST_PUSH(&list, cap));
  if (r < 0)
    return r;
  *out = list;
  list = (store_containers) { 0 };
  return 0;
}

int store_container_ids_of_pod(store *s, const char *pod_id, char ***ids, size_t *n,
                               crio_err **err)
{
  static const char sql[] =
    "SELECT id FROM containers WHERE pod_id = ? ORDER BY created_ns, id";
  *ids = NULL;
  *n = 0;
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "t", pod_id);
  if (r < 0)
    return r;
  char **out = NULL;
  size_t count = 0;
  while ((r = store_step(s, st, err, "list containers of a pod")) > 0) {
    out = xrealloc(out, (count + 1) * sizeof *out);
    out[count++] = store_col_str(st, 0);
  }
  if (r < 0) {
    for (size_t i = 0; i < count; i++)
      free(out[i]);
    free(out);
    return r;
  }
  *ids = out;
  *n = count;
  return 0;
}

int store_container_set_state(store *s, const char *id, const store_container_status *status,
                              store_event *ev, crio_err **err)
{
  /* One statement for the whole status, so no reader sees half of it. */
  static const char sql[] =
    "UPDATE containers SET state = ?1, pid = ?2, exit_code = ?3, oom_killed = ?4,"
    " reason = ?5, message = ?6,"
    " started_ns = CASE WHEN ?7 = 0 THEN started_ns ELSE ?7 END,"
    " finished_ns = CASE WHEN ?8 = 0 THEN finished_ns ELSE ?8 END"
    " WHERE id = ?9 RETURNING name";
  const store_change c = { .verb = "set state of", .kind = "container", .id = id,
                           .type = STORE_EVENT_CONTAINER,
                           .hook_point = "container_set_state:after_update" };
  const char *state = store_container_state_name(status->state);
  if (!state)
    return crio_err_set(err, CRIO_E_INVALID, "container %s: invalid state %d", id,
                        (int) status->state);
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 ||
      (r = store_prepare_bind(s, sql, &st, err, "tiibttIIt", state, (int) status->pid,
                              (int) status->exit_code, (int) status->oom_killed, status->reason,
                              status->message, status->started_ns, status->finished_ns, id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_container_update_spec(store *s, const char *id, const char *spec, store_event *ev,
                                crio_err **err)
{
  const store_change c = { .verb = "update spec of", .kind = "container", .id = id,
                           .type = STORE_EVENT_CONTAINER };
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 ||
      (r = store_prepare_bind(s, "UPDATE containers SET spec = ? WHERE id = ? RETURNING name",
                              &st, err, "jt", spec, id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_container_rename(store *s, const char *id, const char *name, store_event *ev,
                           crio_err **err)
{
  const store_change c = { .verb = "rename", .kind = "container", .id = id,
                           .type = STORE_EVENT_CONTAINER };
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 ||
      (r = store_prepare_bind(s, "UPDATE containers SET name = ? WHERE id = ? RETURNING name",
                              &st, err, "tt", name, id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_container_delete(store *s, const char *id, store_event *ev, crio_err **err)
{
  const store_change c = { .verb = "delete", .kind = "container", .id = id,
                           .type = STORE_EVENT_CONTAINER };
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 ||
      (r = store_prepare_bind(s, "DELETE FROM containers WHERE id = ? RETURNING name", &st, err,
                              "t", id)) < 0 ||
      (r = store_change_one(s, st, &c, ev, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

void store_container_clear(store_container *c)
{
  if (!c)
    return;
  free(c->id);
  free(c->pod_id);
  free(c->name);
  free(c->image_id);
  free(c->image_ref);
  free(c->reason);
  free(c->message);
  free(c->labels);
  free(c->annotations);
  free(c->log_path);
  free(c->spec);
  memset(c, 0, sizeof *c);
}

void store_container_free(store_container *c)
{
  store_container_clear(c);
  free(c);
}

void store_containers_free(store_containers *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_container_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
