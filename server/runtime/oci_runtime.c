/* Runs the OCI runtime's verbs and turns its stderr into errors. */
#include "server/runtime/oci_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

extern char **environ;

#define RUNTIME_TIMEOUT_MS 60000
#define OUTPUT_MAX (1024 * 1024)

void runtime_spawnattr_init(posix_spawnattr_t *attr)
{
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_init(attr);
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setsigdefault(attr, &all);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct child_io {
  int fd[3];            /* our ends: stdin (write), stdout, stderr (read); -1 when closed */
  const char *input;
  size_t input_left;
  strbuf out[2];
} child_io;

/* One round of poll on the child's pipes; false once all are closed. */
static bool child_io_step(child_io *io, int timeout_ms)
{
  struct pollfd p[3];
  for (int i = 0; i < 3; i++)
    p[i] = (struct pollfd){ .fd = io->fd[i], .events = i == 0 ? POLLOUT : POLLIN };
  if (io->fd[0] < 0 && io->fd[1] < 0 && io->fd[2] < 0)
    return false;
  if (poll(p, 3, timeout_ms) <= 0)
    return true;
  if (io->fd[0] >= 0 && p[0].revents) {
    ssize_t n = send(io->fd[0], io->input, io->input_left, MSG_NOSIGNAL);
    if (n > 0) {
      io->input += n;
      io->input_left -= (size_t) n;
    }
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || io->input_left == 0) {
      close(io->fd[0]);
      io->fd[0] = -1;
    }
  }
  for (int i = 1; i < 3; i++) {
    if (io->fd[i] < 0 || !p[i].revents)
      continue;
    char chunk[4096];
    ssize_t n = read(io->fd[i], chunk, sizeof chunk);
    if (n > 0 && io->out[i - 1].len < OUTPUT_MAX)
      strbuf_append(&io->out[i - 1], chunk, (size_t) n);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      close(io->fd[i]);
      io->fd[i] = -1;
    }
  }
  return true;
}

