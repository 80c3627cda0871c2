/* The CRI gRPC server on the C core: one completion queue, four workers.
 *
 * Every call is a small state machine whose context is the tag of its
 * events: REQUESTED (grpc_server_request_call answered) -> RECEIVED (the
 * request message is in) -> SENT (metadata, response and status are out).
 * Any worker may advance any call; a worker runs the handler of a call to
 * the end, so at most four engine calls run at once. */
#include "adapters/cri/cri_server_internal.h"

#include <errno.h>
#include <stddef.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define CRI_MAX_MESSAGE (16 * 1024 * 1024)
/* A list stream's messages hold items up to about this many bytes. */
#define CRI_STREAM_CHUNK (1024 * 1024)

/* The queue is shut down once the server is and no call may start a batch. */
static void maybe_shutdown_queue(cri_server *s)
{
  if (atomic_load(&s->notified) && atomic_load(&s->active) == 0 &&
      !atomic_exchange(&s->cq_shut, true))
    grpc_completion_queue_shutdown(s->cq);
}

void cri_call_free(call_ctx *c)
{
  if (c->call)
    grpc_call_unref(c->call);
  grpc_call_details_destroy(&c->details);
  grpc_metadata_array_destroy(&c->md);
  if (c->request)
    grpc_byte_buffer_destroy(c->request);
  if (c->response)
    grpc_byte_buffer_destroy(c->response);
  free(c->message);
  if (c->list)
    protobuf_c_message_free_unpacked(c->list, NULL);
  for (size_t i = 0; i < c->sub.n_queue; i++)
    grpc_byte_buffer_destroy(c->sub.queue[i]);
  free(c->sub.queue);
  pthread_mutex_destroy(&c->sub.lock);
  cri_server *s = c->s;
  bool counted = c->counted;
  free(c);
  if (counted) {
    atomic_fetch_sub(&s->active, 1);
    maybe_shutdown_queue(s);
  }
}

/* Asks for the next call; one request is outstanding per worker. */
static void request_next(cri_server *s)
{
  call_ctx *c = xzalloc(sizeof *c);
  c->s = s;
  c->state = CALL_REQUESTED;
  c->sub.close_state = CALL_CLOSED;
  pthread_mutex_init(&c->sub.lock, NULL);
  grpc_call_details_init(&c->details);
  grpc_metadata_array_init(&c->md);
  grpc_call_error rc =
      grpc_server_request_call(s->server, &c->call, &c->details, &c->md, s->cq, s->cq, c);
  if (rc != GRPC_CALL_OK) {
    log_error("cri: request call: error %d", (int)rc);
    cri_call_free(c);
  }
}

static void start_receive(call_ctx *c)
{
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &c->request;
  c->state = CALL_RECEIVED;
  if (grpc_call_start_batch(c->call, &op, 1, c, NULL) != GRPC_CALL_OK)
    cri_call_free(c);
}

static void fail(call_ctx *c, grpc_status_code status, char *message)
{
  c->status = status;
  free(c->message);
  c->message = message;
}

/* The request bytes in one buffer (a byte buffer may hold several slices). */
static uint8_t *request_bytes(grpc_byte_buffer *bb, size_t *len)
{
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, bb))
    return NULL;
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  *len = GRPC_SLICE_LENGTH(all);
  uint8_t *out = xmalloc(*len + 1);
  memcpy(out, GRPC_SLICE_START_PTR(all), *len);
  grpc_slice_unref(all);
  return out;
}

grpc_byte_buffer *cri_pack(const ProtobufCMessage *m)
{
  size_t len = protobuf_c_message_get_packed_size(m);
  grpc_slice slice = grpc_slice_malloc(len);
  protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(slice));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return bb;
}

