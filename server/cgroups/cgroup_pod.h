/* cgroupfs paths of pods and containers, as the OCI runtime's cgroupsPath
 * (the cgroupfs driver: "/crio-c/pod-<id>/ctr-<id>"), and finding, reading and
 * removing those cgroups in every mounted hierarchy: cgroup v2, cgroup v1
 * (one mount per controller or comounted group, e.g. cpu,cpuacct, plus
 * name=systemd) or systemd's hybrid layout (v1 controllers and an empty v2
 * tree at /sys/fs/cgroup/unified). Mounts are read from
 * /proc/self/mountinfo, so a mount root other than "/" (cgroup namespaces)
 * and unusual mount points work.
 *
 * Creating cgroups is left to runc: it creates the missing parents in every
 * hierarchy, and on v1 (runc 1.1, libcontainer/cgroups/fs/cpuset.go) it
 * initializes each new cpuset directory's cpuset.cpus and cpuset.mems from the
 * nearest parent that has them, so a pod's cgroup needs no preparation here.
 */
#ifndef CRIO_CGROUPS_POD_H
#define CRIO_CGROUPS_POD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* "<parent>/pod-<pod_id>"; parent "/crio-c" when NULL or empty, a missing
 * leading '/' added and a trailing '/' dropped. */
char *cgroup_pod_path(const char *parent, const char *pod_id);
/* "<pod_path>/ctr-<ctr_id>". */
char *cgroup_container_path(const char *pod_path, const char *ctr_id);

/* Removes pod_path and every cgroup below it (containers first) in every
 * mounted hierarchy. Directories already gone are success. A cgroup that
 * still holds processes → CRIO_E_BUSY naming its directory; the rest of the
 * tree and the other hierarchies are still cleaned, and the call can be
 * repeated once the processes are gone. pod_path must be absolute, without
 * "." or ".." components, and not "/". */
int cgroup_pod_remove(const char *pod_path, crio_err **err);

/* The directory of cgroup_path in the hierarchy holding `controller`
 * ("memory", "cpu", "pids", "cpuset", "name=systemd", ...; "unified" names the
 * v2 tree itself): /sys/fs/cgroup/memory/<path> on v1,
 * /sys/fs/cgroup/<path> on v2. On a hybrid host a controller left to v2
 * (listed in the v2 root's cgroup.controllers) resolves to the unified tree.
 * The directory need not exist. CRIO_E_NOT_FOUND when no hierarchy has it. */
int cgroup_controller_dir(const char *controller, const char *cgroup_path, char **dir_out,
                          crio_err **err);

/* The integer in dir/file (one line, as memory.max or pids.current); "max"
 * gives -1. */
int cgroup_read_int64(const char *dir, const char *file, int64_t *out, crio_err **err);

/* Whether /sys/fs/cgroup is the unified (v2-only) hierarchy. */
bool cgroup_is_v2(void);

#endif
