/* kpod's end of the exec and attach streams: a WebSocket to the REST API
 * over the same transport as kpod_client (unix socket, or TCP with a bearer
 * token), speaking Kubernetes' channel protocol (v4.channel.k8s.io, or v5
 * when the daemon agrees: stdin's EOF is then passed on). Channel 0 carries
 * stdin, 1 stdout, 2 stderr, 3 the exit status, 4 terminal sizes. */
#ifndef KPOD_WS_CLIENT_H
#define KPOD_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"
#include "util/err.h"

#define KPOD_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define KPOD_DETACH_KEYS_MAX 32

/* podman's --detach-keys: comma-separated keys, each one character or
 * ctrl-<c> with <c> one of a-z, @, [, \, ], ^, _ ("ctrl-p,ctrl-q" is ^P ^Q).
 * "" disables detaching (*n is 0). keys holds KPOD_DETACH_KEYS_MAX bytes. */
int ws_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, crio_err **err);

/* A WebSocket to path (escaped, "/v1/...") of the API at url (unix:///path,
 * http://host[:port] or tcp://host[:port]; https:// is not supported),
 * sending token (may be NULL) as a bearer token. *fd gets the socket (the
 * caller closes it), *protocol 4 or 5: the channel protocol the daemon
 * chose. An answer other than 101 becomes the daemon's error. */
int ws_client_connect(const char *url, const char *token, const char *path, int *fd,
                      int *protocol, crio_err **err);

/* Where a session's streams go; any fd may be -1. */
typedef struct ws_client_io {
  int in_fd;                   /* read and sent on channel 0 */
  int out_fd;                  /* channel 1 written here */
  int err_fd;                  /* channel 2 written here */
  int tty_fd;                  /* a terminal whose size is sent on channel 4 */
  int winch_fd;                /* readable when that size changed */
  const unsigned char *detach; /* typed on in_fd, ends the session */
  size_t ndetach;
} ws_client_io;

/* Runs a connected session until the daemon ends it: *exit_code is what
 * its channel 3 status says (0 when it closed normally without one). When
 * the detach sequence is typed on in_fd, the session is closed and
 * *exit_code is 0. A Failure status that is no exit code, or a connection
 * lost before the status, is an error. */
int ws_client_stream(int fd, int protocol, const ws_client_io *io, int *exit_code,
                     crio_err **err);

/* kpod exec / attach on kpod's own stdio: connects to path through ctx's
 * URL and token, puts the terminal in raw mode when tty and use_stdin and
 * stdin is a terminal (restored on every return), forwards stdin when
 * use_stdin (detach_keys: NULL for KPOD_DETACH_KEYS_DEFAULT, "" for none),
 * and sends the terminal's size at the start and on SIGWINCH when tty. */
int ws_client_session(kpod_ctx *ctx, const char *path, bool tty, bool use_stdin,
                      const char *detach_keys, int *exit_code, crio_err **err);

#endif
