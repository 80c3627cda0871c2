#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static char **strv_copy(const char *const *src, size_t n)
{
  char **v = xzalloc((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = xstrdup(src[i]);
  return v;
}

static void strv_free(char **v, size_t n)
{
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void config_runtime_set(crio_config *cfg, const char *name, const char *path, const char *type,
                        const char *root)
{
  crio_runtime_handler *h = NULL;
  for (size_t i = 0; i < cfg->n_runtimes; i++)
    if (strcmp(cfg->runtimes[i].name, name) == 0)
      h = &cfg->runtimes[i];
  if (!h) {
    cfg->runtimes = xrealloc(cfg->runtimes, (cfg->n_runtimes + 1) * sizeof *cfg->runtimes);
    h = &cfg->runtimes[cfg->n_runtimes++];
    h->name = xstrdup(name);
    h->runtime_path = xstrdup("");
    h->runtime_type = xstrdup("oci");
    h->runtime_root = xasprintf("/run/%s", name);
  }
  if (path) {
    free(h->runtime_path);
    h->runtime_path = xstrdup(path);
  }
  if (type) {
    free(h->runtime_type);
    h->runtime_type = xstrdup(type);
  }
  if (root) {
    free(h->runtime_root);
    h->runtime_root = xstrdup(root);
  }
}

crio_config *config_new_default(void)
{
  static const char *const plugin_dirs[] = { "/usr/lib/cni", "/opt/cni/bin" };
  crio_config *cfg = xzalloc(sizeof *cfg);
  cfg->root = xstrdup("/var/lib/crio");
  cfg->runroot = xstrdup("/run/crio");
  cfg->storage_driver = xstrdup("overlay");
  cfg->cri_socket = xstrdup("/run/crio/crio.sock");
  cfg->api_socket = xstrdup("/run/crio/api.sock");
  cfg->listen = xstrdup("");
  cfg->token_file = xstrdup("");
  cfg->max_body_size = 1 << 20;
  cfg->log_level = xstrdup("info");
  cfg->default_runtime = xstrdup("runc");
  cfg->conmon = xstrdup("");
  cfg->seccomp_profile = xstrdup("");
  config_runtime_set(cfg, "runc", "", "oci", "/run/runc");
  cfg->registries_conf = xstrdup("/etc/containers/registries.conf");
  cfg->global_auth_file = xstrdup("");
  cfg->certs_dir = xstrdup("/etc/containers/certs.d");
  cfg->insecure_registries = strv_copy(NULL, 0);
  cfg->network_dir = xstrdup("/etc/cni/net.d");
  cfg->cni_default_network = xstrdup("");
  cfg->plugin_dirs = strv_copy(plugin_dirs, ARRAY_SIZE(plugin_dirs));
  cfg->n_plugin_dirs = ARRAY_SIZE(plugin_dirs);
  cfg->enable_metrics = true;
  return cfg;
}

const crio_runtime_handler *config_runtime(const crio_config *cfg, const char *name)
{
  for (size_t i = 0; i < cfg->n_runtimes; i++)
    if (strcmp(cfg->runtimes[i].name, name) == 0)
      return &cfg->runtimes[i];
  return NULL;
}

static bool is_abs(const char *p)
{
  return p && p[0] == '/';
}

static int validate_listen(const char *listen, crio_err **err)
{
  if (!listen[0])
    return 0;
  const char *colon = strrchr(listen, ':');
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || colon == listen || !end || *end || end == colon + 1 || port < 1 || port > 65535)
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.api.listen: \"%s\" is not HOST:PORT with a port from 1 to 65535",
                        listen);
  return 0;
}

int config_validate(const crio_config *cfg, crio_err **err)
{
  const struct { const char *key; const char *path; } paths[] = {
    { "crio.root", cfg->root },
    { "crio.runroot", cfg->runroot },
    { "crio.api.cri_socket", cfg->cri_socket },
    { "crio.api.api_socket", cfg->api_socket },
    { "crio.network.network_dir", cfg->network_dir },
  };
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
    if (!is_abs(paths[i].path))
      return crio_err_set(err, CRIO_E_INVALID, "%s: \"%s\" is not an absolute path", paths[i].key,
                          paths[i].path);
  if (cfg->seccomp_profile[0] && !is_abs(cfg->seccomp_profile))
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.runtime.seccomp_profile: \"%s\" is not an absolute path",
                        cfg->seccomp_profile);
  if (log_level_parse(cfg->log_level) < 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.runtime.log_level: unknown level \"%s\" (use error, warn, info, "
                        "debug or trace)",
                        cfg->log_level);
  if (strcmp(cfg->storage_driver, "overlay") != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.storage_driver: \"%s\" is not supported (only \"overlay\")",
                        cfg->storage_driver);
  if (!config_runtime(cfg, cfg->default_runtime))
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.runtime.default_runtime: no [crio.runtime.runtimes.%s] table",
                        cfg->default_runtime);
  for (size_t i = 0; i < cfg->n_runtimes; i++)
    if (strcmp(cfg->runtimes[i].runtime_type, "oci") != 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "crio.runtime.runtimes.%s.runtime_type: \"%s\" is not supported "
                          "(only \"oci\")",
                          cfg->runtimes[i].name, cfg->runtimes[i].runtime_type);
  if (cfg->max_body_size < 1024)
    return crio_err_set(err, CRIO_E_INVALID,
                        "crio.api.max_body_size: %lld is below the minimum of 1024 bytes",
                        (long long) cfg->max_body_size);
  return validate_listen(cfg->listen, err);
}

