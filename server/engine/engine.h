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
/* The daemon is stopping: calls that could wait long end now (an ExecSync's
 * process is killed and the call fails with CRIO_E_UNAVAILABLE), so the
 * faces can stop without waiting for them. engine_close still follows. */
void engine_shutdown_begin(engine *e);

/* Takes the reloadable parts of cfg (log level, registries, network and
 * runtime tables) and probes the external programs again. */
int engine_reload(engine *e, const crio_config *cfg, crio_err **err);

void engine_version_get(engine_version *out);
int engine_info_get(engine *e, engine_info *out, crio_err **err);
void engine_info_clear(engine_info *info);

/* Whether pods get a network: the CNI configuration pods would join now. */
typedef struct engine_network_status {
  bool ready;               /* a valid CNI configuration is found */
  char *network;            /* its name and file, when ready */
  char *path;
  char *reason;             /* when not: "NetworkPluginNotReady" and why */
  char *message;
} engine_network_status;
int engine_network_status_get(engine *e, engine_network_status *out, crio_err **err);
void engine_network_status_clear(engine_network_status *s);
/* The pod CIDR the kubelet gave (UpdateRuntimeConfig); "" or NULL clears
 * it. Kept in memory: informational, reported in the CRI's verbose status. */
int engine_pod_cidr_set(engine *e, const char *cidr, crio_err **err);
char *engine_pod_cidr_get(engine *e); /* "" when none; free it */

/* ---- events ------------------------------------------------------------ */

/* One change of the event log: a pod's, a container's or an image's. */
typedef struct engine_event {
  int64_t seq;              /* position in the log, increasing */
  int64_t time_ns;
  const char *type;         /* "pod", "container", "image" */
  char *action;             /* create, start, died, oom, stop, remove, pull, ... */
  char *id;
  char *name;
  char *pod;                /* a container's pod, when the event says it (remove) */
} engine_event;

typedef struct engine_events {
  engine_event *items;
  size_t n;
} engine_events;
void engine_events_clear(engine_events *l);

/* The seq of the newest event: engine_events_wait(e, it, ...) sees what
 * happens afterwards. */
int64_t engine_events_last(engine *e);
/* The events after seq `after`, oldest first, at most limit (0: all); when
 * there are none, waits up to timeout_ms for one (out->n may stay 0). */
int engine_events_wait(engine *e, int64_t after, size_t limit, int timeout_ms,
                       engine_events *out, crio_err **err);

/* ---- images ------------------------------------------------------------ */

typedef struct engine_strv {
  char **items;
  size_t n;
} engine_strv;
void engine_strv_clear(engine_strv *v);

typedef struct engine_layer {
  char *id;        /* chain ID hex: the layer's name in the layer store */
  char *diff_id;
  char *digest;    /* the compressed blob's */
  int64_t size;    /* uncompressed bytes */
} engine_layer;

typedef struct engine_image {
  char *id;                 /* the config digest's hex */
  char *digest;             /* the manifest's "sha256:..." */
  engine_strv repo_tags;
  engine_strv repo_digests;
  char *created;            /* RFC 3339 from the config, "" when absent */
  int64_t created_ns;       /* when it entered this store */
  int64_t size;
  char *os;
  char *arch;
  char *variant;
  char *user;               /* config.User ("name", "uid", "uid:gid", ...), "" when unset */
  engine_strv label_keys;   /* config.Labels, parallel to label_values */
  engine_strv label_values;
  char *manifest_media_type;
  char *manifest;           /* the documents as the registry served them */
  char *config;
  engine_layer *layers;     /* base first */
  size_t n_layers;
} engine_image;

typedef struct engine_images {
  engine_image *items;
  size_t n;
} engine_images;

void engine_image_clear(engine_image *img);
void engine_images_clear(engine_images *list);

/* Credentials for a registry: explicit, or from an auth.json. */
typedef struct engine_creds {
  const char *username;
  const char *password;
  const char *auth_file;    /* NULL: [crio.image] global_auth_file, else the default */
} engine_creds;

typedef struct engine_pull_opts {
  const char *reference;
  int tls_verify;           /* -1: as configured; 0: insecure for this pull; 1: verify */
  const char *platform;     /* "os/arch[/variant]", NULL: this machine's */
  engine_creds creds;
} engine_pull_opts;

