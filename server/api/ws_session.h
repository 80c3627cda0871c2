/* WebSocket sessions of the REST API: exec and attach streams in Kubernetes'
 * channel protocol (v4.channel.k8s.io, as the kubelet's streaming server
 * speaks it). Every binary message starts with a channel byte: 0 stdin,
 * 1 stdout, 2 stderr, 3 the final status (JSON, as metav1.Status),
 * 4 terminal resize (JSON {"Width":W,"Height":H}). When the client offers
 * v5.channel.k8s.io it is chosen instead: the same plus message
 * {255, channel}, which says the client closed that channel (stdin's EOF).
 *
 * The daemon's MHD daemons need MHD_ALLOW_UPGRADE for the 101 to be sent,
 * and ws_sessions_end before MHD_stop_daemon. */
#ifndef CRIO_API_WS_SESSION_H
#define CRIO_API_WS_SESSION_H

#include <microhttpd.h>
#include <stddef.h>

#include "server/api/router.h"
#include "util/err.h"

enum {
  WS_CHANNEL_STDIN = 0,
  WS_CHANNEL_STDOUT = 1,
  WS_CHANNEL_STDERR = 2,
  WS_CHANNEL_ERROR = 3,
  WS_CHANNEL_RESIZE = 4,
  WS_CHANNEL_CLOSE = 255,  /* v5: the payload's first byte is the channel closed */
};

#define WS_PROTOCOL_V4 "v4.channel.k8s.io"
#define WS_PROTOCOL_V5 "v5.channel.k8s.io"

/* Answers a GET that asks for a WebSocket. On success reply holds the 101
 * (with Sec-WebSocket-Accept, and Sec-WebSocket-Protocol when the client
 * offered one of ours) and run(fd, data) is called in the connection's own
 * thread once the 101 has been sent, with the connection's socket in
 * blocking mode. run may send from several threads but must join them
 * before it returns, must not close fd, and must return soon after
 * ws_recv_channel reports the client gone (the daemon's stop waits for it).
 * After run returns the session is ended with a close frame (1000) unless
 * a close was already exchanged.
 * Do the work (start a process, attach) in run: when the client leaves
 * before the 101 is sent, run is never called.
 *
 * A request that is no WebSocket handshake (not GET, Upgrade/Connection
 * headers, Sec-WebSocket-Key, Sec-WebSocket-Version not 13, no protocol of
 * ours among those offered) gets a 400 in the error shape; then ws_upgrade
 * returns a negative code with *err set, run is never called and data stays
 * the caller's to free. */
int ws_upgrade(api_request *req, api_reply *reply, void (*run)(int fd, void *data), void *data,
               crio_err **err);

/* Cuts the sessions of daemon (their sockets are shut down: run's reads
 * end, its writes fail) and waits until every run has returned. Call it
 * right before MHD_stop_daemon(daemon), which otherwise waits for as long
 * as any session lasts. One call at a time. */
void ws_sessions_end(struct MHD_Daemon *daemon);

/* buf (n bytes) as one binary message on channel. 0, or a negative
 * crio_code when the client is gone. Safe from several threads. */
int ws_send_channel(int fd, int channel, const void *buf, size_t n);

/* The next message from the client: 0 with *channel, and *buf (malloc'd,
 * NUL-terminated after its *n bytes, without the channel byte; the caller
 * frees it). 1 when the client ended the session (close frame or dropped
 * connection). A negative crio_code on a protocol violation, after which the
 * session has been failed with a close frame. Empty messages are skipped. */
int ws_recv_channel(int fd, int *channel, char **buf, size_t *n);

/* The last word of a session, on channel 3: exit_code 0 sends
 * {"metadata":{},"status":"Success"}; a positive one
 * {"metadata":{},"status":"Failure","reason":"NonZeroExitCode",
 *  "details":{"causes":[{"reason":"ExitCode","message":"<code>"}]},
 *  "message":<message or "command terminated with non-zero exit code N">};
 * a negative one (the command could not be run) a Failure with reason
 * "InternalError" and message. */
int ws_send_status(int fd, int exit_code, const char *message);

/* A channel 4 message: {"Width":W,"Height":H}, both in 0..65535. */
int ws_resize_parse(const char *buf, size_t n, unsigned short *width, unsigned short *height,
                    crio_err **err);

#endif
