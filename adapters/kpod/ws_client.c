#include "ws_client.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/websocket.h"
#include "util/xalloc.h"
#include "version.h"

#define PROTOCOL_V4 "v4.channel.k8s.io"
#define PROTOCOL_V5 "v5.channel.k8s.io"
#define HEAD_MAX 16384     /* the handshake answer's head */
#define BODY_MAX 65536     /* what is read of a refusal's body */
#define STDIN_CHUNK 32768
#define CLOSE_WAIT_MS 1000

enum { CH_STDIN = 0, CH_STDOUT = 1, CH_STDERR = 2, CH_ERROR = 3, CH_RESIZE = 4, CH_CLOSE = 255 };

/* --- detach keys -------------------------------------------------------- */

/* ctrl-<c>: a-z (either case) are 1-26; @ [ \ ] ^ _ are 0 and 27-31. */
static int ctrl_key(const char *name, unsigned char *out)
{
  static const char specials[] = "@[\\]^_";
  const char *s = name[0] ? strchr(specials, name[0]) : NULL;
  if (strlen(name) != 1)
    return -1;
  if ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z')
    *out = (unsigned char) ((name[0] | 0x20) - 'a' + 1);
  else if (s)
    *out = s == specials ? 0 : (unsigned char) (26 + (s - specials));
  else
    return -1;
  return 0;
}

int ws_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, crio_err **err)
{
  *n = 0;
  if (!spec || !*spec)
    return 0;
  _cleanup_free_ char *copy = xstrdup(spec);
  char *rest = copy, *tok = NULL;
  while ((tok = strsep(&rest, ",")) != NULL) {
    unsigned char k = 0;
    if (*n == KPOD_DETACH_KEYS_MAX)
      return crio_err_set(err, CRIO_E_INVALID, "invalid detach keys \"%s\": more than %d keys",
                          spec, KPOD_DETACH_KEYS_MAX);
    if (strlen(tok) == 1)
      k = (unsigned char) tok[0];
    else if (strncasecmp(tok, "ctrl-", 5) != 0 || ctrl_key(tok + 5, &k) < 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "invalid detach keys \"%s\": \"%s\" is neither one character nor "
                          "ctrl-<key> with <key> one of a-z, @, [, \\, ], ^, _", spec, tok);
    keys[(*n)++] = k;
  }
  return 0;
}

/* --- connection --------------------------------------------------------- */

static int connect_error(const char *url, int e, crio_err **err)
{
  if (e == EACCES || e == EPERM)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "cannot connect to crio at %s: permission denied "
                        "(run kpod as root or as a user with access to the socket)", url);
  if (e == 0 || e == ENOENT || e == ECONNREFUSED)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "cannot connect to crio at %s: is the daemon running? Start it with "
                        "\"crio\" as root (or \"systemctl start crio\").", url);
  return crio_err_errno(err, CRIO_E_UNAVAILABLE, e, "cannot connect to crio at %s", url);
}

static int connect_unix(const char *url, const char *path, int *fd, crio_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof addr.sun_path)
    return crio_err_set(err, CRIO_E_INVALID, "invalid URL \"%s\": the socket path is too long",
                        url);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "socket for %s", url);
  if (connect(s, (struct sockaddr *) &addr, sizeof addr) < 0)
    return connect_error(url, errno, err);
  *fd = steal_fd(&s);
  return 0;
}

static int connect_tcp(const char *url, const char *authority, int *fd, crio_err **err)
{
  _cleanup_free_ char *host = xstrdup(authority);
  char *h = host, *colon = NULL;
  const char *port = "80";
  if (h[0] == '[') {  /* [::1]:8080 */
    char *end = strchr(h, ']');
    if (!end || (end[1] && end[1] != ':'))
      return crio_err_set(err, CRIO_E_INVALID, "invalid URL \"%s\": bad IPv6 address", url);
    *end = '\0';
    h++;
    if (end[1] == ':')
      port = end + 2;
  } else if ((colon = strrchr(h, ':')) != NULL) {
    *colon = '\0';
    port = colon + 1;
  }
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(h, port, &hints, &res);
  if (rc != 0)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "cannot connect to crio at %s: %s", url,
                        gai_strerror(rc));
  int e = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
      freeaddrinfo(res);
      *fd = s;
      return 0;
    }
    e = errno;
    if (s >= 0)
      close(s);
  }
  freeaddrinfo(res);
  return connect_error(url, e, err);
}