/* Progress of a pull or push, reported as it happens. */
typedef struct engine_progress {
  const char *status;       /* resolving, manifest, exists, downloading, extracted,
                               pushing, pushed, writing, done */
  const char *reference;
  const char *digest;
  const char *layer;
  int64_t current;
  int64_t total;
  int64_t layers;
  const char *id;
} engine_progress;

typedef void (*engine_progress_fn)(const engine_progress *p, void *data);

/* Checks a reference the way a pull would parse it (before any side effect). */
int engine_image_reference_check(const char *reference, crio_err **err);

/* Pulls an image; *id_out gets its ID. fn (may be NULL) is called from the
 * pulling threads, one call at a time. */
int engine_image_pull(engine *e, const engine_pull_opts *opts, engine_progress_fn fn, void *data,
                      char **id_out, crio_err **err);

typedef struct engine_image_filter {
  char *const *filters;     /* "reference=PATTERN", "dangling=true", "label=K[=V]",
                               "before=IMAGE", "since=IMAGE" */
  size_t n_filters;
} engine_image_filter;

/* Newest first. */
int engine_image_list(engine *e, const engine_image_filter *f, engine_images *out, crio_err **err);
/* name: an ID, a unique ID prefix, or a reference (short names normalized). */
int engine_image_get(engine *e, const char *name, engine_image *out, crio_err **err);
/* As podman rmi: a name that is one of several of its image is untagged;
 * otherwise the image is removed with the layers no other image uses.
 * force: remove an image named by ID even when it has several names. */
int engine_image_remove(engine *e, const char *name, bool force, engine_strv *untagged,
                        engine_strv *deleted, crio_err **err);
int engine_image_tag(engine *e, const char *name, const char *target, crio_err **err);

typedef struct engine_push_opts {
  const char *name;         /* the local image */
  const char *destination;  /* NULL: name, which must then be a reference */
  int tls_verify;           /* as in engine_pull_opts */
  size_t chunk_size;        /* 0: monolithic uploads */
  engine_creds creds;
} engine_push_opts;

/* Pushes the image's blobs (those the registry lacks) and its manifest,
 * unchanged, so a pull gets the same digests; *digest_out: the manifest's. */
int engine_image_push(engine *e, const engine_push_opts *opts, engine_progress_fn fn, void *data,
                      char **digest_out, crio_err **err);

/* Writes the image as a docker-archive or oci-archive ("docker-archive",
 * "oci-archive") tarball to fd. */
int engine_image_save(engine *e, const char *name, const char *format, int fd, crio_err **err);
/* Checks what engine_image_save needs before a stream starts. */
int engine_image_save_check(engine *e, const char *name, const char *format, crio_err **err);
/* Loads every image of a docker-archive or oci-archive file; *ids and *names
 * get what was loaded. */
int engine_image_load(engine *e, const char *path, engine_strv *ids, engine_strv *names,
                      crio_err **err);
/* Where uploaded request bodies (archives to load) are kept while they
 * are used: on the layer store's file system, emptied at start. */
const char *engine_upload_dir(engine *e);

typedef struct engine_login_opts {
  const char *registry;     /* HOST[:PORT] */
  const char *username;
  const char *password;
  const char *auth_file;    /* NULL: as for pulls */
  int tls_verify;
} engine_login_opts;

/* Checks the credentials against the registry, then stores them;
 * *auth_file_out: the file written. */
int engine_login(engine *e, const engine_login_opts *opts, char **auth_file_out, crio_err **err);
/* Removes the registry's credentials, or all with registry == NULL. */
int engine_logout(engine *e, const char *registry, const char *auth_file, char **auth_file_out,
                  crio_err **err);

typedef struct engine_history_entry {
  char *id;
  char *created;
  char *created_by;
  char *comment;
  int64_t size;
  bool empty_layer;
} engine_history_entry;

typedef struct engine_history {
  engine_history_entry *items;   /* newest first */
  size_t n;
} engine_history;

int engine_image_history(engine *e, const char *name, engine_history *out, crio_err **err);
void engine_history_clear(engine_history *h);

/* ---- pods and containers ------------------------------------------------ */

/* Parallel key and value lists (labels, annotations). */
typedef struct engine_kv {
  engine_strv keys;
  engine_strv values;
} engine_kv;
void engine_kv_clear(engine_kv *kv);
void engine_kv_set(engine_kv *kv, const char *key, const char *value);

