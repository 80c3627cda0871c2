/* store: images and layers: round trips and lookups by id, prefix, tag and
 * digest; layers shared between images and freed with the last; tags that
 * move; deletes refused while in use; pruning orphaned layers. */
#include "store_test_util.h"

/* ---- images and layers ---- */

static void test_image_round_trip_and_lookup(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *id = hex_id('e', 0xabc);
  _cleanup_free_ char *l1 = hex_id('d', 1);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  store_layer layers[] = {
    { .id = l1, .diff_id = "sha256:1111", .compressed_digest = "sha256:c1", .size = 10,
      .compressed_size = 5 },
    { .id = l2, .diff_id = "sha256:2222", .size = 20 },
  };
  char *tags[] = { "docker.io/library/busybox:latest", "localhost/bb:1" };
  char *digests[] = { "docker.io/library/busybox@sha256:ffff" };
  store_image in = { .id = id, .manifest_digest = "sha256:ffff", .repo_tags = tags,
                     .n_repo_tags = 2, .repo_digests = digests, .n_repo_digests = 1,
                     .size = 30, .created_ns = 77, .pinned = true,
                     .config = "{\"config\":{\"Cmd\":[\"sh\"]}}", .manifest = "{\"layers\":[]}",
                     .layers = layers, .n_layers = 2 };
  crio_err *err = NULL;
  store_event ev = { .action = "pull" };
  OK(store_image_put(f->s, &in, &ev, &err));
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get(f->s, id, &img, &err));
  assert_string_equal(img->manifest_digest, "sha256:ffff");
  assert_int_equal(img->n_repo_tags, 2);
  assert_string_equal(img->repo_tags[0], tags[0]);
  assert_string_equal(img->repo_tags[1], tags[1]);
  assert_int_equal(img->n_repo_digests, 1);
  assert_string_equal(img->repo_digests[0], digests[0]);
  assert_int_equal(img->size, 30);
  assert_int_equal(img->created_ns, 77);
  assert_true(img->pinned);
  assert_string_equal(img->config, in.config);
  assert_string_equal(img->manifest, in.manifest);
  assert_int_equal(img->n_layers, 2);
  assert_string_equal(img->layers[0].id, l1);
  assert_null(img->layers[0].parent);
  assert_string_equal(img->layers[0].compressed_digest, "sha256:c1");
  assert_int_equal(img->layers[0].compressed_size, 5);
  assert_string_equal(img->layers[1].parent, l1);
  assert_int_equal(img->layers[1].refcount, 1);
  const char *refs[] = { id, "sha256:e0000", "e0000", "localhost/bb:1", digests[0] };
  for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
    store_image *found = NULL;
    OK(store_image_lookup(f->s, refs[i], &found, &err));
    assert_string_equal(found->id, id);
    store_image_free(found);
  }
  store_image *none = NULL;
  assert_int_equal(store_image_get_by_name(f->s, "busybox", &none, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "busybox", NULL);
  assert_int_equal(store_image_put(f->s, &in, NULL, &err), -CRIO_E_EXISTS);
  expect_err(&err, CRIO_E_EXISTS, id, NULL);
}

static void test_image_prefix_ambiguous(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  OK(put_image(f->s, 1, NULL, NULL, 0, &err));
  OK(put_image(f->s, 2, NULL, NULL, 0, &err));
  store_image *img = NULL;
  assert_int_equal(store_image_lookup(f->s, "e00", &img, &err), -CRIO_E_INVALID);
  expect_err(&err, CRIO_E_INVALID, "e00", "ambiguous");
  assert_int_equal(store_image_lookup(f->s, "f00", &img, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "f00", NULL);
  assert_null(img);
}

static void test_image_layers_shared_and_freed_last(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned a[] = { 1, 2 }, b[] = { 1, 3 };
  OK(put_image(f->s, 1, "a:1", a, 2, &err));
  OK(put_image(f->s, 2, "b:1", b, 2, &err));
  _cleanup_free_ char *l1 = hex_id('d', 1);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  _cleanup_free_ char *l3 = hex_id('d', 3);
  _cleanup_store_layer_ store_layer *base = NULL;
  OK(store_layer_get(f->s, l1, &base, &err));
  assert_int_equal(base->refcount, 2);
  _cleanup_free_ char *ia = hex_id('e', 1);
  _cleanup_free_ char *ib = hex_id('e', 2);
  _cleanup_store_layers_ store_layers freed_a = { 0 };
  OK(store_image_delete(f->s, ia, &freed_a, NULL, &err));
  assert_int_equal(freed_a.n, 1);
  assert_string_equal(freed_a.items[0].id, l2);
  store_layer_free(steal_pointer(&base));
  OK(store_layer_get(f->s, l1, &base, &err));
  assert_int_equal(base->refcount, 1);
  _cleanup_store_layers_ store_layers freed_b = { 0 };
  store_event ev = { .action = "remove" };
  OK(store_image_delete(f->s, ib, &freed_b, &ev, &err));
  assert_int_equal(freed_b.n, 2);
  assert_string_equal(freed_b.items[0].id, l3); /* top first */
  assert_string_equal(freed_b.items[1].id, l1);
  _cleanup_store_layers_ store_layers left = { 0 };
  OK(store_layer_list(f->s, &left, &err));
  assert_int_equal(left.n, 0);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_string_equal(evs.items[0].name, "b:1");
  assert_int_equal(store_image_delete(f->s, ib, NULL, NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, ib, NULL);
}

static void test_image_layer_mismatch_records_nothing(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned a[] = { 1, 2 };
  OK(put_image(f->s, 1, "a:1", a, 2, &err));
  /* Layer 2 again, but on no parent: not the same layer. */
  const unsigned b[] = { 2 };
  assert_int_equal(put_image(f->s, 2, "a:1", b, 1, &err), -CRIO_E_CONFLICT);
  _cleanup_free_ char *l2 = hex_id('d', 2);
  expect_err(&err, CRIO_E_CONFLICT, l2, "parent");
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.images, 1);
  assert_int_equal(c.layers, 2);
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get_by_name(f->s, "a:1", &img, &err));
  assert_int_equal(img->n_layers, 2); /* the tag did not move */
}

