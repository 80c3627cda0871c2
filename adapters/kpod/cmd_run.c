#include <string.h>

#include "container.h"
#include "jsonutil.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* A start that failed: podman run's exit status for it (126, 127 or 125),
 * its message printed, and with --rm the container removed. */
static int run_start_failed(kpod_ctx *ctx, kpod_client *c, const char *id, int rm,
                            const crio_err *e)
{
  if (rm) {
    _cleanup_free_ char *path = kpod_object_path("containers", id, "?force=true");
    _cleanup_json_ json_t *res = NULL;
    _cleanup_err_ crio_err *ignored = NULL;
    kpod_client_request(c, "DELETE", path, NULL, &res, &ignored);
  }
  fflush(ctx->out);
  fprintf(ctx->errout, "Error: %s\n", e->message ? e->message : "start failed");
  return kpod_start_exit_code(e->message);
}

static int run_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int detach = kpod_args_bool(args, "detach"), rm = kpod_args_bool(args, "rm");
  if (detach && rm)
    return crio_err_set(err, CRIO_E_INVALID, "--rm and --detach cannot be used together: crio "
                        "has no auto-removal, and a detached kpod is not there to remove it");
  _cleanup_free_ char *id = NULL;
  _cleanup_err_ crio_err *create_err = NULL;
  int r = kpod_container_create(ctx, args, &id, &create_err);
  /* runc checks the command at create: its exec failure is the command's (126/127) */
  if (r < 0 && create_err->message && strstr(create_err->message, "exec:")) {
    fprintf(ctx->errout, "Error: %s\n", create_err->message);
    return kpod_start_exit_code(create_err->message);
  }
  if (r < 0) {
    *err = steal_pointer(&create_err);
    return r;
  }
  kpod_client *c;
  if (r == 0)
    r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_object_path("containers", id, "/start");
  _cleanup_json_ json_t *started = NULL;
  _cleanup_err_ crio_err *e = NULL;
  if (kpod_client_request(c, "POST", path, NULL, &started, &e) < 0)
    return run_start_failed(ctx, c, id, rm, e);
  if (detach) {
    fprintf(ctx->out, "%s\n", id);
    return 0;
  }
  return kpod_container_follow(ctx, id, rm, err);
}

static const kpod_flag run_flags[] = {
  KPOD_CREATE_FLAGS,
  { "detach", 'd', KPOD_FLAG_BOOL, NULL, "Run container in background and print container ID" },
  { "rm", 0, KPOD_FLAG_BOOL, NULL, "Remove the container after it exits" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_run = {
  .name = "run",
  .summary = "Run a command in a new container",
  .usage = "[options] IMAGE [COMMAND [ARG...]]",
  .description = "Creates a container from IMAGE as `kpod create` does and starts it. With\n"
                 "--detach it prints the container's ID. Otherwise it prints the container's\n"
                 "output as it comes (stdout on stdout, stderr on stderr) until the container\n"
                 "exits, and exits with the container's exit code; --rm then removes it.\n"
                 "kpod has no attach yet: stdin is not forwarded.",
  .examples = "kpod run --rm alpine echo hello\n"
              "kpod run -d --name web -p 8080:80 nginx\n"
              "kpod run --rm -e GREETING=hi --entrypoint '[\"sh\",\"-c\"]' alpine 'echo $GREETING'",
  .flags = run_flags,
  .min_args = 1,
  .max_args = -1,
  .run = run_run,
  .flags_first = 1,
};