typedef struct engine_port {
  char *host_ip;
  int host_port;
  int container_port;
  char *protocol;           /* tcp, udp, sctp */
} engine_port;

typedef struct engine_pod_spec {
  char *name;               /* NULL: generated */
  char *namespace;
  char *uid;
  uint32_t attempt;
  char *hostname;           /* NULL: the name */
  engine_kv labels;
  engine_kv annotations;
  char *log_directory;
  char *cgroup_parent;
  bool host_network;
  bool host_ipc;
  bool host_pid;
  engine_strv dns_servers;
  engine_strv dns_searches;
  engine_strv dns_options;
  engine_port *ports;
  size_t n_ports;
  char *network;            /* output: the CNI network joined, NULL when none */
} engine_pod_spec;
void engine_pod_spec_clear(engine_pod_spec *s);

typedef struct engine_pod {
  char *id;
  engine_pod_spec spec;     /* name, hostname, cgroup_parent and log_directory filled in */
  char *state;              /* READY, NOTREADY */
  int64_t created_ns;
  char *netns;              /* pinned namespace paths, NULL when the host's */
  char *ipcns;
  char *utsns;
  engine_strv ips;
  engine_strv containers;   /* IDs */
} engine_pod;
void engine_pod_clear(engine_pod *p);

typedef struct engine_pods {
  engine_pod *items;
  size_t n;
} engine_pods;
void engine_pods_clear(engine_pods *l);

typedef struct engine_mount {
  char *type;               /* bind, tmpfs */
  char *source;
  char *destination;
  engine_strv options;
} engine_mount;

typedef struct engine_device {
  char *host_path;
  char *container_path;
  char *permissions;
} engine_device;

typedef struct engine_resources {
  int64_t cpu_shares;       /* 0: unset, for every field */
  int64_t cpu_quota;
  int64_t cpu_period;
  char *cpuset_cpus;
  char *cpuset_mems;
  int64_t memory_limit;
  int64_t pids_limit;
  int64_t oom_score_adj;
  bool has_oom_score_adj;
} engine_resources;

typedef struct engine_security {
  bool privileged;
  bool readonly_rootfs;
  bool no_new_privileges;
  engine_strv cap_add;
  engine_strv cap_drop;
  int64_t *supplemental_groups;
  size_t n_supplemental_groups;
  engine_strv masked_paths;     /* n == 0: the defaults */
  engine_strv readonly_paths;
  /* The seccomp profile, as podman and the CRI's SecurityProfile name it:
   * NULL, "" or "runtime/default": the default profile ([crio.runtime]
   * seccomp_profile, else the built-in one of containers/common);
   * "unconfined": none; "localhost/ABSOLUTE_PATH" or "/ABSOLUTE_PATH": a
   * profile file of the docker/containers format. Ignored (none) when
   * privileged. A created container's spec holds the profile in effect:
   * "runtime/default", "unconfined" or "localhost/PATH". */
  char *seccomp_profile;
  /* The AppArmor profile: NULL, "" or "runtime/default": "crio-default"
   * when AppArmor is enabled and that profile is loaded, else none;
   * "unconfined": none; "localhost/NAME": the loaded profile NAME (refused
   * when AppArmor is disabled on the host). A created container's spec
   * holds "runtime/default", "unconfined" or "localhost/NAME". */
  char *apparmor_profile;
} engine_security;

typedef struct engine_container_spec {
  char *name;               /* NULL: generated */
  char *pod;                /* ID or name; NULL: a pod of its own */
  char *image;
  engine_strv entrypoint;   /* replaces the image's when non-empty... */
  bool has_entrypoint;      /* ...or when set, even empty */
  engine_strv command;
  bool has_command;
  engine_strv env;
  char *working_dir;
  char *user;
  engine_mount *mounts;
  size_t n_mounts;
  engine_device *devices;
  size_t n_devices;
  engine_kv labels;
  engine_kv annotations;
  bool tty;
  bool stdin_open;
  engine_resources resources;
  engine_security security;
  engine_port *ports;
  size_t n_ports;
  char *log_path;
  char *runtime_handler;
  char *stop_signal;
  engine_strv process_args; /* output: what runs, entrypoint + command resolved against
                               the image at create (kept, so lists need no bundle) */
} engine_container_spec;
void engine_container_spec_clear(engine_container_spec *s);