static void test_image_tag_moves_and_untag(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  OK(put_image(f->s, 1, "app:latest", NULL, 0, &err));
  OK(put_image(f->s, 2, "app:latest", NULL, 0, &err)); /* a newer pull */
  _cleanup_free_ char *i1 = hex_id('e', 1);
  _cleanup_free_ char *i2 = hex_id('e', 2);
  _cleanup_store_image_ store_image *old = NULL;
  OK(store_image_get(f->s, i1, &old, &err));
  assert_int_equal(old->n_repo_tags, 0);
  _cleanup_store_image_ store_image *newer = NULL;
  OK(store_image_get_by_name(f->s, "app:latest", &newer, &err));
  assert_string_equal(newer->id, i2);
  store_event ev = { .action = "tag" };
  OK(store_image_tag(f->s, i1, "app:old", &ev, &err));
  OK(store_image_tag(f->s, i1, "app@sha256:0123", NULL, &err));
  _cleanup_store_image_ store_image *img = NULL;
  OK(store_image_get_by_name(f->s, "app:old", &img, &err));
  assert_string_equal(img->id, i1);
  assert_int_equal(img->n_repo_digests, 1);
  OK(store_image_untag(f->s, "app:latest", NULL, &err));
  assert_int_equal(store_image_untag(f->s, "app:latest", NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, "app:latest", NULL);
  _cleanup_free_ char *ghost = hex_id('e', 9);
  assert_int_equal(store_image_tag(f->s, ghost, "x:y", NULL, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, ghost, NULL);
  _cleanup_store_images_ store_images all = { 0 };
  OK(store_image_list(f->s, &all, &err));
  assert_int_equal(all.n, 2);
  _cleanup_store_events_ store_events evs = { 0 };
  OK(store_event_list(f->s, 0, 0, &evs, &err));
  assert_int_equal(evs.n, 1);
  assert_string_equal(evs.items[0].name, "app:old");
  assert_string_equal(evs.items[0].object_id, i1);
}

static void test_image_delete_refused_in_use(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned l[] = { 1 };
  OK(put_image(f->s, 1, "img:1", l, 1, &err));
  _cleanup_free_ char *img = hex_id('e', 1);
  put_pod(f->s, 1, "pod");
  put_ctr(f->s, 1, 1, "user-of-image", img);
  assert_int_equal(store_image_delete(f->s, img, NULL, NULL, &err), -CRIO_E_CONFLICT);
  expect_err(&err, CRIO_E_CONFLICT, img, "user-of-image");
  store_counts c;
  OK(store_counts_get(f->s, &c, &err));
  assert_int_equal(c.images, 1);
  assert_int_equal(c.layers, 1);
}

static void test_layer_prune(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  const unsigned l[] = { 1, 2 };
  OK(put_image(f->s, 1, "img:1", l, 2, &err));
  _cleanup_store_layers_ store_layers none = { 0 };
  OK(store_layer_prune(f->s, &none, &err));
  assert_int_equal(none.n, 0);
  /* Unlink the layers behind the store's back, as a bug would leave them. */
  assert_int_equal(raw_exec(f->path, "DELETE FROM image_layers", NULL), SQLITE_OK);
  _cleanup_store_layers_ store_layers gone = { 0 };
  OK(store_layer_prune(f->s, &gone, &err));
  assert_int_equal(gone.n, 2);
  store_layer *l1 = NULL;
  _cleanup_free_ char *id = hex_id('d', 1);
  assert_int_equal(store_layer_get(f->s, id, &l1, &err), -CRIO_E_NOT_FOUND);
  expect_err(&err, CRIO_E_NOT_FOUND, id, NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_image_round_trip_and_lookup),
    T(test_image_prefix_ambiguous),
    T(test_image_layers_shared_and_freed_last),
    T(test_image_layer_mismatch_records_nothing),
    T(test_image_tag_moves_and_untag),
    T(test_image_delete_refused_in_use),
    T(test_layer_prune),
  };
  return cmocka_run_group_tests_name("store_images", tests, NULL, NULL);
}
