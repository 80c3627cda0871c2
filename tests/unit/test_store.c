/* store: round trips, conflicts, errors, images and layers, the event log,
 * migrations. Concurrency and crash tests are in test_store_crash.c. */
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

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static int setup(void **state)
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

static int teardown(void **state)
{
  fixture *f = *state;
  store_close(f->s);
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->path);
  free(f);
  return 0;
}

/* A deterministic 64-hex id: kind digit, then n. */
static char *hex_id(char kind, unsigned n)
{
  return xasprintf("%c%063x", kind, n);
}

/* Assert that err holds code and a message containing each of the strings. */
static void expect_err(crio_err **err, crio_code code, const char *s1, const char *s2)
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
static int raw_exec(const char *path, const char *sql, char **errmsg)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  int rc = sqlite3_exec(db, sql, NULL, NULL, errmsg);
  sqlite3_close(db);
  return rc;
}

static int64_t raw_int(const char *path, const char *sql)
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

static void put_pod(store *s, unsigned n, const char *name)
{
  _cleanup_free_ char *id = hex_id('a', n);
  store_pod p = { .id = id, .name = (char *) name, .state = STORE_POD_READY };
  crio_err *err = NULL;
  OK(store_pod_put(s, &p, NULL, &err));
}

static void put_ctr(store *s, unsigned n, unsigned pod, const char *name, const char *image)
{
  _cleanup_free_ char *id = hex_id('c', n);
  _cleanup_free_ char *pod_id = hex_id('a', pod);
  store_container c = { .id = id, .pod_id = pod_id, .name = (char *) name,
                        .image_id = (char *) image, .state = STORE_CTR_CREATED };
  crio_err *err = NULL;
  OK(store_container_put(s, &c, NULL, &err));
}

/* An image whose layers are the chain layer_ns[0..n) (ids 'd' + number). */
static int put_image(store *s, unsigned n, const char *tag, const unsigned *layer_ns, size_t nl,
                     crio_err **err)
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

/* ---- opening and migrations ---- */

