/* Opening, configuring and migrating the database; integrity and counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define STORE_BUSY_TIMEOUT_MS 5000

int store_schema_version(void)
{
  int n;
  store_migrations(&n);
  return n;
}

const char *store_path(const store *s)
{
  return s->path;
}

void store_set_test_hook(store *s, store_test_hook hook, void *data)
{
  STORE_LOCK(s);
  s->hook = hook;
  s->hook_data = data;
}

/* Create the file ourselves so that it gets mode 0600; SQLite gives its -wal
 * and -shm files the mode of the database file. */
static int create_db_file(const char *path, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "open database %s", path);
  return 0;
}

static int pragma_text(store *s, const char *sql, char **out, crio_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("%s on %s", sql, s->path);
  int r = store_prepare(s, sql, &st, err);
  if (r < 0)
    return r;
  r = store_step(s, st, err, what);
  if (r < 0)
    return r;
  *out = r > 0 ? store_col_str(st, 0) : xstrdup("");
  return 0;
}

static int configure(store *s, crio_err **err)
{
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
  _cleanup_free_ char *mode = NULL;
  int r = pragma_text(s, "PRAGMA journal_mode = WAL", &mode, err);
  if (r < 0)
    return r;
  if (strcmp(mode, "wal") != 0)
    return crio_err_set(err, CRIO_E_IO, "database %s: cannot use WAL mode (journal mode is %s)",
                        s->path, mode);
  /* synchronous=FULL: a commit is on disk before the call that made it
   * returns, so a killed daemon loses nothing it reported done. */
  r = store_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err,
                 "configure database");
  return r < 0 ? crio_err_wrap(err, "%s", s->path) : 0;
}

static int user_version(store *s, int64_t *out, crio_err **err)
{
  return store_query_int(s, "PRAGMA user_version", out, err, "read schema version", "");
}

static int refuse_newer(store *s, int64_t found, int known, crio_err **err)
{
  return crio_err_set(err, CRIO_E_CONFLICT,
                      "database %s has schema version %lld, newer than version %d known to "
                      "this crio; refusing to open it (upgrade crio)",
                      s->path, (long long) found, known);
}

/* One step: in its own write transaction, re-read the version (another
 * process may have migrated meanwhile), apply the step and bump the version. */
static int migrate_step(store *s, const char *const *steps, int n, bool *done, crio_err **err)
{
  _cleanup_tx_ store_tx tx = { 0 };
  int64_t v;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = user_version(s, &v, err)) < 0)
    return r;
  if (v > n)
    return refuse_newer(s, v, n, err);
  if (v == n) {
    *done = true;
    return 0;
  }
  _cleanup_free_ char *what = xasprintf("migrate database %s to schema version %lld", s->path,
                                        (long long) v + 1);
  if ((r = store_exec(s, steps[v], err, what)) < 0)
    return r;
  _cleanup_free_ char *bump = xasprintf("PRAGMA user_version = %lld", (long long) v + 1);
  if ((r = store_exec(s, bump, err, what)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

static int migrate(store *s, crio_err **err)
{
  int n;
  const char *const *steps = store_migrations(&n);
  int64_t v;
  int r = user_version(s, &v, err);
  if (r < 0)
    return r;
  if (v > n)
    return refuse_newer(s, v, n, err);
  for (bool done = v == n; !done;) {
    if ((r = migrate_step(s, steps, n, &done, err)) < 0)
      return r;
  }
  return 0;
}

int store_open(const char *path, store **out, crio_err **err)
{
  int r = create_db_file(path, err);
  if (r < 0)
    return r;
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    r = crio_err_set(err, CRIO_E_IO, "open database %s: %s", path,
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return r;
  }
  _cleanup_store_ store *s = xzalloc(sizeof *s);
  s->db = db;
  s->path = xstrdup(path);
  pthread_mutex_init(&s->lock, NULL);
  if ((r = configure(s, err)) < 0 || (r = migrate(s, err)) < 0)
    return r;
  *out = steal_pointer(&s);
  return 0;
}

void store_close(store *s)
{
  if (!s)
    return;
  sqlite3_close_v2(s->db);
  pthread_mutex_destroy(&s->lock);
  free(s->path);
  free(s);
}

/* Collect every row of a check pragma; "ok" alone (or nothing) means sound. */
static int run_check(store *s, const char *sql, strbuf *problems, crio_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare(s, sql, &st, err);
  if (r < 0)
    return r;
  int rows = 0;
  while ((r = store_step(s, st, err, sql)) > 0) {
    const char *first = (const char *) sqlite3_column_text(st, 0);
    if (first && strcmp(first, "ok") == 0)
      continue;
    if (rows++ < 5) {
      strbuf_puts(problems, problems->len ? "; " : "");
      for (int c = 0; c < sqlite3_column_count(st); c++) {
        const char *v = (const char *) sqlite3_column_text(st, c);
        strbuf_printf(problems, "%s%s", c ? " " : "", v ? v : "NULL");
      }
    }
  }
  return r;
}

int store_integrity_check(store *s, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_strbuf_ strbuf problems = STRBUF_INIT;
  int r = run_check(s, "PRAGMA integrity_check", &problems, err);
  if (r < 0 || (r = run_check(s, "PRAGMA foreign_key_check", &problems, err)) < 0)
    return r;
  if (problems.len)
    return crio_err_set(err, CRIO_E_IO, "database %s failed its integrity check: %s", s->path,
                        problems.data);
  return 0;
}

int store_counts_get(store *s, store_counts *out, crio_err **err)
{
  static const char sql[] =
    "SELECT (SELECT count(*) FROM pods),"
    "       (SELECT count(*) FROM pods WHERE state = 'READY'),"
    "       (SELECT count(*) FROM containers),"
    "       (SELECT count(*) FROM containers WHERE state = 'RUNNING'),"
    "       (SELECT count(*) FROM images),"
    "       (SELECT count(*) FROM layers),"
    "       (SELECT coalesce(max(seq), 0) FROM events)";
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare(s, sql, &st, err);
  if (r < 0 || (r = store_step(s, st, err, "count objects")) < 0)
    return r;
  *out = (store_counts) {
    .pods = sqlite3_column_int64(st, 0),
    .pods_ready = sqlite3_column_int64(st, 1),
    .containers = sqlite3_column_int64(st, 2),
    .containers_running = sqlite3_column_int64(st, 3),
    .images = sqlite3_column_int64(st, 4),
    .layers = sqlite3_column_int64(st, 5),
    .last_event_seq = sqlite3_column_int64(st, 6),
  };
  return 0;
}
