/* registries.conf (containers-registries.conf(5), version 2): loading with
 * type checks against the user's file, then prefix matching and location
 * rewriting to find the endpoints of a reference. */
#include "server/image/registries_conf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/toml.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef enum { PULL_ALL, PULL_DIGEST_ONLY, PULL_TAG_ONLY } pull_from;

typedef struct {
  char *location;
  bool insecure;
  pull_from pull;
} reg_mirror;

typedef struct {
  char *prefix;    /* never NULL: location when not written */
  char *location;  /* NULL only for a *.example.com prefix without one */
  bool insecure, blocked, digest_only;
  reg_mirror *mirrors;
  size_t n_mirrors;
} reg_entry;

struct registries_conf {
  char *path;
  char **search;
  size_t n_search;
  short_name_mode mode;
  reg_entry *regs;
  size_t n_regs;
};

typedef struct {
  const char *file;
  crio_err **err;
} load_ctx;

/* ---- loading ---- */

/* "FILE:LINE:COL: key: why", at the value v. */
__attribute__((format(printf, 4, 5))) static int bad_value(load_ctx *c, const char *key,
                                                           const toml_value *v, const char *fmt,
                                                           ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *why = xvasprintf(fmt, ap);
  va_end(ap);
  return crio_err_set(c->err, CRIO_E_INVALID, "%s:%d:%d: %s: %s", c->file, v->line, v->col, key,
                      why);
}

static int type_error(load_ctx *c, const char *key, const toml_value *v, const char *want)
{
  return bad_value(c, key, v, "expected %s, got %s", want, toml_type_name(v->type));
}

/* *out is the string at key of tbl, or stays NULL when key is absent. */
static int get_string(load_ctx *c, const toml_value *tbl, const char *key, const char *name,
                      const toml_value **out)
{
  const toml_value *v = toml_table_get(tbl, key);
  if (v && v->type != TOML_STRING)
    return type_error(c, name, v, "a string");
  *out = v;
  return 0;
}

static int get_bool(load_ctx *c, const toml_value *tbl, const char *key, const char *name,
                    bool *out)
{
  const toml_value *v = toml_table_get(tbl, key);
  if (v && v->type != TOML_BOOLEAN)
    return type_error(c, name, v, "a boolean");
  if (v)
    *out = v->b;
  return 0;
}

/* An array of tables ([[registry]] or registry = [{...}]); *out NULL when absent. */
static int get_tables(load_ctx *c, const toml_value *tbl, const char *key, const char *name,
                      const toml_value **out)
{
  const toml_value *v = toml_table_get(tbl, key);
  *out = NULL;
  if (!v)
    return 0;
  if (v->type != TOML_ARRAY)
    return type_error(c, name, v, "an array of tables");
  for (size_t i = 0; i < v->n_items; i++)
    if (v->items[i]->type != TOML_TABLE)
      return type_error(c, name, v->items[i], "a table");
  *out = v;
  return 0;
}

/* prefix and location: host[:port][/path...], trailing '/' dropped, no
 * URI scheme; *out stays NULL when absent or empty. */
static int get_location(load_ctx *c, const toml_value *tbl, const char *key, const char *name,
                        char **out)
{
  const toml_value *v = NULL;
  int r = get_string(c, tbl, key, name, &v);
  if (r < 0 || !v)
    return r;
  size_t n = strlen(v->s);
  while (n > 0 && v->s[n - 1] == '/')
    n--;
  if (n == 0)
    return 0;
  if (strncmp(v->s, "http://", 7) == 0 || strncmp(v->s, "https://", 8) == 0)
    return bad_value(c, name, v, "\"%s\": URI schemes are not supported", v->s);
  *out = xstrndup(v->s, n);
  return 0;
}

