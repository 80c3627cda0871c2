/* CNI results: what the engine needs of them (addresses, gateways, the
 * sandbox interface's MAC), and the cache of what ADD returned, which CHECK
 * and DEL hand back to the plugins as prevResult. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define CNI_CACHE_KIND "crioCniCacheV1"

static void push(char ***v, size_t *n, const char *s)
{
  *v = xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = xstrdup(s);
}

/* 0.1.0/0.2.0: {"ip4": {"ip": "10.0.0.5/16", "gateway": "10.0.0.1"}, "ip6": ...} */
static void legacy_ips(json_t *result, cni_result *r)
{
  const char *keys[] = { "ip4", "ip6" };
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    json_t *o = json_object_get(result, keys[i]);
    const char *ip = json_string_value(json_object_get(o, "ip"));
    const char *gw = json_string_value(json_object_get(o, "gateway"));
    if (ip)
      push(&r->ips, &r->n_ips, ip);
    if (ip && gw)
      push(&r->gateways, &r->n_gateways, gw);
  }
}

/* The interface in the sandbox named ifname, else the first in a sandbox. */
static const char *sandbox_mac(json_t *ifaces, const char *ifname)
{
  const char *first = NULL;
  size_t i;
  json_t *itf;
  json_array_foreach(ifaces, i, itf) {
    const char *sandbox = json_string_value(json_object_get(itf, "sandbox"));
    const char *name = json_string_value(json_object_get(itf, "name"));
    const char *mac = json_string_value(json_object_get(itf, "mac"));
    if (!sandbox || !*sandbox || !mac)
      continue;
    if (name && ifname && strcmp(name, ifname) == 0)
      return mac;
    if (!first)
      first = mac;
  }
  return first;
}

void cni_result_from_json(json_t *result, const char *ifname, cni_result *r)
{
  json_t *ips = json_object_get(result, "ips");
  if (!ips) {
    legacy_ips(result, r);
  } else {
    size_t i;
    json_t *ip;
    json_array_foreach(ips, i, ip) {
      const char *addr = json_string_value(json_object_get(ip, "address"));
      const char *gw = json_string_value(json_object_get(ip, "gateway"));
      if (addr)
        push(&r->ips, &r->n_ips, addr);
      if (addr && gw)
        push(&r->gateways, &r->n_gateways, gw);
    }
  }
  const char *mac = sandbox_mac(json_object_get(result, "interfaces"), ifname);
  r->mac = xstrdup(mac);
  r->json = json_dumps(result, JSON_COMPACT);
  if (!r->json)
    abort(); /* out of memory, as xmalloc */
}

void cni_result_clear(cni_result *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n_ips; i++)
    free(r->ips[i]);
  for (size_t i = 0; i < r->n_gateways; i++)
    free(r->gateways[i]);
  free(r->ips);
  free(r->gateways);
  free(r->mac);
  free(r->json);
  memset(r, 0, sizeof *r);
}

char *cni_cache_path(const char *cache_dir, const char *network, const char *container_id)
{
  return xasprintf("%s/%s/%s.json", cache_dir, network, container_id);
}

static json_t *str_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

int cni_cache_write(const char *path, const cni_network *n, const cni_runtime *rt,
                    const char *cni_args, json_t *cap_args, json_t *result, crio_err **err)
{
  _cleanup_cni_json_ json_t *o = json_object();
  json_object_set_new(o, "kind", json_string(CNI_CACHE_KIND));
  json_object_set_new(o, "containerId", json_string(rt->container_id));
  json_object_set_new(o, "ifName", str_or_null(rt->ifname ? rt->ifname : "eth0"));
  json_object_set_new(o, "networkName", json_string(n->name));
  json_object_set_new(o, "netns", str_or_null(rt->netns));
  json_object_set_new(o, "cniArgs", json_string(cni_args));
  json_object_set_new(o, "config", json_deep_copy(n->list));
  json_object_set_new(o, "capabilityArgs", json_deep_copy(cap_args));
  json_object_set_new(o, "result", json_deep_copy(result));
  _cleanup_free_ char *data = json_dumps(o, JSON_INDENT(2));
  _cleanup_free_ char *dir = xstrdup(path);
  *strrchr(dir, '/') = '\0';
  int r = mkdir_p(dir, 0700, err);
  if (r == 0)
    r = write_file_atomic(path, data, strlen(data), 0600, err);
  if (r < 0)
    return crio_err_wrap(err, "cache CNI result of container %s in network %s",
                         rt->container_id, n->name);
  return 0;
}

int cni_cache_read(const char *path, json_t **out, crio_err **err)
{
  *out = NULL;
  if (access(path, F_OK) < 0 && errno == ENOENT)
    return 0;
  _cleanup_free_ char *data = NULL;
  int r = read_file(path, &data, NULL, err);
  if (r < 0)
    return r;
  json_error_t jerr;
  json_t *o = json_loads(data, 0, &jerr);
  if (!json_is_object(o) ||
      strcmp(json_string_value(json_object_get(o, "kind")) ?: "", CNI_CACHE_KIND) != 0) {
    json_decref(o);
    return crio_err_set(err, CRIO_E_INVALID, "CNI cache entry %s is not valid", path);
  }
  *out = o;
  return 0;
}

int cni_cache_remove(const char *path, crio_err **err)
{
  if (unlink(path) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove CNI cache entry %s", path);
  _cleanup_free_ char *dir = xstrdup(path);
  *strrchr(dir, '/') = '\0';
  rmdir(dir); /* only succeeds when it was the network's last entry */
  return 0;
}

int cni_cached_result(const char *cache_dir, const char *network, const char *container_id,
                      cni_result *out, crio_err **err)
{
  if (!cache_dir || !cni_name_valid(network) || !cni_name_valid(container_id))
    return crio_err_set(err, CRIO_E_INVALID, "CNI cached result: invalid network or container id");
  _cleanup_free_ char *path = cni_cache_path(cache_dir, network, container_id);
  _cleanup_cni_json_ json_t *c = NULL;
  int r = cni_cache_read(path, &c, err);
  if (r < 0)
    return r;
  json_t *result = json_object_get(c, "result");
  if (!json_is_object(result))
    return crio_err_set(err, CRIO_E_NOT_FOUND, "no CNI result cached for container %s in network %s",
                        container_id, network);
  cni_result_from_json(result, json_string_value(json_object_get(c, "ifName")), out);
  return 0;
}