typedef struct engine_container {
  char *id;
  engine_container_spec spec;  /* as given, name and pod (its ID) filled in */
  char *image_id;
  engine_strv command;         /* what runs: entrypoint + command */
  char *state;                 /* created, running, paused, exited, unknown */
  int pid;
  int exit_code;
  bool oom_killed;
  char *reason;
  char *message;
  int64_t created_ns;
  int64_t started_ns;
  int64_t finished_ns;
  char *log_path;              /* absolute */
  char *runtime_handler;
  int64_t size_rw;             /* -1 unless asked for */
} engine_container;
void engine_container_clear(engine_container *c);

typedef struct engine_containers {
  engine_container *items;
  size_t n;
} engine_containers;
void engine_containers_clear(engine_containers *l);

typedef struct engine_filter {
  char *const *filters;     /* KEY=VALUE, as the list call documents */
  size_t n_filters;
} engine_filter;

int engine_pod_create(engine *e, const engine_pod_spec *spec, engine_pod *out, crio_err **err);
int engine_pod_get(engine *e, const char *ref, engine_pod *out, crio_err **err);
/* filters: id=, name=, state=, label=K[=V], namespace= */
int engine_pod_list(engine *e, const engine_filter *f, engine_pods *out, crio_err **err);
int engine_pod_stop(engine *e, const char *ref, int timeout_s, crio_err **err);
int engine_pod_remove(engine *e, const char *ref, bool force, char **id_out, crio_err **err);

int engine_container_create(engine *e, const engine_container_spec *spec, engine_container *out,
                            crio_err **err);
int engine_container_get(engine *e, const char *ref, engine_container *out, crio_err **err);
/* filters: id=, name=, pod=, status=, label=K[=V], ancestor=, exited= */
int engine_container_list(engine *e, bool all, bool size, const engine_filter *f,
                          engine_containers *out, crio_err **err);
int engine_container_start(engine *e, const char *ref, crio_err **err);
int engine_container_stop(engine *e, const char *ref, int timeout_s, crio_err **err);
int engine_container_kill(engine *e, const char *ref, const char *signal, crio_err **err);
int engine_container_pause(engine *e, const char *ref, crio_err **err);
int engine_container_unpause(engine *e, const char *ref, crio_err **err);
int engine_container_remove(engine *e, const char *ref, bool force, char **id_out,
                            crio_err **err);
/* Blocks until the container has exited. */
int engine_container_wait(engine *e, const char *ref, int *exit_code, bool *oom_killed,
                          crio_err **err);
int engine_container_rename(engine *e, const char *ref, const char *name, crio_err **err);
/* Replaces the cgroup limits of a created, running or paused container (runc
 * update) and records them in its spec; oom_score_adj stays as created. An
 * exited container: CRIO_E_CONFLICT. */
int engine_container_update(engine *e, const char *ref, const engine_resources *r,
                            crio_err **err);
/* Has conmon reopen a running container's log file (after a rotation). */
int engine_container_reopen_log(engine *e, const char *ref, crio_err **err);

typedef struct engine_log_line {
  const char *time;         /* RFC 3339 with nanoseconds */
  const char *stream;       /* stdout, stderr */
  const char *text;         /* with its newline, unless the last partial line */
  size_t len;
} engine_log_line;

typedef struct engine_log_opts {
  bool follow;
  int64_t since_ns;         /* 0: all */
  int64_t tail;             /* -1: all */
} engine_log_opts;

/* Calls fn for each line (partial lines joined); with follow, keeps going
 * until the container has exited and its log is read, or fn returns < 0. */
int engine_container_logs(engine *e, const char *ref, const engine_log_opts *o,
                          int (*fn)(const engine_log_line *l, void *data), void *data,
                          crio_err **err);

/* ---- container filesystems, stats, exec ---------------------------------- */

/* Mounts the rootfs if needed; *path: where. */
int engine_container_mount(engine *e, const char *ref, char **path, char **id_out,
                           crio_err **err);
/* Refused while the container runs. */
int engine_container_unmount(engine *e, const char *ref, char **id_out, crio_err **err);

typedef struct engine_change {
  char kind;                /* 'A', 'C', 'D' */
  char *path;
} engine_change;

int engine_container_changes(engine *e, const char *ref, engine_change **out, size_t *n,
                             crio_err **err);
