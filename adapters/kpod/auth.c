#include "auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int kpod_creds_parse(const char *creds, char **user, char **pass, crio_err **err)
{
  *user = *pass = NULL;
  if (!creds || !*creds)
    return crio_err_set(err, CRIO_E_INVALID,
                        "--creds: credentials cannot be empty (USERNAME[:PASSWORD])");
  const char *colon = strchr(creds, ':');
  size_t ulen = colon ? (size_t) (colon - creds) : strlen(creds);
  if (ulen)
    *user = xstrndup(creds, ulen);
  if (colon && colon[1])
    *pass = xstrdup(colon + 1);
  return 0;
}

char *kpod_registry_arg(const char *arg)
{
  const char *p = arg;
  if (strncmp(p, "https://", 8) == 0)
    p += 8;
  else if (strncmp(p, "http://", 7) == 0)
    p += 7;
  else
    return xstrdup(arg);
  return xstrndup(p, strcspn(p, "/"));
}

static void restore_termios(struct termios **saved)
{
  if (*saved)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, *saved);
}

int kpod_prompt(FILE *out, const char *prompt, int echo, char **value, crio_err **err)
{
  *value = NULL;
  fputs(prompt, out);
  fflush(out);
  struct termios old, quiet;
  __attribute__((cleanup(restore_termios))) struct termios *saved = NULL;
  if (!echo && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0) {
    quiet = old;
    quiet.c_lflag &= (tcflag_t) ~ECHO;
    quiet.c_lflag |= ECHONL;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0)
      saved = &old;
  }
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  errno = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    if (saved)
      fputc('\n', out);
    if (errno)
      return crio_err_errno(err, CRIO_E_IO, errno, "read the answer to \"%s\"", prompt);
    return crio_err_set(err, CRIO_E_INVALID, "read the answer to \"%s\": end of input", prompt);
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  *value = steal_pointer(&line);
  return 0;
}

char *kpod_authfile(const char *flag)
{
  const char *path = flag && *flag ? flag : getenv("REGISTRY_AUTH_FILE");
  if (!path || !*path)
    return NULL;
  if (path[0] == '/')
    return xstrdup(path);
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  return cwd ? path_join(cwd, path) : xstrdup(path);
}

int kpod_credentials_body(kpod_ctx *ctx, const kpod_args *args, json_t **body, crio_err **err)
{
  *body = NULL;
  _cleanup_free_ char *authfile = kpod_authfile(kpod_args_string(args, "authfile"));
  const char *creds = kpod_args_string(args, "creds");
  if (!creds && !authfile)
    return 0;
  json_t *b = json_object();
  *body = b;
  if (authfile)
    json_object_set_new(b, "auth_file", json_string(authfile));
  if (!creds)
    return 0;
  _cleanup_free_ char *user = NULL, *pass = NULL;
  int r = kpod_creds_parse(creds, &user, &pass, err);
  if (r == 0 && !user)
    r = kpod_prompt(ctx->out, "Username: ", 1, &user, err);
  if (r == 0 && !pass)
    r = kpod_prompt(ctx->out, "Password: ", 0, &pass, err);
  if (r < 0)
    return r;
  json_object_set_new(b, "username", json_string(user));
  json_object_set_new(b, "password", json_string(pass));
  return 0;
}