void config_free(crio_config *cfg)
{
  if (!cfg)
    return;
  free(cfg->root);
  free(cfg->runroot);
  free(cfg->storage_driver);
  free(cfg->cri_socket);
  free(cfg->api_socket);
  free(cfg->listen);
  free(cfg->token_file);
  free(cfg->log_level);
  free(cfg->default_runtime);
  free(cfg->conmon);
  free(cfg->seccomp_profile);
  for (size_t i = 0; i < cfg->n_runtimes; i++) {
    free(cfg->runtimes[i].name);
    free(cfg->runtimes[i].runtime_path);
    free(cfg->runtimes[i].runtime_type);
    free(cfg->runtimes[i].runtime_root);
  }
  free(cfg->runtimes);
  free(cfg->registries_conf);
  free(cfg->global_auth_file);
  free(cfg->certs_dir);
  strv_free(cfg->insecure_registries, cfg->n_insecure_registries);
  free(cfg->network_dir);
  free(cfg->cni_default_network);
  strv_free(cfg->plugin_dirs, cfg->n_plugin_dirs);
  free(cfg);
}

void cleanup_configp(crio_config **cfg)
{
  config_free(*cfg);
}

crio_config *config_copy(const crio_config *src)
{
  crio_config *c = xzalloc(sizeof *c);
  c->root = xstrdup(src->root);
  c->runroot = xstrdup(src->runroot);
  c->storage_driver = xstrdup(src->storage_driver);
  c->cri_socket = xstrdup(src->cri_socket);
  c->api_socket = xstrdup(src->api_socket);
  c->listen = xstrdup(src->listen);
  c->token_file = xstrdup(src->token_file);
  c->max_body_size = src->max_body_size;
  c->log_level = xstrdup(src->log_level);
  c->default_runtime = xstrdup(src->default_runtime);
  c->conmon = xstrdup(src->conmon);
  c->seccomp_profile = xstrdup(src->seccomp_profile);
  for (size_t i = 0; i < src->n_runtimes; i++) {
    const crio_runtime_handler *h = &src->runtimes[i];
    config_runtime_set(c, h->name, h->runtime_path, h->runtime_type, h->runtime_root);
  }
  c->registries_conf = xstrdup(src->registries_conf);
  c->global_auth_file = xstrdup(src->global_auth_file);
  c->certs_dir = xstrdup(src->certs_dir);
  c->insecure_registries =
      strv_copy((const char *const *) src->insecure_registries, src->n_insecure_registries);
  c->n_insecure_registries = src->n_insecure_registries;
  c->network_dir = xstrdup(src->network_dir);
  c->cni_default_network = xstrdup(src->cni_default_network);
  c->plugin_dirs = strv_copy((const char *const *) src->plugin_dirs, src->n_plugin_dirs);
  c->n_plugin_dirs = src->n_plugin_dirs;
  c->enable_metrics = src->enable_metrics;
  return c;
}
