#include "server/engine/exits.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/engine/paths.h"
#include "server/runtime/conmon.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

static int64_t file_mtime_ns(const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return 0;
  return (int64_t) st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

int exits_record(engine *e, const char *ctr_id, bool *recorded, crio_err **err)
{
  *recorded = false;
  _cleanup_free_ char *dir = exits_dir(e);
  _cleanup_free_ char *persist = ctr_run_dir(e, ctr_id);
  int code = 0;
  bool exists = false;
  if (conmon_read_exit(dir, ctr_id, &code, &exists, err) < 0 || !exists)
    return exists ? -1 : 0;
  bool oom = conmon_oom_killed(persist);
  _cleanup_free_ char *exit_file = path_join(dir, ctr_id);
  store_container_status st = { .state = STORE_CTR_EXITED, .pid = 0, .exit_code = code,
                                .oom_killed = oom,
                                .reason = oom ? "OOMKilled" : code == 0 ? "Completed" : "Error",
                                .finished_ns = file_mtime_ns(exit_file) };
  _cleanup_free_ char *attrs = xasprintf("{\"exit_code\":%d,\"oom_killed\":%s}", code,
                                         oom ? "true" : "false");
  store_event ev = { .type = STORE_EVENT_CONTAINER, .action = oom ? "oom" : "died",
                     .attributes = attrs };
  pthread_mutex_lock(&e->ctr_lock);
  store_container *row = NULL;
  int r = store_container_get(e->store, ctr_id, &row, err);
  if (r == 0 && row->state != STORE_CTR_EXITED) {
    r = store_container_set_state(e->store, ctr_id, &st, &ev, err);
    *recorded = r == 0;
  }
  pthread_cond_broadcast(&e->exit_cond);
  pthread_mutex_unlock(&e->ctr_lock);
  store_container_free(row);
  return r;
}

void exits_wait(engine *e, int timeout_ms)
{
  struct timespec ts = clock_after_ms(CLOCK_REALTIME, timeout_ms);
  pthread_mutex_lock(&e->ctr_lock);
  pthread_cond_timedwait(&e->exit_cond, &e->ctr_lock, &ts);
  pthread_mutex_unlock(&e->ctr_lock);
}

static void handle_events(engine *e, const char *buf, ssize_t n)
{
  for (const char *p = buf; p < buf + n;) {
    const struct inotify_event *ev = (const struct inotify_event *) p;
    if (ev->len && ev->name[0] != '.') {
      _cleanup_err_ crio_err *err = NULL;
      bool recorded;
      if (exits_record(e, ev->name, &recorded, &err) < 0 && err->code != CRIO_E_NOT_FOUND)
        log_warn("record exit of container %s: %s", ev->name, err->message);
      else if (recorded)
        log_debug("container %s exited", ev->name);
    }
    p += sizeof *ev + ev->len;
  }
}

static void *exits_thread(void *arg)
{
  engine *e = arg;
  char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    struct pollfd pfd[2] = { { .fd = e->inotify_fd, .events = POLLIN },
                             { .fd = e->exits_stop_fd[0], .events = POLLIN } };
    if (poll(pfd, 2, -1) < 0 && errno != EINTR)
      break;
    if (pfd[1].revents)
      break;
    if (!(pfd[0].revents & POLLIN))
      continue;
    ssize_t n = read(e->inotify_fd, buf, sizeof buf);
    if (n > 0)
      handle_events(e, buf, n);
  }
  return NULL;
}

int exits_start(engine *e, crio_err **err)
{
  _cleanup_free_ char *dir = exits_dir(e);
  if (mkdir_p(dir, 0700, err) < 0)
    return -1;
  e->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (e->inotify_fd < 0 || inotify_add_watch(e->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "watch %s", dir);
  if (pipe2(e->exits_stop_fd, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pipe");
  if (pthread_create(&e->exits_thread, NULL, exits_thread, e) != 0)
    return crio_err_set(err, CRIO_E_INTERNAL, "start the exit watcher");
  e->exits_running = true;
  return 0;
}

void exits_stop(engine *e)
{
  if (e->exits_running) {
    if (write(e->exits_stop_fd[1], "x", 1) < 0)
      log_warn("stop exit watcher: %s", strerror(errno));
    pthread_join(e->exits_thread, NULL);
    e->exits_running = false;
  }
  if (e->inotify_fd >= 0)
    close(e->inotify_fd);
  for (int i = 0; i < 2; i++)
    if (e->exits_stop_fd[i] >= 0)
      close(e->exits_stop_fd[i]);
  e->inotify_fd = e->exits_stop_fd[0] = e->exits_stop_fd[1] = -1;
}
