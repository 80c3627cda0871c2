/* The registry client: options, certs.d, the connection share, the scheme,
 * authenticated sends, error mapping and the helpers of its other files. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_file.h"
#include "registry_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef CRIO_VERSION
#define CRIO_VERSION "0"
#endif

static const char *const system_ca_bundles[] = {
  "/etc/ssl/certs/ca-certificates.crt",  /* Debian */
  "/etc/pki/tls/certs/ca-bundle.crt",    /* Fedora */
  "/etc/ssl/cert.pem",
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
  registry_client *c = ud;
  pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
  registry_client *c = ud;
  pthread_mutex_unlock(&c->share_locks[data]);
}

static bool has_suffix(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

static void append_file(strbuf *b, const char *path)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_err_ crio_err *e = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, &e) == 0) {
    strbuf_append(b, text, len);
    strbuf_putc(b, '\n');
  }
}

/* A client key or certificate needs its partner: X.cert with X.key. */
static int certs_pair(registry_client *c, const char *dir, const char *name, crio_err **err)
{
  bool is_cert = has_suffix(name, ".cert");
  size_t stem = strlen(name) - (is_cert ? 5 : 4);
  _cleanup_free_ char *cert = xasprintf("%s/%.*s.cert", dir, (int) stem, name);
  _cleanup_free_ char *key = xasprintf("%s/%.*s.key", dir, (int) stem, name);
  if (access(is_cert ? key : cert, R_OK) < 0)
    return crio_err_errno(err, CRIO_E_INVALID, errno, "certs.d for %s: missing %s for %s",
                          c->host, is_cert ? key : cert, is_cert ? cert : key);
  if (is_cert && !c->client_cert) {
    c->client_cert = steal_pointer(&cert);
    c->client_key = steal_pointer(&key);
  }
  return 0;
}

/* CERTS_DIR/HOST: *.crt are CAs added to the system's, X.cert + X.key the
 * client certificate (containers-certs.d(5)). */
static int load_certs_dir(registry_client *c, crio_err **err)
{
  _cleanup_free_ char *dir = path_join(c->certs_dir, c->host);
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    return crio_err_errno(err, CRIO_E_IO, errno, "read certs.d directory %s", dir);
  }
  strbuf cas = STRBUF_INIT;
  int r = 0;
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    if (r == 0 && has_suffix(name, ".crt")) {
      if (cas.len == 0)
        for (size_t k = 0; k < ARRAY_SIZE(system_ca_bundles) && cas.len == 0; k++)
          append_file(&cas, system_ca_bundles[k]);
      _cleanup_free_ char *path = path_join(dir, name);
      append_file(&cas, path);
    } else if (r == 0 && (has_suffix(name, ".cert") || has_suffix(name, ".key"))) {
      r = certs_pair(c, dir, name, err);
    }
    free(names[i]);
  }
  free(names);
  if (cas.len > 0 && r == 0) {
    c->ca_blob_len = cas.len;
    c->ca_blob = strbuf_steal(&cas);
  }
  strbuf_free(&cas);
  return r;
}

static int check_opts(const registry_opts *o, crio_err **err)
{
  if (!o || !o->host || !*o->host)
    return crio_err_set(err, CRIO_E_INVALID, "registry client: no registry host given");
  if (strchr(o->host, '/') || strchr(o->host, ' ') || strchr(o->host, '@'))
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid registry host \"%s\": want HOST[:PORT] without a scheme or path",
                        o->host);
  if (o->password && !o->username)
    return crio_err_set(err, CRIO_E_INVALID, "credentials for %s: a password without a user name",
                        o->host);
  return 0;
}

static void share_init(registry_client *c)
{
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&c->share_locks[i], NULL);
  pthread_mutex_init(&c->lock, NULL);
  c->share = curl_share_init();
  curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

int registry_client_new(const registry_opts *o, registry_client **out, crio_err **err)
{
  *out = NULL;
  int r = check_opts(o, err);
  if (r < 0)
    return r;
  pthread_once(&curl_once, curl_init_once);
  registry_client *c = xzalloc(sizeof *c);
  c->host = xstrdup(o->host);
  bool hub = strcmp(o->host, "docker.io") == 0 || strcmp(o->host, "index.docker.io") == 0;
  c->api_host = xstrdup(hub ? "registry-1.docker.io" : o->host);
  c->insecure = o->insecure;
  c->username = xstrdup(o->username);
  c->password = xstrdup(o->password);
  if (o->auth_file)
    c->auth_file = xstrdup(o->auth_file);
  else
    auth_file_default_path(&c->auth_file);
  c->certs_dir = xstrdup(o->certs_dir ? o->certs_dir : REGISTRY_CERTS_DIR_DEFAULT);
  c->user_agent = xstrdup(o->user_agent ? o->user_agent : "crio-c/" CRIO_VERSION);
  c->cancel_fd = o->cancel_fd;
  share_init(c);
  r = load_certs_dir(c, err);
  if (r < 0) {
    registry_client_free(c);
    return r;
  }
  *out = c;
  return 0;
}

