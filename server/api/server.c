#include "server/api/api.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/api/api_internal.h"
#include "server/api/ws_session.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_STATUS 600

struct api_server {
  engine *engine;
  struct MHD_Daemon *unix_daemon;
  struct MHD_Daemon *tcp_daemon;
  char *unix_path;
  size_t max_body_size;
  bool enable_metrics;
  pthread_mutex_t token_lock;
  char *token;
  atomic_ulong requests[API_M__COUNT][MAX_STATUS];
};

/* Per-connection state while a request body arrives. */
typedef struct request_ctx {
  route_result route;
  api_match match;
  strbuf body;
  bool too_large;
  int body_fd;        /* routes with body_to_file */
  char *body_path;
  int body_errno;
} request_ctx;

static const char *const method_names[API_M__COUNT] = { "GET", "POST", "PUT", "DELETE", "OTHER" };

const char *api_method_name(api_method m)
{
  return method_names[m];
}

static api_method method_index(const char *method)
{
  for (int i = 0; i < API_M_OTHER; i++)
    if (strcmp(method, method_names[i]) == 0)
      return (api_method) i;
  return API_M_OTHER;
}

unsigned long api_server_requests(api_server *srv, api_method m, unsigned int status)
{
  return status < MAX_STATUS ? atomic_load(&srv->requests[m][status]) : 0;
}

const char *api_param(const api_request *req, const char *name)
{
  for (size_t i = 0; i < req->match.n_params; i++)
    if (strcmp(req->match.param_names[i], name) == 0)
      return req->match.param_values[i];
  return NULL;
}

const char *api_query(const api_request *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static bool token_equal(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char) (la != lb);
  for (size_t i = 0; i < la; i++)
    diff |= (unsigned char) (a[i] ^ b[i % (lb ? lb : 1)]);
  return diff == 0;
}

static bool authorized(api_server *srv, struct MHD_Connection *conn, const char *path)
{
  if (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0)
    return true;
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncmp(h, "Bearer ", 7) != 0)
    return false;
  pthread_mutex_lock(&srv->token_lock);
  bool ok = srv->token && srv->token[0] && token_equal(h + 7, srv->token);
  pthread_mutex_unlock(&srv->token_lock);
  return ok;
}

static enum MHD_Result send_reply(api_server *srv, struct MHD_Connection *conn, const char *method,
                                  api_reply *reply)
{
  if (reply->status < MAX_STATUS)
    atomic_fetch_add(&srv->requests[method_index(method)][reply->status], 1);
  enum MHD_Result r = MHD_queue_response(conn, reply->status, reply->response);
  MHD_destroy_response(reply->response);
  return r;
}

static void reply_no_route(request_ctx *ctx, const char *method, const char *url,
                           api_reply *reply)
{
  if (ctx->route == ROUTE_NO_PATH) {
    api_reply_errorf(reply, CRIO_E_NOT_FOUND, "no such endpoint: %s", url);
  } else {
    api_reply_errorf(reply, CRIO_E_INVALID, "method %s is not allowed on %s", method, url);
    reply->status = MHD_HTTP_METHOD_NOT_ALLOWED;
  }
}

static void dispatch(api_server *srv, struct MHD_Connection *conn, const char *method,
                     const char *url, request_ctx *ctx, api_reply *reply)
{
  api_request req = { .engine = srv->engine, .server = srv, .conn = conn, .method = method,
                      .path = url, .body = ctx->body.data ? ctx->body.data : "",
                      .body_len = ctx->body.len, .body_path = ctx->body_path,
                      .match = ctx->match };
  if (ctx->body_errno)
    api_reply_errorf(reply, CRIO_E_IO, "store request body in %s: %s", ctx->body_path,
                     strerror(ctx->body_errno));
  else
    ctx->match.route->handler(&req, reply);
}

static bool declared_too_large(api_server *srv, struct MHD_Connection *conn)
{
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return cl && strtoull(cl, NULL, 10) > srv->max_body_size;
}

/* First call of a request: route, authorization and size are decided before
 * any of the body is read. Returns true when a reply is ready. */
static bool request_begin(api_server *srv, struct MHD_Connection *conn, const char *url,
                          const char *method, request_ctx *ctx, api_reply *reply)
{
  bool is_tcp =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON)->daemon == srv->tcp_daemon;
  ctx->body_fd = -1;
  ctx->route = api_route_match(method, url, srv->enable_metrics, &ctx->match);
  if (is_tcp && !authorized(srv, conn, url)) {
    api_reply_errorf(reply, CRIO_E_UNAUTHORIZED,
                     "missing or wrong bearer token (Authorization: Bearer TOKEN)");
  } else if (ctx->route != ROUTE_FOUND) {
    reply_no_route(ctx, method, url, reply);
  } else if (ctx->match.route->body_to_file) {
    ctx->body_path = xasprintf("%s/upload-XXXXXX", engine_upload_dir(srv->engine));
    ctx->body_fd = mkostemp(ctx->body_path, O_CLOEXEC);
    if (ctx->body_fd < 0)
      api_reply_errorf(reply, CRIO_E_IO, "create %s: %s", ctx->body_path, strerror(errno));
  } else if (declared_too_large(srv, conn)) {
    api_reply_errorf(reply, CRIO_E_TOO_LARGE, "request body is larger than %zu bytes",
                     srv->max_body_size);
  }
  return reply->response != NULL;
}

