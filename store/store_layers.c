/* Layers: shared by images, counted through image_layers. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/xalloc.h"

#define LAYER_SELECT                                                                       \
  "SELECT l.id, l.parent, l.diff_id, l.compressed_digest, l.size, l.compressed_size,"      \
  " l.created_ns, (SELECT count(*) FROM image_layers r WHERE r.layer_id = l.id) FROM layers l"

static void layer_read(sqlite3_stmt *st, store_layer *l)
{
  l->id = store_col_str(st, 0);
  l->parent = store_col_str(st, 1);
  l->diff_id = store_col_str(st, 2);
  l->compressed_digest = store_col_str(st, 3);
  l->size = sqlite3_column_int64(st, 4);
  l->compressed_size = sqlite3_column_int64(st, 5);
  l->created_ns = sqlite3_column_int64(st, 6);
  l->refcount = sqlite3_column_int64(st, 7);
}

static int layer_query(store *s, sqlite3_stmt *st, store_layers *out, crio_err **err,
                       const char *what)
{
  _cleanup_store_layers_ store_layers list = { 0 };
  size_t cap = 0;
  int r;
  while ((r = store_step(s, st, err, what)) > 0)
    layer_read(st, STORE_LIST_PUSH(&list, cap));
  if (r < 0)
    return r;
  *out = list;
  list = (store_layers) { 0 };
  return 0;
}

int store_image_layers_read(store *s, const char *image_id, bool top_first, store_layers *out,
                            crio_err **err)
{
  static const char asc[] = LAYER_SELECT " JOIN image_layers il ON il.layer_id = l.id"
                                         " WHERE il.image_id = ? ORDER BY il.position";
  static const char desc[] = LAYER_SELECT " JOIN image_layers il ON il.layer_id = l.id"
                                          " WHERE il.image_id = ? ORDER BY il.position DESC";
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("read layers of image %s", image_id);
  int r = store_prepare_bind(s, top_first ? desc : asc, &st, err, "t", image_id);
  return r < 0 ? r : layer_query(s, st, out, err, what);
}

static bool same_str(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A layer that already exists must be the same layer: same diff id, same parent. */
static int layer_check_same(store *s, const store_layer *l, const char *parent,
                            const char *image_id, crio_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("read layer %s", l->id);
  int r = store_prepare_bind(s, "SELECT diff_id, parent FROM layers WHERE id = ?", &st, err, "t",
                             l->id);
  if (r < 0 || (r = store_step(s, st, err, what)) <= 0)
    return r;
  const char *diff_id = (const char *) sqlite3_column_text(st, 0);
  const char *old_parent = (const char *) sqlite3_column_text(st, 1);
  if (same_str(diff_id, l->diff_id) && same_str(old_parent, parent))
    return 0;
  return crio_err_set(err, CRIO_E_CONFLICT,
                      "layer %s is recorded with diff id %s and parent %s, but image %s has it "
                      "with diff id %s and parent %s",
                      l->id, diff_id, old_parent ? old_parent : "(none)", image_id, l->diff_id,
                      parent ? parent : "(none)");
}

static int layer_record(store *s, const store_layer *l, const char *parent, size_t position,
                        const char *image_id, crio_err **err)
{
  static const char ins[] =
    "INSERT INTO layers (id, parent, diff_id, compressed_digest, size, compressed_size,"
    " created_ns) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
  static const char link[] =
    "INSERT INTO image_layers (image_id, position, layer_id) VALUES (?, ?, ?)";
  int r = store_check_id("layer", l->id, err);
  if (r < 0)
    return crio_err_wrap(err, "image %s", image_id);
  if (!l->diff_id || !*l->diff_id)
    return crio_err_set(err, CRIO_E_INVALID, "image %s: layer %s has no diff id", image_id, l->id);
  _cleanup_free_ char *what = xasprintf("insert layer %s of image %s", l->id, image_id);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  r = store_prepare_bind(s, ins, &st, err, "ttttIII", l->id, parent, l->diff_id,
                         l->compressed_digest, l->size, l->compressed_size,
                         l->created_ns ? l->created_ns : store_now_ns());
  if (r < 0 || (r = store_exec_stmt(s, st, err, what)) < 0)
    return r;
  if (sqlite3_changes(s->db) == 0 && (r = layer_check_same(s, l, parent, image_id, err)) < 0)
    return r;
  sqlite3_finalize(steal_pointer(&st));
  r = store_prepare_bind(s, link, &st, err, "tIt", image_id, (int64_t) position, l->id);
  return r < 0 ? r : store_exec_stmt(s, st, err, what);
}

