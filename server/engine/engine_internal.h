/* The engine's own state, shared by the files of server/engine only. */
#ifndef CRIO_ENGINE_INTERNAL_H
#define CRIO_ENGINE_INTERNAL_H

#include <pthread.h>

#include "server/engine/engine.h"
#include "store/store.h"

struct engine {
  /* guards cfg and the probed programs below; the store has its own lock */
  pthread_rwlock_t lock;
  crio_config *cfg;
  store *store;
  char *db_path;
  char *runtime_path;
  char *runtime_version;
  char *conmon_path;
  char *conmon_version;
  char *pod_cidr;           /* the kubelet's (UpdateRuntimeConfig), NULL: none */
  /* ROOT/overlay: the layer store and container rootfs directories */
  char *overlay_root;
  /* serializes container state changes; exit_cond wakes waiters on exits */
  pthread_mutex_t ctr_lock;
  pthread_cond_t exit_cond;
  int inotify_fd;
  int exits_stop_fd[2];
  pthread_t exits_thread;
  bool exits_running;
  /* the previous CPU sample of each container and pod, for rates */
  pthread_mutex_t stats_lock;
  void *cpu_samples;
  /* request bodies and archives being loaded: overlay_root/staging */
  char *upload_dir;
  /* held while layers are committed to or removed from the layer store
   * together with the store rows that name them */
  pthread_mutex_t image_lock;
  /* the newest event committed; event_cond wakes engine_events_wait */
  pthread_mutex_t event_lock;
  pthread_cond_t event_cond;
  int64_t event_seq;
  /* an eventfd made readable by engine_shutdown_begin: long waits end on it */
  int stop_fd;
};

/* Follows the store's event log (events.c). */
int events_init(engine *e, crio_err **err);
void events_fini(engine *e);

#endif
