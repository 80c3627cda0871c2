/* Pull, step three and the whole: resolve, fetch what is missing, then
 * commit the layers and the image in one critical section. */
#include "server/engine/pull_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/engine/image_commit.h"
#include "server/image/fsutil.h"
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

static int record_image(pull_ctx *p, const char *id, crio_err **err)
{
  _cleanup_free_ char *tag = NULL, *digest_name = NULL;
  names_of(p, &tag, &digest_name);
  commit_layer *layers = xzalloc((p->n_layers + 1) * sizeof *layers);
  for (size_t i = 0; i < p->n_layers; i++) {
    pull_layer *l = &p->layers[i];
    layers[i] = (commit_layer) { .chain_hex = l->chain_hex, .diff_id = l->diff_id,
                                 .digest = l->blob->digest, .compressed_size = l->blob->size,
                                 .staging = steal_pointer(&l->staging), .size = l->size };
  }
  char *tags[1] = { tag };
  char *digests[1] = { digest_name };
  commit_image ci = { .id = id, .manifest_digest = p->manifest_digest, .manifest = p->manifest,
                      .config = p->config, .tags = tags, .n_tags = tag ? 1 : 0,
                      .digests = digests, .n_digests = 1, .layers = layers,
                      .n_layers = p->n_layers, .action = "pull" };
  int r = image_commit(p->e, &ci, err);
  for (size_t i = 0; i < p->n_layers; i++)
    if (layers[i].staging)
      rm_rf_at(layers[i].staging, NULL);
  for (size_t i = 0; i < p->n_layers; i++)
    free(layers[i].staging);
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