int store_image_layers_record(store *s, const char *image_id, const store_layer *layers,
                              size_t n, crio_err **err)
{
  for (size_t i = 0; i < n; i++) {
    int r = layer_record(s, &layers[i], i ? layers[i - 1].id : NULL, i, image_id, err);
    if (r < 0)
      return r;
    store_hook(s, "image_put:after_layer");
  }
  return 0;
}

int store_image_layers_release(store *s, store_layers *candidates, store_layers *freed,
                               crio_err **err)
{
  static const char sql[] = "DELETE FROM layers WHERE id = ? AND NOT EXISTS"
                            " (SELECT 1 FROM image_layers WHERE layer_id = ?1)";
  size_t cap = 0;
  for (size_t i = 0; i < candidates->n; i++) {
    store_layer *l = &candidates->items[i];
    _cleanup_free_ char *what = xasprintf("delete layer %s", l->id);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    int r = store_prepare_bind(s, sql, &st, err, "t", l->id);
    if (r < 0 || (r = store_exec_stmt(s, st, err, what)) < 0)
      return r;
    if (sqlite3_changes(s->db) == 0)
      continue;
    store_layer *out = STORE_LIST_PUSH(freed, cap);
    *out = *l;
    out->refcount = 0;
    memset(l, 0, sizeof *l);
  }
  return 0;
}

int store_layer_get(store *s, const char *id, store_layer **out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_free_ char *what = xasprintf("read layer %s", id);
  int r = store_prepare_bind(s, LAYER_SELECT " WHERE l.id = ?", &st, err, "t", id);
  if (r < 0 || (r = store_step(s, st, err, what)) < 0)
    return r;
  if (r == 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "layer %s not found", id);
  store_layer *l = xzalloc(sizeof *l);
  layer_read(st, l);
  *out = l;
  return 0;
}

int store_layer_list(store *s, store_layers *out, crio_err **err)
{
  STORE_LOCK(s);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  int r = store_prepare(s, LAYER_SELECT " ORDER BY l.created_ns, l.id", &st, err);
  return r < 0 ? r : layer_query(s, st, out, err, "list layers");
}

int store_layer_prune(store *s, store_layers *removed, crio_err **err)
{
  static const char sql[] = LAYER_SELECT " WHERE NOT EXISTS"
                            " (SELECT 1 FROM image_layers il WHERE il.layer_id = l.id)";
  STORE_LOCK(s);
  _cleanup_tx_ store_tx tx = { 0 };
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  _cleanup_store_layers_ store_layers unused = { 0 };
  _cleanup_store_layers_ store_layers freed = { 0 };
  int r = store_tx_begin(s, &tx, true, err);
  if (r < 0 || (r = store_prepare(s, sql, &st, err)) < 0 ||
      (r = layer_query(s, st, &unused, err, "find unused layers")) < 0 ||
      (r = store_image_layers_release(s, &unused, &freed, err)) < 0 ||
      (r = store_tx_commit(&tx, err)) < 0)
    return r;
  *removed = freed;
  freed = (store_layers) { 0 };
  return 0;
}

void store_layer_clear(store_layer *l)
{
  if (!l)
    return;
  free(l->id);
  free(l->parent);
  free(l->diff_id);
  free(l->compressed_digest);
  memset(l, 0, sizeof *l);
}

void store_layer_free(store_layer *l)
{
  store_layer_clear(l);
  free(l);
}

void store_layers_free(store_layers *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_layer_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
