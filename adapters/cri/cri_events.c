/* GetContainerEvents: a server stream per client, fed by one thread that
 * follows the engine's event log and turns pod and container changes into
 * ContainerEventResponse messages (with the pod's status and its
 * containers' statuses, as the kubelet's evented PLEG wants them).
 *
 * A subscriber is a call with at most one send batch in flight; events that
 * come meanwhile wait in its queue. It is freed when its close operation
 * has completed, it has left the list and no batch is in flight (refs). */
#include "adapters/cri/cri_common.h"
#include "adapters/cri/cri_server_internal.h"

#include <stddef.h>
#include <stdlib.h>

#include "util/log.h"

/* A client that reads nothing is cut off rather than growing without end. */
#define EVENT_QUEUE_MAX 4096
#define EVENT_WAIT_MS 200

struct cri_events {
  cri_server *s;
  pthread_t thread;
  bool started;
  atomic_bool stop;
  pthread_mutex_t lock; /* guards subs; taken before a sub's own lock */
  event_sub *subs;
};

static call_ctx *call_of(event_sub *sub)
{
  return (call_ctx *)((char *)sub - offsetof(call_ctx, sub));
}

static void sub_unref(call_ctx *c)
{
  pthread_mutex_lock(&c->sub.lock);
  int refs = --c->sub.refs;
  pthread_mutex_unlock(&c->sub.lock);
  if (refs == 0)
    cri_call_free(c);
}

/* Starts sending bb (kept in c->response until the batch completes); the
 * sub's lock is held and no send is in flight. */
static bool send_locked(call_ctx *c, grpc_byte_buffer *bb)
{
  c->response = bb;
  if (!cri_start_message(c, bb, CALL_EVENT_SENT)) {
    c->response = NULL;
    return false;
  }
  c->sub.sending = true;
  c->sub.refs++;
  return true;
}

void cri_events_subscribe(cri_events *ev, call_ctx *c)
{
  /* listed before the close operation starts, so on_closed always finds it */
  pthread_mutex_lock(&ev->lock);
  pthread_mutex_lock(&c->sub.lock);
  c->sub.refs = 2;      /* the close operation and the subscription */
  send_locked(c, NULL); /* the initial metadata: the client sees the stream open */
  c->sub.next = ev->subs;
  ev->subs = &c->sub;
  pthread_mutex_unlock(&c->sub.lock);
  pthread_mutex_unlock(&ev->lock);
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->sub.cancelled;
  if (grpc_call_start_batch(c->call, &op, 1, &c->sub.close_state, NULL) != GRPC_CALL_OK) {
    log_error("cri: GetContainerEvents: cannot watch the call's end");
    grpc_call_cancel(c->call, NULL);
    cri_events_on_closed(ev, c);
  }
}

void cri_events_on_sent(cri_events *ev, call_ctx *c, bool success)
{
  (void)ev;
  pthread_mutex_lock(&c->sub.lock);
  c->sub.sending = false;
  if (c->response)
    grpc_byte_buffer_destroy(c->response);
  c->response = NULL;
  if (!success)
    c->sub.closed = true;
  if (!c->sub.closed && c->sub.n_queue > 0) {
    grpc_byte_buffer *next = c->sub.queue[0];
    memmove(c->sub.queue, c->sub.queue + 1, --c->sub.n_queue * sizeof *c->sub.queue);
    if (!send_locked(c, next))
      grpc_byte_buffer_destroy(next);
  }
  pthread_mutex_unlock(&c->sub.lock);
  sub_unref(c);
}

void cri_events_on_closed(cri_events *ev, call_ctx *c)
{
  bool listed = false;
  pthread_mutex_lock(&ev->lock);
  for (event_sub **p = &ev->subs; *p; p = &(*p)->next)
    if (*p == &c->sub) {
      *p = c->sub.next;
      listed = true;
      break;
    }
  pthread_mutex_lock(&c->sub.lock);
  c->sub.closed = true;
  pthread_mutex_unlock(&c->sub.lock);
  pthread_mutex_unlock(&ev->lock);
  if (listed)
    sub_unref(c);
  sub_unref(c); /* the close operation's */
}

/* Hands bb (copied) to every subscriber still open. */
static void broadcast(cri_events *ev, grpc_byte_buffer *bb)
{
  pthread_mutex_lock(&ev->lock);
  for (event_sub *sub = ev->subs; sub; sub = sub->next) {
    call_ctx *c = call_of(sub);
    pthread_mutex_lock(&sub->lock);
    if (sub->closed) {
      /* gone: on_closed takes it off the list */
    } else if (!sub->sending) {
      grpc_byte_buffer *copy = grpc_byte_buffer_copy(bb);
      if (!send_locked(c, copy))
        grpc_byte_buffer_destroy(copy);
    } else if (sub->n_queue >= EVENT_QUEUE_MAX) {
      log_warn("cri: GetContainerEvents client reads too slowly (%d events queued): cut off",
               EVENT_QUEUE_MAX);
      sub->closed = true;
      grpc_call_cancel_with_status(c->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                   "too many container events queued for this client", NULL);
    } else {
      sub->queue = xrealloc(sub->queue, (sub->n_queue + 1) * sizeof *sub->queue);
      sub->queue[sub->n_queue++] = grpc_byte_buffer_copy(bb);
    }
    pthread_mutex_unlock(&sub->lock);
  }
  pthread_mutex_unlock(&ev->lock);
}