static int spawn_piped(char *const argv[], bool with_input, child_io *io, pid_t *pid, crio_err **err)
{
  int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
  /* stdin is a socket: send(MSG_NOSIGNAL) to a child gone early is EPIPE, not SIGPIPE */
  for (int i = 0; i < 3; i++)
    if ((i > 0 || with_input) &&
        (i == 0 ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p[i]) : pipe2(p[i], O_CLOEXEC)) < 0) {
      int e = errno;
      for (int j = 0; j < i; j++)
        close(p[j][0]), close(p[j][1]);
      return crio_err_errno(err, CRIO_E_IO, e, "pipe for %s", argv[0]);
    }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (with_input)
    posix_spawn_file_actions_adddup2(&fa, p[0][0], STDIN_FILENO);
  else
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1][1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, p[2][1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  runtime_spawnattr_init(&attr);
  int rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  io->fd[0] = p[0][1];
  io->fd[1] = p[1][0];
  io->fd[2] = p[2][0];
  for (int i = 0; i < 3; i++) {
    if (p[i][i == 0 ? 0 : 1] >= 0)
      close(p[i][i == 0 ? 0 : 1]);
    if (io->fd[i] >= 0)
      fcntl(io->fd[i], F_SETFL, O_NONBLOCK);
  }
  if (rc != 0)
    return crio_err_errno(err, CRIO_E_UNAVAILABLE, rc, "run %s", argv[0]);
  return 0;
}

/* Runs argv with input (may be NULL) on stdin; *status gets the wait status,
 * *out and *errtext (either may be NULL) the outputs. */
static int run_child(char *const argv[], const char *input, int *status, char **out, char **errtext,
                     crio_err **err)
{
  child_io io = { .fd = { -1, -1, -1 }, .input = input, .input_left = input ? strlen(input) : 0 };
  pid_t pid;
  int r = spawn_piped(argv, input != NULL, &io, &pid, err);
  int64_t deadline = now_ms() + RUNTIME_TIMEOUT_MS;
  while (r == 0 && now_ms() < deadline && child_io_step(&io, (int) (deadline - now_ms())))
    ;
  bool timed_out = r == 0 && (io.fd[0] >= 0 || io.fd[1] >= 0 || io.fd[2] >= 0);
  for (int i = 0; i < 3; i++)
    if (io.fd[i] >= 0)
      close(io.fd[i]);
  if (r == 0) {
    if (timed_out)
      kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
      ;
  }
  if (r == 0 && timed_out)
    r = crio_err_set(err, CRIO_E_UNAVAILABLE, "%s timed out after %d s", argv[0],
                     RUNTIME_TIMEOUT_MS / 1000);
  if (r == 0 && out)
    *out = strbuf_steal(&io.out[0]);
  if (r == 0 && errtext)
    *errtext = strbuf_steal(&io.out[1]);
  strbuf_free(&io.out[0]);
  strbuf_free(&io.out[1]);
  return r;
}

/* The msg="..." of a logrus text line, unquoted; NULL when there is none. */
static char *logrus_text_msg(const char *line, size_t len)
{
  _cleanup_free_ char *l = xstrndup(line, len);
  char *m = strstr(l, "msg=\"");
  if (!m)
    return NULL;
  strbuf b = STRBUF_INIT;
  for (const char *p = m + 5; *p && *p != '"'; p++) {
    if (*p == '\\' && p[1]) {
      p++;
      strbuf_putc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
    } else {
      strbuf_putc(&b, *p);
    }
  }
  return strbuf_steal(&b);
}

static char *log_line_msg(const char *line, size_t len, bool *is_error)
{
  json_t *j = json_loadb(line, len, 0, NULL);
  if (j) {
    const char *msg = json_string_value(json_object_get(j, "msg"));
    const char *level = json_string_value(json_object_get(j, "level"));
    *is_error = level && (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0);
    char *r = msg ? xstrdup(msg) : NULL;
    json_decref(j);
    return r;
  }
  _cleanup_free_ char *l = xstrndup(line, len);
  *is_error = strstr(l, "level=error") || strstr(l, "level=fatal");
  return logrus_text_msg(line, len);
}

char *runtime_error_message(const char *text)
{
  char *best = NULL;
  bool best_is_error = false;
  for (const char *line = text ? text : ""; *line;) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t) (eol - line) : strlen(line);
    bool is_error = false;
    char *msg = len ? log_line_msg(line, len, &is_error) : NULL;
    if (msg && (is_error || !best_is_error)) {
      free(best);
      best = msg;
      best_is_error = is_error;
    } else {
      free(msg);
    }
    line = eol ? eol + 1 : line + len;
  }
  if (best)
    return best;
  char *t = xstrdup(text ? text : "");
  size_t n = strlen(t);
  while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\r'))
    t[--n] = '\0';
  return t;
}

static crio_code classify(const char *msg)
{
  if (strstr(msg, "does not exist") ||
      (strstr(msg, "/status") && strstr(msg, "No such file or directory")))
    return CRIO_E_NOT_FOUND;
  if (strstr(msg, "not running") || strstr(msg, "not paused") || strstr(msg, "already paused") ||
      strstr(msg, "is paused") || strstr(msg, "not stopped") || strstr(msg, "is stopped"))
    return CRIO_E_CONFLICT;
  return CRIO_E_INTERNAL;
}

/* Runs `PATH [--root ROOT] args...` for container id; on failure the error
 * says "<runtime> <verb> <id>: <message>". */
