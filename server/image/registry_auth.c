/* Registry authentication: WWW-Authenticate challenges, Basic credentials,
 * bearer tokens from the challenge's realm (Docker token authentication),
 * cached per scope until they expire. */
#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_file.h"
#include "registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define TOKEN_BODY_MAX (1u << 20)
#define TOKEN_DEFAULT_TTL 60  /* seconds, when the server does not say */

/* ------------------------------------------------------------ challenges */

static bool is_tchar(char ch)
{
  return isalnum((unsigned char) ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static const char *skip_sep(const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == ',')
    p++;
  return p;
}

static char *read_token(const char **pp)
{
  const char *p = *pp;
  while (is_tchar(*p))
    p++;
  char *t = p > *pp ? xstrndup(*pp, (size_t) (p - *pp)) : NULL;
  *pp = p;
  return t;
}

static char *read_quoted(const char **pp)
{
  const char *p = *pp + 1;  /* after the opening quote */
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "");
  while (*p && *p != '"') {
    if (*p == '\\' && p[1])
      p++;
    strbuf_putc(&b, *p++);
  }
  if (*p == '"')
    p++;
  *pp = p;
  return strbuf_steal(&b);
}

static void set_param(reg_challenge *ch, const char *name, char *value)
{
  char **slot = NULL;
  if (strcasecmp(name, "realm") == 0)
    slot = &ch->realm;
  else if (strcasecmp(name, "service") == 0)
    slot = &ch->service;
  else if (strcasecmp(name, "scope") == 0)
    slot = &ch->scope;
  if (!slot) {
    free(value);
    return;
  }
  free(*slot);
  *slot = value;
}

/* The parameters after a scheme, up to the next challenge or the end. */
static const char *read_params(const char *p, reg_challenge *ch)
{
  for (;;) {
    const char *start = skip_sep(p);
    const char *q = start;
    _cleanup_free_ char *name = read_token(&q);
    while (*q == ' ' || *q == '\t')
      q++;
    if (!name || *q != '=')
      return start;  /* the next challenge's scheme, a token68, or the end */
    q++;
    while (*q == ' ' || *q == '\t')
      q++;
    char *value = *q == '"' ? read_quoted(&q) : read_token(&q);
    set_param(ch, name, value ? value : xstrdup(""));
    p = q;
  }
}

int reg_challenge_parse(const char *header, reg_challenge *out)
{
  memset(out, 0, sizeof *out);
  const char *p = header ? header : "";
  for (;;) {
    p = skip_sep(p);
    if (!*p)
      break;
    char *scheme = read_token(&p);
    if (!scheme) {
      p++;  /* not a token: skip it */
      continue;
    }
    for (char *s = scheme; *s; s++)
      *s = (char) tolower((unsigned char) *s);
    reg_challenge ch = { .scheme = scheme };
    p = read_params(p, &ch);
    bool bearer = strcmp(scheme, "bearer") == 0 && ch.realm && *ch.realm;
    bool basic = strcmp(scheme, "basic") == 0;
    if (bearer || (basic && !out->scheme)) {
      reg_challenge_clear(out);
      *out = ch;
    } else {
      reg_challenge_clear(&ch);
    }
  }
  return out->scheme ? 0 : -1;
}

void reg_challenge_clear(reg_challenge *ch)
{
  free(ch->scheme);
  free(ch->realm);
  free(ch->service);
  free(ch->scope);
  memset(ch, 0, sizeof *ch);
}

static void challenge_copy(reg_challenge *dst, const reg_challenge *src)
{
  dst->scheme = xstrdup(src->scheme);
  dst->realm = xstrdup(src->realm);
  dst->service = xstrdup(src->service);
  dst->scope = xstrdup(src->scope);
}

/* ----------------------------------------------------------- credentials */

