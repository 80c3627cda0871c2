/* One `runtime exec`: spawning it, its pid file and log, its errors. */
#include "server/runtime/exec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

extern char **environ;

int64_t exec_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int exec_exit_code(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

bool exec_reap(pid_t pid, int *status, int64_t deadline_ms)
{
  for (;;) {
    pid_t r = waitpid(pid, status, deadline_ms < 0 ? 0 : WNOHANG);
    if (r == pid)
      return true;
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {   /* not our child (reaped elsewhere): nothing to wait for */
      *status = 0;
      return true;
    }
    if (exec_now_ms() >= deadline_ms)
      return false;
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
}

static int make_private_dir(exec_proc *p, const char *id, crio_err **err)
{
  const char *tmp = getenv("TMPDIR");
  _cleanup_free_ char *tmpl = xasprintf("%s/crio-exec-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(tmpl))
    return crio_err_errno(err, CRIO_E_IO, errno, "exec in container %s: mkdtemp %s", id, tmpl);
  p->dir = steal_pointer(&tmpl);
  p->pidfile = path_join(p->dir, "pid");
  p->logfile = path_join(p->dir, "log");
  return 0;
}

void exec_proc_cleanup(exec_proc *p)
{
  if (!p->dir)
    return;
  _cleanup_free_ char *partial = path_join(p->dir, ".pid");   /* runc's pid file before rename */
  unlink(p->pidfile);
  unlink(p->logfile);
  unlink(partial);
  rmdir(p->dir);
  free(p->dir);
  free(p->pidfile);
  free(p->logfile);
  p->dir = p->pidfile = p->logfile = NULL;
}

/* RUNTIME [--root R] --log L --log-format json exec [-t] [--env K=V...]
 * [--user U [--additional-gids G...]] [--cwd D] --pid-file P ID argv... */
static const char **exec_argv(const oci_runtime *rt, const char *id, char *const *argv,
                              const exec_opts *o, bool tty, const exec_proc *p)
{
  size_t n_args = 0;
  while (argv[n_args])
    n_args++;
  size_t n_env = o ? o->n_env : 0, n_groups = o && o->user ? o->n_groups : 0;
  const char **v = xzalloc((n_args + 2 * (n_env + n_groups) + 20) * sizeof *v);
  size_t n = 0;
  v[n++] = rt->path;
  if (rt->root && rt->root[0]) {
    v[n++] = "--root";
    v[n++] = rt->root;
  }
  v[n++] = "--log";
  v[n++] = p->logfile;
  v[n++] = "--log-format";
  v[n++] = "json";
  v[n++] = "exec";
  if (tty)
    v[n++] = "-t";
  for (size_t i = 0; i < n_env; i++) {
    v[n++] = "--env";
    v[n++] = o->env[i];
  }
  if (o && o->user && o->user[0]) {
    v[n++] = "--user";
    v[n++] = o->user;
  }
  for (size_t i = 0; i < n_groups; i++) {
    v[n++] = "--additional-gids";
    v[n++] = o->groups[i];
  }
  if (o && o->cwd && o->cwd[0]) {
    v[n++] = "--cwd";
    v[n++] = o->cwd;
  }
  v[n++] = "--pid-file";
  v[n++] = p->pidfile;
  v[n++] = id;
  for (size_t i = 0; i < n_args; i++)
    v[n++] = argv[i];
  v[n] = NULL;
  return v;
}

static void exec_file_actions(posix_spawn_file_actions_t *fa, const char *tty_path, const int stdio[3])
{
  posix_spawn_file_actions_init(fa);
  if (tty_path) {
    /* opened after setsid and without O_NOCTTY: it becomes the controlling
     * terminal, so the kernel sends the runtime SIGWINCH on a resize */
    posix_spawn_file_actions_addopen(fa, STDIN_FILENO, tty_path, O_RDWR, 0);
    posix_spawn_file_actions_adddup2(fa, STDIN_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(fa, STDIN_FILENO, STDERR_FILENO);
  } else {
    for (int i = 0; i < 3; i++) {
      if (stdio[i] >= 0)
        posix_spawn_file_actions_adddup2(fa, stdio[i], i);
      else
        posix_spawn_file_actions_addopen(fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  posix_spawn_file_actions_addclosefrom_np(fa, 3);
}

int exec_proc_spawn(const oci_runtime *rt, const char *id, char *const *argv,
                    const exec_opts *opts, const char *tty_path, const int stdio[3],
                    exec_proc *p, crio_err **err)
{
  *p = (exec_proc){ .runc_pid = 0 };
  if (!id || !id[0])
    return crio_err_set(err, CRIO_E_INVALID, "exec: no container id");
  if (!argv || !argv[0] || !argv[0][0])
    return crio_err_set(err, CRIO_E_INVALID, "exec in container %s: empty command", id);
  if (!rt || !rt->path || !rt->path[0])
    return crio_err_set(err, CRIO_E_INVALID, "exec in container %s: no runtime", id);
  const char *slash = strrchr(rt->path, '/');
  p->runtime_name = slash ? slash + 1 : rt->path;
  int r = make_private_dir(p, id, err);
  if (r < 0)
    return r;
  _cleanup_free_ const char **v = exec_argv(rt, id, argv, opts, tty_path != NULL, p);
  posix_spawn_file_actions_t fa;
  exec_file_actions(&fa, tty_path, stdio);
  posix_spawnattr_t attr;
  runtime_spawnattr_init(&attr);
  if (tty_path) {
    short flags = 0;
    posix_spawnattr_getflags(&attr, &flags);
    posix_spawnattr_setflags(&attr, flags | POSIX_SPAWN_SETSID);
  }
  int rc = posix_spawn(&p->runc_pid, rt->path, &fa, &attr, (char *const *) v, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    exec_proc_cleanup(p);
    p->runc_pid = 0;
    return crio_err_errno(err, CRIO_E_UNAVAILABLE, rc, "%s exec %s: run %s", p->runtime_name, id,
                          rt->path);
  }
  return 0;
}

bool exec_proc_pid(const exec_proc *p, pid_t *pid)
{
  _cleanup_free_ char *text = NULL;
  if (!p->pidfile || read_file(p->pidfile, &text, NULL, NULL) < 0)
    return false;
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (end == text || v <= 1 || v > INT32_MAX)
    return false;
  *pid = (pid_t) v;
  return true;
}

void exec_proc_kill(const exec_proc *p)
{
  pid_t pid = 0;
  if (!exec_proc_pid(p, &pid))
    return;
  if (getpgid(pid) == pid)
    kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

static crio_code exec_classify(const char *msg)
{
  if (strstr(msg, "stopped container") || strstr(msg, "not running") || strstr(msg, "paused"))
    return CRIO_E_CONFLICT;
  if (strstr(msg, "not found") || strcasestr(msg, "no such file or directory") ||
      strstr(msg, "does not exist"))
    return CRIO_E_NOT_FOUND;
  if (strcasestr(msg, "permission denied"))
    return CRIO_E_INVALID;
  return CRIO_E_INTERNAL;
}

int exec_proc_error(const exec_proc *p, const char *id, int status, crio_err **err)
{
  _cleanup_free_ char *log = NULL;
  if (p->logfile)
    read_file(p->logfile, &log, NULL, NULL);
  _cleanup_free_ char *msg = runtime_error_message(log);
  if (!msg[0]) {
    free(msg);
    msg = WIFSIGNALED(status) ? xasprintf("killed by signal %d", WTERMSIG(status))
                              : xasprintf("exit status %d", exec_exit_code(status));
  }
  return crio_err_set(err, exec_classify(msg), "%s exec %s: %s", p->runtime_name, id, msg);
}
