/* Shared helpers for the store unit tests (test_store.c,
 * test_store_images.c): a fixture with a fresh database in a temporary
 * directory, deterministic ids, error checks, raw SQL behind the store's
 * back, and shorthands that put pods, containers and images. Every test_*.c
 * is its own program, so the helpers are static inline here. */
#ifndef CRIO_TESTS_UNIT_STORE_TEST_UTIL_H
#define CRIO_TESTS_UNIT_STORE_TEST_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Assert that a call succeeded, showing its error otherwise; err must be in scope. */
#define OK(call)                                                                     \
  do {                                                                               \
    int r_ = (call);                                                                 \
    if (r_ != 0)                                                                     \
      fail_msg("%s returned %d: %s", #call, r_, err ? err->message : "(no error)"); \
  } while (0)

typedef struct fixture {
  char dir[64];
  char *path;
  store *s;
} fixture;

static inline int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static inline int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/test_store.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  f->path = xasprintf("%s/crio.db", f->dir);
  crio_err *err = NULL;
  OK(store_open(f->path, &f->s, &err));
  *state = f;
  return 0;
}

static inline int teardown(void **state)
{
  fixture *f = *state;
  store_close(f->s);
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->path);
  free(f);
  return 0;
}

/* A deterministic 64-hex id: kind digit, then n. */
static inline char *hex_id(char kind, unsigned n)
{
  return xasprintf("%c%063x", kind, n);
}

/* Assert that err holds code and a message containing each of the strings. */
static inline void expect_err(crio_err **err, crio_code code, const char *s1, const char *s2)
{
  assert_non_null(*err);
  if ((*err)->code != code || (s1 && !strstr((*err)->message, s1)) ||
      (s2 && !strstr((*err)->message, s2)))
    fail_msg("want code %d with \"%s\" \"%s\", got %d: %s", code, s1 ? s1 : "", s2 ? s2 : "",
             (*err)->code, (*err)->message);
  crio_err_free(*err);
  *err = NULL;
}

/* Raw SQL on the database file, as another process tampering with it would. */
static inline int raw_exec(const char *path, const char *sql, char **errmsg)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  int rc = sqlite3_exec(db, sql, NULL, NULL, errmsg);
  sqlite3_close(db);
  return rc;
}

static inline int64_t raw_int(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static inline void put_pod(store *s, unsigned n, const char *name)
{
  _cleanup_free_ char *id = hex_id('a', n);
  store_pod p = { .id = id, .name = (char *) name, .state = STORE_POD_READY };
  crio_err *err = NULL;
  OK(store_pod_put(s, &p, NULL, &err));
}

static inline void put_ctr(store *s, unsigned n, unsigned pod, const char *name, const char *image)
{
  _cleanup_free_ char *id = hex_id('c', n);
  _cleanup_free_ char *pod_id = hex_id('a', pod);
  store_container c = { .id = id, .pod_id = pod_id, .name = (char *) name,
                        .image_id = (char *) image, .state = STORE_CTR_CREATED };
  crio_err *err = NULL;
  OK(store_container_put(s, &c, NULL, &err));
}

/* An image whose layers are the chain layer_ns[0..n) (ids 'd' + number). */
static inline int put_image(store *s, unsigned n, const char *tag, const unsigned *layer_ns,
                            size_t nl, crio_err **err)
{
  _cleanup_free_ char *id = hex_id('e', n);
  store_layer layers[8] = { 0 };
  char *ids[8], *diffs[8];
  for (size_t i = 0; i < nl; i++) {
    ids[i] = hex_id('d', layer_ns[i]);
    diffs[i] = xasprintf("sha256:%064x", layer_ns[i]);
    layers[i] = (store_layer) { .id = ids[i], .diff_id = diffs[i], .size = 100 * layer_ns[i] };
  }
  char *tags[] = { (char *) tag };
  store_image img = { .id = id, .repo_tags = tags, .n_repo_tags = tag ? 1 : 0,
                      .layers = layers, .n_layers = nl, .size = 1234 };
  int r = store_image_put(s, &img, NULL, err);
  for (size_t i = 0; i < nl; i++) {
    free(ids[i]);
    free(diffs[i]);
  }
  return r;
}

#endif
