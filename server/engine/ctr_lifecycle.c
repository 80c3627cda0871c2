/* Containers: start, stop, kill, pause, unpause. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/exits.h"
#include "server/engine/spec_json.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int signal_parse(const char *s, int *out, crio_err **err)
{
  static const struct { const char *name; int sig; } names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
    { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "STOP", SIGSTOP },
    { "CONT", SIGCONT }, { "ALRM", SIGALRM }, { "PIPE", SIGPIPE }, { "WINCH", SIGWINCH },
    { "CHLD", SIGCHLD }, { "TSTP", SIGTSTP }, { "ABRT", SIGABRT },
  };
  const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  char *end = NULL;
  long num = strtol(n, &end, 10);
  if (*n && !*end && num > 0 && num < 65) {
    *out = (int) num;
    return 0;
  }
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (strcasecmp(n, names[i].name) == 0) {
      *out = names[i].sig;
      return 0;
    }
  return crio_err_set(err, CRIO_E_INVALID, "unknown signal \"%s\"", s);
}

void ctr_handle_clear(ctr_handle *h)
{
  store_container_free(h->row);
  engine_container_spec_clear(&h->spec);
  free(h->rt_path);
  free(h->rt_root);
}

int ctr_handle_open(engine *e, const char *ref, ctr_handle *h, crio_err **err)
{
  memset(h, 0, sizeof *h);
  if (store_container_lookup(e->store, ref, &h->row, err) < 0)
    return -1;
  container_spec_from_json(h->row->spec, &h->spec, NULL);
  if (ctr_runtime(e, h->spec.runtime_handler, &h->rt_path, &h->rt_root, err) < 0) {
    ctr_handle_clear(h);
    return -1;
  }
  h->rt = (oci_runtime) { .path = h->rt_path, .root = h->rt_root };
  return 0;
}

static int set_state(engine *e, const store_container *row, store_container_state state,
                     const char *action, int64_t started, crio_err **err)
{
  store_container_status st = { .state = state, .pid = row->pid, .exit_code = row->exit_code,
                                .started_ns = started };
  store_event ev = { .type = STORE_EVENT_CONTAINER, .action = (char *) action };
  return store_container_set_state(e->store, row->id, &st, &ev, err);
}

int ctr_mount_rootfs(engine *e, const store_container *row, crio_err **err)
{
  size_t n = 0;
  char **lower = ctr_lower_dirs(e, row, &n, err);
  if (!lower)
    return -1;
  int r = rootfs_mount(e->overlay_root, row->id, lower, n, NULL, err);
  for (size_t i = 0; i < n; i++)
    free(lower[i]);
  free(lower);
  return r;
}

/* An exited container runs again: the runtime's old state goes, conmon
 * creates it anew from the same bundle. */
static int recreate(engine *e, ctr_handle *h, crio_err **err)
{
  int pid = 0;
  if (runtime_delete(&h->rt, h->row->id, true, err) < 0 || ctr_mount_rootfs(e, h->row, err) < 0 ||
      ctr_conmon_create(e, h->row, &h->spec, &pid, err) < 0)
    return -1;
  h->row->pid = pid;
  return set_state(e, h->row, STORE_CTR_CREATED, "create", 0, err);
}

static int start_created(engine *e, ctr_handle *h, crio_err **err)
{
  /* under ctr_lock, so an immediate exit is recorded after RUNNING */
  pthread_mutex_lock(&e->ctr_lock);
  int64_t started = now_ns();  /* before: a quick process exits before start returns */
  int r = runtime_start(&h->rt, h->row->id, err);
  if (r == 0)
    r = set_state(e, h->row, STORE_CTR_RUNNING, "start", started, err);
  pthread_mutex_unlock(&e->ctr_lock);
  return r < 0 ? crio_err_wrap(err, "start container %s", h->row->name) : 0;
}

int engine_container_start(engine *e, const char *ref, crio_err **err)
{
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  int r = 0;
  switch (h.row->state) {
  case STORE_CTR_RUNNING:
  case STORE_CTR_PAUSED:
    break;  /* podman: starting a running container is a no-op */
  case STORE_CTR_EXITED:
    r = recreate(e, &h, err);
    if (r == 0)
      r = start_created(e, &h, err);
    break;
  case STORE_CTR_CREATED:
    r = start_created(e, &h, err);
    break;
  default:
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is in state %s and cannot start",
                     h.row->name, ctr_state_name(h.row->state));
  }
  ctr_handle_clear(&h);
  return r;
}