/* The socket to url, and the Host header for it. */
static int connect_url(const char *url, int *fd, char **host, crio_err **err)
{
  if (strncmp(url, "unix://", 7) == 0) {
    if (url[7] != '/')
      return crio_err_set(err, CRIO_E_INVALID,
                          "invalid URL \"%s\": a unix socket URL needs an absolute path "
                          "(unix:///run/crio/api.sock)", url);
    *host = xstrdup("localhost");
    return connect_unix(url, url + 7, fd, err);
  }
  if (strncmp(url, "https://", 8) == 0)
    return crio_err_set(err, CRIO_E_UNIMPLEMENTED,
                        "cannot stream over %s: exec and attach need unix:// or http://", url);
  const char *rest = NULL;
  if (strncmp(url, "http://", 7) == 0)
    rest = url + 7;
  else if (strncmp(url, "tcp://", 6) == 0)
    rest = url + 6;
  if (!rest || !*rest || *rest == '/')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid URL \"%s\": expected unix:///path or http://host:port", url);
  *host = xstrndup(rest, strcspn(rest, "/"));
  return connect_tcp(url, *host, fd, err);
}

/* The answer's head up to its blank line, a byte at a time so that no frame
 * sent right after it is consumed. */
static int read_head(int fd, strbuf *head, crio_err **err)
{
  while (head->len < HEAD_MAX) {
    char c = 0;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return crio_err_errno(err, CRIO_E_UNAVAILABLE, errno, "read the answer of crio");
    if (r == 0)
      return crio_err_set(err, CRIO_E_UNAVAILABLE, "crio closed the connection without answering");
    strbuf_putc(head, c);
    if (head->len >= 4 && memcmp(head->data + head->len - 4, "\r\n\r\n", 4) == 0)
      return 0;
  }
  return crio_err_set(err, CRIO_E_UNAVAILABLE, "the answer of crio has a head over %d bytes",
                      HEAD_MAX);
}

/* The value of header name in head (trimmed, a copy), or NULL. */
static char *head_value(const char *head, const char *name)
{
  size_t nl = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
    const char *p = line + 2;
    if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
      continue;
    p += nl + 1;
    p += strspn(p, " \t");
    size_t n = strcspn(p, "\r\n");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    return xstrndup(p, n);
  }
  return NULL;
}

/* A refusal (401, 404, 400 ...): its JSON body becomes the error. */
static int answer_refused(int fd, long status, const char *head, crio_err **err)
{
  _cleanup_free_ char *length = head_value(head, "Content-Length");  /* MHD always sends it */
  size_t want = length ? strtoul(length, NULL, 10) : 0;
  want = want > BODY_MAX ? BODY_MAX : want;
  _cleanup_free_ char *body = xmalloc(want + 1);
  size_t got = 0;
  while (got < want) {
    ssize_t r = read(fd, body + got, want - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t) r;
  }
  body[got] = '\0';
  return kpod_client_answer_error(status, body, got, err);
}

static int check_accept(const char *head, const char *key, int *protocol, crio_err **err)
{
  _cleanup_free_ char *upgrade = head_value(head, "Upgrade");
  _cleanup_free_ char *connection = head_value(head, "Connection");
  _cleanup_free_ char *accept = head_value(head, "Sec-WebSocket-Accept");
  _cleanup_free_ char *chosen = head_value(head, "Sec-WebSocket-Protocol");
  _cleanup_free_ char *want = ws_accept_key(key);
  if (!ws_header_has_token(upgrade, "websocket") || !ws_header_has_token(connection, "upgrade") ||
      !accept || strcmp(accept, want) != 0)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "crio's answer to the WebSocket handshake is not valid");
  if (!chosen || strcmp(chosen, PROTOCOL_V4) == 0)
    *protocol = 4;
  else if (strcmp(chosen, PROTOCOL_V5) == 0)
    *protocol = 5;
  else
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "crio chose the WebSocket subprotocol %s, which kpod did not offer", chosen);
  return 0;
}

