/* Pinning a pod's network, IPC and UTS namespaces without a long-running
 * process, as CRI-O's pinns does: a short-lived child unshares the
 * namespaces, and the daemon bind-mounts /proc/CHILD/ns/<kind> onto an empty
 * file before letting the child exit. The bind mount keeps the namespace
 * alive; `ip netns exec`, CNI plugins and runc (via the OCI spec's namespace
 * path) all open these files.
 *
 * Layout under ns_dir (RUNROOT/ns):
 *   ns_dir/netns/POD_ID   ns_dir/ipcns/POD_ID   ns_dir/utsns/POD_ID
 * ns_dir is bind-mounted onto itself once and made unbindable (a private mount
 * that is also never copied by a recursive bind): pins made under it neither
 * propagate to other mount namespaces nor get duplicated when a container
 * rbind-mounts /run, which would keep a removed pod's namespaces alive. */
#ifndef CRIO_NETWORK_NS_PIN_H
#define CRIO_NETWORK_NS_PIN_H

#include <stdbool.h>

#include "util/err.h"

typedef enum { NS_PIN_NET = 1, NS_PIN_IPC = 2, NS_PIN_UTS = 4 } ns_pin_kind;

/* Paths of the pins; NULL for the kinds not pinned. */
typedef struct ns_pins {
  char *net;
  char *ipc;
  char *uts;
} ns_pins;

/* Pins new namespaces of `kinds` (a mask of ns_pin_kind) for pod_id.
 * With NS_PIN_UTS, the new UTS namespace gets `hostname` (when not NULL; it
 * must be a valid RFC 1123 hostname of at most 64 characters); without it the
 * hostname is ignored, so a host-UTS pod never renames the host. With
 * NS_PIN_NET the loopback interface of the new namespace is brought up.
 * pod_id must be a plain name ([A-Za-z0-9_.-], not starting with '.').
 * *out is overwritten (start from a zeroed ns_pins). Pins that already exist
 * for pod_id → CRIO_E_EXISTS. On any failure nothing is left behind: the
 * pins made so far are unmounted and unlinked, and the child is reaped. */
int ns_pin_create(const char *ns_dir, const char *pod_id, int kinds, const char *hostname,
                  ns_pins *out, crio_err **err);

/* Unmounts (lazily, MNT_DETACH) and unlinks each pin in p. A pin already gone
 * is success, so it can be called again after a partial failure or restart. */
int ns_pin_remove(const ns_pins *p, crio_err **err);

/* Whether path is a live pin: a mounted nsfs file (statfs gives NSFS_MAGIC). */
bool ns_pin_valid(const char *path);

/* Frees the paths and sets them to NULL. */
void ns_pins_clear(ns_pins *p);
/* Unmounts ns_dir when it holds no pins (the daemon's shutdown), so a stopped
 * daemon leaves no mount behind; the next pin mounts it again. */
void ns_pin_dir_release(const char *ns_dir);

#endif
