/* Container rootfs on overlayfs: the multilayer fixture's layers extracted
 * and mounted show whiteouts and opaque directories applied, owners, modes,
 * links and xattrs kept; writes land in the container's upper directory;
 * remove leaves nothing mounted and nothing on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/layer_extract.h"
#include "server/image/layer_store.h"
#include "server/image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

typedef struct fixture {
  char *tmp;
  char *overlay_root;
  char *lower[8];   /* top first */
  size_t n_lower;
} fixture;

static char *fixture_layout(void)
{
  const char *src = getenv("CRIO_SOURCE_DIR");
  const char *cache = getenv("CRIO_TEST_CACHE");
  _cleanup_free_ char *out = xasprintf("%s/oci", cache ? cache : "/tmp/crio-test-cache");
  _cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s/tests/fixtures/build_images.py %s >/dev/null",
                                       src ? src : ".", out);
  assert_int_equal(system(cmd), 0);
  return xasprintf("%s/multilayer", out);
}

static json_t *load_blob(const char *layout, const char *digest)
{
  _cleanup_free_ char *path = xasprintf("%s/blobs/sha256/%s", layout, strchr(digest, ':') + 1);
  json_t *j = json_load_file(path, 0, NULL);
  assert_non_null(j);
  return j;
}

static int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  f->tmp = xstrdup("/tmp/test_rootfs_XXXXXX");
  assert_non_null(mkdtemp(f->tmp));
  f->overlay_root = path_join(f->tmp, "overlay");
  crio_err *err = NULL;
  assert_int_equal(layer_store_init(f->overlay_root, &err), 0);
  _cleanup_free_ char *layout = fixture_layout();
  _cleanup_free_ char *index_path = path_join(layout, "index.json");
  json_t *index = json_load_file(index_path, 0, NULL);
  const char *mdigest = json_string_value(json_object_get(json_array_get(json_object_get(index, "manifests"), 0), "digest"));
  json_t *manifest = load_blob(layout, mdigest);
  json_t *layers = json_object_get(manifest, "layers");
  f->n_lower = json_array_size(layers);
  assert_true(f->n_lower >= 2 && f->n_lower <= 8);
  for (size_t i = 0; i < f->n_lower; i++) {
    const char *d = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
    _cleanup_free_ char *blob = xasprintf("%s/blobs/sha256/%s", layout, strchr(d, ':') + 1);
    char *diff = xasprintf("%s/l%zu", f->tmp, i);
    assert_int_equal(mkdir(diff, 0755), 0);
    layer_stats st = { 0 };
    assert_int_equal(layer_extract_file(blob, diff, &st, &err), 0);
    layer_stats_clear(&st);
    f->lower[f->n_lower - 1 - i] = diff;   /* top first */
  }
  json_decref(manifest);
  json_decref(index);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  rootfs_remove(f->overlay_root, "ctr", NULL);
  rm_rf_at(f->tmp, NULL);
  for (size_t i = 0; i < f->n_lower; i++)
    free(f->lower[i]);
  free(f->overlay_root);
  free(f->tmp);
  free(f);
  return 0;
}

static void assert_content(const char *root, const char *rel, const char *want)
{
  _cleanup_free_ char *p = path_join(root, rel);
  _cleanup_free_ char *got = NULL;
  crio_err *err = NULL;
  assert_int_equal(read_file(p, &got, NULL, &err), 0);
  assert_string_equal(got, want);
}

static void assert_absent(const char *root, const char *rel)
{
  _cleanup_free_ char *p = path_join(root, rel);
  struct stat st;
  assert_int_equal(lstat(p, &st), -1);
}

static void test_mounted_rootfs_applies_whiteouts(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  _cleanup_free_ char *merged = NULL;
  assert_int_equal(rootfs_create(f->overlay_root, "ctr", f->lower, f->n_lower, &merged, &err), 0);
  assert_true(overlay_is_mounted(merged));
  assert_content(merged, "data/keep.txt", "keep\n");
  assert_content(merged, "data/change.txt", "version 2\n");
  assert_content(merged, "opaque/new.txt", "new content\n");
  assert_absent(merged, "data/remove-me.txt");
  assert_absent(merged, "etc/motd");
  assert_absent(merged, "opaque/old1.txt");
  assert_absent(merged, "opaque/sub");
  assert_true(access(merged, F_OK) == 0);
  _cleanup_free_ char *busybox = path_join(merged, "bin/busybox");
  assert_int_equal(access(busybox, X_OK), 0);
  struct stat st, st2;
  _cleanup_free_ char *owned = path_join(merged, "data/owned.txt");
  assert_int_equal(stat(owned, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);
  assert_int_equal(st.st_uid, 1000);
  assert_int_equal(st.st_gid, 1000);
  _cleanup_free_ char *link = path_join(merged, "data/symlink");
  char target[64] = "";
  assert_int_equal(readlink(link, target, sizeof target - 1), 8);
  assert_string_equal(target, "keep.txt");
  _cleanup_free_ char *h1 = path_join(merged, "data/hardlink.txt");
  _cleanup_free_ char *h2 = path_join(merged, "data/hardlink-target.txt");
  assert_int_equal(stat(h1, &st), 0);
  assert_int_equal(stat(h2, &st2), 0);
  assert_int_equal(st.st_ino, st2.st_ino);
  _cleanup_free_ char *xf = path_join(merged, "data/xattr.txt");
  char val[16] = "";
  assert_int_equal(getxattr(xf, "user.test", val, sizeof val - 1), 5);
  assert_string_equal(val, "hello");
}

static void test_writes_land_in_upper_and_remove_cleans(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  _cleanup_free_ char *merged = NULL;
  assert_int_equal(rootfs_create(f->overlay_root, "ctr", f->lower, f->n_lower, &merged, &err), 0);
  _cleanup_free_ char *file = path_join(merged, "data/written.txt");
  assert_int_equal(write_file_atomic(file, "w\n", 2, 0644, &err), 0);
  _cleanup_free_ char *upper = rootfs_upper_dir(f->overlay_root, "ctr");
  assert_content(upper, "data/written.txt", "w\n");
  /* the image's layers are untouched */
  for (size_t i = 0; i < f->n_lower; i++)
    assert_absent(f->lower[i], "data/written.txt");
  /* a second create of the same container is refused */
  assert_true(rootfs_create(f->overlay_root, "ctr", f->lower, f->n_lower, NULL, &err) < 0);
  assert_int_equal(err->code, CRIO_E_EXISTS);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(rootfs_remove(f->overlay_root, "ctr", &err), 0);
  assert_false(overlay_is_mounted(merged));
  _cleanup_free_ char *dir = xasprintf("%s/containers/ctr", f->overlay_root);
  assert_int_equal(access(dir, F_OK), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_mounted_rootfs_applies_whiteouts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_writes_land_in_upper_and_remove_cleans, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
