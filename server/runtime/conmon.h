/* conmon (containers/conmon 2.1.x), the per-container monitor, as CRI-O runs
 * it: conmon runs `RUNTIME [--root R] create --bundle B --pid-file P ID`,
 * reports the container's pid (or the runtime's error) on a sync pipe, and
 * stays as the container's parent: it holds its stdio, writes the CRI log,
 * serves the attach socket, and writes the exit code when it ends.
 *
 * Files conmon writes:
 * - EXIT_DIR/<id>: the exit code in decimal, no newline (128 + signal for a
 *   killed process, -1 after conmon's own --timeout); written once, on exit.
 * - PERSIST_DIR/exit: the same; PERSIST_DIR/oom: empty, when the container's
 *   memory cgroup reported an OOM kill (conmon also drops "oom" in its cwd,
 *   the bundle).
 * - LOG_PATH: CRI log lines, "<RFC3339Nano> stdout|stderr F|P <text>".
 * - BUNDLE/attach (a SOCK_SEQPACKET socket), BUNDLE/ctl and BUNDLE/winsz
 *   (FIFOs: resize, log reopen), and the symlink SOCKET_DIR/<id> -> BUNDLE,
 *   so a client connects to SOCKET_DIR/<id>/attach whatever the bundle's path
 *   length. conmon binds through /proc/self/fd/N/attach (N an O_PATH
 *   descriptor of SOCKET_DIR/<id>), so any socket directory works for it; a
 *   client whose SOCKET_DIR/<id>/attach exceeds sun_path (107 bytes) must
 *   connect the same way. conmon leaves the symlink behind after the
 *   container exits: conmon_cleanup() removes it.
 *
 * Cgroups: conmon stays in the daemon's cgroup (the container itself goes to
 * the spec's cgroupsPath). It waits on _OCI_STARTPIPE before forking, which
 * is where a caller would move it to a cgroup of its own; not done yet.
 *
 * conmon double-forks: the process started here exits as soon as the monitor
 * is forked (and is reaped here), so the monitor is reparented to init (or
 * to the nearest subreaper: the daemon must not set PR_SET_CHILD_SUBREAPER,
 * or reap unknown children). */
#ifndef CRIO_RUNTIME_CONMON_H
#define CRIO_RUNTIME_CONMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

typedef struct conmon_create_opts {
  const char *conmon_path;     /* NULL: "conmon" in PATH */
  const char *runtime_path;    /* absolute path of runc or crun */
  const char *runtime_root;    /* the runtime's --root; NULL: its default */
  const char *id;
  const char *name;            /* for conmon's logs; NULL: the id */
  const char *bundle;          /* holds config.json; conmon's working directory */
  const char *pidfile;         /* the container's pid file; NULL: BUNDLE/pidfile */
  const char *conmon_pidfile;  /* the monitor's pid; NULL: BUNDLE/conmon.pid */
  const char *exit_dir;        /* required */
  const char *persist_dir;     /* NULL: no exit/oom files there */
  const char *log_path;        /* the CRI log (k8s-file); NULL: no log ("-l none") */
  int64_t log_size_max;        /* bytes, > 0 to rotate; else unlimited */
  const char *socket_dir;      /* required: the attach socket's symlink goes here */
  bool terminal;               /* a pty instead of pipes */
  bool stdin_open;             /* keep a stdin pipe for attach */
  bool stdin_once;             /* close stdin when the first attached client leaves */
  const char *log_level;       /* conmon's own: "error" (NULL), "warn", "info", "debug" */
  int timeout_sec;             /* for the container's pid; <= 0: 60 */
} conmon_create_opts;

/* Runs conmon for o->id (whose bundle is ready) and waits until the
 * container is created (`runtime start` runs it). On a runtime failure the
 * error carries the runtime's message ("runc create failed: ... executable
 * file not found in $PATH"). On a timeout conmon is killed and the
 * container force-deleted. */
int conmon_create_container(const conmon_create_opts *o, pid_t *container_pid, crio_err **err);

/* SOCKET_DIR/<id>/attach; NULL when it does not fit a unix socket address
 * (connect through /proc/self/fd then, see above). */
char *conmon_attach_socket_path(const char *socket_dir, const char *id);

/* Removes what conmon leaves after the container is gone: the socket
 * directory's symlink. A missing one is fine. */
int conmon_cleanup(const char *socket_dir, const char *id, crio_err **err);

/* EXIT_DIR/<id>: *exists false (and 0 returned) while conmon has not written
 * it; *exit_code the code otherwise. */
int conmon_read_exit(const char *exit_dir, const char *id, int *exit_code, bool *exists,
                     crio_err **err);

/* Whether conmon saw the container OOM-killed (PERSIST_DIR/oom). */
bool conmon_oom_killed(const char *persist_dir);

/* A pid file of conmon or the runtime. */
int conmon_read_pidfile(const char *path, pid_t *pid, crio_err **err);

#endif
