/* Tag, remove and history of images. */
#include "server/engine/engine_image_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

int engine_image_tag(engine *e, const char *name, const char *target, crio_err **err)
{
  _cleanup_free_ char *normalized = image_normalize_name(target);
  if (!normalized || strchr(target, '@'))
    return crio_err_set(err, CRIO_E_INVALID, "invalid tag \"%s\": want NAME[:TAG]", target);
  store_image *img = NULL;
  if (image_lookup(e, name, &img, err) < 0)
    return -1;
  store_event ev = { .type = STORE_EVENT_IMAGE, .action = "tag", .name = normalized };
  int r = store_image_tag(e->store, img->id, normalized, &ev, err);
  store_image_free(img);
  return r;
}

/* Deletes the image row and, in the same critical section, the layer
 * directories no image uses any more. */
static int image_delete(engine *e, const store_image *img, crio_err **err)
{
  store_layers freed = { 0 };
  store_event ev = { .type = STORE_EVENT_IMAGE, .action = "remove" };
  pthread_mutex_lock(&e->image_lock);
  int r = store_image_delete(e->store, img->id, &freed, &ev, err);
  for (size_t i = 0; r == 0 && i < freed.n; i++) {
    _cleanup_err_ crio_err *rm_err = NULL;
    if (layer_remove(e->overlay_root, freed.items[i].id, &rm_err) < 0)
      log_warn("remove layer %s: %s", freed.items[i].id, rm_err->message);
  }
  pthread_mutex_unlock(&e->image_lock);
  store_layers_free(&freed);
  return r;
}

static bool is_one_of(char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return true;
  return false;
}

int engine_image_remove(engine *e, const char *name, bool force, engine_strv *untagged,
                        engine_strv *deleted, crio_err **err)
{
  store_image *img = NULL;
  if (image_lookup(e, name, &img, err) < 0)
    return -1;
  _cleanup_free_ char *normalized = image_normalize_name(name);
  const char *tag = is_one_of(img->repo_tags, img->n_repo_tags, name) ? name
                    : normalized && is_one_of(img->repo_tags, img->n_repo_tags, normalized)
                        ? normalized : NULL;
  int r = 0;
  if (tag && img->n_repo_tags > 1) {
    /* one name of several: untag only, forced or not, as podman and docker do */
    store_event ev = { .type = STORE_EVENT_IMAGE, .action = "untag", .name = (char *) tag };
    r = store_image_untag(e->store, tag, &ev, err);
    if (r == 0)
      strv_push(untagged, tag);
  } else if (!tag && img->n_repo_tags > 1 && !force) {
    r = crio_err_set(err, CRIO_E_CONFLICT,
                     "image %.12s has %zu names: remove them by name, or use force", img->id,
                     img->n_repo_tags);
  } else {
    r = image_delete(e, img, err);
    for (size_t i = 0; r == 0 && i < img->n_repo_tags; i++)
      strv_push(untagged, img->repo_tags[i]);
    if (r == 0)
      strv_push(deleted, img->id);
  }
  store_image_free(img);
  return r;
}

static void history_push(engine_history *h, json_t *entry, int64_t size)
{
  h->items = xrealloc(h->items, (h->n + 1) * sizeof *h->items);
  engine_history_entry *he = &h->items[h->n++];
  const char *created = json_string_value(json_object_get(entry, "created"));
  const char *by = json_string_value(json_object_get(entry, "created_by"));
  const char *comment = json_string_value(json_object_get(entry, "comment"));
  he->created = xstrdup(created ? created : "");
  he->created_by = xstrdup(by ? by : "");
  he->comment = xstrdup(comment ? comment : "");
  he->empty_layer = json_is_true(json_object_get(entry, "empty_layer"));
  he->size = size;
  he->id = NULL;
}

int engine_image_history(engine *e, const char *name, engine_history *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  store_image *img = NULL;
  if (image_lookup(e, name, &img, err) < 0)
    return -1;
  json_t *cfg = json_loads(img->config, 0, NULL);
  json_t *hist = json_object_get(cfg, "history");
  size_t layer = 0;
  for (size_t i = 0; i < json_array_size(hist); i++) {
    json_t *entry = json_array_get(hist, i);
    bool empty = json_is_true(json_object_get(entry, "empty_layer"));
    int64_t size = !empty && layer < img->n_layers ? img->layers[layer++].size : 0;
    history_push(out, entry, size);
  }
  /* newest first, the image ID on the newest entry as podman shows it */
  for (size_t i = 0; i < out->n / 2; i++) {
    engine_history_entry t = out->items[i];
    out->items[i] = out->items[out->n - 1 - i];
    out->items[out->n - 1 - i] = t;
  }
  for (size_t i = 0; i < out->n; i++)
    out->items[i].id = xstrdup(i == 0 ? img->id : "<missing>");
  json_decref(cfg);
  store_image_free(img);
  return 0;
}

void engine_history_clear(engine_history *h)
{
  for (size_t i = 0; i < h->n; i++) {
    free(h->items[i].id);
    free(h->items[i].created);
    free(h->items[i].created_by);
    free(h->items[i].comment);
  }
  free(h->items);
  memset(h, 0, sizeof *h);
}
