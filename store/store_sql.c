/* Statement, transaction and error helpers shared by the store's files. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/xalloc.h"

static crio_code code_for_sqlite(int rc)
{
  switch (rc) {
  case SQLITE_CONSTRAINT_PRIMARYKEY:
  case SQLITE_CONSTRAINT_UNIQUE:
    return CRIO_E_EXISTS;
  case SQLITE_CONSTRAINT_CHECK:
  case SQLITE_CONSTRAINT_NOTNULL:
  case SQLITE_CONSTRAINT_DATATYPE:
    return CRIO_E_INVALID;
  default:
    break;
  }
  switch (rc & 0xff) {
  case SQLITE_CONSTRAINT: /* foreign keys, the event log's triggers */
    return CRIO_E_CONFLICT;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return CRIO_E_BUSY;
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
  case SQLITE_PERM:
  case SQLITE_PROTOCOL:
    return CRIO_E_IO;
  case SQLITE_TOOBIG:
    return CRIO_E_TOO_LARGE;
  default:
    return CRIO_E_INTERNAL;
  }
}

int store_sql_err(store *s, int rc, crio_err **err, const char *what)
{
  crio_code code = code_for_sqlite(rc);
  const char *msg = sqlite3_errmsg(s->db);
  if (code == CRIO_E_IO || code == CRIO_E_BUSY || code == CRIO_E_INTERNAL)
    return crio_err_set(err, code, "%s: %s (database %s)", what, msg, s->path);
  return crio_err_set(err, code, "%s: %s", what, msg);
}

int store_prepare(store *s, const char *sql, sqlite3_stmt **out, crio_err **err)
{
  int rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);
  if (rc != SQLITE_OK) {
    *out = NULL;
    _cleanup_free_ char *what = xasprintf("prepare \"%.60s\"", sql);
    return store_sql_err(s, rc, err, what);
  }
  return 0;
}

static int bind_one(sqlite3_stmt *st, int idx, char kind, va_list *ap)
{
  switch (kind) {
  case 't': {
    const char *v = va_arg(*ap, const char *);
    return v ? sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
  }
  case 'j':
  case 'a': {
    const char *v = va_arg(*ap, const char *);
    if (!v)
      v = kind == 'j' ? "{}" : "[]";
    return sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
  }
  case 'i':
  case 'b':
    return sqlite3_bind_int(st, idx, va_arg(*ap, int));
  case 'I':
    return sqlite3_bind_int64(st, idx, va_arg(*ap, int64_t));
  default:
    return SQLITE_MISUSE;
  }
}

static int store_vbind(store *s, sqlite3_stmt *st, crio_err **err, const char *fmt, va_list ap)
{
  va_list copy;
  va_copy(copy, ap);
  int rc = SQLITE_OK;
  for (int i = 0; fmt[i] && rc == SQLITE_OK; i++)
    rc = bind_one(st, i + 1, fmt[i], &copy);
  va_end(copy);
  if (rc != SQLITE_OK) {
    _cleanup_free_ char *what = xasprintf("bind parameters of \"%.60s\"", sqlite3_sql(st));
    return store_sql_err(s, rc, err, what);
  }
  return 0;
}

int store_bind(store *s, sqlite3_stmt *st, crio_err **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = store_vbind(s, st, err, fmt, ap);
  va_end(ap);
  return r;
}

int store_prepare_bind(store *s, const char *sql, sqlite3_stmt **out, crio_err **err,
                       const char *fmt, ...)
{
  int r = store_prepare(s, sql, out, err);
  if (r < 0)
    return r;
  va_list ap;
  va_start(ap, fmt);
  r = store_vbind(s, *out, err, fmt, ap);
  va_end(ap);
  return r;
}

int store_step(store *s, sqlite3_stmt *st, crio_err **err, const char *what)
{
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  return store_sql_err(s, rc, err, what);
}

int store_exec_stmt(store *s, sqlite3_stmt *st, crio_err **err, const char *what)
{
  int r;
  while ((r = store_step(s, st, err, what)) > 0)
    ;
  return r;
}

int store_exec(store *s, const char *sql, crio_err **err, const char *what)
{
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : store_sql_err(s, rc, err, what);
}

int store_query_int(store *s, const char *sql, int64_t *out, crio_err **err, const char *what,
                    const char *fmt, ...)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare(s, sql, &st, err);
  if (r < 0)
    return r;
  va_list ap;
  va_start(ap, fmt);
  r = store_vbind(s, st, err, fmt, ap);
  va_end(ap);
  if (r < 0)
    return r;
  r = store_step(s, st, err, what);
  if (r < 0)
    return r;
  *out = r > 0 ? sqlite3_column_int64(st, 0) : 0;
  return 0;
}

