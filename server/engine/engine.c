#include "server/engine/engine_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/engine/exits.h"
#include "server/engine/reconcile.h"
#include "server/image/layer_store.h"
#include "server/network/ns_pin.h"
#include "server/runtime/runtime_probe.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Finds conmon and the default OCI runtime; called with the write lock held. */
static void engine_probe_programs(engine *e)
{
  free(e->runtime_path);
  free(e->runtime_version);
  free(e->conmon_path);
  free(e->conmon_version);
  const crio_runtime_handler *h = config_runtime(e->cfg, e->cfg->default_runtime);
  e->runtime_path = runtime_find_binary(h ? h->runtime_path : NULL, e->cfg->default_runtime);
  e->runtime_version = e->runtime_path ? runtime_binary_version(e->runtime_path) : NULL;
  e->conmon_path = runtime_find_binary(e->cfg->conmon, "conmon");
  e->conmon_version = e->conmon_path ? runtime_binary_version(e->conmon_path) : NULL;
  if (!e->runtime_path)
    log_warn("OCI runtime %s not found (PATH or runtime_path)", e->cfg->default_runtime);
  if (!e->conmon_path)
    log_warn("conmon not found (PATH or crio.runtime.conmon)");
}

static bool layer_is_known(const char *hex, void *data)
{
  store_layer *l = NULL;
  if (store_layer_get(data, hex, &l, NULL) < 0)
    return false;
  store_layer_free(l);
  return true;
}

/* Half-made objects of a daemon that died: staging directories, layers the
 * store does not know (renamed into place, never recorded). */
static int engine_reconcile_layers(engine *e, crio_err **err)
{
  if (layer_store_init(e->overlay_root, err) < 0)
    return crio_err_wrap(err, "prepare layer store");
  if (layer_store_remove_unknown(e->overlay_root, layer_is_known, e->store, err) < 0)
    return crio_err_wrap(err, "remove unrecorded layers");
  return 0;
}

int engine_open(const crio_config *cfg, engine **out, crio_err **err)
{
  if (mkdir_p(cfg->root, 0711, err) < 0 || mkdir_p(cfg->runroot, 0711, err) < 0)
    return crio_err_wrap(err, "prepare state directories");
  _cleanup_free_ char *db_path = path_join(cfg->root, "crio.db");
  store *s = NULL;
  if (store_open(db_path, &s, err) < 0)
    return crio_err_wrap(err, "open state store");
  engine *e = xzalloc(sizeof *e);
  pthread_rwlock_init(&e->lock, NULL);
  e->cfg = config_copy(cfg);
  e->store = s;
  e->db_path = steal_pointer(&db_path);
  e->overlay_root = path_join(cfg->root, "overlay");
  e->upload_dir = path_join(e->overlay_root, "staging");
  pthread_mutex_init(&e->image_lock, NULL);
  pthread_mutex_init(&e->ctr_lock, NULL);
  pthread_mutex_init(&e->stats_lock, NULL);
  pthread_cond_init(&e->exit_cond, NULL);
  e->inotify_fd = e->exits_stop_fd[0] = e->exits_stop_fd[1] = -1;
  e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  engine_probe_programs(e);
  if (events_init(e, err) < 0) {
    engine_close(e);
    return -1;
  }
  /* the exit watcher first, so no exit falls between the scan and the watch */
  if (engine_reconcile_layers(e, err) < 0 || exits_start(e, err) < 0 ||
      engine_reconcile(e, err) < 0) {
    engine_close(e);
    return -1;
  }
  *out = e;
  return 0;
}

void engine_close(engine *e)
{
  if (!e)
    return;
  exits_stop(e);
  if (e->cfg) {
    _cleanup_free_ char *nsd = path_join(e->cfg->runroot, "ns");
    ns_pin_dir_release(nsd);
  }
  events_fini(e);
  if (e->stop_fd >= 0)
    close(e->stop_fd);
  store_close(e->store);
  config_free(e->cfg);
  free(e->db_path);
  free(e->runtime_path);
  free(e->runtime_version);
  free(e->conmon_path);
  free(e->conmon_version);
  free(e->pod_cidr);
  free(e->overlay_root);
  free(e->upload_dir);
  pthread_mutex_destroy(&e->image_lock);
  pthread_mutex_destroy(&e->ctr_lock);
  pthread_mutex_destroy(&e->stats_lock);
  free(e->cpu_samples);
  pthread_cond_destroy(&e->exit_cond);
  pthread_rwlock_destroy(&e->lock);
  free(e);
}

void engine_shutdown_begin(engine *e)
{
  uint64_t one = 1;
  if (e && e->stop_fd >= 0 && write(e->stop_fd, &one, sizeof one) < 0)
    log_warn("engine: signal shutdown: %s", strerror(errno));
}

int engine_reload(engine *e, const crio_config *cfg, crio_err **err)
{
  /* Paths the daemon already holds (root, runroot, sockets) stay as they were. */
  crio_config *next = config_copy(cfg);
  crio_config *prev = e->cfg;
  char **held[] = { &next->root, &next->runroot, &next->cri_socket, &next->api_socket,
                    &next->listen, &next->storage_driver };
  char *const kept[] = { prev->root, prev->runroot, prev->cri_socket, prev->api_socket,
                         prev->listen, prev->storage_driver };
  for (size_t i = 0; i < ARRAY_SIZE(held); i++) {
    free(*held[i]);
    *held[i] = xstrdup(kept[i]);
  }
  pthread_rwlock_wrlock(&e->lock);
  e->cfg = next;
  engine_probe_programs(e);
  pthread_rwlock_unlock(&e->lock);
  config_free(prev);
  return 0;
}
