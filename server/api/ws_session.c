#include "server/api/ws_session.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "server/api/api_internal.h"
#include "server/api/json_util.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/websocket.h"
#include "util/xalloc.h"

/* How long the end of a session waits for the client's close frame. */
#define WS_CLOSE_WAIT_MS 2000

typedef struct ws_session {
  void (*run)(int fd, void *data);
  void *data;
  int fd;                          /* while run runs */
  const struct MHD_Daemon *daemon;
  struct ws_session *next;
} ws_session;

/* The sessions that run, so that ws_sessions_end can cut them: an upgraded
 * connection keeps MHD_stop_daemon waiting for as long as it lasts. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_gone = PTHREAD_COND_INITIALIZER;
static ws_session *live;
static const struct MHD_Daemon *ending;  /* the daemon ws_sessions_end stops */

static void live_add(ws_session *s)
{
  pthread_mutex_lock(&live_lock);
  s->next = live;
  live = s;
  if (s->daemon == ending)
    shutdown(s->fd, SHUT_RDWR);
  pthread_mutex_unlock(&live_lock);
}

static void live_remove(ws_session *s)
{
  pthread_mutex_lock(&live_lock);
  for (ws_session **p = &live; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  pthread_cond_broadcast(&live_gone);
  pthread_mutex_unlock(&live_lock);
}

static bool live_on(const struct MHD_Daemon *daemon)
{
  for (ws_session *s = live; s; s = s->next)
    if (s->daemon == daemon)
      return true;
  return false;
}

void ws_sessions_end(struct MHD_Daemon *daemon)
{
  pthread_mutex_lock(&live_lock);
  ending = daemon;
  for (ws_session *s = live; s; s = s->next)
    if (s->daemon == daemon)
      shutdown(s->fd, SHUT_RDWR);  /* run's reads see the end; its writes fail */
  while (daemon && live_on(daemon))
    pthread_cond_wait(&live_gone, &live_lock);
  ending = NULL;
  pthread_mutex_unlock(&live_lock);
}

/* Called by MHD in the connection's thread once the 101 is out; in
 * thread-per-connection mode it may block for the whole session. */
static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
                        const char *extra_in, size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
  ws_session *s = cls;
  int flags = fcntl(sock, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK))
    fcntl(sock, F_SETFL, flags & ~O_NONBLOCK);
  s->fd = sock;
  s->daemon = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON)->daemon;
  live_add(s);
  if (extra_in_size > 0) {
    /* RFC 6455 4.1: a client waits for the 101 before it sends frames. The
     * session is failed, and run sees a client that left at once. */
    log_warn("WebSocket client sent %zu bytes before the handshake completed", extra_in_size);
    ws_close(sock, WS_SERVER, WS_CLOSE_PROTOCOL_ERROR, "data sent before the handshake", 0);
    shutdown(sock, SHUT_RD);
  }
  s->run(sock, s->data);
  ws_close(sock, WS_SERVER, WS_CLOSE_NORMAL, NULL, WS_CLOSE_WAIT_MS);
  MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
  live_remove(s);  /* before MHD closes the fd, which is after this returns */
  free(s);
}

static const char *header(const api_request *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* What the client's Sec-WebSocket-Protocol headers offer. */
typedef struct protocol_offer {
  bool offered;
  bool v4, v5;
  const char *first;  /* for the error message */
} protocol_offer;

static enum MHD_Result collect_protocols(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
  protocol_offer *o = cls;
  if (!key || !value || strcasecmp(key, "Sec-WebSocket-Protocol") != 0)
    return MHD_YES;
  o->offered = true;
  if (!o->first)
    o->first = value;
  o->v4 = o->v4 || ws_header_has_token(value, WS_PROTOCOL_V4);
  o->v5 = o->v5 || ws_header_has_token(value, WS_PROTOCOL_V5);
  return MHD_YES;
}

static int choose_protocol(const api_request *req, const char **protocol, crio_err **err)
{
  protocol_offer o = { false, false, false, NULL };
  MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_protocols, &o);
  *protocol = o.v5 ? WS_PROTOCOL_V5 : o.v4 ? WS_PROTOCOL_V4 : NULL;
  if (o.offered && !*protocol)
    return crio_err_set(err, CRIO_E_INVALID,
                        "WebSocket subprotocol %s is not supported: use " WS_PROTOCOL_V4
                        " or " WS_PROTOCOL_V5, o.first);
  return 0;
}

static int check_handshake(const api_request *req, const char **protocol, bool *bad_version,
                           crio_err **err)
{
  if (strcmp(req->method, "GET") != 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s: a WebSocket handshake is a GET, not a %s",
                        req->path, req->method);
  if (!ws_header_has_token(header(req, MHD_HTTP_HEADER_UPGRADE), "websocket") ||
      !ws_header_has_token(header(req, MHD_HTTP_HEADER_CONNECTION), "upgrade"))
    return crio_err_set(err, CRIO_E_INVALID,
                        "%s is a WebSocket endpoint: the request needs the headers "
                        "\"Upgrade: websocket\" and \"Connection: Upgrade\"", req->path);
  const char *version = header(req, "Sec-WebSocket-Version");
  if (!version || strcmp(version, "13") != 0) {
    *bad_version = true;
    return crio_err_set(err, CRIO_E_INVALID,
                        "WebSocket version %s is not supported: Sec-WebSocket-Version must be 13",
                        version ? version : "(none)");
  }
  if (!ws_key_valid(header(req, "Sec-WebSocket-Key")))
    return crio_err_set(err, CRIO_E_INVALID,
                        "Sec-WebSocket-Key is missing or not 16 bytes in base64");
  return choose_protocol(req, protocol, err);
}

