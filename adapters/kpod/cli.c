#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/cleanup.h"
#include "util/xalloc.h"
#include "version.h"

const kpod_flag kpod_global_flags[] = {
  { "token", 0, KPOD_FLAG_STRING, "string",
    "Bearer token for crio's TCP listener (default $CRIO_API_TOKEN)" },
  { "url", 0, KPOD_FLAG_STRING, "string",
    "URL of crio's REST API, unix:///path or http://host:port "
    "(default $CRIO_API, else \"" KPOD_DEFAULT_URL "\")" },
  { "version", 'v', KPOD_FLAG_BOOL, NULL, "Print kpod's version" },
  { NULL, 0, 0, NULL, NULL },
};

int kpod_ctx_client(kpod_ctx *ctx, kpod_client **out, crio_err **err)
{
  if (!ctx->client) {
    int r = kpod_client_new(ctx->url, ctx->token, &ctx->client, err);
    if (r < 0)
      return r;
  }
  *out = ctx->client;
  return 0;
}

/* "Error: <message>", and a usage hint when there is one. */
static int report(kpod_ctx *ctx, const crio_err *err, const char *hint)
{
  fflush(ctx->out);
  fprintf(ctx->errout, "Error: %s\n", err && err->message ? err->message : "unknown error");
  if (hint)
    fprintf(ctx->errout, "%s\n", hint);
  return KPOD_EXIT_ERROR;
}

static int check_arg_count(const kpod_cmd *cmd, size_t n, crio_err **err)
{
  int min = cmd->min_args, max = cmd->max_args;
  if ((int) n >= min && (max < 0 || (int) n <= max))
    return 0;
  if (min == max)
    return crio_err_set(err, CRIO_E_INVALID, "accepts %d arg(s), received %zu", min, n);
  if (max < 0)
    return crio_err_set(err, CRIO_E_INVALID, "requires at least %d arg(s), only received %zu",
                        min, n);
  return crio_err_set(err, CRIO_E_INVALID, "accepts between %d and %d arg(s), received %zu", min,
                      max, n);
}

static int run_command(kpod_ctx *ctx, const kpod_cmd *cmd, const char *path, int argc,
                       char **argv);

/* `kpod pod create ...`: the group's own options stop at its verb, which
 * then runs with what follows it. */
static int run_group(kpod_ctx *ctx, const kpod_cmd *group, const char *path, int argc,
                     char **argv)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_kpod_args_ kpod_args args = { 0 };
  _cleanup_free_ char *hint = xasprintf("Try 'kpod %s --help' for more information.", path);
  int r = kpod_args_parse(group->flags, argc, argv, KPOD_PARSE_STOP, &args, &err);
  if (r < 0)
    return report(ctx, err, hint);
  if (args.help) {
    kpod_help_command(ctx->out, group, path);
    return 0;
  }
  if (args.rest >= argc) {
    crio_err_set(&err, CRIO_E_INVALID, "missing command 'kpod %s COMMAND'", path);
    return report(ctx, err, hint);
  }
  const kpod_cmd *sub = kpod_cmd_lookup(group->subcommands, argv[args.rest]);
  if (!sub) {
    crio_err_set(&err, CRIO_E_INVALID, "unrecognized command `kpod %s %s`", path,
                 argv[args.rest]);
    return report(ctx, err, hint);
  }
  _cleanup_free_ char *subpath = xasprintf("%s %s", path, sub->name);
  return run_command(ctx, sub, subpath, argc - args.rest - 1, argv + args.rest + 1);
}

static int run_command(kpod_ctx *ctx, const kpod_cmd *cmd, const char *path, int argc,
                       char **argv)
{
  if (cmd->subcommands)
    return run_group(ctx, cmd, path, argc, argv);
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_kpod_args_ kpod_args args = { 0 };
  _cleanup_free_ char *hint = xasprintf("See 'kpod %s --help'.", path);
  int mode = cmd->flags_first ? KPOD_PARSE_FLAGS_FIRST : KPOD_PARSE_ANYWHERE;
  int r = kpod_args_parse(cmd->flags, argc, argv, mode, &args, &err);
  if (r < 0)
    return report(ctx, err, hint);
  if (args.help) {
    kpod_help_command(ctx->out, cmd, path);
    return 0;
  }
  r = check_arg_count(cmd, args.npositional, &err);
  if (r < 0)
    return report(ctx, err, hint);
  r = cmd->run(ctx, &args, &err);
  if (r < 0)
    return report(ctx, err, NULL);
  return r;
}

static const char *first_set(const char *a, const char *b, const char *fallback)
{
  if (a && *a)
    return a;
  if (b && *b)
    return b;
  return fallback;
}

static int finish_output(kpod_ctx *ctx, int status)
{
  if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
    if (errno == EPIPE)
      return status;
    fprintf(ctx->errout, "Error: write the output: %s\n", strerror(errno));
    return KPOD_EXIT_ERROR;
  }
  return status;
}

int kpod_main(int argc, char **argv)
{
  kpod_ctx ctx = { .out = stdout, .errout = stderr };
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_kpod_args_ kpod_args g = { 0 };
  const char *hint = "Run 'kpod --help' for usage.";
  int r = kpod_args_parse(kpod_global_flags, argc - 1, argv + 1, KPOD_PARSE_STOP, &g, &err);
  if (r < 0)
    return report(&ctx, err, hint);
  if (g.help) {
    kpod_help_main(ctx.out);
    return finish_output(&ctx, 0);
  }
  if (kpod_args_bool(&g, "version")) {
    fprintf(ctx.out, "kpod version %s\n", KPOD_VERSION);
    return finish_output(&ctx, 0);
  }
  if (g.rest >= argc - 1) {
    crio_err_set(&err, CRIO_E_INVALID, "missing command 'kpod COMMAND'");
    return report(&ctx, err, "Try 'kpod --help' for more information.");
  }
  const char *verb = argv[1 + g.rest];
  const kpod_cmd *cmd = kpod_command_find(verb);
  if (!cmd) {
    crio_err_set(&err, CRIO_E_INVALID, "unknown command \"%s\" for \"kpod\"", verb);
    return report(&ctx, err, hint);
  }
  ctx.url = first_set(kpod_args_string(&g, "url"), getenv("CRIO_API"), KPOD_DEFAULT_URL);
  ctx.token = first_set(kpod_args_string(&g, "token"), getenv("CRIO_API_TOKEN"), NULL);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  r = run_command(&ctx, cmd, cmd->name, argc - 2 - g.rest, argv + 2 + g.rest);
  kpod_client_free(ctx.client);
  curl_global_cleanup();
  return finish_output(&ctx, r);
}
