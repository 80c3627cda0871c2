/* A client of conmon's attach socket and control FIFO (conmon 2.1.x, see
 * conmon.h for where they live), as CRI-O and podman talk to them.
 *
 * The attach socket is a SOCK_SEQPACKET unix socket, SOCKET_DIR/<id>/attach.
 * Every client connected gets all of the container's output written after
 * it connected, one message per read conmon made of the container's stdout
 * or stderr (its pty when it has a terminal): 1 header byte, 2 for stdout
 * and 3 for stderr (conmon's STDOUT_PIPE and STDERR_PIPE), then up to 8192
 * bytes of data. What a client sends is written, as sent and without any
 * header, to the container's stdin (when conmon was started with stdin
 * open; else it is dropped). A client that shuts down its writing side (or
 * disconnects) ends the container's stdin only when conmon runs without
 * --leave-stdin-open (conmon_create_opts.stdin_once). conmon closes the
 * connections when the container exits.
 *
 * The control FIFO is BUNDLE/ctl (reachable as SOCKET_DIR/<id>/ctl through
 * the symlink): lines "TYPE HEIGHT WIDTH\n", TYPE 1 resizing the container's
 * terminal (conmon passes it on through its BUNDLE/winsz FIFO to a
 * TIOCSWINSZ on the pty) and 2 reopening the log files. */
#ifndef CRIO_RUNTIME_ATTACH_H
#define CRIO_RUNTIME_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* The most data conmon puts in one message: a read buffer this large never
 * loses a message's end. */
#define ATTACH_READ_MAX 8192

/* Connects to SOCKET_DIR/ID/attach (through /proc/self/fd when the path does
 * not fit a unix socket address). *fd (blocking, close-on-exec) is the
 * caller's to close. No such socket: CRIO_E_NOT_FOUND; nobody listening
 * (conmon gone): CRIO_E_CONFLICT. */
int attach_open(const char *socket_dir, const char *id, int *fd, crio_err **err);

/* Reads one message, blocking: *stream 1 (stdout) or 2 (stderr), its data
 * in buf (not NUL-terminated), *n its length. *n 0 and *stream 0: the end,
 * conmon closed the connection. A message longer than cap (see
 * ATTACH_READ_MAX) gives CRIO_E_TOO_LARGE, and its data is lost. */
int attach_read(int fd, int *stream, char *buf, size_t cap, size_t *n, crio_err **err);

/* Sends buf to the container's stdin (in pieces conmon reads whole). The
 * connection closed: CRIO_E_CONFLICT. */
int attach_write_stdin(int fd, const void *buf, size_t n, crio_err **err);

/* Ends this client's input (shutdown SHUT_WR); output keeps coming. conmon
 * closes the container's stdin then only with stdin_once (see above). */
int attach_close_stdin(int fd, crio_err **err);

/* Asks conmon to resize the container's terminal: writes "1 ROWS COLS\n" to
 * the control FIFO, ctl_path_or_bundle itself or, when that is a directory
 * (the bundle, or SOCKET_DIR/<id>), its "ctl". No such FIFO:
 * CRIO_E_NOT_FOUND; conmon not running: CRIO_E_CONFLICT. Sizes above 1000
 * are ignored by newer conmons. Meaningless for a container without a
 * terminal (conmon drops it). */
int attach_resize(const char *ctl_path_or_bundle, unsigned short rows, unsigned short cols,
                  crio_err **err);

/* Asks conmon to reopen the container's log file (after the kubelet rotated
 * it): writes "2 0 0\n" to the control FIFO; errors as attach_resize. */
int attach_reopen_log(const char *ctl_path_or_bundle, crio_err **err);

#endif
