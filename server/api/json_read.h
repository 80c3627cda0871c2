/* Strict reading of JSON request bodies into engine structs: unknown fields
 * and wrong types are errors that name the field ("resources.memory_limit:
 * expected an integer"). */
#ifndef CRIO_API_JSON_READ_H
#define CRIO_API_JSON_READ_H

#include <jansson.h>

#include "server/engine/engine.h"

int read_pod_spec(json_t *o, engine_pod_spec *out, crio_err **err);
int read_container_spec(json_t *o, engine_container_spec *out, crio_err **err);

json_t *pod_json(const engine_pod *p);
json_t *container_json(const engine_container *c);
json_t *container_spec_json(const engine_container_spec *s);
/* RFC 3339 with nanoseconds, "" for 0. */
json_t *time_json(int64_t ns);

#endif