static void run_handler(call_ctx *c, const cri_method *m, const ProtobufCMessage *req)
{
  ProtobufCMessage *resp = NULL;
  crio_err *err = NULL;
  int rc = m->handler(c->s->engine, req, &resp, &err);
  if (rc < 0) {
    crio_code code = err ? err->code : (crio_code)-rc;
    if (code <= CRIO_OK || code >= CRIO_E__COUNT)
      code = CRIO_E_INTERNAL;
    fail(c, (grpc_status_code)crio_code_info_get(code)->grpc_status,
         xstrdup(err && err->message ? err->message : "internal error"));
    crio_err_free(err);
    return;
  }
  if (m->kind == CRI_STREAM_LIST) {
    if (!cri_stream_compatible(resp->descriptor, m->stream_response)) {
      fail(c, GRPC_STATUS_INTERNAL,
           xasprintf("%s: %s and %s differ on the wire", m->name, resp->descriptor->name,
                     m->stream_response->name));
      protobuf_c_message_free_unpacked(resp, NULL);
      return;
    }
    c->list = resp; /* sent in pieces by send_next_chunk */
    return;
  }
  c->response = cri_pack(resp);
  protobuf_c_message_free_unpacked(resp, NULL);
}

static const cri_method *method_of(call_ctx *c)
{
  char *method = grpc_slice_to_c_string(c->details.method);
  const cri_method *m = cri_method_find(method);
  if (!m)
    fail(c, GRPC_STATUS_UNIMPLEMENTED, xasprintf("method %s is not implemented by crio-c", method));
  gpr_free(method);
  return m;
}

/* Decodes the request and runs m's handler. */
static void dispatch(call_ctx *c, const cri_method *m)
{
  if (!c->request) {
    fail(c, GRPC_STATUS_INVALID_ARGUMENT, xasprintf("%s: no request message", m->name));
    return;
  }
  size_t len = 0;
  uint8_t *bytes = request_bytes(c->request, &len);
  ProtobufCMessage *req = bytes ? protobuf_c_message_unpack(m->request, NULL, len, bytes) : NULL;
  free(bytes);
  if (!req)
    fail(c, GRPC_STATUS_INVALID_ARGUMENT, xasprintf("%s: cannot decode the request", m->name));
  else if (m->handler)
    run_handler(c, m, req);
  if (req)
    protobuf_c_message_free_unpacked(req, NULL);
}

/* The status (and the response of a unary call): the call's last batch. */
static void start_send(call_ctx *c)
{
  grpc_op ops[4];
  size_t n = 0;
  grpc_slice details = grpc_slice_from_copied_string(c->message ? c->message : "");
  memset(ops, 0, sizeof ops);
  if (!c->metadata_sent)
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  c->metadata_sent = true;
  if (c->response && c->status == GRPC_STATUS_OK) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->response;
  }
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = c->status;
  ops[n++].data.send_status_from_server.status_details = c->message ? &details : NULL;
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  c->state = CALL_SENT;
  grpc_call_error rc = grpc_call_start_batch(c->call, ops, n, c, NULL);
  grpc_slice_unref(details); /* the batch keeps its own reference */
  if (rc != GRPC_CALL_OK)
    cri_call_free(c);
}

bool cri_start_message(call_ctx *c, grpc_byte_buffer *bb, enum call_state state)
{
  grpc_op ops[2];
  size_t n = 0;
  memset(ops, 0, sizeof ops);
  bool had_metadata = c->metadata_sent;
  if (!had_metadata)
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  if (bb) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
  }
  if (n == 0)
    return false;
  /* c may be freed by another worker as soon as the batch starts */
  c->state = state;
  c->metadata_sent = true;
  if (grpc_call_start_batch(c->call, ops, n, c, NULL) != GRPC_CALL_OK) {
    c->metadata_sent = had_metadata;
    return false;
  }
  return true;
}

