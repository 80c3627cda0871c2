/* save and load: images as docker-archive and oci-archive tarballs. */
#include "server/engine/engine_image_internal.h"
#include "server/engine/image_commit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/image/digest.h"
#include "server/image/fsutil.h"
#include "server/image/image_archive.h"
#include "server/image/layer_extract.h"
#include "server/image/layer_store.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

const char *engine_upload_dir(engine *e)
{
  return e->upload_dir;
}

int engine_image_save_check(engine *e, const char *name, const char *format, crio_err **err)
{
  image_archive_format fmt;
  store_image *img = NULL;
  if (image_archive_format_parse(format, &fmt, err) < 0 || image_lookup(e, name, &img, err) < 0)
    return -1;
  store_image_free(img);
  return 0;
}

int engine_image_save(engine *e, const char *name, const char *format, int fd, crio_err **err)
{
  image_archive_format fmt;
  store_image *img = NULL;
  if (image_archive_format_parse(format, &fmt, err) < 0 || image_lookup(e, name, &img, err) < 0)
    return -1;
  image_manifest man;
  _cleanup_free_ char *mt = NULL;
  manifest_kind kind;
  size_t mlen = strlen(img->manifest);
  if (manifest_kind_of(NULL, img->manifest, mlen, &kind, &mt, err) < 0 ||
      manifest_parse(img->manifest, mlen, mt, &man, err) < 0) {
    store_image_free(img);
    return -1;
  }
  archive_layer *layers = xzalloc((img->n_layers + 1) * sizeof *layers);
  char **paths = xzalloc((img->n_layers + 1) * sizeof *paths);
  for (size_t i = 0; i < img->n_layers && i < man.n_layers; i++) {
    paths[i] = layer_blob_path(e->overlay_root, img->layers[i].id);
    layers[i] = (archive_layer) { .blob_path = paths[i], .digest = man.layers[i].digest,
                                  .media_type = man.layers[i].media_type,
                                  .diff_id = img->layers[i].diff_id, .size = man.layers[i].size };
  }
  _cleanup_free_ char *config_digest = xasprintf("sha256:%s", img->id);
  archive_image_in in = { .config = img->config, .config_len = strlen(img->config),
                          .config_digest = config_digest, .manifest = img->manifest,
                          .manifest_len = mlen, .manifest_digest = img->manifest_digest,
                          .manifest_media_type = mt, .layers = layers,
                          .n_layers = img->n_layers, .repo_tags = img->repo_tags,
                          .n_repo_tags = img->n_repo_tags };
  int r = image_archive_write(fd, fmt, &in, err);
  for (size_t i = 0; i < img->n_layers; i++)
    free(paths[i]);
  free(paths);
  free(layers);
  image_manifest_clear(&man);
  store_image_free(img);
  return r < 0 ? crio_err_wrap(err, "save %s", name) : 0;
}

/* Extracts a loaded layer into a staging directory and keeps its file as
 * the layer's blob. */
static int stage_layer(engine *e, const archive_layer_out *al, char **staging, int64_t *size,
                       crio_err **err)
{
  if (layer_staging_new(e->overlay_root, staging, err) < 0)
    return -1;
  _cleanup_free_ char *diff = path_join(*staging, "diff");
  _cleanup_free_ char *blob = path_join(*staging, "blob");
  layer_stats st = { 0 };
  int r = layer_extract_file(al->path, diff, &st, err);
  if (r == 0 && (!st.diff_id || strcmp(st.diff_id, al->diff_id) != 0))
    r = crio_err_set(err, CRIO_E_INVALID, "layer %s has diff ID %s, the config says %s",
                     al->digest, st.diff_id ? st.diff_id : "none", al->diff_id);
  if (r == 0 && rename(al->path, blob) < 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "move %s to %s", al->path, blob);
  *size = (int64_t) st.bytes;
  layer_stats_clear(&st);
  return r;
}

static int load_one(engine *e, const archive_image_out *ai, engine_strv *ids, engine_strv *names,
                    crio_err **err)
{
  const char *id = strchr(ai->config_digest, ':') + 1;
  commit_layer *layers = xzalloc((ai->n_layers + 1) * sizeof *layers);
  char **chains = xzalloc((ai->n_layers + 1) * sizeof *chains);
  char **tags = xzalloc((ai->n_repo_tags + 1) * sizeof *tags);
  size_t n_tags = 0;
  int r = 0;
  _cleanup_free_ char *chain = NULL;
  for (size_t i = 0; r == 0 && i < ai->n_layers; i++) {
    const archive_layer_out *al = &ai->layers[i];
    char *next = chain_id_next(chain, al->diff_id);
    free(chain);
    chain = next;
    chains[i] = xstrdup(strchr(chain, ':') + 1);
    layers[i] = (commit_layer) { .chain_hex = chains[i], .diff_id = al->diff_id,
                                 .digest = al->digest, .compressed_size = al->size };
    if (!layer_exists(e->overlay_root, chains[i]))
      r = stage_layer(e, al, &layers[i].staging, &layers[i].size, err);
  }
  for (size_t i = 0; r == 0 && i < ai->n_repo_tags; i++) {
    tags[n_tags] = image_normalize_name(ai->repo_tags[i]);
    if (tags[n_tags])
      n_tags++;
  }
  commit_image ci = { .id = id, .manifest_digest = ai->manifest_digest, .manifest = ai->manifest,
                      .config = ai->config, .tags = tags, .n_tags = n_tags, .layers = layers,
                      .n_layers = ai->n_layers, .action = "load" };
  if (r == 0)
    r = image_commit(e, &ci, err);
  if (r == 0) {
    strv_push(ids, id);
    for (size_t i = 0; i < n_tags; i++)
      strv_push(names, tags[i]);
  }
  for (size_t i = 0; i < ai->n_layers; i++) {
    if (layers[i].staging)
      rm_rf_at(layers[i].staging, NULL);
    free(layers[i].staging);
    free(chains[i]);
  }
  for (size_t i = 0; i < n_tags; i++)
    free(tags[i]);
  free(tags);
  free(chains);
  free(layers);
  return r;
}

int engine_image_load(engine *e, const char *path, engine_strv *ids, engine_strv *names,
                      crio_err **err)
{
  _cleanup_free_ char *workdir = xasprintf("%s/load-XXXXXX", e->upload_dir);
  if (!mkdtemp(workdir))
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", workdir);
  archive_images_out out = { 0 };
  int r = image_archive_read(path, workdir, &out, err);
  for (size_t i = 0; r == 0 && i < out.n; i++)
    r = load_one(e, &out.items[i], ids, names, err);
  archive_images_out_clear(&out);
  rm_rf_at(workdir, NULL);
  return r < 0 ? crio_err_wrap(err, "load") : 0;
}
