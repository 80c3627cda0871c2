/* store under stress: concurrent writers (threads sharing a handle, threads
 * with their own handles, forked processes) and crash consistency (a child
 * SIGKILLed in the middle of a transaction, then the parent reopens). */
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define OK(call)                                                                     \
  do {                                                                               \
    int r_ = (call);                                                                 \
    if (r_ != 0)                                                                     \
      fail_msg("%s returned %d: %s", #call, r_, err ? err->message : "(no error)"); \
  } while (0)

#define N_WORKERS 6
#define N_PER_WORKER 40

typedef struct fixture {
  char dir[64];
  char *path;
} fixture;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/test_store_crash.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  f->path = xasprintf("%s/crio.db", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->path);
  free(f);
  return 0;
}

static char *hex_id(char kind, unsigned n)
{
  return xasprintf("%c%063x", kind, n);
}

/* ---- concurrent writers ---- */

typedef struct worker {
  const char *path;  /* open an own handle on it when s is NULL */
  store *s;
  unsigned index;
  int failures;
  char *first_error;
} worker;

/* Each insert: a pod with its event, in one transaction, then a read. */
static int worker_inserts(store *s, unsigned index, char **first_error)
{
  int failures = 0;
  for (unsigned i = 0; i < N_PER_WORKER; i++) {
    _cleanup_free_ char *id = hex_id('a', index * 1000 + i);
    _cleanup_free_ char *name = xasprintf("pod-%u-%u", index, i);
    store_pod p = { .id = id, .name = name, .state = STORE_POD_READY,
                    .labels = "{\"worker\":\"yes\"}" };
    store_event ev = { .action = "create" };
    crio_err *err = NULL;
    store_counts c;
    if (store_pod_put(s, &p, &ev, &err) < 0 || store_counts_get(s, &c, &err) < 0) {
      failures++;
      if (!*first_error)
        *first_error = xstrdup(err->message);
      crio_err_free(err);
    }
  }
  return failures;
}

static void *worker_main(void *arg)
{
  worker *w = arg;
  store *own = NULL;
  crio_err *err = NULL;
  if (!w->s && store_open(w->path, &own, &err) < 0) {
    w->failures = N_PER_WORKER;
    w->first_error = xstrdup(err->message);
    crio_err_free(err);
    return NULL;
  }
  w->failures = worker_inserts(w->s ? w->s : own, w->index, &w->first_error);
  store_close(own);
  return NULL;
}

static void check_all_rows(const char *path, int64_t want)
{
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(path, &s, &err));
  store_counts c;
  OK(store_counts_get(s, &c, &err));
  assert_int_equal(c.pods, want);
  store_events evs = { 0 };
  OK(store_event_list(s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, want);
  for (size_t i = 1; i < evs.n; i++)
    assert_true(evs.items[i].seq > evs.items[i - 1].seq);
  store_events_free(&evs);
  OK(store_integrity_check(s, &err));
  store_close(s);
}

static void run_threads(fixture *f, store *shared)
{
  pthread_t th[N_WORKERS];
  worker w[N_WORKERS];
  for (unsigned i = 0; i < N_WORKERS; i++) {
    w[i] = (worker) { .path = f->path, .s = shared, .index = i };
    assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
  }
  for (unsigned i = 0; i < N_WORKERS; i++) {
    pthread_join(th[i], NULL);
    if (w[i].failures)
      fail_msg("worker %u: %d failures, first: %s", i, w[i].failures, w[i].first_error);
  }
}

static void test_threads_share_one_handle(void **state)
{
  fixture *f = *state;
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(f->path, &s, &err));
  run_threads(f, s);
  store_close(s);
  check_all_rows(f->path, N_WORKERS * N_PER_WORKER);
}

static void test_threads_own_handles(void **state)
{
  fixture *f = *state;
  run_threads(f, NULL); /* the first opens race to create and migrate the file */
  check_all_rows(f->path, N_WORKERS * N_PER_WORKER);
}

static void test_processes_own_handles(void **state)
{
  fixture *f = *state;
  pid_t pids[N_WORKERS];
  for (unsigned i = 0; i < N_WORKERS; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      worker w = { .path = f->path, .index = i };
      worker_main(&w);
      if (w.failures)
        fprintf(stderr, "child %u: %d failures, first: %s\n", i, w.failures, w.first_error);
      _exit(w.failures ? 1 : 0);
    }
  }
  for (unsigned i = 0; i < N_WORKERS; i++) {
    int status;
    assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  check_all_rows(f->path, N_WORKERS * N_PER_WORKER);
}

/* ---- crash consistency ---- */

/* Committed before any crash: image 1 = layers d1, d2 tagged app:latest, and a
 * pod with a created container. */
