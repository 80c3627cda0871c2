/* store: what exists, its state, and what happened to it — the only code of
 * crio-c that speaks SQL.
 *
 * A SQLite database (WAL mode, synchronous=FULL, foreign keys on) holds pods,
 * containers, images, their names and layers, and an append-only event log.
 * Every change is one transaction (BEGIN IMMEDIATE) committed before the call
 * returns, so a process killed at any instant reopens into the state before or
 * after that call, never a mix.
 *
 * THREAD-SAFETY
 *   - A `store` handle owns one SQLite connection guarded by a mutex that every
 *     store_* call holds from start to end. One handle may be shared by any
 *     number of threads; each call is atomic with respect to the others.
 *   - Several handles, in one process or in many, may use the same file at
 *     once: writers take the database's write lock with BEGIN IMMEDIATE and wait
 *     for each other up to the busy timeout (5 s); readers never block writers
 *     (WAL). Multi-statement reads run in one read transaction (one snapshot).
 *   - Results (structs, lists) belong to the caller and do not refer to the
 *     handle; free them with the matching *_free function from any thread.
 *   - store_close() must not race with other calls on the same handle.
 *   - A handle never crosses fork(): a child opens its own.
 *   - The test hook runs inside the caller's transaction with the mutex held;
 *     it must not call store functions on that handle.
 *
 * EVENTS WITH CHANGES
 *   Every mutating call takes `store_event *ev`, which may be NULL. When given,
 *   the event is appended in the same transaction as the change, so both or
 *   neither are recorded. Defaults: type = the changed object's type, object_id
 *   and name = the changed object's id and name, time_ns = now, attributes =
 *   "{}". On success ev->seq and ev->time_ns are filled in; nothing else in *ev
 *   is modified.
 *
 * CONVENTIONS
 *   - Ids of pods, containers, images (the config digest's hex) and layers (the
 *     chain id's hex) are 64 lowercase hex characters. Digests (manifest,
 *     diff id, compressed, repo digests) are full "sha256:<hex>" strings.
 *   - Times are nanoseconds since the Unix epoch; 0 means "not yet" (or "now"
 *     where a put documents it).
 *   - JSON fields are text: labels, annotations, attributes are JSON objects,
 *     ips is a JSON array, spec/config/manifest any JSON value the owner
 *     chooses. NULL on input stores the empty object/array; on output they are
 *     never NULL. Other optional strings are NULL when unset.
 *   - Errors: CRIO_E_NOT_FOUND, CRIO_E_EXISTS (id or name taken),
 *     CRIO_E_CONFLICT (referenced, in use, or a newer schema), CRIO_E_INVALID
 *     (bad id, bad JSON), CRIO_E_BUSY (lock not obtained in time), CRIO_E_IO.
 *     Messages name the object ("pod 4f2c…: not found").
 */
#ifndef CRIO_STORE_H
#define CRIO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct store store;

/* ---- handle ------------------------------------------------------------ */

/* Open (creating it with mode 0600 if missing) and migrate the database at
 * path. Refuses a database whose schema is newer than this binary knows. */
int store_open(const char *path, store **out, crio_err **err);
void store_close(store *s);
const char *store_path(const store *s);
/* The schema version (PRAGMA user_version) this binary migrates to. */
int store_schema_version(void);
/* PRAGMA integrity_check + foreign_key_check; CRIO_E_IO with the first
 * problems when the database is not sound. */
int store_integrity_check(store *s, crio_err **err);

/* Crash testing: hook(point, data) is called at named points inside
 * multi-step transactions, before their commit. NULL removes it. Points:
 *   image_put:after_image_row, image_put:after_layer (after each layer),
 *   image_put:after_layers, image_put:after_names, image_put:before_commit,
 *   image_delete:after_image_row, image_delete:after_layers,
 *   pod_put:after_insert, container_put:after_insert,
 *   container_set_state:after_update (between the state and its event). */
typedef void (*store_test_hook)(const char *point, void *data);
void store_set_test_hook(store *s, store_test_hook hook, void *data);

/* ---- events ------------------------------------------------------------ */

