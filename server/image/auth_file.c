#include "auth_file.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Serializes read-modify-write cycles of this process (write_file_atomic's
 * temporary name is per process, not per thread). */
static pthread_mutex_t auth_file_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void cleanup_json_ptr(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_authjson_ __attribute__((cleanup(cleanup_json_ptr)))

int auth_file_default_path(char **out)
{
  const char *env = getenv("REGISTRY_AUTH_FILE");
  if (env && *env) {
    *out = xstrdup(env);
    return 0;
  }
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg)
    *out = path_join(xdg, "containers/auth.json");
  else
    *out = xasprintf("/run/containers/%u/auth.json", (unsigned) getuid());
  return 0;
}

static char *resolve_path(const char *path)
{
  char *p = NULL;
  if (path && *path)
    return xstrdup(path);
  auth_file_default_path(&p);
  return p;
}

/* A key or query in comparable form: scheme and legacy URL path dropped,
 * Docker Hub's host aliases mapped to docker.io. */
static char *normalize_key(const char *key)
{
  bool had_scheme = false;
  if (strncmp(key, "https://", 8) == 0) {
    key += 8;
    had_scheme = true;
  } else if (strncmp(key, "http://", 7) == 0) {
    key += 7;
    had_scheme = true;
  }
  size_t host_len = strcspn(key, "/");
  const char *rest = had_scheme ? "" : key + host_len;
  const char *host = key;
  if ((host_len == 15 && strncmp(key, "index.docker.io", 15) == 0) ||
      (host_len == 20 && strncmp(key, "registry-1.docker.io", 20) == 0)) {
    host = "docker.io";
    host_len = 9;
  }
  char *n = xasprintf("%.*s%s", (int) host_len, host, rest);
  size_t len = strlen(n);
  while (len > 0 && n[len - 1] == '/')
    n[--len] = '\0';
  return n;
}

/* The parsed file; a missing file gives *root = NULL and 0. */
static int load(const char *path, json_t **root, crio_err **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_err_ crio_err *rerr = NULL;
  *root = NULL;
  if (read_file(path, &text, &len, &rerr) < 0) {
    if (rerr->code == CRIO_E_NOT_FOUND)
      return 0;
    return crio_err_set(err, rerr->code, "read auth file: %s", rerr->message);
  }
  json_error_t jerr;
  json_t *j = json_loadb(text, len, 0, &jerr);
  if (!j)
    return crio_err_set(err, CRIO_E_INVALID, "parse auth file %s: line %d: %s", path, jerr.line,
                        jerr.text);
  if (!json_is_object(j)) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_INVALID, "parse auth file %s: not a JSON object", path);
  }
  json_t *auths = json_object_get(j, "auths");
  if (auths && !json_is_object(auths)) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_INVALID, "parse auth file %s: \"auths\" is not an object",
                        path);
  }
  *root = j;
  return 0;
}

static int decode_auth(const char *path, const char *key, const char *b64, char **user,
                       char **pass, crio_err **err)
{
  size_t n = strlen(b64);
  _cleanup_free_ unsigned char *raw = xmalloc(n / 4 * 3 + 4);
  int len = n ? EVP_DecodeBlock(raw, (const unsigned char *) b64, (int) n) : 0;
  if (len < 0 || n % 4 != 0)
    return crio_err_set(err, CRIO_E_INVALID, "auth file %s: entry %s: auth is not base64", path,
                        key);
  for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
    len--;  /* EVP_DecodeBlock counts padding as zero bytes */
  raw[len] = '\0';
  char *colon = memchr(raw, ':', (size_t) len);
  if (!colon || colon == (char *) raw || memchr(raw, '\0', (size_t) len))
    return crio_err_set(err, CRIO_E_INVALID,
                        "auth file %s: entry %s: auth is not base64 of \"user:password\"", path,
                        key);
  *user = xstrndup((char *) raw, (size_t) (colon - (char *) raw));
  *pass = xstrdup(colon + 1);
  return 0;
}

/* The entry whose normalized key equals want, or NULL. */
static json_t *find_entry(json_t *auths, const char *want, const char **key_out)
{
  const char *key;
  json_t *val;
  json_object_foreach(auths, key, val) {
    _cleanup_free_ char *n = normalize_key(key);
    if (strcmp(n, want) == 0 && json_is_object(val)) {
      *key_out = key;
      return val;
    }
  }
  return NULL;
}

