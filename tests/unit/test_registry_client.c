/* The registry client (server/image/registry_*.c), pull side: manifests
 * by tag and digest, indexes, blobs streamed or read whole, the faults a
 * registry or a network may throw at a download (tests/fixtures/
 * fault_registry.py), concurrent fetches, and the parsers and argument
 * checks underneath. Pushes are in test_registry_push.c, TLS and
 * authentication in test_registry_auth.c; the registries they run against
 * are set up by registry_test_util.h. */
#include "registry_test_util.h"

/* ------------------------------------------------------------- manifests */

static void test_manifest_by_tag_and_digest(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  _cleanup_free_ char *body = NULL;
  _cleanup_free_ char *mt = NULL;
  _cleanup_free_ char *digest = NULL;
  size_t len = 0;
  OK(registry_get_manifest(c, "busybox", "latest", NULL, &body, &len, &mt, &digest, &err));
  assert_string_equal(mt, MT_OCI_MANIFEST);
  assert_string_equal(digest, built("busybox", "digest"));
  assert_int_equal(strlen(body), len);
  json_t *m = json_loadb(body, len, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
                      built("busybox", "config"));
  json_decref(m);

  _cleanup_free_ char *body2 = NULL;
  _cleanup_free_ char *digest2 = NULL;
  OK(registry_get_manifest(c, "busybox", digest, NULL, &body2, NULL, NULL, &digest2, &err));
  assert_string_equal(body2, body);
  assert_string_equal(digest2, digest);
  registry_client_free(c);
}

static void test_manifest_index(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  _cleanup_free_ char *body = NULL;
  _cleanup_free_ char *mt = NULL;
  _cleanup_free_ char *digest = NULL;
  OK(registry_get_manifest(c, "busybox-multiarch", "latest", NULL, &body, NULL, &mt, &digest,
                           &err));
  assert_string_equal(mt, MT_OCI_INDEX);
  assert_string_equal(digest, built("busybox-multiarch", "digest"));
  const char *arm64 = json_string_value(json_object_get(
      json_object_get(json_object_get(E.built, "busybox-multiarch"), "manifests"),
      "linux/arm64"));
  _cleanup_free_ char *mt2 = NULL;
  _cleanup_free_ char *digest2 = NULL;
  OK(registry_get_manifest(c, "busybox-multiarch", arm64, NULL, NULL, NULL, &mt2, &digest2,
                           &err));
  assert_string_equal(mt2, MT_OCI_MANIFEST);
  assert_string_equal(digest2, arm64);
  registry_client_free(c);
}