static int reply_refused(api_reply *reply, crio_err *why, bool bad_version, crio_err **err)
{
  api_reply_error(reply, why);
  if (bad_version)  /* RFC 6455 4.4: name the versions this server speaks */
    MHD_add_response_header(reply->response, "Sec-WebSocket-Version", "13");
  return crio_err_set(err, why->code, "%s", why->message);
}

int ws_upgrade(api_request *req, api_reply *reply, void (*run)(int fd, void *data), void *data,
               crio_err **err)
{
  _cleanup_err_ crio_err *why = NULL;
  const char *protocol = NULL;
  bool bad_version = false;
  if (check_handshake(req, &protocol, &bad_version, &why) < 0)
    return reply_refused(reply, why, bad_version, err);
  ws_session *s = xzalloc(sizeof *s);
  s->run = run;
  s->data = data;
  struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, s);
  if (!resp) {
    free(s);
    crio_err_set(&why, CRIO_E_INTERNAL, "libmicrohttpd cannot upgrade connections");
    return reply_refused(reply, why, false, err);
  }
  _cleanup_free_ char *accept = ws_accept_key(header(req, "Sec-WebSocket-Key"));
  MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
  MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
  if (protocol)
    MHD_add_response_header(resp, "Sec-WebSocket-Protocol", protocol);
  if (reply->response)
    MHD_destroy_response(reply->response);
  reply->status = MHD_HTTP_SWITCHING_PROTOCOLS;
  reply->response = resp;
  return 0;
}

int ws_send_channel(int fd, int channel, const void *buf, size_t n)
{
  _cleanup_free_ unsigned char *msg = xmalloc(n + 1);
  msg[0] = (unsigned char) channel;
  if (n > 0)
    memcpy(msg + 1, buf, n);
  return ws_send(fd, WS_SERVER, WS_OP_BINARY, msg, n + 1, NULL);
}

int ws_recv_channel(int fd, int *channel, char **buf, size_t *n)
{
  *channel = -1;
  *buf = NULL;
  *n = 0;
  for (;;) {
    _cleanup_ws_message_ ws_message m = { 0 };
    _cleanup_err_ crio_err *err = NULL;
    int r = ws_recv(fd, WS_SERVER, WS_MAX_MESSAGE_DEFAULT, &m, &err);
    if (r < 0) {
      log_debug("WebSocket session on fd %d failed: %s", fd, err->message);
      return r;
    }
    if (m.opcode == WS_OP_CLOSE)
      return 1;
    if (m.len == 0)
      continue;
    *channel = (unsigned char) m.data[0];
    *n = m.len - 1;
    memmove(m.data, m.data + 1, m.len);  /* with the NUL */
    *buf = steal_pointer(&m.data);
    return 0;
  }
}

static json_t *status_json(int exit_code, const char *message)
{
  if (exit_code == 0)
    return json_pack("{s:{},s:s}", "metadata", "status", "Success");
  if (exit_code < 0)
    return json_pack("{s:{},s:s,s:s,s:s}", "metadata", "status", "Failure", "reason",
                     "InternalError", "message", message ? message : "the command could not be run");
  char code[16];
  snprintf(code, sizeof code, "%d", exit_code);
  _cleanup_free_ char *fallback =
      xasprintf("command terminated with non-zero exit code %d", exit_code);
  return json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata", "status", "Failure",
                   "message", message ? message : fallback, "reason", "NonZeroExitCode",
                   "details", "causes", "reason", "ExitCode", "message", code);
}

int ws_send_status(int fd, int exit_code, const char *message)
{
  _cleanup_json_ json_t *st = status_json(exit_code, message);
  _cleanup_free_ char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
  if (!text)
    return -CRIO_E_INTERNAL;
  return ws_send_channel(fd, WS_CHANNEL_ERROR, text, strlen(text));
}

int ws_resize_parse(const char *buf, size_t n, unsigned short *width, unsigned short *height,
                    crio_err **err)
{
  json_error_t jerr;
  _cleanup_json_ json_t *doc = json_loadb(buf, n, 0, &jerr);
  if (!json_is_object(doc))
    return crio_err_set(err, CRIO_E_INVALID, "resize message is not a JSON object: %s",
                        doc ? "another JSON value" : jerr.text);
  json_t *w = json_object_get(doc, "Width"), *h = json_object_get(doc, "Height");
  if (!json_is_integer(w) || !json_is_integer(h) || json_integer_value(w) < 0 ||
      json_integer_value(w) > 65535 || json_integer_value(h) < 0 ||
      json_integer_value(h) > 65535)
    return crio_err_set(err, CRIO_E_INVALID,
                        "resize message needs Width and Height as integers from 0 to 65535");
  *width = (unsigned short) json_integer_value(w);
  *height = (unsigned short) json_integer_value(h);
  return 0;
}
