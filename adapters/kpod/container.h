/* What the container and pod verbs share: the API paths of an object, the
 * loop of the verbs that act on each named object (stop, kill, rm, pod
 * stop, ...) with podman's way of reporting failures, and the log stream
 * that `kpod logs`, `kpod run` and `kpod start --attach` print. */
#ifndef KPOD_CONTAINER_H
#define KPOD_CONTAINER_H

#include <jansson.h>
#include <stddef.h>

#include "command.h"
#include "util/err.h"
#include "util/strbuf.h"

/* podman's exit statuses of rm and pod rm */
#define KPOD_EXIT_NO_SUCH 1
#define KPOD_EXIT_STATE 2

/* "/v1/<kind>/<id percent-encoded><suffix>"; suffix may be NULL. */
char *kpod_object_path(const char *kind, const char *id, const char *suffix);

/* The failures of a verb run on several objects. As podman, each object is
 * tried; what succeeded is printed as it happens, every failure after it. */
typedef struct kpod_batch {
  strbuf errors;   /* "Error: <message>\n" per failure */
  size_t failures;
  int not_found;   /* one failure was not_found */
  int conflict;    /* one was conflict or busy: the object's state */
} kpod_batch;

void kpod_batch_fail(kpod_batch *b, const crio_err *e);
/* Print the failures on ctx->errout and give the exit status: 0 without
 * failures; with rm_codes as podman rm, 1 when an object did not exist,
 * else 2 when one was running (or otherwise in the wrong state); else 125. */
int kpod_batch_finish(kpod_ctx *ctx, kpod_batch *b, int rm_codes);

/* A verb that sends one request per object. */
typedef struct kpod_each_op {
  const char *kind;       /* "containers" or "pods" */
  const char *method;     /* "POST" or "DELETE" */
  const char *suffix;     /* appended to the object's path: "/stop?timeout=10" */
  const char *list_path;  /* --all: the objects of GET list_path */
  int print_answer_id;    /* print the answer's id, not the name as given */
  int rm_codes;           /* exit 1 and 2 as podman rm (kpod_batch_finish) */
} kpod_each_op;

/* Run op on the positional names, or with --all on every listed object
 * (--ignore, when the verb has it, skips objects that do not exist). The
 * exit status, or a negative code for a usage error or an unreachable
 * daemon. */
int kpod_each_run(kpod_ctx *ctx, const kpod_args *args, const kpod_each_op *op, crio_err **err);

/* A LogLine as podman logs prints it: the "log" field verbatim, after the
 * time as "2024-01-02T03:04:05.123456789Z " with timestamps. *to_stderr
 * tells its stream. -1 when line is not a LogLine. */
int kpod_log_line_render(strbuf *out, const json_t *line, int timestamps, int *to_stderr);

/* Print the log of container id (GET .../logs with query, "" or "?..."):
 * stdout lines on ctx->out, stderr lines on ctx->errout, each flushed. */
int kpod_container_logs(kpod_ctx *ctx, const char *id, const char *query, int timestamps,
                        crio_err **err);

/* POST .../wait: the container's exit code once it has exited. */
int kpod_container_wait(kpod_ctx *ctx, const char *id, int *exit_code, crio_err **err);

/* The foreground of `kpod run` and `kpod start --attach` until attach
 * exists: follow the log of the started container id until it exits, wait
 * for its exit code, remove it with rm. Returns the exit code (0-255) as
 * the exit status, or a negative code. */
int kpod_container_follow(kpod_ctx *ctx, const char *id, int rm, crio_err **err);

/* `kpod inspect`: each name looked up as type ("container", "image", "pod",
 * or "all": a container, else an image, else a pod) and printed as a JSON
 * array, or through format once per object. Names not found are reported
 * after the output. */
int kpod_inspect_objects(kpod_ctx *ctx, const char *type, const char *format,
                         const char *const *names, size_t n, crio_err **err);

#endif
