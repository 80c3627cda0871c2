/* The CRI server's calls, shared by cri_server.c (unary calls and list
 * streams) and cri_events.c (GetContainerEvents). */
#ifndef CRIO_CRI_SERVER_INTERNAL_H
#define CRIO_CRI_SERVER_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "adapters/cri/cri_handlers.h"
#include "adapters/cri/cri_server.h"

#define CRI_WORKERS 4
/* Calls that may block (cri_method.blocking) run on threads of their own,
 * at most this many at once; beyond, on the worker that received them. */
#define CRI_MAX_BLOCKING 256

/* What a completion-queue tag stands for: the first field of every tag. */
enum call_state {
  CALL_REQUESTED,  /* grpc_server_request_call answered */
  CALL_RECEIVED,   /* the request message is in */
  CALL_STREAMING,  /* a message of a list stream is out */
  CALL_SENT,       /* the status is out: the call ends */
  CALL_EVENT_SENT, /* an event (or the initial metadata) of an event stream is out */
  CALL_CLOSED,     /* the client of an event stream went away, or the server stops */
};

typedef struct cri_events cri_events;

struct cri_server {
  engine *engine;
  char *socket_path;
  grpc_server *server;
  grpc_completion_queue *cq;
  pthread_t workers[CRI_WORKERS];
  size_t n_workers;
  cri_events *events;
  atomic_bool stopping;
  atomic_int blocking;      /* calls on threads of their own */
  atomic_int active;    /* calls between their arrival and their last event */
  atomic_bool notified; /* the server shutdown tag has come */
  atomic_bool cq_shut;
  int shutdown_tag; /* its address is the tag of the server's shutdown */
};

/* An event stream's own part of a call (see cri_events.c). */
typedef struct event_sub {
  enum call_state close_state; /* CALL_CLOSED: the tag of the close operation */
  pthread_mutex_t lock;
  grpc_byte_buffer **queue; /* packed events waiting to be sent */
  size_t n_queue;
  bool sending; /* a send batch is in flight */
  bool closed;
  int refs; /* batches in flight + the subscription */
  int cancelled;
  struct event_sub *next; /* in cri_events' list */
} event_sub;

typedef struct call_ctx {
  enum call_state state; /* first: a tag's state is read through it */
  cri_server *s;
  grpc_call *call;
  grpc_call_details details;
  grpc_metadata_array md;
  grpc_byte_buffer *request;
  grpc_byte_buffer *response;
  grpc_status_code status;
  char *message;
  int cancelled;
  bool counted; /* in s->active */
  bool metadata_sent;
  ProtobufCMessage *list; /* a list stream's whole answer... */
  size_t next_item;       /* ...and the first item not yet sent */
  event_sub sub;          /* GetContainerEvents only */
} call_ctx;

void cri_call_free(call_ctx *c);
grpc_byte_buffer *cri_pack(const ProtobufCMessage *m);
/* Starts a batch sending bb (may be NULL), preceded by the initial metadata
 * when they are not out yet; the call's state becomes state, its tag c.
 * false: nothing started (bb stays the caller's). */
bool cri_start_message(call_ctx *c, grpc_byte_buffer *bb, enum call_state state);

/* The follower of the engine's events, one thread. */
cri_events *cri_events_start(cri_server *s);
void cri_events_stop(cri_events *ev); /* joins the thread */
void cri_events_free(cri_events *ev); /* after the queue is drained */
/* A GetContainerEvents call whose request is in: sends the initial
 * metadata and subscribes it. */
void cri_events_subscribe(cri_events *ev, call_ctx *c);
/* Completion of one of its batches (CALL_EVENT_SENT, CALL_CLOSED). */
void cri_events_on_sent(cri_events *ev, call_ctx *c, bool success);
void cri_events_on_closed(cri_events *ev, call_ctx *c);

#endif