typedef enum {
  STORE_EVENT_ANY = 0, /* on input: the changed object's type */
  STORE_EVENT_POD = 1,
  STORE_EVENT_CONTAINER = 2,
  STORE_EVENT_IMAGE = 3,
} store_event_type;

typedef struct store_event {
  int64_t seq;           /* output: position in the log, increasing */
  int64_t time_ns;
  store_event_type type;
  char *action;          /* "create", "start", "died", "remove", "pull", "tag", ... */
  char *object_id;
  char *name;
  char *attributes;      /* JSON object */
} store_event;

typedef struct store_events {
  store_event *items;
  size_t n;
} store_events;

/* A standalone event (type, action and object_id required). */
int store_event_append(store *s, store_event *ev, crio_err **err);
/* Events with seq > since_seq, oldest first, at most limit (0: no limit). */
int store_event_list(store *s, int64_t since_seq, size_t limit, store_events *out,
                     crio_err **err);
const char *store_event_type_name(store_event_type type); /* "pod", ... */
/* Called after each commit that appended events, with the newest event's
 * seq, from the committing thread while the store's lock is held: it must
 * be quick and must not call the store. */
typedef void (*store_event_listener)(int64_t seq, void *data);
void store_set_event_listener(store *s, store_event_listener fn, void *data);

/* ---- pods -------------------------------------------------------------- */

typedef enum {
  STORE_POD_ANY = 0, /* filters only */
  STORE_POD_READY = 1,
  STORE_POD_NOTREADY = 2,
} store_pod_state;

typedef struct store_pod {
  char *id;
  char *name;           /* unique */
  char *namespace;
  char *uid;
  uint32_t attempt;
  store_pod_state state;
  int64_t created_ns;   /* 0 on put: now */
  char *hostname;
  char *labels;         /* JSON object */
  char *annotations;    /* JSON object */
  char *spec;           /* JSON, owned by the engine */
  char *netns_path;
  char *ips;            /* JSON array */
} store_pod;

typedef struct store_pods {
  store_pod *items;
  size_t n;
} store_pods;

typedef struct store_pod_filter {
  const char *id_prefix;   /* NULL: any */
  store_pod_state state;   /* STORE_POD_ANY: any */
  const char *namespace;   /* NULL: any */
} store_pod_filter;

/* Insert; id, name and state are required. */
int store_pod_put(store *s, const store_pod *pod, store_event *ev, crio_err **err);
int store_pod_get(store *s, const char *id, store_pod **out, crio_err **err);
int store_pod_get_by_name(store *s, const char *name, store_pod **out, crio_err **err);
/* ref is a full id, a name, or a unique id prefix (ambiguous: CRIO_E_INVALID). */
int store_pod_lookup(store *s, const char *ref, store_pod **out, crio_err **err);
/* Ordered by creation time, then id. filter may be NULL. */
int store_pod_list(store *s, const store_pod_filter *filter, store_pods *out, crio_err **err);
int store_pod_update_state(store *s, const char *id, store_pod_state state, store_event *ev,
                           crio_err **err);
/* After namespace pinning and CNI: netns_path may be NULL, ips NULL means "[]". */
int store_pod_update_network(store *s, const char *id, const char *netns_path, const char *ips,
                             store_event *ev, crio_err **err);
/* CRIO_E_CONFLICT while containers still belong to the pod. */
int store_pod_delete(store *s, const char *id, store_event *ev, crio_err **err);
const char *store_pod_state_name(store_pod_state state); /* "READY", ... */

/* ---- containers -------------------------------------------------------- */

typedef enum {
  STORE_CTR_ANY = 0, /* filters only */
  STORE_CTR_CREATED = 1,
  STORE_CTR_RUNNING = 2,
  STORE_CTR_PAUSED = 3,
  STORE_CTR_EXITED = 4,
  STORE_CTR_UNKNOWN = 5,
} store_container_state;