static void seed(const char *path)
{
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(path, &s, &err));
  _cleanup_free_ char *img = hex_id('e', 1), *l1 = hex_id('d', 1), *l2 = hex_id('d', 2);
  store_layer layers[] = { { .id = l1, .diff_id = "sha256:d1" },
                           { .id = l2, .diff_id = "sha256:d2" } };
  char *tags[] = { "app:latest" };
  store_image a = { .id = img, .repo_tags = tags, .n_repo_tags = 1, .layers = layers,
                    .n_layers = 2 };
  store_event ev = { .action = "pull" };
  OK(store_image_put(s, &a, &ev, &err));
  _cleanup_free_ char *pod = hex_id('a', 1), *ctr = hex_id('c', 1);
  store_pod p = { .id = pod, .name = "pod", .state = STORE_POD_READY };
  OK(store_pod_put(s, &p, NULL, &err));
  store_container c = { .id = ctr, .pod_id = pod, .name = "ctr", .image_id = img,
                        .state = STORE_CTR_CREATED };
  OK(store_container_put(s, &c, NULL, &err));
  store_close(s);
}

/* Image 2 shares d1, adds d8 and d9, and takes the tag app:latest. */
static int put_second_image(store *s, crio_err **err)
{
  _cleanup_free_ char *img = hex_id('e', 2), *l1 = hex_id('d', 1);
  _cleanup_free_ char *l8 = hex_id('d', 8), *l9 = hex_id('d', 9);
  store_layer layers[] = { { .id = l1, .diff_id = "sha256:d1" },
                           { .id = l8, .diff_id = "sha256:d8" },
                           { .id = l9, .diff_id = "sha256:d9" } };
  char *tags[] = { "app:latest", "app:v2" };
  store_image b = { .id = img, .repo_tags = tags, .n_repo_tags = 2, .layers = layers,
                    .n_layers = 3 };
  store_event ev = { .action = "pull" };
  return store_image_put(s, &b, &ev, err);
}

typedef struct crash_point {
  const char *point;
  int notify_fd; /* >= 0: tell the parent and wait to be killed; else kill itself */
} crash_point;

static void crash_hook(const char *point, void *data)
{
  crash_point *cp = data;
  if (strcmp(point, cp->point) != 0)
    return;
  if (cp->notify_fd < 0)
    raise(SIGKILL);
  (void) !write(cp->notify_fd, "x", 1);
  for (;;)
    pause();
}

enum crash_op { OP_IMAGE_PUT, OP_IMAGE_DELETE, OP_SET_STATE };

static int child_run_op(store *s, enum crash_op op)
{
  crio_err *err = NULL;
  _cleanup_free_ char *img = hex_id('e', 1), *ctr = hex_id('c', 1);
  store_container_status run = { .state = STORE_CTR_RUNNING, .pid = 99, .started_ns = 5 };
  store_event started = { .action = "start" };
  switch (op) {
  case OP_IMAGE_PUT:
    return put_second_image(s, &err);
  case OP_IMAGE_DELETE: /* the container goes first (gone already on a rerun) */
    if (store_container_delete(s, ctr, NULL, &err) < 0 && err->code != CRIO_E_NOT_FOUND)
      return -1;
    crio_err_free(steal_pointer(&err));
    return store_image_delete(s, img, NULL, NULL, &err);
  case OP_SET_STATE:
    return store_container_set_state(s, ctr, &run, &started, &err);
  }
  return -1;
}

/* Fork a child that runs op and dies at point (killed by the parent when
 * external); returns once it is dead, asserting it died of SIGKILL. */
static void crash_child(const char *path, enum crash_op op, const char *point, bool external)
{
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pfd[0]);
    crash_point cp = { .point = point, .notify_fd = external ? pfd[1] : -1 };
    store *s = NULL;
    crio_err *err = NULL;
    if (store_open(path, &s, &err) < 0)
      _exit(2);
    store_set_test_hook(s, crash_hook, &cp);
    /* Reaching the end means the hook never fired at point. */
    _exit(child_run_op(s, op) < 0 ? 4 : 3);
  }
  close(pfd[1]);
  char c;
  if (external) {
    if (read(pfd[0], &c, 1) == 1)
      kill(pid, SIGKILL);
  }
  close(pfd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
    fail_msg("child at %s: wanted death by SIGKILL, got status 0x%x", point, status);
}

/* After any crash: sound database, and everything seed() committed. */
static store *reopen_checked(const char *path)
{
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(path, &s, &err));
  OK(store_integrity_check(s, &err));
  _cleanup_store_image_ store_image *a = NULL;
  OK(store_image_get_by_name(s, "app:latest", &a, &err));
  _cleanup_free_ char *img1 = hex_id('e', 1);
  assert_string_equal(a->id, img1);
  assert_int_equal(a->n_layers, 2);
  return s;
}