/* Waits up to timeout_ms for the container's exit to be recorded. */
static bool wait_exited(engine *e, const char *id, int timeout_ms)
{
  int64_t deadline = now_ns() + (int64_t) timeout_ms * 1000000LL;
  for (;;) {
    bool recorded = false;
    exits_record(e, id, &recorded, NULL);  /* in case the watcher is behind */
    store_container *c = NULL;
    bool done = store_container_get(e->store, id, &c, NULL) < 0 || c->state == STORE_CTR_EXITED;
    store_container_free(c);
    if (done)
      return true;
    if (now_ns() >= deadline)
      return false;
    exits_wait(e, 100);
  }
}

static int stop_signal_of(engine *e, ctr_handle *h)
{
  int sig = SIGTERM;
  const char *name = h->spec.stop_signal;
  store_image *img = NULL;
  json_t *cfg = NULL;
  if (!name && h->row->image_id && store_image_get(e->store, h->row->image_id, &img, NULL) == 0) {
    cfg = json_loads(img->config, 0, NULL);
    name = json_string_value(json_object_get(json_object_get(cfg, "config"), "StopSignal"));
  }
  if (name && signal_parse(name, &sig, NULL) < 0)
    sig = SIGTERM;
  json_decref(cfg);
  store_image_free(img);
  return sig;
}

int ctr_stop_handle(engine *e, ctr_handle *h, int timeout_s, crio_err **err)
{
  if (h->row->state == STORE_CTR_EXITED)
    return 0;
  if (h->row->state == STORE_CTR_PAUSED)
    runtime_resume(&h->rt, h->row->id, NULL);
  if (h->row->state == STORE_CTR_RUNNING || h->row->state == STORE_CTR_PAUSED) {
    _cleanup_err_ crio_err *kill_err = NULL;
    if (runtime_kill(&h->rt, h->row->id, stop_signal_of(e, h), false, &kill_err) < 0)
      log_debug("stop %s: %s", h->row->name, kill_err->message);
    if (wait_exited(e, h->row->id, timeout_s * 1000))
      return 0;
  }
  _cleanup_err_ crio_err *kill_err = NULL;
  if (runtime_kill(&h->rt, h->row->id, SIGKILL, true, &kill_err) < 0)
    log_debug("kill %s: %s", h->row->name, kill_err->message);
  if (wait_exited(e, h->row->id, 10000))
    return 0;
  return crio_err_set(err, CRIO_E_INTERNAL, "container %s did not exit after SIGKILL",
                      h->row->name);
}

int engine_container_stop(engine *e, const char *ref, int timeout_s, crio_err **err)
{
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  int r = ctr_stop_handle(e, &h, timeout_s, err);
  ctr_handle_clear(&h);
  return r;
}

int engine_container_kill(engine *e, const char *ref, const char *signal, crio_err **err)
{
  int sig = SIGKILL;
  if (signal && signal[0] && signal_parse(signal, &sig, err) < 0)
    return -1;
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  int r = 0;
  if (h.row->state != STORE_CTR_RUNNING && h.row->state != STORE_CTR_PAUSED)
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is not running", h.row->name);
  else
    r = runtime_kill(&h.rt, h.row->id, sig, false, err);
  if (r == 0 && sig == SIGKILL)
    wait_exited(e, h.row->id, 5000);
  ctr_handle_clear(&h);
  return r;
}

static int pause_or_resume(engine *e, const char *ref, bool pause, crio_err **err)
{
  ctr_handle h;
  if (ctr_handle_open(e, ref, &h, err) < 0)
    return -1;
  store_container_state want = pause ? STORE_CTR_RUNNING : STORE_CTR_PAUSED;
  int r = 0;
  if (h.row->state != want)
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is %s, not %s", h.row->name,
                     ctr_state_name(h.row->state), ctr_state_name(want));
  pthread_mutex_lock(&e->ctr_lock);
  if (r == 0)
    r = pause ? runtime_pause(&h.rt, h.row->id, err) : runtime_resume(&h.rt, h.row->id, err);
  if (r == 0)
    r = set_state(e, h.row, pause ? STORE_CTR_PAUSED : STORE_CTR_RUNNING,
                  pause ? "pause" : "unpause", 0, err);
  pthread_mutex_unlock(&e->ctr_lock);
  ctr_handle_clear(&h);
  return r;
}

int engine_container_pause(engine *e, const char *ref, crio_err **err)
{
  return pause_or_resume(e, ref, true, err);
}

int engine_container_unpause(engine *e, const char *ref, crio_err **err)
{
  return pause_or_resume(e, ref, false, err);
}