void registry_client_free(registry_client *c)
{
  if (!c)
    return;
  curl_share_cleanup(c->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_destroy(&c->share_locks[i]);
  pthread_mutex_destroy(&c->lock);
  reg_auth_free(c);
  free(c->base);
  free(c->host);
  free(c->api_host);
  free(c->username);
  free(c->password);
  free(c->auth_file);
  free(c->certs_dir);
  free(c->user_agent);
  free(c->ca_blob);
  free(c->client_cert);
  free(c->client_key);
  free(c);
}

const char *registry_client_host(const registry_client *c)
{
  return c->host;
}

int reg_base(registry_client *c, char **out, crio_err **err)
{
  pthread_mutex_lock(&c->lock);
  *out = xstrdup(c->base);
  pthread_mutex_unlock(&c->lock);
  if (*out)
    return 0;
  char *base = xasprintf("https://%s", c->api_host);
  if (c->insecure) {
    /* Any HTTP answer over (unverified) TLS settles it; else plain HTTP. */
    _cleanup_free_ char *url = xasprintf("%s/v2/", base);
    reg_request req = { .method = "GET", .url = url, .single_attempt = true };
    reg_response resp = { 0 };
    _cleanup_err_ crio_err *probe_err = NULL;
    if (reg_http_perform(c, &req, &resp, &probe_err) < 0) {
      free(base);
      base = xasprintf("http://%s", c->api_host);
    }
    reg_response_clear(&resp);
  }
  pthread_mutex_lock(&c->lock);
  if (!c->base)
    c->base = base;
  else
    free(base);
  *out = xstrdup(c->base);
  pthread_mutex_unlock(&c->lock);
  return 0;
}

int reg_send(registry_client *c, reg_request *req, reg_response *resp, crio_err **err)
{
  for (int round = 0;; round++) {
    _cleanup_free_ char *auth = NULL;
    int r = reg_auth_header(c, req, &auth, err);
    if (r < 0)
      return r;
    req->auth_header = auth;
    reg_response_clear(resp);
    r = reg_http_perform(c, req, resp, err);
    req->auth_header = NULL;
    if (r < 0 || resp->status != 401 || round == 1)
      return r;
    r = reg_auth_challenged(c, req, resp, err);
    if (r < 0)
      return r;
  }
}

/* " (CODE: message; ...)" from a registry's JSON error body, or its first line. */
static char *error_detail(const reg_response *resp)
{
  if (!resp->body.len)
    return xstrdup("");
  strbuf b = STRBUF_INIT;
  json_t *j = json_loadb(resp->body.data, resp->body.len, 0, NULL);
  json_t *errors = json_object_get(j, "errors");
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    strbuf_printf(&b, "%s%s%s%s", b.len ? "; " : "", code ? code : "", code && msg ? ": " : "",
                  msg ? msg : "");
  }
  json_decref(j);
  if (b.len == 0) {
    size_t n = strcspn(resp->body.data, "\r\n");
    strbuf_append(&b, resp->body.data, n > 200 ? 200 : n);
  }
  char *d = b.len ? xasprintf(" (%s)", b.data) : xstrdup("");
  strbuf_free(&b);
  return d;
}

int reg_status_error(registry_client *c, const reg_response *resp, const char *what,
                     crio_err **err)
{
  _cleanup_free_ char *d = error_detail(resp);
  long s = resp->status;
  if (s == 401)
    return crio_err_set(err, CRIO_E_UNAUTHORIZED, "authentication to %s failed: %s: HTTP 401%s",
                        c->host, what, d);
  if (s == 403)
    return crio_err_set(err, CRIO_E_UNAUTHORIZED, "%s: access denied by %s: HTTP 403%s", what,
                        c->host, d);
  if (s == 404)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "%s not found", what);
  if (s == 413)
    return crio_err_set(err, CRIO_E_TOO_LARGE, "%s: HTTP 413 from %s%s", what, c->host, d);
  if (s == 408 || s == 429 || s >= 500)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "%s: HTTP %ld from %s after %d attempt%s%s",
                        what, s, c->host, resp->attempts, resp->attempts == 1 ? "" : "s", d);
  return crio_err_set(err, CRIO_E_INVALID, "%s: HTTP %ld from %s%s", what, s, c->host, d);
}

