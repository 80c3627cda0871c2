/* ExecSync: a command run to its end with its output captured. */
#include "server/runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/runtime/exec_internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* How long the runtime gets to go once the process is killed. */
#define EXEC_KILL_GRACE_MS 2000

typedef struct sync_io {
  int fd[2];       /* stdout, stderr: our read ends; -1 once at EOF */
  strbuf buf[2];
  int cancel_fd;   /* readable: stop waiting (exec_opts.cancel_fd); -1: none */
  bool cancelled;
} sync_io;

static void sync_io_read(sync_io *io, int i)
{
  char chunk[65536];
  ssize_t n = read(io->fd[i], chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    close(io->fd[i]);
    io->fd[i] = -1;
    return;
  }
  size_t room = EXEC_SYNC_OUTPUT_MAX - io->buf[i].len;
  strbuf_append(&io->buf[i], chunk, (size_t) n < room ? (size_t) n : room);
}

/* Reads both pipes until EOF (true) or until deadline_ms (< 0: none) passes
 * or the cancel descriptor becomes readable (false). */
static bool sync_io_pump(sync_io *io, int64_t deadline_ms)
{
  while (io->fd[0] >= 0 || io->fd[1] >= 0) {
    int wait_ms = -1;
    if (deadline_ms >= 0) {
      int64_t left = deadline_ms - exec_now_ms();
      if (left <= 0)
        return false;
      wait_ms = left > 60000 ? 60000 : (int) left;
    }
    struct pollfd p[3] = { { .fd = io->fd[0], .events = POLLIN },
                           { .fd = io->fd[1], .events = POLLIN },
                           { .fd = io->cancelled ? -1 : io->cancel_fd, .events = POLLIN } };
    if (poll(p, 3, wait_ms) < 0 && errno != EINTR)
      return false;
    for (int i = 0; i < 2; i++)
      if (io->fd[i] >= 0 && p[i].revents)
        sync_io_read(io, i);
    if (p[2].fd >= 0 && p[2].revents) {
      io->cancelled = true;
      return false;
    }
  }
  return true;
}

static void sync_io_close(sync_io *io)
{
  for (int i = 0; i < 2; i++) {
    if (io->fd[i] >= 0)
      close(io->fd[i]);
    io->fd[i] = -1;
    strbuf_free(&io->buf[i]);
  }
}

static int sync_pipes(sync_io *io, int write_ends[2], const char *id, crio_err **err)
{
  for (int i = 0; i < 2; i++) {
    int p[2] = { -1, -1 };
    if (pipe2(p, O_CLOEXEC) < 0) {
      int e = errno;
      if (i == 1) {
        close(write_ends[0]);
        write_ends[0] = -1;
      }
      return crio_err_errno(err, CRIO_E_IO, e, "exec in container %s: pipe", id);
    }
    io->fd[i] = p[0];
    write_ends[i] = p[1];
    fcntl(p[0], F_SETFL, O_NONBLOCK);
  }
  return 0;
}

/* Waits for the command's end within deadline_ms; past it, kills the process
 * group, then the runtime when it does not follow. *status is the runtime's
 * wait status; returns whether the deadline was hit. */
static bool sync_finish(exec_proc *p, sync_io *io, int64_t deadline_ms, int *status)
{
  bool expired = !sync_io_pump(io, deadline_ms);
  if (!expired)
    expired = !exec_reap(p->runc_pid, status, deadline_ms);
  if (!expired)
    return false;
  exec_proc_kill(p);
  int64_t grace = exec_now_ms() + EXEC_KILL_GRACE_MS;
  sync_io_pump(io, grace);
  if (!exec_reap(p->runc_pid, status, grace)) {
    /* the runtime stuck (a descendant holding its stdout, a process that
     * started after the kill): take it down too, and whatever it started */
    exec_proc_kill(p);
    kill(p->runc_pid, SIGKILL);
    exec_reap(p->runc_pid, status, -1);
  }
  return true;
}

static void give_output(strbuf *b, char **out, size_t *len)
{
  if (len)
    *len = b->len;
  if (out)
    *out = strbuf_steal(b);
}

int runtime_exec_sync(const oci_runtime *rt, const char *id, char *const *argv,
                      const exec_opts *opts, int timeout_s,
                      char **out, size_t *out_len, char **errout, size_t *err_len, int *exit_code,
                      bool *timed_out, crio_err **err)
{
  if (out)
    *out = NULL;
  if (errout)
    *errout = NULL;
  *exit_code = EXEC_TIMEOUT_EXIT_CODE;
  *timed_out = false;
  sync_io io = { .fd = { -1, -1 }, .buf = { STRBUF_INIT, STRBUF_INIT },
                 .cancel_fd = opts && opts->cancel_fd > 0 ? opts->cancel_fd : -1 };
  int write_ends[2] = { -1, -1 };
  int r = sync_pipes(&io, write_ends, id ? id : "", err);
  exec_proc p = { .runc_pid = 0 };
  if (r == 0) {
    const int stdio[3] = { -1, write_ends[0], write_ends[1] };
    r = exec_proc_spawn(rt, id, argv, opts, NULL, stdio, &p, err);
  }
  for (int i = 0; i < 2; i++)
    if (write_ends[i] >= 0)
      close(write_ends[i]);
  if (r < 0) {
    sync_io_close(&io);
    return r;
  }
  int64_t deadline = timeout_s > 0 ? exec_now_ms() + (int64_t) timeout_s * 1000 : -1;
  int status = 0;
  *timed_out = sync_finish(&p, &io, deadline, &status);
  pid_t pid = 0;
  bool started = exec_proc_pid(&p, &pid);
  if (io.cancelled) {
    *timed_out = false;
    r = crio_err_set(err, CRIO_E_UNAVAILABLE, "exec in container %s: ended, crio is stopping",
                     id);
  } else if (!*timed_out && !started && status != 0)
    r = exec_proc_error(&p, id, status, err);
  else if (!*timed_out)
    *exit_code = exec_exit_code(status);
  exec_proc_cleanup(&p);
  if (r == 0) {
    give_output(&io.buf[0], out, out_len);
    give_output(&io.buf[1], errout, err_len);
  }
  sync_io_close(&io);
  return r;
}
