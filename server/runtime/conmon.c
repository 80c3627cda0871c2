/* Running conmon for a container's create and reading what it leaves. */
#include "server/runtime/conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/runtime/oci_runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

extern char **environ;

#define CONMON_TIMEOUT_S 60
#define SYNC_FD 3    /* _OCI_SYNCPIPE in conmon */
#define START_FD 4   /* _OCI_STARTPIPE */

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *conmon_attach_socket_path(const char *socket_dir, const char *id)
{
  struct sockaddr_un addr;
  char *p = xasprintf("%s/%s/attach", socket_dir, id);
  if (strlen(p) >= sizeof addr.sun_path) {
    free(p);
    return NULL;
  }
  return p;
}

typedef struct argv_builder {
  const char *v[48];
  size_t n;
  char *owned[4];   /* formatted values freed with the builder */
  size_t n_owned;
} argv_builder;

static void arg(argv_builder *b, const char *a)
{
  if (b->n < ARRAY_SIZE(b->v) - 1)
    b->v[b->n++] = a;
  b->v[b->n] = NULL;
}

static void arg2(argv_builder *b, const char *flag, char *owned_value)
{
  b->owned[b->n_owned++] = owned_value;
  arg(b, flag);
  arg(b, owned_value);
}

static void argv_builder_clear(argv_builder *b)
{
  for (size_t i = 0; i < b->n_owned; i++)
    free(b->owned[i]);
}

/* CRI-O's command line, with --api-version for the {"data": pid} sync
 * message. --api-version is a flag of conmon's, not a flag with a value
 * (podman's "--api-version 1" leaves "1" as an ignored operand). */
static void conmon_argv(const conmon_create_opts *o, const char *pidfile, const char *conmon_pidfile,
                        argv_builder *b)
{
  arg(b, o->conmon_path ? o->conmon_path : "conmon");
  const char *pairs[][2] = {
    { "-c", o->id }, { "-u", o->id }, { "-n", o->name ? o->name : o->id },
    { "-r", o->runtime_path }, { "-b", o->bundle }, { "-p", pidfile }, { "-P", conmon_pidfile },
    { "--exit-dir", o->exit_dir }, { "--persist-dir", o->persist_dir },
    { "--socket-dir-path", o->socket_dir }, { "--log-level", o->log_level },
  };
  arg(b, "--api-version");
  /* -l is required; "DRIVER:PATH" keeps a ':' in the path from being read
   * as a driver name */
  if (o->log_path && o->log_path[0])
    arg2(b, "-l", xasprintf("k8s-file:%s", o->log_path));
  else
    arg2(b, "-l", xstrdup("none"));
  for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
    if (pairs[i][1] && pairs[i][1][0]) {
      arg(b, pairs[i][0]);
      arg(b, pairs[i][1]);
    }
  if (o->log_path && o->log_size_max > 0)
    arg2(b, "--log-size-max", xasprintf("%lld", (long long) o->log_size_max));
  if (o->runtime_root && o->runtime_root[0])
    arg2(b, "--runtime-arg", xasprintf("--root=%s", o->runtime_root));
  if (o->terminal)
    arg(b, "-t");
  if (o->stdin_open)
    arg(b, "-i");
  if (o->stdin_open && !o->stdin_once)
    arg(b, "--leave-stdin-open");
}

/* The daemon's environment without what would confuse conmon or the
 * runtime, plus the two pipe numbers. */
static char **conmon_env(void)
{
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = xzalloc((n + 3) * sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "_OCI_", 5) != 0 && strncmp(environ[i], "LISTEN_", 7) != 0 &&
        strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
      env[k++] = environ[i];
  env[k++] = "_OCI_SYNCPIPE=3";    /* SYNC_FD */
  env[k++] = "_OCI_STARTPIPE=4";   /* START_FD */
  return env;
}

typedef struct conmon_proc {
  pid_t pid;
  int sync_fd;     /* we read {"data": pid, "message": ...} */
  int start_fd;    /* we write one byte: go on */
  int output_fd;   /* the first process's stdout and stderr */
} conmon_proc;

static void conmon_proc_close(conmon_proc *p)
{
  int *fds[] = { &p->sync_fd, &p->start_fd, &p->output_fd };
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (*fds[i] >= 0) {
      close(*fds[i]);
      *fds[i] = -1;
    }
}

