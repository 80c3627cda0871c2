/* CNI ADD, CHECK and DEL of a network configuration list, as the CNI spec
 * describes them: name and cniVersion of the list given to every plugin,
 * prevResult chaining on ADD and the cached ADD result on CHECK and DEL,
 * capability arguments (runtimeConfig) only to plugins that declare them,
 * DEL in reverse order. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cni_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define CNI_DEFAULT_IFNAME "eth0"
#define CNI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* One ADD, CHECK or DEL of one network: what every plugin run shares. */
typedef struct cni_call {
  const cni_network *n;
  const cni_runtime *rt;
  char **paths;       /* each plugin's executable, by index */
  json_t *cap_args;   /* {"portMappings": [...]} */
  char *cni_args;
  char *env[7];       /* CNI_CONTAINERID .. PATH; CNI_COMMAND is added per run */
} cni_call;

static void call_clear(cni_call *c)
{
  for (size_t i = 0; c->paths && i < json_array_size(c->n->plugins); i++)
    free(c->paths[i]);
  free(c->paths);
  json_decref(c->cap_args);
  free(c->cni_args);
  for (size_t i = 0; i < ARRAY_SIZE(c->env); i++)
    free(c->env[i]);
  memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ arguments */

static bool arg_value_valid(const char *v)
{
  for (const unsigned char *p = (const unsigned char *) v; *p; p++)
    if (*p == ';' || *p == '=' || iscntrl(*p))
      return false;
  return true;
}

static int build_cni_args(const cni_runtime *rt, char **out, crio_err **err)
{
  const char *keys[] = { "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID",
                         "K8S_POD_UID" };
  const char *vals[] = { rt->pod_namespace, rt->pod_name, rt->container_id, rt->pod_uid };
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "IgnoreUnknown=1");
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    if (!vals[i])
      continue;
    if (!arg_value_valid(vals[i]))
      return crio_err_set(err, CRIO_E_INVALID, "CNI argument %s %s: ';', '=' or a control character",
                          keys[i], vals[i]);
    strbuf_printf(&b, ";%s=%s", keys[i], vals[i]);
  }
  *out = strbuf_steal(&b);
  return 0;
}

static int port_json(const cni_port_mapping *p, json_t *arr, crio_err **err)
{
  if (p->host_port == 0)
    return 0; /* not published on the host, as CRI-O skips it */
  const char *proto = p->protocol ? p->protocol : "tcp";
  unsigned char buf[sizeof(struct in6_addr)];
  if (p->host_port < 0 || p->host_port > 65535 || p->container_port <= 0 ||
      p->container_port > 65535)
    return crio_err_set(err, CRIO_E_INVALID, "port mapping %d:%d: port out of range", p->host_port,
                        p->container_port);
  if (strcasecmp(proto, "tcp") != 0 && strcasecmp(proto, "udp") != 0 &&
      strcasecmp(proto, "sctp") != 0)
    return crio_err_set(err, CRIO_E_INVALID, "port mapping %d:%d: unknown protocol %s",
                        p->host_port, p->container_port, proto);
  bool has_ip = p->host_ip && *p->host_ip;
  if (has_ip && inet_pton(AF_INET, p->host_ip, buf) != 1 &&
      inet_pton(AF_INET6, p->host_ip, buf) != 1)
    return crio_err_set(err, CRIO_E_INVALID, "port mapping %d:%d: invalid host IP %s",
                        p->host_port, p->container_port, p->host_ip);
  _cleanup_free_ char *lower = xstrdup(proto);
  for (char *q = lower; *q; q++)
    *q = (char) tolower((unsigned char) *q);
  json_t *m = json_pack("{s:i, s:i, s:s}", "hostPort", p->host_port, "containerPort",
                        p->container_port, "protocol", lower);
  if (has_ip)
    json_object_set_new(m, "hostIP", json_string(p->host_ip));
  json_array_append_new(arr, m);
  return 0;
}

static int build_cap_args(const cni_runtime *rt, json_t **out, crio_err **err)
{
  _cleanup_cni_json_ json_t *ports = json_array();
  for (size_t i = 0; i < rt->n_ports; i++) {
    int r = port_json(&rt->ports[i], ports, err);
    if (r < 0)
      return r;
  }
  *out = json_pack("{s:O}", "portMappings", ports);
  return 0;
}

