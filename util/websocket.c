#include "websocket.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "xalloc.h"

/* Frames written to one fd by several threads must not interleave. A lock
 * per fd would need per-connection state that plain fds do not carry, so
 * fds share a small table of locks: a collision only costs some waiting. */
#define WS_WRITE_LOCKS 64
static pthread_mutex_t write_locks[WS_WRITE_LOCKS] = {
  [0 ... WS_WRITE_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER
};

static pthread_mutex_t *write_lock(int fd)
{
  return &write_locks[(unsigned int) fd % WS_WRITE_LOCKS];
}

/* --- handshake ---------------------------------------------------------- */

static char *base64(const unsigned char *in, size_t n)
{
  char *out = xmalloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *) out, in, (int) n);
  return out;
}

static void random_bytes(unsigned char *buf, int n)
{
  /* OpenSSL's generator only fails when the kernel has no entropy source,
   * which leaves nothing sensible to do */
  if (RAND_bytes(buf, n) != 1)
    abort();
}

char *ws_accept_key(const char *key)
{
  _cleanup_free_ char *joined = xasprintf("%s%s", key, WS_GUID);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (EVP_Digest(joined, strlen(joined), md, &mdlen, EVP_sha1(), NULL) != 1)
    abort();  /* SHA-1 is built into every libcrypto */
  return base64(md, mdlen);
}

char *ws_new_key(void)
{
  unsigned char nonce[16];
  random_bytes(nonce, sizeof nonce);
  return base64(nonce, sizeof nonce);
}

