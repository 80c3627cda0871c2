/* The append-only event log. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/xalloc.h"

static const char *const event_type_names[] = {
  [STORE_EVENT_POD] = "pod",
  [STORE_EVENT_CONTAINER] = "container",
  [STORE_EVENT_IMAGE] = "image",
};

const char *store_event_type_name(store_event_type type)
{
  if (type <= STORE_EVENT_ANY || type > STORE_EVENT_IMAGE)
    return NULL;
  return event_type_names[type];
}

static store_event_type event_type_parse(const char *name)
{
  for (int t = STORE_EVENT_POD; t <= STORE_EVENT_IMAGE; t++)
    if (name && strcmp(name, event_type_names[t]) == 0)
      return (store_event_type) t;
  return STORE_EVENT_ANY;
}

int store_event_insert(store *s, store_event *ev, store_event_type type, const char *object_id,
                       const char *name, crio_err **err)
{
  static const char sql[] =
    "INSERT INTO events (time_ns, type, action, object_id, name, attributes)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING seq";
  if (ev->type != STORE_EVENT_ANY)
    type = ev->type;
  if (ev->object_id)
    object_id = ev->object_id;
  if (ev->name)
    name = ev->name;
  const char *type_name = store_event_type_name(type);
  if (!type_name || !ev->action || !*ev->action || !object_id)
    return crio_err_set(err, CRIO_E_INVALID,
                        "event %s on %s: type, action and object id are required",
                        ev->action ? ev->action : "(no action)", object_id ? object_id : "(none)");
  int64_t time_ns = ev->time_ns ? ev->time_ns : store_now_ns();
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("append event %s of %s %s", ev->action, type_name,
                                        object_id);
  int r = store_prepare_bind(s, sql, &st, err, "Ittttj", time_ns, type_name, ev->action,
                             object_id, name, ev->attributes);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  ev->seq = sqlite3_column_int64(st, 0);
  ev->time_ns = time_ns;
  s->pending_event_seq = ev->seq;
  return store_exec_stmt(s, st, err, what);
}

void store_set_event_listener(store *s, store_event_listener fn, void *data)
{
  STORE_LOCK(s);
  s->listener = fn;
  s->listener_data = data;
}

int store_event_append(store *s, store_event *ev, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  store_event out = *ev;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_event_insert(s, &out, STORE_EVENT_ANY, NULL, NULL, err)) < 0)
    return r;
  if ((r = store_tx_commit(&tx, err)) < 0)
    return r;
  ev->seq = out.seq;
  ev->time_ns = out.time_ns;
  return 0;
}

static void event_read(sqlite3_stmt *st, store_event *ev)
{
  ev->seq = sqlite3_column_int64(st, 0);
  ev->time_ns = sqlite3_column_int64(st, 1);
  ev->type = event_type_parse((const char *) sqlite3_column_text(st, 2));
  ev->action = store_col_str(st, 3);
  ev->object_id = store_col_str(st, 4);
  ev->name = store_col_str(st, 5);
  ev->attributes = store_col_str(st, 6);
}

int store_event_list(store *s, int64_t since_seq, size_t limit, store_events *out,
                     crio_err **err)
{
  static const char sql[] = "SELECT seq, time_ns, type, action, object_id, name, attributes"
                            " FROM events WHERE seq > ? ORDER BY seq LIMIT ?";
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int64_t lim = limit == 0 || limit > INT64_MAX ? -1 : (int64_t) limit;
  int r = store_prepare_bind(s, sql, &st, err, "II", since_seq, lim);
  if (r < 0)
    return r;
  _cleanup_store_events_ store_events list = { 0 };
  size_t cap = 0;
  while ((r = store_step(s, st, err, "list events")) > 0)
    event_read(st, STORE_LIST_PUSH(&list, cap));
  if (r < 0)
    return r;
  *out = list;
  list = (store_events) { 0 };
  return 0;
}

void store_event_clear(store_event *ev)
{
  if (!ev)
    return;
  free(ev->action);
  free(ev->object_id);
  free(ev->name);
  free(ev->attributes);
  memset(ev, 0, sizeof *ev);
}

void store_events_free(store_events *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_event_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
