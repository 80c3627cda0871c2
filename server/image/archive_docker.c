/* docker-archive: the tarball of `docker save` and `podman save`.
 *
 * Written as podman (containers/image) writes it: the config as
 * "<hex>.json", each layer uncompressed as "<diff-id hex>.tar", one legacy
 * directory per layer ("<id>/VERSION", "<id>/json", "<id>/layer.tar" as a
 * symlink to the layer file) for loaders that predate manifest.json, then
 * manifest.json and repositories. Read from any of its dialects. */
#include <stdlib.h>
#include <string.h>

#include "server/image/archive_internal.h"
#include "server/image/digest.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* ---------------------------------------------------------------- writer */

static const char *digest_hex(const char *digest)
{
  return digest + strlen(DIGEST_SHA256_PREFIX);
}

static int check_digests(const archive_image_in *img, crio_err **err)
{
  if (digest_parse(img->config_digest, NULL, err) < 0)
    return crio_err_wrap(err, "config digest");
  _cleanup_free_ char *got = digest_bytes(img->config, img->config_len);
  if (strcmp(got, img->config_digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "config does not match its digest %s (it is %s)",
                        img->config_digest, got);
  for (size_t i = 0; i < img->n_layers; i++)
    if (digest_parse(img->layers[i].diff_id, NULL, err) < 0)
      return crio_err_wrap(err, "diff_id of layer %zu", i + 1);
  return 0;
}

/* The layer decompressed, twice: once for its size (a tar header comes
 * before the data) and its diff_id, then into the archive. */
static int write_layer(tarw *w, const archive_layer *l, size_t i, crio_err **err)
{
  _cleanup_free_ char *diff = NULL, *again = NULL;
  int64_t size = 0, written = 0;
  int r = blob_decompress(l->blob_path, NULL, NULL, &diff, &size, err);
  if (r < 0)
    return crio_err_wrap(err, "layer %zu", i + 1);
  if (strcmp(diff, l->diff_id) != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "layer %zu (%s): content does not match its diff_id %s (it is %s)", i + 1,
                        l->blob_path, l->diff_id, diff);
  _cleanup_free_ char *name = xasprintf("%s.tar", digest_hex(l->diff_id));
  r = tarw_header(w, name, size, err);
  if (r == 0)
    r = blob_decompress(l->blob_path, tarw_data, w, &again, &written, err);
  if (r < 0)
    return crio_err_wrap(err, "layer %zu", i + 1);
  if (written != size || strcmp(again, diff) != 0)
    return crio_err_set(err, CRIO_E_IO, "layer %zu (%s) changed while being written", i + 1,
                        l->blob_path);
  return 0;
}

static int write_layers(tarw *w, const archive_image_in *img, crio_err **err)
{
  for (size_t i = 0; i < img->n_layers; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(img->layers[j].diff_id, img->layers[i].diff_id) == 0;
    int r = seen ? 0 : write_layer(w, &img->layers[i], i, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* The legacy "json" of a layer: its id, its parent's, and for the top
 * layer the image's settings. The id is the digest of that document with
 * the chain ID in place of the id, so it is stable and unique. */
static json_t *legacy_json(const char *parent, const char *chain, json_t *config, char **id)
{
  static const char *const top_keys[] = { "architecture", "config", "container",
                                          "container_config", "created", "docker_version", "os" };
  json_t *j = json_object();
  if (parent)
    json_object_set_new(j, "parent", json_string(parent));
  for (size_t k = 0; config && k < ARRAY_SIZE(top_keys); k++) {
    json_t *v = json_object_get(config, top_keys[k]);
    if (v)
      json_object_set(j, top_keys[k], v);
  }
  json_object_set_new(j, "layer_id", json_string(chain));
  _cleanup_free_ char *text = arc_json_canonical(j);
  _cleanup_free_ char *digest = digest_bytes(text, strlen(text));
  json_object_del(j, "layer_id");
  *id = xstrdup(digest_hex(digest));
  json_object_set_new(j, "id", json_string(*id));
  return j;
}

static int write_legacy_layer(tarw *w, const char *id, json_t *j, const char *diff_id,
                              crio_err **err)
{
  _cleanup_free_ char *dir = xasprintf("%s/", id);
  _cleanup_free_ char *version = xasprintf("%s/VERSION", id);
  _cleanup_free_ char *json_name = xasprintf("%s/json", id);
  _cleanup_free_ char *link = xasprintf("%s/layer.tar", id);
  _cleanup_free_ char *target = xasprintf("../%s.tar", digest_hex(diff_id));
  _cleanup_free_ char *text = arc_json_compact(j);
  int r = tarw_dir(w, dir, err);
  if (r == 0)
    r = tarw_bytes(w, version, "1.0", 3, err);
  if (r == 0)
    r = tarw_bytes(w, json_name, text, strlen(text), err);
  if (r == 0)
    r = tarw_symlink(w, link, target, err);
  return r;
}

/* Writes the legacy directories; *top_id gets the top layer's id. */
static int write_legacy(tarw *w, const archive_image_in *img, char **top_id,
                        crio_err **err)
{
  _cleanup_arc_json_ json_t *config = json_loadb(img->config, img->config_len, 0, NULL);
  _cleanup_free_ char *chain = NULL, *parent = NULL;
  for (size_t i = 0; i < img->n_layers; i++) {
    char *next = chain_id_next(chain, img->layers[i].diff_id);
    free(chain);
    chain = next;
    char *id = NULL;
    bool top = i + 1 == img->n_layers;
    _cleanup_arc_json_ json_t *j = legacy_json(parent, chain, top ? config : NULL, &id);
    free(parent);
    parent = id;
    int r = write_legacy_layer(w, id, j, img->layers[i].diff_id, err);
    if (r < 0)
      return r;
  }
  *top_id = steal_pointer(&parent);
  return 0;
}

/* "name:tag" split at the tag's colon; false for digest references and
 * names without a tag (docker's RepoTags hold name:tag only). */
static bool split_repo_tag(const char *s, char **name, const char **tag)
{
  const char *slash = strrchr(s, '/');
  const char *colon = strrchr(slash ? slash : s, ':');
  if (strchr(s, '@') || !colon || colon == s || !colon[1])
    return false;
  *name = xstrndup(s, (size_t) (colon - s));
  *tag = colon + 1;
  return true;
}

static int write_index_files(tarw *w, const archive_image_in *img, const char *top_id,
                             crio_err **err)
{
  _cleanup_arc_json_ json_t *tags = json_array(), *layers = json_array();
  _cleanup_arc_json_ json_t *repos = json_object();
  for (size_t i = 0; i < img->n_repo_tags; i++) {
    _cleanup_free_ char *name = NULL;
    const char *tag;
    if (!split_repo_tag(img->repo_tags[i], &name, &tag))
      continue;
    json_array_append_new(tags, json_string(img->repo_tags[i]));
    if (!top_id)
      continue;  /* no layer to point at */
    json_t *repo = json_object_get(repos, name);
    if (!repo)
      json_object_set_new(repos, name, repo = json_object());
    json_object_set_new(repo, tag, json_string(top_id));
  }
  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new(layers,
                          json_sprintf("%s.tar", digest_hex(img->layers[i].diff_id)));
  _cleanup_free_ char *config_name = xasprintf("%s.json", digest_hex(img->config_digest));
  _cleanup_arc_json_ json_t *manifest = json_pack("[{s:s, s:O, s:O}]", "Config", config_name,
                                                  "RepoTags", tags, "Layers", layers);
  _cleanup_free_ char *m = arc_json_compact(manifest);
  _cleanup_free_ char *rp = arc_json_canonical(repos);
  int r = tarw_bytes(w, "manifest.json", m, strlen(m), err);
  return r < 0 ? r : tarw_bytes(w, "repositories", rp, strlen(rp), err);
}

int docker_archive_write(tarw *w, const archive_image_in *img, crio_err **err)
{
  int r = check_digests(img, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *config_name = xasprintf("%s.json", digest_hex(img->config_digest));
  r = tarw_bytes(w, config_name, img->config, img->config_len, err);
  if (r == 0)
    r = write_layers(w, img, err);
  _cleanup_free_ char *top_id = NULL;
  if (r == 0)
    r = write_legacy(w, img, &top_id, err);
  if (r == 0)
    r = write_index_files(w, img, top_id, err);
  return r;
}

/* ---------------------------------------------------------------- reader */

/* Fills out from the layer file at path, checked against diff_id. */
static int read_layer(arc_files *f, const char *path, const char *diff_id, size_t i,
                      const char *label, archive_layer_out *out, crio_err **err)
{
  _cleanup_free_ char *what = xasprintf("layer %zu (%s) of image %s", i + 1, path, label);
  arc_file *lf = arc_files_find(f, path, what, err);
  if (!lf)
    return -CRIO_E_INVALID;
  const char *media_type = blob_kind_media_type(lf->kind);
  if (!media_type)
    return crio_err_set(err, CRIO_E_INVALID, "%s in %s: not a tar, gzip or zstd stream", what,
                        f->archive);
  if (lf->kind != BLOB_TAR && !lf->diff_id &&
      blob_decompress(lf->path, NULL, NULL, &lf->diff_id, NULL, err) < 0)
    return crio_err_wrap(err, "%s in %s", what, f->archive);
  const char *got = lf->kind == BLOB_TAR ? lf->digest : lf->diff_id;
  if (strcmp(got, diff_id) != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "%s in %s: content does not match the config's diff_id %s (it is %s)",
                        what, f->archive, diff_id, got);
  out->path = xstrdup(lf->path);
  out->digest = xstrdup(lf->digest);
  out->media_type = xstrdup(media_type);
  out->diff_id = xstrdup(diff_id);
  out->size = lf->size;
  return 0;
}

/* An OCI image manifest of the config and layers, in canonical JSON. */
static void synthesize_manifest(archive_image_out *img)
{
  _cleanup_arc_json_ json_t *layers = json_array();
  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType",
                                            img->layers[i].media_type, "digest",
                                            img->layers[i].digest, "size",
                                            (json_int_t) img->layers[i].size));
  _cleanup_arc_json_ json_t *m = json_pack(
      "{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST,
      "config", "mediaType", MT_OCI_CONFIG, "digest", img->config_digest, "size",
      (json_int_t) img->config_len, "layers", layers);
  img->manifest = arc_json_canonical(m);
  img->manifest_len = strlen(img->manifest);
  img->manifest_digest = digest_bytes(img->manifest, img->manifest_len);
  img->manifest_media_type = xstrdup(MT_OCI_MANIFEST);
}

static int read_config(arc_files *f, archive_image_out *img, const char *config_path,
                       const char *label, image_config *cfg, crio_err **err)
{
  _cleanup_free_ char *what = xasprintf("config of image %s", label);
  arc_file *cf = arc_files_find(f, config_path, what, err);
  if (!cf)
    return -CRIO_E_INVALID;
  int r = arc_file_read(f, cf, what, &img->config, &img->config_len, err);
  if (r < 0)
    return r;
  img->config_digest = xstrdup(cf->digest);
  r = image_config_parse(img->config, img->config_len, cfg, err);
  return r < 0 ? crio_err_wrap(err, "%s in %s", what, f->archive) : 0;
}

static int read_image(arc_files *f, json_t *item, size_t idx, archive_images_out *out,
                      crio_err **err)
{
  const char *config_path = json_string_value(json_object_get(item, "Config"));
  json_t *layers = json_object_get(item, "Layers");
  json_t *tags = json_object_get(item, "RepoTags");
  if (!config_path || !json_is_array(layers) ||
      (tags && !json_is_array(tags) && !json_is_null(tags)))
    return crio_err_set(err, CRIO_E_INVALID,
                        "manifest.json of %s: entry %zu lacks Config or Layers", f->archive,
                        idx + 1);
  const char *first = json_string_value(json_array_get(tags, 0));
  _cleanup_free_ char *label = first ? xstrdup(first) : xasprintf("#%zu", idx + 1);
  archive_image_out *img = images_out_add(out);
  __attribute__((cleanup(image_config_clear))) image_config cfg = { 0 };
  int r = read_config(f, img, config_path, label, &cfg, err);
  if (r < 0)
    return r;
  if (json_array_size(layers) != cfg.n_diff_ids)
    return crio_err_set(err, CRIO_E_INVALID,
                        "image %s in %s has %zu layers but its config lists %zu diff_ids", label,
                        f->archive, json_array_size(layers), cfg.n_diff_ids);
  img->layers = xzalloc((cfg.n_diff_ids + 1) * sizeof *img->layers);
  for (size_t i = 0; i < cfg.n_diff_ids; i++) {
    const char *path = json_string_value(json_array_get(layers, i));
    r = read_layer(f, path ? path : "", cfg.diff_ids[i], i, label, &img->layers[i], err);
    if (r < 0)
      return r;
    img->n_layers++;
  }
  for (size_t i = 0; i < json_array_size(tags); i++) {
    const char *tag = json_string_value(json_array_get(tags, i));
    if (tag)
      str_list_add(&img->repo_tags, &img->n_repo_tags, tag);
  }
  synthesize_manifest(img);
  return 0;
}

int docker_archive_read(arc_files *f, archive_images_out *out, crio_err **err)
{
  arc_file *mf = arc_files_find(f, "manifest.json", "manifest.json", err);
  if (!mf)
    return -CRIO_E_INVALID;
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  int r = arc_file_read(f, mf, "manifest.json", &body, &len, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *what = xasprintf("manifest.json of %s", f->archive);
  _cleanup_arc_json_ json_t *list = arc_json_parse(body, len, what, err);
  if (!list)
    return -CRIO_E_INVALID;
  if (!json_is_array(list) || json_array_size(list) == 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s lists no image", what);
  for (size_t i = 0; i < json_array_size(list); i++) {
    r = read_image(f, json_array_get(list, i), i, out, err);
    if (r < 0)
      return r;
  }
  return 0;
}
