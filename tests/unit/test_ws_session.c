/* WebSocket sessions end to end: a real libmicrohttpd daemon on a unix
 * socket (thread per connection, MHD_ALLOW_UPGRADE, as the daemon runs it)
 * serves /echo with ws_upgrade; kpod's ws_client talks to it. The session's
 * run() echoes channel 0 on channel 1, answers resizes on channel 1, and
 * ends with the status ?exit= asks for once stdin is closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "adapters/kpod/ws_client.h"
#include "server/api/api_internal.h"
#include "server/api/ws_session.h"
#include "util/websocket.h"

static char dir[] = "/tmp/ws-session-XXXXXX";
static char sock_path[128];
static char url[160];
static struct MHD_Daemon *daemon_handle;

/* --- the server ---------------------------------------------------------- */

static void echo_run(int fd, void *data)
{
  int exit_code = *(int *) data;
  free(data);
  for (;;) {
    int channel = -1;
    char *buf = NULL;
    size_t n = 0;
    if (ws_recv_channel(fd, &channel, &buf, &n) != 0)
      return;  /* the client left: no status */
    unsigned short w = 0, h = 0;
    if (channel == WS_CHANNEL_STDIN) {
      ws_send_channel(fd, WS_CHANNEL_STDOUT, buf, n);
    } else if (channel == WS_CHANNEL_RESIZE && ws_resize_parse(buf, n, &w, &h, NULL) == 0) {
      char line[64];
      int len = snprintf(line, sizeof line, "resize %ux%u\n", w, h);
      ws_send_channel(fd, WS_CHANNEL_STDOUT, line, (size_t) len);
    } else if (channel == WS_CHANNEL_CLOSE && n == 1 && buf[0] == WS_CHANNEL_STDIN) {
      ws_send_channel(fd, WS_CHANNEL_STDERR, "stdin closed\n", 13);
      ws_send_status(fd, exit_code, exit_code < 0 ? "no such command" : NULL);
      free(buf);
      return;
    }
    free(buf);
  }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *path,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
  static int first_call_marker;
  if (!*con_cls) {
    *con_cls = &first_call_marker;
    return MHD_YES;
  }
  api_request req = { .conn = conn, .method = method, .path = path };
  api_reply reply = { 0 };
  if (strcmp(path, "/echo") == 0) {
    const char *exit_arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "exit");
    int *code = malloc(sizeof *code);
    *code = exit_arg ? atoi(exit_arg) : 0;
    crio_err *err = NULL;
    if (ws_upgrade(&req, &reply, echo_run, code, &err) < 0) {
      free(code);
      crio_err_free(err);
    }
  } else {
    api_reply_errorf(&reply, CRIO_E_NOT_FOUND, "no such endpoint: %s", path);
  }
  enum MHD_Result r = MHD_queue_response(conn, reply.status, reply.response);
  MHD_destroy_response(reply.response);
  return r;
}

static int setup(void **state)
{
  assert_non_null(mkdtemp(dir));
  snprintf(sock_path, sizeof sock_path, "%s/api.sock", dir);
  snprintf(url, sizeof url, "unix://%s", sock_path);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy(addr.sun_path, sock_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(bind(fd, (struct sockaddr *) &addr, sizeof addr), 0);
  assert_int_equal(listen(fd, 16), 0);
  daemon_handle = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
                                       MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_UPGRADE |
                                       MHD_USE_ERROR_LOG,
                                   0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                                   MHD_OPTION_END);
  assert_non_null(daemon_handle);
  return 0;
}

static int teardown(void **state)
{
  ws_sessions_end(daemon_handle);
  MHD_stop_daemon(daemon_handle);
  unlink(sock_path);
  rmdir(dir);
  return 0;
}

/* --- helpers ------------------------------------------------------------- */

/* What was written to a pipe's write end, once it is closed. */
static char *slurp(int fd)
{
  static char buf[4096];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t) r;
  buf[n] = '\0';
  return buf;
}