static int load_search(load_ctx *c, const toml_value *root, registries_conf *conf)
{
  const char *name = "unqualified-search-registries";
  const toml_value *v = toml_table_get(root, name);
  if (!v)
    return 0;
  if (v->type != TOML_ARRAY)
    return type_error(c, name, v, "an array of strings");
  free(conf->search);
  conf->search = xzalloc((v->n_items + 1) * sizeof *conf->search);
  for (size_t i = 0; i < v->n_items; i++) {
    const toml_value *item = v->items[i];
    if (item->type != TOML_STRING)
      return type_error(c, name, item, "a string");
    _cleanup_free_ char *host = xstrdup(item->s);
    size_t n = strlen(host);
    while (n > 0 && host[n - 1] == '/')
      host[--n] = '\0';
    if (!image_ref_domain_valid(host))
      return bad_value(c, name, item, "\"%s\" is not a registry host[:port]", item->s);
    conf->search[conf->n_search++] = steal_pointer(&host);
  }
  return 0;
}

static int load_mode(load_ctx *c, const toml_value *root, registries_conf *conf)
{
  static const char *const modes[] = { "permissive", "enforcing", "disabled" };
  const toml_value *v = NULL;
  int r = get_string(c, root, "short-name-mode", "short-name-mode", &v);
  if (r < 0 || !v || !*v->s)
    return r;
  for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
    if (strcmp(v->s, modes[i]) == 0) {
      conf->mode = (short_name_mode) i;
      return 0;
    }
  return bad_value(c, "short-name-mode", v,
                   "\"%s\" is not one of \"enforcing\", \"permissive\", \"disabled\"", v->s);
}

static int load_mirror(load_ctx *c, const toml_value *tbl, bool digest_only, reg_mirror *m)
{
  int r = get_location(c, tbl, "location", "registry.mirror.location", &m->location);
  if (r == 0)
    r = get_bool(c, tbl, "insecure", "registry.mirror.insecure", &m->insecure);
  const toml_value *pull = NULL;
  if (r == 0)
    r = get_string(c, tbl, "pull-from-mirror", "registry.mirror.pull-from-mirror", &pull);
  if (r < 0)
    return r;
  if (!m->location)
    return bad_value(c, "registry.mirror", tbl, "location is not set");
  if (!pull || !*pull->s || strcmp(pull->s, "all") == 0)
    return 0;
  const char *name = "registry.mirror.pull-from-mirror";
  if (strcmp(pull->s, "digest-only") != 0 && strcmp(pull->s, "tag-only") != 0)
    return bad_value(c, name, pull, "\"%s\" is not one of \"all\", \"digest-only\", \"tag-only\"",
                     pull->s);
  if (digest_only)
    return bad_value(c, name, pull, "cannot be used with mirror-by-digest-only = true");
  m->pull = pull->s[0] == 'd' ? PULL_DIGEST_ONLY : PULL_TAG_ONLY;
  return 0;
}

/* prefix and location together: one of them set, a wildcard prefix well formed. */
static int check_prefix(load_ctx *c, const toml_value *tbl, reg_entry *e)
{
  if (!e->prefix && !e->location)
    return bad_value(c, "registry", tbl, "neither prefix nor location is set");
  if (!e->prefix) {
    e->prefix = xstrdup(e->location);
    return 0;
  }
  const toml_value *pv = toml_table_get(tbl, "prefix");
  if (strncmp(e->prefix, "*.", 2) != 0) {
    if (!e->location)
      return bad_value(c, "registry", tbl,
                       "location is not set and prefix \"%s\" is not of the form *.example.com",
                       e->prefix);
    return 0;
  }
  if (e->prefix[2] == '\0' || strpbrk(e->prefix + 2, "/@:*"))
    return bad_value(c, "registry.prefix", pv,
                     "wildcard prefix \"%s\" must be of the form *.example.com", e->prefix);
  return 0;
}