static void test_open_creates_private_file(void **state)
{
  fixture *f = *state;
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  put_pod(f->s, 1, "p1"); /* creates the WAL */
  _cleanup_free_ char *wal = xasprintf("%s-wal", f->path);
  assert_int_equal(stat(wal, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(raw_int(f->path, "PRAGMA user_version"), store_schema_version());
  crio_err *err = NULL;
  OK(store_integrity_check(f->s, &err));
}

static void test_open_migrates_empty_file(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *path = xasprintf("%s/empty.db", f->dir);
  int fd = open(path, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  close(fd);
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(path, &s, &err));
  store_counts c;
  OK(store_counts_get(s, &c, &err));
  assert_int_equal(c.pods + c.containers + c.images + c.layers + c.last_event_seq, 0);
  store_close(s);
  assert_int_equal(raw_int(path, "PRAGMA user_version"), store_schema_version());
  assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"), 1);
}

static void test_reopen_keeps_data(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "kept");
  store_close(f->s);
  crio_err *err = NULL;
  OK(store_open(f->path, &f->s, &err));
  _cleanup_store_pod_ store_pod *p = NULL;
  OK(store_pod_get_by_name(f->s, "kept", &p, &err));
}

static void test_open_refuses_newer_schema(void **state)
{
  fixture *f = *state;
  store_close(f->s);
  f->s = NULL;
  _cleanup_free_ char *sql = xasprintf("PRAGMA user_version = %d", store_schema_version() + 7);
  assert_int_equal(raw_exec(f->path, sql, NULL), SQLITE_OK);
  crio_err *err = NULL;
  store *s = NULL;
  assert_int_equal(store_open(f->path, &s, &err), -CRIO_E_CONFLICT);
  assert_null(s);
  _cleanup_free_ char *found = xasprintf("version %d,", store_schema_version() + 7);
  _cleanup_free_ char *known = xasprintf("version %d known", store_schema_version());
  assert_non_null(strstr(err->message, f->path));
  expect_err(&err, CRIO_E_CONFLICT, found, known);
}

static void test_open_missing_directory(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *path = xasprintf("%s/no/such/dir/crio.db", f->dir);
  store *s = NULL;
  crio_err *err = NULL;
  assert_true(store_open(path, &s, &err) < 0);
  expect_err(&err, CRIO_E_NOT_FOUND, path, NULL);
}

/* ---- pods ---- */

static void test_pod_round_trip(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('a', 42);
  store_pod in = {
    .id = id, .name = "web_default_uid1_0", .namespace = "default", .uid = "uid1",
    .attempt = 3, .state = STORE_POD_NOTREADY, .created_ns = 1700000000123456789,
    .hostname = "web", .labels = "{\"app\":\"web\",\"tier\":\"front\"}",
    .annotations = "{\"a/b\":\"x \\\"quoted\\\" \\u00e9\"}", .spec = "{\"dns\":[\"1.1.1.1\"]}",
    .netns_path = "/run/crio/ns/net-1", .ips = "[\"10.88.0.2\"]",
  };
  crio_err *err = NULL;
  OK(store_pod_put(f->s, &in, NULL, &err));
  _cleanup_store_pod_ store_pod *p = NULL;
  OK(store_pod_get(f->s, id, &p, &err));
  assert_string_equal(p->id, in.id);
  assert_string_equal(p->name, in.name);
  assert_string_equal(p->namespace, "default");
  assert_string_equal(p->uid, "uid1");
  assert_int_equal(p->attempt, 3);
  assert_int_equal(p->state, STORE_POD_NOTREADY);
  assert_int_equal(p->created_ns, 1700000000123456789);
  assert_string_equal(p->hostname, "web");
  assert_string_equal(p->labels, in.labels);
  assert_string_equal(p->annotations, in.annotations);
  assert_string_equal(p->spec, in.spec);
  assert_string_equal(p->netns_path, in.netns_path);
  assert_string_equal(p->ips, in.ips);
}

static void test_pod_defaults(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "bare");
  _cleanup_store_pod_ store_pod *p = NULL;
  crio_err *err = NULL;
  OK(store_pod_get_by_name(f->s, "bare", &p, &err));
  assert_string_equal(p->labels, "{}");
  assert_string_equal(p->annotations, "{}");
  assert_string_equal(p->spec, "{}");
  assert_string_equal(p->ips, "[]");
  assert_null(p->namespace);
  assert_null(p->netns_path);
  assert_true(p->created_ns > 0);
}