typedef struct session_run {
  int in[2], out[2], errp[2];
  int exit_code;
  int result;
  crio_err *err;
} session_run;

/* A session on /echo?exit=... with stdin (closed after input, or held open
 * when keep_open) and the detach keys given. */
static void run_session(const char *path, const char *input, size_t len, bool keep_open,
                        const char *detach, int tty_fd, session_run *s)
{
  unsigned char keys[KPOD_DETACH_KEYS_MAX];
  size_t nkeys = 0;
  assert_int_equal(ws_detach_keys_parse(detach, keys, &nkeys, NULL), 0);
  assert_int_equal(pipe(s->in), 0);
  assert_int_equal(pipe(s->out), 0);
  assert_int_equal(pipe(s->errp), 0);
  assert_int_equal(write(s->in[1], input, len), (ssize_t) len);
  if (!keep_open)
    close(s->in[1]);
  int fd = -1, protocol = 0;
  s->err = NULL;
  assert_int_equal(ws_client_connect(url, NULL, path, &fd, &protocol, &s->err), 0);
  assert_int_equal(protocol, 5);
  ws_client_io io = { .in_fd = s->in[0], .out_fd = s->out[1], .err_fd = s->errp[1],
                      .tty_fd = tty_fd, .winch_fd = -1, .detach = keys, .ndetach = nkeys };
  s->result = ws_client_stream(fd, protocol, &io, &s->exit_code, &s->err);
  close(fd);
  close(s->in[0]);
  if (keep_open)
    close(s->in[1]);
  close(s->out[1]);
  close(s->errp[1]);
}

static void session_done(session_run *s)
{
  close(s->out[0]);
  close(s->errp[0]);
  crio_err_free(s->err);
}

/* --- tests --------------------------------------------------------------- */

static void test_echo_and_exit_code(void **state)
{
  session_run s;
  run_session("/echo?exit=3", "hello\n", 6, false, "", -1, &s);
  assert_int_equal(s.result, 0);
  assert_int_equal(s.exit_code, 3);
  assert_string_equal(slurp(s.out[0]), "hello\n");
  assert_string_equal(slurp(s.errp[0]), "stdin closed\n");
  session_done(&s);
}

static void test_success_status(void **state)
{
  session_run s;
  run_session("/echo?exit=0", "x", 1, false, NULL, -1, &s);
  assert_int_equal(s.result, 0);
  assert_int_equal(s.exit_code, 0);
  assert_string_equal(slurp(s.out[0]), "x");
  session_done(&s);
}

static void test_failure_status_is_an_error(void **state)
{
  session_run s;
  run_session("/echo?exit=-1", "", 0, false, NULL, -1, &s);
  assert_int_equal(s.result, -CRIO_E_INTERNAL);
  assert_string_equal(s.err->message, "no such command");
  session_done(&s);
}

static void test_detach_keys_end_the_session(void **state)
{
  session_run s;
  run_session("/echo", "ab\x10x\x10\x11more", 10, true, "ctrl-p,ctrl-q", -1, &s);
  assert_int_equal(s.result, 0);
  assert_int_equal(s.exit_code, 0);
  /* what came before the sequence may have been echoed; nothing after it */
  const char *out = slurp(s.out[0]);
  assert_int_equal(strncmp(out, "ab\x10x", strlen(out)), 0);
  session_done(&s);
}

