#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "command.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --password-stdin: every line of stdin, joined without the line breaks. */
static int login_read_stdin(char **out, crio_err **err)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  strbuf_puts(&b, "");
  errno = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      n--;
    strbuf_append(&b, line, (size_t) n);
  }
  if (ferror(stdin))
    return crio_err_errno(err, CRIO_E_IO, errno, "read the password from stdin");
  *out = strbuf_steal(&b);
  return 0;
}

static char *trim_space(char *s)
{
  while (isspace((unsigned char) *s))
    memmove(s, s + 1, strlen(s));
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char) s[n - 1]))
    s[--n] = '\0';
  return s;
}

static int login_credentials(kpod_ctx *ctx, const kpod_args *args, char **user, char **pass,
                             crio_err **err)
{
  *user = xstrdup(kpod_args_string(args, "username"));
  *pass = xstrdup(kpod_args_string(args, "password"));
  int r = 0;
  if (kpod_args_bool(args, "password-stdin")) {
    if (*pass && **pass)
      return crio_err_set(err, CRIO_E_INVALID,
                          "Can't specify both --password-stdin and --password");
    if (!*user || !**user)
      return crio_err_set(err, CRIO_E_INVALID, "Must provide --username with --password-stdin");
    free(*pass);
    r = login_read_stdin(pass, err);
  }
  if (r == 0 && (!*user || !**user)) {
    free(*user);
    r = kpod_prompt(ctx->out, "Username: ", 1, user, err);
  }
  if (r == 0 && (!*pass || !**pass)) {
    free(*pass);
    r = kpod_prompt(ctx->out, "Password: ", 0, pass, err);
  }
  if (r < 0)
    return crio_err_wrap(err, "getting username and password");
  trim_space(*user);
  return 0;
}

static int login_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (args->npositional == 0)
    return crio_err_set(err, CRIO_E_INVALID, "please provide a registry to log in to");
  if (args->npositional > 1)
    return crio_err_set(err, CRIO_E_INVALID, "login accepts only one registry to log in to");
  _cleanup_free_ char *registry = kpod_registry_arg(args->positional[0]);
  _cleanup_free_ char *user = NULL, *pass = NULL;
  int r = login_credentials(ctx, args, &user, &pass, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *body = json_pack("{s:s, s:s, s:s}", "registry", registry, "username",
                                          user, "password", pass);
  if (!body)
    return crio_err_set(err, CRIO_E_INVALID, "the username and password must be valid UTF-8");
  _cleanup_free_ char *authfile = kpod_authfile(kpod_args_string(args, "authfile"));
  if (authfile)
    json_object_set_new(body, "auth_file", json_string(authfile));
  if (kpod_args_string(args, "tls-verify"))
    json_object_set_new(body, "tls_verify", json_boolean(kpod_args_bool(args, "tls-verify")));
  kpod_client *c;
  r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *res = NULL;
  r = kpod_client_request(c, "POST", "/v1/auth/login", body, &res, err);
  if (r < 0)
    return r;
  fputs("Login Succeeded!\n", ctx->out);
  return 0;
}

static const kpod_flag login_flags[] = {
  { "authfile", 0, KPOD_FLAG_STRING, "string",
    "Path of the authentication file (default $REGISTRY_AUTH_FILE, else the daemon's)" },
  { "password", 'p', KPOD_FLAG_STRING, "string", "Password for registry" },
  { "password-stdin", 0, KPOD_FLAG_BOOL, NULL, "Take the password from stdin" },
  { "tls-verify", 0, KPOD_FLAG_BOOL, NULL,
    "Require HTTPS and verify certificates when contacting registries (default true)" },
  { "username", 'u', KPOD_FLAG_STRING, "string", "Username for registry" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_login = {
  .name = "login",
  .summary = "Log in to a container registry",
  .usage = "[options] REGISTRY",
  .description = "Checks a username and password against a registry, then has the daemon store\n"
                 "them in its auth file (POST /v1/auth/login) for its pulls and pushes. What is\n"
                 "not given is asked for; the password is not echoed.",
  .examples = "kpod login quay.io\n"
              "kpod login --username user --password-stdin localhost:5000 < password.txt\n"
              "kpod login -u user -p secret --tls-verify=false localhost:5000",
  .flags = login_flags,
  .min_args = 0,
  .max_args = -1,
  .run = login_run,
};
