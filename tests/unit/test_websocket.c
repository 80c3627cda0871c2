/* The WebSocket codec of util/websocket.c over socketpairs: handshake
 * values, frame sizes on both sides of each length encoding, masking,
 * fragments, pings, the close handshake and what must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/websocket.h"

#define MIB ((size_t) 1 << 20)

typedef struct pair {
  int client;  /* the end that masks */
  int server;
} pair;

static pair pair_open(void)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  return (pair){ sv[0], sv[1] };
}

static void pair_close(pair *p)
{
  close(p->client);
  close(p->server);
}

/* A frame sent from another thread, for payloads larger than the socket
 * buffer. */
typedef struct sender {
  pthread_t thread;
  int fd;
  ws_role role;
  const unsigned char *buf;
  size_t n;
  int result;
} sender;

static void *sender_main(void *arg)
{
  sender *s = arg;
  s->result = ws_send(s->fd, s->role, WS_OP_BINARY, s->buf, s->n, NULL);
  return NULL;
}

static void sender_start(sender *s)
{
  assert_int_equal(pthread_create(&s->thread, NULL, sender_main, s), 0);
}

static int sender_join(sender *s)
{
  pthread_join(s->thread, NULL);
  return s->result;
}

static unsigned char *pattern(size_t n)
{
  unsigned char *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++)
    b[i] = (unsigned char) (i * 31 + 7);
  return b;
}

static void test_accept_key_of_rfc_sample(void **state)
{
  char *accept = ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==");
  assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  free(accept);
}

static void test_keys_and_tokens(void **state)
{
  char *a = ws_new_key(), *b = ws_new_key();
  assert_int_equal(strlen(a), 24);
  assert_true(ws_key_valid(a));
  assert_string_not_equal(a, b);
  free(a);
  free(b);
  assert_true(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
  assert_false(ws_key_valid(NULL));
  assert_false(ws_key_valid(""));
  assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="));
  assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25j*Q=="));
  assert_true(ws_header_has_token("keep-alive, Upgrade", "upgrade"));
  assert_true(ws_header_has_token("WebSocket", "websocket"));
  assert_false(ws_header_has_token("upgrades", "upgrade"));
  assert_false(ws_header_has_token(NULL, "upgrade"));
}

/* Each size crosses a length encoding: 7 bits, 16 bits, 64 bits. */
static void round_trip(ws_role from, size_t n)
{
  pair p = pair_open();
  ws_role to = from == WS_CLIENT ? WS_SERVER : WS_CLIENT;
  unsigned char *buf = pattern(n);
  sender s = { .fd = from == WS_CLIENT ? p.client : p.server, .role = from, .buf = buf, .n = n };
  sender_start(&s);
  ws_message m;
  assert_int_equal(ws_recv(from == WS_CLIENT ? p.server : p.client, to, 2 * MIB, &m, NULL), 0);
  assert_int_equal(sender_join(&s), 0);
  assert_int_equal(m.opcode, WS_OP_BINARY);
  assert_int_equal(m.len, n);
  assert_memory_equal(m.data, buf, n);
  assert_int_equal(m.data[n], '\0');
  ws_message_release(&m);
  free(buf);
  pair_close(&p);
}

static void test_round_trip_sizes(void **state)
{
  static const size_t sizes[] = { 0, 125, 126, 65535, 65536, MIB };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    round_trip(WS_CLIENT, sizes[i]);  /* masked */
    round_trip(WS_SERVER, sizes[i]);  /* unmasked */
  }
}

static void read_raw(int fd, unsigned char *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    assert_true(r > 0);
    got += (size_t) r;
  }
}

static void test_wire_format(void **state)
{
  pair p = pair_open();
  unsigned char *buf = pattern(126);
  unsigned char raw[4 + 126];
  assert_int_equal(ws_send(p.server, WS_SERVER, WS_OP_BINARY, buf, 126, NULL), 0);
  read_raw(p.client, raw, sizeof raw);
  assert_int_equal(raw[0], 0x82);  /* FIN, binary */
  assert_int_equal(raw[1], 126);   /* no mask, 16-bit length follows */
  assert_int_equal(raw[2], 0);
  assert_int_equal(raw[3], 126);
  assert_memory_equal(raw + 4, buf, 126);

  unsigned char masked[2 + 4 + 5];
  assert_int_equal(ws_send(p.client, WS_CLIENT, WS_OP_TEXT, "hello", 5, NULL), 0);
  read_raw(p.server, masked, sizeof masked);
  assert_int_equal(masked[0], 0x81);
  assert_int_equal(masked[1], 0x80 | 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(masked[6 + i] ^ masked[2 + (i & 3)], "hello"[i]);
  free(buf);
  pair_close(&p);
}

static void test_fragments_reassembled(void **state)
{
  pair p = pair_open();
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_TEXT, false, "Hel", 3, NULL), 0);
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_PING, true, "mid", 3, NULL), 0);
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_CONTINUATION, false, "", 0, NULL), 0);
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_CONTINUATION, false, "lo ", 3, NULL),
                   0);
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_CONTINUATION, true, "world", 5, NULL),
                   0);
  ws_message m;
  assert_int_equal(ws_recv(p.server, WS_SERVER, 1024, &m, NULL), 0);
  assert_int_equal(m.opcode, WS_OP_TEXT);
  assert_int_equal(m.len, 11);
  assert_string_equal(m.data, "Hello world");
  ws_message_release(&m);
  /* the ping in the middle was answered */
  ws_frame f;
  assert_int_equal(ws_frame_read(p.client, WS_CLIENT, 1024, &f, NULL), 0);
  assert_int_equal(f.opcode, WS_OP_PONG);
  assert_int_equal(f.len, 3);
  assert_memory_equal(f.payload, "mid", 3);
  free(f.payload);
  pair_close(&p);
}

