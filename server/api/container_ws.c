/* Interactive exec and attach over WebSockets (v4.channel.k8s.io):
 * channel 0 stdin, 1 stdout, 2 stderr, 3 the exit status, 4 resize. */
#include "server/api/handlers.h"
#include "server/api/ws_session.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct ws_job {
  engine *engine;
  char *id;
  char **argv;
  char **env;
  char *user;
  char *workdir;
  bool tty;
  bool stdin_open;
} ws_job;

static void strs_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static void ws_job_free(ws_job *j)
{
  strs_free(j->argv);
  strs_free(j->env);
  free(j->user);
  free(j->workdir);
  free(j->id);
  free(j);
}

typedef enum { CLIENT_MORE, CLIENT_STDIN_CLOSED, CLIENT_GONE } client_event;

typedef struct client_sink {
  void (*resize)(void *ctx, unsigned short rows, unsigned short cols);
  int (*write_in)(void *ctx, const char *buf, size_t n);   /* NULL: stdin not forwarded */
  void *ctx;
} client_sink;

/* One message from the client: stdin data, its end (v5's close of channel
 * 0), or a resize. */
static client_event from_client(int ws, const client_sink *sink)
{
  int channel = 0;
  _cleanup_free_ char *buf = NULL;
  size_t n = 0;
  if (ws_recv_channel(ws, &channel, &buf, &n) != 0)
    return CLIENT_GONE;
  unsigned short w = 0, h = 0;
  if (channel == WS_CHANNEL_STDIN && sink->write_in)
    sink->write_in(sink->ctx, buf, n);
  else if (channel == WS_CHANNEL_CLOSE && n >= 1 && buf[0] == WS_CHANNEL_STDIN)
    return CLIENT_STDIN_CLOSED;
  else if (channel == WS_CHANNEL_RESIZE && ws_resize_parse(buf, n, &w, &h, NULL) == 0)
    sink->resize(sink->ctx, h, w);
  return CLIENT_MORE;
}

static void exec_resize(void *ctx, unsigned short rows, unsigned short cols)
{
  engine_exec_resize(ctx, rows, cols, NULL);
}

static int exec_write(void *ctx, const char *buf, size_t n)
{
  engine_exec *x = ctx;
  int fd = x->pty >= 0 ? x->pty : x->in;
  return fd >= 0 && write(fd, buf, n) == (ssize_t) n ? 0 : -1;
}

/* Copies the process's output to the client until it ends; false when the
 * client left first. */
static bool exec_bridge(int ws, engine_exec *x)
{
  struct pollfd p[3] = { { .fd = ws, .events = POLLIN },
                         { .fd = x->pty >= 0 ? x->pty : x->out, .events = POLLIN },
                         { .fd = x->pty >= 0 ? -1 : x->err, .events = POLLIN } };
  client_sink sink = { .resize = exec_resize, .write_in = exec_write, .ctx = x };
  char buf[32768];
  while (p[1].fd >= 0 || p[2].fd >= 0) {
    if (poll(p, 3, -1) < 0 && errno != EINTR)
      return false;
    for (int i = 1; i < 3; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n <= 0)
        p[i].fd = -1;  /* EOF, or EIO from a pty whose process is gone */
      else
        ws_send_channel(ws, i, buf, (size_t) n);
    }
    if (!(p[0].revents & (POLLIN | POLLHUP)))
      continue;
    client_event ev = from_client(ws, &sink);
    if (ev == CLIENT_GONE)
      return false;
    if (ev == CLIENT_STDIN_CLOSED)
      engine_exec_close_stdin(x);
  }
  return true;
}

static void run_exec(int ws, void *data)
{
  ws_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  engine_exec x;
  size_t n_env = 0;
  while (j->env && j->env[n_env])
    n_env++;
  engine_exec_opts o = { .env = j->env, .n_env = n_env, .user = j->user, .workdir = j->workdir };
  if (engine_exec_start(j->engine, j->id, j->argv, &o, j->tty, j->stdin_open, &x, &err) < 0) {
    ws_send_status(ws, -1, err->message);
    ws_job_free(j);
    return;
  }
  /* a client that left takes its process with it (engine_exec_close kills it) */
  int code = -1;
  if (exec_bridge(ws, &x)) {
    if (engine_exec_wait(&x, &code, &err) < 0)
      ws_send_status(ws, -1, err->message);
    else
      ws_send_status(ws, code, NULL);
  }
  engine_exec_close(&x);
  ws_job_free(j);
}

