/* A thin driver of the OCI runtime binary (runc by default; crun takes the
 * same commands). `create` is conmon's job (conmon.h); everything after it is
 * here. Each call runs `PATH [--root ROOT] VERB ... ID`, waits at most 60 s,
 * and on failure puts the runtime's own message (its stderr, the logrus
 * "msg" of runc's `time=... level=error msg="..."` lines) in the error:
 * "runc start 4f2a...: container not running" or crun's "cgroups in hybrid
 * mode not supported".
 *
 * Codes: the runtime cannot be run: CRIO_E_UNAVAILABLE; the container does
 * not exist: CRIO_E_NOT_FOUND; its state forbids the verb (not running,
 * already paused): CRIO_E_CONFLICT; other failures: CRIO_E_INTERNAL. */
#ifndef CRIO_RUNTIME_OCI_RUNTIME_H
#define CRIO_RUNTIME_OCI_RUNTIME_H

#include <spawn.h>
#include <stdbool.h>

#include "util/err.h"

typedef struct oci_runtime {
  const char *path;   /* the binary, absolute (conmon requires it) */
  const char *root;   /* its --root (state directory); NULL: the runtime's default */
} oci_runtime;

int runtime_start(const oci_runtime *rt, const char *id, crio_err **err);
/* `kill [--all] ID SIGNAL`: all signals every process of the container. */
int runtime_kill(const oci_runtime *rt, const char *id, int signal, bool all, crio_err **err);
int runtime_pause(const oci_runtime *rt, const char *id, crio_err **err);
int runtime_resume(const oci_runtime *rt, const char *id, crio_err **err);
/* force kills a running container first. A container the runtime does not
 * know is success. */
int runtime_delete(const oci_runtime *rt, const char *id, bool force, crio_err **err);
/* *status (free it): "creating", "created", "running", "paused", "stopped";
 * *pid: the init process (0 once stopped). Either may be NULL. */
int runtime_state(const oci_runtime *rt, const char *id, char **status, int *pid, crio_err **err);
/* `update --resources - ID` with resources_json (an OCI linux.resources
 * object, see oci_resources_json()) on its stdin. */
int runtime_update(const oci_runtime *rt, const char *id, const char *resources_json, crio_err **err);

/* The message of a runtime's stderr: the "msg" of logrus text or JSON lines
 * when there are any (the last error-level one), else the text trimmed. */
char *runtime_error_message(const char *stderr_text);

/* Attributes for a child of the daemon (conmon, a runtime): default signal
 * dispositions and an empty signal mask, whatever the daemon blocks or
 * ignores, since the container inherits them. Destroy after use. */
void runtime_spawnattr_init(posix_spawnattr_t *attr);

#endif
