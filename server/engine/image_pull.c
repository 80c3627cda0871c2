/* Pull, step three and the whole: resolve, fetch what is missing, then
 * commit the layers and the image in one critical section. */
#include "server/engine/pull_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/image/auth_file.h"
#include "server/image/digest.h"
#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

void pull_progress(pull_ctx *p, const engine_progress *ev)
{
  if (!p->fn)
    return;
  pthread_mutex_lock(&p->progress_lock);
  p->fn(ev, p->fn_data);
  pthread_mutex_unlock(&p->progress_lock);
}

static void pull_ctx_init(pull_ctx *p, engine *e, const engine_pull_opts *o,
                          engine_progress_fn fn, void *data)
{
  memset(p, 0, sizeof *p);
  p->e = e;
  p->opts = o;
  p->fn = fn;
  p->fn_data = data;
  pthread_mutex_init(&p->progress_lock, NULL);
  registry_settings_get(e, &o->creds, &p->settings);
}

static void pull_ctx_clear(pull_ctx *p)
{
  pull_discard_staging(p);
  registry_client_free(p->rc);
  registry_settings_clear(&p->settings);
  free(p->repo_path);
  image_ref_clear(&p->ref);
  free(p->manifest);
  free(p->manifest_digest);
  image_manifest_clear(&p->man);
  free(p->config);
  free(p->config_digest);
  image_config_clear(&p->cfg);
  for (size_t i = 0; i < p->n_layers; i++)
    free(p->layers[i].chain_hex);
  free(p->layers);
  pthread_mutex_destroy(&p->progress_lock);
}

/* Chain IDs name the layers in the store; present ones are not fetched. */
static void plan_layers(pull_ctx *p)
{
  p->n_layers = p->man.n_layers;
  p->layers = xzalloc((p->n_layers + 1) * sizeof *p->layers);
  _cleanup_free_ char *chain = NULL;
  for (size_t i = 0; i < p->n_layers; i++) {
    pull_layer *l = &p->layers[i];
    char *next = chain_id_next(chain, p->cfg.diff_ids[i]);
    free(chain);
    chain = next;
    l->blob = &p->man.layers[i];
    l->diff_id = p->cfg.diff_ids[i];
    l->chain_hex = xstrdup(strchr(chain, ':') + 1);
    l->present = layer_exists(p->e->overlay_root, l->chain_hex);
    if (l->present) {
      engine_progress ev = { .status = "exists", .layer = l->blob->digest };
      pull_progress(p, &ev);
    }
  }
}

static void names_of(pull_ctx *p, char **tag, char **digest_name)
{
  _cleanup_free_ char *repo = image_ref_repo(&p->ref);
  *tag = p->ref.tag ? xasprintf("%s:%s", repo, p->ref.tag) : NULL;
  *digest_name = xasprintf("%s@%s", repo, p->manifest_digest);
}

/* Renames the staged layers into the store and records the image; on
 * failure removes the layer directories this pull added. Holds image_lock. */
static int commit_image(pull_ctx *p, store_image *img, crio_err **err)
{
  int r = 0;
  for (size_t i = 0; r == 0 && i < p->n_layers; i++) {
    pull_layer *l = &p->layers[i];
    bool existed = false;
    if (l->staging) {
      r = layer_staging_commit(p->e->overlay_root, l->staging, l->chain_hex, &existed, err);
      free(l->staging);
      l->staging = NULL;
      l->committed = r == 0 && !existed;
    } else if (!layer_exists(p->e->overlay_root, l->chain_hex)) {
      r = crio_err_set(err, CRIO_E_CONFLICT, "layer %s was removed during the pull; pull again",
                       l->chain_hex);
    }
    store_layer *known = NULL;
    if (r == 0 && !l->committed && store_layer_get(p->e->store, l->chain_hex, &known, NULL) == 0) {
      l->size = known->size;
      store_layer_free(known);
    }
    img->layers[i].size = l->size;
    img->size += l->size;
  }
  store_event ev = { .type = STORE_EVENT_IMAGE, .action = "pull", .name = img->n_repo_tags ? img->repo_tags[0] : NULL };
  if (r == 0)
    r = store_image_put(p->e->store, img, &ev, err);
  for (size_t i = 0; r < 0 && i < p->n_layers; i++)
    if (p->layers[i].committed)
      layer_remove(p->e->overlay_root, p->layers[i].chain_hex, NULL);
  return r;
}