int auth_file_get(const char *path, const char *host_or_repo, char **user, char **pass,
                  crio_err **err)
{
  *user = *pass = NULL;
  _cleanup_free_ char *file = resolve_path(path);
  _cleanup_authjson_ json_t *root = NULL;
  int r = load(file, &root, err);
  if (r < 0 || !root)
    return r;
  json_t *auths = json_object_get(root, "auths");
  if (!auths)
    return 0;
  _cleanup_free_ char *want = normalize_key(host_or_repo);
  for (;;) {
    const char *key = NULL;
    json_t *entry = find_entry(auths, want, &key);
    const char *b64 = entry ? json_string_value(json_object_get(entry, "auth")) : NULL;
    if (b64 && *b64)
      return decode_auth(file, key, b64, user, pass, err);
    char *slash = strrchr(want, '/');
    if (!slash)
      return 0;
    *slash = '\0';
  }
}

static int store(const char *path, json_t *root, crio_err **err)
{
  _cleanup_free_ char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    int r = mkdir_p(dir, 0700, err);
    if (r < 0)
      return crio_err_wrap(err, "write auth file %s", path);
  }
  _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(1));
  if (!text)
    return crio_err_set(err, CRIO_E_INTERNAL, "serialize auth file %s", path);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_printf(&b, "%s\n", text);
  return write_file_atomic(path, b.data, b.len, 0600, err);
}

static int validate_key(const char *host, crio_err **err)
{
  if (!host || !*host || strchr(host, ' ') || strstr(host, "://"))
    return crio_err_set(err, CRIO_E_INVALID, "invalid registry \"%s\" for auth file: want "
                        "HOST[:PORT][/NAMESPACE]", host ? host : "");
  return 0;
}

static int set_locked(const char *file, const char *host, const char *user, const char *pass,
                      crio_err **err)
{
  _cleanup_authjson_ json_t *root = NULL;
  int r = load(file, &root, err);
  if (r < 0)
    return r;
  if (!root)
    root = json_object();
  json_t *auths = json_object_get(root, "auths");
  if (!auths) {
    auths = json_object();
    json_object_set_new(root, "auths", auths);
  }
  _cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
  size_t n = strlen(plain);
  _cleanup_free_ char *b64 = xmalloc((n + 2) / 3 * 4 + 1);
  EVP_EncodeBlock((unsigned char *) b64, (const unsigned char *) plain, (int) n);
  json_object_set_new(auths, host, json_pack("{s:s}", "auth", b64));
  return store(file, root, err);
}

int auth_file_set(const char *path, const char *host, const char *user, const char *pass,
                  crio_err **err)
{
  int r = validate_key(host, err);
  if (r < 0)
    return r;
  if (!user || !*user || strchr(user, ':'))
    return crio_err_set(err, CRIO_E_INVALID, "invalid user name \"%s\" for %s: empty or "
                        "contains ':'", user ? user : "", host);
  _cleanup_free_ char *file = resolve_path(path);
  pthread_mutex_lock(&auth_file_lock);
  r = set_locked(file, host, user, pass ? pass : "", err);
  pthread_mutex_unlock(&auth_file_lock);
  return r;
}

static int remove_locked(const char *file, const char *host, crio_err **err)
{
  _cleanup_authjson_ json_t *root = NULL;
  int r = load(file, &root, err);
  if (r < 0)
    return r;
  json_t *auths = root ? json_object_get(root, "auths") : NULL;
  _cleanup_free_ char *want = normalize_key(host);
  bool removed = false;
  const char *key = NULL;
  while (auths && find_entry(auths, want, &key)) {
    json_object_del(auths, key);
    removed = true;
  }
  if (!removed)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "not logged in to %s", host);
  return store(file, root, err);
}

int auth_file_remove(const char *path, const char *host, crio_err **err)
{
  int r = validate_key(host, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *file = resolve_path(path);
  pthread_mutex_lock(&auth_file_lock);
  r = remove_locked(file, host, err);
  pthread_mutex_unlock(&auth_file_lock);
  return r;
}

int auth_file_remove_all(const char *path, crio_err **err)
{
  _cleanup_free_ char *file = resolve_path(path);
  pthread_mutex_lock(&auth_file_lock);
  _cleanup_authjson_ json_t *root = NULL;
  int r = load(file, &root, err);
  if (r == 0 && root) {
    json_object_set_new(root, "auths", json_object());
    r = store(file, root, err);
  }
  pthread_mutex_unlock(&auth_file_lock);
  return r;
}
