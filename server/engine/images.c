/* Images in the store: lookup, list with filters, tag, remove, history. */
#include "server/engine/engine_image_internal.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/image/layer_store.h"
#include "server/image/reference.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

void strv_push(engine_strv *v, const char *s)
{
  v->items = xrealloc(v->items, (v->n + 2) * sizeof *v->items);
  v->items[v->n++] = xstrdup(s);
  v->items[v->n] = NULL;
}

void engine_strv_clear(engine_strv *v)
{
  for (size_t i = 0; i < v->n; i++)
    free(v->items[i]);
  free(v->items);
  v->items = NULL;
  v->n = 0;
}

char *image_normalize_name(const char *name)
{
  image_ref ref;
  _cleanup_err_ crio_err *err = NULL;
  if (image_ref_parse(name, &ref, &err) < 0)
    return NULL;
  char *s = image_ref_string(&ref);
  image_ref_clear(&ref);
  return s;
}

int engine_image_reference_check(const char *reference, crio_err **err)
{
  image_ref ref;
  if (image_ref_parse(reference, &ref, err) < 0)
    return -1;
  image_ref_clear(&ref);
  return 0;
}

/* "busybox" or "busybox:1" against "127.0.0.1:5000/busybox:latest": the
 * repository's last path components and the tag must match. */
static bool short_name_matches(const image_ref *want, const char *tag_name)
{
  image_ref have;
  _cleanup_err_ crio_err *err = NULL;
  if (image_ref_parse(tag_name, &have, &err) < 0)
    return false;
  bool ok = false;
  const char *want_path = want->path;
  if (strncmp(want_path, "library/", 8) == 0)
    want_path += 8;
  size_t lp = strlen(have.path), lw = strlen(want_path);
  if (lp >= lw && strcmp(have.path + lp - lw, want_path) == 0 &&
      (lp == lw || have.path[lp - lw - 1] == '/'))
    ok = have.tag && want->tag && strcmp(have.tag, want->tag) == 0;
  image_ref_clear(&have);
  return ok;
}

static int lookup_short_name(engine *e, const char *name, store_image **out, crio_err **err)
{
  image_ref want;
  if (!image_ref_is_short_name(name) || image_ref_parse(name, &want, NULL) < 0)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "image %s not found", name);
  store_images all = { 0 };
  int r = store_image_list(e->store, &all, err);
  const char *found = NULL;
  size_t matches = 0;
  for (size_t i = 0; r == 0 && i < all.n; i++) {
    bool hit = false;
    for (size_t t = 0; t < all.items[i].n_repo_tags; t++)
      hit = hit || short_name_matches(&want, all.items[i].repo_tags[t]);
    if (hit) {
      matches++;
      found = all.items[i].id;
    }
  }
  if (r == 0 && matches == 1)
    r = store_image_get(e->store, found, out, err);
  else if (r == 0)
    r = crio_err_set(err, matches ? CRIO_E_INVALID : CRIO_E_NOT_FOUND,
                     matches ? "short name %s matches %zu images: use a full name"
                             : "image %s not found", name, matches);
  store_images_free(&all);
  image_ref_clear(&want);
  return r;
}

int image_lookup(engine *e, const char *name, store_image **out, crio_err **err)
{
  _cleanup_err_ crio_err *first = NULL;
  if (store_image_lookup(e->store, name, out, &first) == 0)
    return 0;
  if (first->code != CRIO_E_NOT_FOUND) {
    *err = steal_pointer(&first);
    return -(int) (*err)->code;
  }
  _cleanup_free_ char *normalized = image_normalize_name(name);
  _cleanup_err_ crio_err *second = NULL;
  if (normalized && store_image_get_by_name(e->store, normalized, out, &second) == 0)
    return 0;
  return lookup_short_name(e, name, out, err);
}

static void jsonp_decref(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_jsonp_ __attribute__((cleanup(jsonp_decref)))

static char *json_str_or(json_t *j, const char *key, const char *dflt)
{
  const char *s = json_string_value(json_object_get(j, key));
  return xstrdup(s ? s : dflt);
}

void engine_image_from_store(const store_image *s, engine_image *out)
{
  memset(out, 0, sizeof *out);
  out->id = xstrdup(s->id);
  out->digest = xstrdup(s->manifest_digest);
  for (size_t i = 0; i < s->n_repo_tags; i++)
    strv_push(&out->repo_tags, s->repo_tags[i]);
  for (size_t i = 0; i < s->n_repo_digests; i++)
    strv_push(&out->repo_digests, s->repo_digests[i]);
  out->created_ns = s->created_ns;
  out->size = s->size;
  out->config = xstrdup(s->config);
  out->manifest = xstrdup(s->manifest);
  _cleanup_jsonp_ json_t *cfg = json_loads(s->config, 0, NULL);
  _cleanup_jsonp_ json_t *man = json_loads(s->manifest, 0, NULL);
  out->created = json_str_or(cfg, "created", "");
  out->os = json_str_or(cfg, "os", "");
  out->arch = json_str_or(cfg, "architecture", "");
  out->variant = json_str_or(cfg, "variant", "");
  out->user = json_str_or(json_object_get(cfg, "config"), "User", "");
  out->manifest_media_type = json_str_or(man, "mediaType", "application/vnd.oci.image.manifest.v1+json");
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(json_object_get(cfg, "config"), "Labels"), k, v) {
    if (!json_is_string(v))
      continue;
    strv_push(&out->label_keys, k);
    strv_push(&out->label_values, json_string_value(v));
  }
  out->layers = xzalloc((s->n_layers + 1) * sizeof *out->layers);
  out->n_layers = s->n_layers;
  for (size_t i = 0; i < s->n_layers; i++) {
    out->layers[i].id = xstrdup(s->layers[i].id);
    out->layers[i].diff_id = xstrdup(s->layers[i].diff_id);
    out->layers[i].digest = xstrdup(s->layers[i].compressed_digest ? s->layers[i].compressed_digest : "");
    out->layers[i].size = s->layers[i].size;
  }
}

void engine_image_clear(engine_image *img)
{
  char **strings[] = { &img->id, &img->digest, &img->created, &img->os, &img->arch,
                       &img->variant, &img->manifest_media_type, &img->manifest, &img->config,
                       &img->user };
  for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
    free(*strings[i]);
  engine_strv_clear(&img->repo_tags);
  engine_strv_clear(&img->repo_digests);
  engine_strv_clear(&img->label_keys);
  engine_strv_clear(&img->label_values);
  for (size_t i = 0; i < img->n_layers; i++) {
    free(img->layers[i].id);
    free(img->layers[i].diff_id);
    free(img->layers[i].digest);
  }
  free(img->layers);
  memset(img, 0, sizeof *img);
}

void engine_images_clear(engine_images *list)
{
  for (size_t i = 0; i < list->n; i++)
    engine_image_clear(&list->items[i]);
  free(list->items);
  list->items = NULL;
  list->n = 0;
}

int engine_image_get(engine *e, const char *name, engine_image *out, crio_err **err)
{
  store_image *s = NULL;
  if (image_lookup(e, name, &s, err) < 0)
    return -1;
  engine_image_from_store(s, out);
  store_image_free(s);
  return 0;
}
