/* The OCI runtime spec (config.json) of a container, generated from what the
 * engine has already resolved: the image config merged with the request, the
 * pod's namespaces and files, and the security defaults of CRI-O/containerd.
 *
 * What the generated spec holds (ociVersion 1.0.2):
 * - root: the rootfs mount point, readonly on request.
 * - process: terminal, user (uid, gid, additionalGids), args, env, cwd, the
 *   capabilities (bounding = effective = permitted; the default set of CRI-O
 *   adjusted by cap_add/cap_drop, "ALL" understood; every capability when
 *   privileged), rlimits (RLIMIT_NOFILE soft = hard = min(1048576, the host's
 *   hard limit) unless given; any rlimit is clamped to the host's hard limit,
 *   since raising it needs CAP_SYS_RESOURCE), noNewPrivileges, oomScoreAdj
 *   (never below the daemon's own /proc/self/oom_score_adj: lowering it needs
 *   CAP_SYS_RESOURCE and runc then fails obscurely), apparmor/SELinux labels.
 * - hostname; mounts: /proc, /dev, /dev/pts, /dev/shm (the pod's shm as a
 *   bind when given), /dev/mqueue, /sys (ro unless privileged),
 *   /sys/fs/cgroup (ro unless privileged), then the given mounts (a given
 *   mount replaces a standard one of the same destination), then the pod's
 *   /etc/resolv.conf, /etc/hosts and /etc/hostname.
 * - linux: namespaces (mount always new; pid, network, ipc, uts new, a path
 *   or the host's), cgroupsPath, resources (cpu, memory with swap = limit
 *   where the host accounts swap, pids, device rules: deny all, allow the
 *   standard devices as runc does and the given devices), devices (filled
 *   from a stat of the host node), maskedPaths/readonlyPaths (CRI-O's
 *   defaults unless given; none when privileged), sysctl, mountLabel.
 * - annotations.
 * - linux.seccomp: the object given as text (server/security/seccomp.c
 *   chooses and converts it); none when not given.
 * Not yet: user namespaces, hooks. */
#ifndef CRIO_RUNTIME_OCI_SPEC_H
#define CRIO_RUNTIME_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* A borrowed list of strings; engine_strv converts as { v.items, v.n }. */
typedef struct oci_strv {
  char *const *items;
  size_t n;
} oci_strv;

/* Parallel key and value lists (annotations, sysctls). */
typedef struct oci_kv {
  oci_strv keys;
  oci_strv values;
} oci_kv;

typedef enum {
  OCI_NS_NEW = 0,   /* a namespace of its own */
  OCI_NS_PATH,      /* join path (the pod's pinned namespace, /proc/PID/ns/X) */
  OCI_NS_HOST,      /* the host's: the namespace is left out of the spec */
} oci_ns_mode;

typedef struct oci_ns {
  oci_ns_mode mode;
  const char *path;
} oci_ns;

typedef struct oci_mount_input {
  const char *type;          /* "bind" (the default) or "tmpfs"; others passed through */
  const char *source;        /* the host path of a bind; NULL for tmpfs */
  const char *destination;   /* absolute, in the container */
  oci_strv options;          /* "ro", "rshared", "size=64m", ...; a bind gets "rbind" and
                                "rprivate" unless it names a bind or propagation itself */
} oci_mount_input;

typedef struct oci_device_input {
  const char *host_path;       /* a character or block device node */
  const char *container_path;  /* NULL: the host path */
  const char *permissions;     /* cgroup access, a subset of "rwm"; NULL: "rwm" */
} oci_device_input;

typedef struct oci_rlimit_input {
  const char *type;          /* "RLIMIT_NOFILE", "RLIMIT_NPROC", ... */
  uint64_t soft;
  uint64_t hard;
} oci_rlimit_input;

/* Zero means unset, for every field. */
typedef struct oci_resources {
  uint64_t cpu_shares;
  int64_t cpu_quota;
  uint64_t cpu_period;
  const char *cpuset_cpus;
  const char *cpuset_mems;
  int64_t memory_limit;      /* bytes; swap is set to the same (no swap) */
  int64_t pids_limit;
} oci_resources;