static int check_runtime(const cni_runtime *rt, bool need_netns, crio_err **err)
{
  const char *ifname = rt->ifname ? rt->ifname : CNI_DEFAULT_IFNAME;
  if (!cni_name_valid(rt->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "CNI: invalid container id %s",
                        rt->container_id ? rt->container_id : "(null)");
  if (!*ifname || strlen(ifname) > 15 || strchr(ifname, '/') || strchr(ifname, ':') ||
      strpbrk(ifname, " \t\n"))
    return crio_err_set(err, CRIO_E_INVALID, "CNI: invalid interface name %s for container %s",
                        ifname, rt->container_id);
  if (need_netns && (!rt->netns || rt->netns[0] != '/'))
    return crio_err_set(err, CRIO_E_INVALID, "CNI: container %s needs an absolute netns path",
                        rt->container_id);
  if (!rt->cache_dir || !*rt->cache_dir)
    return crio_err_set(err, CRIO_E_INVALID, "CNI: no cache directory for container %s",
                        rt->container_id);
  return 0;
}

static void build_env(cni_call *c)
{
  const cni_runtime *rt = c->rt;
  _cleanup_strbuf_ strbuf path = STRBUF_INIT;
  for (size_t i = 0; i < rt->n_plugin_dirs; i++)
    strbuf_printf(&path, "%s%s", i ? ":" : "", rt->plugin_dirs[i]);
  const char *host_path = getenv("PATH");
  c->env[0] = xasprintf("CNI_CONTAINERID=%s", rt->container_id);
  c->env[1] = xasprintf("CNI_NETNS=%s", rt->netns ? rt->netns : "");
  c->env[2] = xasprintf("CNI_IFNAME=%s", rt->ifname ? rt->ifname : CNI_DEFAULT_IFNAME);
  c->env[3] = xasprintf("CNI_ARGS=%s", c->cni_args);
  c->env[4] = xasprintf("CNI_PATH=%s", path.len ? path.data : "");
  c->env[5] = xasprintf("PATH=%s", host_path && *host_path ? host_path : CNI_DEFAULT_PATH);
}

/* Validates rt, finds every plugin, and prepares the shared arguments.
 * cache (may be NULL): the ADD's entry, whose portMappings and CNI_ARGS are
 * used when rt gives none, so DEL and CHECK see what ADD saw. */
static int call_init(cni_call *c, const cni_network *n, const cni_runtime *rt, json_t *cache,
                     bool need_netns, crio_err **err)
{
  memset(c, 0, sizeof *c);
  c->n = n;
  c->rt = rt;
  int r = check_runtime(rt, need_netns, err);
  json_t *cached_caps = json_object_get(cache, "capabilityArgs");
  const char *cached_args = json_string_value(json_object_get(cache, "cniArgs"));
  if (r == 0 && rt->n_ports == 0 && json_is_object(cached_caps))
    c->cap_args = json_deep_copy(cached_caps);
  else if (r == 0)
    r = build_cap_args(rt, &c->cap_args, err);
  if (r == 0 && !rt->pod_name && !rt->pod_namespace && cached_args)
    c->cni_args = xstrdup(cached_args);
  else if (r == 0)
    r = build_cni_args(rt, &c->cni_args, err);
  size_t np = json_array_size(n->plugins);
  c->paths = xzalloc(np * sizeof *c->paths);
  for (size_t i = 0; r == 0 && i < np; i++) {
    const char *type = json_string_value(json_object_get(json_array_get(n->plugins, i), "type"));
    r = cni_plugin_find(type, rt->plugin_dirs, rt->n_plugin_dirs, &c->paths[i], err);
    if (r < 0)
      crio_err_wrap(err, "network %s", n->name);
  }
  if (r < 0) {
    call_clear(c);
    return r;
  }
  build_env(c);
  return 0;
}

/* ------------------------------------------------------------ one plugin */

static json_t *plugin_stdin(const cni_call *c, json_t *plugin, json_t *prev)
{
  json_t *conf = json_deep_copy(plugin);
  json_object_set_new(conf, "name", json_string(c->n->name));
  json_object_set_new(conf, "cniVersion", json_string(c->n->version));
  if (prev)
    json_object_set_new(conf, "prevResult", json_deep_copy(prev));
  json_t *caps = json_object_get(plugin, "capabilities");
  json_t *rc = json_object();
  const char *key;
  json_t *on;
  json_object_foreach(caps, key, on) {
    json_t *arg = json_object_get(c->cap_args, key);
    if (json_is_true(on) && arg)
      json_object_set_new(rc, key, json_deep_copy(arg));
  }
  if (json_object_size(rc) > 0)
    json_object_set_new(conf, "runtimeConfig", rc);
  else
    json_decref(rc);
  return conf;
}

/* CNI's well-known codes for a bad config, version or environment. */
static crio_code plugin_code(json_int_t cni_code)
{
  switch (cni_code) {
  case 1: /* incompatible CNI version */
  case 2: /* unsupported field in network configuration */
  case 4: /* invalid necessary environment variables */
  case 6: /* failed to decode content */
  case 7: /* invalid network config */
    return CRIO_E_INVALID;
  default:
    return CRIO_E_UNAVAILABLE;
  }
}

/* The CNI error object a failed plugin printed, or NULL. */
static json_t *error_object(const char *out)
{
  json_t *o = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
  if (json_is_object(o) && json_is_integer(json_object_get(o, "code")) &&
      json_object_get(o, "msg"))
    return o;
  json_decref(o);
  return NULL;
}

static int plugin_error(const cni_call *c, const char *type, const char *command,
                        const cni_exec_out *o, json_t *eo, crio_err **err)
{
  const char *what = c->n->name;
  if (o->timed_out)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "CNI plugin %s (network %s) %s failed: timed out after %d s", type, what,
                        command, c->rt->timeout_s > 0 ? c->rt->timeout_s : CNI_DEFAULT_TIMEOUT_S);
  if (eo) {
    const char *msg = json_string_value(json_object_get(eo, "msg"));
    const char *details = json_string_value(json_object_get(eo, "details"));
    bool has_details = details && *details;
    return crio_err_set(err, plugin_code(json_integer_value(json_object_get(eo, "code"))),
                        "CNI plugin %s (network %s) %s failed: %s%s%s", type, what, command,
                        msg ? msg : "(no message)", has_details ? ": " : "",
                        has_details ? details : "");
  }
  _cleanup_free_ char *tail = xstrdup(o->errout);
  size_t len = strlen(tail);
  while (len > 0 && isspace((unsigned char) tail[len - 1]))
    tail[--len] = '\0';
  const char *nl = strrchr(tail, '\n');
  const char *last = nl ? nl + 1 : tail;
  return crio_err_set(err, CRIO_E_UNAVAILABLE, "CNI plugin %s (network %s) %s failed: %s (exit status %d)",
                      type, what, command, *last ? last : "no error reported",
                      o->exited ? o->exit_code : -1);
}

