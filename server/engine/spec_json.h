/* The engine's own storage form of pod and container specs (the `spec`
 * column of the store): JSON written and read only by the engine. */
#ifndef CRIO_ENGINE_SPEC_JSON_H
#define CRIO_ENGINE_SPEC_JSON_H

#include <jansson.h>

#include "server/engine/engine.h"

json_t *kv_to_json(const engine_kv *kv);
void kv_from_json(json_t *o, engine_kv *kv);
char *kv_to_json_text(const engine_kv *kv);
json_t *strv_to_json(const engine_strv *v);
void strv_from_json(json_t *a, engine_strv *v);

json_t *ports_to_json(const engine_port *p, size_t n);
void ports_from_json(json_t *a, engine_port **out, size_t *n);
void ports_clear(engine_port *p, size_t n);

char *pod_spec_to_json(const engine_pod_spec *s);
int pod_spec_from_json(const char *text, engine_pod_spec *out, crio_err **err);
char *container_spec_to_json(const engine_container_spec *s);
int container_spec_from_json(const char *text, engine_container_spec *out, crio_err **err);
void engine_container_spec_copy(const engine_container_spec *src, engine_container_spec *dst);
void engine_pod_spec_copy(const engine_pod_spec *src, engine_pod_spec *dst);

#endif