static void test_ping_answered_with_pong(void **state)
{
  pair p = pair_open();
  assert_int_equal(ws_send(p.server, WS_SERVER, WS_OP_PING, "abc", 3, NULL), 0);
  assert_int_equal(ws_send(p.server, WS_SERVER, WS_OP_PONG, "unasked", 7, NULL), 0);
  assert_int_equal(ws_send(p.server, WS_SERVER, WS_OP_BINARY, "x", 1, NULL), 0);
  ws_message m;
  assert_int_equal(ws_recv(p.client, WS_CLIENT, 1024, &m, NULL), 0);
  assert_int_equal(m.len, 1);
  assert_string_equal(m.data, "x");
  ws_message_release(&m);
  ws_frame f;  /* the client's pong is masked; the server side reads it */
  assert_int_equal(ws_frame_read(p.server, WS_SERVER, 1024, &f, NULL), 0);
  assert_int_equal(f.opcode, WS_OP_PONG);
  assert_true(f.fin);
  assert_memory_equal(f.payload, "abc", 3);
  free(f.payload);
  assert_int_equal(ws_send(p.server, WS_SERVER, WS_OP_PING, NULL, 126, NULL), -CRIO_E_INVALID);
  pair_close(&p);
}

typedef struct closer {
  int fd;
  int result;
} closer;

static void *closer_main(void *arg)
{
  closer *c = arg;
  c->result = ws_close(c->fd, WS_CLIENT, WS_CLOSE_NORMAL, "bye", 5000);
  return NULL;
}

static void test_close_handshake(void **state)
{
  pair p = pair_open();
  closer c = { .fd = p.client, .result = -1 };
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, closer_main, &c), 0);
  ws_message m;
  assert_int_equal(ws_recv(p.server, WS_SERVER, 1024, &m, NULL), 0);
  assert_int_equal(m.opcode, WS_OP_CLOSE);
  assert_int_equal(m.close_code, WS_CLOSE_NORMAL);
  assert_null(m.data);
  pthread_join(t, NULL);
  assert_int_equal(c.result, 0);  /* the server's answer arrived */
  /* after a close nothing more is sent, and a second close sends nothing */
  assert_true(ws_send(p.server, WS_SERVER, WS_OP_BINARY, "late", 4, NULL) < 0);
  assert_int_equal(ws_close(p.server, WS_SERVER, WS_CLOSE_NORMAL, NULL, 10), 0);
  pair_close(&p);
}

static void test_dropped_connection_is_abnormal_close(void **state)
{
  pair p = pair_open();
  close(p.client);
  ws_message m;
  assert_int_equal(ws_recv(p.server, WS_SERVER, 1024, &m, NULL), 0);
  assert_int_equal(m.opcode, WS_OP_CLOSE);
  assert_int_equal(m.close_code, WS_CLOSE_ABNORMAL);
  close(p.server);
}

/* The close frame a failed session sends: its status code. */
static int read_close_code(int fd, ws_role role)
{
  ws_frame f;
  assert_int_equal(ws_frame_read(fd, role, 1024, &f, NULL), 0);
  assert_int_equal(f.opcode, WS_OP_CLOSE);
  assert_true(f.len >= 2);
  int code = (f.payload[0] << 8) | f.payload[1];
  free(f.payload);
  return code;
}

