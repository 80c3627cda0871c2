#include "server/image/manifest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

const char *const manifest_accept_types[] = { MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST,
                                              MT_DOCKER_MANIFEST, NULL };

static const char *const layer_types[] = { MT_OCI_LAYER, MT_OCI_LAYER_GZIP, MT_OCI_LAYER_ZSTD,
                                           MT_DOCKER_LAYER, NULL };

static void jsonp_decref(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_jsonp_ __attribute__((cleanup(jsonp_decref)))

static bool in_list(const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(s, *list) == 0)
      return true;
  return false;
}

static json_t *parse_json(const char *body, size_t len, const char *what, crio_err **err)
{
  json_error_t je;
  json_t *j = json_loadb(body, len, 0, &je);
  if (!j || !json_is_object(j)) {
    if (j)
      json_decref(j);
    crio_err_set(err, CRIO_E_INVALID, "%s is not a JSON object: %s", what,
                 j ? "wrong type" : je.text);
    return NULL;
  }
  return j;
}

int manifest_kind_of(const char *media_type, const char *body, size_t len, manifest_kind *kind,
                     char **resolved, crio_err **err)
{
  _cleanup_free_ char *mt = NULL;
  if (media_type && media_type[0] && strncmp(media_type, "application/json", 16) != 0 &&
      strncmp(media_type, "text/plain", 10) != 0)
    mt = xstrndup(media_type, strcspn(media_type, "; "));
  if (!mt) {
    _cleanup_jsonp_ json_t *j = parse_json(body, len, "manifest", err);
    if (!j)
      return -CRIO_E_INVALID;
    const char *own = json_string_value(json_object_get(j, "mediaType"));
    if (own)
      mt = xstrdup(own);
    else if (json_object_get(j, "manifests"))
      mt = xstrdup(MT_OCI_INDEX);
    else
      mt = xstrdup(MT_OCI_MANIFEST);
  }
  if (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)
    *kind = MANIFEST_INDEX;
  else if (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0)
    *kind = MANIFEST_IMAGE;
  else
    return crio_err_set(err, CRIO_E_INVALID,
                        "unsupported manifest media type \"%s\" (supported: OCI image manifest "
                        "and index, Docker v2 schema 2 and manifest list)",
                        mt);
  if (resolved)
    *resolved = steal_pointer(&mt);
  return 0;
}

static int blob_parse(json_t *j, const char *what, manifest_blob *out, crio_err **err)
{
  const char *digest = json_string_value(json_object_get(j, "digest"));
  const char *mt = json_string_value(json_object_get(j, "mediaType"));
  json_t *size = json_object_get(j, "size");
  if (!json_is_object(j) || !digest || !json_is_integer(size) || json_integer_value(size) < 0)
    return crio_err_set(err, CRIO_E_INVALID, "manifest: %s lacks a digest or size", what);
  out->digest = xstrdup(digest);
  out->media_type = xstrdup(mt ? mt : "");
  out->size = json_integer_value(size);
  return 0;
}

int manifest_parse(const char *body, size_t len, const char *media_type, image_manifest *out,
                   crio_err **err)
{
  memset(out, 0, sizeof *out);
  _cleanup_jsonp_ json_t *j = parse_json(body, len, "manifest", err);
  if (!j)
    return -CRIO_E_INVALID;
  json_t *layers = json_object_get(j, "layers");
  if (!json_is_array(layers))
    return crio_err_set(err, CRIO_E_INVALID, "manifest has no layers array");
  out->media_type = xstrdup(media_type);
  if (blob_parse(json_object_get(j, "config"), "config", &out->config, err) < 0) {
    image_manifest_clear(out);
    return -CRIO_E_INVALID;
  }
  out->layers = xzalloc((json_array_size(layers) + 1) * sizeof *out->layers);
  for (size_t i = 0; i < json_array_size(layers); i++) {
    manifest_blob *b = &out->layers[out->n_layers];
    if (blob_parse(json_array_get(layers, i), "a layer", b, err) < 0) {
      image_manifest_clear(out);
      return -CRIO_E_INVALID;
    }
    out->n_layers++;
    if (!in_list(b->media_type, layer_types)) {
      crio_err_set(err, CRIO_E_INVALID, "layer %s has unsupported media type \"%s\"", b->digest,
                   b->media_type);
      image_manifest_clear(out);
      return -CRIO_E_INVALID;
    }
  }
  return 0;
}

static void blob_clear(manifest_blob *b)
{
  free(b->digest);
  free(b->media_type);
}

void image_manifest_clear(image_manifest *m)
{
  free(m->media_type);
  blob_clear(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    blob_clear(&m->layers[i]);
  free(m->layers);
  memset(m, 0, sizeof *m);
}
