/* Running one CNI plugin: posix_spawn with the config on stdin, stdout and
 * stderr captured, a deadline, and no signal or descriptor leaking either
 * way (the daemon is multi-threaded: everything here is per call). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define CNI_STDOUT_MAX (4u << 20) /* a result is a few KiB; a runaway plugin is not */
#define CNI_STDERR_MAX (64u << 10)
#define CNI_POLL_SLICE_MS 100

int cni_plugin_find(const char *type, char *const *dirs, size_t n_dirs, char **path_out,
                    crio_err **err)
{
  for (size_t i = 0; i < n_dirs; i++) {
    _cleanup_free_ char *p = path_join(dirs[i], type);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
      *path_out = steal_pointer(&p);
      return 0;
    }
  }
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  for (size_t i = 0; i < n_dirs; i++)
    strbuf_printf(&b, "%s%s", i ? ":" : "", dirs[i]);
  return crio_err_set(err, CRIO_E_NOT_FOUND, "CNI plugin %s not found in %s", type,
                      b.len ? b.data : "(no plugin directories)");
}

void cni_exec_out_clear(cni_exec_out *o)
{
  free(o->out);
  free(o->errout);
  memset(o, 0, sizeof *o);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The descriptors of one run; ours are non-blocking, the child's blocking. */
typedef struct exec_fds {
  int in[2];  /* socketpair: shutdown(SHUT_WR) gives EOF even if a fork holds a copy */
  int out[2];
  int errp[2];
} exec_fds;

static void fds_close(exec_fds *f)
{
  int *all[] = { &f->in[0], &f->in[1], &f->out[0], &f->out[1], &f->errp[0], &f->errp[1] };
  for (size_t i = 0; i < ARRAY_SIZE(all); i++)
    if (*all[i] >= 0) {
      close(*all[i]);
      *all[i] = -1;
    }
}

static int fds_open(exec_fds *f, const char *path, crio_err **err)
{
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->in) < 0 ||
      pipe2(f->out, O_CLOEXEC) < 0 || pipe2(f->errp, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pipes for CNI plugin %s", path);
  int ours[] = { f->in[0], f->out[0], f->errp[0] };
  for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
    if (fcntl(ours[i], F_SETFL, O_NONBLOCK) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "pipes for CNI plugin %s", path);
  return 0;
}

static int spawn_plugin(const char *path, char *const envp[], exec_fds *f, pid_t *pid,
                        crio_err **err)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, f->in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, f->out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, f->errp[1], STDERR_FILENO);
  posix_spawnattr_init(&attr);
  /* The plugin starts with default signal handling and nothing blocked,
   * whatever the daemon's thread does with SIGPIPE or SIGCHLD. */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *const argv[] = { (char *) path, NULL };
  int rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(f->in[1]);
  close(f->out[1]);
  close(f->errp[1]);
  f->in[1] = f->out[1] = f->errp[1] = -1;
  if (rc != 0)
    return crio_err_errno(err, CRIO_E_IO, rc, "run CNI plugin %s", path);
  return 0;
}

/* Reads what is there; false at EOF or error. Bytes beyond cap are dropped
 * (stdout beyond its cap makes the run fail, see below). */
static bool drain(int fd, strbuf *b, size_t cap, bool *overflow)
{
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN;
    if (n == 0)
      return false;
    if (b->len + (size_t) n > cap)
      *overflow = true;
    else
      strbuf_append(b, chunk, (size_t) n);
  }
}

static void feed(exec_fds *f, const char *in, size_t len, size_t *off)
{
  while (*off < len) {
    ssize_t w = send(f->in[0], in + *off, len - *off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN)
      return;
    if (w < 0)
      break; /* EPIPE: the plugin stopped reading; its exit says why */
    *off += (size_t) w;
  }
  shutdown(f->in[0], SHUT_WR);
  close(f->in[0]);
  f->in[0] = -1;
}

/* 1 when the child is gone (status in *o when it could be read), 0 while
 * it runs. */
