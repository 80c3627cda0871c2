/* The registry client (server/image/registry_*.c) against real
 * docker-registry instances started by tests/fixtures/registry.py: plain
 * HTTP (insecure), HTTPS + htpasswd Basic auth with a certs.d CA, and token
 * auth through tests/fixtures/token_server.py. Faults a real registry does
 * not produce (wrong bytes, 503s, cut downloads, redirects to storage) come
 * from a small python http.server written by this test. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/image/auth_file.h"
#include "server/image/registry_client.h"
#include "server/image/registry_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define OK(call)                                                                     \
  do {                                                                               \
    int r_ = (call);                                                                 \
    if (r_ != 0)                                                                     \
      fail_msg("%s returned %d: %s", #call, r_, err ? err->message : "(no error)"); \
  } while (0)

/* The call fails with code and a message containing needle; err is reset. */
#define FAILS(call, code, needle)                                                        \
  do {                                                                                   \
    int r_ = (call);                                                                     \
    if (r_ != -(code) || !err || !strstr(err->message, (needle)))                        \
      fail_msg("%s: want %d \"%s\", got %d \"%s\"", #call, -(code), (needle), r_,        \
               err ? err->message : "(no error)");                                       \
    crio_err_free(err);                                                                  \
    err = NULL;                                                                          \
  } while (0)

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

extern char **environ;

static const char FAULT_PY[] =
  "import hashlib, http.server, os, socket, sys\n"
  "GOOD = b'hello from the fault server\\n' * 1000\n"
  "counts = {}\n"
  "class H(http.server.BaseHTTPRequestHandler):\n"
  "    protocol_version = 'HTTP/1.1'\n"
  "    def log_message(self, *a): pass\n"
  "    def send(self, status, body=b'', headers=()):\n"
  "        self.send_response(status)\n"
  "        for k, v in headers: self.send_header(k, v)\n"
  "        self.send_header('Content-Length', str(len(body)))\n"
  "        self.end_headers()\n"
  "        self.wfile.write(body)\n"
  "    def do_GET(self):\n"
  "        p = self.path.split('?')[0]\n"
  "        n = counts[p] = counts.get(p, 0) + 1\n"
  "        if p == '/v2/': return self.send(200, b'{}')\n"
  "        if p.startswith('/v2/bad/blobs/'): return self.send(200, b'not what you asked for')\n"
  "        if p.startswith('/v2/flaky/blobs/'):\n"
  "            if n == 1: return self.send(503, b'{\"errors\":[{\"code\":\"UNAVAILABLE\"}]}')\n"
  "            return self.send(200, GOOD)\n"
  "        if p.startswith('/v2/down/'): return self.send(503, b'{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"down\"}]}')\n"
  "        if p.startswith('/v2/cut/blobs/'):\n"
  "            if n == 1:\n"
  "                self.send_response(200)\n"
  "                self.send_header('Content-Length', str(len(GOOD)))\n"
  "                self.end_headers()\n"
  "                self.wfile.write(GOOD[:len(GOOD) // 2]); self.wfile.flush()\n"
  "                self.close_connection = True\n"
  "                self.connection.shutdown(socket.SHUT_RDWR)\n"
  "                return\n"
  "            rng = self.headers.get('Range', '')\n"
  "            if not rng.startswith('bytes='): return self.send(500, b'no Range on resume')\n"
  "            start = int(rng[6:].rstrip('-'))\n"
  "            return self.send(206, GOOD[start:], [('Content-Range', 'bytes %d-%d/%d' % (start, len(GOOD) - 1, len(GOOD)))])\n"
  "        if p.startswith('/v2/redir/blobs/'):\n"
  "            if 'Authorization' not in self.headers:\n"
  "                return self.send(401, b'', [('WWW-Authenticate', 'Basic realm=\"fault\"')])\n"
  "            port = self.server.server_address[1]\n"
  "            return self.send(307, b'', [('Location', 'http://localhost:%d/storage/blob' % port)])\n"
  "        if p == '/storage/blob':\n"
  "            if 'Authorization' in self.headers: return self.send(400, b'credentials leaked to storage')\n"
  "            return self.send(200, GOOD)\n"
  "        if p.startswith('/v2/huge/manifests/'):\n"
  "            return self.send(200, b' ' * (5 << 20), [('Content-Type', 'application/json')])\n"
  "        if p.startswith('/v2/liar/manifests/'):\n"
  "            return self.send(200, b'{\"schemaVersion\":2}', [('Docker-Content-Digest', 'sha256:' + '0' * 64)])\n"
  "        self.send(404, b'{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"nothing here\"}]}')\n"
  "    do_HEAD = do_GET\n"
  "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
  "srv.daemon_threads = True\n"
  "with open(sys.argv[1] + '.tmp', 'w') as f: f.write(str(srv.server_address[1]))\n"
  "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
  "srv.serve_forever()\n";

