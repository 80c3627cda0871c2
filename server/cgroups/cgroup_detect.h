/* Which cgroup hierarchy the host mounts: the unified v2 tree, the legacy v1
 * controllers, or v1 with the v2 tree beside it at /sys/fs/cgroup/unified
 * (systemd's "hybrid" layout). */
#ifndef CRIO_CGROUPS_DETECT_H
#define CRIO_CGROUPS_DETECT_H

#include <stdbool.h>

typedef struct cgroup_layout {
  int version;   /* 1 or 2: the hierarchy that holds the controllers */
  bool hybrid;   /* v1 controllers plus a v2 tree at <mount>/unified */
} cgroup_layout;

/* Probes `mount` (normally /sys/fs/cgroup). */
cgroup_layout cgroup_detect(const char *mount);

#endif