static int handshake(int fd, const char *host, const char *path, const char *token,
                     int *protocol, crio_err **err)
{
  _cleanup_free_ char *key = ws_new_key();
  _cleanup_strbuf_ strbuf req = STRBUF_INIT;
  strbuf_printf(&req,
                "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: " PROTOCOL_V5 ", " PROTOCOL_V4 "\r\n"
                "User-Agent: kpod/%s\r\n", path, host, key, KPOD_VERSION);
  if (token && *token)
    strbuf_printf(&req, "Authorization: Bearer %s\r\n", token);
  strbuf_puts(&req, "\r\n");
  int r = ws_write_all(fd, req.data, req.len);
  if (r < 0)
    return crio_err_errno(err, CRIO_E_UNAVAILABLE, -r, "send the request for %s to crio", path);
  _cleanup_strbuf_ strbuf head = STRBUF_INIT;
  if ((r = read_head(fd, &head, err)) < 0)
    return r;
  long status = 0;
  if (sscanf(head.data, "HTTP/1.%*c %ld", &status) != 1)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "crio answered %s with something else than HTTP",
                        path);
  if (status != 101)
    return answer_refused(fd, status, head.data, err);
  return check_accept(head.data, key, protocol, err);
}

int ws_client_connect(const char *url, const char *token, const char *path, int *fd,
                      int *protocol, crio_err **err)
{
  *fd = -1;
  *protocol = 4;
  if (token && strpbrk(token, "\r\n"))
    return crio_err_set(err, CRIO_E_INVALID, "invalid API token: it contains a line break");
  if (strpbrk(path, "\r\n "))
    return crio_err_set(err, CRIO_E_INVALID, "invalid request path \"%s\"", path);
  _cleanup_free_ char *host = NULL;
  _cleanup_close_ int s = -1;
  int r = connect_url(url, &s, &host, err);
  if (r < 0)
    return r;
  if ((r = handshake(s, host, path, token, protocol, err)) < 0)
    return r;
  *fd = steal_fd(&s);
  return 0;
}

/* --- the session -------------------------------------------------------- */

typedef struct stream {
  int fd;
  int protocol;
  const ws_client_io *io;
  bool in_open;
  size_t matched;      /* detach keys typed so far: held back until decided */
  bool detached;
  bool have_status;
  int exit_code;
  crio_err *failure;   /* a Failure status that carries no exit code */
  int close_code;
} stream;

static void stream_release(stream *st)
{
  crio_err_free(st->failure);
}

static int write_all(int fd, const char *p, size_t n, const char *what, crio_err **err)
{
  int r = fd >= 0 ? ws_write_all(fd, p, n) : 0;
  return r < 0 ? crio_err_errno(err, CRIO_E_IO, -r, "write %s", what) : 0;
}

static int send_channel(stream *st, int channel, const void *buf, size_t n, crio_err **err)
{
  _cleanup_free_ unsigned char *msg = xmalloc(n + 1);
  msg[0] = (unsigned char) channel;
  if (n > 0)
    memcpy(msg + 1, buf, n);
  int r = ws_send(st->fd, WS_CLIENT, WS_OP_BINARY, msg, n + 1, err);
  return r < 0 ? crio_err_wrap(err, "stream to crio") : 0;
}

static int send_resize(stream *st, crio_err **err)
{
  struct winsize w = { 0, 0, 0, 0 };
  if (st->io->tty_fd < 0 || ioctl(st->io->tty_fd, TIOCGWINSZ, &w) < 0 || w.ws_col == 0)
    return 0;
  char msg[64];
  int n = snprintf(msg, sizeof msg, "{\"Width\":%u,\"Height\":%u}", w.ws_col, w.ws_row);
  return send_channel(st, CH_RESIZE, msg, (size_t) n, err);
}

/* in without the detach sequence, into out (n + ndetach bytes); a prefix
 * of the sequence is held until the next byte shows whether it goes on. */
static size_t detach_filter(stream *st, const unsigned char *in, size_t n, unsigned char *out)
{
  const unsigned char *keys = st->io->detach;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (st->matched > 0 && in[i] != keys[st->matched]) {
      memcpy(out + o, keys, st->matched);  /* not the sequence after all */
      o += st->matched;
      st->matched = 0;
    }
    if (st->io->ndetach > 0 && in[i] == keys[st->matched]) {
      if (++st->matched == st->io->ndetach) {
        st->detached = true;
        return o;
      }
      continue;
    }
    out[o++] = in[i];
  }
  return o;
}