static int record_image(pull_ctx *p, const char *id, crio_err **err)
{
  _cleanup_free_ char *tag = NULL, *digest_name = NULL;
  names_of(p, &tag, &digest_name);
  store_layer *layers = xzalloc((p->n_layers + 1) * sizeof *layers);
  for (size_t i = 0; i < p->n_layers; i++)
    layers[i] = (store_layer) { .id = p->layers[i].chain_hex,
                                .diff_id = (char *) p->layers[i].diff_id,
                                .compressed_digest = p->layers[i].blob->digest,
                                .compressed_size = p->layers[i].blob->size };
  char *tags[1] = { tag };
  char *digests[1] = { digest_name };
  store_image img = { .id = (char *) id, .manifest_digest = p->manifest_digest,
                      .repo_tags = tags, .n_repo_tags = tag ? 1 : 0, .repo_digests = digests,
                      .n_repo_digests = 1, .config = p->config, .manifest = p->manifest,
                      .layers = layers, .n_layers = p->n_layers };
  pthread_mutex_lock(&p->e->image_lock);
  _cleanup_err_ crio_err *put_err = NULL;
  int r = commit_image(p, &img, &put_err);
  if (r < 0 && put_err->code == CRIO_E_EXISTS) {
    /* the image is here already (another pull won): give it our names */
    r = store_image_tag(p->e->store, id, digest_name, NULL, err);
    if (r == 0 && tag)
      r = store_image_tag(p->e->store, id, tag, NULL, err);
  } else if (r < 0) {
    *err = steal_pointer(&put_err);
  }
  pthread_mutex_unlock(&p->e->image_lock);
  free(layers);
  return r;
}

/* The image is in the store already: only its names may be new. */
static int tag_existing(pull_ctx *p, const char *id, crio_err **err)
{
  _cleanup_free_ char *tag = NULL, *digest_name = NULL;
  names_of(p, &tag, &digest_name);
  store_event ev = { .type = STORE_EVENT_IMAGE, .action = "pull", .name = tag };
  if (store_image_tag(p->e->store, id, digest_name, NULL, err) < 0)
    return -1;
  return tag ? store_image_tag(p->e->store, id, tag, &ev, err) : 0;
}

static int pull_run(pull_ctx *p, char **id_out, crio_err **err)
{
  engine_progress ev = { .status = "resolving", .reference = p->opts->reference };
  pull_progress(p, &ev);
  if (pull_resolve(p, err) < 0)
    return -1;
  const char *id = strchr(p->config_digest, ':') + 1;
  ev = (engine_progress) { .status = "manifest", .digest = p->manifest_digest,
                           .layers = (int64_t) p->man.n_layers };
  pull_progress(p, &ev);
  store_image *existing = NULL;
  if (store_image_get(p->e->store, id, &existing, NULL) == 0) {
    store_image_free(existing);
    if (tag_existing(p, id, err) < 0)
      return -1;
  } else {
    plan_layers(p);
    if (pull_fetch_layers(p, err) < 0)
      return -1;
    ev = (engine_progress) { .status = "writing", .digest = p->manifest_digest };
    pull_progress(p, &ev);
    if (record_image(p, id, err) < 0)
      return -1;
  }
  *id_out = xstrdup(id);
  return 0;
}

int engine_image_pull(engine *e, const engine_pull_opts *opts, engine_progress_fn fn, void *data,
                      char **id_out, crio_err **err)
{
  pull_ctx p;
  pull_ctx_init(&p, e, opts, fn, data);
  int r = pull_run(&p, id_out, err);
  if (r < 0)
    crio_err_wrap(err, "pull %s", opts->reference);
  pull_ctx_clear(&p);
  return r;
}
