#include "command.h"

/* The verbs of `kpod pod`, each in its cmd_pod_<verb>.c. */
extern const kpod_cmd kpod_cmd_pod_create, kpod_cmd_pod_inspect, kpod_cmd_pod_ps,
  kpod_cmd_pod_rm, kpod_cmd_pod_stop;

static const kpod_cmd *const pod_subcommands[] = {
  &kpod_cmd_pod_create, &kpod_cmd_pod_inspect, &kpod_cmd_pod_ps,
  &kpod_cmd_pod_rm,     &kpod_cmd_pod_stop,    NULL,
};

static const kpod_flag pod_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_pod = {
  .name = "pod",
  .summary = "Manage pods",
  .usage = "COMMAND",
  .description = "Manage pods: the sandboxes (shared namespaces, network) that containers run\n"
                 "in. Every container is in a pod; `kpod create` without --pod makes one for it.",
  .flags = pod_flags,
  .subcommands = pod_subcommands,
};