static void test_resize_sent_at_start(void **state)
{
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  assert_true(master >= 0);
  assert_int_equal(grantpt(master), 0);
  assert_int_equal(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  assert_true(slave >= 0);
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  assert_int_equal(ioctl(slave, TIOCSWINSZ, &ws), 0);
  session_run s;
  run_session("/echo?exit=0", "", 0, false, NULL, slave, &s);
  assert_int_equal(s.result, 0);
  assert_string_equal(slurp(s.out[0]), "resize 80x24\n");
  session_done(&s);
  close(slave);
  close(master);
}

static void test_refusal_is_the_daemons_error(void **state)
{
  int fd = -1, protocol = 0;
  crio_err *err = NULL;
  assert_int_equal(ws_client_connect(url, "token", "/nope", &fd, &protocol, &err),
                   -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "no such endpoint: /nope");
  assert_int_equal(fd, -1);
  crio_err_free(err);
  err = NULL;
  assert_int_equal(ws_client_connect("unix:///nonexistent/api.sock", NULL, "/echo", &fd,
                                     &protocol, &err),
                   -CRIO_E_UNAVAILABLE);
  crio_err_free(err);
}

/* The daemon's answer to a raw request: its head, and its body when it has a
 * Content-Length. */
static char *raw_request(const char *headers)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy(addr.sun_path, sock_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(fd, (struct sockaddr *) &addr, sizeof addr), 0);
  char *req = NULL;
  assert_true(asprintf(&req, "GET /echo HTTP/1.1\r\nHost: x\r\n%s\r\n", headers) > 0);
  assert_int_equal(write(fd, req, strlen(req)), (ssize_t) strlen(req));
  free(req);
  char buf[8192];
  size_t n = 0;
  while (n < sizeof buf - 1 && (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0)) {
    assert_int_equal(read(fd, buf + n, 1), 1);
    n++;
  }
  buf[n] = '\0';
  const char *cl = strcasestr(buf, "Content-Length:");
  size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
  assert_true(n + body < sizeof buf);
  for (size_t got = 0; got < body;) {
    ssize_t r = read(fd, buf + n + got, body - got);
    assert_true(r > 0);
    got += (size_t) r;
  }
  buf[n + body] = '\0';
  close(fd);  /* a 101 session ends here */
  return strdup(buf);
}

