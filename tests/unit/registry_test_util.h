/* Shared set-up for the registry client's unit tests (test_registry_*.c):
 * real docker-registry instances started by tests/fixtures/registry.py
 * (plain HTTP, insecure; HTTPS + htpasswd Basic auth with a certs.d CA;
 * token auth through tests/fixtures/token_server.py), the images of
 * build_images.py pushed to the plain one, and tests/fixtures/
 * fault_registry.py for the faults a real registry does not produce. The
 * fixtures are found through CRIO_SOURCE_DIR (set by ctest), else relative
 * to this file. Every test_*.c is its own program, so the helpers are
 * static inline here. */
#ifndef CRIO_TESTS_UNIT_REGISTRY_TEST_UTIL_H
#define CRIO_TESTS_UNIT_REGISTRY_TEST_UTIL_H

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

static inline char *source_dir(void)
{
  const char *s = getenv("CRIO_SOURCE_DIR");
  if (s && *s)
    return xstrdup(s);
  const char *f = __FILE__;  /* this header, tests/unit/: absolute in CMake builds */
  const char *cut = strstr(f, "/tests/unit/");
  return cut ? xstrndup(f, (size_t) (cut - f)) : xstrdup(".");
}

static inline char *run(const char *script, const char *a1, const char *a2, const char *a3,
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

static inline char *start_registry(const char *name, const char *o1, const char *o2,
                                   const char *o3)
{
  _cleanup_free_ char *dir = path_join(E.dir, name);
  return run("registry.py", "start", dir, o1, o2, o3);
}

static inline int start_fault_server(void)
{
  _cleanup_free_ char *script = xasprintf("%s/tests/fixtures/fault_registry.py", E.src);
  _cleanup_free_ char *portfile = path_join(E.dir, "fault.port");
  if (access(script, R_OK) < 0) {
    print_error("%s: %s\n", script, strerror(errno));
    return -1;
  }
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

static inline const char *built(const char *image, const char *field)
{
  return json_string_value(json_object_get(json_object_get(E.built, image), field));
}

static inline const char *built_layer(const char *image, size_t i)
{
  return json_string_value(
      json_array_get(json_object_get(json_object_get(E.built, image), "layers"), i));
}

static inline int setup_images(void)
{
  const char *cache = getenv("CRIO_TEST_CACHE");
  E.layouts = path_join(cache && *cache ? cache : "/tmp/crio-test-cache", "oci");
  free(run("build_images.py", E.layouts, NULL, NULL, NULL, NULL));
  _cleanup_free_ char *digests = path_join(E.layouts, "digests.json");
  E.built = json_load_file(digests, 0, NULL);
  return E.built ? 0 : -1;
}

static inline int group_setup(void **state)
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
  strbuf good = STRBUF_INIT;  /* fault_registry.py's GOOD */
  for (int i = 0; i < 1000; i++)
    strbuf_puts(&good, "hello from the fault server\n");
  E.good_digest = reg_digest_of(NULL, good.data, good.len);
  strbuf_free(&good);
  return 0;
}

static inline int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(p);
}

static inline int group_teardown(void **state)
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

static inline registry_client *client_for(const char *host, bool insecure, const char *user,
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

static inline registry_client *plain_client(void)
{
  return client_for(E.plain, true, NULL, NULL, NULL);
}

/* A sink that hashes on its own, to check what the client delivered. */
typedef struct collect {
  strbuf data;
} collect;

static inline int collect_write(const void *buf, size_t n, void *ud)
{
  strbuf_append(&((collect *) ud)->data, buf, n);
  return 0;
}

static inline char *write_random_file(const char *name, size_t size, char **digest)
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

#endif
