/* The engine's event feed: the store's append-only log, with a condition
 * variable signalled by the store after each commit that appended events,
 * so followers (the CRI's GetContainerEvents) wait instead of polling. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "server/engine/engine_internal.h"
#include "util/clock.h"
#include "util/xalloc.h"

static void on_commit(int64_t seq, void *data)
{
  engine *e = data;
  pthread_mutex_lock(&e->event_lock);
  if (seq > e->event_seq)
    e->event_seq = seq;
  pthread_cond_broadcast(&e->event_cond);
  pthread_mutex_unlock(&e->event_lock);
}

int events_init(engine *e, crio_err **err)
{
  store_counts counts = {0};
  pthread_mutex_init(&e->event_lock, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&e->event_cond, &attr);
  pthread_condattr_destroy(&attr);
  if (store_counts_get(e->store, &counts, err) < 0)
    return crio_err_wrap(err, "read the event log's position");
  e->event_seq = counts.last_event_seq;
  store_set_event_listener(e->store, on_commit, e);
  return 0;
}

void events_fini(engine *e)
{
  if (e->store)
    store_set_event_listener(e->store, NULL, NULL);
  pthread_cond_destroy(&e->event_cond);
  pthread_mutex_destroy(&e->event_lock);
}

int64_t engine_events_last(engine *e)
{
  pthread_mutex_lock(&e->event_lock);
  int64_t seq = e->event_seq;
  pthread_mutex_unlock(&e->event_lock);
  return seq;
}

/* Waits until an event after `after` is committed or the time is up. */
static void wait_for(engine *e, int64_t after, int timeout_ms)
{
  struct timespec until = clock_after_ms(CLOCK_MONOTONIC, timeout_ms);
  pthread_mutex_lock(&e->event_lock);
  int rc = 0;
  while (e->event_seq <= after && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&e->event_cond, &e->event_lock, &until);
  pthread_mutex_unlock(&e->event_lock);
}

static void event_take(engine_event *out, store_event *ev)
{
  *out = (engine_event){
      .seq = ev->seq,
      .time_ns = ev->time_ns,
      .type = store_event_type_name(ev->type),
      .action = ev->action,
      .id = ev->object_id,
      .name = ev->name,
  };
  if (!out->type)
    out->type = "unknown";
  json_t *attrs = ev->attributes ? json_loads(ev->attributes, 0, NULL) : NULL;
  const char *pod = json_string_value(json_object_get(attrs, "pod"));
  out->pod = pod ? xstrdup(pod) : NULL;
  json_decref(attrs);
  ev->action = ev->object_id = ev->name = NULL;
}

int engine_events_wait(engine *e, int64_t after, size_t limit, int timeout_ms, engine_events *out,
                       crio_err **err)
{
  *out = (engine_events){0};
  if (timeout_ms > 0 && engine_events_last(e) <= after)
    wait_for(e, after, timeout_ms);
  store_events list = {0};
  if (store_event_list(e->store, after, limit, &list, err) < 0)
    return crio_err_wrap(err, "read events after %lld", (long long)after);
  if (list.n > 0)
    out->items = xzalloc(list.n * sizeof *out->items);
  for (size_t i = 0; i < list.n; i++)
    event_take(&out->items[out->n++], &list.items[i]);
  store_events_free(&list);
  return 0;
}

void engine_events_clear(engine_events *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].action);
    free(l->items[i].id);
    free(l->items[i].name);
    free(l->items[i].pod);
  }
  free(l->items);
  *l = (engine_events){0};
}
