/* Containers: remove, wait, rename. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/exits.h"
#include "server/engine/pods_internal.h"
#include "server/engine/paths.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A pod made for this one container goes with it. */
static void remove_own_pod(engine *e, const char *pod_id, const char *ctr_id)
{
  store_pod *row = NULL;
  engine_pod_spec spec;
  if (pod_load(e, pod_id, &row, &spec, NULL) < 0)
    return;
  bool own = false;
  for (size_t i = 0; i < spec.annotations.keys.n; i++)
    own = own || (strcmp(spec.annotations.keys.items[i], STANDALONE_POD_ANNOTATION) == 0 &&
                  strcmp(spec.annotations.values.items[i], ctr_id) == 0);
  store_event ev = { .type = STORE_EVENT_POD, .action = "remove" };
  _cleanup_err_ crio_err *err = NULL;
  if (own && store_pod_delete(e->store, row->id, &ev, &err) == 0)
    pod_teardown(e, row->id, &spec);
  else if (own)
    log_warn("remove pod of container %s: %s", ctr_id, err->message);
  engine_pod_spec_clear(&spec);
  store_pod_free(row);
}

int ctr_remove(engine *e, const char *ref, bool force, bool with_own_pod, char **id_out,
               crio_err **err)
{
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  int r = 0;
  bool live = h.row->state == STORE_CTR_RUNNING || h.row->state == STORE_CTR_PAUSED;
  if (live && !force)
    r = crio_err_set(err, CRIO_E_CONFLICT,
                     "container %s is %s: stop it first, or remove it with force", h.row->name,
                     ctr_state_name(h.row->state));
  else if (live || h.row->state == STORE_CTR_CREATED)
    r = ctr_stop_handle(e, &h, 0, err);
  /* the pod a removed container was in, for followers of the events */
  _cleanup_free_ char *attrs = xasprintf("{\"pod\":\"%s\"}", h.row->pod_id);
  store_event ev = { .type = STORE_EVENT_CONTAINER, .action = "remove", .attributes = attrs };
  if (r == 0) {
    ctr_cleanup(e, h.row->id, h.spec.runtime_handler);
    r = store_container_delete(e->store, h.row->id, &ev, err);
  }
  if (r == 0 && with_own_pod)
    remove_own_pod(e, h.row->pod_id, h.row->id);
  if (r == 0 && id_out)
    *id_out = xstrdup(h.row->id);
  ctr_handle_clear(&h);
  return r;
}

int engine_container_remove(engine *e, const char *ref, bool force, char **id_out,
                            crio_err **err)
{
  return ctr_remove(e, ref, force, true, id_out, err);
}

int engine_container_wait(engine *e, const char *ref, int *exit_code, bool *oom_killed,
                          crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  _cleanup_free_ char *id = xstrdup(c->id);
  for (;;) {
    if (c->state == STORE_CTR_EXITED) {
      *exit_code = c->exit_code;
      *oom_killed = c->oom_killed;
      store_container_free(c);
      return 0;
    }
    store_container_free(c);
    c = NULL;
    bool recorded;
    exits_record(e, id, &recorded, NULL);
    exits_wait(e, 500);
    if (store_container_get(e->store, id, &c, err) < 0)
      return crio_err_wrap(err, "wait for container %.12s", id);
  }
}

int engine_container_rename(engine *e, const char *ref, const char *name, crio_err **err)
{
  if (!name || check_name("container", name, err) < 0)
    return name ? -1 : crio_err_set(err, CRIO_E_INVALID, "a new name is required");
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  store_container *other = NULL;
  int r = 0;
  if (store_container_get_by_name(e->store, name, &other, NULL) == 0 && strcmp(other->id, c->id))
    r = crio_err_set(err, CRIO_E_EXISTS, "container name \"%s\" is in use", name);
  store_event ev = { .type = STORE_EVENT_CONTAINER, .action = "rename", .name = (char *) name };
  if (r == 0)
    r = store_container_rename(e->store, c->id, name, &ev, err);
  store_container_free(other);
  store_container_free(c);
  return r;
}
