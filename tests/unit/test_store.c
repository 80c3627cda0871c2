/* store: opening and migrations, pods, containers, the event log. Images,
 * layers and tags are in test_store_images.c; concurrency and crash tests
 * in test_store_crash.c. */
#include "store_test_util.h"

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
  char **ids = NULL;
  size_t n_ids = 0;
  OK(store_container_ids_of_pod(f->s, p1, &ids, &n_ids, &err));
  assert_int_equal(n_ids, 2);
  assert_string_equal(ids[0], in_p1.items[0].id);
  assert_string_equal(ids[1], in_p1.items[1].id);
  for (size_t i = 0; i < n_ids; i++)
    free(ids[i]);
  free(ids);
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

typedef struct heard {
  int calls;
  int64_t seq;
} heard;

static void listen(int64_t seq, void *data)
{
  heard *h = data;
  h->calls++;
  h->seq = seq;
}

/* Told once per commit that appended events, with the newest; never of a
 * change rolled back, nor of one without an event. */
static void test_event_listener(void **state)
{
  fixture *f = *state;
  heard h = { 0 };
  store_set_event_listener(f->s, listen, &h);
  _cleanup_free_ char *id = hex_id('b', 7);
  store_pod in = { .id = id, .name = "heard", .state = STORE_POD_READY };
  store_event created = { .action = "create" };
  crio_err *err = NULL;
  OK(store_pod_put(f->s, &in, &created, &err));
  assert_int_equal(h.calls, 1);
  assert_int_equal(h.seq, created.seq);
  assert_int_not_equal(store_pod_put(f->s, &in, &created, &err), 0); /* a conflict */
  crio_err_free(err);
  err = NULL;
  assert_int_equal(h.calls, 1);
  OK(store_pod_update_network(f->s, id, "/run/ns/2", "[]", NULL, &err));
  assert_int_equal(h.calls, 1);
  store_event stopped = { .action = "stop" };
  OK(store_pod_update_state(f->s, id, STORE_POD_NOTREADY, &stopped, &err));
  assert_int_equal(h.calls, 2);
  assert_int_equal(h.seq, stopped.seq);
  store_set_event_listener(f->s, NULL, NULL);
  store_event again = { .type = STORE_EVENT_POD, .action = "note", .object_id = id };
  OK(store_event_append(f->s, &again, &err));
  assert_int_equal(h.calls, 2);
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
    T(test_event_listener),
    T(test_pod_list_filters),
    T(test_pod_lookup),
    T(test_pod_delete_refused_while_referenced),
    T(test_container_round_trip),
    T(test_container_put_errors),
    T(test_container_set_state),
    T(test_container_list_update_delete),
    T(test_event_log_order_and_limit),
    T(test_event_log_is_append_only),
  };
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
