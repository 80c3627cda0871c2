/* The rows of `kpod ps` and `kpod pod ps`, built from the API's Container
 * and Pod objects the way podman's psReporter and ListPodReporter present
 * them. Pure functions (the time is an argument), so unit tests check them
 * without a daemon. */
#ifndef KPOD_PS_H
#define KPOD_PS_H

#include <jansson.h>
#include <stdint.h>

#include "report.h"
#include "util/strbuf.h"

/* podman ps's STATUS of a Container at now_ns: "Up 5 seconds", "Exited (0)
 * 3 seconds ago", "Created", "Paused", "Unknown" (other states with their
 * first letter upper-cased). Times count in whole seconds, as podman's. */
void kpod_container_status(strbuf *out, const json_t *container, int64_t now_ns);

/* podman's COMMAND: the command joined by spaces, cut to 17 bytes and
 * "..." unless no_trunc. Owned. */
char *kpod_ps_command(const json_t *command, int no_trunc);

/* PortMapping objects as podman ps's PORTS: "0.0.0.0:8080->80/tcp,
 * 127.0.0.1:5353->53/udp"; consecutive ports of one host IP and protocol
 * are one range: "0.0.0.0:8080-8081->80-81/tcp". */
void kpod_ports_string(strbuf *out, const json_t *ports);

/* What the rows need beside the containers. */
typedef struct kpod_ps_ctx {
  const json_t *pods;        /* pod id -> Pod (for PodName and a shared pod's ports); may be NULL */
  const json_t *image_sizes; /* image id -> bytes, for Size's "(virtual ...)"; may be NULL */
  int no_trunc;
  int size;                  /* --size: the Size field */
  int64_t now_ns;
} kpod_ps_ctx;

/* The rows of `kpod ps`, one per Container, with podman's fields: ID,
 * Image, ImageID, Command, CreatedHuman and RunningFor ("3 minutes ago"),
 * Created and CreatedAt (Go's time.String()), Status, State, ExitCode,
 * Exited, ExitedAt and StartedAt (Unix seconds), Pid, Ports, Names, Labels,
 * Mounts, Pod, PodName, Size ("1.2kB (virtual 7.4MB)") with size. */
json_t *kpod_ps_rows(const json_t *containers, const kpod_ps_ctx *pc);
extern const kpod_column kpod_ps_columns[];

/* podman's status of a pod from its containers' states: "Running" (all
 * running), "Degraded" (some), "Paused", "Exited" (all exited), "Stopped"
 * (some), "Error", else "Created" (also with no containers). states is an
 * array of state strings. */
const char *kpod_pod_status(const json_t *states);

/* The rows of `kpod pod ps`, newest first, from Pod objects and the
 * containers (id -> Container) they name: Id and ID, Name, Status, Created
 * ("3 minutes ago"), CreatedAt, InfraID (always empty: crio-c pods have no
 * infra container), NumberOfContainers, ContainerIds, ContainerNames,
 * ContainerStatuses, Labels, Namespace, Cgroup, State (READY, NOTREADY). */
json_t *kpod_pod_rows(const json_t *pods, const json_t *containers, int no_trunc, int64_t now_ns);
extern const kpod_column kpod_pod_columns[];

#endif
