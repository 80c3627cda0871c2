/* Containers changed in place: their resources (runc update) and their log
 * file reopened (after the kubelet rotated it). */
#include "server/engine/ctr_internal.h"
#include "server/engine/paths.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>

#include "server/runtime/attach.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int resources_check(const engine_resources *r, crio_err **err)
{
  const struct {
    const char *name;
    int64_t value;
  } fields[] = {
    { "cpu_shares", r->cpu_shares },
    { "cpu_quota", r->cpu_quota },
    { "cpu_period", r->cpu_period },
    { "memory_limit", r->memory_limit },
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (fields[i].value < 0)
      return crio_err_set(err, CRIO_E_INVALID, "resources: %s %lld is negative", fields[i].name,
                          (long long) fields[i].value);
  return 0;
}

/* The new limits replace the old ones; oom_score_adj stays (runc cannot
 * change it in a running container). */
static void resources_replace(engine_resources *dst, const engine_resources *src)
{
  free(dst->cpuset_cpus);
  free(dst->cpuset_mems);
  int64_t oom = dst->oom_score_adj;
  bool has_oom = dst->has_oom_score_adj;
  *dst = *src;
  dst->cpuset_cpus = src->cpuset_cpus ? xstrdup(src->cpuset_cpus) : NULL;
  dst->cpuset_mems = src->cpuset_mems ? xstrdup(src->cpuset_mems) : NULL;
  dst->oom_score_adj = oom;
  dst->has_oom_score_adj = has_oom;
}

int engine_container_update(engine *e, const char *ref, const engine_resources *r, crio_err **err)
{
  if (resources_check(r, err) < 0)
    return -1;
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  int rc = 0;
  if (h.row->state == STORE_CTR_EXITED)
    rc = crio_err_set(err, CRIO_E_CONFLICT,
                      "container %s is exited: only a created, running or paused container's "
                      "resources can be updated",
                      h.row->name);
  oci_resources res = ctr_oci_resources(r);
  _cleanup_free_ char *json = rc == 0 ? oci_resources_json(&res) : NULL;
  if (rc == 0 && runtime_update(&h.rt, h.row->id, json, err) < 0)
    rc = crio_err_wrap(err, "update resources of container %s", h.row->name);
  if (rc == 0) {
    resources_replace(&h.spec.resources, r);
    _cleanup_free_ char *spec = container_spec_to_json(&h.spec);
    store_event ev = {.type = STORE_EVENT_CONTAINER, .action = "update"};
    rc = store_container_update_spec(e->store, h.row->id, spec, &ev, err);
  }
  ctr_handle_clear(&h);
  return rc;
}

int engine_container_reopen_log(engine *e, const char *ref, crio_err **err)
{
  store_container *row = NULL;
  if (store_container_lookup(e->store, ref, &row, err) < 0)
    return -1;
  int rc = 0;
  if (row->state != STORE_CTR_RUNNING && row->state != STORE_CTR_PAUSED)
    rc = crio_err_set(err, CRIO_E_CONFLICT, "container %s is %s: its log is not open", row->name,
                      ctr_state_name(row->state));
  _cleanup_free_ char *bundle = rc == 0 ? ctr_dir(e, row->id) : NULL;
  if (rc == 0 && attach_reopen_log(bundle, err) < 0)
    rc = crio_err_wrap(err, "reopen the log of container %s", row->name);
  store_container_free(row);
  return rc;
}