static int load_registry(load_ctx *c, const toml_value *tbl, reg_entry *e)
{
  int r = get_location(c, tbl, "prefix", "registry.prefix", &e->prefix);
  if (r == 0)
    r = get_location(c, tbl, "location", "registry.location", &e->location);
  if (r == 0)
    r = get_bool(c, tbl, "insecure", "registry.insecure", &e->insecure);
  if (r == 0)
    r = get_bool(c, tbl, "blocked", "registry.blocked", &e->blocked);
  if (r == 0)
    r = get_bool(c, tbl, "mirror-by-digest-only", "registry.mirror-by-digest-only",
                 &e->digest_only);
  if (r == 0)
    r = check_prefix(c, tbl, e);
  const toml_value *mirrors = NULL;
  if (r == 0)
    r = get_tables(c, tbl, "mirror", "registry.mirror", &mirrors);
  if (r < 0 || !mirrors)
    return r;
  e->mirrors = xzalloc(mirrors->n_items * sizeof *e->mirrors);
  for (size_t i = 0; i < mirrors->n_items; i++) {
    r = load_mirror(c, mirrors->items[i], e->digest_only, &e->mirrors[e->n_mirrors++]);
    if (r < 0)
      return r;
  }
  return 0;
}

static int load_document(load_ctx *c, const toml_value *root, registries_conf *conf)
{
  int r = load_search(c, root, conf);
  if (r == 0)
    r = load_mode(c, root, conf);
  const toml_value *regs = NULL;
  if (r == 0)
    r = get_tables(c, root, "registry", "registry", &regs);
  if (r < 0)
    return r;
  const toml_value *v1 = toml_table_get(root, "registries");
  if (v1 && v1->type == TOML_TABLE)
    log_warn("%s:%d:%d: the version 1 format ([registries.search], [registries.insecure], "
             "[registries.block]) is not supported and is ignored; use version 2",
             c->file, v1->line, v1->col);
  if (!regs)
    return 0;
  conf->regs = xzalloc(regs->n_items * sizeof *conf->regs);
  for (size_t i = 0; i < regs->n_items; i++) {
    r = load_registry(c, regs->items[i], &conf->regs[conf->n_regs++]);
    if (r < 0)
      return r;
  }
  return 0;
}

int registries_conf_load(const char *path, registries_conf **out, crio_err **err)
{
  registries_conf *conf = xzalloc(sizeof *conf);
  conf->path = xstrdup(path);
  conf->search = xzalloc(sizeof *conf->search);
  _cleanup_toml_ toml_value *doc = NULL;
  _cleanup_err_ crio_err *parse_err = NULL;
  int r = toml_parse_file(path, &doc, &parse_err);
  if (r < 0 && parse_err->code == CRIO_E_NOT_FOUND) {
    *out = conf;
    return 0;
  }
  if (r < 0) {
    registries_conf_free(conf);
    return crio_err_set(err, parse_err->code, "%s", parse_err->message);
  }
  load_ctx c = { .file = path, .err = err };
  r = load_document(&c, doc, conf);
  if (r < 0) {
    registries_conf_free(conf);
    return r;
  }
  *out = conf;
  return 0;
}

/* ---- matching and rewriting ---- */

/* How much of the normalized reference full the prefix matches, or 0. */
static size_t prefix_match(const char *prefix, const char *full)
{
  if (strncmp(prefix, "*.", 2) == 0) {
    size_t host = strcspn(full, "/");
    size_t suffix = strlen(prefix + 1);
    return host > suffix && strncasecmp(full + host - suffix, prefix + 1, suffix) == 0 ? host : 0;
  }
  size_t n = strlen(prefix);
  if (strncmp(full, prefix, n) != 0)
    return 0;
  char next = full[n];
  /* "example.com" must not match "example.com:5000/...": ':' only ends a path */
  if (next == '\0' || next == '/' || next == '@' || (next == ':' && strchr(prefix, '/')))
    return n;
  return 0;
}

/* The entry with the longest matching prefix (the first of equals), or NULL. */
static const reg_entry *find_entry(const registries_conf *c, const char *full, size_t *matched)
{
  const reg_entry *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; c && i < c->n_regs; i++) {
    size_t m = prefix_match(c->regs[i].prefix, full);
    if (m && strlen(c->regs[i].prefix) > best_len) {
      best = &c->regs[i];
      best_len = strlen(c->regs[i].prefix);
      *matched = m;
    }
  }
  return best;
}

static bool host_listed(const char *host, char *const *list, size_t n)
{
  size_t hn = strlen(host);
  for (size_t i = 0; i < n; i++) {
    size_t ln = strlen(list[i]);
    while (ln > 0 && list[i][ln - 1] == '/')
      ln--;
    if (ln == hn && strncasecmp(list[i], host, hn) == 0)
      return true;
  }
  return false;
}