char *store_col_str(sqlite3_stmt *st, int col)
{
  const unsigned char *v = sqlite3_column_text(st, col);
  return v ? xstrdup((const char *) v) : NULL;
}

/* ---- transactions ---- */

int store_tx_begin(store *s, store_tx *tx, bool write, crio_err **err)
{
  int r = write ? store_exec(s, "BEGIN IMMEDIATE", err, "begin write transaction")
                : store_exec(s, "BEGIN", err, "begin read transaction");
  if (r < 0)
    return r;
  tx->s = s;
  tx->open = true;
  return 0;
}

int store_tx_commit(store_tx *tx, crio_err **err)
{
  store *s = tx->s;
  int r = store_exec(s, "COMMIT", err, "commit");
  if (r < 0)
    return r;
  tx->open = false;
  int64_t seq = s->pending_event_seq;
  s->pending_event_seq = 0;
  if (seq > 0 && s->listener)
    s->listener(seq, s->listener_data);
  return 0;
}

void store_tx_cleanup(store_tx *tx)
{
  /* SQLite rolls back by itself after some errors (I/O, full disk). */
  if (tx->open && !sqlite3_get_autocommit(tx->s->db))
    sqlite3_exec(tx->s->db, "ROLLBACK", NULL, NULL, NULL);
  if (tx->s)
    tx->s->pending_event_seq = 0;
  tx->open = false;
}

/* ---- misc ---- */

int64_t store_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool store_hex_prefix_valid(const char *prefix)
{
  if (!prefix || !*prefix || strlen(prefix) > 64)
    return false;
  return prefix[strspn(prefix, "0123456789abcdef")] == '\0';
}

bool store_hex_id_valid(const char *id)
{
  return store_hex_prefix_valid(id) && strlen(id) == 64;
}

int store_check_id(const char *kind, const char *id, crio_err **err)
{
  if (store_hex_id_valid(id))
    return 0;
  return crio_err_set(err, CRIO_E_INVALID, "invalid %s id \"%s\": want 64 lowercase hex characters",
                      kind, id ? id : "(null)");
}

void store_hook(store *s, const char *point)
{
  if (s->hook)
    s->hook(point, s->hook_data);
}

static int resolve_one(store *s, const char *sql, const char *ref, char **id_out, int *found,
                       crio_err **err, const char *what)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "t", ref);
  if (r < 0)
    return r;
  *found = 0;
  while ((r = store_step(s, st, err, what)) > 0) {
    if (++*found == 1)
      *id_out = store_col_str(st, 0);
  }
  return r;
}

int store_resolve(store *s, const store_resolver *rs, const char *ref, char **id_out,
                  crio_err **err)
{
  if (!ref || !*ref)
    return crio_err_set(err, CRIO_E_INVALID, "empty %s reference", rs->kind);
  const char *key = ref;
  if (rs->strip_sha256 && strncmp(ref, "sha256:", 7) == 0 && store_hex_prefix_valid(ref + 7))
    key = ref + 7;
  _cleanup_free_ char *what = xasprintf("look up %s %s", rs->kind, ref);
  _cleanup_free_ char *id = NULL;
  int found = 0, r;
  if (store_hex_id_valid(key)) {
    if ((r = resolve_one(s, rs->by_id_sql, key, &id, &found, err, what)) < 0)
      return r;
  }
  if (!found && (r = resolve_one(s, rs->by_name_sql, ref, &id, &found, err, what)) < 0)
    return r;
  if (!found && store_hex_prefix_valid(key)) {
    if ((r = resolve_one(s, rs->prefix_sql, key, &id, &found, err, what)) < 0)
      return r;
    if (found > 1)
      return crio_err_set(err, CRIO_E_INVALID, "%s id prefix %s is ambiguous: it matches %d %ss",
                          rs->kind, ref, found, rs->kind);
  }
  if (!found)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "%s %s not found", rs->kind, ref);
  *id_out = steal_pointer(&id);
  return 0;
}
int store_change_one(store *s, sqlite3_stmt *st, const store_change *c, store_event *ev,
                     crio_err **err)
{
  _cleanup_free_ char *what = xasprintf("%s %s %s", c->verb, c->kind, c->id);
  int r = store_step(s, st, err, what);
  if (r < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "%s %s not found", c->kind, c->id);
  _cleanup_free_ char *name = store_col_str(st, 0);
  if ((r = store_exec_stmt(s, st, err, what)) < 0)
    return r;
  if (c->hook_point)
    store_hook(s, c->hook_point);
  return ev ? store_event_insert(s, ev, c->type, c->id, name, err) : 0;
}
