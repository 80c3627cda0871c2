/* Key/value lists and the engine's strv helpers' JSON forms for the store. */
#include "server/engine/engine_image_internal.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void engine_kv_clear(engine_kv *kv)
{
  engine_strv_clear(&kv->keys);
  engine_strv_clear(&kv->values);
}

void engine_kv_set(engine_kv *kv, const char *key, const char *value)
{
  for (size_t i = 0; i < kv->keys.n; i++)
    if (strcmp(kv->keys.items[i], key) == 0) {
      free(kv->values.items[i]);
      kv->values.items[i] = xstrdup(value);
      return;
    }
  strv_push(&kv->keys, key);
  strv_push(&kv->values, value);
}

json_t *kv_to_json(const engine_kv *kv)
{
  json_t *o = json_object();
  for (size_t i = 0; i < kv->keys.n; i++)
    json_object_set_new(o, kv->keys.items[i], json_string(kv->values.items[i]));
  return o;
}

void kv_from_json(json_t *o, engine_kv *kv)
{
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v)
    if (json_is_string(v))
      engine_kv_set(kv, k, json_string_value(v));
}

char *kv_to_json_text(const engine_kv *kv)
{
  json_t *o = kv_to_json(kv);
  char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return s;
}

json_t *strv_to_json(const engine_strv *v)
{
  json_t *a = json_array();
  for (size_t i = 0; i < v->n; i++)
    json_array_append_new(a, json_string(v->items[i]));
  return a;
}

void strv_from_json(json_t *a, engine_strv *v)
{
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x)
    if (json_is_string(x))
      strv_push(v, json_string_value(x));
}