typedef struct store_container {
  char *id;
  char *pod_id;         /* must name an existing pod */
  char *name;           /* unique */
  uint32_t attempt;
  char *image_id;       /* NULL, or an existing image (which then cannot be deleted) */
  char *image_ref;      /* the reference the user asked for */
  store_container_state state;
  int32_t pid;
  int32_t exit_code;
  bool oom_killed;
  char *reason;
  char *message;
  int64_t created_ns;   /* 0 on put: now */
  int64_t started_ns;
  int64_t finished_ns;
  char *labels;         /* JSON object */
  char *annotations;    /* JSON object */
  char *log_path;
  char *spec;           /* JSON, owned by the engine */
} store_container;

typedef struct store_containers {
  store_container *items;
  size_t n;
} store_containers;

typedef struct store_container_filter {
  const char *id_prefix;         /* NULL: any */
  const char *pod_id;            /* NULL: any */
  store_container_state state;   /* STORE_CTR_ANY: any */
} store_container_filter;

/* The runtime status of a container, written by store_container_set_state in
 * one statement. started_ns / finished_ns of 0 keep the stored value; every
 * other field is written as given (NULL reason/message clear them). */
typedef struct store_container_status {
  store_container_state state;
  int32_t pid;
  int32_t exit_code;
  bool oom_killed;
  const char *reason;
  const char *message;
  int64_t started_ns;
  int64_t finished_ns;
} store_container_status;

/* Insert; id, pod_id, name and state are required. CRIO_E_NOT_FOUND when
 * the pod (or the image) does not exist. */
int store_container_put(store *s, const store_container *ctr, store_event *ev, crio_err **err);
int store_container_get(store *s, const char *id, store_container **out, crio_err **err);
int store_container_get_by_name(store *s, const char *name, store_container **out,
                                crio_err **err);
int store_container_lookup(store *s, const char *ref, store_container **out, crio_err **err);
/* Ordered by creation time, then id. filter may be NULL. */
int store_container_list(store *s, const store_container_filter *filter, store_containers *out,
                         crio_err **err);
/* The ids of a pod's containers, oldest first: *ids (free each and it) and *n. */
int store_container_ids_of_pod(store *s, const char *pod_id, char ***ids, size_t *n,
                               crio_err **err);
int store_container_set_state(store *s, const char *id, const store_container_status *status,
                              store_event *ev, crio_err **err);
/* Replace the spec (UpdateContainerResources). */
int store_container_update_spec(store *s, const char *id, const char *spec, store_event *ev,
                                crio_err **err);
/* A name taken by another container: CRIO_E_EXISTS. */
int store_container_rename(store *s, const char *id, const char *name, store_event *ev,
                           crio_err **err);
int store_container_delete(store *s, const char *id, store_event *ev, crio_err **err);
const char *store_container_state_name(store_container_state state); /* "RUNNING", ... */

/* ---- layers ------------------------------------------------------------ */

typedef struct store_layer {
  char *id;                  /* chain id hex */
  char *parent;              /* output: set from the image's layer order */
  char *diff_id;             /* "sha256:..." of the uncompressed tar */
  char *compressed_digest;   /* "sha256:..." of the blob, NULL if unknown */
  int64_t size;              /* uncompressed bytes */
  int64_t compressed_size;
  int64_t created_ns;        /* 0 on put: now */
  int64_t refcount;          /* output: number of images using the layer */
} store_layer;

typedef struct store_layers {
  store_layer *items;
  size_t n;
} store_layers;

int store_layer_get(store *s, const char *id, store_layer **out, crio_err **err);
/* Ordered by creation time, then id. */
int store_layer_list(store *s, store_layers *out, crio_err **err);
/* Remove layers no image uses (left by a bug or an older binary) and return
 * them, so the caller can remove them from disk. */
int store_layer_prune(store *s, store_layers *removed, crio_err **err);

/* ---- images ------------------------------------------------------------ */

typedef struct store_image {
  char *id;                /* config digest hex */
  char *manifest_digest;   /* "sha256:..." */
  char **repo_tags;        /* "docker.io/library/busybox:latest"; a tag names one image */
  size_t n_repo_tags;
  char **repo_digests;     /* "docker.io/library/busybox@sha256:..." */
  size_t n_repo_digests;
  int64_t size;
  int64_t created_ns;
  bool pinned;
  char *config;            /* JSON */
  char *manifest;          /* JSON */
  store_layer *layers;     /* base first */
  size_t n_layers;
} store_image;

