#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth.h"
#include "command.h"
#include "image.h"
#include "jsonutil.h"
#include "progress.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int push_query(const kpod_args *args, strbuf *q, crio_err **err)
{
  if (args->npositional > 1)
    kpod_query_add(q, "destination", args->positional[1]);
  if (kpod_args_string(args, "tls-verify"))
    kpod_query_add(q, "tls_verify", kpod_args_bool(args, "tls-verify") ? "true" : "false");
  const char *chunk = kpod_args_string(args, "chunk-size");
  if (chunk) {
    char *end;
    errno = 0;
    long long n = strtoll(chunk, &end, 10);
    if (errno || end == chunk || *end || n < 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "invalid argument \"%s\" for \"--chunk-size\" flag: expected a number "
                          "of bytes, 0 or more", chunk);
    kpod_query_add(q, "chunk_size", chunk);
  }
  return 0;
}

static int push_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  strbuf_puts(&q, "");
  int r = push_query(args, &q, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *body = NULL;
  r = kpod_credentials_body(ctx, args, &body, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_image_path(args->positional[0], "/push");
  _cleanup_free_ char *url = xasprintf("%s%s", path, q.data);
  kpod_client *c;
  r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_kpod_progress_ kpod_progress p = { 0 };
  kpod_progress_init(&p, ctx->errout, isatty(fileno(ctx->errout)), kpod_args_bool(args, "quiet"),
                     0);
  r = kpod_client_stream(c, "POST", url, body, kpod_progress_event, &p, err);
  if (r == 0)
    r = kpod_progress_finish(&p, "push", err);
  return r;
}

static const kpod_flag push_flags[] = {
  { "authfile", 0, KPOD_FLAG_STRING, "string",
    "Path of the authentication file (default $REGISTRY_AUTH_FILE, else the daemon's)" },
  { "chunk-size", 0, KPOD_FLAG_STRING, "bytes",
    "Upload the layers in chunks of this many bytes (0: in one request)" },
  { "creds", 0, KPOD_FLAG_STRING, "[username[:password]]",
    "Use USERNAME[:PASSWORD] for accessing the registry" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Suppress output information when pushing images" },
  { "tls-verify", 0, KPOD_FLAG_BOOL, NULL,
    "Require HTTPS and verify certificates when contacting registries (default true)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_push = {
  .name = "push",
  .summary = "Push an image to a specified destination",
  .usage = "[options] IMAGE [DESTINATION]",
  .description = "Pushes an image from crio's store to a registry (POST /v1/images/{name}/push).\n"
                 "DESTINATION is a reference (default: IMAGE's name). Progress goes to stderr:\n"
                 "bars on a terminal, plain lines otherwise.",
  .examples = "kpod push localhost:5000/test/app:1\n"
              "kpod push --tls-verify=false app:1 localhost:5000/test/app:1\n"
              "kpod push --creds user:secret registry.example.com/team/app:2",
  .flags = push_flags,
  .min_args = 1,
  .max_args = 2,
  .run = push_run,
};