static bool has_subscribers(cri_events *ev)
{
  pthread_mutex_lock(&ev->lock);
  bool any = ev->subs != NULL;
  pthread_mutex_unlock(&ev->lock);
  return any;
}

/* The CRI type of an engine event; false when it is not one. */
static bool event_type(const engine_event *x, Runtime__V1__ContainerEventType *out)
{
  static const struct {
    const char *type, *action;
    Runtime__V1__ContainerEventType cri;
  } map[] = {
      {"container", "create", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT},
      {"container", "start", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT},
      {"container", "died", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT},
      {"container", "oom", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT},
      {"container", "remove", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT},
      {"pod", "create", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT},
      {"pod", "stop", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT},
      {"pod", "remove", RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(x->type, map[i].type) == 0 && x->action && strcmp(x->action, map[i].action) == 0) {
      *out = map[i].cri;
      return true;
    }
  return false;
}

/* The pod's status and its containers' statuses, when the pod still exists. */
static void pod_statuses(engine *e, const char *pod_id, Runtime__V1__ContainerEventResponse *r)
{
  engine_pod p = {0};
  crio_err *lerr = NULL;
  if (!pod_id || engine_pod_get(e, pod_id, &p, &lerr) < 0) {
    crio_err_free(lerr);
    return;
  }
  r->pod_sandbox_status = cri_pod_status(&p);
  if (p.containers.n > 0)
    r->containers_statuses = xmalloc(p.containers.n * sizeof *r->containers_statuses);
  for (size_t i = 0; i < p.containers.n; i++) {
    engine_container c = {0};
    if (engine_container_get(e, p.containers.items[i], &c, &lerr) < 0) {
      crio_err_free(lerr);
      lerr = NULL;
      continue;
    }
    r->containers_statuses[r->n_containers_statuses++] = cri_container_status(&c);
    engine_container_clear(&c);
  }
  engine_pod_clear(&p);
}

static grpc_byte_buffer *event_message(engine *e, const engine_event *x)
{
  Runtime__V1__ContainerEventType type;
  if (!event_type(x, &type) || !x->id)
    return NULL;
  Runtime__V1__ContainerEventResponse *r =
      NEW_MSG(Runtime__V1__ContainerEventResponse, runtime__v1__container_event_response__init);
  r->container_id = xstrdup(x->id);
  r->container_event_type = type;
  r->created_at = x->time_ns;
  const char *pod_id = x->id;
  engine_container c = {0};
  crio_err *lerr = NULL;
  bool have_ctr = false;
  if (strcmp(x->type, "container") == 0) {
    have_ctr = engine_container_get(e, x->id, &c, &lerr) == 0;
    crio_err_free(lerr);
    pod_id = have_ctr ? c.spec.pod : x->pod;
  }
  pod_statuses(e, pod_id, r);
  if (!r->pod_sandbox_status && strcmp(x->type, "pod") == 0) { /* removed: its id only */
    r->pod_sandbox_status =
        NEW_MSG(Runtime__V1__PodSandboxStatus, runtime__v1__pod_sandbox_status__init);
    r->pod_sandbox_status->id = xstrdup(x->id);
    r->pod_sandbox_status->state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
  }
  if (have_ctr)
    engine_container_clear(&c);
  grpc_byte_buffer *bb = cri_pack(&r->base);
  protobuf_c_message_free_unpacked(&r->base, NULL);
  return bb;
}

static void *pump_main(void *arg)
{
  cri_events *ev = arg;
  engine *e = ev->s->engine;
  int64_t last = engine_events_last(e);
  while (!atomic_load(&ev->stop)) {
    engine_events list = {0};
    crio_err *err = NULL;
    if (engine_events_wait(e, last, 256, EVENT_WAIT_MS, &list, &err) < 0) {
      log_warn("cri: read events: %s", err->message);
      crio_err_free(err);
      continue;
    }
    bool any = list.n > 0 && has_subscribers(ev);
    for (size_t i = 0; i < list.n; i++) {
      last = list.items[i].seq;
      grpc_byte_buffer *bb = any ? event_message(e, &list.items[i]) : NULL;
      if (bb) {
        broadcast(ev, bb);
        grpc_byte_buffer_destroy(bb);
      }
    }
    engine_events_clear(&list);
  }
  return NULL;
}

cri_events *cri_events_start(cri_server *s)
{
  cri_events *ev = xzalloc(sizeof *ev);
  ev->s = s;
  pthread_mutex_init(&ev->lock, NULL);
  int rc = pthread_create(&ev->thread, NULL, pump_main, ev);
  if (rc != 0)
    log_error("cri: start the event follower: %s; GetContainerEvents streams stay silent",
              strerror(rc));
  ev->started = rc == 0;
  return ev;
}

void cri_events_stop(cri_events *ev)
{
  if (!ev)
    return;
  atomic_store(&ev->stop, true);
  if (ev->started)
    pthread_join(ev->thread, NULL);
}

void cri_events_free(cri_events *ev)
{
  if (!ev)
    return;
  pthread_mutex_destroy(&ev->lock);
  free(ev);
}
