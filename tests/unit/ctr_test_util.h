/* Shared by the tests that run real containers (conmon + runc on the busybox
 * fixture's rootfs): a temp directory with the extracted rootfs, exit and
 * socket directories and a runc root, a test cgroup parent, the binaries;
 * writing a bundle's config.json; tearing it all down. Each test program
 * includes this header on its own, so everything here is static. Needs root. */
#ifndef CRIO_TEST_CTR_TEST_UTIL_H
#define CRIO_TEST_CTR_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/layer_extract.h"
#include "server/runtime/oci_runtime.h"
#include "server/runtime/oci_spec.h"
#include "server/runtime/runtime_probe.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define NEED_ROOT()                                                          \
  do {                                                                       \
    if (geteuid() != 0) {                                                    \
      print_message("skipped: conmon and runc need root (CAP_SYS_ADMIN)\n"); \
      skip();                                                                \
    }                                                                        \
  } while (0)

typedef struct ctr_test_env {
  char *tmp;
  char *rootfs;
  char *exits;
  char *sockets;
  char *cgroup_parent;   /* "/crio-c-test-<pid>" */
  char *runc;
  char *conmon;
  oci_runtime rt;        /* .root owned: TMP/runc */
} ctr_test_env;

static inline __attribute__((unused)) int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The busybox fixture image's (only) layer blob, built if needed. */
static inline char *busybox_layer(void)
{
  const char *src = getenv("CRIO_SOURCE_DIR");
  const char *cache = getenv("CRIO_TEST_CACHE");
  _cleanup_free_ char *out = xasprintf("%s/oci", cache ? cache : "/tmp/crio-test-cache");
  _cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s/tests/fixtures/build_images.py %s >/dev/null",
                                       src ? src : ".", out);
  assert_int_equal(system(cmd), 0);
  _cleanup_free_ char *index_path = xasprintf("%s/busybox/index.json", out);
  json_t *index = json_load_file(index_path, 0, NULL);
  assert_non_null(index);
  const char *md = json_string_value(json_object_get(json_array_get(json_object_get(index, "manifests"), 0), "digest"));
  _cleanup_free_ char *mpath = xasprintf("%s/busybox/blobs/sha256/%s", out, strchr(md, ':') + 1);
  json_t *manifest = json_load_file(mpath, 0, NULL);
  assert_non_null(manifest);
  const char *ld = json_string_value(json_object_get(json_array_get(json_object_get(manifest, "layers"), 0), "digest"));
  char *blob = xasprintf("%s/busybox/blobs/sha256/%s", out, strchr(ld, ':') + 1);
  json_decref(manifest);
  json_decref(index);
  return blob;
}

/* mkdtemp(tmpl) with rootfs (busybox extracted), exits, s (sockets) and runc
 * (the runtime's root) in it; the cgroup parent; runc and conmon found. */
static inline void ctr_test_env_setup(ctr_test_env *e, const char *tmpl)
{
  e->tmp = xstrdup(tmpl);
  assert_non_null(mkdtemp(e->tmp));
  e->rootfs = path_join(e->tmp, "rootfs");
  e->exits = path_join(e->tmp, "exits");
  e->sockets = path_join(e->tmp, "s");
  char *runc_root = path_join(e->tmp, "runc");
  const char *dirs[] = { e->rootfs, e->exits, e->sockets, runc_root };
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
    assert_int_equal(mkdir(dirs[i], 0700), 0);
  _cleanup_free_ char *blob = busybox_layer();
  crio_err *err = NULL;
  if (layer_extract_file(blob, e->rootfs, NULL, &err) < 0)
    fail_msg("extract busybox: %s", err->message);
  e->cgroup_parent = xasprintf("/crio-c-test-%d", (int) getpid());
  e->runc = runtime_find_binary(NULL, "runc");
  e->conmon = runtime_find_binary(NULL, "conmon");
  assert_non_null(e->runc);
  assert_non_null(e->conmon);
  e->rt = (oci_runtime){ .path = e->runc, .root = runc_root };
}

/* rmdir the test's cgroup parent (and anything runc left under it) in every
 * v1 hierarchy and the unified one. */
static inline void ctr_test_remove_cgroups(const ctr_test_env *e)
{
  _cleanup_closedir_ DIR *d = opendir("/sys/fs/cgroup");
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    _cleanup_free_ char *parent = xasprintf("/sys/fs/cgroup/%s%s", de->d_name, e->cgroup_parent);
    _cleanup_closedir_ DIR *p = opendir(parent);
    struct dirent *ce;
    while (p && (ce = readdir(p))) {
      _cleanup_free_ char *child = path_join(parent, ce->d_name);
      struct stat st;
      if (ce->d_name[0] != '.' && lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
        rmdir(child);
    }
    if (rmdir(parent) < 0 && errno != ENOENT)
      print_error("rmdir %s: %s\n", parent, strerror(errno));
  }
}

/* Removes the cgroups and the temp directory, frees the environment. */
static inline void ctr_test_env_teardown(ctr_test_env *e)
{
  ctr_test_remove_cgroups(e);
  rm_rf_at(e->tmp, NULL);
  char *owned[] = { e->tmp, e->rootfs, e->exits, e->sockets, e->cgroup_parent, e->runc,
                    e->conmon, (char *) e->rt.root };
  for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
    free(owned[i]);
  *e = (ctr_test_env){ 0 };
}

/* Generates the spec for in and writes it as BUNDLE/config.json. */
static inline void ctr_test_write_config(const char *bundle, const oci_spec_input *in)
{
  _cleanup_free_ char *json = NULL;
  crio_err *err = NULL;
  if (oci_spec_generate(in, &json, &err) < 0)
    fail_msg("spec: %s", err->message);
  _cleanup_free_ char *config = path_join(bundle, "config.json");
  assert_int_equal(write_file_atomic(config, json, strlen(json), 0600, NULL), 0);
}

#endif
