/* Internals shared by cni.c (the ADD/CHECK/DEL flows), cni_conf.c (loading),
 * cni_exec.c (running one plugin) and cni_result.c (results and the cache). */
#ifndef CRIO_NETWORK_CNI_INTERNAL_H
#define CRIO_NETWORK_CNI_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cni.h"

struct cni_network {
  char *name;
  char *version;     /* the list's cniVersion, given to every plugin */
  bool disable_check;
  json_t *list;      /* the whole list; never modified after loading */
  json_t *plugins;   /* borrowed from list: a non-empty array of objects with "type" */
  char *path;
};

static inline void cni_json_decrefp(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_cni_json_ __attribute__((cleanup(cni_json_decrefp)))

/* cni_conf.c */
/* Validates a list object (not taken: it is copied) from `origin` (a path,
 * "cache entry ..."). A single-plugin config is wrapped as a list. */
int cni_network_from_json(json_t *conf, const char *origin, cni_network **out, crio_err **err);
/* Whether s is a valid CNI network name or container id (both become file
 * names in the cache): [A-Za-z0-9][A-Za-z0-9_.-]*, at most 255 bytes. */
bool cni_name_valid(const char *s);
/* Whether version v ("1.0.0", "0.4.0") is at least major.minor. */
bool cni_version_at_least(const char *v, int major, int minor);

/* cni_exec.c */
typedef struct cni_exec_out {
  bool exited;       /* false: status unknown (reaped elsewhere) */
  int exit_code;     /* exit status, or 128+signal */
  bool timed_out;
  char *out;         /* stdout, NUL-terminated */
  char *errout;      /* stderr, NUL-terminated, capped */
} cni_exec_out;

/* Runs path with envp, feeding `in` on stdin, capturing stdout and stderr;
 * killed after timeout_s seconds. Fails only when it cannot be run. */
int cni_exec(const char *path, char *const envp[], const char *in, size_t in_len, int timeout_s,
             cni_exec_out *out, crio_err **err);
void cni_exec_out_clear(cni_exec_out *o);
/* The first executable regular file dirs[i]/type; NOT_FOUND naming both. */
int cni_plugin_find(const char *type, char *const *dirs, size_t n_dirs, char **path_out,
                    crio_err **err);

/* cni_result.c */
/* Fills r from a result object (CNI 0.3.0 and later, and 0.1/0.2's ip4/ip6). */
void cni_result_from_json(json_t *result, const char *ifname, cni_result *r);
char *cni_cache_path(const char *cache_dir, const char *network, const char *container_id);
/* Writes {kind, containerId, ifName, networkName, netns, cniArgs, config,
 * capabilityArgs, result} atomically. */
int cni_cache_write(const char *path, const cni_network *n, const cni_runtime *rt,
                    const char *cni_args, json_t *cap_args, json_t *result, crio_err **err);
/* The cache entry at path; *out NULL (and 0) when there is none. */
int cni_cache_read(const char *path, json_t **out, crio_err **err);
/* Removes the entry and, when it was the last, its network directory. */
int cni_cache_remove(const char *path, crio_err **err);

#endif