static void test_over_max_size_refused(void **state)
{
  pair p = pair_open();
  unsigned char *buf = pattern(1000);
  crio_err *err = NULL;
  ws_message m;
  assert_int_equal(ws_send(p.client, WS_CLIENT, WS_OP_BINARY, buf, 1000, NULL), 0);
  assert_int_equal(ws_recv(p.server, WS_SERVER, 100, &m, &err), -CRIO_E_TOO_LARGE);
  assert_non_null(strstr(err->message, "larger than 100 bytes"));
  crio_err_free(err);
  assert_int_equal(read_close_code(p.client, WS_CLIENT), WS_CLOSE_TOO_BIG);
  pair_close(&p);

  /* fragments that are small alone but too large together */
  p = pair_open();
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_BINARY, false, buf, 60, NULL), 0);
  assert_int_equal(ws_frame_write(p.client, WS_CLIENT, WS_OP_CONTINUATION, true, buf, 60, NULL),
                   0);
  assert_int_equal(ws_recv(p.server, WS_SERVER, 100, &m, NULL), -CRIO_E_TOO_LARGE);
  free(buf);
  pair_close(&p);
}

static void test_unmasked_client_frame_refused(void **state)
{
  pair p = pair_open();
  crio_err *err = NULL;
  ws_message m;
  /* written as a server would: no mask */
  assert_int_equal(ws_send(p.client, WS_SERVER, WS_OP_BINARY, "x", 1, NULL), 0);
  assert_int_equal(ws_recv(p.server, WS_SERVER, 1024, &m, &err), -CRIO_E_INVALID);
  assert_non_null(strstr(err->message, "not masked"));
  crio_err_free(err);
  assert_int_equal(read_close_code(p.client, WS_CLIENT), WS_CLOSE_PROTOCOL_ERROR);
  pair_close(&p);

  /* and a masked frame is refused by a client */
  p = pair_open();
  assert_int_equal(ws_send(p.server, WS_CLIENT, WS_OP_BINARY, "x", 1, NULL), 0);
  assert_int_equal(ws_recv(p.client, WS_CLIENT, 1024, &m, NULL), -CRIO_E_INVALID);
  pair_close(&p);
}

/* Raw bytes (an unmasked server frame) a client must refuse. */
static void expect_refused(const unsigned char *raw, size_t n)
{
  pair p = pair_open();
  ws_message m;
  assert_int_equal(write(p.server, raw, n), (ssize_t) n);
  assert_int_equal(ws_recv(p.client, WS_CLIENT, 1024, &m, NULL), -CRIO_E_INVALID);
  pair_close(&p);
}

static void test_protocol_violations_refused(void **state)
{
  static const unsigned char continuation_first[] = { 0x80, 1, 'x' };
  static const unsigned char reserved_bit[] = { 0xC2, 1, 'x' };
  static const unsigned char unknown_opcode[] = { 0x83, 1, 'x' };
  static const unsigned char fragmented_ping[] = { 0x09, 1, 'x' };
  static const unsigned char long_ping[] = { 0x89, 126, 0, 126 };
  static const unsigned char close_one_byte[] = { 0x88, 1, 3 };
  static const unsigned char close_bad_code[] = { 0x88, 2, 0x03, 0xED };  /* 1005 */
  static const unsigned char two_starts[] = { 0x02, 1, 'a', 0x02, 1, 'b' };
  expect_refused(continuation_first, sizeof continuation_first);
  expect_refused(reserved_bit, sizeof reserved_bit);
  expect_refused(unknown_opcode, sizeof unknown_opcode);
  expect_refused(fragmented_ping, sizeof fragmented_ping);
  expect_refused(long_ping, sizeof long_ping);
  expect_refused(close_one_byte, sizeof close_one_byte);
  expect_refused(close_bad_code, sizeof close_bad_code);
  expect_refused(two_starts, sizeof two_starts);
}

static void test_truncated_frame_is_an_error(void **state)
{
  pair p = pair_open();
  static const unsigned char half[] = { 0x82, 10, 'a', 'b' };
  assert_int_equal(write(p.server, half, sizeof half), (ssize_t) sizeof half);
  close(p.server);
  ws_message m;
  assert_int_equal(ws_recv(p.client, WS_CLIENT, 1024, &m, NULL), -CRIO_E_IO);
  close(p.client);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_accept_key_of_rfc_sample),
    cmocka_unit_test(test_keys_and_tokens),
    cmocka_unit_test(test_round_trip_sizes),
    cmocka_unit_test(test_wire_format),
    cmocka_unit_test(test_fragments_reassembled),
    cmocka_unit_test(test_ping_answered_with_pong),
    cmocka_unit_test(test_close_handshake),
    cmocka_unit_test(test_dropped_connection_is_abnormal_close),
    cmocka_unit_test(test_over_max_size_refused),
    cmocka_unit_test(test_unmasked_client_frame_refused),
    cmocka_unit_test(test_protocol_violations_refused),
    cmocka_unit_test(test_truncated_frame_is_an_error),
  };
  alarm(120);  /* a hung read fails the test instead of the whole run */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