/* location + what follows the matched prefix in full, split into host and
 * repository path (tag and digest dropped). */
static int rewrite(const char *location, const char *full, size_t matched, registry_endpoint *ep,
                   crio_err **err)
{
  _cleanup_free_ char *s = xasprintf("%s%s", location, full + matched);
  char *slash = strchr(s, '/');
  if (slash) {
    *slash = '\0';
    slash[strcspn(slash + 1, "@") + 1] = '\0';
    char *last = strrchr(slash + 1, '/');
    char *colon = strchr(last ? last : slash + 1, ':');
    if (colon)
      *colon = '\0';
  }
  if (!slash || slash[1] == '\0')
    return crio_err_set(err, CRIO_E_INVALID,
                        "registries.conf location \"%s\" for %s leaves no repository path",
                        location, full);
  ep->host = xstrdup(s);
  ep->repo_path = xstrdup(slash + 1);
  return 0;
}

static bool mirror_usable(const reg_entry *e, const reg_mirror *m, const image_ref *ref)
{
  if (e->digest_only && !ref->digest)
    return false;
  return m->pull == PULL_ALL || (m->pull == PULL_DIGEST_ONLY) == (ref->digest != NULL);
}

int registries_conf_endpoints(const registries_conf *c, const image_ref *ref,
                              char *const *extra_insecure, size_t n_extra_insecure,
                              registry_endpoint **out, size_t *n, crio_err **err)
{
  _cleanup_free_ char *full = image_ref_string(ref);
  size_t matched = 0;
  const reg_entry *e = find_entry(c, full, &matched);
  if (e && e->blocked)
    return crio_err_set(err, CRIO_E_INVALID, "registry %s is blocked in %s", e->prefix, c->path);
  size_t cap = 1 + (e ? e->n_mirrors : 0), count = 0;
  registry_endpoint *eps = xzalloc(cap * sizeof *eps);
  int r = 0;
  for (size_t i = 0; e && i < e->n_mirrors && r == 0; i++) {
    if (!mirror_usable(e, &e->mirrors[i], ref))
      continue;
    r = rewrite(e->mirrors[i].location, full, matched, &eps[count], err);
    eps[count].insecure = e->mirrors[i].insecure;
    eps[count++].is_mirror = true;
  }
  if (r == 0 && e && e->location) {
    r = rewrite(e->location, full, matched, &eps[count], err);
    eps[count++].insecure = e->insecure;
  } else if (r == 0) {
    eps[count].host = xstrdup(ref->domain);
    eps[count].repo_path = xstrdup(ref->path);
    eps[count++].insecure = e && e->insecure;
  }
  if (r < 0) {
    registry_endpoints_free(eps, count);
    return r;
  }
  for (size_t i = 0; i < count; i++)
    eps[i].insecure = eps[i].insecure || host_listed(eps[i].host, extra_insecure, n_extra_insecure);
  *out = eps;
  *n = count;
  return 0;
}

void registry_endpoints_free(registry_endpoint *e, size_t n)
{
  for (size_t i = 0; e && i < n; i++) {
    free(e[i].host);
    free(e[i].repo_path);
  }
  free(e);
}

/* ---- access and freeing ---- */

const char *const *registries_conf_search(const registries_conf *c, size_t *n)
{
  static const char *const none[] = { NULL };
  *n = c ? c->n_search : 0;
  return c ? (const char *const *) c->search : none;
}

short_name_mode registries_conf_short_name_mode(const registries_conf *c)
{
  return c ? c->mode : SHORT_NAME_MODE_PERMISSIVE;
}

void registries_conf_free(registries_conf *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n_search; i++)
    free(c->search[i]);
  free(c->search);
  for (size_t i = 0; i < c->n_regs; i++) {
    reg_entry *e = &c->regs[i];
    for (size_t k = 0; k < e->n_mirrors; k++)
      free(e->mirrors[k].location);
    free(e->mirrors);
    free(e->prefix);
    free(e->location);
  }
  free(c->regs);
  free(c->path);
  free(c);
}