static void test_manifest_not_found(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  _cleanup_free_ char *want = xasprintf("manifest for %s/busybox:nope not found", E.plain);
  FAILS(registry_get_manifest(c, "busybox", "nope", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_NOT_FOUND, want);
  _cleanup_free_ char *want2 = xasprintf("manifest for %s/no/such:latest not found", E.plain);
  FAILS(registry_get_manifest(c, "no/such", "latest", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_NOT_FOUND, want2);
  registry_client_free(c);
}

static void test_manifest_faults(void **state)
{
  registry_client *c = client_for(E.fault, true, NULL, NULL, NULL);
  crio_err *err = NULL;
  FAILS(registry_get_manifest(c, "huge", "latest", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_TOO_LARGE, "larger than 4194304 bytes");
  FAILS(registry_get_manifest(c, "liar", "latest", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_INVALID, "digest mismatch");
  registry_client_free(c);
}

/* ----------------------------------------------------------------- blobs */

static void test_blob_streamed(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  const char *layer = built_layer("busybox", 0);
  collect col = { STRBUF_INIT };
  uint64_t size = 0;
  OK(registry_get_blob(c, "busybox", layer, collect_write, &col, &size, &err));
  json_int_t want = json_integer_value(
      json_array_get(json_object_get(json_object_get(E.built, "busybox"), "layer_sizes"), 0));
  assert_int_equal(size, want);
  assert_int_equal(col.data.len, want);
  _cleanup_free_ char *got = reg_digest_of(NULL, col.data.data, col.data.len);
  assert_string_equal(got, layer);
  strbuf_free(&col.data);

  _cleanup_free_ char *config = NULL;
  size_t len = 0;
  OK(registry_get_blob_bytes(c, "busybox", built("busybox", "config"), 1 << 20, &config, &len,
                             &err));
  json_t *j = json_loadb(config, len, 0, NULL);
  assert_non_null(json_object_get(j, "rootfs"));
  json_decref(j);
  FAILS(registry_get_blob_bytes(c, "busybox", built("busybox", "config"), 10, &config, &len,
                                &err),
        CRIO_E_TOO_LARGE, "is larger than 10 bytes");
  registry_client_free(c);
}

static void test_blob_exists_and_not_found(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  bool exists = false;
  OK(registry_blob_exists(c, "busybox", built_layer("busybox", 0), &exists, &err));
  assert_true(exists);
  const char *missing = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
  OK(registry_blob_exists(c, "busybox", missing, &exists, &err));
  assert_false(exists);
  collect col = { STRBUF_INIT };
  _cleanup_free_ char *want = xasprintf("blob %s from %s/busybox not found", missing, E.plain);
  FAILS(registry_get_blob(c, "busybox", missing, collect_write, &col, NULL, &err),
        CRIO_E_NOT_FOUND, want);
  strbuf_free(&col.data);
  registry_client_free(c);
}

static void test_blob_digest_mismatch(void **state)
{
  registry_client *c = client_for(E.fault, true, NULL, NULL, NULL);
  crio_err *err = NULL;
  collect col = { STRBUF_INIT };
  _cleanup_free_ char *bad = reg_digest_of(NULL, "not what you asked for", 22);
  _cleanup_free_ char *want = xasprintf("blob %s from %s/bad: digest mismatch (got %s)",
                                        E.good_digest, E.fault, bad);
  FAILS(registry_get_blob(c, "bad", E.good_digest, collect_write, &col, NULL, &err),
        CRIO_E_INVALID, want);
  strbuf_free(&col.data);
  registry_client_free(c);
}

static void test_blob_retry_resume_redirect(void **state)
{
  registry_client *c = client_for(E.fault, true, "u", "p", NULL);
  crio_err *err = NULL;
  const char *repos[] = { "flaky", "cut", "redir" };  /* 503 once; cut midway; to storage */
  for (size_t i = 0; i < ARRAY_SIZE(repos); i++) {
    collect col = { STRBUF_INIT };
    uint64_t size = 0;
    OK(registry_get_blob(c, repos[i], E.good_digest, collect_write, &col, &size, &err));
    assert_int_equal(size, 28000);
    assert_int_equal(col.data.len, 28000);
    strbuf_free(&col.data);
  }
  collect col = { STRBUF_INIT };
  FAILS(registry_get_blob(c, "down", E.good_digest, collect_write, &col, NULL, &err),
        CRIO_E_UNAVAILABLE, "HTTP 503 from");
  strbuf_free(&col.data);
  registry_client_free(c);
}

static int sink_refuses(const void *buf, size_t n, void *ud)
{
  return -CRIO_E_IO;
}

static void test_sink_abort(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  FAILS(registry_get_blob(c, "busybox", built_layer("busybox", 0), sink_refuses, NULL, NULL,
                          &err),
        CRIO_E_IO, "aborted by its consumer");
  registry_client_free(c);
}

typedef struct fetch_job {
  registry_client *c;
  const char *digest;
  int rc;
} fetch_job;

static void *fetch_thread(void *ud)
{
  fetch_job *j = ud;
  collect col = { STRBUF_INIT };
  crio_err *err = NULL;
  for (int i = 0; i < 3 && j->rc == 0; i++)
    j->rc = registry_get_blob(j->c, "busybox", j->digest, collect_write, &col, NULL, &err);
  strbuf_free(&col.data);
  crio_err_free(err);
  return NULL;
}

static void test_concurrent_fetches(void **state)
{
  registry_client *c = plain_client();
  fetch_job jobs[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (fetch_job) { c, i % 2 ? built("busybox", "config") : built_layer("busybox", 0), 0 };
    pthread_create(&t[i], NULL, fetch_thread, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(jobs[i].rc, 0);
  }
  registry_client_free(c);
}

/* ------------------------------------------------------------ unit parts */

static void expect_challenge(const char *header, const char *scheme, const char *realm,
                             const char *service, const char *scope)
{
  reg_challenge ch;
  int r = reg_challenge_parse(header, &ch);
  if (!scheme) {
    assert_int_equal(r, -1);
    return;
  }
  assert_int_equal(r, 0);
  assert_string_equal(ch.scheme, scheme);
  if (realm)
    assert_string_equal(ch.realm, realm);
  if (service)
    assert_string_equal(ch.service, service);
  else
    assert_null(ch.service);
  if (scope)
    assert_string_equal(ch.scope, scope);
  else
    assert_null(ch.scope);
  reg_challenge_clear(&ch);
}

static void test_challenge_parse(void **state)
{
  expect_challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                   "scope=\"repository:samalba/my-app:pull,push\"",
                   "bearer", "https://auth.docker.io/token", "registry.docker.io",
                   "repository:samalba/my-app:pull,push");
  expect_challenge("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL);
  expect_challenge("basic realm=x, BEARER Realm = \"https://a/t?x=1\" , Service=s",
                   "bearer", "https://a/t?x=1", "s", NULL);
  expect_challenge("Bearer realm=\"a \\\"quoted\\\" realm\",scope=\"x,y\"", "bearer",
                   "a \"quoted\" realm", NULL, "x,y");
  expect_challenge("Negotiate abc==, Basic realm=\"r\"", "basic", "r", NULL, NULL);
  expect_challenge("Bearer service=\"no realm\"", NULL, NULL, NULL, NULL);
  expect_challenge("Negotiate", NULL, NULL, NULL, NULL);
  expect_challenge("", NULL, NULL, NULL, NULL);
}

static void test_invalid_arguments(void **state)
{
  crio_err *err = NULL;
  registry_opts o = { .host = "https://quay.io" };
  registry_client *c = NULL;
  FAILS(registry_client_new(&o, &c, &err), CRIO_E_INVALID, "invalid registry host");
  c = plain_client();
  FAILS(registry_get_manifest(c, "BusyBox", "latest", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_INVALID, "invalid repository name \"BusyBox\"");
  FAILS(registry_get_manifest(c, "busybox", "a/b", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_INVALID, "invalid tag \"a/b\"");
  FAILS(registry_get_manifest(c, "busybox", "sha256:abc", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_INVALID, "invalid digest \"sha256:abc\"");
  bool exists;
  FAILS(registry_blob_exists(c, "a//b", E.good_digest, &exists, &err), CRIO_E_INVALID,
        "invalid repository name");
  registry_client_free(c);
}

static void test_certs_dir_client_pair(void **state)
{
  crio_err *err = NULL;
  _cleanup_free_ char *dir = path_join(E.dir, "pair.d/reg.example:5000");
  OK(mkdir_p(dir, 0700, &err));
  _cleanup_free_ char *cert = path_join(dir, "client.cert");
  OK(write_file_atomic(cert, "x", 1, 0600, &err));
  _cleanup_free_ char *certs = path_join(E.dir, "pair.d");
  registry_opts o = { .host = "reg.example:5000", .certs_dir = certs };
  registry_client *c = NULL;
  FAILS(registry_client_new(&o, &c, &err), CRIO_E_INVALID, "client.key for");
  _cleanup_free_ char *key = path_join(dir, "client.key");
  OK(write_file_atomic(key, "y", 1, 0600, &err));
  OK(registry_client_new(&o, &c, &err));
  assert_string_equal(registry_client_host(c), "reg.example:5000");
  registry_client_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_challenge_parse),
    cmocka_unit_test(test_invalid_arguments),
    cmocka_unit_test(test_certs_dir_client_pair),
    cmocka_unit_test(test_manifest_by_tag_and_digest),
    cmocka_unit_test(test_manifest_index),
    cmocka_unit_test(test_manifest_not_found),
    cmocka_unit_test(test_manifest_faults),
    cmocka_unit_test(test_blob_streamed),
    cmocka_unit_test(test_blob_exists_and_not_found),
    cmocka_unit_test(test_blob_digest_mismatch),
    cmocka_unit_test(test_blob_retry_resume_redirect),
    cmocka_unit_test(test_sink_abort),
    cmocka_unit_test(test_concurrent_fetches),
  };
  return cmocka_run_group_tests_name("registry_client", tests, group_setup, group_teardown);
}