void engine_changes_free(engine_change *c, size_t n);
/* Tar streams written to (export, copy out) or read from (copy in) fd. */
int engine_container_export(engine *e, const char *ref, int fd, crio_err **err);
int engine_container_copy_out(engine *e, const char *ref, const char *path, int fd,
                              crio_err **err);
int engine_container_copy_in(engine *e, const char *ref, const char *dir, int fd,
                             crio_err **err);
/* Checks what a stream needs (the container, a mounted rootfs) before it starts. */
int engine_container_fs_check(engine *e, const char *ref, crio_err **err);

typedef struct engine_net_stats {
  char name[32];
  uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
  uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} engine_net_stats;

typedef struct engine_stats {
  char *id;
  char *name;
  int64_t timestamp_ns;
  uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
  double cpu_rate;          /* cores, since the previous sample of this object */
  uint64_t memory_usage, memory_working_set, memory_rss;
  int64_t memory_limit;     /* -1: none */
  uint64_t pids_current;
  int64_t pids_limit;       /* -1: none */
  uint64_t blkio_read_bytes, blkio_write_bytes;
  int cgroup_version;
  engine_net_stats *networks;
  size_t n_networks;
} engine_stats;

/* A running (or paused) container's statistics. */
int engine_container_stats(engine *e, const char *ref, engine_stats *out, crio_err **err);
/* The pod's running containers summed, and the pod's network. */
int engine_pod_stats(engine *e, const char *ref, engine_stats *out, crio_err **err);
void engine_stats_clear(engine_stats *s);

/* What an exec'd process gets instead of the container's own; NULL or empty
 * fields: the container's. */
typedef struct engine_exec_opts {
  char *const *env;         /* "KEY=VALUE", added to (or replacing in) the container's */
  size_t n_env;
  const char *user;         /* "name", "uid", "name:group", "uid:gid", as the container's
                               /etc/passwd and /etc/group say */
  const char *workdir;      /* absolute */
} engine_exec_opts;
/* The checks that need no container: env entries KEY=VALUE, workdir absolute. */
int engine_exec_opts_check(const engine_exec_opts *o, crio_err **err);

typedef struct engine_exec_result {
  int exit_code;
  bool timed_out;
  char *out;
  size_t out_len;
  char *err;
  size_t err_len;
} engine_exec_result;

/* Runs argv in a running container, output collected; killed at timeout_s
 * (0: none). */
int engine_exec_sync(engine *e, const char *ref, char *const *argv, const engine_exec_opts *o,
                     int timeout_s, engine_exec_result *out, crio_err **err);
void engine_exec_result_clear(engine_exec_result *r);

/* An interactive exec: the process's terminal, or its pipes. */
typedef struct engine_exec {
  int pty;                  /* tty: read and write; else -1 */
  int in, out, err;         /* no tty: pipes (in: -1 unless stdin); else -1 */
  void *session;            /* the runtime's */
} engine_exec;

int engine_exec_start(engine *e, const char *ref, char *const *argv, const engine_exec_opts *o,
                      bool tty, bool stdin_open, engine_exec *out, crio_err **err);
int engine_exec_wait(engine_exec *x, int *exit_code, crio_err **err);
int engine_exec_resize(engine_exec *x, unsigned short rows, unsigned short cols, crio_err **err);
/* The end of the process's input (a pty gets ^D). */
void engine_exec_close_stdin(engine_exec *x);
void engine_exec_close(engine_exec *x);

/* Attaching to a container's stdio through conmon. */
typedef struct engine_attach {
  int fd;
  char *id;
  char *ctl;                /* conmon's control FIFO (resize) */
} engine_attach;

int engine_attach_open(engine *e, const char *ref, engine_attach *out, crio_err **err);
/* One message: *stream 1 stdout, 2 stderr; *n 0 at the end. */
int engine_attach_read(engine_attach *a, int *stream, char *buf, size_t cap, size_t *n,
                       crio_err **err);
int engine_attach_write(engine_attach *a, const void *buf, size_t n, crio_err **err);
int engine_attach_resize(engine_attach *a, unsigned short rows, unsigned short cols,
                         crio_err **err);
/* The end of the container's input, for one-shot stdin. */
void engine_attach_close_stdin(engine_attach *a);
void engine_attach_close(engine_attach *a);

#endif