/* How many items from first fit one stream message (at least one). */
static size_t chunk_items(ProtobufCMessage **items, size_t n, size_t first)
{
  size_t bytes = 0, count = 0;
  while (first + count < n) {
    size_t size = protobuf_c_message_get_packed_size(items[first + count]) + 8;
    if (count > 0 && bytes + size > CRI_STREAM_CHUNK)
      break;
    bytes += size;
    count++;
  }
  return count;
}

/* The next piece of a list stream, or its end: the list's repeated field 1
 * is narrowed to the piece while it is packed. */
static void send_next_chunk(call_ctx *c)
{
  const ProtobufCFieldDescriptor *f = &c->list->descriptor->fields[0];
  size_t *n = (size_t *)((char *)c->list + f->quantifier_offset);
  ProtobufCMessage ***items = (ProtobufCMessage ***)((char *)c->list + f->offset);
  if (c->response) {
    grpc_byte_buffer_destroy(c->response);
    c->response = NULL;
  }
  if (c->next_item >= *n) {
    start_send(c);
    return;
  }
  size_t all = *n, first = c->next_item, count = chunk_items(*items, all, first);
  ProtobufCMessage **base = *items;
  *n = count;
  *items = base + first;
  c->response = cri_pack(c->list);
  *n = all;
  *items = base;
  c->next_item = first + count;
  if (!cri_start_message(c, c->response, CALL_STREAMING))
    cri_call_free(c);
}

/* After the handler: the answer's first batch. */
static void answer(cri_server *s, call_ctx *c, const cri_method *m)
{
  if (m && m->kind == CRI_STREAM_EVENTS && c->status == GRPC_STATUS_OK)
    cri_events_subscribe(s->events, c);
  else if (c->list)
    send_next_chunk(c);
  else
    start_send(c);
}

typedef struct blocking_call {
  cri_server *s;
  call_ctx *c;
  const cri_method *m;
} blocking_call;

static void *blocking_main(void *arg)
{
  blocking_call b = *(blocking_call *) arg;
  free(arg);
  dispatch(b.c, b.m);
  atomic_fetch_sub(&b.s->blocking, 1);
  /* neither s nor c may be touched once the answer is on its way */
  answer(b.s, b.c, b.m);
  return NULL;
}

/* A call that may block runs on a thread of its own (up to
 * CRI_MAX_BLOCKING at once), so the workers stay free for the others. */
static bool run_detached(cri_server *s, call_ctx *c, const cri_method *m)
{
  if (atomic_fetch_add(&s->blocking, 1) >= CRI_MAX_BLOCKING) {
    atomic_fetch_sub(&s->blocking, 1);
    return false;
  }
  blocking_call *b = xmalloc(sizeof *b);
  *b = (blocking_call) { .s = s, .c = c, .m = m };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  int rc = pthread_create(&t, &attr, blocking_main, b);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    free(b);
    atomic_fetch_sub(&s->blocking, 1);
    return false;
  }
  return true;
}

static void on_received(cri_server *s, call_ctx *c)
{
  c->status = GRPC_STATUS_OK;
  const cri_method *m = method_of(c);
  if (m && m->blocking && run_detached(s, c, m))
    return;
  if (m)
    dispatch(c, m);
  answer(s, c, m);
}

/* Advances one call on one event. */
static void handle_event(cri_server *s, call_ctx *c, int success)
{
  switch (c->state) {
  case CALL_REQUESTED:
    if (!success) { /* the server is shutting down */
      cri_call_free(c);
      return;
    }
    atomic_fetch_add(&s->active, 1);
    c->counted = true;
    if (!atomic_load(&s->stopping))
      request_next(s);
    start_receive(c);
    return;
  case CALL_RECEIVED:
    if (!success)
      cri_call_free(c);
    else
      on_received(s, c);
    return;
  case CALL_STREAMING:
    if (!success) /* the client is gone */
      cri_call_free(c);
    else
      send_next_chunk(c);
    return;
  case CALL_EVENT_SENT:
    cri_events_on_sent(s->events, c, success);
    return;
  case CALL_CLOSED: /* never a call's own state: see worker_main */
  case CALL_SENT:
    cri_call_free(c);
    return;
  }
}

