/* Shared between the files that build config.json (oci_spec*.c). */
#ifndef CRIO_RUNTIME_OCI_SPEC_INTERNAL_H
#define CRIO_RUNTIME_OCI_SPEC_INTERNAL_H

#include <jansson.h>

#include "server/runtime/oci_spec.h"

/* The "mounts" array. */
int oci_spec_mounts(const oci_spec_input *in, json_t **out, crio_err **err);
/* The "linux" object. */
int oci_spec_linux(const oci_spec_input *in, json_t **out, crio_err **err);
/* Appends the host's device nodes under /dev (for a privileged
 * container), those already in devices left as they are. */
void oci_host_devices(json_t *devices);
/* linux.resources without device rules. */
json_t *oci_spec_resources(const oci_resources *r);

/* NULL when a string is NULL or not UTF-8. */
static inline json_t *oci_json_strv(oci_strv v)
{
  json_t *a = json_array();
  for (size_t i = 0; i < v.n; i++)
    if (json_array_append_new(a, json_string(v.items[i] ? v.items[i] : "\xff")) < 0) {
      json_decref(a);
      return NULL;
    }
  return a;
}

static inline json_t *oci_json_cstrv(const char *const *v, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static inline void cleanup_json_decrefp(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_jsonp_ __attribute__((cleanup(cleanup_json_decrefp)))

#endif
