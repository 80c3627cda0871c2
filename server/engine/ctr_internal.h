/* What the container files of the engine share. */
#ifndef CRIO_ENGINE_CTR_INTERNAL_H
#define CRIO_ENGINE_CTR_INTERNAL_H

#include "server/engine/engine_internal.h"
#include "server/runtime/oci_runtime.h"
#include "server/runtime/oci_spec.h"

/* The annotation that marks a pod made for one standalone container. */
#define STANDALONE_POD_ANNOTATION "io.crio-c.standalone"

/* The OCI runtime of a handler (NULL: the default); paths are copies. */
int ctr_runtime(engine *e, const char *handler, char **path, char **root, crio_err **err);
/* Runs conmon for an existing bundle: the container is created (not started). */
int ctr_conmon_create(engine *e, const store_container *c, const engine_container_spec *spec,
                      int *pid, crio_err **err);
/* Removes everything of a container but its row: runtime state, rootfs,
 * directories, exit file. Best effort. */
void ctr_cleanup(engine *e, const char *id, const char *handler);
void engine_container_from_row(engine *e, const store_container *row, engine_container *out);
const char *ctr_state_name(store_container_state s);
/* linux.resources of a spec's resources (strings borrowed from r). */
oci_resources ctr_oci_resources(const engine_resources *r);

/* A container with its spec and runtime, for the lifecycle calls. */
typedef struct ctr_handle {
  store_container *row;
  engine_container_spec spec;
  oci_runtime rt;
  char *rt_path;
  char *rt_root;
} ctr_handle;

int ctr_handle_open(engine *e, const char *ref, ctr_handle *h, crio_err **err);
void ctr_handle_clear(ctr_handle *h);
/* The stop signal, then SIGKILL after timeout_s; an exited container is fine. */
int ctr_stop_handle(engine *e, ctr_handle *h, int timeout_s, crio_err **err);
/* "SIGTERM", "TERM", "15". */
int signal_parse(const char *s, int *out, crio_err **err);

/* remove; with_own_pod: also the pod made for this container alone */
int ctr_remove(engine *e, const char *ref, bool force, bool with_own_pod, char **id_out,
               crio_err **err);

/* Mounts the container's overlay rootfs if it is not (after a reboot, an unmount). */
int ctr_mount_rootfs(engine *e, const store_container *row, crio_err **err);
/* The image's layers as overlay lower directories, top first; *n set. */
char **ctr_lower_dirs(engine *e, const store_container *row, size_t *n, crio_err **err);

#endif