static void request_body(api_server *srv, request_ctx *ctx, const char *data, size_t n)
{
  if (ctx->body_fd >= 0) {
    while (n > 0 && !ctx->body_errno) {
      ssize_t w = write(ctx->body_fd, data, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        ctx->body_errno = errno;
      else
        data += w, n -= (size_t) w;
    }
  } else if (ctx->body.len + n > srv->max_body_size) {
    ctx->too_large = true;
  } else {
    strbuf_append(&ctx->body, data, n);
  }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
  api_server *srv = cls;
  api_reply reply = { 0 };
  request_ctx *ctx = *con_cls;
  if (!ctx) {
    *con_cls = ctx = xzalloc(sizeof *ctx);
    if (request_begin(srv, conn, url, method, ctx, &reply))
      return send_reply(srv, conn, method, &reply);
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    request_body(srv, ctx, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->too_large)
    api_reply_errorf(&reply, CRIO_E_TOO_LARGE, "request body is larger than %zu bytes",
                     srv->max_body_size);
  else
    dispatch(srv, conn, method, url, ctx, &reply);
  return send_reply(srv, conn, method, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  request_ctx *ctx = *con_cls;
  if (!ctx)
    return;
  api_match_clear(&ctx->match);
  if (ctx->body_fd >= 0)
    close(ctx->body_fd);
  if (ctx->body_path)
    unlink(ctx->body_path);
  free(ctx->body_path);
  strbuf_free(&ctx->body);
  free(ctx);
  *con_cls = NULL;
}

static int listen_unix(const char *path, crio_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path)
    return crio_err_set(err, CRIO_E_INVALID, "socket path %s is too long", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "socket for %s", path);
  /* A socket left by a daemon that was killed; the root's lock says none runs. */
  if (unlink(path) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove stale socket %s", path);
  if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "bind %s", path);
  if (chmod(path, 0660) < 0 || listen(fd, SOMAXCONN) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "listen on %s", path);
  return steal_fd(&fd);
}

static int listen_tcp(const char *hostport, crio_err **err)
{
  _cleanup_free_ char *host = xstrdup(hostport);
  char *colon = strrchr(host, ':');
  if (!colon)
    return crio_err_set(err, CRIO_E_INVALID, "listen address %s is not HOST:PORT", hostport);
  *colon = '\0';
  const char *port = colon + 1;
  char *h = host;
  if (h[0] == '[' && colon[-1] == ']') {  /* [::1]:8080 */
    h++;
    colon[-1] = '\0';
  }
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(h[0] ? h : NULL, port, &hints, &res);
  if (rc != 0)
    return crio_err_set(err, CRIO_E_INVALID, "listen address %s: %s", hostport, gai_strerror(rc));
  _cleanup_close_ int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
    int e = errno;
    freeaddrinfo(res);
    return crio_err_errno(err, CRIO_E_IO, e, "listen on %s", hostport);
  }
  freeaddrinfo(res);
  return steal_fd(&fd);
}

static struct MHD_Daemon *start_daemon(api_server *srv, int fd)
{
  /* upgrade: exec and attach switch to WebSockets */
  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                       MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;
  return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 300, MHD_OPTION_END);
}

int api_server_start(engine *e, const api_options *opts, api_server **out, crio_err **err)
{
  api_server *srv = xzalloc(sizeof *srv);
  srv->engine = e;
  srv->max_body_size = opts->max_body_size;
  srv->enable_metrics = opts->enable_metrics;
  pthread_mutex_init(&srv->token_lock, NULL);
  srv->token = xstrdup(opts->token);
  int fd = listen_unix(opts->unix_socket, err);
  if (fd < 0) {
    api_server_stop(srv);
    return fd;
  }
  srv->unix_path = xstrdup(opts->unix_socket);
  if (!(srv->unix_daemon = start_daemon(srv, fd))) {
    close(fd);
    api_server_stop(srv);
    return crio_err_set(err, CRIO_E_IO, "start HTTP server on %s", opts->unix_socket);
  }
  if (opts->listen && opts->listen[0]) {
    fd = listen_tcp(opts->listen, err);
    if (fd < 0) {
      api_server_stop(srv);
      return fd;
    }
    if (!(srv->tcp_daemon = start_daemon(srv, fd))) {
      close(fd);
      api_server_stop(srv);
      return crio_err_set(err, CRIO_E_IO, "start HTTP server on %s", opts->listen);
    }
  }
  *out = srv;
  return 0;
}

void api_server_set_token(api_server *srv, const char *token)
{
  pthread_mutex_lock(&srv->token_lock);
  free(srv->token);
  srv->token = xstrdup(token);
  pthread_mutex_unlock(&srv->token_lock);
}

void api_server_stop(api_server *srv)
{
  if (!srv)
    return;
  /* open WebSocket sessions would keep MHD_stop_daemon waiting */
  if (srv->tcp_daemon) {
    ws_sessions_end(srv->tcp_daemon);
    MHD_stop_daemon(srv->tcp_daemon);
  }
  if (srv->unix_daemon) {
    ws_sessions_end(srv->unix_daemon);
    MHD_stop_daemon(srv->unix_daemon);
  }
  if (srv->unix_path)
    unlink(srv->unix_path);
  free(srv->unix_path);
  free(srv->token);
  pthread_mutex_destroy(&srv->token_lock);
  free(srv);
}
