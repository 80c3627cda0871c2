/* Images and their names (tags and repo digests). */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/xalloc.h"

static const store_resolver image_resolver = {
  .kind = "image",
  .by_id_sql = "SELECT id FROM images WHERE id = ?",
  .by_name_sql = "SELECT image_id FROM image_names WHERE name = ?",
  .prefix_sql = "SELECT id FROM images WHERE id GLOB ? || '*'",
  .strip_sha256 = true,
};

static void strv_push(char ***v, size_t *n, char *s)
{
  *v = xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = s;
}

static int image_read_names(store *s, store_image *img, crio_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("read names of image %s", img->id);
  int r = store_prepare_bind(s, "SELECT name, kind FROM image_names WHERE image_id = ?"
                                " ORDER BY rowid", &st, err, "t", img->id);
  if (r < 0)
    return r;
  while ((r = store_step(s, st, err, what)) > 0) {
    bool digest = strcmp((const char *) sqlite3_column_text(st, 1), "digest") == 0;
    if (digest)
      strv_push(&img->repo_digests, &img->n_repo_digests, store_col_str(st, 0));
    else
      strv_push(&img->repo_tags, &img->n_repo_tags, store_col_str(st, 0));
  }
  return r;
}

/* The image with its names and layers; the caller holds the lock and a
 * transaction, so the three reads see one snapshot. */
static int image_read(store *s, const char *id, store_image **out, crio_err **err)
{
  static const char sql[] = "SELECT id, manifest_digest, size, created_ns, pinned, config,"
                            " manifest FROM images WHERE id = ?";
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("read image %s", id);
  int r = store_prepare_bind(s, sql, &st, err, "t", id);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image %s not found", id);
  _cleanup_store_image_ store_image *img = xzalloc(sizeof *img);
  img->id = store_col_str(st, 0);
  img->manifest_digest = store_col_str(st, 1);
  img->size = sqlite3_column_int64(st, 2);
  img->created_ns = sqlite3_column_int64(st, 3);
  img->pinned = sqlite3_column_int(st, 4) != 0;
  img->config = store_col_str(st, 5);
  img->manifest = store_col_str(st, 6);
  store_layers layers = { 0 };
  if ((r = image_read_names(s, img, err)) < 0 ||
      (r = store_image_layers_read(s, id, false, &layers, err)) < 0)
    return r;
  img->layers = layers.items;
  img->n_layers = layers.n;
  *out = steal_pointer(&img);
  return 0;
}

/* Point name at the image, taking it from another image if need be. A name
 * with '@' is a repo digest, any other a tag. */
static int name_set(store *s, const char *image_id, const char *name, crio_err **err)
{
  static const char sql[] = "INSERT INTO image_names (name, image_id, kind) VALUES (?, ?, ?)"
                            " ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id,"
                            " kind = excluded.kind";
  if (!name || !*name)
    return crio_err_set(err, CRIO_E_INVALID, "image %s: empty name", image_id);
  _cleanup_free_ char *what = xasprintf("name image %s %s", image_id, name);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare_bind(s, sql, &st, err, "ttt", name, image_id,
                             strchr(name, '@') ? "digest" : "tag");
  return r < 0 ? r : store_exec_stmt(s, st, err, what);
}

static int image_insert(store *s, const store_image *img, crio_err **err)
{
  static const char sql[] = "INSERT INTO images (id, manifest_digest, size, created_ns, pinned,"
                            " config, manifest) VALUES (?, ?, ?, ?, ?, ?, ?)";
  int64_t n;
  int r = store_query_int(s, "SELECT count(*) FROM images WHERE id = ?", &n, err,
                          "check image id", "t", img->id);
  if (r < 0)
    return r;
  if (n > 0)
    return crio_err_set(err, CRIO_E_EXISTS, "image %s already exists", img->id);
  _cleanup_free_ char *what = xasprintf("insert image %s", img->id);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  r = store_prepare_bind(s, sql, &st, err, "ttIIbjj", img->id, img->manifest_digest, img->size,
                         img->created_ns, (int) img->pinned, img->config, img->manifest);
  return r < 0 ? r : store_exec_stmt(s, st, err, what);
}

