/* Unit tests for rm_rf_at (server/image/fsutil.c): deep and read-only
 * trees, symlinks left alone, mount points refused. Needs root. */
#include "layer_test_util.h"

/* --------------------------------------------------------------- rm_rf_at */

static void touch(const char *dir, const char *name)
{
  _cleanup_free_ char *p = path_join(dir, name);
  assert_int_equal(write_file_atomic(p, "x", 1, 0644, NULL), 0);
}

static void test_rm_rf_at(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *keep = path_join(f->root, "keep");
  _cleanup_free_ char *keepdir = path_join(f->root, "keepdir");
  _cleanup_free_ char *tree = path_join(f->root, "tree");
  _cleanup_free_ char *ro = path_join(tree, "a/ro");
  assert_int_equal(mkdir_p(keepdir, 0755, NULL), 0);
  touch(keepdir, "file");
  touch(f->root, "keep");
  assert_int_equal(mkdir_p(ro, 0755, NULL), 0);
  touch(ro, "f");
  touch(tree, "top");
  assert_int_equal(chmod(ro, 0555), 0);
  _cleanup_free_ char *l1 = path_join(tree, "a/link"), *l2 = path_join(tree, "dirlink");
  assert_int_equal(symlink(keep, l1), 0);
  assert_int_equal(symlink(keepdir, l2), 0);
  /* deeper than descriptors could be held for */
  int fd = open(tree, O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 3000; i++) {
    assert_int_equal(mkdirat(fd, "d", 0500), 0);
    int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
    close(fd);
    fd = next;
  }
  close(fd);

  crio_err *err = NULL;
  if (rm_rf_at(tree, &err) < 0)
    fail_msg("%s", err->message);
  assert_false(exists(tree));
  assert_true(exists(keep));
  _cleanup_free_ char *kf = path_join(keepdir, "file");
  assert_true(exists(kf));
  assert_int_equal(rm_rf_at(tree, NULL), 0);  /* missing: nothing to do */

  /* a symlink given as the path is removed itself */
  assert_int_equal(symlink(keepdir, tree), 0);
  assert_int_equal(rm_rf_at(tree, NULL), 0);
  assert_false(exists(tree));
  assert_true(exists(kf));
}

static void test_rm_rf_at_refuses_mount_points(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *tree = path_join(f->root, "merged");  /* teardown unmounts it */
  _cleanup_free_ char *mnt = path_join(tree, "mnt");
  assert_int_equal(mkdir_p(mnt, 0755, NULL), 0);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0)
    skip();
  touch(mnt, "precious");
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(rm_rf_at(tree, &err), -CRIO_E_BUSY);
  assert_non_null(strstr(err->message, "mount point"));
  _cleanup_free_ char *precious = path_join(mnt, "precious");
  assert_true(exists(precious));
  assert_int_equal(umount2(mnt, 0), 0);
  assert_int_equal(rm_rf_at(tree, NULL), 0);
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_rm_rf needs root (read-only trees, tmpfs mounts)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_rm_rf_at),
    T(test_rm_rf_at_refuses_mount_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