int registry_ping(registry_client *c, crio_err **err)
{
  _cleanup_free_ char *base = NULL;
  int r = reg_base(c, &base, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *url = xasprintf("%s/v2/", base);
  reg_request req = { .method = "GET", .url = url };
  reg_response resp = { 0 };
  r = reg_send(c, &req, &resp, err);
  if (r == 0 && resp.status == 404)
    r = crio_err_set(err, CRIO_E_UNAVAILABLE,
                     "%s does not serve the registry API v2: GET %s: HTTP 404", c->host, url);
  else if (r == 0 && resp.status != 200) {
    _cleanup_free_ char *what = xasprintf("GET %s", url);
    r = reg_status_error(c, &resp, what, err);
  }
  reg_response_clear(&resp);
  return r;
}

/* ----------------------------------------------------- digests and names */

static const EVP_MD *md_of(const char *digest)
{
  if (digest && strncmp(digest, "sha512:", 7) == 0)
    return EVP_sha512();
  return EVP_sha256();
}

int reg_digest_check(const char *digest, crio_err **err)
{
  size_t want = 0;
  if (digest && strncmp(digest, "sha256:", 7) == 0)
    want = 64;
  else if (digest && strncmp(digest, "sha512:", 7) == 0)
    want = 128;
  const char *hex = digest ? digest + 7 : "";
  if (!want || strlen(hex) != want || strspn(hex, "0123456789abcdef") != want)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid digest \"%s\": want sha256:<64 hex digits> or sha512:<128>",
                        digest ? digest : "");
  return 0;
}

void reg_hash_init(reg_hash *h, const char *like_digest)
{
  const EVP_MD *md = md_of(like_digest);
  h->alg = md == EVP_sha512() ? "sha512" : "sha256";
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
    abort();  /* out of memory, like xmalloc */
}

void reg_hash_update(reg_hash *h, const void *data, size_t len)
{
  EVP_DigestUpdate(h->ctx, data, len);
}

char *reg_hash_final(reg_hash *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  reg_hash_release(h);
  char *out = xmalloc(strlen(h->alg) + 2 + 2 * n);
  char *p = out + sprintf(out, "%s:", h->alg);
  for (unsigned int i = 0; i < n; i++)
    p += sprintf(p, "%02x", md[i]);
  return out;
}

void reg_hash_release(reg_hash *h)
{
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
}

char *reg_digest_of(const char *like_digest, const void *data, size_t len)
{
  reg_hash h;
  reg_hash_init(&h, like_digest);
  reg_hash_update(&h, data, len);
  return reg_hash_final(&h);
}

static bool component_ok(const char *s, size_t n)
{
  if (n == 0 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) ||
      !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", s[i]) || !s[i])
      return false;
  return true;
}

int reg_repo_check(const registry_client *c, const char *repo, crio_err **err)
{
  bool ok = repo && *repo && strlen(repo) <= 255;
  for (const char *p = repo; ok && *p;) {
    size_t n = strcspn(p, "/");
    ok = component_ok(p, n);
    p += n;
    if (*p == '/' && !*++p)
      ok = false;
  }
  if (!ok)
    return crio_err_set(err, CRIO_E_INVALID, "invalid repository name \"%s\" on %s",
                        repo ? repo : "", c->host);
  return 0;
}

int reg_ref_check(const registry_client *c, const char *repo, const char *ref, crio_err **err)
{
  if (ref && strchr(ref, ':'))
    return reg_digest_check(ref, err);
  size_t n = ref ? strlen(ref) : 0;
  bool ok = n > 0 && n <= 128 && ref[0] != '.' && ref[0] != '-' &&
            strspn(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
  if (!ok)
    return crio_err_set(err, CRIO_E_INVALID, "invalid tag \"%s\" for %s/%s", ref ? ref : "",
                        c->host, repo);
  return 0;
}

char *reg_ref_name(const registry_client *c, const char *repo, const char *ref)
{
  return xasprintf("%s/%s%s%s", c->host, repo, strchr(ref, ':') ? "@" : ":", ref);
}

int reg_url(registry_client *c, const char *repo, const char *rest, char **out, crio_err **err)
{
  _cleanup_free_ char *base = NULL;
  int r = reg_base(c, &base, err);
  if (r < 0)
    return r;
  *out = xasprintf("%s/v2/%s/%s", base, repo, rest);
  return 0;
}