static int conmon_spawn(const conmon_create_opts *o, char *const argv[], conmon_proc *p, crio_err **err)
{
  int sync[2], start[2], output[2];
  if (pipe2(sync, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "conmon for container %s: pipe", o->id);
  /* a socket, so that writing to a conmon gone early is EPIPE, not SIGPIPE */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, start) < 0) {
    close(sync[0]), close(sync[1]);
    return crio_err_errno(err, CRIO_E_IO, errno, "conmon for container %s: socketpair", o->id);
  }
  if (pipe2(output, O_CLOEXEC) < 0) {
    close(sync[0]), close(sync[1]), close(start[0]), close(start[1]);
    return crio_err_errno(err, CRIO_E_IO, errno, "conmon for container %s: pipe", o->id);
  }
  /* above the numbers they are dup'ed to, so no dup2 clobbers another */
  int child_sync = fcntl(sync[1], F_DUPFD_CLOEXEC, 10), child_start = fcntl(start[1], F_DUPFD_CLOEXEC, 10);
  close(sync[1]);
  close(start[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, output[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, output[1], STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&fa, child_sync, SYNC_FD);
  posix_spawn_file_actions_adddup2(&fa, child_start, START_FD);
  posix_spawn_file_actions_addclosefrom_np(&fa, START_FD + 1);
  posix_spawn_file_actions_addchdir_np(&fa, o->bundle);
  posix_spawnattr_t attr;
  runtime_spawnattr_init(&attr);
  char **env = conmon_env();
  int rc = posix_spawnp(&p->pid, argv[0], &fa, &attr, argv, env);
  free(env);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(child_sync);
  close(child_start);
  close(output[1]);
  p->sync_fd = sync[0];
  p->start_fd = start[0];
  p->output_fd = output[0];
  fcntl(p->output_fd, F_SETFL, O_NONBLOCK);
  if (rc != 0) {
    conmon_proc_close(p);
    return crio_err_errno(err, rc == ENOENT ? CRIO_E_UNAVAILABLE : CRIO_E_IO, rc,
                          "run %s for container %s", argv[0], o->id);
  }
  return 0;
}

/* Waits (until deadline) for the first conmon process, which exits once it
 * has forked the monitor; *status its wait status. */
static int wait_first(const conmon_create_opts *o, pid_t pid, int64_t deadline, int *status,
                      crio_err **err)
{
  _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  for (;;) {
    pid_t w = waitpid(pid, status, pidfd >= 0 ? WNOHANG : 0);
    if (w == pid)
      return 0;
    if (w < 0 && errno != EINTR)
      return crio_err_errno(err, CRIO_E_INTERNAL, errno, "wait for conmon of container %s", o->id);
    int left = (int) (deadline - now_ms());
    if (left <= 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
      return crio_err_set(err, CRIO_E_UNAVAILABLE, "conmon for container %s: no answer within %d s",
                          o->id, o->timeout_sec > 0 ? o->timeout_sec : CONMON_TIMEOUT_S);
    }
    struct pollfd pf = { .fd = pidfd, .events = POLLIN };
    if (pidfd >= 0)
      poll(&pf, 1, left);
  }
}

/* Reads the sync pipe up to its first line, EOF or deadline; *line gets
 * what was read (maybe empty), *timed_out whether the deadline passed. */
static void read_sync(int fd, int64_t deadline, char **line, bool *timed_out)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  *timed_out = false;
  while (!b.data || !strchr(b.data, '\n')) {
    int left = (int) (deadline - now_ms());
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    int n = left > 0 ? poll(&pf, 1, left) : 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      *timed_out = true;
      break;
    }
    char chunk[4096];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || b.len > 1024 * 1024)
      break;
    strbuf_append(&b, chunk, (size_t) r);
  }
  *line = strbuf_steal(&b);
}

static char *read_available(int fd)
{
  strbuf b = STRBUF_INIT;
  char chunk[4096];
  ssize_t n;
  while (b.len < 65536 && (n = read(fd, chunk, sizeof chunk)) > 0)
    strbuf_append(&b, chunk, (size_t) n);
  char *s = strbuf_steal(&b);
  for (size_t len = strlen(s); len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '); len--)
    s[len - 1] = '\0';
  return s;
}

/* Kills a conmon that did not answer and what it may have created. */
static void conmon_abandon(const conmon_create_opts *o, const char *conmon_pidfile)
{
  pid_t pid;
  if (conmon_read_pidfile(conmon_pidfile, &pid, NULL) == 0 && pid > 1)
    kill(pid, SIGKILL);
  oci_runtime rt = { .path = o->runtime_path, .root = o->runtime_root };
  _cleanup_err_ crio_err *e = NULL;
  runtime_delete(&rt, o->id, true, &e);
}

/* {"data": pid} (api-version 1; "pid" before), with "message" on failure. */
static int parse_sync(const conmon_create_opts *o, const char *line, pid_t *pid, crio_err **err)
{
  const char *rt = strrchr(o->runtime_path, '/') ? strrchr(o->runtime_path, '/') + 1 : o->runtime_path;
  json_t *j = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
  json_t *v = json_object_get(j, "data");
  if (!v)
    v = json_object_get(j, "pid");
  if (!json_is_integer(v)) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_INTERNAL, "conmon for container %s: unexpected sync message "
                        "\"%.200s\"", o->id, line);
  }
  json_int_t value = json_integer_value(v);
  if (value > 0) {
    *pid = (pid_t) value;
    json_decref(j);
    return 0;
  }
  _cleanup_free_ char *msg = runtime_error_message(json_string_value(json_object_get(j, "message")));
  json_decref(j);
  crio_code code = strstr(msg, "executable file not found") || strstr(msg, "no such file or directory")
                       ? CRIO_E_INVALID : CRIO_E_INTERNAL;
  return crio_err_set(err, code, "%s create container %s: %s", rt, o->id,
                      msg[0] ? msg : "failed without a message");
}

