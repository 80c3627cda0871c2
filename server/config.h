/* crio.conf: the daemon's configuration, its defaults, and its TOML form.
 *
 * The file uses CRI-O's table names ([crio], [crio.api], [crio.runtime],
 * [crio.image], [crio.network], [crio.metrics]). Loading is strict: an
 * unknown key or a value of the wrong type fails with FILE:LINE:COLUMN and
 * the reason. The configuration is the daemon's one global state; it is
 * built once at start (and again on SIGHUP) and then only read. */
#ifndef CRIO_SERVER_CONFIG_H
#define CRIO_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

#define CRIO_DEFAULT_CONFIG "/etc/crio/crio.conf"

typedef struct crio_runtime_handler {
  char *name;          /* the table name: [crio.runtime.runtimes.NAME] */
  char *runtime_path;  /* empty: NAME looked up in PATH */
  char *runtime_type;  /* "oci" */
  char *runtime_root;  /* runtime state directory, passed as --root */
} crio_runtime_handler;

typedef struct crio_config {
  /* [crio] */
  char *root;
  char *runroot;
  char *storage_driver;
  /* [crio.api] */
  char *cri_socket;
  char *api_socket;
  char *listen;         /* TCP HOST:PORT, empty when off */
  char *token_file;     /* bearer token for the TCP listener */
  int64_t max_body_size;
  /* [crio.runtime] */
  char *log_level;
  char *default_runtime;
  char *conmon;
  char *seccomp_profile;  /* the default seccomp profile file; empty: the built-in one */
  crio_runtime_handler *runtimes;
  size_t n_runtimes;
  /* [crio.image] */
  char *registries_conf;
  char *global_auth_file;  /* auth.json for pulls; empty: the default path */
  char *certs_dir;         /* HOST[:PORT]/{ca.crt,client.cert,client.key} */
  char **insecure_registries;
  size_t n_insecure_registries;
  /* [crio.network] */
  char *network_dir;
  char *cni_default_network;  /* empty: the first configuration by file name */
  char **plugin_dirs;
  size_t n_plugin_dirs;
  /* [crio.metrics] */
  bool enable_metrics;
} crio_config;

/* The built-in defaults. */
crio_config *config_new_default(void);
/* Apply a crio.conf file on top of cfg. A missing file is an error only when
 * `required` (it was named with --config). */
int config_load_file(crio_config *cfg, const char *path, bool required, crio_err **err);
/* Checks that hold whatever the source: known log level, storage driver, a
 * default_runtime that has a table, absolute paths, a parsable listen. */
int config_validate(const crio_config *cfg, crio_err **err);
/* The effective configuration as TOML that config_load_file reads back. */
void config_write_toml(const crio_config *cfg, strbuf *out);
/* Add or change [crio.runtime.runtimes.NAME]; NULL leaves a field as it is. */
void config_runtime_set(crio_config *cfg, const char *name, const char *path, const char *type,
                        const char *root);
const crio_runtime_handler *config_runtime(const crio_config *cfg, const char *name);
crio_config *config_copy(const crio_config *cfg);
void config_free(crio_config *cfg);
void cleanup_configp(crio_config **cfg);
#define _cleanup_config_ __attribute__((cleanup(cleanup_configp)))

#endif
