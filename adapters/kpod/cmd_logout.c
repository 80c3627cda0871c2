#include <string.h>

#include "auth.h"
#include "command.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int logout_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int all = kpod_args_bool(args, "all");
  if (all && args->npositional > 0)
    return crio_err_set(err, CRIO_E_INVALID, "--all takes no arguments");
  if (!all && args->npositional == 0)
    return crio_err_set(err, CRIO_E_INVALID, "please provide a registry to log out from");
  if (args->npositional > 1)
    return crio_err_set(err, CRIO_E_INVALID, "logout accepts only one registry to log out from");
  _cleanup_json_ json_t *body = json_object();
  _cleanup_free_ char *registry = all ? NULL : kpod_registry_arg(args->positional[0]);
  if (all)
    json_object_set_new(body, "all", json_true());
  else
    json_object_set_new(body, "registry", json_string(registry));
  _cleanup_free_ char *authfile = kpod_authfile(kpod_args_string(args, "authfile"));
  if (authfile)
    json_object_set_new(body, "auth_file", json_string(authfile));
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *res = NULL;
  r = kpod_client_request(c, "POST", "/v1/auth/logout", body, &res, err);
  if (r < 0)
    return r;
  if (all)
    fputs("Removed login credentials for all registries\n", ctx->out);
  else
    fprintf(ctx->out, "Removed login credentials for %s\n",
            kpod_json_str(res, "registry", registry));
  return 0;
}

static const kpod_flag logout_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Remove the cached credentials for all registries" },
  { "authfile", 0, KPOD_FLAG_STRING, "string",
    "Path of the authentication file (default $REGISTRY_AUTH_FILE, else the daemon's)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_logout = {
  .name = "logout",
  .summary = "Log out of a container registry",
  .usage = "[options] REGISTRY",
  .description = "Removes the credentials of a registry, or of all registries, from the\n"
                 "daemon's auth file (POST /v1/auth/logout).",
  .examples = "kpod logout quay.io\n"
              "kpod logout --authfile /tmp/auth.json localhost:5000\n"
              "kpod logout --all",
  .flags = logout_flags,
  .min_args = 0,
  .max_args = -1,
  .run = logout_run,
};