static int on_stdin(stream *st, crio_err **err)
{
  unsigned char in[STDIN_CHUNK];
  ssize_t n = read(st->io->in_fd, in, sizeof in);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "read stdin");
  if (n == 0) {
    st->in_open = false;
    int r = st->matched ? send_channel(st, CH_STDIN, st->io->detach, st->matched, err) : 0;
    st->matched = 0;
    unsigned char closed = CH_STDIN;
    if (r == 0 && st->protocol >= 5)  /* v5: tell the daemon stdin is done */
      r = send_channel(st, CH_CLOSE, &closed, 1, err);
    return r;
  }
  _cleanup_free_ unsigned char *out = xmalloc((size_t) n + st->io->ndetach);
  size_t o = detach_filter(st, in, (size_t) n, out);
  return o > 0 ? send_channel(st, CH_STDIN, out, o, err) : 0;
}

/* The code of an ExitCode cause in details.causes, or -1. */
static int status_exit_code(json_t *doc)
{
  json_t *causes = json_object_get(json_object_get(doc, "details"), "causes");
  size_t i = 0;
  json_t *c = NULL;
  json_array_foreach(causes, i, c)
  {
    const char *msg = kpod_json_str(c, "message", NULL);
    char *end = NULL;
    if (strcmp(kpod_json_str(c, "reason", ""), "ExitCode") != 0 || !msg)
      continue;
    long code = strtol(msg, &end, 10);
    if (end != msg && !*end && code >= 0 && code <= 0x7fffffff)
      return (int) code;
  }
  return -1;
}

static void on_status(stream *st, const char *buf, size_t n)
{
  json_error_t jerr;
  _cleanup_json_ json_t *doc = json_loadb(buf, n, 0, &jerr);
  const char *status = kpod_json_str(doc, "status", "");
  const char *message = kpod_json_str(doc, "message", "the command failed");
  int code = strcmp(status, "Success") == 0 ? 0 : status_exit_code(doc);
  st->have_status = true;
  crio_err_free(steal_pointer(&st->failure));
  if (code >= 0)
    st->exit_code = code;
  else if (!doc)
    crio_err_set(&st->failure, CRIO_E_INTERNAL, "crio sent an exit status kpod cannot read: %s",
                 jerr.text);
  else
    crio_err_set(&st->failure, CRIO_E_INTERNAL, "%s", message);
}

/* 1 when the daemon ended the session. */
static int on_socket(stream *st, crio_err **err)
{
  _cleanup_ws_message_ ws_message m = { 0 };
  int r = ws_recv(st->fd, WS_CLIENT, WS_MAX_MESSAGE_DEFAULT, &m, err);
  if (r < 0)
    return crio_err_wrap(err, "stream from crio");
  if (m.opcode == WS_OP_CLOSE) {
    st->close_code = m.close_code;
    return 1;
  }
  if (m.len == 0)
    return 0;
  const char *p = m.data + 1;
  size_t n = m.len - 1;
  switch ((unsigned char) m.data[0]) {
  case CH_STDOUT:
    return write_all(st->io->out_fd, p, n, "stdout", err);
  case CH_STDERR:
    return write_all(st->io->err_fd, p, n, "stderr", err);
  case CH_ERROR:
    on_status(st, p, n);
    return 0;
  default:
    return 0;  /* a channel this end does not read */
  }
}

static int stream_finish(stream *st, int *exit_code, crio_err **err)
{
  if (st->failure)
    return crio_err_set(err, st->failure->code, "%s", st->failure->message);
  if (st->have_status || st->close_code == WS_CLOSE_NORMAL ||
      st->close_code == WS_CLOSE_NO_STATUS) {
    *exit_code = st->have_status ? st->exit_code : 0;
    return 0;
  }
  return crio_err_set(err, CRIO_E_UNAVAILABLE, "the stream from crio %s before the exit status",
                      st->close_code == WS_CLOSE_ABNORMAL ? "was cut" : "was closed");
}

