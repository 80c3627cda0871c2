#include <errno.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "image.h"
#include "jsonutil.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"
#include "ws_client.h"

extern char **environ;

/* The runtime could not start the command: podman's 126 (cannot be invoked)
 * or 127 (not found). 0 for any other failure (no container, not running),
 * which is kpod's own 125. The runtime's message says which it is:
 * "exec failed: unable to start container process: exec: \"x\": executable
 * file not found in $PATH". */
static int exec_failure_status(const crio_err *e)
{
  const char *m = e && e->message ? e->message : "";
  if (!strstr(m, "exec failed") && !strstr(m, "exec: ") &&
      !strstr(m, "executable file not found") && !strstr(m, "unable to start container process"))
    return 0;
  int status = kpod_start_exit_code(m);
  return status == KPOD_EXIT_ERROR ? 0 : status;
}

/* A failed exec: its message, and the exit status podman gives it. */
static int exec_failed(kpod_ctx *ctx, crio_err *e, crio_err **err)
{
  int status = exec_failure_status(e);
  if (!status)
    return crio_err_set(err, e->code, "%s", e->message);
  fflush(ctx->out);
  fprintf(ctx->errout, "Error: %s\n", e->message);
  return status;
}

static int exec_write(FILE *f, const json_t *s, crio_err **err)
{
  size_t len = json_string_length(s);
  if (len && fwrite(json_string_value(s), 1, len, f) != len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the command's output");
  if (fflush(f) != 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the command's output");
  return 0;
}

/* --env-file and -e, as podman reads them (-e KEY takes KEY from kpod's
 * environment): a list of KEY=VALUE, or NULL with *err set. */
static json_t *exec_env(const kpod_args *args, crio_err **err)
{
  _cleanup_json_ json_t *vars = json_object();
  for (const char *const *f = kpod_args_strings(args, "env-file", NULL); *f; f++)
    if (kpod_parse_env_file(*f, environ, vars, err) < 0)
      return NULL;
  for (const char *const *e = kpod_args_strings(args, "env", NULL); *e; e++)
    if (kpod_parse_env(*e, environ, vars, err) < 0)
      return NULL;
  return kpod_env_list(vars);
}

/* Without -i and -t: ExecSync, its output written once it has ended. */
static int exec_sync(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *command = json_array();
  for (size_t i = 1; i < args->npositional; i++)
    json_array_append_new(command, json_string(args->positional[i]));
  _cleanup_json_ json_t *env = exec_env(args, err);
  if (!env)
    return -1;
  _cleanup_json_ json_t *body = json_pack("{s:O, s:O}", "command", command, "env", env);
  const char *user = kpod_args_string(args, "user"), *wd = kpod_args_string(args, "workdir");
  if (user)
    json_object_set_new(body, "user", json_string(user));
  if (wd)
    json_object_set_new(body, "workdir", json_string(wd));
  _cleanup_free_ char *path = kpod_object_path("containers", args->positional[0], "/exec");
  _cleanup_json_ json_t *res = NULL;
  _cleanup_err_ crio_err *e = NULL;
  if (kpod_client_request(c, "POST", path, body, &res, &e) < 0)
    return exec_failed(ctx, e, err);
  json_t *code = json_object_get(res, "exit_code");
  if (!json_is_integer(code))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered POST %s with no exit_code", path);
  r = exec_write(ctx->out, json_object_get(res, "stdout"), err);
  if (r == 0)
    r = exec_write(ctx->errout, json_object_get(res, "stderr"), err);
  if (r < 0)
    return r;
  json_int_t status = json_integer_value(code);
  return status < 0 || status > 255 ? KPOD_EXIT_ERROR : (int) status;
}

/* GET .../exec/stream?command=A&command=B&tty=..&stdin=..[&env=K=V..][&user=U][&workdir=D] */
static char *exec_stream_path(const kpod_args *args, const json_t *env, int tty, int interactive)
{
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  for (size_t i = 1; i < args->npositional; i++)
    kpod_query_add(&q, "command", args->positional[i]);
  kpod_query_add(&q, "tty", tty ? "true" : "false");
  kpod_query_add(&q, "stdin", interactive ? "true" : "false");
  for (size_t i = 0; i < json_array_size(env); i++)
    kpod_query_add(&q, "env", json_string_value(json_array_get(env, i)));
  const char *user = kpod_args_string(args, "user"), *wd = kpod_args_string(args, "workdir");
  if (user)
    kpod_query_add(&q, "user", user);
  if (wd)
    kpod_query_add(&q, "workdir", wd);
  _cleanup_free_ char *suffix = xasprintf("/exec/stream%s", q.data ? q.data : "");
  return kpod_object_path("containers", args->positional[0], suffix);
}

static int exec_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (args->npositional < 2)
    return crio_err_set(err, CRIO_E_INVALID, "you must provide a command to exec");
  int tty = kpod_args_bool(args, "tty"), interactive = kpod_args_bool(args, "interactive");
  if (!tty && !interactive)
    return exec_sync(ctx, args, err);
  _cleanup_json_ json_t *env = exec_env(args, err);
  if (!env)
    return -1;
  _cleanup_free_ char *path = exec_stream_path(args, env, tty, interactive);
  int code = 0;
  _cleanup_err_ crio_err *e = NULL;
  if (ws_client_session(ctx, path, tty, interactive, kpod_args_string(args, "detach-keys"), &code,
                        &e) < 0)
    return exec_failed(ctx, e, err);
  return code < 0 || code > 255 ? KPOD_EXIT_ERROR : code;
}

static const kpod_flag exec_flags[] = {
  { "detach-keys", 0, KPOD_FLAG_STRING, "string",
    "Select the key sequence for detaching a container. Format is a single character [a-Z] or "
    "ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _ (default \"ctrl-p,ctrl-q\")" },
  { "env", 'e', KPOD_FLAG_STRING_ARRAY, "stringArray", "Set environment variables" },
  { "env-file", 0, KPOD_FLAG_STRING_ARRAY, "stringArray", "Read in a file of environment variables" },
  { "interactive", 'i', KPOD_FLAG_BOOL, NULL, "Keep STDIN open even if not attached" },
  { "tty", 't', KPOD_FLAG_BOOL, NULL, "Allocate a pseudo-TTY" },
  { "user", 'u', KPOD_FLAG_STRING, "string",
    "Sets the username or UID used and optionally the groupname or GID for the specified command" },
  { "workdir", 'w', KPOD_FLAG_STRING, "string", "Working directory inside the container" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_exec = {
  .name = "exec",
  .summary = "Run a process in a running container",
  .usage = "[options] CONTAINER COMMAND [ARG...]",
  .description = "Runs COMMAND in a running container. Without -i and -t it runs to its end\n"
                 "(POST /v1/containers/{id}/exec) and its output is printed then, stdout on\n"
                 "stdout and stderr on stderr. With -i (stdin forwarded) or -t (a terminal),\n"
                 "it runs over a WebSocket (GET .../exec/stream) with its output as it comes.\n"
                 "kpod exits with the command's exit code: 126 when it cannot be invoked, 127\n"
                 "when it is not found.",
  .examples = "kpod exec mywebserver cat /etc/hostname\n"
              "kpod exec -e GREETING=hi -u nobody -w /tmp mywebserver sh -c 'echo $GREETING'\n"
              "kpod exec -it mywebserver sh\n"
              "echo hello | kpod exec -i 860a4b23 cat",
  .flags = exec_flags,
  .min_args = 1,
  .max_args = -1,
  .run = exec_run,
  .flags_first = 1,
};
