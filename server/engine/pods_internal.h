/* What pods.c shares with the container code. */
#ifndef CRIO_ENGINE_PODS_INTERNAL_H
#define CRIO_ENGINE_PODS_INTERNAL_H

#include "server/engine/engine_internal.h"
#include "server/network/ns_pin.h"

/* The pinned namespace paths of a pod (NULL for the host's). */
void pod_pins(engine *e, const char *id, const engine_pod_spec *s, ns_pins *out);
/* Removes the pod's pins, files and cgroup (best effort, logged). */
void pod_teardown(engine *e, const char *id, const engine_pod_spec *s);
/* The pod's row and spec. */
int pod_load(engine *e, const char *ref, store_pod **row, engine_pod_spec *spec, crio_err **err);

/* CNI ADD for a new pod (sets s->network; *ips_json: its IPs as a JSON
 * array); nothing when the pod uses the host's network or no CNI
 * configuration exists. */
int pod_network_setup(engine *e, const char *id, engine_pod_spec *s, const char *netns,
                      char **ips_json, crio_err **err);
/* CNI CHECK of a pod's network (at start, for pods that survived). */
int pod_network_check(engine *e, const char *id, const engine_pod_spec *s, const char *netns,
                      crio_err **err);
/* CNI DEL; idempotent. */
int pod_network_teardown(engine *e, const char *id, const engine_pod_spec *s, const char *netns,
                         crio_err **err);

#endif