static int image_names_set(store *s, const store_image *img, crio_err **err)
{
  int r = 0;
  for (size_t i = 0; i < img->n_repo_tags && r == 0; i++)
    r = name_set(s, img->id, img->repo_tags[i], err);
  for (size_t i = 0; i < img->n_repo_digests && r == 0; i++)
    r = name_set(s, img->id, img->repo_digests[i], err);
  return r;
}

int store_image_put(store *s, const store_image *img, store_event *ev, crio_err **err)
{
  int r = store_check_id("image", img->id, err);
  if (r < 0)
    return r;
  const char *name = img->n_repo_tags ? img->repo_tags[0]
                     : img->n_repo_digests ? img->repo_digests[0] : NULL;
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  if ((r = store_tx_begin(s, &tx, true, err)) < 0 || (r = image_insert(s, img, err)) < 0)
    return r;
  store_hook(s, "image_put:after_image_row");
  if ((r = store_image_layers_record(s, img->id, img->layers, img->n_layers, err)) < 0)
    return r;
  store_hook(s, "image_put:after_layers");
  if ((r = image_names_set(s, img, err)) < 0)
    return r;
  store_hook(s, "image_put:after_names");
  if (ev && (r = store_event_insert(s, ev, STORE_EVENT_IMAGE, img->id, name, err)) < 0)
    return r;
  store_hook(s, "image_put:before_commit");
  return store_tx_commit(&tx, err);
}

int store_image_get(store *s, const char *id, store_image **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  int r = store_tx_begin(s, &tx, false, err);
  return r < 0 ? r : image_read(s, id, out, err);
}

