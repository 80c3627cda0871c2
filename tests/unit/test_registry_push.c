/* The registry client (server/image/registry_*.c), push side: blobs
 * uploaded whole and in chunks, refused digests, manifests put by tag and
 * by digest, against the plain registry of registry_test_util.h. */
#include "registry_test_util.h"

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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_push_blobs),
    cmocka_unit_test(test_put_manifest),
  };
  return cmocka_run_group_tests_name("registry_push", tests, group_setup, group_teardown);
}