/* Runs plugin idx with command; on ADD, *result gets what it printed. */
static int run_plugin(const cni_call *c, size_t idx, const char *command, json_t *prev,
                      json_t **result, crio_err **err)
{
  json_t *plugin = json_array_get(c->n->plugins, idx);
  const char *type = json_string_value(json_object_get(plugin, "type"));
  _cleanup_cni_json_ json_t *conf = plugin_stdin(c, plugin, prev);
  _cleanup_free_ char *in = json_dumps(conf, JSON_COMPACT);
  _cleanup_free_ char *cmd = xasprintf("CNI_COMMAND=%s", command);
  char *env[] = { cmd, c->env[0], c->env[1], c->env[2], c->env[3], c->env[4], c->env[5], NULL };
  cni_exec_out o;
  int timeout = c->rt->timeout_s > 0 ? c->rt->timeout_s : CNI_DEFAULT_TIMEOUT_S;
  log_debug("CNI %s %s (network %s) for container %s", command, type, c->n->name,
            c->rt->container_id);
  int r = cni_exec(c->paths[idx], env, in, strlen(in), timeout, &o, err);
  if (r < 0)
    return crio_err_wrap(err, "CNI plugin %s (network %s) %s failed", type, c->n->name, command);
  _cleanup_cni_json_ json_t *eo = error_object(o.out);
  /* Exit status unknown (SIGCHLD ignored): the output decides. */
  if (o.timed_out || (o.exited && o.exit_code != 0) || (!o.exited && eo)) {
    if (*o.errout)
      log_debug("CNI plugin %s stderr: %s", type, o.errout);
    r = plugin_error(c, type, command, &o, eo, err);
  } else if (result) {
    json_error_t jerr;
    *result = json_loads(o.out, 0, &jerr);
    if (!json_is_object(*result)) {
      json_decref(*result);
      *result = NULL;
      r = crio_err_set(err, CRIO_E_UNAVAILABLE,
                       "CNI plugin %s (network %s) %s failed: invalid result: %s", type,
                       c->n->name, command, jerr.text);
    }
  }
  cni_exec_out_clear(&o);
  return r;
}

/* ------------------------------------------------------------ the flows */

/* DEL of the whole list in reverse order; prev NULL: no prevResult. */
static int del_list(const cni_call *c, json_t *prev, bool best_effort, crio_err **err)
{
  if (!cni_version_at_least(c->n->version, 0, 4))
    prev = NULL; /* prevResult on DEL came with CNI 0.4.0 */
  for (size_t i = json_array_size(c->n->plugins); i-- > 0;) {
    _cleanup_err_ crio_err *e = NULL;
    int r = run_plugin(c, i, "DEL", prev, NULL, best_effort ? &e : err);
    if (r < 0 && !best_effort)
      return r;
    if (r < 0)
      log_warn("undo of a failed CNI ADD for container %s: %s", c->rt->container_id, e->message);
  }
  return 0;
}

