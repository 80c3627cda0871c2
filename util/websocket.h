/* The WebSocket protocol (RFC 6455) on a blocking file descriptor, shared by
 * the daemon (server/api/ws_session.c) and kpod (adapters/kpod/ws_client.c).
 *
 * Only the codec lives here: the handshake's key and accept values, frames
 * (masked by the client, never by the server), messages reassembled from
 * fragments, pings answered, and the close handshake. HTTP is the caller's.
 *
 * Writes of one frame are atomic with respect to other threads writing to
 * the same fd, so several threads of a session may send. Only one thread may
 * receive. Once a close frame has been sent the fd's write side is shut
 * down, so whatever another thread sends afterwards fails instead of
 * breaking the protocol. */
#ifndef CRIO_UTIL_WEBSOCKET_H
#define CRIO_UTIL_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Appended to the client's key before hashing (RFC 6455 section 1.3). */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* The largest message ws_recv accepts unless told otherwise. */
#define WS_MAX_MESSAGE_DEFAULT ((size_t) 16 << 20)
/* The payload limit of control frames (close, ping, pong). */
#define WS_MAX_CONTROL 125

typedef enum {
  WS_OP_CONTINUATION = 0x0,
  WS_OP_TEXT = 0x1,
  WS_OP_BINARY = 0x2,
  WS_OP_CLOSE = 0x8,
  WS_OP_PING = 0x9,
  WS_OP_PONG = 0xA,
} ws_opcode;

/* Close status codes (RFC 6455 section 7.4.1). 1005 and 1006 are never sent:
 * they report a close without a code and a connection that just dropped. */
enum {
  WS_CLOSE_NORMAL = 1000,
  WS_CLOSE_GOING_AWAY = 1001,
  WS_CLOSE_PROTOCOL_ERROR = 1002,
  WS_CLOSE_UNSUPPORTED = 1003,
  WS_CLOSE_NO_STATUS = 1005,
  WS_CLOSE_ABNORMAL = 1006,
  WS_CLOSE_TOO_BIG = 1009,
  WS_CLOSE_INTERNAL = 1011,
};

/* Which end this process is: a client masks every frame it sends and refuses
 * masked frames; a server refuses unmasked ones. */
typedef enum { WS_SERVER, WS_CLIENT } ws_role;

/* --- handshake ---------------------------------------------------------- */

/* base64(sha1(key + WS_GUID)): the Sec-WebSocket-Accept answer to key. */
char *ws_accept_key(const char *key);
/* A fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded. */
char *ws_new_key(void);
/* Whether key is what a client must send: 16 bytes in base64 (24 chars). */
bool ws_key_valid(const char *key);
/* Whether the comma-separated header value holds token, compared without
 * case ("keep-alive, Upgrade" holds "upgrade"). value may be NULL. */
bool ws_header_has_token(const char *value, const char *token);

/* All of buf written to fd, retrying after EINTR and, on a non-blocking fd,
 * EAGAIN; send() with MSG_NOSIGNAL on sockets, so a peer that left is EPIPE
 * and no signal. 0 or -errno. */
int ws_write_all(int fd, const void *buf, size_t n);

/* --- frames ------------------------------------------------------------- */

typedef struct ws_frame {
  bool fin;
  bool eof;             /* the peer closed the connection before a frame began */
  ws_opcode opcode;
  unsigned char *payload; /* unmasked, NUL-terminated after len; free() it */
  size_t len;
} ws_frame;

/* One frame, masked when role is WS_CLIENT. */
int ws_frame_write(int fd, ws_role role, ws_opcode op, bool fin, const void *buf, size_t n,
                   crio_err **err);
/* One frame. A data frame longer than max is refused (CRIO_E_TOO_LARGE)
 * before its payload is read; a frame breaking the rules for role (mask,
 * reserved bits, unknown opcode, control frame fragmented or over 125 bytes)
 * is CRIO_E_INVALID. Nothing is answered: ws_recv does that. */
int ws_frame_read(int fd, ws_role role, size_t max, ws_frame *f, crio_err **err);

/* --- messages ----------------------------------------------------------- */

typedef struct ws_message {
  ws_opcode opcode;     /* WS_OP_TEXT, WS_OP_BINARY, or WS_OP_CLOSE: the session ended */
  char *data;           /* NUL-terminated after len; NULL for WS_OP_CLOSE */
  size_t len;
  int close_code;       /* WS_OP_CLOSE: the peer's code, WS_CLOSE_NO_STATUS or
                         * WS_CLOSE_ABNORMAL (the connection dropped) */
} ws_message;

void ws_message_release(ws_message *m);
#define _cleanup_ws_message_ __attribute__((cleanup(ws_message_release)))

/* A message in one frame. op is a data or ping/pong opcode; end sessions
 * with ws_close. A peer that went away is CRIO_E_IO (no SIGPIPE). */
int ws_send(int fd, ws_role role, ws_opcode op, const void *buf, size_t n, crio_err **err);

/* The next data message, its fragments reassembled (at most max bytes in
 * all). Pings are answered with pongs and pongs dropped on the way. A close
 * from the peer is answered with a close and returned as WS_OP_CLOSE, as is
 * a connection that dropped between frames. A protocol violation or a
 * message over max fails the session: a close with 1002 or 1009 is sent and
 * the error returned. */
int ws_recv(int fd, ws_role role, size_t max, ws_message *m, crio_err **err);

/* Start the close handshake: send a close frame with code (and reason, cut
 * to 123 bytes; may be NULL), then wait up to timeout_ms for the peer's
 * close (data arriving meanwhile is dropped). Nothing is sent when a close
 * has already been sent on fd. The fd stays open: closing it is the
 * caller's. */
int ws_close(int fd, ws_role role, int code, const char *reason, int timeout_ms);

#endif
