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

#endif
