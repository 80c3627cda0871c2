/* The registry client (server/image/registry_*.c) and transport security:
 * HTTPS trusted through a certs.d CA, Basic auth from credentials or an
 * auth file, token auth with its tokens cached, plain HTTP refused unless
 * insecure, unreachable hosts; against the registries of
 * registry_test_util.h. */
#include "registry_test_util.h"

/* ------------------------------------------------------------ TLS + auth */

static void test_tls_basic_auth(void **state)
{
  crio_err *err = NULL;
  registry_client *c = client_for(E.tls, false, "alice", "secret", E.tls_certs);
  OK(registry_ping(c, &err));
  _cleanup_free_ char *digest = NULL;
  _cleanup_free_ char *path = write_random_file("tls.bin", 5000, &digest);
  OK(registry_put_blob(c, "secured/blob", digest, path, 0, &err));
  bool exists = false;
  OK(registry_blob_exists(c, "secured/blob", digest, &exists, &err));
  assert_true(exists);
  registry_client_free(c);

  _cleanup_free_ char *want = xasprintf("authentication to %s failed", E.tls);
  c = client_for(E.tls, false, "alice", "wrong", E.tls_certs);
  FAILS(registry_ping(c, &err), CRIO_E_UNAUTHORIZED, want);
  FAILS(registry_blob_exists(c, "secured/blob", digest, &exists, &err), CRIO_E_UNAUTHORIZED,
        want);
  registry_client_free(c);

  c = client_for(E.tls, false, NULL, NULL, E.tls_certs);
  FAILS(registry_ping(c, &err), CRIO_E_UNAUTHORIZED, "requires credentials");
  registry_client_free(c);
}

static void test_tls_auth_file(void **state)
{
  crio_err *err = NULL;
  _cleanup_free_ char *auth = path_join(E.dir, "auth/auth.json");
  _cleanup_free_ char *ns = xasprintf("%s/team", E.tls);
  OK(auth_file_set(auth, E.tls, "alice", "wrong", &err));
  OK(auth_file_set(auth, ns, "alice", "secret", &err));
  registry_opts o = { .host = E.tls, .auth_file = auth, .certs_dir = E.tls_certs };
  registry_client *c = NULL;
  OK(registry_client_new(&o, &c, &err));
  bool exists = true;
  /* team/app gets the namespace's (right) credentials, the host the wrong ones. */
  const char *missing = "sha256:0000000000000000000000000000000000000000000000000000000000000002";
  OK(registry_blob_exists(c, "team/app", missing, &exists, &err));
  assert_false(exists);
  registry_client_free(c);
  OK(registry_client_new(&o, &c, &err));
  FAILS(registry_blob_exists(c, "other", missing, &exists, &err), CRIO_E_UNAUTHORIZED,
        "authentication to");
  registry_client_free(c);
}

static void test_tls_trust(void **state)
{
  crio_err *err = NULL;
  registry_client *c = client_for(E.tls, false, "alice", "secret", NULL);
  FAILS(registry_ping(c, &err), CRIO_E_UNAVAILABLE, "is not trusted");
  registry_client_free(c);
  c = client_for(E.tls, true, "alice", "secret", NULL);  /* insecure: unverified HTTPS */
  OK(registry_ping(c, &err));
  registry_client_free(c);
}

static void test_plain_http_refused(void **state)
{
  crio_err *err = NULL;
  registry_client *c = client_for(E.plain, false, NULL, NULL, NULL);
  FAILS(registry_ping(c, &err), CRIO_E_UNAVAILABLE, "not marked insecure");
  FAILS(registry_get_manifest(c, "busybox", "latest", NULL, NULL, NULL, NULL, NULL, &err),
        CRIO_E_UNAVAILABLE, "TLS handshake with");
  registry_client_free(c);
}

static void test_unreachable(void **state)
{
  crio_err *err = NULL;
  registry_client *c = client_for("127.0.0.1:1", false, NULL, NULL, NULL);
  FAILS(registry_ping(c, &err), CRIO_E_UNAVAILABLE, "GET https://127.0.0.1:1/v2/: ");
  registry_client_free(c);
}

static size_t count_lines(const char *path)
{
  _cleanup_free_ char *text = NULL;
  crio_err *err = NULL;
  if (read_file(path, &text, NULL, &err) < 0) {
    crio_err_free(err);
    return 0;
  }
  size_t n = 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

static void test_token_auth(void **state)
{
  crio_err *err = NULL;
  registry_client *c = client_for(E.token, true, "bob", "hunter2", NULL);
  size_t before = count_lines(E.token_log);
  _cleanup_free_ char *digest = NULL;
  _cleanup_free_ char *path = write_random_file("token.bin", 4096, &digest);
  OK(registry_put_blob(c, "tok/app", digest, path, 1024, &err));
  size_t after_push = count_lines(E.token_log);
  assert_int_equal(after_push - before, 1);  /* one pull,push token for every request */
  bool exists = false;
  for (int i = 0; i < 3; i++)
    OK(registry_blob_exists(c, "tok/app", digest, &exists, &err));
  assert_true(exists);
  assert_int_equal(count_lines(E.token_log) - after_push, 1);  /* one pull token, cached */
  OK(registry_ping(c, &err));
  registry_client_free(c);

  c = client_for(E.token, true, "bob", "wrong", NULL);
  FAILS(registry_blob_exists(c, "tok/app", digest, &exists, &err), CRIO_E_UNAUTHORIZED,
        "authentication to");
  registry_client_free(c);
  c = client_for(E.token, true, NULL, NULL, NULL);  /* anonymous: a token without access */
  FAILS(registry_blob_exists(c, "tok/app", digest, &exists, &err), CRIO_E_UNAUTHORIZED,
        "authentication to");
  registry_client_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_tls_basic_auth),
    cmocka_unit_test(test_tls_auth_file),
    cmocka_unit_test(test_tls_trust),
    cmocka_unit_test(test_plain_http_refused),
    cmocka_unit_test(test_unreachable),
    cmocka_unit_test(test_token_auth),
  };
  return cmocka_run_group_tests_name("registry_auth", tests, group_setup, group_teardown);
}