static int reap(pid_t pid, bool block, cni_exec_out *o)
{
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
    ;
  if (r == 0)
    return 0;
  if (r < 0) /* ECHILD: SIGCHLD ignored, reaped by the kernel */
    return 1;
  o->exited = true;
  o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 1;
}

typedef struct exec_run {
  pid_t pid;
  int pidfd;      /* readable when the child exits; -1 where unsupported */
  bool gone;
  bool overflow;  /* stdout beyond its cap */
  strbuf out, errb;
} exec_run;

/* Feeds stdin and collects stdout/stderr until the child is gone and its
 * pipes are drained, or the deadline passes. */
static void io_loop(exec_run *x, exec_fds *f, const char *in, size_t in_len, long long deadline,
                    cni_exec_out *o)
{
  size_t off = 0;
  bool out_open = true, err_open = true, err_overflow = false;
  feed(f, in, in_len, &off);
  while (!x->gone) {
    long long left = deadline - now_ms();
    if (left <= 0 || x->overflow) {
      o->timed_out = left <= 0;
      return;
    }
    struct pollfd p[4] = { { out_open ? f->out[0] : -1, POLLIN, 0 },
                           { err_open ? f->errp[0] : -1, POLLIN, 0 },
                           { f->in[0], POLLOUT, 0 },
                           { x->pidfd, POLLIN, 0 } };
    int wait = x->pidfd >= 0 || left < CNI_POLL_SLICE_MS ? (int) left : CNI_POLL_SLICE_MS;
    if (poll(p, 4, wait) < 0 && errno != EINTR)
      return;
    if (p[2].revents)
      feed(f, in, in_len, &off);
    if (out_open && p[0].revents)
      out_open = drain(f->out[0], &x->out, CNI_STDOUT_MAX, &x->overflow);
    if (err_open && p[1].revents)
      err_open = drain(f->errp[0], &x->errb, CNI_STDERR_MAX, &err_overflow);
    if ((x->pidfd < 0 || p[3].revents) && reap(x->pid, false, o)) {
      /* Take what is left; a grandchild holding the pipes is not waited for. */
      x->gone = true;
      if (out_open)
        drain(f->out[0], &x->out, CNI_STDOUT_MAX, &x->overflow);
      if (err_open)
        drain(f->errp[0], &x->errb, CNI_STDERR_MAX, &err_overflow);
    }
  }
}

static void kill_and_reap(exec_run *x, cni_exec_out *o)
{
  if (x->pidfd >= 0)
    pidfd_send_signal(x->pidfd, SIGKILL, NULL, 0);
  else
    kill(x->pid, SIGKILL); /* not reaped yet, so the pid is still the plugin's */
  reap(x->pid, true, o);
  o->exited = false;
}

int cni_exec(const char *path, char *const envp[], const char *in, size_t in_len, int timeout_s,
             cni_exec_out *o, crio_err **err)
{
  memset(o, 0, sizeof *o);
  exec_fds f = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
  exec_run x = { .pid = -1, .pidfd = -1, .out = STRBUF_INIT, .errb = STRBUF_INIT };
  int r = fds_open(&f, path, err);
  if (r == 0)
    r = spawn_plugin(path, envp, &f, &x.pid, err);
  if (r < 0) {
    fds_close(&f);
    return r;
  }
  x.pidfd = pidfd_open(x.pid, 0);
  long long deadline = now_ms() + (long long) (timeout_s > 0 ? timeout_s : 1) * 1000;
  io_loop(&x, &f, in, in_len, deadline, o);
  fds_close(&f);
  if (!x.gone)
    kill_and_reap(&x, o);
  if (x.pidfd >= 0)
    close(x.pidfd);
  o->out = strbuf_steal(&x.out);
  o->errout = strbuf_steal(&x.errb);
  if (x.overflow) {
    cni_exec_out_clear(o);
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "CNI plugin %s: more than %u bytes of output",
                        path, CNI_STDOUT_MAX);
  }
  return 0;
}
