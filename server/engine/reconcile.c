/* At start: what the store says against what the kernel and conmon say.
 * Running containers stay running; exits that happened while the daemon
 * was down are read from conmon's exit files; creates that never finished
 * are undone; pods whose pinned namespaces are gone become NOTREADY. */
#include "server/engine/ctr_internal.h"
#include "server/engine/exits.h"
#include "server/engine/pods_internal.h"
#include "server/engine/reconcile.h"
#include "server/engine/spec_json.h"

#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"

static void finish_half_created(engine *e, const store_container *row)
{
  engine_container_spec spec;
  container_spec_from_json(row->spec, &spec, NULL);
  log_info("removing container %s: its create did not finish", row->name);
  ctr_cleanup(e, row->id, spec.runtime_handler);
  store_container_delete(e->store, row->id, NULL, NULL);
  engine_container_spec_clear(&spec);
  /* a pod made for it alone goes too */
  store_pod *pod = NULL;
  engine_pod_spec pspec;
  if (pod_load(e, row->pod_id, &pod, &pspec, NULL) < 0)
    return;
  for (size_t i = 0; i < pspec.annotations.keys.n; i++)
    if (strcmp(pspec.annotations.keys.items[i], STANDALONE_POD_ANNOTATION) == 0 &&
        strcmp(pspec.annotations.values.items[i], row->id) == 0 &&
        store_pod_delete(e->store, pod->id, NULL, NULL) == 0)
      pod_teardown(e, pod->id, &pspec);
  engine_pod_spec_clear(&pspec);
  store_pod_free(pod);
}

/* Asks the runtime what became of a container conmon wrote no exit for. */
static void check_live(engine *e, const store_container *row)
{
  ctr_handle h;
  if (ctr_handle_open(e, row->id, &h, NULL) < 0)
    return;
  _cleanup_free_ char *status = NULL;
  int pid = 0;
  _cleanup_err_ crio_err *err = NULL;
  store_container_state now = STORE_CTR_UNKNOWN;
  if (runtime_state(&h.rt, row->id, &status, &pid, &err) == 0)
    now = strcmp(status, "running") == 0  ? STORE_CTR_RUNNING
          : strcmp(status, "paused") == 0 ? STORE_CTR_PAUSED
          : strcmp(status, "created") == 0 ? STORE_CTR_CREATED
                                           : STORE_CTR_EXITED;
  else
    now = STORE_CTR_EXITED;  /* the runtime lost it (a reboot): no exit code to be had */
  if (now != row->state) {
    store_container_status st = { .state = now, .pid = pid,
                                  .exit_code = now == STORE_CTR_EXITED ? -1 : 0,
                                  .reason = now == STORE_CTR_EXITED ? "Unknown" : NULL,
                                  .message = now == STORE_CTR_EXITED
                                                 ? "the container was gone when crio started"
                                                 : NULL };
    store_event ev = { .type = STORE_EVENT_CONTAINER, .action = "reconcile" };
    store_container_set_state(e->store, row->id, &st, &ev, NULL);
  }
  ctr_handle_clear(&h);
}

static void reconcile_pods(engine *e)
{
  store_pods pods = { 0 };
  if (store_pod_list(e->store, NULL, &pods, NULL) < 0)
    return;
  for (size_t i = 0; i < pods.n; i++) {
    if (pods.items[i].state != STORE_POD_READY)
      continue;
    engine_pod_spec spec;
    if (pod_spec_from_json(pods.items[i].spec, &spec, NULL) < 0)
      continue;
    ns_pins pins;
    pod_pins(e, pods.items[i].id, &spec, &pins);
    bool ok = (!pins.net || ns_pin_valid(pins.net)) && (!pins.ipc || ns_pin_valid(pins.ipc)) &&
              (!pins.uts || ns_pin_valid(pins.uts));
    _cleanup_err_ crio_err *err = NULL;
    if (!ok) {
      log_warn("pod %s: its namespaces are gone; marking it NOTREADY", pods.items[i].name);
      store_pod_update_state(e->store, pods.items[i].id, STORE_POD_NOTREADY, NULL, NULL);
    } else if (pod_network_check(e, pods.items[i].id, &spec, pins.net, &err) < 0) {
      log_warn("pod %s: CNI CHECK failed: %s", pods.items[i].name, err->message);
    }
    ns_pins_clear(&pins);
    engine_pod_spec_clear(&spec);
  }
  store_pods_free(&pods);
}

int engine_reconcile(engine *e, crio_err **err)
{
  store_containers rows = { 0 };
  if (store_container_list(e->store, NULL, &rows, err) < 0)
    return -1;
  for (size_t i = 0; i < rows.n; i++) {
    const store_container *row = &rows.items[i];
    bool recorded = false;
    if (row->state == STORE_CTR_UNKNOWN && row->reason && strcmp(row->reason, "creating") == 0)
      finish_half_created(e, row);
    else if (row->state != STORE_CTR_EXITED &&
             (exits_record(e, row->id, &recorded, NULL), !recorded))
      check_live(e, row);
  }
  store_containers_free(&rows);
  reconcile_pods(e);
  return 0;
}
