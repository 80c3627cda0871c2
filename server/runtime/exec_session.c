/* Streaming exec: a command whose stdio (or terminal) the caller drives. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "server/runtime/exec.h"
#include "server/runtime/exec_internal.h"
#include "util/cleanup.h"

/* How long the runtime gets to start the process (it reports its pid). */
#define EXEC_START_TIMEOUT_MS 60000
#define EXEC_CLOSE_GRACE_MS 2000

/* A pty master, raw (termios ioctls on a master act on its slave: the
 * container's pty does the echo and line editing, not this one), 24x80. */
static int open_pty(const char *id, int *master, char *slave, size_t slave_len, crio_err **err)
{
  _cleanup_close_ int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "exec in container %s: open a pty", id);
  if (grantpt(fd) < 0 || unlockpt(fd) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "exec in container %s: unlock a pty", id);
  int rc = ptsname_r(fd, slave, slave_len);
  if (rc != 0)
    return crio_err_errno(err, CRIO_E_IO, rc, "exec in container %s: name of the pty", id);
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  ioctl(fd, TIOCSWINSZ, &ws);
  *master = steal_fd(&fd);
  return 0;
}

typedef struct session_pipes {
  int ours[3];     /* in (write), out, err (read) */
  int theirs[3];   /* the runtime's 0, 1, 2; -1: /dev/null */
} session_pipes;

static void close_fds(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) {
      close(fds[i]);
      fds[i] = -1;
    }
}

static int open_pipes(const char *id, bool stdin_open, session_pipes *sp, crio_err **err)
{
  for (int i = 0; i < 3; i++)
    sp->ours[i] = sp->theirs[i] = -1;
  for (int i = stdin_open ? 0 : 1; i < 3; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
      int e = errno;
      close_fds(sp->ours, 3);
      close_fds(sp->theirs, 3);
      return crio_err_errno(err, CRIO_E_IO, e, "exec in container %s: pipe", id);
    }
    sp->ours[i] = i == 0 ? p[1] : p[0];
    sp->theirs[i] = i == 0 ? p[0] : p[1];
  }
  return 0;
}

/* Waits until the runtime reports the process's pid, or ends without
 * starting it (its error), or is too slow (killed). The runtime is not
 * reaped on success, even when the process has already ended. */
static int await_start(exec_proc *p, const char *id, pid_t *pid, crio_err **err)
{
  int64_t deadline = exec_now_ms() + EXEC_START_TIMEOUT_MS;
  for (;;) {
    if (exec_proc_pid(p, pid))
      return 0;
    siginfo_t si = { .si_pid = 0 };
    int r = waitid(P_PID, (id_t) p->runc_pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && si.si_pid == p->runc_pid) {
      if (exec_proc_pid(p, pid))   /* a quick command: started and already done */
        return 0;
      int status = 0;
      exec_reap(p->runc_pid, &status, -1);
      p->runc_pid = 0;
      return exec_proc_error(p, id, status, err);
    }
    if (exec_now_ms() >= deadline) {
      kill(p->runc_pid, SIGKILL);
      int status = 0;
      exec_reap(p->runc_pid, &status, -1);
      exec_proc_kill(p);
      p->runc_pid = 0;
      return crio_err_set(err, CRIO_E_UNAVAILABLE, "%s exec %s: no pid after %d s",
                          p->runtime_name, id, EXEC_START_TIMEOUT_MS / 1000);
    }
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
}

int runtime_exec_start(const oci_runtime *rt, const char *id, char *const *argv,
                       const exec_opts *opts, bool tty, bool stdin_open, exec_session *s,
                       crio_err **err)
{
  *s = (exec_session){ .runc_pid = 0, .pid = 0, .pty = -1, .in = -1, .out = -1, .err = -1 };
  const char *name = id ? id : "";
  char slave[64] = "";
  int master = -1;
  session_pipes sp = { .ours = { -1, -1, -1 }, .theirs = { -1, -1, -1 } };
  int r = tty ? open_pty(name, &master, slave, sizeof slave, err)
              : open_pipes(name, stdin_open, &sp, err);
  exec_proc p = { .runc_pid = 0 };
  if (r == 0)
    r = exec_proc_spawn(rt, id, argv, opts, tty ? slave : NULL, sp.theirs, &p, err);
  close_fds(sp.theirs, 3);
  if (r == 0)
    r = await_start(&p, name, &s->pid, err);
  exec_proc_cleanup(&p);
  if (r < 0) {
    close_fds(sp.ours, 3);
    if (master >= 0)
      close(master);
    return r;
  }
  s->runc_pid = p.runc_pid;
  s->pty = master;
  s->in = sp.ours[0];
  s->out = sp.ours[1];
  s->err = sp.ours[2];
  return 0;
}

int exec_session_wait(exec_session *s, int *exit_code, crio_err **err)
{
  if (s->runc_pid <= 0)
    return crio_err_set(err, CRIO_E_CONFLICT, "exec session of pid %d: already waited for",
                        (int) s->pid);
  int status = 0;
  exec_reap(s->runc_pid, &status, -1);
  s->runc_pid = 0;
  *exit_code = exec_exit_code(status);
  return 0;
}

int exec_session_resize(exec_session *s, unsigned short rows, unsigned short cols, crio_err **err)
{
  if (s->pty < 0)
    return crio_err_set(err, CRIO_E_INVALID, "resize exec session of pid %d: it has no terminal",
                        (int) s->pid);
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  if (ioctl(s->pty, TIOCSWINSZ, &ws) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "resize exec session of pid %d", (int) s->pid);
  /* the kernel signals the terminal's foreground group, the runtime; say it
   * again in case it has not yet made the terminal its own */
  if (s->runc_pid > 0)
    kill(s->runc_pid, SIGWINCH);
  return 0;
}

void exec_session_close(exec_session *s)
{
  int fds[] = { s->pty, s->in, s->out, s->err };
  close_fds(fds, ARRAY_SIZE(fds));
  s->pty = s->in = s->out = s->err = -1;
  if (s->runc_pid <= 0)
    return;
  siginfo_t si = { .si_pid = 0 };
  bool runtime_done = waitid(P_PID, (id_t) s->runc_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                      si.si_pid == s->runc_pid;
  if (s->pid > 1 && !runtime_done) {   /* else the pid may be another process's by now */
    if (getpgid(s->pid) == s->pid)
      kill(-s->pid, SIGKILL);
    kill(s->pid, SIGKILL);
  }
  int status = 0;
  if (!exec_reap(s->runc_pid, &status, exec_now_ms() + EXEC_CLOSE_GRACE_MS)) {
    kill(s->runc_pid, SIGKILL);
    exec_reap(s->runc_pid, &status, -1);
  }
  s->runc_pid = 0;
}