typedef struct store_images {
  store_image *items;
  size_t n;
} store_images;

/* Records the image, its names and its layers in one transaction. Layers that
 * already exist are shared (same id must mean same diff id and parent, else
 * CRIO_E_CONFLICT). Names held by another image move to this one.
 * CRIO_E_EXISTS if the image id is already recorded. */
int store_image_put(store *s, const store_image *img, store_event *ev, crio_err **err);
int store_image_get(store *s, const char *id, store_image **out, crio_err **err);
int store_image_get_by_name(store *s, const char *name, store_image **out, crio_err **err);
/* ref: a full id (with or without "sha256:"), a name, or a unique id prefix. */
int store_image_lookup(store *s, const char *ref, store_image **out, crio_err **err);
/* Ordered by creation time, then id. */
int store_image_list(store *s, store_images *out, crio_err **err);
/* name: a tag ("repo:tag") or, when it contains '@', a repo digest. Moves the
 * name if another image holds it. */
int store_image_tag(store *s, const char *id, const char *name, store_event *ev, crio_err **err);
int store_image_untag(store *s, const char *name, store_event *ev, crio_err **err);
/* Deletes the image and its names; the layers that no image uses any more are
 * deleted too and returned in *freed (top first; freed may be NULL), for the
 * caller to remove from disk. CRIO_E_CONFLICT while a container uses it. */
int store_image_delete(store *s, const char *id, store_layers *freed, store_event *ev,
                       crio_err **err);

/* ---- counts ------------------------------------------------------------ */

typedef struct store_counts {
  int64_t pods;
  int64_t pods_ready;
  int64_t containers;
  int64_t containers_running;
  int64_t images;
  int64_t layers;
  int64_t last_event_seq;
} store_counts;

int store_counts_get(store *s, store_counts *out, crio_err **err);

/* ---- freeing ----------------------------------------------------------- */
/* *_free(p) frees a struct the store allocated (fields and struct);
 * *_clear(p) frees only the fields; store_<things>_free(list) frees a list's
 * items and empties it (the list struct itself is the caller's). All accept
 * NULL / empty. */

void store_pod_clear(store_pod *p);
void store_pod_free(store_pod *p);
void store_pods_free(store_pods *l);
void store_container_clear(store_container *c);
void store_container_free(store_container *c);
void store_containers_free(store_containers *l);
void store_image_clear(store_image *img);
void store_image_free(store_image *img);
void store_images_free(store_images *l);
void store_layer_clear(store_layer *l);
void store_layer_free(store_layer *l);
void store_layers_free(store_layers *l);
void store_event_clear(store_event *ev);
void store_events_free(store_events *l);

static inline void store_pod_freep(store_pod **p) { store_pod_free(*p); }
static inline void store_container_freep(store_container **p) { store_container_free(*p); }
static inline void store_image_freep(store_image **p) { store_image_free(*p); }
static inline void store_layer_freep(store_layer **p) { store_layer_free(*p); }
static inline void store_closep(store **s)
{
  if (*s)
    store_close(*s);
}

#define _cleanup_store_ __attribute__((cleanup(store_closep)))
#define _cleanup_store_pod_ __attribute__((cleanup(store_pod_freep)))
#define _cleanup_store_container_ __attribute__((cleanup(store_container_freep)))
#define _cleanup_store_image_ __attribute__((cleanup(store_image_freep)))
#define _cleanup_store_layer_ __attribute__((cleanup(store_layer_freep)))
#define _cleanup_store_pods_ __attribute__((cleanup(store_pods_free)))
#define _cleanup_store_containers_ __attribute__((cleanup(store_containers_free)))
#define _cleanup_store_images_ __attribute__((cleanup(store_images_free)))
#define _cleanup_store_layers_ __attribute__((cleanup(store_layers_free)))
#define _cleanup_store_events_ __attribute__((cleanup(store_events_free)))

#endif