typedef struct oci_spec_input {
  const char *rootfs;            /* the mounted rootfs: root.path */
  bool readonly_rootfs;

  bool terminal;
  oci_strv args;                 /* entrypoint + command; must not be empty */
  oci_strv env;                  /* final, see oci_env_merge() */
  const char *cwd;               /* NULL or "": "/" */
  uid_t uid;
  gid_t gid;
  const gid_t *additional_gids;
  size_t n_additional_gids;
  oci_strv cap_add;              /* "NET_ADMIN" or "CAP_NET_ADMIN", any case; "ALL" */
  oci_strv cap_drop;
  bool privileged;               /* every capability, rw /sys, no masked paths, all devices */
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  const oci_rlimit_input *rlimits;  /* NULL: RLIMIT_NOFILE only, see above */
  size_t n_rlimits;
  const char *apparmor_profile;  /* optional labels, passed through */
  const char *seccomp_json;      /* linux.seccomp as JSON text; NULL: no filter */
  const char *selinux_label;
  const char *mount_label;

  const char *hostname;          /* NULL: none set */
  const char *shm_path;          /* the pod's /dev/shm; NULL: a tmpfs of 64 MiB */
  const char *resolv_conf_path;  /* the pod's files, bound when set */
  const char *hosts_path;
  const char *hostname_path;
  const oci_mount_input *mounts;
  size_t n_mounts;

  oci_ns pid_ns;                 /* OCI_NS_NEW, _PATH or _HOST */
  oci_ns network_ns;
  oci_ns ipc_ns;
  oci_ns uts_ns;
  const char *cgroups_path;      /* NULL: the runtime's default */
  oci_resources resources;
  const oci_device_input *devices;
  size_t n_devices;
  oci_strv masked_paths;         /* n == 0: CRI-O's defaults (none when privileged) */
  oci_strv readonly_paths;
  oci_kv sysctls;                /* net.* refused with a host network, IPC ones with host IPC */
  oci_kv annotations;
} oci_spec_input;

/* config.json for in; *json_out is the text (free it). An empty args gives
 * CRIO_E_INVALID, as do an unknown capability, a device path that is not a
 * device node, a relative mount destination or a sysctl of a host namespace. */
int oci_spec_generate(const oci_spec_input *in, char **json_out, crio_err **err);

/* The capabilities oci_spec_generate gives in (cap_add, cap_drop,
 * privileged), "CAP_CHOWN" spelling: *out is NULL-terminated (free it with
 * oci_env_free()). An unknown capability gives CRIO_E_INVALID. */
int oci_spec_capabilities(const oci_spec_input *in, char ***out, size_t *n_out, crio_err **err);

/* linux.resources of r as JSON text ("runc update --resources -" takes it). */
char *oci_resources_json(const oci_resources *r);

/* What oci_spec_generate writes as oomScoreAdj for a requested value:
 * within [daemon's own oom_score_adj, 1000]. */
int oci_oom_score_adj_clamp(int requested);

/* Resolves user as the image's /etc/passwd and /etc/group say: "" (root),
 * "name", "uid", "name:group", "uid:gid", "uid:groupname", "name:gid".
 * The files are read inside rootfs only: symlinks are resolved as if rootfs
 * were "/" (openat2 RESOLVE_IN_ROOT), never out of it. An unknown name gives
 * CRIO_E_INVALID; a numeric uid absent from passwd is fine (its gid is then 0
 * unless given, its home "/"). *groups (free it) gets the supplementary
 * groups that /etc/group lists the user's name in, primary gid excluded;
 * *home (free it) the passwd home or "/". groups and home may be NULL. */
int oci_resolve_user(const char *rootfs, const char *user, uid_t *uid, gid_t *gid, gid_t **groups,
                     size_t *n_groups, char **home, crio_err **err);

/* image_env then env, "NAME=value" each; a later NAME replaces an earlier one
 * in place. PATH gets the default when neither sets it, HOME gets home (when
 * not NULL) when neither sets it. NULL-terminated; free with oci_env_free(). */
char **oci_env_merge(oci_strv image_env, oci_strv env, const char *home, size_t *n_out);
void oci_env_free(char **env);

#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#endif