static void *worker_main(void *arg)
{
  cri_server *s = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
      return NULL;
    if (ev.type != GRPC_OP_COMPLETE)
      continue;
    if (ev.tag == &s->shutdown_tag) {
      atomic_store(&s->notified, true);
      maybe_shutdown_queue(s);
      continue;
    }
    enum call_state *tag = ev.tag;
    if (*tag == CALL_CLOSED) /* an event stream's close: the tag is c->sub.close_state */
      cri_events_on_closed(s->events,
                           (call_ctx *)((char *)tag - offsetof(call_ctx, sub.close_state)));
    else
      handle_event(s, ev.tag, ev.success);
  }
}

static int listen_on(cri_server *s, const char *path, crio_err **err)
{
  if (unlink(path) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove stale socket %s", path);
  char *addr = xasprintf("unix:%s", path);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(s->server, addr, creds);
  grpc_server_credentials_release(creds);
  free(addr);
  if (port == 0)
    return crio_err_set(err, CRIO_E_IO, "cri: cannot listen on unix socket %s", path);
  return 0;
}

static void server_create(cri_server *s)
{
  grpc_arg args[2];
  memset(args, 0, sizeof args);
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = CRI_MAX_MESSAGE;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[1].value.integer = CRI_MAX_MESSAGE;
  grpc_channel_args channel_args = {.num_args = 2, .args = args};
  s->cq = grpc_completion_queue_create_for_next(NULL);
  s->server = grpc_server_create(&channel_args, NULL);
  grpc_server_register_completion_queue(s->server, s->cq, NULL);
}

/* Tears down what start made; the server must not be started. */
static void server_destroy_unstarted(cri_server *s)
{
  grpc_server_destroy(s->server);
  grpc_completion_queue_shutdown(s->cq);
  while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(s->cq);
  free(s->socket_path);
  free(s);
  grpc_shutdown();
}

int cri_server_start(engine *e, const char *socket_path, cri_server **out, crio_err **err)
{
  grpc_init();
  cri_server *s = xzalloc(sizeof *s);
  s->engine = e;
  s->socket_path = xstrdup(socket_path);
  server_create(s);
  if (listen_on(s, socket_path, err) < 0) {
    server_destroy_unstarted(s);
    return -CRIO_E_IO;
  }
  grpc_server_start(s->server);
  s->events = cri_events_start(s);
  if (chmod(socket_path, 0660) < 0)
    log_warn("cri: chmod 0660 %s: %s", socket_path, strerror(errno));
  for (size_t i = 0; i < CRI_WORKERS; i++)
    request_next(s);
  for (size_t i = 0; i < CRI_WORKERS; i++) {
    int rc = pthread_create(&s->workers[i], NULL, worker_main, s);
    if (rc != 0) {
      log_error("cri: start worker: %s", strerror(rc));
      break;
    }
    s->n_workers++;
  }
  if (s->n_workers == 0) {
    cri_server_stop(s);
    return crio_err_set(err, CRIO_E_INTERNAL, "cri: cannot start any worker thread");
  }
  log_info("cri: serving on unix:%s", socket_path);
  *out = s;
  return 0;
}

void cri_server_stop(cri_server *s)
{
  if (!s)
    return;
  atomic_store(&s->stopping, true);
  grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
  grpc_server_cancel_all_calls(s->server);
  cri_events_stop(s->events);
  if (s->n_workers == 0) /* nobody drains the queue: do it here */
    worker_main(s);
  for (size_t i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  grpc_server_destroy(s->server);
  grpc_completion_queue_destroy(s->cq);
  cri_events_free(s->events);
  unlink(s->socket_path);
  free(s->socket_path);
  free(s);
  grpc_shutdown();
}