/* Credentials for repo (NULL: the registry itself); *user NULL when none. */
static int get_creds(registry_client *c, const char *repo, char **user, char **pass,
                     crio_err **err)
{
  *user = *pass = NULL;
  if (c->username) {
    *user = xstrdup(c->username);
    *pass = xstrdup(c->password ? c->password : "");
    return 0;
  }
  _cleanup_free_ char *key = repo ? xasprintf("%s/%s", c->host, repo) : xstrdup(c->host);
  pthread_mutex_lock(&c->lock);
  for (reg_creds *e = c->creds; e; e = e->next) {
    if (strcmp(e->key, key) == 0) {
      *user = xstrdup(e->user);
      *pass = xstrdup(e->pass);
      pthread_mutex_unlock(&c->lock);
      return 0;
    }
  }
  pthread_mutex_unlock(&c->lock);
  int r = auth_file_get(c->auth_file, key, user, pass, err);
  if (r < 0)
    return crio_err_wrap(err, "credentials for %s", key);
  reg_creds *e = xzalloc(sizeof *e);
  e->key = steal_pointer(&key);
  e->user = xstrdup(*user);
  e->pass = xstrdup(*pass);
  pthread_mutex_lock(&c->lock);
  e->next = c->creds;
  c->creds = e;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

static char *basic_header(const char *user, const char *pass)
{
  _cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
  size_t n = strlen(plain);
  _cleanup_free_ char *b64 = xmalloc((n + 2) / 3 * 4 + 1);
  EVP_EncodeBlock((unsigned char *) b64, (const unsigned char *) plain, (int) n);
  return xasprintf("Authorization: Basic %s", b64);
}

/* ---------------------------------------------------------------- tokens */

static char *scope_of(const reg_request *req)
{
  if (!req->repo)
    return xstrdup("");
  return xasprintf("repository:%s:%s", req->repo, req->push ? "pull,push" : "pull");
}

static bool expired(const struct timespec *t)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec >= t->tv_sec;
}

static char *token_cached(registry_client *c, const char *scope)
{
  char *tok = NULL;
  pthread_mutex_lock(&c->lock);
  for (reg_token *t = c->tokens; t; t = t->next)
    if (strcmp(t->scope, scope) == 0 && !expired(&t->expires))
      tok = xstrdup(t->token);
  pthread_mutex_unlock(&c->lock);
  return tok;
}

static void token_forget_locked(registry_client *c, const char *scope)
{
  for (reg_token **pp = &c->tokens; *pp;) {
    reg_token *t = *pp;
    if (strcmp(t->scope, scope) == 0) {
      *pp = t->next;
      free(t->scope);
      free(t->token);
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

static void token_store(registry_client *c, const char *scope, const char *token, long ttl)
{
  reg_token *t = xzalloc(sizeof *t);
  t->scope = xstrdup(scope);
  t->token = xstrdup(token);
  clock_gettime(CLOCK_MONOTONIC, &t->expires);
  long margin = ttl > 20 ? 10 : ttl / 2;  /* renew a little early */
  t->expires.tv_sec += ttl - margin;
  pthread_mutex_lock(&c->lock);
  token_forget_locked(c, scope);
  t->next = c->tokens;
  c->tokens = t;
  pthread_mutex_unlock(&c->lock);
}

static char *token_url(const reg_challenge *ch, const char *scope)
{
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, ch->realm);
  char sep = strchr(ch->realm, '?') ? '&' : '?';
  if (ch->service) {
    char *s = curl_easy_escape(NULL, ch->service, 0);
    strbuf_printf(&b, "%cservice=%s", sep, s);
    curl_free(s);
    sep = '&';
  }
  /* Ours, and the one the registry asked for when it differs. */
  const char *scopes[2] = { scope, ch->scope };
  for (int i = 0; i < 2; i++) {
    if (!scopes[i] || !*scopes[i] || (i == 1 && strcmp(scopes[1], scope) == 0))
      continue;
    char *s = curl_easy_escape(NULL, scopes[i], 0);
    strbuf_printf(&b, "%cscope=%s", sep, s);
    curl_free(s);
    sep = '&';
  }
  return strbuf_steal(&b);
}

static int parse_token(registry_client *c, const reg_challenge *ch, const strbuf *body,
                       char **token, long *ttl, crio_err **err)
{
  json_error_t jerr;
  json_t *j = json_loadb(body->data ? body->data : "", body->len, 0, &jerr);
  const char *tok = json_string_value(json_object_get(j, "token"));
  if (!tok || !*tok)
    tok = json_string_value(json_object_get(j, "access_token"));
  if (!tok || !*tok) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "authentication to %s: token server %s answered no token", c->host,
                        ch->realm);
  }
  *token = xstrdup(tok);
  json_int_t e = json_integer_value(json_object_get(j, "expires_in"));
  *ttl = e >= TOKEN_DEFAULT_TTL ? (long) e : TOKEN_DEFAULT_TTL;
  json_decref(j);
  return 0;
}