static void test_pod_conflicts(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "dup");
  _cleanup_free_ char *id1 = hex_id('a', 1);
  _cleanup_free_ char *id2 = hex_id('a', 2);
  crio_err *err = NULL;
  store_pod same_id = { .id = id1, .name = "other", .state = STORE_POD_READY };
  assert_int_equal(store_pod_put(f->s, &same_id, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, id1, "already exists");
  store_pod same_name = { .id = id2, .name = "dup", .state = STORE_POD_READY };
  assert_int_equal(store_pod_put(f->s, &same_name, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, "pod name dup", id1);
  store_pods l = { 0 };
  OK(store_pod_list(f->s, NULL, &l, &err));
  assert_int_equal(l.n, 1);
  store_pods_free(&l);
}

static void test_pod_not_found(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('a', 9);
  store_pod *p = NULL;
  crio_err *err = NULL;
  assert_int_equal(store_pod_get(f->s, id, &p, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id, "not found");
  assert_int_equal(store_pod_get_by_name(f->s, "ghost", &p, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "ghost", NULL);
  assert_int_equal(store_pod_update_state(f->s, id, STORE_POD_NOTREADY, NULL, &err),
                   -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id, NULL);
  assert_int_equal(store_pod_delete(f->s, id, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id, NULL);
  assert_null(p);
}

static void test_pod_invalid_input(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  store_pod bad_id = { .id = "ABC", .name = "x", .state = STORE_POD_READY };
  assert_int_equal(store_pod_put(f->s, &bad_id, NULL, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "ABC", "64 lowercase hex");
  _cleanup_free_ char *id = hex_id('a', 1);
  store_pod bad_labels = { .id = id, .name = "x", .state = STORE_POD_READY, .labels = "[1]" };
  assert_int_equal(store_pod_put(f->s, &bad_labels, NULL, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, id, "labels must be a JSON object");
  bad_labels.labels = "{\"a\":";
  assert_int_equal(store_pod_put(f->s, &bad_labels, NULL, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "labels must be a JSON object", NULL);
  store_pod no_state = { .id = id, .name = "x" };
  assert_int_equal(store_pod_put(f->s, &no_state, NULL, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, id, NULL);
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.pods, 0);
}

static void test_pod_updates_with_events(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('a', 5);
  store_pod in = { .id = id, .name = "net", .state = STORE_POD_READY };
  store_event created = { .action = "create", .attributes = "{\"by\":\"test\"}" };
  crio_err *err = NULL;
  OK(store_pod_put(f->s, &in, &created, &err));
  assert_true(created.seq > 0 && created.time_ns > 0);
  assert_int_equal(store_pod_update_network(f->s, id, "/run/ns/1", "[\"10.0.0.9\"]", NULL, &err),
                   0);
  store_event stopped = { .action = "stop" };
  OK(store_pod_update_state(f->s, id, STORE_POD_NOTREADY, &stopped, &err));
  assert_true(stopped.seq > created.seq);
  _cleanup_store_pod_ store_pod *p = NULL;
  OK(store_pod_get(f->s, id, &p, &err));
  assert_int_equal(p->state, STORE_POD_NOTREADY);
  assert_string_equal(p->netns_path, "/run/ns/1");
  assert_string_equal(p->ips, "[\"10.0.0.9\"]");
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, 2);
  assert_int_equal(evs.items[0].type, STORE_EVENT_POD);
  assert_string_equal(evs.items[0].object_id, id);
  assert_string_equal(evs.items[0].name, "net");
  assert_string_equal(evs.items[0].attributes, "{\"by\":\"test\"}");
  assert_string_equal(evs.items[1].action, "stop");
  assert_string_equal(evs.items[1].name, "net");
  assert_string_equal(evs.items[1].attributes, "{}");
}

static void test_pod_list_filters(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  for (unsigned i = 1; i <= 4; i++) {
    _cleanup_free_ char *id = hex_id('a', i);
    _cleanup_free_ char *name = xasprintf("p%u", i);
    store_pod p = { .id = id, .name = name, .created_ns = 100 - i,
                    .namespace = i % 2 ? "odd" : "even",
                    .state = i <= 2 ? STORE_POD_READY : STORE_POD_NOTREADY };
    OK(store_pod_put(f->s, &p, NULL, &err));
  }
  _cleanup_store_pods_ store_pods all = { 0 };
  OK(store_pod_list(f->s, NULL, &all, &err));
  assert_int_equal(all.n, 4);
  assert_string_equal(all.items[0].name, "p4"); /* oldest first */
  _cleanup_store_pods_ store_pods ready_odd = { 0 };
  store_pod_filter flt = { .state = STORE_POD_READY, .namespace = "odd" };
  OK(store_pod_list(f->s, &flt, &ready_odd, &err));
  assert_int_equal(ready_odd.n, 1);
  assert_string_equal(ready_odd.items[0].name, "p1");
  store_pod_filter bad = { .id_prefix = "a*" };
  store_pods none = { 0 };
  assert_int_equal(store_pod_list(f->s, &bad, &none, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "a*", NULL);
}

static void test_pod_lookup(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 0x100, "one");
  put_pod(f->s, 0x200, "two");
  _cleanup_free_ char *id1 = hex_id('a', 0x100);
  crio_err *err = NULL;
  store_pod *p = NULL;
  OK(store_pod_lookup(f->s, "one", &p, &err));
  assert_string_equal(p->id, id1);
  store_pod_free(p);
  _cleanup_free_ char *prefix = xstrndup(id1, 62); /* "a0...01": unique */
  OK(store_pod_lookup(f->s, prefix, &p, &err));
  assert_string_equal(p->name, "one");
  store_pod_free(p);
  p = NULL;
  assert_int_equal(store_pod_lookup(f->s, "a0", &p, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "a0", "ambiguous");
  assert_int_equal(store_pod_lookup(f->s, "b0", &p, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "b0", NULL);
}

static void test_pod_delete_refused_while_referenced(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "busy");
  put_ctr(f->s, 1, 1, "ctr-a", NULL);
  _cleanup_free_ char *pod = hex_id('a', 1);
  _cleanup_free_ char *ctr = hex_id('c', 1);
  crio_err *err = NULL;
  assert_int_equal(store_pod_delete(f->s, pod, NULL, &err), -CRIO_E_CONFLICT);
  expect_err(&err, CRIO_E_CONFLICT, pod, "ctr-a");
  OK(store_container_delete(f->s, ctr, NULL, &err));
  store_event ev = { .action = "remove" };
  OK(store_pod_delete(f->s, pod, &ev, &err));
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, 1);
  assert_string_equal(evs.items[0].name, "busy");
}

/* ---- containers ---- */

static void test_container_round_trip(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "pod");
  crio_err *err = NULL;
  unsigned layer = 1;
  OK(put_image(f->s, 1, "docker.io/library/busybox:latest", &layer, 1, &err));
  _cleanup_free_ char *id = hex_id('c', 7);
  _cleanup_free_ char *pod = hex_id('a', 1);
  _cleanup_free_ char *img = hex_id('e', 1);
  store_container in = {
    .id = id, .pod_id = pod, .name = "k8s_app_pod", .attempt = 2, .image_id = img,
    .image_ref = "busybox", .state = STORE_CTR_CREATED, .created_ns = 5,
    .labels = "{\"io.kubernetes.container.name\":\"app\"}", .annotations = "{}",
    .log_path = "/var/log/pods/x/app/0.log", .spec = "{\"args\":[\"sh\"]}",
  };
  OK(store_container_put(f->s, &in, NULL, &err));
  _cleanup_store_container_ store_container *c = NULL;
  OK(store_container_get_by_name(f->s, "k8s_app_pod", &c, &err));
  assert_string_equal(c->id, id);
  assert_string_equal(c->pod_id, pod);
  assert_int_equal(c->attempt, 2);
  assert_string_equal(c->image_id, img);
  assert_string_equal(c->image_ref, "busybox");
  assert_int_equal(c->state, STORE_CTR_CREATED);
  assert_int_equal(c->created_ns, 5);
  assert_int_equal(c->started_ns, 0);
  assert_string_equal(c->labels, in.labels);
  assert_string_equal(c->annotations, "{}");
  assert_string_equal(c->log_path, in.log_path);
  assert_string_equal(c->spec, in.spec);
  assert_null(c->reason);
}

static void test_container_put_errors(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('c', 1);
  _cleanup_free_ char *pod = hex_id('a', 1);
  _cleanup_free_ char *img = hex_id('e', 1);
  crio_err *err = NULL;
  store_container c = { .id = id, .pod_id = pod, .name = "orphan", .state = STORE_CTR_CREATED };
  assert_int_equal(store_container_put(f->s, &c, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, pod, "orphan");
  put_pod(f->s, 1, "pod");
  c.image_id = img;
  assert_int_equal(store_container_put(f->s, &c, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, img, "orphan");
  c.image_id = NULL;
  OK(store_container_put(f->s, &c, NULL, &err));
  assert_int_equal(store_container_put(f->s, &c, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, id, NULL);
  _cleanup_free_ char *id2 = hex_id('c', 2);
  c.id = id2;
  assert_int_equal(store_container_put(f->s, &c, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, "container name orphan", id);
  store_container *out = NULL;
  assert_int_equal(store_container_get(f->s, id2, &out, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id2, NULL);
}

static void test_container_set_state(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "pod");
  put_ctr(f->s, 1, 1, "app", NULL);
  _cleanup_free_ char *id = hex_id('c', 1);
  crio_err *err = NULL;
  store_container_status run = { .state = STORE_CTR_RUNNING, .pid = 4242, .started_ns = 1000 };
  store_event started = { .action = "start" };
  OK(store_container_set_state(f->s, id, &run, &started, &err));
  store_container_status died = { .state = STORE_CTR_EXITED, .exit_code = 137, .oom_killed = true,
                                  .reason = "OOMKilled", .message = "out of memory",
                                  .finished_ns = 2000 };
  store_event ev = { .action = "died", .attributes = "{\"exitCode\":137}" };
  OK(store_container_set_state(f->s, id, &died, &ev, &err));
  _cleanup_store_container_ store_container *c = NULL;
  OK(store_container_get(f->s, id, &c, &err));
  assert_int_equal(c->state, STORE_CTR_EXITED);
  assert_int_equal(c->pid, 0);
  assert_int_equal(c->exit_code, 137);
  assert_true(c->oom_killed);
  assert_string_equal(c->reason, "OOMKilled");
  assert_string_equal(c->message, "out of memory");
  assert_int_equal(c->started_ns, 1000); /* kept: 0 means unchanged */
  assert_int_equal(c->finished_ns, 2000);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, started.seq, 0, &evs, &err));
  assert_int_equal(evs.n, 1);
  assert_int_equal(evs.items[0].seq, ev.seq);
  assert_int_equal(evs.items[0].type, STORE_EVENT_CONTAINER);
  assert_string_equal(evs.items[0].object_id, id);
  assert_string_equal(evs.items[0].name, "app");
  assert_string_equal(evs.items[0].attributes, "{\"exitCode\":137}");
  _cleanup_free_ char *ghost = hex_id('c', 99);
  assert_int_equal(store_container_set_state(f->s, ghost, &run, &ev, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, ghost, NULL);
}

static void test_container_list_update_delete(void **state)
{
  fixture *f = *state;
  put_pod(f->s, 1, "p1");
  put_pod(f->s, 2, "p2");
  put_ctr(f->s, 1, 1, "a", NULL);
  put_ctr(f->s, 2, 1, "b", NULL);
  put_ctr(f->s, 3, 2, "c", NULL);
  _cleanup_free_ char *p1 = hex_id('a', 1);
  _cleanup_free_ char *c2 = hex_id('c', 2);
  crio_err *err = NULL;
  store_container_status run = { .state = STORE_CTR_RUNNING, .pid = 1 };
  OK(store_container_set_state(f->s, c2, &run, NULL, &err));
  _cleanup_store_containers_ store_containers in_p1 = { 0 };
  store_container_filter flt = { .pod_id = p1 };
  OK(store_container_list(f->s, &flt, &in_p1, &err));
  assert_int_equal(in_p1.n, 2);
  _cleanup_store_containers_ store_containers running = { 0 };
  store_container_filter rf = { .state = STORE_CTR_RUNNING };
  OK(store_container_list(f->s, &rf, &running, &err));
  assert_int_equal(running.n, 1);
  assert_string_equal(running.items[0].name, "b");
  OK(store_container_update_spec(f->s, c2, "{\"cpu\":2}", NULL, &err));
  _cleanup_store_container_ store_container *c = NULL;
  OK(store_container_lookup(f->s, "b", &c, &err));
  assert_string_equal(c->spec, "{\"cpu\":2}");
  OK(store_container_delete(f->s, c2, NULL, &err));
  assert_int_equal(store_container_delete(f->s, c2, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, c2, NULL);
  store_counts n;
  OK(store_counts_get(f->s, &n, &err));
  assert_int_equal(n.containers, 2);
  assert_int_equal(n.containers_running, 0);
  assert_int_equal(n.pods, 2);
  assert_int_equal(n.pods_ready, 2);
}

/* ---- images and layers ---- */

static void test_image_round_trip_and_lookup(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('e', 0xabc);
  _cleanup_free_ char *l1 = hex_id('d', 1);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  store_layer layers[] = {
    { .id = l1, .diff_id = "sha256:1111", .compressed_digest = "sha256:c1", .size = 10,
      .compressed_size = 5 },
    { .id = l2, .diff_id = "sha256:2222", .size = 20 },
  };
  char *tags[] = { "docker.io/library/busybox:latest", "localhost/bb:1" };
  char *digests[] = { "docker.io/library/busybox@sha256:ffff" };
  store_image in = { .id = id, .manifest_digest = "sha256:ffff", .repo_tags = tags,
                     .n_repo_tags = 2, .repo_digests = digests, .n_repo_digests = 1,
                     .size = 30, .created_ns = 77, .pinned = true,
                     .config = "{\"config\":{\"Cmd\":[\"sh\"]}}", .manifest = "{\"layers\":[]}",
                     .layers = layers, .n_layers = 2 };
  crio_err *err = NULL;
  store_event ev = { .action = "pull" };
  OK(store_image_put(f->s, &in, &ev, &err));
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get(f->s, id, &img, &err));
  assert_string_equal(img->manifest_digest, "sha256:ffff");
  assert_int_equal(img->n_repo_tags, 2);
  assert_string_equal(img->repo_tags[0], tags[0]);
  assert_string_equal(img->repo_tags[1], tags[1]);
  assert_int_equal(img->n_repo_digests, 1);
  assert_string_equal(img->repo_digests[0], digests[0]);
  assert_int_equal(img->size, 30);
  assert_int_equal(img->created_ns, 77);
  assert_true(img->pinned);
  assert_string_equal(img->config, in.config);
  assert_string_equal(img->manifest, in.manifest);
  assert_int_equal(img->n_layers, 2);
  assert_string_equal(img->layers[0].id, l1);
  assert_null(img->layers[0].parent);
  assert_string_equal(img->layers[0].compressed_digest, "sha256:c1");
  assert_int_equal(img->layers[0].compressed_size, 5);
  assert_string_equal(img->layers[1].parent, l1);
  assert_int_equal(img->layers[1].refcount, 1);
  const char *refs[] = { id, "sha256:e0000", "e0000", "localhost/bb:1", digests[0] };
  for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
    store_image *found = NULL;
    OK(store_image_lookup(f->s, refs[i], &found, &err));
    assert_string_equal(found->id, id);
    store_image_free(found);
  }
  store_image *none = NULL;
  assert_int_equal(store_image_get_by_name(f->s, "busybox", &none, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "busybox", NULL);
  assert_int_equal(store_image_put(f->s, &in, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, id, NULL);
}

static void test_image_prefix_ambiguous(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  OK(put_image(f->s, 1, NULL, NULL, 0, &err));
  OK(put_image(f->s, 2, NULL, NULL, 0, &err));
  store_image *img = NULL;
  assert_int_equal(store_image_lookup(f->s, "e00", &img, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "e00", "ambiguous");
  assert_int_equal(store_image_lookup(f->s, "f00", &img, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "f00", NULL);
  assert_null(img);
}

static void test_image_layers_shared_and_freed_last(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned a[] = { 1, 2 }, b[] = { 1, 3 };
  OK(put_image(f->s, 1, "a:1", a, 2, &err));
  OK(put_image(f->s, 2, "b:1", b, 2, &err));
  _cleanup_free_ char *l1 = hex_id('d', 1);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  _cleanup_free_ char *l3 = hex_id('d', 3);
  _cleanup_store_layer_ store_layer *base = NULL;
  OK(store_layer_get(f->s, l1, &base, &err));
  assert_int_equal(base->refcount, 2);
  _cleanup_free_ char *ia = hex_id('e', 1);
  _cleanup_free_ char *ib = hex_id('e', 2);
  _cleanup_store_layers_ store_layers freed_a = { 0 };
  OK(store_image_delete(f->s, ia, &freed_a, NULL, &err));
  assert_int_equal(freed_a.n, 1);
  assert_string_equal(freed_a.items[0].id, l2);
  store_layer_free(steal_pointer(&base));
  OK(store_layer_get(f->s, l1, &base, &err));
  assert_int_equal(base->refcount, 1);
  _cleanup_store_layers_ store_layers freed_b = { 0 };
  store_event ev = { .action = "remove" };
  OK(store_image_delete(f->s, ib, &freed_b, &ev, &err));
  assert_int_equal(freed_b.n, 2);
  assert_string_equal(freed_b.items[0].id, l3); /* top first */
  assert_string_equal(freed_b.items[1].id, l1);
  _cleanup_store_layers_ store_layers left = { 0 };
  OK(store_layer_list(f->s, &left, &err));
  assert_int_equal(left.n, 0);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_string_equal(evs.items[0].name, "b:1");
  assert_int_equal(store_image_delete(f->s, ib, NULL, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, ib, NULL);
}

static void test_image_layer_mismatch_records_nothing(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned a[] = { 1, 2 };
  OK(put_image(f->s, 1, "a:1", a, 2, &err));
  /* Layer 2 again, but on no parent: not the same layer. */
  const unsigned b[] = { 2 };
  assert_int_equal(put_image(f->s, 2, "a:1", b, 1, &err), -CRIO_E_CONFLICT);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  expect_err(&err, CRIO_E_CONFLICT, l2, "parent");
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.images, 1);
  assert_int_equal(c.layers, 2);
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get_by_name(f->s, "a:1", &img, &err));
  assert_int_equal(img->n_layers, 2); /* the tag did not move */
}

static void test_image_tag_moves_and_untag(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  OK(put_image(f->s, 1, "app:latest", NULL, 0, &err));
  OK(put_image(f->s, 2, "app:latest", NULL, 0, &err)); /* a newer pull */
  _cleanup_free_ char *i1 = hex_id('e', 1);
  _cleanup_free_ char *i2 = hex_id('e', 2);
  _cleanup_store_image_ store_image *old = NULL;
  OK(store_image_get(f->s, i1, &old, &err));
  assert_int_equal(old->n_repo_tags, 0);
  _cleanup_store_image_ store_image *newer = NULL;
  OK(store_image_get_by_name(f->s, "app:latest", &newer, &err));
  assert_string_equal(newer->id, i2);
  store_event ev = { .action = "tag" };
  OK(store_image_tag(f->s, i1, "app:old", &ev, &err));
  OK(store_image_tag(f->s, i1, "app@sha256:0123", NULL, &err));
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get_by_name(f->s, "app:old", &img, &err));
  assert_string_equal(img->id, i1);
  assert_int_equal(img->n_repo_digests, 1);
  OK(store_image_untag(f->s, "app:latest", NULL, &err));
  assert_int_equal(store_image_untag(f->s, "app:latest", NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "app:latest", NULL);
  _cleanup_free_ char *ghost = hex_id('e', 9);
  assert_int_equal(store_image_tag(f->s, ghost, "x:y", NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, ghost, NULL);
  _cleanup_store_images_ store_images all = { 0 };
  OK(store_image_list(f->s, &all, &err));
  assert_int_equal(all.n, 2);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, 1);
  assert_string_equal(evs.items[0].name, "app:old");
  assert_string_equal(evs.items[0].object_id, i1);
}

static void test_image_delete_refused_in_use(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned l[] = { 1 };
  OK(put_image(f->s, 1, "img:1", l, 1, &err));
  _cleanup_free_ char *img = hex_id('e', 1);
  put_pod(f->s, 1, "pod");
  put_ctr(f->s, 1, 1, "user-of-image", img);
  assert_int_equal(store_image_delete(f->s, img, NULL, NULL, &err), -CRIO_E_CONFLICT);
  expect_err(&err, CRIO_E_CONFLICT, img, "user-of-image");
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.images, 1);
  assert_int_equal(c.layers, 1);
}

static void test_layer_prune(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned l[] = { 1, 2 };
  OK(put_image(f->s, 1, "img:1", l, 2, &err));
  _cleanup_store_layers_ store_layers none = { 0 };
  OK(store_layer_prune(f->s, &none, &err));
  assert_int_equal(none.n, 0);
  /* Unlink the layers behind the store's back, as a bug would leave them. */
  assert_int_equal(raw_exec(f->path, "DELETE FROM image_layers", NULL), SQLITE_OK);
  _cleanup_store_layers_ store_layers gone = { 0 };
  OK(store_layer_prune(f->s, &gone, &err));
  assert_int_equal(gone.n, 2);
  store_layer *l1 = NULL;
  _cleanup_free_ char *id = hex_id('d', 1);
  assert_int_equal(store_layer_get(f->s, id, &l1, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id, NULL);
}

/* ---- events ---- */

static void test_event_log_order_and_limit(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  int64_t seqs[5];
  for (int i = 0; i < 5; i++) {
    _cleanup_free_ char *obj = xasprintf("obj%d", i);
    store_event ev = { .type = STORE_EVENT_IMAGE, .action = "pull", .object_id = obj,
                       .time_ns = 10 + i };
    OK(store_event_append(f->s, &ev, &err));
    seqs[i] = ev.seq;
    assert_true(i == 0 || seqs[i] > seqs[i - 1]);
  }
  _cleanup_store_events_ store_events page = { 0 };
  OK(store_event_list(f->s, seqs[1], 2, &page, &err));
  assert_int_equal(page.n, 2);
  assert_int_equal(page.items[0].seq, seqs[2]);
  assert_string_equal(page.items[0].object_id, "obj2");
  assert_int_equal(page.items[0].time_ns, 12);
  assert_int_equal(page.items[1].seq, seqs[3]);
  assert_null(page.items[1].name);
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.last_event_seq, seqs[4]);
  store_event bad = { .type = STORE_EVENT_POD, .object_id = "x" };
  assert_int_equal(store_event_append(f->s, &bad, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "action", NULL);
  store_event bad_attrs = { .type = STORE_EVENT_POD, .object_id = "x", .action = "a",
                            .attributes = "[]" };
  assert_int_equal(store_event_append(f->s, &bad_attrs, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "attributes must be a JSON object", NULL);
}

static void test_event_log_is_append_only(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  store_event ev = { .type = STORE_EVENT_POD, .action = "create", .object_id = "p" };
  OK(store_event_append(f->s, &ev, &err));
  char *msg = NULL;
  assert_int_equal(raw_exec(f->path, "UPDATE events SET action = 'forged'", &msg),
                   SQLITE_CONSTRAINT);
  assert_non_null(strstr(msg, "append-only"));
  sqlite3_free(msg);
  assert_int_equal(raw_exec(f->path, "DELETE FROM events", &msg), SQLITE_CONSTRAINT);
  assert_non_null(strstr(msg, "append-only"));
  sqlite3_free(msg);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, 1);
  assert_string_equal(evs.items[0].action, "create");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_open_creates_private_file),
    T(test_open_migrates_empty_file),
    T(test_reopen_keeps_data),
    T(test_open_refuses_newer_schema),
    T(test_open_missing_directory),
    T(test_pod_round_trip),
    T(test_pod_defaults),
    T(test_pod_conflicts),
    T(test_pod_not_found),
    T(test_pod_invalid_input),
    T(test_pod_updates_with_events),
    T(test_pod_list_filters),
    T(test_pod_lookup),
    T(test_pod_delete_refused_while_referenced),
    T(test_container_round_trip),
    T(test_container_put_errors),
    T(test_container_set_state),
    T(test_container_list_update_delete),
    T(test_image_round_trip_and_lookup),
    T(test_image_prefix_ambiguous),
    T(test_image_layers_shared_and_freed_last),
    T(test_image_layer_mismatch_records_nothing),
    T(test_image_tag_moves_and_untag),
    T(test_image_delete_refused_in_use),
    T(test_layer_prune),
    T(test_event_log_order_and_limit),
    T(test_event_log_is_append_only),
  };
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