int ws_client_stream(int fd, int protocol, const ws_client_io *io, int *exit_code,
                     crio_err **err)
{
  __attribute__((cleanup(stream_release))) stream st = {
    .fd = fd, .protocol = protocol, .io = io, .in_open = io->in_fd >= 0,
    .close_code = WS_CLOSE_ABNORMAL,
  };
  *exit_code = 0;
  int r = send_resize(&st, err);
  while (r == 0) {
    struct pollfd p[3] = { { .fd = fd, .events = POLLIN, .revents = 0 } };
    nfds_t n = 1, in_i = 0, winch_i = 0;
    if (st.in_open)
      p[in_i = n++] = (struct pollfd){ .fd = io->in_fd, .events = POLLIN, .revents = 0 };
    if (io->winch_fd >= 0)
      p[winch_i = n++] = (struct pollfd){ .fd = io->winch_fd, .events = POLLIN, .revents = 0 };
    if (poll(p, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      return crio_err_errno(err, CRIO_E_IO, errno, "poll stdin and the stream from crio");
    }
    if (winch_i && p[winch_i].revents) {
      char buf[64];
      while (read(io->winch_fd, buf, sizeof buf) > 0) {
      }
      r = send_resize(&st, err);
    }
    if (r == 0 && p[0].revents && (r = on_socket(&st, err)) > 0)
      return stream_finish(&st, exit_code, err);
    if (r == 0 && in_i && p[in_i].revents)
      r = on_stdin(&st, err);
    if (r == 0 && st.detached) {
      ws_close(fd, WS_CLIENT, WS_CLOSE_NORMAL, NULL, CLOSE_WAIT_MS);
      return 0;
    }
  }
  return r;
}

/* --- kpod's terminal ---------------------------------------------------- */

typedef struct term_state {
  int fd;                 /* -1: nothing to restore */
  struct termios saved;
} term_state;

static void term_restore(term_state *t)
{
  if (t->fd >= 0)
    tcsetattr(t->fd, TCSANOW, &t->saved);
}

static int term_raw(term_state *t, int fd, crio_err **err)
{
  if (tcgetattr(fd, &t->saved) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "read the terminal's settings");
  struct termios raw = t->saved;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSANOW, &raw) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "put the terminal in raw mode");
  t->fd = fd;
  return 0;
}

/* The SIGWINCH handler's end of its self-pipe: a signal handler sees only
 * globals. */
static volatile int winch_pipe_w = -1;

static void on_winch(int sig)
{
  int saved = errno;
  if (winch_pipe_w >= 0) {
    ssize_t r = write(winch_pipe_w, "w", 1);
    (void) r;
  }
  errno = saved;
}

typedef struct winch_state {
  int pipe[2];
  bool installed;
  struct sigaction old;
} winch_state;

static void winch_restore(winch_state *w)
{
  if (w->installed)
    sigaction(SIGWINCH, &w->old, NULL);
  winch_pipe_w = -1;
  for (int i = 0; i < 2; i++)
    if (w->pipe[i] >= 0)
      close(w->pipe[i]);
}

static int winch_install(winch_state *w, crio_err **err)
{
  if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pipe for terminal size changes");
  winch_pipe_w = w->pipe[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_winch;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGWINCH, &sa, &w->old) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "watch terminal size changes");
  w->installed = true;
  return 0;
}

int ws_client_session(kpod_ctx *ctx, const char *path, bool tty, bool use_stdin,
                      const char *detach_keys, int *exit_code, crio_err **err)
{
  unsigned char keys[KPOD_DETACH_KEYS_MAX];
  size_t nkeys = 0;
  *exit_code = 0;
  int r = ws_detach_keys_parse(detach_keys ? detach_keys : KPOD_DETACH_KEYS_DEFAULT, keys,
                               &nkeys, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = -1;
  int protocol = 4;
  r = ws_client_connect(ctx->url ? ctx->url : KPOD_DEFAULT_URL, ctx->token, path, &fd,
                        &protocol, err);
  if (r < 0)
    return r;
  __attribute__((cleanup(term_restore))) term_state term = { .fd = -1 };
  __attribute__((cleanup(winch_restore))) winch_state winch = { .pipe = { -1, -1 } };
  int tty_fd = !tty ? -1 : isatty(STDOUT_FILENO) ? STDOUT_FILENO : isatty(STDIN_FILENO) ? 0 : -1;
  if (tty && use_stdin && isatty(STDIN_FILENO) && (r = term_raw(&term, STDIN_FILENO, err)) < 0)
    return r;
  if (tty_fd >= 0 && (r = winch_install(&winch, err)) < 0)
    return r;
  if (ctx->out)
    fflush(ctx->out);
  ws_client_io io = {
    .in_fd = use_stdin ? STDIN_FILENO : -1, .out_fd = STDOUT_FILENO, .err_fd = STDERR_FILENO,
    .tty_fd = tty_fd, .winch_fd = winch.pipe[0], .detach = keys,
    .ndetach = use_stdin ? nkeys : 0,
  };
  return ws_client_stream(fd, protocol, &io, exit_code, err);
}