static int fetch_token(registry_client *c, const reg_challenge *ch, const reg_request *req,
                       const char *scope, char **token, crio_err **err)
{
  _cleanup_free_ char *user = NULL;
  _cleanup_free_ char *pass = NULL;
  int r = get_creds(c, req->repo, &user, &pass, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *url = token_url(ch, scope);
  _cleanup_free_ char *auth = user ? basic_header(user, pass) : NULL;
  reg_request treq = { .method = "GET", .url = url, .max_body = TOKEN_BODY_MAX,
                       .auth_header = auth };
  reg_response resp = { 0 };
  r = reg_http_perform(c, &treq, &resp, err);
  if (r < 0) {
    reg_response_clear(&resp);
    return crio_err_wrap(err, "authentication to %s: token", c->host);
  }
  long ttl = 0;
  if (resp.status == 200) {
    r = parse_token(c, ch, &resp.body, token, &ttl, err);
  } else {
    _cleanup_free_ char *what = xasprintf("token server %s", ch->realm);
    r = reg_status_error(c, &resp, what, err);
  }
  reg_response_clear(&resp);
  if (r == 0)
    token_store(c, scope, *token, ttl);
  return r;
}

/* ------------------------------------------------------------ the layer */

int reg_auth_header(registry_client *c, const reg_request *req, char **out, crio_err **err)
{
  *out = NULL;
  reg_challenge ch = { 0 };
  pthread_mutex_lock(&c->lock);
  if (c->challenge.scheme)
    challenge_copy(&ch, &c->challenge);
  pthread_mutex_unlock(&c->lock);
  int r = 0;
  if (ch.scheme && strcmp(ch.scheme, "basic") == 0) {
    _cleanup_free_ char *user = NULL;
    _cleanup_free_ char *pass = NULL;
    r = get_creds(c, req->repo, &user, &pass, err);
    if (r == 0 && user)
      *out = basic_header(user, pass);
  } else if (ch.scheme) {
    _cleanup_free_ char *scope = scope_of(req);
    _cleanup_free_ char *tok = token_cached(c, scope);
    if (!tok)
      r = fetch_token(c, &ch, req, scope, &tok, err);
    if (r == 0)
      *out = xasprintf("Authorization: Bearer %s", tok);
  }
  reg_challenge_clear(&ch);
  return r;
}

int reg_auth_challenged(registry_client *c, const reg_request *req, const reg_response *resp,
                        crio_err **err)
{
  reg_challenge ch;
  if (reg_challenge_parse(resp->www_auth, &ch) < 0)
    return crio_err_set(err, CRIO_E_UNAUTHORIZED,
                        "authentication to %s failed: %s %s answered 401 without a Basic or "
                        "Bearer challenge",
                        c->host, req->method, req->url);
  if (strcmp(ch.scheme, "basic") == 0) {
    _cleanup_free_ char *user = NULL;
    _cleanup_free_ char *pass = NULL;
    int r = get_creds(c, req->repo, &user, &pass, err);
    if (r < 0 || !user) {
      reg_challenge_clear(&ch);
      return r < 0 ? r : crio_err_set(err, CRIO_E_UNAUTHORIZED,
                                      "authentication to %s failed: the registry requires "
                                      "credentials and none are configured (log in first)",
                                      c->host);
    }
  }
  _cleanup_free_ char *scope = scope_of(req);
  pthread_mutex_lock(&c->lock);
  reg_challenge_clear(&c->challenge);
  c->challenge = ch;
  token_forget_locked(c, scope);
  pthread_mutex_unlock(&c->lock);
  return 0;
}

void reg_auth_free(registry_client *c)
{
  reg_challenge_clear(&c->challenge);
  while (c->tokens) {
    reg_token *t = c->tokens;
    c->tokens = t->next;
    free(t->scope);
    free(t->token);
    free(t);
  }
  while (c->creds) {
    reg_creds *e = c->creds;
    c->creds = e->next;
    free(e->key);
    free(e->user);
    free(e->pass);
    free(e);
  }
}