typedef struct env {
  char dir[64];
  char *src;          /* source tree */
  char *layouts;      /* OCI layouts of build_images.py */
  json_t *built;      /* their digests.json */
  char *plain;        /* addresses: plain HTTP, no auth */
  char *tls;          /* HTTPS + htpasswd alice:secret */
  char *token;        /* plain HTTP + token auth bob:hunter2 */
  char *tls_certs;    /* certs.d tree trusting the TLS registry */
  char *token_log;    /* the token server's requests.log */
  char *fault;        /* the fault server's address */
  pid_t fault_pid;
  char *good_digest;  /* what the fault server's good blob hashes to */
} env;

static env E;

/* --------------------------------------------------------------- helpers */

static char *source_dir(void)
{
  const char *s = getenv("CRIO_SOURCE_DIR");
  if (s && *s)
    return xstrdup(s);
  const char *f = __FILE__;  /* absolute in CMake builds */
  const char *cut = strstr(f, "/tests/unit/");
  return cut ? xstrndup(f, (size_t) (cut - f)) : xstrdup(".");
}

static char *run(const char *script, const char *a1, const char *a2, const char *a3,
                 const char *a4, const char *a5)
{
  _cleanup_free_ char *path = xasprintf("%s/tests/fixtures/%s", E.src, script);
  char *argv[] = { "/usr/bin/python3", path, (char *) a1, (char *) a2, (char *) a3,
                   (char *) a4, (char *) a5, NULL };
  char *out = NULL;
  _cleanup_err_ crio_err *err = NULL;
  if (run_capture(argv, &out, &err) < 0) {
    print_error("%s %s %s failed: %s\n", script, a1 ? a1 : "", a2 ? a2 : "", err->message);
    return NULL;
  }
  return out;
}

static char *start_registry(const char *name, const char *o1, const char *o2, const char *o3)
{
  _cleanup_free_ char *dir = path_join(E.dir, name);
  return run("registry.py", "start", dir, o1, o2, o3);
}

