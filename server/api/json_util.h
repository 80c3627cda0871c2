/* jansson helpers for the REST face. */
#ifndef CRIO_API_JSON_UTIL_H
#define CRIO_API_JSON_UTIL_H

#include <jansson.h>

static inline void cleanup_jsonp(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(cleanup_jsonp)))

/* A string or JSON null when s is NULL. */
static inline json_t *json_string_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

/* A JSON array of the n strings of v. */
static inline json_t *json_string_array(char *const *v, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

#endif
