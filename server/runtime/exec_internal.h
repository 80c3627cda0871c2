/* Shared by exec.c (ExecSync) and exec_session.c (streaming exec): one
 * `runtime exec` with its pid file and log in a private directory. */
#ifndef CRIO_RUNTIME_EXEC_INTERNAL_H
#define CRIO_RUNTIME_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/runtime/exec.h"
#include "server/runtime/oci_runtime.h"
#include "util/err.h"

typedef struct exec_proc {
  pid_t runc_pid;
  const char *runtime_name;  /* the binary's base name, for messages */
  char *dir;                 /* mkdtemp'd, holds the two files below */
  char *pidfile;
  char *logfile;
} exec_proc;

/* Starts the runtime's exec of argv in container id. tty_path: the runtime
 * runs with -t in a session of its own, this terminal as its stdin, stdout,
 * stderr and controlling terminal; else stdio[i] becomes its descriptor i
 * (-1: /dev/null). On failure nothing is left (no process, no directory). */
int exec_proc_spawn(const oci_runtime *rt, const char *id, char *const *argv,
                    const exec_opts *opts, const char *tty_path, const int stdio[3],
                    exec_proc *p, crio_err **err);

/* The exec'd process's pid once the runtime has written it. */
bool exec_proc_pid(const exec_proc *p, pid_t *pid);

/* SIGKILLs the exec'd process and its process group (the runtime makes it a
 * session leader), when its pid is known. */
void exec_proc_kill(const exec_proc *p);

/* The error of a runtime that ended with wait status `status` without
 * starting the process: its logged message, classified (see exec.h). */
int exec_proc_error(const exec_proc *p, const char *id, int status, crio_err **err);

/* Removes the private directory (the runtime is not touched). */
void exec_proc_cleanup(exec_proc *p);

/* Reaps pid, waiting until deadline_ms (exec_now_ms() clock; < 0: no limit).
 * False when it is still running at the deadline. */
bool exec_reap(pid_t pid, int *status, int64_t deadline_ms);

/* The exit code of a wait status: the code, or 128 + signal. */
int exec_exit_code(int status);

int64_t exec_now_ms(void);

#endif