static void check_image_put_undone(fixture *f)
{
  store *s = reopen_checked(f->path);
  crio_err *err = NULL;
  _cleanup_free_ char *img2 = hex_id('e', 2), *l1 = hex_id('d', 1), *l8 = hex_id('d', 8);
  store_image *b = NULL;
  assert_int_equal(store_image_get(s, img2, &b, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(steal_pointer(&err));
  assert_int_equal(store_image_get_by_name(s, "app:v2", &b, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(steal_pointer(&err));
  store_layer *l = NULL;
  assert_int_equal(store_layer_get(s, l8, &l, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(steal_pointer(&err));
  OK(store_layer_get(s, l1, &l, &err));
  assert_int_equal(l->refcount, 1);
  store_layer_free(l);
  store_counts c;
  OK(store_counts_get(s, &c, &err));
  assert_int_equal(c.images, 1);
  assert_int_equal(c.layers, 2);
  assert_int_equal(c.last_event_seq, 1); /* only seed's pull */
  store_close(s);
}

static void crash_image_put_at(void **state, const char *point, bool external)
{
  fixture *f = *state;
  seed(f->path);
  crash_child(f->path, OP_IMAGE_PUT, point, external);
  check_image_put_undone(f);
  /* The store is usable afterwards: the same put now succeeds. */
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(f->path, &s, &err));
  OK(put_second_image(s, &err));
  store_close(s);
}

static void test_crash_image_put_after_image_row(void **state)
{
  crash_image_put_at(state, "image_put:after_image_row", false);
}

static void test_crash_image_put_after_first_layer(void **state)
{
  crash_image_put_at(state, "image_put:after_layer", false);
}

static void test_crash_image_put_after_layers(void **state)
{
  crash_image_put_at(state, "image_put:after_layers", false);
}

static void test_crash_image_put_after_names(void **state)
{
  crash_image_put_at(state, "image_put:after_names", false);
}

static void test_crash_image_put_before_commit(void **state)
{
  crash_image_put_at(state, "image_put:before_commit", false);
}

static void test_kill_from_outside_during_image_put(void **state)
{
  crash_image_put_at(state, "image_put:after_layers", true);
}

static void test_crash_image_delete(void **state)
{
  fixture *f = *state;
  seed(f->path);
  const char *points[] = { "image_delete:after_image_row", "image_delete:after_layers" };
  for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
    crash_child(f->path, OP_IMAGE_DELETE, points[i], i == 1);
    store *s = reopen_checked(f->path); /* image 1 and its layers are still there */
    crio_err *err = NULL;
    store_counts c;
    OK(store_counts_get(s, &c, &err));
    assert_int_equal(c.layers, 2);
    assert_int_equal(c.containers, 0); /* its own committed transaction */
    store_close(s);
  }
}

static void test_crash_between_state_and_event(void **state)
{
  fixture *f = *state;
  seed(f->path);
  crash_child(f->path, OP_SET_STATE, "container_set_state:after_update", false);
  store *s = reopen_checked(f->path);
  crio_err *err = NULL;
  _cleanup_free_ char *ctr = hex_id('c', 1);
  _cleanup_store_container_ store_container *c = NULL;
  OK(store_container_get(s, ctr, &c, &err));
  assert_int_equal(c->state, STORE_CTR_CREATED);
  assert_int_equal(c->pid, 0);
  store_counts n;
  OK(store_counts_get(s, &n, &err));
  assert_int_equal(n.last_event_seq, 1);
  store_close(s);
}

static void test_kill_after_commit_keeps_image(void **state)
{
  fixture *f = *state;
  seed(f->path);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    store *s = NULL;
    crio_err *err = NULL;
    if (store_open(f->path, &s, &err) < 0 || put_second_image(s, &err) < 0)
      _exit(2);
    raise(SIGKILL); /* no close: only what the commit made durable counts */
    _exit(3);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  store *s = NULL;
  crio_err *err = NULL;
  OK(store_open(f->path, &s, &err));
  OK(store_integrity_check(s, &err));
  _cleanup_store_image_ store_image *b = NULL;
  OK(store_image_get_by_name(s, "app:latest", &b, &err));
  _cleanup_free_ char *img2 = hex_id('e', 2);
  assert_string_equal(b->id, img2);
  assert_int_equal(b->n_layers, 3);
  assert_int_equal(b->layers[0].refcount, 2);
  store_close(s);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_threads_share_one_handle),
    T(test_threads_own_handles),
    T(test_processes_own_handles),
    T(test_crash_image_put_after_image_row),
    T(test_crash_image_put_after_first_layer),
    T(test_crash_image_put_after_layers),
    T(test_crash_image_put_after_names),
    T(test_crash_image_put_before_commit),
    T(test_kill_from_outside_during_image_put),
    T(test_crash_image_delete),
    T(test_crash_between_state_and_event),
    T(test_kill_after_commit_keeps_image),
  };
  return cmocka_run_group_tests_name("store_crash", tests, NULL, NULL);
}
