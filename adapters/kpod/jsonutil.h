/* jansson helpers for kpod: a cleanup attribute for json_t and lookups that
 * tolerate missing keys. The daemon has its own; kpod shares no code with it. */
#ifndef KPOD_JSONUTIL_H
#define KPOD_JSONUTIL_H

#include <jansson.h>

static inline void kpod_json_decrefp(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(kpod_json_decrefp)))

/* The string at key, or fallback when the key is missing, null or not a string. */
static inline const char *kpod_json_str(const json_t *obj, const char *key, const char *fallback)
{
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : fallback;
}

#endif