void handle_container_exec_stream(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  ws_job *j = xzalloc(sizeof *j);
  size_t n = api_query_all(req, "command", &j->argv);
  size_t n_env = api_query_all(req, "env", &j->env);
  const char *user = api_query(req, "user"), *workdir = api_query(req, "workdir");
  j->user = user ? xstrdup(user) : NULL;
  j->workdir = workdir ? xstrdup(workdir) : NULL;
  engine_exec_opts o = { .env = j->env, .n_env = n_env, .user = j->user, .workdir = j->workdir };
  engine_container c;
  if (n == 0)
    crio_err_set(&err, CRIO_E_INVALID, "query parameter command is required");
  if (err || engine_exec_opts_check(&o, &err) < 0 ||
      api_query_bool(req, "tty", &j->tty, &err) < 0 ||
      api_query_bool(req, "stdin", &j->stdin_open, &err) < 0 ||
      engine_container_get(req->engine, api_param(req, "id"), &c, &err) < 0) {
    ws_job_free(j);
    api_reply_error(reply, err);
    return;
  }
  j->engine = req->engine;
  j->id = xstrdup(c.id);
  bool running = strcmp(c.state, "running") == 0;
  if (!running)
    crio_err_set(&err, CRIO_E_CONFLICT, "container %s is %s, not running", c.spec.name, c.state);
  engine_container_clear(&c);
  if (err || ws_upgrade(req, reply, run_exec, j, &err) < 0) {
    ws_job_free(j);
    api_reply_error(reply, err);
  }
}

static void attach_resize_cb(void *ctx, unsigned short rows, unsigned short cols)
{
  engine_attach_resize(ctx, rows, cols, NULL);
}

static int attach_write_cb(void *ctx, const char *buf, size_t n)
{
  return engine_attach_write(ctx, buf, n, NULL);
}

static void attach_bridge(int ws, engine_attach *a, bool stdin_open, bool *ended)
{
  struct pollfd p[2] = { { .fd = ws, .events = POLLIN }, { .fd = a->fd, .events = POLLIN } };
  client_sink sink = { .resize = attach_resize_cb, .write_in = stdin_open ? attach_write_cb : NULL,
                       .ctx = a };
  char buf[8192];
  for (;;) {
    if (poll(p, 2, -1) < 0 && errno != EINTR)
      return;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      int stream = 0;
      size_t n = 0;
      if (engine_attach_read(a, &stream, buf, sizeof buf, &n, NULL) < 0 || n == 0) {
        *ended = true;  /* conmon closed the socket: the container exited */
        return;
      }
      if (ws_send_channel(ws, stream == 2 ? 2 : 1, buf, n) < 0)
        return;
    }
    if (!(p[0].revents & (POLLIN | POLLHUP)))
      continue;
    client_event ev = from_client(ws, &sink);
    if (ev == CLIENT_GONE)
      return;  /* the client detached or left: the container goes on */
    if (ev == CLIENT_STDIN_CLOSED)
      engine_attach_close_stdin(a);
  }
}

static void run_attach(int ws, void *data)
{
  ws_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  engine_attach a;
  bool ended = false;
  if (engine_attach_open(j->engine, j->id, &a, &err) < 0) {
    ws_send_status(ws, -1, err->message);
    ws_job_free(j);
    return;
  }
  attach_bridge(ws, &a, j->stdin_open, &ended);
  engine_attach_close(&a);
  int code = 0;
  bool oom = false;
  if (ended && engine_container_wait(j->engine, j->id, &code, &oom, &err) == 0)
    ws_send_status(ws, code, NULL);
  ws_job_free(j);
}

void handle_container_attach(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  ws_job *j = xzalloc(sizeof *j);
  engine_container c;
  if (api_query_bool(req, "stdin", &j->stdin_open, &err) < 0 ||
      engine_container_get(req->engine, api_param(req, "id"), &c, &err) < 0) {
    ws_job_free(j);
    api_reply_error(reply, err);
    return;
  }
  j->engine = req->engine;
  j->id = xstrdup(c.id);
  if (strcmp(c.state, "running") != 0 && strcmp(c.state, "created") != 0)
    crio_err_set(&err, CRIO_E_CONFLICT, "container %s is %s: nothing to attach to", c.spec.name,
                 c.state);
  engine_container_clear(&c);
  if (err || ws_upgrade(req, reply, run_attach, j, &err) < 0) {
    ws_job_free(j);
    api_reply_error(reply, err);
  }
}
