/* Platforms, the choice of a manifest from an index, and image configs. */
#include "server/image/manifest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void jsonp_decref(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_jsonp_ __attribute__((cleanup(jsonp_decref)))

void platform_host(platform *out)
{
#if defined(__x86_64__)
  out->arch = xstrdup("amd64");
  out->variant = NULL;
#elif defined(__aarch64__)
  out->arch = xstrdup("arm64");
  out->variant = xstrdup("v8");
#else
  out->arch = xstrdup("unknown");
  out->variant = NULL;
#endif
  out->os = xstrdup("linux");
}

int platform_parse(const char *s, platform *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  const char *a = strchr(s, '/');
  const char *v = a ? strchr(a + 1, '/') : NULL;
  if (!a || a == s || a[1] == '\0' || a[1] == '/' || (v && (v[1] == '\0' || strchr(v + 1, '/'))))
    return crio_err_set(err, CRIO_E_INVALID, "invalid platform \"%s\": want os/arch[/variant]", s);
  out->os = xstrndup(s, (size_t) (a - s));
  out->arch = v ? xstrndup(a + 1, (size_t) (v - a - 1)) : xstrdup(a + 1);
  out->variant = v ? xstrdup(v + 1) : NULL;
  return 0;
}

void platform_clear(platform *p)
{
  free(p->os);
  free(p->arch);
  free(p->variant);
  memset(p, 0, sizeof *p);
}

static bool platform_matches(json_t *p, const platform *want)
{
  const char *os = json_string_value(json_object_get(p, "os"));
  const char *arch = json_string_value(json_object_get(p, "architecture"));
  const char *variant = json_string_value(json_object_get(p, "variant"));
  if (!os || !arch || strcmp(os, want->os) != 0 || strcmp(arch, want->arch) != 0)
    return false;
  /* no variant asked: any; asked: must match, arm64's v8 also matching none */
  if (!want->variant)
    return true;
  if (!variant)
    return strcmp(want->arch, "arm64") == 0 && strcmp(want->variant, "v8") == 0;
  return strcmp(variant, want->variant) == 0;
}

static void describe_platform(strbuf *b, json_t *p)
{
  const char *os = json_string_value(json_object_get(p, "os"));
  const char *arch = json_string_value(json_object_get(p, "architecture"));
  const char *variant = json_string_value(json_object_get(p, "variant"));
  strbuf_printf(b, "%s%s/%s%s%s", b->len ? ", " : "", os ? os : "?", arch ? arch : "?",
                variant ? "/" : "", variant ? variant : "");
}

int index_choose(const char *body, size_t len, const platform *want, char **digest,
                 char **media_type, crio_err **err)
{
  json_error_t je;
  _cleanup_jsonp_ json_t *j = json_loadb(body, len, 0, &je);
  json_t *list = j ? json_object_get(j, "manifests") : NULL;
  if (!json_is_array(list))
    return crio_err_set(err, CRIO_E_INVALID, "manifest list has no manifests array");
  _cleanup_strbuf_ strbuf seen = STRBUF_INIT;
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *m = json_array_get(list, i);
    json_t *p = json_object_get(m, "platform");
    const char *d = json_string_value(json_object_get(m, "digest"));
    if (!json_is_object(p) || !d)
      continue;
    if (platform_matches(p, want)) {
      const char *mt = json_string_value(json_object_get(m, "mediaType"));
      *digest = xstrdup(d);
      *media_type = xstrdup(mt ? mt : "");
      return 0;
    }
    describe_platform(&seen, p);
  }
  return crio_err_set(err, CRIO_E_NOT_FOUND, "no image for %s/%s%s%s in the manifest list (it has: %s)",
                      want->os, want->arch, want->variant ? "/" : "",
                      want->variant ? want->variant : "", seen.len ? seen.data : "nothing");
}

int image_config_parse(const char *body, size_t len, image_config *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  json_error_t je;
  _cleanup_jsonp_ json_t *j = json_loadb(body, len, 0, &je);
  if (!json_is_object(j))
    return crio_err_set(err, CRIO_E_INVALID, "image config is not a JSON object: %s",
                        j ? "wrong type" : je.text);
  json_t *diff_ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
  if (!json_is_array(diff_ids))
    return crio_err_set(err, CRIO_E_INVALID, "image config has no rootfs.diff_ids");
  const char *os = json_string_value(json_object_get(j, "os"));
  const char *arch = json_string_value(json_object_get(j, "architecture"));
  const char *variant = json_string_value(json_object_get(j, "variant"));
  const char *created = json_string_value(json_object_get(j, "created"));
  out->os = xstrdup(os ? os : "");
  out->arch = xstrdup(arch ? arch : "");
  out->variant = xstrdup(variant ? variant : "");
  out->created = xstrdup(created);
  out->diff_ids = xzalloc((json_array_size(diff_ids) + 1) * sizeof *out->diff_ids);
  for (size_t i = 0; i < json_array_size(diff_ids); i++) {
    const char *d = json_string_value(json_array_get(diff_ids, i));
    if (!d) {
      image_config_clear(out);
      return crio_err_set(err, CRIO_E_INVALID, "image config: diff_ids[%zu] is not a string", i);
    }
    out->diff_ids[out->n_diff_ids++] = xstrdup(d);
  }
  return 0;
}

void image_config_clear(image_config *c)
{
  free(c->os);
  free(c->arch);
  free(c->variant);
  free(c->created);
  for (size_t i = 0; i < c->n_diff_ids; i++)
    free(c->diff_ids[i]);
  free(c->diff_ids);
  memset(c, 0, sizeof *c);
}