int cni_add(const cni_network *n, const cni_runtime *rt, cni_result *out, crio_err **err)
{
  cni_call c;
  int r = call_init(&c, n, rt, NULL, true, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *cache = cni_cache_path(rt->cache_dir, n->name, rt->container_id);
  _cleanup_cni_json_ json_t *prev = NULL;
  for (size_t i = 0; r == 0 && i < json_array_size(n->plugins); i++) {
    json_t *res = NULL;
    r = run_plugin(&c, i, "ADD", prev, &res, err);
    if (r == 0) {
      json_decref(prev);
      prev = res;
    }
  }
  if (r == 0)
    r = cni_cache_write(cache, n, rt, c.cni_args, c.cap_args, prev, err);
  if (r < 0) {
    /* As the spec advises: DEL for the whole list, so nothing stays half set up. */
    del_list(&c, prev, true, NULL);
    call_clear(&c);
    return r;
  }
  cni_result_from_json(prev, rt->ifname ? rt->ifname : CNI_DEFAULT_IFNAME, out);
  call_clear(&c);
  return 0;
}

int cni_check(const cni_network *n, const cni_runtime *rt, crio_err **err)
{
  if (n->disable_check)
    return 0;
  if (!cni_version_at_least(n->version, 0, 4))
    return crio_err_set(err, CRIO_E_UNIMPLEMENTED, "CNI network %s: version %s has no CHECK",
                        n->name, n->version);
  int r = check_runtime(rt, true, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = cni_cache_path(rt->cache_dir, n->name, rt->container_id);
  _cleanup_cni_json_ json_t *cache = NULL;
  r = cni_cache_read(path, &cache, err);
  if (r < 0)
    return r;
  json_t *prev = json_object_get(cache, "result");
  if (!json_is_object(prev))
    return crio_err_set(err, CRIO_E_NOT_FOUND,
                        "no CNI result cached for container %s in network %s", rt->container_id,
                        n->name);
  cni_call c;
  r = call_init(&c, n, rt, cache, true, err);
  for (size_t i = 0; r == 0 && i < json_array_size(n->plugins); i++)
    r = run_plugin(&c, i, "CHECK", prev, NULL, err);
  if (c.n)
    call_clear(&c);
  return r;
}

/* DEL of one network with its cache entry (cache may be NULL). */
static int del_one(const cni_network *n, const cni_runtime *rt, json_t *cache, const char *path,
                   crio_err **err)
{
  cni_call c;
  int r = call_init(&c, n, rt, cache, false, err);
  if (r < 0)
    return r;
  r = del_list(&c, json_object_get(cache, "result"), false, err);
  call_clear(&c);
  if (r == 0)
    r = cni_cache_remove(path, err);
  return r;
}

/* The cache entry at cache_dir/<network>/<id>.json with its network. */
static int del_cached(const cni_runtime *rt, const char *network, crio_err **err)
{
  _cleanup_free_ char *path = cni_cache_path(rt->cache_dir, network, rt->container_id);
  _cleanup_cni_json_ json_t *cache = NULL;
  int r = cni_cache_read(path, &cache, err);
  if (r < 0 || !cache)
    return r;
  cni_network *n = NULL;
  _cleanup_free_ char *origin = xasprintf("cache entry %s", path);
  r = cni_network_from_json(json_object_get(cache, "config"), origin, &n, err);
  if (r < 0)
    return r;
  r = del_one(n, rt, cache, path, err);
  cni_network_free(n);
  return r;
}

int cni_del(const cni_network *n, const cni_runtime *rt, crio_err **err)
{
  int r = check_runtime(rt, false, err);
  if (r < 0)
    return r;
  if (n) {
    _cleanup_free_ char *path = cni_cache_path(rt->cache_dir, n->name, rt->container_id);
    _cleanup_cni_json_ json_t *cache = NULL;
    r = cni_cache_read(path, &cache, err);
    return r < 0 ? r : del_one(n, rt, cache, path, err);
  }
  _cleanup_closedir_ DIR *d = opendir(rt->cache_dir);
  if (!d && errno == ENOENT)
    return 0;
  if (!d)
    return crio_err_errno(err, CRIO_E_IO, errno, "open CNI cache %s", rt->cache_dir);
  struct dirent *de;
  while (r == 0 && (de = readdir(d)))
    if (cni_name_valid(de->d_name))
      r = del_cached(rt, de->d_name, err);
  return r;
}