static int check_opts(const conmon_create_opts *o, crio_err **err)
{
  if (!o->id || !o->id[0] || strchr(o->id, '/') || !o->bundle || !o->runtime_path ||
      o->runtime_path[0] != '/' || !o->exit_dir || !o->socket_dir)
    return crio_err_set(err, CRIO_E_INVALID, "conmon for container %s: id, bundle, an absolute "
                        "runtime path, exit and socket directories are required",
                        o->id ? o->id : "(none)");
  /* conmon binds the attach socket through /proc/self/fd, so a long socket
   * directory is fine for it; clients connect the same way */
  return 0;
}

int conmon_create_container(const conmon_create_opts *o, pid_t *container_pid, crio_err **err)
{
  int r = check_opts(o, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *pidfile = o->pidfile ? xstrdup(o->pidfile) : path_join(o->bundle, "pidfile");
  _cleanup_free_ char *conmon_pidfile =
      o->conmon_pidfile ? xstrdup(o->conmon_pidfile) : path_join(o->bundle, "conmon.pid");
  unlink(pidfile);
  argv_builder b = { .n = 0 };
  conmon_argv(o, pidfile, conmon_pidfile, &b);
  conmon_proc p = { .pid = -1, .sync_fd = -1, .start_fd = -1, .output_fd = -1 };
  r = conmon_spawn(o, (char *const *) b.v, &p, err);
  argv_builder_clear(&b);
  if (r < 0)
    return r;
  int64_t deadline = now_ms() + (int64_t) (o->timeout_sec > 0 ? o->timeout_sec : CONMON_TIMEOUT_S) * 1000;
  send(p.start_fd, "0", 1, MSG_NOSIGNAL);
  close(p.start_fd);
  p.start_fd = -1;
  int status = 0;
  r = wait_first(o, p.pid, deadline, &status, err);
  _cleanup_free_ char *output = read_available(p.output_fd);
  if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
    r = crio_err_set(err, CRIO_E_INTERNAL, "conmon for container %s failed (status %d): %s", o->id,
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output);
  _cleanup_free_ char *line = NULL;
  bool timed_out = false;
  if (r == 0)
    read_sync(p.sync_fd, deadline, &line, &timed_out);
  conmon_proc_close(&p);
  if (r < 0)
    return r;
  if (timed_out || !line[0]) {
    conmon_abandon(o, conmon_pidfile);
    return timed_out ? crio_err_set(err, CRIO_E_UNAVAILABLE, "conmon for container %s: no pid "
                                    "within %d s", o->id,
                                    o->timeout_sec > 0 ? o->timeout_sec : CONMON_TIMEOUT_S)
                     : crio_err_set(err, CRIO_E_INTERNAL, "conmon for container %s exited without "
                                    "reporting the container's pid", o->id);
  }
  return parse_sync(o, line, container_pid, err);
}

int conmon_cleanup(const char *socket_dir, const char *id, crio_err **err)
{
  _cleanup_free_ char *link = xasprintf("%s/%s", socket_dir, id);
  struct stat st;
  if (lstat(link, &st) < 0 || !S_ISLNK(st.st_mode))
    return 0;
  if (unlink(link) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove attach link %s", link);
  return 0;
}

static int read_small_file(const char *path, char *buf, size_t size, bool *exists, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  *exists = fd >= 0;
  if (fd < 0)
    return errno == ENOENT ? 0 : crio_err_errno(err, CRIO_E_IO, errno, "open %s", path);
  ssize_t n;
  while ((n = read(fd, buf, size - 1)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "read %s", path);
  buf[n] = '\0';
  return 0;
}

static int parse_int_text(const char *path, const char *text, long *out, crio_err **err)
{
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  while (*end == '\n' || *end == ' ')
    end++;
  if (errno || end == text || *end)
    return crio_err_set(err, CRIO_E_IO, "%s: not a number: \"%.32s\"", path, text);
  *out = v;
  return 0;
}

int conmon_read_exit(const char *exit_dir, const char *id, int *exit_code, bool *exists,
                     crio_err **err)
{
  _cleanup_free_ char *path = path_join(exit_dir, id);
  char buf[64];
  long v = 0;
  int r = read_small_file(path, buf, sizeof buf, exists, err);
  if (r < 0 || !*exists)
    return r;
  if ((r = parse_int_text(path, buf, &v, err)) < 0)
    return r;
  *exit_code = (int) v;
  return 0;
}

bool conmon_oom_killed(const char *persist_dir)
{
  if (!persist_dir)
    return false;
  _cleanup_free_ char *path = path_join(persist_dir, "oom");
  return access(path, F_OK) == 0;
}

int conmon_read_pidfile(const char *path, pid_t *pid, crio_err **err)
{
  char buf[64];
  bool exists;
  long v = 0;
  int r = read_small_file(path, buf, sizeof buf, &exists, err);
  if (r < 0)
    return r;
  if (!exists)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "pid file %s does not exist", path);
  if ((r = parse_int_text(path, buf, &v, err)) < 0)
    return r;
  *pid = (pid_t) v;
  return 0;
}
