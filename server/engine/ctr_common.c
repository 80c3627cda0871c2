/* Containers: runtimes, conmon, cleanup, and the engine's view of a row. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/paths.h"
#include "server/engine/spec_json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/layer_store.h"
#include "server/runtime/conmon.h"
#include "server/runtime/runtime_probe.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

int ctr_runtime(engine *e, const char *handler, char **path, char **root, crio_err **err)
{
  pthread_rwlock_rdlock(&e->lock);
  const char *name = handler && handler[0] ? handler : e->cfg->default_runtime;
  const crio_runtime_handler *h = config_runtime(e->cfg, name);
  int r = 0;
  if (!h)
    r = crio_err_set(err, CRIO_E_INVALID,
                     "runtime handler \"%s\" is not configured ([crio.runtime.runtimes.%s])",
                     name, name);
  else if (!(*path = runtime_find_binary(h->runtime_path, h->name)))
    r = crio_err_set(err, CRIO_E_UNAVAILABLE, "OCI runtime %s not found (runtime_path or PATH)",
                     name);
  else
    *root = xstrdup(h->runtime_root);
  pthread_rwlock_unlock(&e->lock);
  return r;
}

static char *conmon_path(engine *e)
{
  pthread_rwlock_rdlock(&e->lock);
  char *p = xstrdup(e->conmon_path);
  pthread_rwlock_unlock(&e->lock);
  return p;
}

int ctr_conmon_create(engine *e, const store_container *c, const engine_container_spec *spec,
                      int *pid, crio_err **err)
{
  _cleanup_free_ char *rt = NULL, *root = NULL, *conmon = conmon_path(e);
  if (ctr_runtime(e, spec->runtime_handler, &rt, &root, err) < 0)
    return -1;
  if (!conmon)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "conmon not found (crio.runtime.conmon or PATH)");
  _cleanup_free_ char *bundle = ctr_dir(e, c->id);
  _cleanup_free_ char *run = ctr_run_dir(e, c->id);
  _cleanup_free_ char *exits = exits_dir(e);
  _cleanup_free_ char *sockets = attach_dir(e);
  _cleanup_free_ char *pidfile = path_join(run, "pidfile");
  _cleanup_free_ char *conmon_pidfile = path_join(run, "conmon.pid");
  if (mkdir_p(run, 0700, err) < 0 || mkdir_p(sockets, 0700, err) < 0 || mkdir_p(exits, 0700, err) < 0)
    return -1;
  /* a restart: the previous run's files go */
  _cleanup_free_ char *exit_file = path_join(exits, c->id);
  _cleanup_free_ char *oom_file = path_join(run, "oom");
  unlink(exit_file);
  unlink(oom_file);
  _cleanup_free_ char *log_dir = xstrdup(c->log_path);
  char *slash = strrchr(log_dir, '/');
  if (slash && slash != log_dir)
    *slash = '\0';
  if (mkdir_p(log_dir, 0755, err) < 0)
    return -1;
  conmon_create_opts o = { .conmon_path = conmon, .runtime_path = rt, .runtime_root = root,
                           .id = c->id, .name = c->name, .bundle = bundle, .pidfile = pidfile,
                           .exit_dir = exits, .persist_dir = run, .log_path = c->log_path,
                           .socket_dir = sockets, .conmon_pidfile = conmon_pidfile,
                           .terminal = spec->tty, .stdin_open = spec->stdin_open };
  pid_t p = 0;
  if (conmon_create_container(&o, &p, err) < 0)
    return crio_err_wrap(err, "create container %s", c->name);
  *pid = (int) p;
  return 0;
}

void ctr_cleanup(engine *e, const char *id, const char *handler)
{
  _cleanup_free_ char *rt = NULL, *root = NULL;
  _cleanup_err_ crio_err *err = NULL;
  if (ctr_runtime(e, handler, &rt, &root, &err) == 0) {
    oci_runtime r = { .path = rt, .root = root };
    if (runtime_delete(&r, id, true, &err) < 0)
      log_warn("container %s: %s", id, err->message);
  }
  crio_err_free(err);
  err = NULL;
  if (rootfs_remove(e->overlay_root, id, &err) < 0)
    log_warn("container %s: %s", id, err->message);
  _cleanup_free_ char *dir = ctr_dir(e, id);
  _cleanup_free_ char *run = ctr_run_dir(e, id);
  _cleanup_free_ char *exits = exits_dir(e);
  _cleanup_free_ char *exit_file = path_join(exits, id);
  _cleanup_free_ char *sockets = attach_dir(e);
  conmon_cleanup(sockets, id, NULL);
  rm_rf_at(dir, NULL);
  rm_rf_at(run, NULL);
  unlink(exit_file);
}

const char *ctr_state_name(store_container_state s)
{
  switch (s) {
  case STORE_CTR_CREATED: return "created";
  case STORE_CTR_RUNNING: return "running";
  case STORE_CTR_PAUSED: return "paused";
  case STORE_CTR_EXITED: return "exited";
  default: return "unknown";
  }
}

oci_resources ctr_oci_resources(const engine_resources *r)
{
  return (oci_resources) {
    .cpu_shares = (uint64_t) r->cpu_shares,
    .cpu_quota = r->cpu_quota,
    .cpu_period = (uint64_t) r->cpu_period,
    .cpuset_cpus = r->cpuset_cpus,
    .cpuset_mems = r->cpuset_mems,
    .memory_limit = r->memory_limit,
    .pids_limit = r->pids_limit,
  };
}