static int runtime_run(const oci_runtime *rt, const char *id, const char *const *args, size_t n_args,
                       const char *input, char **out, crio_err **err)
{
  const char *argv[16];
  size_t n = 0;
  argv[n++] = rt->path;
  if (rt->root && rt->root[0]) {
    argv[n++] = "--root";
    argv[n++] = rt->root;
  }
  for (size_t i = 0; i < n_args && n < ARRAY_SIZE(argv) - 1; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  const char *base = strrchr(rt->path, '/') ? strrchr(rt->path, '/') + 1 : rt->path;
  int status = 0;
  _cleanup_free_ char *errtext = NULL;
  int r = run_child((char *const *) argv, input, &status, out, &errtext, err);
  if (r < 0)
    return crio_err_wrap(err, "%s %s %s", base, args[0], id);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (out) {
    free(*out);
    *out = NULL;
  }
  _cleanup_free_ char *msg = runtime_error_message(errtext);
  if (!msg[0]) {
    free(msg);
    msg = WIFEXITED(status) ? xasprintf("exit status %d", WEXITSTATUS(status))
                            : xasprintf("killed by signal %d", WTERMSIG(status));
  }
  return crio_err_set(err, classify(msg), "%s %s %s: %s", base, args[0], id, msg);
}

int runtime_start(const oci_runtime *rt, const char *id, crio_err **err)
{
  const char *args[] = { "start", id };
  return runtime_run(rt, id, args, ARRAY_SIZE(args), NULL, NULL, err);
}

int runtime_kill(const oci_runtime *rt, const char *id, int signal, bool all, crio_err **err)
{
  char sig[16];
  snprintf(sig, sizeof sig, "%d", signal);
  const char *with_all[] = { "kill", "--all", id, sig };
  const char *one[] = { "kill", id, sig };
  return all ? runtime_run(rt, id, with_all, ARRAY_SIZE(with_all), NULL, NULL, err)
             : runtime_run(rt, id, one, ARRAY_SIZE(one), NULL, NULL, err);
}

int runtime_pause(const oci_runtime *rt, const char *id, crio_err **err)
{
  const char *args[] = { "pause", id };
  return runtime_run(rt, id, args, ARRAY_SIZE(args), NULL, NULL, err);
}

int runtime_resume(const oci_runtime *rt, const char *id, crio_err **err)
{
  const char *args[] = { "resume", id };
  return runtime_run(rt, id, args, ARRAY_SIZE(args), NULL, NULL, err);
}

int runtime_delete(const oci_runtime *rt, const char *id, bool force, crio_err **err)
{
  const char *with_force[] = { "delete", "--force", id };
  const char *plain[] = { "delete", id };
  crio_err *e = NULL;
  int r = force ? runtime_run(rt, id, with_force, ARRAY_SIZE(with_force), NULL, NULL, &e)
                : runtime_run(rt, id, plain, ARRAY_SIZE(plain), NULL, NULL, &e);
  if (r < 0 && e->code == CRIO_E_NOT_FOUND) {
    crio_err_free(e);
    return 0;
  }
  if (r < 0 && err && !*err)
    *err = e;
  else if (r < 0)
    crio_err_free(e);
  return r;
}

int runtime_state(const oci_runtime *rt, const char *id, char **status, int *pid, crio_err **err)
{
  const char *args[] = { "state", id };
  _cleanup_free_ char *out = NULL;
  int r = runtime_run(rt, id, args, ARRAY_SIZE(args), NULL, &out, err);
  if (r < 0)
    return r;
  json_error_t je;
  json_t *j = json_loads(out, 0, &je);
  const char *s = json_string_value(json_object_get(j, "status"));
  if (!s) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_INTERNAL, "%s state %s: unexpected output: %.200s", rt->path,
                        id, out);
  }
  if (status)
    *status = xstrdup(s);
  if (pid)
    *pid = (int) json_integer_value(json_object_get(j, "pid"));
  json_decref(j);
  return 0;
}

int runtime_update(const oci_runtime *rt, const char *id, const char *resources_json, crio_err **err)
{
  const char *args[] = { "update", "--resources", "-", id };
  return runtime_run(rt, id, args, ARRAY_SIZE(args), resources_json ? resources_json : "{}", NULL,
                     err);
}