static void test_bad_handshakes_get_400(void **state)
{
  char *a = raw_request("");
  assert_non_null(strstr(a, "HTTP/1.1 400"));
  assert_non_null(strstr(a, "\"code\":\"invalid_argument\""));
  assert_non_null(strstr(a, "Upgrade: websocket"));  /* the message names what is missing */
  free(a);
  a = raw_request("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
  assert_non_null(strstr(a, "HTTP/1.1 400"));
  assert_non_null(strstr(a, "Sec-WebSocket-Version: 13"));
  free(a);
  a = raw_request("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: short\r\n");
  assert_non_null(strstr(a, "HTTP/1.1 400"));
  free(a);
  a = raw_request("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Protocol: chat\r\n");
  assert_non_null(strstr(a, "HTTP/1.1 400"));
  assert_non_null(strstr(a, "subprotocol chat"));
  free(a);
}

static void test_101_answer(void **state)
{
  char *a = raw_request("Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Protocol: base64.channel.k8s.io, v4.channel.k8s.io\r\n");
  assert_non_null(strstr(a, "HTTP/1.1 101"));
  assert_non_null(strstr(a, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  assert_non_null(strstr(a, "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n"));
  free(a);
}

static void test_status_json_shape(void **state)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(ws_send_status(sv[0], 3, NULL), 0);
  ws_message m;
  assert_int_equal(ws_recv(sv[1], WS_CLIENT, 4096, &m, NULL), 0);
  assert_int_equal(m.data[0], WS_CHANNEL_ERROR);
  json_t *st = json_loads(m.data + 1, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(st, "status")), "Failure");
  assert_string_equal(json_string_value(json_object_get(st, "reason")), "NonZeroExitCode");
  json_t *cause = json_array_get(json_object_get(json_object_get(st, "details"), "causes"), 0);
  assert_string_equal(json_string_value(json_object_get(cause, "reason")), "ExitCode");
  assert_string_equal(json_string_value(json_object_get(cause, "message")), "3");
  assert_string_equal(json_string_value(json_object_get(st, "message")),
                      "command terminated with non-zero exit code 3");
  json_decref(st);
  ws_message_release(&m);
  close(sv[0]);
  close(sv[1]);
}

static void test_detach_keys_and_resize_parsing(void **state)
{
  unsigned char k[KPOD_DETACH_KEYS_MAX];
  size_t n = 0;
  assert_int_equal(ws_detach_keys_parse("ctrl-p,ctrl-q", k, &n, NULL), 0);
  assert_int_equal(n, 2);
  assert_int_equal(k[0], 16);
  assert_int_equal(k[1], 17);
  assert_int_equal(ws_detach_keys_parse("a,ctrl-[,ctrl-@,ctrl-_", k, &n, NULL), 0);
  assert_int_equal(n, 4);
  assert_int_equal(k[0], 'a');
  assert_int_equal(k[1], 27);
  assert_int_equal(k[2], 0);
  assert_int_equal(k[3], 31);
  assert_int_equal(ws_detach_keys_parse("", k, &n, NULL), 0);
  assert_int_equal(n, 0);
  assert_int_equal(ws_detach_keys_parse("ctrl-1", k, &n, NULL), -CRIO_E_INVALID);
  assert_int_equal(ws_detach_keys_parse("ab", k, &n, NULL), -CRIO_E_INVALID);
  assert_int_equal(ws_detach_keys_parse("a,,b", k, &n, NULL), -CRIO_E_INVALID);
  unsigned short w = 0, h = 0;
  const char *size = "{\"Width\":132,\"Height\":43}";
  assert_int_equal(ws_resize_parse(size, strlen(size), &w, &h, NULL), 0);
  assert_int_equal(w, 132);
  assert_int_equal(h, 43);
  size = "{\"Width\":-1,\"Height\":3}";
  assert_int_equal(ws_resize_parse(size, strlen(size), &w, &h, NULL), -CRIO_E_INVALID);
  assert_int_equal(ws_resize_parse("nope", 4, &w, &h, NULL), -CRIO_E_INVALID);
}

static void *end_sessions(void *arg)
{
  ws_sessions_end(daemon_handle);
  return NULL;
}

/* A stopping daemon cuts open sessions instead of waiting for them. */
static void test_sessions_end_cuts_open_sessions(void **state)
{
  int fd = -1, protocol = 0;
  assert_int_equal(ws_client_connect(url, NULL, "/echo", &fd, &protocol, NULL), 0);
  assert_int_equal(ws_send(fd, WS_CLIENT, WS_OP_BINARY, "\0ping", 5, NULL), 0);
  ws_message m;
  assert_int_equal(ws_recv(fd, WS_CLIENT, 1024, &m, NULL), 0);  /* the session runs */
  assert_string_equal(m.data, "\1ping");
  ws_message_release(&m);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, end_sessions, NULL), 0);
  pthread_join(t, NULL);  /* returns: run saw the end and returned */
  assert_int_equal(ws_recv(fd, WS_CLIENT, 1024, &m, NULL), 0);
  assert_int_equal(m.opcode, WS_OP_CLOSE);
  close(fd);
  /* the daemon serves new sessions afterwards */
  session_run s;
  run_session("/echo?exit=4", "", 0, false, NULL, -1, &s);
  assert_int_equal(s.exit_code, 4);
  session_done(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_echo_and_exit_code),
    cmocka_unit_test(test_success_status),
    cmocka_unit_test(test_failure_status_is_an_error),
    cmocka_unit_test(test_detach_keys_end_the_session),
    cmocka_unit_test(test_resize_sent_at_start),
    cmocka_unit_test(test_refusal_is_the_daemons_error),
    cmocka_unit_test(test_bad_handshakes_get_400),
    cmocka_unit_test(test_101_answer),
    cmocka_unit_test(test_status_json_shape),
    cmocka_unit_test(test_detach_keys_and_resize_parsing),
    cmocka_unit_test(test_sessions_end_cuts_open_sessions),
  };
  alarm(120);  /* a hung session fails the test instead of the whole run */
  return cmocka_run_group_tests(tests, setup, teardown);
}
