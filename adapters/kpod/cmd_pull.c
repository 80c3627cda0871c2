#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "command.h"
#include "image.h"
#include "jsonutil.h"
#include "progress.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

int kpod_image_pull(kpod_ctx *ctx, const char *ref, json_t *body, int quiet, const char *query,
                    char **id, crio_err **err)
{
  _cleanup_strbuf_ strbuf path = STRBUF_INIT;
  kpod_query_add(&path, "reference", ref);
  if (query)
    strbuf_printf(&path, "&%s", query);
  _cleanup_free_ char *url = xasprintf("/v1/images/pull%s", path.data);
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_kpod_progress_ kpod_progress p = { 0 };
  kpod_progress_init(&p, ctx->errout, isatty(fileno(ctx->errout)), quiet, 1);
  r = kpod_client_stream(c, "POST", url, body, kpod_progress_event, &p, err);
  if (r == 0)
    r = kpod_progress_finish(&p, "pull", err);
  if (r < 0)
    return r;
  if (id)
    *id = xstrdup(p.id && *p.id ? p.id : NULL);
  return 0;
}

static int pull_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  _cleanup_json_ json_t *body = NULL;
  int r = kpod_credentials_body(ctx, args, &body, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  if (kpod_args_string(args, "tls-verify"))
    kpod_query_add(&q, "tls_verify", kpod_args_bool(args, "tls-verify") ? "true" : "false");
  if (kpod_args_string(args, "platform"))
    kpod_query_add(&q, "platform", kpod_args_string(args, "platform"));
  _cleanup_free_ char *id = NULL;
  r = kpod_image_pull(ctx, args->positional[0], body, kpod_args_bool(args, "quiet"),
                      q.len ? q.data + 1 : NULL, &id, err);
  if (r < 0)
    return r;
  if (id)
    fprintf(ctx->out, "%s\n", id);
  return 0;
}

static const kpod_flag pull_flags[] = {
  { "authfile", 0, KPOD_FLAG_STRING, "string",
    "Path of the authentication file (default $REGISTRY_AUTH_FILE, else the daemon's)" },
  { "creds", 0, KPOD_FLAG_STRING, "[username[:password]]",
    "Use USERNAME[:PASSWORD] for accessing the registry" },
  { "platform", 0, KPOD_FLAG_STRING, "string",
    "Specify the platform for selecting the image (OS/ARCH[/VARIANT])" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Suppress output information when pulling images" },
  { "tls-verify", 0, KPOD_FLAG_BOOL, NULL,
    "Require HTTPS and verify certificates when contacting registries (default true)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_pull = {
  .name = "pull",
  .summary = "Pull an image from a registry",
  .usage = "[options] IMAGE",
  .description = "Pulls an image from a registry into crio's store (POST /v1/images/pull) and\n"
                 "prints its ID. A short name resolves through the daemon's registries.conf.\n"
                 "Progress goes to stderr: bars on a terminal, plain lines otherwise.",
  .examples = "kpod pull docker.io/library/alpine:3.19\n"
              "kpod pull --quiet busybox\n"
              "kpod pull --tls-verify=false localhost:5000/test/app:1\n"
              "kpod pull --creds user:secret --platform linux/arm64 registry.example.com/app",
  .flags = pull_flags,
  .min_args = 1,
  .max_args = 1,
  .run = pull_run,
};