static int start_fault_server(void)
{
  _cleanup_free_ char *script = path_join(E.dir, "fault.py");
  _cleanup_free_ char *portfile = path_join(E.dir, "fault.port");
  _cleanup_err_ crio_err *err = NULL;
  if (write_file_atomic(script, FAULT_PY, strlen(FAULT_PY), 0644, &err) < 0)
    return -1;
  _cleanup_free_ char *log = path_join(E.dir, "fault.log");
  char *argv[] = { "/usr/bin/python3", script, portfile, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  int rc = posix_spawn(&E.fault_pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return -1;
  for (int i = 0; i < 200; i++) {
    _cleanup_free_ char *port = NULL;
    crio_err *e = NULL;
    if (read_file(portfile, &port, NULL, &e) == 0) {
      E.fault = xasprintf("127.0.0.1:%s", port);
      return 0;
    }
    crio_err_free(e);
    usleep(50 * 1000);
  }
  return -1;
}

static const char *built(const char *image, const char *field)
{
  return json_string_value(json_object_get(json_object_get(E.built, image), field));
}

static const char *built_layer(const char *image, size_t i)
{
  return json_string_value(
      json_array_get(json_object_get(json_object_get(E.built, image), "layers"), i));
}

static int setup_images(void)
{
  const char *cache = getenv("CRIO_TEST_CACHE");
  E.layouts = path_join(cache && *cache ? cache : "/tmp/crio-test-cache", "oci");
  free(run("build_images.py", E.layouts, NULL, NULL, NULL, NULL));
  _cleanup_free_ char *digests = path_join(E.layouts, "digests.json");
  E.built = json_load_file(digests, 0, NULL);
  return E.built ? 0 : -1;
}

static int group_setup(void **state)
{
  strcpy(E.dir, "/tmp/crio-test-registry-XXXXXX");
  if (!mkdtemp(E.dir))
    return -1;
  E.src = source_dir();
  if (setup_images() < 0)
    return -1;
  E.plain = start_registry("plain", NULL, NULL, NULL);
  _cleanup_free_ char *plain_dir = path_join(E.dir, "plain");
  _cleanup_free_ char *pushed =
      E.plain ? run("registry.py", "push", plain_dir, E.layouts, "busybox", "busybox-multiarch")
              : NULL;
  E.tls = start_registry("tls", "--tls", "--htpasswd", "alice:secret");
  E.tls_certs = path_join(E.dir, "tls/certs.d");
  E.token = start_registry("token", "--token", "bob:hunter2", NULL);
  E.token_log = path_join(E.dir, "token/token/requests.log");
  if (!pushed || !E.tls || !E.token || start_fault_server() < 0)
    return -1;
  strbuf good = STRBUF_INIT;
  for (int i = 0; i < 1000; i++)
    strbuf_puts(&good, "hello from the fault server\n");
  E.good_digest = reg_digest_of(NULL, good.data, good.len);
  strbuf_free(&good);
  return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static int group_teardown(void **state)
{
  const char *names[] = { "plain", "tls", "token" };
  for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
    _cleanup_free_ char *dir = path_join(E.dir, names[i]);
    free(run("registry.py", "stop", dir, NULL, NULL, NULL));
  }
  if (E.fault_pid > 0) {
    kill(E.fault_pid, SIGTERM);
    waitpid(E.fault_pid, NULL, 0);
  }
  nftw(E.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  json_decref(E.built);
  free(E.src);
  free(E.layouts);
  free(E.plain);
  free(E.tls);
  free(E.token);
  free(E.tls_certs);
  free(E.token_log);
  free(E.fault);
  free(E.good_digest);
  return 0;
}

static registry_client *client_for(const char *host, bool insecure, const char *user,
                                   const char *pass, const char *certs_dir)
{
  _cleanup_free_ char *no_auth = path_join(E.dir, "no-auth.json");
  _cleanup_free_ char *no_certs = path_join(E.dir, "no-certs.d");
  registry_opts o = { .host = host, .insecure = insecure, .username = user, .password = pass,
                      .auth_file = no_auth, .certs_dir = certs_dir ? certs_dir : no_certs };
  registry_client *c = NULL;
  crio_err *err = NULL;
  OK(registry_client_new(&o, &c, &err));
  return c;
}

static registry_client *plain_client(void)
{
  return client_for(E.plain, true, NULL, NULL, NULL);
}

/* A sink that hashes on its own, to check what the client delivered. */
typedef struct collect {
  strbuf data;
} collect;

static int collect_write(const void *buf, size_t n, void *ud)
{
  strbuf_append(&((collect *) ud)->data, buf, n);
  return 0;
}

static char *write_random_file(const char *name, size_t size, char **digest)
{
  char *path = path_join(E.dir, name);
  _cleanup_free_ char *data = xmalloc(size);
  unsigned int seed = (unsigned int) size;
  for (size_t i = 0; i < size; i++)
    data[i] = (char) rand_r(&seed);
  crio_err *err = NULL;
  OK(write_file_atomic(path, data, size, 0644, &err));
  *digest = reg_digest_of(NULL, data, size);
  return path;
}

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

/* ------------------------------------------------------------------ push */

static void test_push_blobs(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  _cleanup_free_ char *digest = NULL;
  _cleanup_free_ char *path = write_random_file("upload.bin", 300 * 1024 + 7, &digest);
  bool exists = true;
  OK(registry_blob_exists(c, "pushed/mono", digest, &exists, &err));
  assert_false(exists);
  OK(registry_put_blob(c, "pushed/mono", digest, path, 0, &err));
  OK(registry_blob_exists(c, "pushed/mono", digest, &exists, &err));
  assert_true(exists);
  OK(registry_put_blob(c, "pushed/chunked", digest, path, 64 * 1024, &err));
  OK(registry_blob_exists(c, "pushed/chunked", digest, &exists, &err));
  assert_true(exists);
  collect col = { STRBUF_INIT };
  OK(registry_get_blob(c, "pushed/chunked", digest, collect_write, &col, NULL, &err));
  assert_int_equal(col.data.len, 300 * 1024 + 7);
  strbuf_free(&col.data);

  const char *wrong = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  FAILS(registry_put_blob(c, "pushed/wrong", wrong, path, 0, &err), CRIO_E_INVALID,
        "DIGEST_INVALID");
  FAILS(registry_put_blob(c, "pushed/wrong", digest, "/nonexistent/file", 0, &err), CRIO_E_IO,
        "open /nonexistent/file for upload");
  registry_client_free(c);
}

static void test_put_manifest(void **state)
{
  registry_client *c = plain_client();
  crio_err *err = NULL;
  const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
                    "\"layers\",\"diff_ids\":[]}}";
  _cleanup_free_ char *cfg_path = path_join(E.dir, "config.json");
  OK(write_file_atomic(cfg_path, cfg, strlen(cfg), 0644, &err));
  _cleanup_free_ char *cfg_digest = reg_digest_of(NULL, cfg, strlen(cfg));
  OK(registry_put_blob(c, "pushed/image", cfg_digest, cfg_path, 0, &err));
  _cleanup_free_ char *manifest = xasprintf(
      "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
      "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
      "\"layers\":[]}",
      MT_OCI_MANIFEST, cfg_digest, strlen(cfg));
  _cleanup_free_ char *digest = NULL;
  OK(registry_put_manifest(c, "pushed/image", "v1", MT_OCI_MANIFEST, manifest, strlen(manifest),
                           &digest, &err));
  _cleanup_free_ char *want = reg_digest_of(NULL, manifest, strlen(manifest));
  assert_string_equal(digest, want);
  _cleanup_free_ char *got = NULL;
  _cleanup_free_ char *mt = NULL;
  OK(registry_get_manifest(c, "pushed/image", "v1", NULL, NULL, NULL, &mt, &got, &err));
  assert_string_equal(got, want);
  assert_string_equal(mt, MT_OCI_MANIFEST);
  OK(registry_put_manifest(c, "pushed/image", want, MT_OCI_MANIFEST, manifest, strlen(manifest),
                           NULL, &err));
  FAILS(registry_put_manifest(c, "pushed/image", built("busybox", "digest"), MT_OCI_MANIFEST,
                              manifest, strlen(manifest), NULL, &err),
        CRIO_E_INVALID, "its digest is");
  registry_client_free(c);
}

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
    cmocka_unit_test(test_push_blobs),
    cmocka_unit_test(test_put_manifest),
    cmocka_unit_test(test_tls_basic_auth),
    cmocka_unit_test(test_tls_auth_file),
    cmocka_unit_test(test_tls_trust),
    cmocka_unit_test(test_plain_http_refused),
    cmocka_unit_test(test_unreachable),
    cmocka_unit_test(test_token_auth),
  };
  return cmocka_run_group_tests_name("registry_client", tests, group_setup, group_teardown);
}