int store_image_get_by_name(store *s, const char *name, store_image **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("look up image %s", name);
  int r = store_tx_begin(s, &tx, false, err);
  if (r < 0 || (r = store_prepare_bind(s, image_resolver.by_name_sql, &st, err, "t", name)) < 0 ||
      (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image %s not found", name);
  return image_read(s, (const char *) sqlite3_column_text(st, 0), out, err);
}

int store_image_lookup(store *s, const char *ref, store_image **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_free_ char *id = NULL;
  int r = store_tx_begin(s, &tx, false, err);
  if (r < 0 || (r = store_resolve(s, &image_resolver, ref, &id, err)) < 0)
    return r;
  return image_read(s, id, out, err);
}

int store_image_list(store *s, store_images *out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_store_images_ store_images list = { 0 };
  size_t cap = 0;
  int r = store_tx_begin(s, &tx, false, err);
  if (r < 0 || (r = store_prepare(s, "SELECT id FROM images ORDER BY created_ns, id", &st,
                                  err)) < 0)
    return r;
  while ((r = store_step(s, st, err, "list images")) > 0) {
    _cleanup_store_image_ store_image *img = NULL;
    if ((r = image_read(s, (const char *) sqlite3_column_text(st, 0), &img, err)) < 0)
      return r;
    *STORE_LIST_PUSH(&list, cap) = *img;
    free(steal_pointer(&img));
  }
  if (r < 0)
    return r;
  *out = list;
  list = (store_images) { 0 };
  return 0;
}

int store_image_tag(store *s, const char *id, const char *name, store_event *ev, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  int64_t n;
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_query_int(s, "SELECT count(*) FROM images WHERE id = ?", &n, err,
                                    "check image id", "t", id)) < 0)
    return r;
  if (n == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image %s not found", id);
  if ((r = name_set(s, id, name, err)) < 0)
    return r;
  if (ev && (r = store_event_insert(s, ev, STORE_EVENT_IMAGE, id, name, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

int store_image_untag(store *s, const char *name, store_event *ev, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("untag image %s", name);
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_prepare_bind(s, "DELETE FROM image_names WHERE name = ?"
                                          " RETURNING image_id", &st, err, "t", name)) < 0 ||
      (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image name %s not found", name);
  _cleanup_free_ char *id = store_col_str(st, 0);
  if ((r = store_exec_stmt(s, st, err, what)) < 0)
    return r;
  if (ev && (r = store_event_insert(s, ev, STORE_EVENT_IMAGE, id, name, err)) < 0)
    return r;
  return store_tx_commit(&tx, err);
}

/* CRIO_E_CONFLICT while a container uses the image; *name gets its first tag. */
static int image_check_deletable(store *s, const char *id, char **name, crio_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("check users of image %s", id);
  int r = store_prepare_bind(s, "SELECT count(*), min(name) FROM containers WHERE image_id = ?",
                             &st, err, "t", id);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  int64_t n = sqlite3_column_int64(st, 0);
  if (n > 0)
    return crio_err_set(err, CRIO_E_CONFLICT,
                        "image %s is in use by %lld container(s), including %s", id,
                        (long long) n, (const char *) sqlite3_column_text(st, 1));
  sqlite3_finalize(steal_pointer(&st));
  if ((r = store_prepare_bind(s, "SELECT name FROM image_names WHERE image_id = ?"
                                 " ORDER BY kind = 'digest', rowid LIMIT 1", &st, err, "t",
                              id)) < 0 ||
      (r = store_step(s, st, err, what)) < 0)
    return r;
  *name = r > 0 ? store_col_str(st, 0) : NULL;
  return 0;
}

int store_image_delete(store *s, const char *id, store_layers *freed, store_event *ev,
                       crio_err **err)
{
  const store_change c = { .verb = "delete", .kind = "image", .id = id,
                           .type = STORE_EVENT_IMAGE,
                           .hook_point = "image_delete:after_image_row" };
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *name = NULL;
  _cleanup_store_layers_ store_layers candidates = { 0 };
  _cleanup_store_layers_ store_layers released = { 0 };
  store_event ev_named = ev ? *ev : (store_event) { 0 };
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = image_check_deletable(s, id, &name, err)) < 0 ||
      (r = store_image_layers_read(s, id, true, &candidates, err)) < 0)
    return r;
  if (!ev_named.name)
    ev_named.name = name;
  /* names and image_layers rows go by ON DELETE CASCADE */
  if ((r = store_prepare_bind(s, "DELETE FROM images WHERE id = ? RETURNING NULL", &st, err, "t",
                              id)) < 0 ||
      (r = store_change_one(s, st, &c, ev ? &ev_named : NULL, err)) < 0 ||
      (r = store_image_layers_release(s, &candidates, &released, err)) < 0)
    return r;
  store_hook(s, "image_delete:after_layers");
  if ((r = store_tx_commit(&tx, err)) < 0)
    return r;
  if (ev) {
    ev->seq = ev_named.seq;
    ev->time_ns = ev_named.time_ns;
  }
  if (freed) {
    *freed = released;
    released = (store_layers) { 0 };
  }
  return 0;
}

void store_image_clear(store_image *img)
{
  if (!img)
    return;
  free(img->id);
  free(img->manifest_digest);
  for (size_t i = 0; i < img->n_repo_tags; i++)
    free(img->repo_tags[i]);
  free(img->repo_tags);
  for (size_t i = 0; i < img->n_repo_digests; i++)
    free(img->repo_digests[i]);
  free(img->repo_digests);
  free(img->config);
  free(img->manifest);
  store_layers layers = { .items = img->layers, .n = img->n_layers };
  store_layers_free(&layers);
  memset(img, 0, sizeof *img);
}

void store_image_free(store_image *img)
{
  store_image_clear(img);
  free(img);
}

void store_images_free(store_images *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_image_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