static bool base64_char(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool ws_key_valid(const char *key)
{
  if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
    return false;
  for (int i = 0; i < 22; i++)
    if (!base64_char(key[i]))
      return false;
  return true;
}

bool ws_header_has_token(const char *value, const char *token)
{
  size_t tn = strlen(token);
  const char *p = value;
  while (p && *p) {
    p += strspn(p, " \t,");
    size_t n = strcspn(p, ",");
    size_t m = n;
    while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
      m--;
    if (m == tn && strncasecmp(p, token, tn) == 0)
      return true;
    p += n;
  }
  return false;
}

/* --- descriptors -------------------------------------------------------- */

static int wait_fd(int fd, short events)
{
  struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
  while (poll(&p, 1, -1) < 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

int ws_write_all(int fd, const void *buf, size_t n)
{
  const char *p = buf;
  bool is_socket = true;
  while (n > 0) {
    ssize_t w = is_socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
    if (w < 0 && errno == ENOTSOCK && is_socket) {
      is_socket = false;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int r = wait_fd(fd, POLLOUT);
      if (r < 0)
        return r;
      continue;
    }
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

/* n bytes, or fewer when the peer closed: *got says how many. -errno on a
 * read error. */
static int read_full(int fd, void *buf, size_t n, size_t *got)
{
  char *p = buf;
  *got = 0;
  while (*got < n) {
    ssize_t r = read(fd, p + *got, n - *got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(fd, POLLIN);
      if (w < 0)
        return w;
      continue;
    }
    if (r < 0)
      return -errno;
    if (r == 0)
      break;
    *got += (size_t) r;
  }
  return 0;
}

static int read_exact(int fd, void *buf, size_t n, crio_err **err)
{
  size_t got = 0;
  int r = read_full(fd, buf, n, &got);
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, -r, "read WebSocket frame on fd %d", fd);
  if (got < n)
    return crio_err_set(err, CRIO_E_IO, "WebSocket connection closed in the middle of a frame");
  return 0;
}

static void apply_mask(unsigned char *p, size_t n, const unsigned char key[4])
{
  for (size_t i = 0; i < n; i++)
    p[i] ^= key[i & 3];
}

/* --- frames ------------------------------------------------------------- */

int ws_frame_write(int fd, ws_role role, ws_opcode op, bool fin, const void *buf, size_t n,
                   crio_err **err)
{
  unsigned char hdr[14];
  size_t h = 0;
  unsigned char mask_bit = role == WS_CLIENT ? 0x80 : 0;
  hdr[h++] = (unsigned char) ((fin ? 0x80 : 0) | (op & 0x0F));
  if (n < 126) {
    hdr[h++] = (unsigned char) (mask_bit | n);
  } else if (n <= 0xFFFF) {
    hdr[h++] = mask_bit | 126;
    hdr[h++] = (unsigned char) (n >> 8);
    hdr[h++] = (unsigned char) n;
  } else {
    hdr[h++] = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      hdr[h++] = (unsigned char) ((uint64_t) n >> shift);
  }
  unsigned char key[4] = { 0, 0, 0, 0 };
  if (role == WS_CLIENT) {
    random_bytes(key, sizeof key);
    memcpy(hdr + h, key, sizeof key);
    h += sizeof key;
  }
  _cleanup_free_ unsigned char *frame = xmalloc(h + n);
  memcpy(frame, hdr, h);
  if (n > 0) {
    memcpy(frame + h, buf, n);
    if (role == WS_CLIENT)
      apply_mask(frame + h, n, key);
  }
  pthread_mutex_lock(write_lock(fd));
  int r = ws_write_all(fd, frame, h + n);
  pthread_mutex_unlock(write_lock(fd));
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, -r, "send WebSocket frame on fd %d", fd);
  return 0;
}

static bool opcode_known(int op)
{
  return op == WS_OP_CONTINUATION || op == WS_OP_TEXT || op == WS_OP_BINARY || op == WS_OP_CLOSE ||
         op == WS_OP_PING || op == WS_OP_PONG;
}

/* The first two bytes: flags, opcode, mask bit and the 7-bit length. */
static int check_header(const unsigned char h[2], ws_role role, crio_err **err)
{
  int op = h[0] & 0x0F;
  bool fin = h[0] & 0x80, masked = h[1] & 0x80;
  if (h[0] & 0x70)
    return crio_err_set(err, CRIO_E_INVALID,
                        "WebSocket frame has reserved bits set, but no extension was agreed");
  if (!opcode_known(op))
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket frame has unknown opcode %d", op);
  if (op >= WS_OP_CLOSE && (!fin || (h[1] & 0x7F) > WS_MAX_CONTROL))
    return crio_err_set(err, CRIO_E_INVALID,
                        "WebSocket control frame is fragmented or longer than 125 bytes");
  if (role == WS_SERVER && !masked)
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket frame from the client is not masked");
  if (role == WS_CLIENT && masked)
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket frame from the server is masked");
  return 0;
}

static int read_length(int fd, unsigned char len7, uint64_t *len, crio_err **err)
{
  unsigned char ext[8];
  size_t n = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  *len = len7;
  if (n == 0)
    return 0;
  int r = read_exact(fd, ext, n, err);
  if (r < 0)
    return r;
  *len = 0;
  for (size_t i = 0; i < n; i++)
    *len = (*len << 8) | ext[i];
  if (*len >> 63)
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket frame length has its top bit set");
  return 0;
}

int ws_frame_read(int fd, ws_role role, size_t max, ws_frame *f, crio_err **err)
{
  memset(f, 0, sizeof *f);
  unsigned char h[2];
  size_t got = 0;
  int r = read_full(fd, h, 2, &got);
  if ((r == -ECONNRESET || r == 0) && got == 0) {
    f->eof = true;  /* the peer left between frames */
    return 0;
  }
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, -r, "read WebSocket frame on fd %d", fd);
  if (got < 2)
    return crio_err_set(err, CRIO_E_IO, "WebSocket connection closed in the middle of a frame");
  if ((r = check_header(h, role, err)) < 0)
    return r;
  uint64_t len = 0;
  if ((r = read_length(fd, h[1] & 0x7F, &len, err)) < 0)
    return r;
  if (len > max)
    return crio_err_set(err, CRIO_E_TOO_LARGE, "WebSocket message is larger than %zu bytes", max);
  unsigned char key[4] = { 0, 0, 0, 0 };
  bool masked = h[1] & 0x80;
  if (masked && (r = read_exact(fd, key, sizeof key, err)) < 0)
    return r;
  _cleanup_free_ unsigned char *payload = xmalloc((size_t) len + 1);
  if ((r = read_exact(fd, payload, (size_t) len, err)) < 0)
    return r;
  if (masked)
    apply_mask(payload, (size_t) len, key);
  payload[len] = '\0';
  f->fin = h[0] & 0x80;
  f->opcode = (ws_opcode) (h[0] & 0x0F);
  f->len = (size_t) len;
  f->payload = steal_pointer(&payload);
  return 0;
}

/* --- messages ----------------------------------------------------------- */

void ws_message_release(ws_message *m)
{
  free(m->data);
  m->data = NULL;
  m->len = 0;
}

int ws_send(int fd, ws_role role, ws_opcode op, const void *buf, size_t n, crio_err **err)
{
  if (op == WS_OP_CLOSE || op == WS_OP_CONTINUATION || !opcode_known(op))
    return crio_err_set(err, CRIO_E_INTERNAL, "ws_send: opcode %d is not a message", op);
  if (op >= WS_OP_CLOSE && n > WS_MAX_CONTROL)
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket ping or pong longer than 125 bytes");
  return ws_frame_write(fd, role, op, true, buf, n, err);
}

/* A close frame, then the write side shut: after a close nothing else may be
 * sent, and a second close fails here (EPIPE) instead of reaching the peer. */
static int send_close(int fd, ws_role role, int code, const char *reason)
{
  unsigned char payload[WS_MAX_CONTROL];
  size_t n = 0;
  if (code > 0) {
    payload[n++] = (unsigned char) (code >> 8);
    payload[n++] = (unsigned char) code;
    size_t rn = reason ? strnlen(reason, WS_MAX_CONTROL - 2) : 0;
    if (rn > 0)
      memcpy(payload + n, reason, rn);
    n += rn;
  }
  int r = ws_frame_write(fd, role, WS_OP_CLOSE, true, payload, n, NULL);
  if (r == 0)
    shutdown(fd, SHUT_WR);
  return r;
}

static bool close_code_valid(int code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static int recv_close(int fd, ws_role role, const ws_frame *f, ws_message *m, crio_err **err)
{
  int code = WS_CLOSE_NO_STATUS;
  if (f->len == 1)
    return crio_err_set(err, CRIO_E_INVALID, "WebSocket close frame has a 1-byte payload");
  if (f->len >= 2) {
    code = (f->payload[0] << 8) | f->payload[1];
    if (!close_code_valid(code))
      return crio_err_set(err, CRIO_E_INVALID, "WebSocket close code %d is not allowed", code);
  }
  send_close(fd, role, code == WS_CLOSE_NO_STATUS ? 0 : code, NULL);
  m->opcode = WS_OP_CLOSE;
  m->close_code = code;
  return 1;
}

/* What one frame does to the message being received: 1 when m is complete,
 * 0 to read on, negative on a protocol error. */
static int recv_frame(int fd, ws_role role, ws_frame *f, strbuf *msg, int *msg_op,
                      ws_message *m, crio_err **err)
{
  switch (f->opcode) {
  case WS_OP_PING:
    ws_frame_write(fd, role, WS_OP_PONG, true, f->payload, f->len, NULL);
    return 0;
  case WS_OP_PONG:
    return 0;
  case WS_OP_CLOSE:
    return recv_close(fd, role, f, m, err);
  case WS_OP_TEXT:
  case WS_OP_BINARY:
    if (*msg_op >= 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "WebSocket message began before the fragmented one ended");
    *msg_op = f->opcode;
    break;
  default:
    if (*msg_op < 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "WebSocket continuation frame without a message to continue");
  }
  if (f->fin && msg->len == 0) {
    m->data = (char *) steal_pointer(&f->payload);
    m->len = f->len;
  } else {
    strbuf_append(msg, f->payload, f->len);
    if (!f->fin)
      return 0;
    m->len = msg->len;
    m->data = strbuf_steal(msg);
  }
  m->opcode = (ws_opcode) *msg_op;
  return 1;
}

int ws_recv(int fd, ws_role role, size_t max, ws_message *m, crio_err **err)
{
  memset(m, 0, sizeof *m);
  _cleanup_strbuf_ strbuf msg = STRBUF_INIT;
  int msg_op = -1;
  for (;;) {
    ws_frame f = { 0 };
    int r = ws_frame_read(fd, role, max - msg.len, &f, err);
    if (r == 0 && f.eof) {
      m->opcode = WS_OP_CLOSE;
      m->close_code = WS_CLOSE_ABNORMAL;
      return 0;
    }
    if (r == 0)
      r = recv_frame(fd, role, &f, &msg, &msg_op, m, err);
    free(f.payload);
    if (r > 0)
      return 0;
    if (r == -CRIO_E_INVALID || r == -CRIO_E_TOO_LARGE)
      send_close(fd, role, r == -CRIO_E_INVALID ? WS_CLOSE_PROTOCOL_ERROR : WS_CLOSE_TOO_BIG,
                 NULL);
    if (r < 0)
      return r;
  }
}

static long long now_ms(void)
{
  struct timespec ts = { 0, 0 };
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ws_close(int fd, ws_role role, int code, const char *reason, int timeout_ms)
{
  if (send_close(fd, role, code, reason) < 0)
    return 0;  /* a close went out before, or the peer is gone: nothing to wait for */
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0)
      return -CRIO_E_IO;
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    int r = poll(&p, 1, (int) left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -CRIO_E_IO;
    ws_frame f = { 0 };
    if (ws_frame_read(fd, role, WS_MAX_MESSAGE_DEFAULT, &f, NULL) < 0)
      return -CRIO_E_IO;
    bool done = f.eof || f.opcode == WS_OP_CLOSE;
    free(f.payload);
    if (done)
      return 0;
  }
}
