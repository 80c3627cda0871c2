/* CNI: wiring a pod's network namespace into a network by running the CNI
 * plugins of a network configuration list, as the CNI spec (v1.0.0, older
 * versions accepted) and CRI-O's libcni do it.
 *
 * A network is loaded from a directory of .conf (one plugin, wrapped as a
 * list), .conflist and .json files. ADD runs the list's plugins in order, each
 * getting the previous one's result as prevResult; the final result is cached
 * under cache_dir/<network>/<container_id>.json (with the config and the
 * arguments used), so that CHECK and DEL hand the plugins exactly what ADD
 * returned, even when the configuration changed or is gone.
 *
 * Plugins run with posix_spawn: stdin is the plugin's config, the environment
 * is only the CNI_* variables and PATH, stdout carries the result or the
 * plugin's error {"code","msg","details"}. No global state: a cni_network is
 * read-only after loading and may be used by several threads at once. */
#ifndef CRIO_NETWORK_CNI_H
#define CRIO_NETWORK_CNI_H

#include <stddef.h>

#include "util/err.h"

/* Default seconds a plugin may run before it is killed. */
#define CNI_DEFAULT_TIMEOUT_S 60

typedef struct cni_network cni_network;

/* Loads a network from network_dir. name NULL: the first valid file by file
 * name (byte order), as CRI-O picks its default network; files that are not
 * valid JSON or not a valid configuration are skipped with a log line.
 * name given: the file whose network has that name; if that file is invalid
 * → CRIO_E_INVALID naming the file. None found → CRIO_E_NOT_FOUND ("no CNI
 * network configuration in DIR" / "CNI network NAME not found in DIR"). */
int cni_network_load(const char *network_dir, const char *name, cni_network **out,
                     crio_err **err);
const char *cni_network_name(const cni_network *n);
const char *cni_network_version(const cni_network *n);
/* The file it was loaded from ("" for one rebuilt from a cache entry). */
const char *cni_network_path(const cni_network *n);
void cni_network_free(cni_network *n);

/* One runtimeConfig.portMappings entry, for plugins with the portMappings
 * capability (portmap). protocol NULL → "tcp"; host_ip NULL → all. */
typedef struct cni_port_mapping {
  int host_port;
  int container_port;
  const char *protocol; /* "tcp", "udp", "sctp" */
  const char *host_ip;
} cni_port_mapping;

typedef struct cni_runtime {
  const char *container_id;  /* CNI_CONTAINERID: the pod's infra id; a plain name */
  const char *netns;         /* CNI_NETNS: the pinned netns path (may be NULL for DEL) */
  const char *ifname;        /* CNI_IFNAME; NULL → "eth0" */
  const char *pod_namespace; /* K8S_POD_NAMESPACE in CNI_ARGS (omitted when NULL) */
  const char *pod_name;      /* K8S_POD_NAME */
  const char *pod_uid;       /* K8S_POD_UID */
  char *const *plugin_dirs;  /* searched in order for a plugin's type; also CNI_PATH */
  size_t n_plugin_dirs;
  const char *cache_dir;     /* required: e.g. /var/lib/crio/cni/results */
  const cni_port_mapping *ports;
  size_t n_ports;
  int timeout_s;             /* per plugin run; 0 → CNI_DEFAULT_TIMEOUT_S */
} cni_runtime;

typedef struct cni_result {
  char **ips;        /* "10.85.0.5/16" */
  size_t n_ips;
  char **gateways;   /* "10.85.0.1", one per ip that has one */
  size_t n_gateways;
  char *mac;         /* of the interface in the netns; NULL if not reported */
  char *json;        /* the final result, as the last plugin printed it (compact) */
} cni_result;

/* Runs ADD for every plugin of n, caches the result and fills *out (start
 * from a zeroed cni_result). All plugins are looked up before any is run: a
 * missing one → CRIO_E_NOT_FOUND naming it and the dirs. If a plugin fails,
 * DEL is run for the list in reverse order (as the spec advises) so nothing
 * half-configured stays, and the error is the plugin's own message:
 * "CNI plugin bridge (network crio) ADD failed: <msg>" — CRIO_E_INVALID for
 * the CNI error codes that mean a bad config or version (1, 2, 4, 6, 7),
 * CRIO_E_UNAVAILABLE otherwise (and for a timeout). */
int cni_add(const cni_network *n, const cni_runtime *rt, cni_result *out, crio_err **err);

/* Runs CHECK with the cached result as prevResult. No cache entry →
 * CRIO_E_NOT_FOUND; disableCheck → 0 without running anything; a config
 * older than CNI 0.4.0 → CRIO_E_UNIMPLEMENTED. */
int cni_check(const cni_network *n, const cni_runtime *rt, crio_err **err);

/* Runs DEL in reverse order, with the cached result as prevResult (omitted
 * when there is none), then removes the cache entry. n NULL: every network
 * cached for rt->container_id is torn down with its cached config. A second
 * DEL, or one with no cache and n NULL, succeeds. On a plugin failure the
 * cache entry stays, so DEL can be retried. */
int cni_del(const cni_network *n, const cni_runtime *rt, crio_err **err);

/* The result cached by ADD for this container in network `network`;
 * no entry → CRIO_E_NOT_FOUND. */
int cni_cached_result(const char *cache_dir, const char *network, const char *container_id,
                      cni_result *out, crio_err **err);

void cni_result_clear(cni_result *r);

#endif
