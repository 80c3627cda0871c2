#include <string.h>

#include "command.h"
#include "format.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/xalloc.h"
#include "version.h"

/* The Client and Server objects share one shape, podman's field names. */
static json_t *version_client(void)
{
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "kpod", "Version",
                   KPOD_VERSION, "APIVersion", KPOD_API_VERSION, "GitCommit", KPOD_GIT_COMMIT,
                   "OsArch", KPOD_OS "/" KPOD_ARCH, "Os", KPOD_OS, "Arch", KPOD_ARCH);
}

static json_t *version_server(const json_t *v)
{
  static const char *const known[] = { "name", "version", "api_version", "git_commit", "os",
                                        "arch" };
  const char *os = kpod_json_str(v, "os", "");
  const char *arch = kpod_json_str(v, "arch", "");
  _cleanup_free_ char *osarch = xasprintf("%s/%s", os, arch);
  json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name",
                        kpod_json_str(v, "name", "crio"), "Version",
                        kpod_json_str(v, "version", ""), "APIVersion",
                        kpod_json_str(v, "api_version", ""), "GitCommit",
                        kpod_json_str(v, "git_commit", ""), "OsArch", osarch, "Os", os, "Arch",
                        arch);
  /* fields a newer server adds are passed on as they are */
  const char *key;
  json_t *val;
  json_object_foreach((json_t *) v, key, val) {
    size_t i = 0;
    while (i < ARRAY_SIZE(known) && strcmp(known[i], key) != 0)
      i++;
    if (i == ARRAY_SIZE(known))
      json_object_set(s, key, val);
  }
  return s;
}

static void version_block(strbuf *out, const char *title, const json_t *b)
{
  strbuf_printf(out, "%-14s%s\n", title, kpod_json_str(b, "Name", ""));
  strbuf_printf(out, "%-14s%s\n", "Version:", kpod_json_str(b, "Version", ""));
  strbuf_printf(out, "%-14s%s\n", "API Version:", kpod_json_str(b, "APIVersion", ""));
  strbuf_printf(out, "%-14s%s\n", "Git Commit:", kpod_json_str(b, "GitCommit", ""));
  strbuf_printf(out, "%-14s%s\n", "OS/Arch:", kpod_json_str(b, "OsArch", ""));
}

static void version_print(strbuf *out, const json_t *data)
{
  version_block(out, "Client:", json_object_get(data, "Client"));
  const json_t *server = json_object_get(data, "Server");
  if (json_is_object(server)) {
    strbuf_putc(out, '\n');
    version_block(out, "Server:", server);
  }
}

static int version_fetch(kpod_ctx *ctx, json_t **out, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  r = kpod_client_request(c, "GET", "/v1/version", NULL, out, err);
  if (r < 0)
    return r;
  if (!json_is_object(*out))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET /v1/version with no object");
  return 0;
}

static int version_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *format = kpod_args_string(args, "format");
  int r = kpod_format_check(format, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *server = NULL;
  _cleanup_err_ crio_err *server_err = NULL;
  int server_r = version_fetch(ctx, &server, &server_err);
  _cleanup_json_ json_t *data = json_object();
  json_object_set_new(data, "Client", version_client());
  json_object_set_new(data, "Server", server_r == 0 ? version_server(server) : json_null());
  if (server_r == 0)
    return kpod_format_write(ctx->out, format, data, version_print, err);
  /* As podman does: what the client knows, then why the server part is missing.
   * A template that needs the server fails; the server's error is the one to report. */
  _cleanup_err_ crio_err *format_err = NULL;
  kpod_format_write(ctx->out, format, data, version_print, &format_err);
  return crio_err_set(err, server_err->code, "%s", server_err->message);
}

static const kpod_flag version_flags[] = {
  { "format", 'f', KPOD_FLAG_STRING, "string",
    "Change the output format to JSON or a Go template" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_version = {
  .name = "version",
  .summary = "Display the kpod and crio version information",
  .usage = "[options]",
  .description = "Display the version of kpod (the client) and of the crio daemon it talks to\n"
                 "(the server, from GET /v1/version).",
  .examples = "kpod version\n"
              "kpod version --format json\n"
              "kpod version --format '{{.Server.Version}}'",
  .flags = version_flags,
  .min_args = 0,
  .max_args = 0,
  .run = version_run,
};
