/* `images --filter`: podman's reference, dangling, label, before and since. */
#include "server/engine/engine_image_internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct image_pred {
  char *key;
  char *value;
  int64_t created_ns;   /* before/since: the other image's */
} image_pred;

static bool reference_matches(const char *pattern, const char *tag_name)
{
  /* "127.0.0.1:5000/busybox:latest" is also "busybox:latest", "busybox" ... */
  _cleanup_free_ char *name = xstrdup(tag_name);
  char *colon = strrchr(name, ':');
  char *slash = strrchr(name, '/');
  const char *candidates[6] = { tag_name, NULL };
  size_t n = 1;
  const char *no_domain = strchr(tag_name, '/') ? strchr(tag_name, '/') + 1 : tag_name;
  candidates[n++] = no_domain;
  candidates[n++] = slash ? strrchr(tag_name, '/') + 1 : tag_name;
  if (colon && (!slash || colon > slash))
    *colon = '\0';
  candidates[n++] = name;
  candidates[n++] = strchr(name, '/') ? strchr(name, '/') + 1 : name;
  candidates[n++] = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
  for (size_t i = 0; i < n; i++)
    if (fnmatch(pattern, candidates[i], 0) == 0)
      return true;
  return false;
}

static bool pred_holds(const image_pred *p, const store_image *img, const engine_image *view)
{
  if (strcmp(p->key, "reference") == 0) {
    for (size_t i = 0; i < img->n_repo_tags; i++)
      if (reference_matches(p->value, img->repo_tags[i]))
        return true;
    return false;
  }
  if (strcmp(p->key, "dangling") == 0)
    return (img->n_repo_tags == 0) == (strcmp(p->value, "true") == 0);
  if (strcmp(p->key, "before") == 0)
    return img->created_ns < p->created_ns;
  if (strcmp(p->key, "since") == 0)
    return img->created_ns > p->created_ns;
  /* label=K or label=K=V */
  const char *eq = strchr(p->value, '=');
  size_t klen = eq ? (size_t) (eq - p->value) : strlen(p->value);
  for (size_t i = 0; i < view->label_keys.n; i++)
    if (strlen(view->label_keys.items[i]) == klen &&
        strncmp(view->label_keys.items[i], p->value, klen) == 0)
      return !eq || strcmp(view->label_values.items[i], eq + 1) == 0;
  return false;
}

static int pred_parse(engine *e, const char *f, image_pred *p, crio_err **err)
{
  const char *eq = strchr(f, '=');
  if (!eq || eq == f || !eq[1])
    return crio_err_set(err, CRIO_E_INVALID, "image filter \"%s\" is not KEY=VALUE", f);
  p->key = xstrndup(f, (size_t) (eq - f));
  p->value = xstrdup(eq + 1);
  static const char *const known[] = { "reference", "dangling", "label", "before", "since" };
  bool ok = false;
  for (size_t i = 0; i < ARRAY_SIZE(known); i++)
    ok = ok || strcmp(p->key, known[i]) == 0;
  if (!ok)
    return crio_err_set(err, CRIO_E_INVALID,
                        "unknown image filter \"%s\" (known: reference, dangling, label, "
                        "before, since)", p->key);
  if (strcmp(p->key, "dangling") == 0 && strcmp(p->value, "true") != 0 &&
      strcmp(p->value, "false") != 0)
    return crio_err_set(err, CRIO_E_INVALID, "filter dangling=%s: want true or false", p->value);
  if (strcmp(p->key, "before") == 0 || strcmp(p->key, "since") == 0) {
    store_image *other = NULL;
    if (image_lookup(e, p->value, &other, err) < 0)
      return crio_err_wrap(err, "filter %s", f);
    p->created_ns = other->created_ns;
    store_image_free(other);
  }
  return 0;
}

static void preds_free(image_pred *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(p[i].key);
    free(p[i].value);
  }
  free(p);
}

int engine_image_list(engine *e, const engine_image_filter *f, engine_images *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  size_t n_preds = f ? f->n_filters : 0;
  image_pred *preds = xzalloc((n_preds + 1) * sizeof *preds);
  for (size_t i = 0; i < n_preds; i++)
    if (pred_parse(e, f->filters[i], &preds[i], err) < 0) {
      preds_free(preds, n_preds);
      return -1;
    }
  store_images all = { 0 };
  if (store_image_list(e->store, &all, err) < 0) {
    preds_free(preds, n_preds);
    return -1;
  }
  out->items = xzalloc((all.n + 1) * sizeof *out->items);
  for (size_t i = all.n; i-- > 0;) {   /* newest first */
    engine_image view;
    engine_image_from_store(&all.items[i], &view);
    bool keep = true;
    for (size_t p = 0; keep && p < n_preds; p++)
      keep = pred_holds(&preds[p], &all.items[i], &view);
    if (keep)
      out->items[out->n++] = view;
    else
      engine_image_clear(&view);
  }
  store_images_free(&all);
  preds_free(preds, n_preds);
  return 0;
}
