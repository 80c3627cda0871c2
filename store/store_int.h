/* Internals shared by the store's .c files; nothing outside store/ includes it. */
#ifndef CRIO_STORE_INT_H
#define CRIO_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"
#include "util/cleanup.h"

struct store {
  sqlite3 *db;
  char *path;
  pthread_mutex_t lock;
  store_test_hook hook;
  void *hook_data;
  store_event_listener listener;
  void *listener_data;
  int64_t pending_event_seq; /* the newest event of the open transaction */
};

/* ---- locking: STORE_LOCK(s) holds s->lock until the end of the scope ---- */
static inline store *store_lock_(store *s)
{
  pthread_mutex_lock(&s->lock);
  return s;
}
static inline void store_unlockp_(store **s)
{
  if (*s)
    pthread_mutex_unlock(&(*s)->lock);
}
#define STORE_LOCK(s) \
  __attribute__((cleanup(store_unlockp_), unused)) store *store_locked_ = store_lock_(s)

/* ---- transactions: rolled back at scope exit unless committed ---- */
typedef struct store_tx {
  store *s;
  bool open;
} store_tx;

/* write: BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
 * timeout); otherwise BEGIN (a read snapshot for multi-statement reads). */
int store_tx_begin(store *s, store_tx *tx, bool write, crio_err **err);
int store_tx_commit(store_tx *tx, crio_err **err);
void store_tx_cleanup(store_tx *tx);
#define _cleanup_tx_ __attribute__((cleanup(store_tx_cleanup)))

/* ---- statements ---- */
int store_prepare(store *s, const char *sql, sqlite3_stmt **out, crio_err **err);
static inline void store_stmt_finalizep(sqlite3_stmt **st)
{
  if (*st)
    sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(store_stmt_finalizep)))

/* Bind parameters 1..n by format: 't' text (NULL binds NULL), 'j' text that
 * stores "{}" when NULL, 'a' text that stores "[]" when NULL, 'i' int,
 * 'I' int64, 'b' bool (passed as int). */
int store_bind(store *s, sqlite3_stmt *st, crio_err **err, const char *fmt, ...);
/* Prepare and bind in one go. */
int store_prepare_bind(store *s, const char *sql, sqlite3_stmt **out, crio_err **err,
                       const char *fmt, ...);
/* Step once: 1 for a row, 0 when done, negative with *err filled on failure.
 * what names the operation and object for the message ("insert pod <id>"). */
int store_step(store *s, sqlite3_stmt *st, crio_err **err, const char *what);
/* Step a statement that returns no rows to completion. */
int store_exec_stmt(store *s, sqlite3_stmt *st, crio_err **err, const char *what);
/* Run a literal SQL text (no parameters). */
int store_exec(store *s, const char *sql, crio_err **err, const char *what);
/* A single int64 from a query with bound parameters; 0 when there is no row. */
int store_query_int(store *s, const char *sql, int64_t *out, crio_err **err, const char *what,
                    const char *fmt, ...);

/* The column as a fresh string, NULL when SQL NULL. */
char *store_col_str(sqlite3_stmt *st, int col);

/* An error from SQLite, code mapped from its result code:
 * "<what>: <sqlite message>". */
int store_sql_err(store *s, int rc, crio_err **err, const char *what);

/* ---- misc ---- */
int64_t store_now_ns(void);
bool store_hex_id_valid(const char *id);
bool store_hex_prefix_valid(const char *prefix);
/* CRIO_E_INVALID naming kind ("pod", ...) unless id is 64 lowercase hex. */
int store_check_id(const char *kind, const char *id, crio_err **err);
void store_hook(store *s, const char *point);

/* Resolve a reference (full id, name, or unique id prefix) to a full id.
 * by_id_sql/by_name_sql select the id; prefix_sql selects ids GLOB ?1||'*'. */
typedef struct store_resolver {
  const char *kind;
  const char *by_id_sql;
  const char *by_name_sql;
  const char *prefix_sql;
  bool strip_sha256;   /* "sha256:<hex>" means "<hex>" (image ids are digests) */
} store_resolver;
int store_resolve(store *s, const store_resolver *r, const char *ref, char **id_out,
                  crio_err **err);

/* Append an event inside the caller's transaction, filling the defaults from
 * the changed object (see store.h). */
int store_event_insert(store *s, store_event *ev, store_event_type type, const char *object_id,
                       const char *name, crio_err **err);

/* One UPDATE or DELETE ... RETURNING name of a single row, plus its event,
 * inside the caller's transaction: CRIO_E_NOT_FOUND when no row matched. */
typedef struct store_change {
  const char *verb;        /* "update", "delete": for messages */
  const char *kind;        /* "pod" */
  const char *id;
  store_event_type type;
  const char *hook_point;  /* test hook between the change and the event; may be NULL */
} store_change;
int store_change_one(store *s, sqlite3_stmt *st, const store_change *c, store_event *ev,
                     crio_err **err);

/* Layers of an image, inside the caller's transaction (store_layers.c). */
int store_image_layers_read(store *s, const char *image_id, bool top_first, store_layers *out,
                            crio_err **err);
/* Insert the layers that are new (parent = the previous layer), check the
 * ones that exist, and link all of them to the image in order. */
int store_image_layers_record(store *s, const char *image_id, const store_layer *layers,
                              size_t n, crio_err **err);
/* Delete those of candidates that no image uses any more; they move from
 * candidates to freed. */
int store_image_layers_release(store *s, store_layers *candidates, store_layers *freed,
                               crio_err **err);

/* Grow-by-one helper for the result lists. */
#define STORE_LIST_PUSH(list, cap)                                                   \
  ({                                                                                 \
    if ((list)->n == (cap)) {                                                        \
      (cap) = (cap) ? (cap) * 2 : 8;                                                 \
      (list)->items = xrealloc((list)->items, (cap) * sizeof *(list)->items);        \
    }                                                                                \
    memset(&(list)->items[(list)->n], 0, sizeof *(list)->items);                     \
    &(list)->items[(list)->n++];                                                     \
  })

/* The schema: migration steps, applied in order; step i brings the database
 * from user_version i to i + 1. */
const char *const *store_migrations(int *n);

#endif
