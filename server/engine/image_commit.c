#include "server/engine/image_commit.h"

#include <stdlib.h>

#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Moves each staged layer into the store; sizes of the others come from the
 * store. Called with image_lock held. */
static int commit_layers(engine *e, commit_image *ci, store_layer *rows, crio_err **err)
{
  for (size_t i = 0; i < ci->n_layers; i++) {
    commit_layer *l = &ci->layers[i];
    bool existed = false;
    if (l->staging) {
      int r = layer_staging_commit(e->overlay_root, l->staging, l->chain_hex, &existed, err);
      free(l->staging);
      l->staging = NULL;
      if (r < 0)
        return r;
      l->committed = !existed;
    } else if (!layer_exists(e->overlay_root, l->chain_hex)) {
      return crio_err_set(err, CRIO_E_CONFLICT, "layer %s was removed meanwhile; try again",
                          l->chain_hex);
    }
    store_layer *known = NULL;
    if (!l->committed && store_layer_get(e->store, l->chain_hex, &known, NULL) == 0) {
      l->size = known->size;
      store_layer_free(known);
    }
    rows[i] = (store_layer) { .id = (char *) l->chain_hex, .diff_id = (char *) l->diff_id,
                              .compressed_digest = (char *) l->digest,
                              .compressed_size = l->compressed_size, .size = l->size };
  }
  return 0;
}

static int add_names(engine *e, commit_image *ci, crio_err **err)
{
  for (size_t i = 0; i < ci->n_digests; i++)
    if (store_image_tag(e->store, ci->id, ci->digests[i], NULL, err) < 0)
      return -1;
  for (size_t i = 0; i < ci->n_tags; i++) {
    store_event ev = { .type = STORE_EVENT_IMAGE, .action = (char *) ci->action,
                       .name = ci->tags[i] };
    if (store_image_tag(e->store, ci->id, ci->tags[i], &ev, err) < 0)
      return -1;
  }
  return 0;
}

int image_commit(engine *e, commit_image *ci, crio_err **err)
{
  store_layer *rows = xzalloc((ci->n_layers + 1) * sizeof *rows);
  store_image img = { .id = (char *) ci->id, .manifest_digest = (char *) ci->manifest_digest,
                      .repo_tags = ci->tags, .n_repo_tags = ci->n_tags,
                      .repo_digests = ci->digests, .n_repo_digests = ci->n_digests,
                      .config = (char *) ci->config, .manifest = (char *) ci->manifest,
                      .layers = rows, .n_layers = ci->n_layers };
  store_event ev = { .type = STORE_EVENT_IMAGE, .action = (char *) ci->action,
                     .name = ci->n_tags ? ci->tags[0] : NULL };
  _cleanup_err_ crio_err *put_err = NULL;
  pthread_mutex_lock(&e->image_lock);
  int r = commit_layers(e, ci, rows, &put_err);
  for (size_t i = 0; r == 0 && i < ci->n_layers; i++)
    img.size += rows[i].size;
  if (r == 0)
    r = store_image_put(e->store, &img, &ev, &put_err);
  if (r < 0)
    for (size_t i = 0; i < ci->n_layers; i++)
      if (ci->layers[i].committed)
        layer_remove(e->overlay_root, ci->layers[i].chain_hex, NULL);
  if (r < 0 && put_err->code == CRIO_E_EXISTS)
    r = add_names(e, ci, err);   /* recorded already (another pull won) */
  else if (r < 0)
    *err = steal_pointer(&put_err);
  pthread_mutex_unlock(&e->image_lock);
  free(rows);
  return r;
}
