/* Unit test for layer extraction against tests/fixtures' multilayer image
 * (built by build_images.py): each layer's digest and DiffID, then the
 * layers mounted as overlayfs lowers give MULTILAYER_EXPECT. Needs root. */
#include "layer_test_util.h"

#include <jansson.h>

/* ------------------------------------------- the multilayer test image */

static json_t *load_json(const char *path)
{
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j)
    fail_msg("%s: %s", path, jerr.text);
  return j;
}

static char *blob_path(const char *layout, const char *digest)
{
  return xasprintf("%s/blobs/sha256/%s", layout, digest + strlen("sha256:"));
}

static json_t *load_blob(const char *layout, const char *digest)
{
  _cleanup_free_ char *p = blob_path(layout, digest);
  return load_json(p);
}

/* Each layer of tests/fixtures' multilayer image: its digest and DiffID;
 * then the layers mounted as overlayfs lowers give MULTILAYER_EXPECT. */
static int extract_fixture_layers(fx *f, const char *layout, strbuf *lowerdir)
{
  _cleanup_free_ char *index_path = path_join(layout, "index.json");
  json_t *index = load_json(index_path);
  const char *mdigest = json_string_value(json_object_get(json_array_get(
      json_object_get(index, "manifests"), 0), "digest"));
  json_t *manifest = load_blob(layout, mdigest);
  json_t *config = load_blob(layout, json_string_value(json_object_get(
      json_object_get(manifest, "config"), "digest")));
  json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  json_t *layers = json_object_get(manifest, "layers");
  assert_int_equal(json_array_size(layers), json_array_size(diff_ids));
  size_t i;
  json_t *l;
  json_array_foreach(layers, i, l) {
    const char *digest = json_string_value(json_object_get(l, "digest"));
    _cleanup_free_ char *blob = blob_path(layout, digest);
    _cleanup_free_ char *got = NULL;
    assert_int_equal(digest_file(blob, &got, NULL), 0);
    assert_string_equal(got, digest);
    _cleanup_free_ char *name = xasprintf("L%zu", i);
    _cleanup_free_ char *dir = path_join(f->root, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    layer_stats st = { 0 };
    crio_err *err = NULL;
    if (layer_extract_file(blob, dir, &st, &err) < 0)
      fail_msg("layer %zu: %s", i, err->message);
    assert_string_equal(st.diff_id, json_string_value(json_array_get(diff_ids, i)));
    layer_stats_clear(&st);
    _cleanup_free_ char *prev = strbuf_steal(lowerdir);
    strbuf_printf(lowerdir, "%s%s%s", dir, *prev ? ":" : "", prev);
  }
  json_decref(index);
  json_decref(manifest);
  json_decref(config);
  return 0;
}

static void check_merged(const char *merged, json_t *expect)
{
  const char *rel;
  json_t *v;
  json_object_foreach(json_object_get(expect, "files"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel), *got = NULL;
    if (read_file(p, &got, NULL, NULL) < 0)
      fail_msg("%s is missing", rel);
    assert_string_equal(got, json_string_value(v));
  }
  json_object_foreach(json_object_get(expect, "symlinks"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    char buf[256] = { 0 };
    assert_true(readlink(p, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, json_string_value(v));
  }
  json_object_foreach(json_object_get(expect, "hardlinks"), rel, v) {
    _cleanup_free_ char *a = path_join(merged, rel), *b = path_join(merged, json_string_value(v));
    struct stat sa, sb;
    assert_int_equal(lstat(a, &sa), 0);
    assert_int_equal(lstat(b, &sb), 0);
    assert_int_equal(sa.st_ino, sb.st_ino);
  }
  json_object_foreach(json_object_get(expect, "modes"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    struct stat s;
    assert_int_equal(lstat(p, &s), 0);
    assert_int_equal(s.st_mode & 07777, json_integer_value(json_array_get(v, 0)));
    assert_int_equal(s.st_uid, json_integer_value(json_array_get(v, 1)));
    assert_int_equal(s.st_gid, json_integer_value(json_array_get(v, 2)));
  }
  json_object_foreach(json_object_get(expect, "xattrs"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    const char *name;
    json_t *value;
    json_object_foreach(v, name, value) {
      _cleanup_free_ char *got = xattr_get(p, name);
      assert_non_null(got);
      assert_string_equal(got, json_string_value(value));
    }
  }
  size_t i;
  json_array_foreach(json_object_get(expect, "absent"), i, v) {
    _cleanup_free_ char *p = path_join(merged, json_string_value(v));
    if (exists(p))
      fail_msg("%s should be hidden", json_string_value(v));
  }
}

static void test_multilayer_fixture(void **state)
{
  fx *f = *state;
  const char *src = getenv("CRIO_SOURCE_DIR");
  const char *cache = getenv("CRIO_TEST_CACHE") ? getenv("CRIO_TEST_CACHE") : "/tmp/crio-test-cache";
  if (!src)
    skip();
  _cleanup_free_ char *fixtures = path_join(src, "tests/fixtures");
  _cleanup_free_ char *script = path_join(fixtures, "build_images.py");
  _cleanup_free_ char *oci = path_join(cache, "oci");
  _cleanup_free_ char *out = NULL, *expect_json = NULL;
  _cleanup_err_ crio_err *err = NULL;
  char *build[] = { "/usr/bin/python3", script, oci, NULL };
  char *expect_argv[] = { "/usr/bin/python3", "-c",
                          "import sys, json; sys.path.insert(0, sys.argv[1]); import build_images;"
                          "print(json.dumps(build_images.MULTILAYER_EXPECT))",
                          fixtures, NULL };
  if (run_capture(build, &out, &err) < 0 || run_capture(expect_argv, &expect_json, &err) < 0) {
    fprintf(stderr, "multilayer fixture unavailable: %s\n", err->message);
    skip();
  }
  _cleanup_free_ char *layout = path_join(oci, "multilayer");
  _cleanup_strbuf_ strbuf lowerdir = STRBUF_INIT;
  extract_fixture_layers(f, layout, &lowerdir);

  _cleanup_free_ char *merged = path_join(f->root, "merged");
  assert_int_equal(mkdir(merged, 0755), 0);
  _cleanup_free_ char *opts = xasprintf("lowerdir=%s", lowerdir.data);
  if (mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0) {
    fprintf(stderr, "overlay mount unavailable: %s\n", strerror(errno));
    skip();
  }
  json_t *expect = json_loads(expect_json, 0, NULL);
  assert_non_null(expect);
  check_merged(merged, expect);
  json_decref(expect);
  assert_int_equal(umount2(merged, 0), 0);
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_layer_fixture needs root (chown, trusted.* xattrs, overlay mounts)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_multilayer_fixture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
