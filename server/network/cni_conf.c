/* Loading CNI network configurations: .conf (one plugin), .conflist and
 * .json files of a directory, picked as CRI-O picks its default network. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CNI_DEFAULT_VERSION "0.1.0"

bool cni_name_valid(const char *s)
{
  if (!s || !isalnum((unsigned char) s[0]))
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return strlen(s) <= 255;
}

bool cni_version_at_least(const char *v, int major, int minor)
{
  int ma = 0, mi = 0;
  if (!v || sscanf(v, "%d.%d", &ma, &mi) < 1)
    return false;
  return ma > major || (ma == major && mi >= minor);
}

static bool version_valid(const char *v)
{
  int ma, mi, pa;
  char extra;
  return sscanf(v, "%d.%d.%d%c", &ma, &mi, &pa, &extra) == 3 && ma >= 0 && mi >= 0 && pa >= 0;
}

/* A plugin type is an executable's file name: no path, no leading dot. */
static bool type_valid(const char *t)
{
  if (!t || !*t || t[0] == '.' || strlen(t) > 255)
    return false;
  for (const char *p = t; *p; p++)
    if (!isalnum((unsigned char) *p) && !strchr("_.+-", *p))
      return false;
  return true;
}

/* A single-plugin config as a list of one, as libcni's ConfListFromConf. */
static json_t *wrap_single(json_t *conf)
{
  json_t *list = json_object();
  json_t *v;
  if ((v = json_object_get(conf, "cniVersion")))
    json_object_set_new(list, "cniVersion", json_deep_copy(v));
  if ((v = json_object_get(conf, "name")))
    json_object_set_new(list, "name", json_deep_copy(v));
  json_t *plugins = json_array();
  json_array_append_new(plugins, json_deep_copy(conf));
  json_object_set_new(list, "plugins", plugins);
  return list;
}

static int check_plugins(json_t *plugins, const char *origin, crio_err **err)
{
  if (!json_is_array(plugins) || json_array_size(plugins) == 0)
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: \"plugins\" is not a non-empty list",
                        origin);
  size_t i;
  json_t *p;
  json_array_foreach(plugins, i, p) {
    if (!json_is_object(p))
      return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: plugin %zu is not an object",
                          origin, i);
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!type_valid(type))
      return crio_err_set(err, CRIO_E_INVALID,
                          "CNI config %s: plugin %zu has a missing or invalid \"type\"", origin, i);
    json_t *caps = json_object_get(p, "capabilities");
    if (caps && !json_is_object(caps))
      return crio_err_set(err, CRIO_E_INVALID,
                          "CNI config %s: plugin %s: \"capabilities\" is not an object", origin,
                          type);
  }
  return 0;
}

static int parse_disable_check(json_t *v, const char *origin, bool *out, crio_err **err)
{
  const char *s = json_string_value(v);
  if (!v || json_is_false(v) || (s && strcmp(s, "false") == 0))
    *out = false;
  else if (json_is_true(v) || (s && strcmp(s, "true") == 0))
    *out = true;
  else
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: \"disableCheck\" is not a boolean",
                        origin);
  return 0;
}

int cni_network_from_json(json_t *conf, const char *origin, cni_network **out, crio_err **err)
{
  if (!json_is_object(conf))
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: not a JSON object", origin);
  _cleanup_cni_json_ json_t *list = NULL;
  if (json_object_get(conf, "plugins"))
    list = json_deep_copy(conf);
  else if (json_object_get(conf, "type"))
    list = wrap_single(conf);
  else
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: neither \"plugins\" nor \"type\"",
                        origin);
  const char *name = json_string_value(json_object_get(list, "name"));
  if (!cni_name_valid(name))
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: missing or invalid network name",
                        origin);
  json_t *jv = json_object_get(list, "cniVersion");
  const char *version = jv ? json_string_value(jv) : CNI_DEFAULT_VERSION;
  if (!version || !version_valid(version))
    return crio_err_set(err, CRIO_E_INVALID, "CNI config %s: invalid \"cniVersion\"", origin);
  bool disable_check = false;
  int r = check_plugins(json_object_get(list, "plugins"), origin, err);
  if (r == 0)
    r = parse_disable_check(json_object_get(list, "disableCheck"), origin, &disable_check, err);
  if (r < 0)
    return r;
  cni_network *n = xzalloc(sizeof *n);
  n->name = xstrdup(name);
  n->version = xstrdup(version);
  n->disable_check = disable_check;
  n->plugins = json_object_get(list, "plugins");
  n->list = steal_pointer(&list);
  n->path = xstrdup("");
  *out = n;
  return 0;
}

static int conf_ext_filter(const struct dirent *d)
{
  const char *dot = strrchr(d->d_name, '.');
  if (!dot || d->d_name[0] == '.')
    return 0;
  return strcmp(dot, ".conf") == 0 || strcmp(dot, ".conflist") == 0 || strcmp(dot, ".json") == 0;
}

/* Byte order, as Go's sort.Strings in libcni, not the locale's. */
static int name_cmp(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* One file: 1 and *out when it is the network wanted, 0 to go on, < 0 when
 * the named network's file is invalid. */
static int try_file(const char *path, const char *name, cni_network **out, crio_err **err)
{
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
    return 0;
  _cleanup_free_ char *data = NULL;
  _cleanup_err_ crio_err *e = NULL;
  if (read_file(path, &data, NULL, &e) < 0) {
    log_warn("CNI config %s skipped: %s", path, e->message);
    return 0;
  }
  json_error_t jerr;
  _cleanup_cni_json_ json_t *conf = json_loads(data, 0, &jerr);
  if (!conf) {
    log_warn("CNI config %s skipped: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    return 0;
  }
  if (name && !(json_is_object(conf) && json_is_string(json_object_get(conf, "name")) &&
                strcmp(json_string_value(json_object_get(conf, "name")), name) == 0))
    return 0;
  cni_network *n = NULL;
  if (cni_network_from_json(conf, path, &n, name ? err : &e) < 0) {
    if (name)
      return -CRIO_E_INVALID;
    log_warn("CNI config skipped: %s", e->message);
    return 0;
  }
  free(n->path);
  n->path = xstrdup(path);
  *out = n;
  return 1;
}

int cni_network_load(const char *network_dir, const char *name, cni_network **out,
                     crio_err **err)
{
  struct dirent **ents = NULL;
  int count = scandir(network_dir, &ents, conf_ext_filter, name_cmp);
  if (count < 0 && errno != ENOENT && errno != ENOTDIR)
    return crio_err_errno(err, CRIO_E_IO, errno, "read CNI config directory %s", network_dir);
  int r = 0;
  for (int i = 0; i < count; i++) {
    if (r == 0) {
      _cleanup_free_ char *path = path_join(network_dir, ents[i]->d_name);
      r = try_file(path, name, out, err);
    }
    free(ents[i]);
  }
  free(ents);
  if (r < 0)
    return r;
  if (r == 1)
    return 0;
  if (name)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "CNI network %s not found in %s", name,
                        network_dir);
  return crio_err_set(err, CRIO_E_NOT_FOUND, "no CNI network configuration in %s", network_dir);
}

const char *cni_network_name(const cni_network *n)
{
  return n->name;
}

const char *cni_network_version(const cni_network *n)
{
  return n->version;
}

const char *cni_network_path(const cni_network *n)
{
  return n->path;
}

void cni_network_free(cni_network *n)
{
  if (!n)
    return;
  json_decref(n->list);
  free(n->name);
  free(n->version);
  free(n->path);
  free(n);
}
