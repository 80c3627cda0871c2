/* Running a command in a running container with the OCI runtime's `exec`,
 * as CRI-O does for ExecSync and for the streaming Exec.
 *
 * Each call runs `RUNTIME [--root R] --log L --log-format json exec
 * [-t] --pid-file P ID argv...` without -d, so the runtime stays the exec'd
 * process's parent and exits with its status (the code, or 128 + signal).
 * P and L live in a private temporary directory ($TMPDIR or /tmp) that is
 * gone when the call returns. The process gets the container's environment,
 * user and working directory; argv[0] is looked up in the container's PATH.
 *
 * The runtime failing to start the process is an error, never an exit code
 * (CRI-O and containerd report it the same way), with the runtime's own
 * message: "runc exec ID: exec failed: unable to start container process:
 * exec: \"x\": executable file not found in $PATH". Codes: the command or a
 * path is not found, or the container does not exist: CRIO_E_NOT_FOUND; the
 * command is not executable ("permission denied"): CRIO_E_INVALID; the
 * container is stopped or paused: CRIO_E_CONFLICT; the runtime cannot be
 * run: CRIO_E_UNAVAILABLE; anything else: CRIO_E_INTERNAL.
 *
 * Terminal: `--console-socket` is refused by runc unless it detaches (-d),
 * and a detached runc is no longer the process's parent, so the exit status
 * would be lost. Like CRI-O, the runtime instead runs in a session of its own
 * whose controlling terminal is the slave of a pty allocated here: runc
 * allocates the container's pty, copies between the two and resizes the
 * container's one on SIGWINCH, which the kernel sends it when the window
 * size of the pty here changes. */
#ifndef CRIO_RUNTIME_EXEC_H
#define CRIO_RUNTIME_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "server/runtime/oci_runtime.h"
#include "util/err.h"

/* What the exec'd process gets instead of the container's own: env entries
 * ("K=V", added to the container's environment, replacing its K), a user
 * ("UID" or "UID:GID", numeric) and a working directory (absolute). NULL,
 * or empty fields: the container's. */
typedef struct exec_opts {
  char *const *env;
  size_t n_env;
  const char *user;
  char *const *groups; /* with user: its supplementary gids, numeric */
  size_t n_groups;
  const char *cwd;
  int cancel_fd;       /* ExecSync: when > 0 and readable, the process is killed as at a
                          timeout and the call fails with CRIO_E_UNAVAILABLE */
} exec_opts;

/* What ExecSync keeps of each of stdout and stderr (the CRI's limit); more
 * is read and dropped, so the command never blocks on a full pipe. */
#define EXEC_SYNC_OUTPUT_MAX (16 * 1024 * 1024)

/* The exit code reported for a command killed at its timeout (conmon's
 * --timeout reports the same). */
#define EXEC_TIMEOUT_EXIT_CODE (-1)

/* Runs argv (NULL-terminated, not empty) in container id with stdin
 * /dev/null, and returns its stdout and stderr (NUL-terminated, never NULL;
 * free them; out/errout and their lengths may be NULL) and its exit code.
 * timeout_s > 0: when it is reached the process and its process group are
 * SIGKILLed (then the runtime if it lingers), *timed_out is set, *exit_code
 * is EXEC_TIMEOUT_EXIT_CODE, the output so far is returned and the call
 * succeeds: the caller turns it into the CRI's timeout error. The runtime
 * failing to start the command is an error (see above). */
int runtime_exec_sync(const oci_runtime *rt, const char *id, char *const *argv,
                      const exec_opts *opts, int timeout_s,
                      char **out, size_t *out_len, char **errout, size_t *err_len, int *exit_code,
                      bool *timed_out, crio_err **err);

/* A streaming exec. The descriptors are the caller's to read and write
 * (blocking, close-on-exec) and are closed by exec_session_close(). */
typedef struct exec_session {
  pid_t runc_pid;   /* the runtime, the process's parent; 0 once reaped */
  pid_t pid;        /* the process in the container (host pid namespace) */
  int pty;          /* tty: the pty master, read and written; else -1 */
  int in;           /* no tty: the process's stdin, -1 unless stdin_open */
  int out, err;     /* no tty: its stdout and stderr; else -1 */
} exec_session;

/* Starts argv in container id and returns once it runs (its pid known).
 * tty: in and output go through s->pty (raw here: the container's pty does
 * the echo and the line editing; output has "\r\n"); the window starts at
 * 24 rows x 80 columns. Reading the pty gives EIO once the runtime is gone.
 * No tty: s->in (when stdin_open; else the process gets /dev/null; closing
 * s->in gives it EOF), s->out and s->err, which end (EOF) when the runtime
 * exits. Keep reading the output until then, or the process may block on
 * it and never end. */
int runtime_exec_start(const oci_runtime *rt, const char *id, char *const *argv,
                       const exec_opts *opts, bool tty, bool stdin_open, exec_session *s,
                       crio_err **err);

/* Waits for the process to end and reaps the runtime: *exit_code is the
 * process's code, or 128 + the signal that killed it. */
int exec_session_wait(exec_session *s, int *exit_code, crio_err **err);

/* Sets the terminal's window size (TIOCSWINSZ on s->pty, and SIGWINCH to the
 * runtime, which passes it on to the container's pty). CRIO_E_INVALID
 * without a terminal. */
int exec_session_resize(exec_session *s, unsigned short rows, unsigned short cols, crio_err **err);

/* Closes the descriptors. A session not yet waited for is ended first: its
 * process group is SIGKILLed and the runtime reaped (SIGKILLed itself after
 * 2 s), so nothing is left behind. */
void exec_session_close(exec_session *s);

#endif
