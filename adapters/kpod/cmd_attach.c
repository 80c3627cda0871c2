#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/xalloc.h"
#include "ws_client.h"

static int attach_get(kpod_client *c, const char *name, json_t **out, crio_err **err)
{
  _cleanup_free_ char *path = kpod_object_path("containers", name, NULL);
  int r = kpod_client_request(c, "GET", path, NULL, out, err);
  if (r == 0 && !json_is_string(json_object_get(*out, "id")))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no Container", path);
  return r;
}

static bool attach_running(const json_t *container)
{
  const char *state = kpod_json_str(container, "state", "");
  return strcmp(state, "running") == 0 || strcmp(state, "paused") == 0;
}

/* After the session: still running means the user detached (exit 0);
 * otherwise the container's exit code, as podman attach exits with it. */
static int attach_finish(kpod_ctx *ctx, kpod_client *c, const char *id, crio_err **err)
{
  _cleanup_json_ json_t *now = NULL;
  int r = attach_get(c, id, &now, err);
  if (r < 0)
    return r;
  if (attach_running(now))
    return 0;
  int code = 0;
  r = kpod_container_wait(ctx, id, &code, err);
  if (r < 0)
    return r;
  return code < 0 || code > 255 ? KPOD_EXIT_ERROR : code;
}

static int attach_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  _cleanup_json_ json_t *ctr = NULL;
  if (r == 0)
    r = attach_get(c, args->positional[0], &ctr, err);
  if (r < 0)
    return r;
  if (!attach_running(ctr))
    return crio_err_set(err, CRIO_E_CONFLICT, "you can only attach to running containers");
  const char *id = kpod_json_str(ctr, "id", "");
  json_t *spec = json_object_get(ctr, "spec");
  bool tty = json_is_true(json_object_get(spec, "tty"));
  /* as podman, stdin only reaches a container made with it open (-i) */
  bool use_stdin = !kpod_args_bool(args, "no-stdin") && json_is_true(json_object_get(spec, "stdin"));
  _cleanup_free_ char *suffix = xasprintf("/attach?stdin=%s", use_stdin ? "true" : "false");
  _cleanup_free_ char *path = kpod_object_path("containers", id, suffix);
  int code = 0;
  r = ws_client_session(ctx, path, tty, use_stdin, kpod_args_string(args, "detach-keys"), &code,
                        err);
  if (r < 0)
    return r;
  return attach_finish(ctx, c, id, err);
}

static const kpod_flag attach_flags[] = {
  { "detach-keys", 0, KPOD_FLAG_STRING, "string",
    "Select the key sequence for detaching a container. Format is a single character [a-Z] or "
    "ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _ (default \"ctrl-p,ctrl-q\")" },
  { "no-stdin", 0, KPOD_FLAG_BOOL, NULL, "Do not attach STDIN. The default is false" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_attach = {
  .name = "attach",
  .summary = "Attach to a running container",
  .usage = "[options] CONTAINER",
  .description = "Connects kpod's stdin, stdout and stderr to those of a running container\n"
                 "(a WebSocket, GET /v1/containers/{id}/attach), in raw mode on a terminal when\n"
                 "the container has one. kpod exits with the container's exit code when it\n"
                 "exits, or with 0 when the detach keys (ctrl-p,ctrl-q) are typed.",
  .examples = "kpod attach mywebserver\n"
              "kpod attach --no-stdin 860a4b23\n"
              "kpod attach --detach-keys ctrl-x mycontainer",
  .flags = attach_flags,
  .min_args = 1,
  .max_args = 1,
  .run = attach_run,
};
