/* The engine: the one API of the daemon's core. Every face (REST, CRI)
 * translates its protocol into these calls and back; the engine knows no
 * wire format.
 *
 * Thread-safety: every function may be called from any thread at the same
 * time; the engine serializes what must be serialized. */
#ifndef CRIO_ENGINE_H
#define CRIO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "util/err.h"

typedef struct engine engine;

typedef struct engine_version {
  const char *name;         /* "crio-c" */
  const char *version;      /* "0.1.0" */
  const char *api_version;  /* "v1" */
  const char *git_commit;
  const char *os;           /* "linux" */
  const char *arch;         /* GOARCH spelling: "amd64", "arm64" */
} engine_version;

typedef struct engine_info {
  engine_version version;
  /* host */
  char *hostname;
  char *kernel;
  long cpus;
  uint64_t memory_total;
  int cgroup_version;
  bool cgroup_hybrid;
  const char *cgroup_manager;
  /* OCI runtime and conmon; path and version are NULL when not found */
  char *runtime_name;
  char *runtime_path;
  char *runtime_version;
  char *conmon_path;
  char *conmon_version;
  /* storage */
  char *storage_driver;
  char *root;
  char *runroot;
  char *database;
  /* image and network configuration */
  char *registries_conf;
  char **insecure_registries;
  size_t n_insecure_registries;
  char *network_dir;
  char **plugin_dirs;
  size_t n_plugin_dirs;
  /* what exists */
  int64_t pods;
  int64_t containers;
  int64_t running;
  int64_t images;
} engine_info;

/* Opens (creating) the state under cfg->root and cfg->runroot. The engine
 * keeps its own copy of cfg. */
int engine_open(const crio_config *cfg, engine **out, crio_err **err);
void engine_close(engine *e);

/* Takes the reloadable parts of cfg (log level, registries, network and
 * runtime tables) and probes the external programs again. */
int engine_reload(engine *e, const crio_config *cfg, crio_err **err);

void engine_version_get(engine_version *out);
int engine_info_get(engine *e, engine_info *out, crio_err **err);
void engine_info_clear(engine_info *info);

#endif
