/* The options of `kpod create` and `kpod run` turned into the API's
 * ContainerSpec, each parsed as podman parses it. Pure functions: the
 * environment and the working directory are arguments, so unit tests check
 * them without a daemon. Errors are CRIO_E_INVALID with podman's wording. */
#ifndef KPOD_SPEC_H
#define KPOD_SPEC_H

#include <jansson.h>
#include <stdint.h>

#include "command.h"
#include "util/err.h"

/* --memory: go-units RAMInBytes, binary units with an optional "b"/"ib" and
 * one space: "512m" and "512 MiB" are 536870912, "1.5g" 1610612736, "100"
 * 100 bytes. "invalid size: 'x'", "invalid suffix: 'x'". */
int kpod_parse_memory(const char *s, int64_t *bytes, crio_err **err);

/* --cpus: a float of CPUs, as podman's CoresToPeriodAndQuota: period 100000,
 * quota cpus * 100000 (truncated); "1.5" gives 150000. 0 sets nothing
 * (*quota and *period 0). */
int kpod_parse_cpus(const char *s, int64_t *quota, int64_t *period, crio_err **err);

/* -p/--publish [[hostIP:]hostPort[-end]:]containerPort[-end][/proto[,proto]]
 * (an IPv6 hostIP in brackets), as podman's CreatePortBindings: appends one
 * PortMapping object per port and protocol to ports (ranges are expanded,
 * since the API maps single ports). A missing or empty host port is sent as
 * 0; host IP 0.0.0.0 is left out. */
int kpod_parse_publish(const char *spec, json_t *ports, crio_err **err);

/* -v/--volume SRC:DST[:OPTIONS], a bind mount: SRC absolute (or starting
 * with "." and made absolute against cwd; cwd NULL refuses it), DST
 * absolute, OPTIONS comma-separated from ro, rw, z, Z, [no]suid, [no]dev,
 * [no]exec, [r]bind, [r]shared, [r]slave, [r]private, each kind once. */
int kpod_parse_volume(const char *spec, const char *cwd, json_t **mount, crio_err **err);

/* --tmpfs DST[:OPTIONS]: a tmpfs mount; without options podman's defaults
 * rw, noexec, nosuid, nodev. */
int kpod_parse_tmpfs(const char *spec, json_t **mount, crio_err **err);

/* -e/--env as podman's parseEnv, into env (an object, so a later value of a
 * key replaces the earlier one): K=V sets K; K alone takes K's value from
 * environ (nothing when unset); K* takes every variable of environ whose
 * name starts with K. "=V" is an error. */
int kpod_parse_env(const char *line, char *const *environ_, json_t *env, crio_err **err);

/* --env-file: each line of the file as -e, blank lines and # comments
 * skipped. */
int kpod_parse_env_file(const char *path, char *const *environ_, json_t *env, crio_err **err);

/* The env object as the API's ["K=V", ...], in the order keys were first set. */
json_t *kpod_env_list(const json_t *env);

/* --entrypoint as podman takes it: a JSON array of strings ('["sh","-c"]')
 * is that array; anything else is one argument. "" and "[]" give an empty
 * array (no entrypoint). */
json_t *kpod_parse_entrypoint(const char *s);

/* --device HOST[:CONTAINER][:PERMISSIONS] as podman's ParseDevice: a Device
 * object; CONTAINER defaults to HOST, PERMISSIONS (r, w, m, each once) to rwm. */
int kpod_parse_device(const char *s, json_t **device, crio_err **err);

/* -l/--label K[=V] (V empty when absent) and --annotation K=V, into obj. */
int kpod_parse_label(const char *s, json_t *labels, crio_err **err);
int kpod_parse_annotation(const char *s, json_t *annotations, crio_err **err);

/* The exit status of `kpod run` when the start of its container failed, as
 * podman maps OCI runtime errors: 126 when the message says "permission
 * denied" or "operation not permitted" (the command cannot be invoked), 127
 * when it says "not found" or "no such file or directory" (the command does
 * not exist), else 125. Case is ignored. */
int kpod_start_exit_code(const char *message);

/* What the spec builder needs beside the command line. */
typedef struct kpod_spec_env {
  char *const *environ_;  /* for -e K and K* */
  const char *cwd;        /* for -v ./dir:/dst; NULL refuses relative sources */
} kpod_spec_env;

/* The ContainerSpec of `kpod create` from its parsed command line:
 * positional[0] the image, the rest the command. */
int kpod_container_spec(const kpod_args *args, const kpod_spec_env *env, json_t **spec,
                        crio_err **err);

/* What create and run share: check --pull, build the spec (from environ and
 * the working directory), pull the image as --pull says, POST
 * /v1/containers. *id gets the new container's ID. */
int kpod_container_create(kpod_ctx *ctx, const kpod_args *args, char **id, crio_err **err);

/* The options that create and run share (run adds --detach and --rm). */
#define KPOD_CREATE_FLAGS                                                             \
  { "annotation", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                           \
    "Add annotations to container (key=value)" },                                     \
  { "cap-add", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                              \
    "Add capabilities to the container" },                                            \
  { "cap-drop", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                             \
    "Drop capabilities from the container" },                                         \
  { "cpu-shares", 0, KPOD_FLAG_STRING, "uint",                                        \
    "CPU shares (relative weight)" },                                                 \
  { "cpus", 0, KPOD_FLAG_STRING, "float",                                             \
    "Number of CPUs. The default is 0.000 which means no limit" },                    \
  { "cpuset-cpus", 0, KPOD_FLAG_STRING, "string",                                     \
    "CPUs in which to allow execution (0-3, 0,1)" },                                  \
  { "device", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                               \
    "Add a host device to the container (HOST[:CONTAINER][:PERMISSIONS])" },          \
  { "entrypoint", 0, KPOD_FLAG_STRING, "string",                                      \
    "Overwrite the default ENTRYPOINT of the image (a string, or a JSON array)" },    \
  { "env", 'e', KPOD_FLAG_STRING_ARRAY, "stringArray",                                \
    "Set environment variables in container" },                                       \
  { "env-file", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                             \
    "Read in a file of environment variables" },                                      \
  { "interactive", 'i', KPOD_FLAG_BOOL, NULL,                                         \
    "Keep STDIN open even if not attached" },                                         \
  { "label", 'l', KPOD_FLAG_STRING_ARRAY, "stringArray",                              \
    "Set metadata on container (key[=value])" },                                      \
  { "memory", 'm', KPOD_FLAG_STRING, "string",                                        \
    "Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), " \
    "m (mebibytes), or g (gibibytes))" },                                             \
  { "name", 0, KPOD_FLAG_STRING, "string",                                            \
    "Assign a name to the container" },                                               \
  { "pids-limit", 0, KPOD_FLAG_STRING, "int",                                         \
    "Tune container pids limit (set -1 for unlimited)" },                             \
  { "pod", 0, KPOD_FLAG_STRING, "string",                                             \
    "Run container in an existing pod" },                                             \
  { "privileged", 0, KPOD_FLAG_BOOL, NULL,                                            \
    "Give extended privileges to container" },                                        \
  { "publish", 'p', KPOD_FLAG_STRING_ARRAY, "stringArray",                            \
    "Publish a container's port, or a range of ports, to the host" },                 \
  { "pull", 0, KPOD_FLAG_STRING, "string",                                            \
    "Pull image policy (always, missing, never)" },                                   \
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL,                                               \
    "Suppress output information when pulling images" },                              \
  { "read-only", 0, KPOD_FLAG_BOOL, NULL,                                             \
    "Make containers root filesystem read-only" },                                    \
  { "runtime", 0, KPOD_FLAG_STRING, "string",                                         \
    "The runtime handler of the daemon to run it with" },                             \
  { "security-opt", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                         \
    "Security options (seccomp=PROFILE|unconfined, apparmor=PROFILE|unconfined, "     \
    "no-new-privileges)" },                                                           \
  { "stop-signal", 0, KPOD_FLAG_STRING, "string",                                     \
    "Signal to stop a container. Default is SIGTERM" },                               \
  { "tmpfs", 0, KPOD_FLAG_STRING_ARRAY, "stringArray",                                \
    "Mount a temporary filesystem (tmpfs) into a container" },                        \
  { "tty", 't', KPOD_FLAG_BOOL, NULL,                                                 \
    "Allocate a pseudo-TTY for container" },                                          \
  { "user", 'u', KPOD_FLAG_STRING, "string",                                          \
    "Username or UID (format: <name|uid>[:<group|gid>])" },                           \
  { "volume", 'v', KPOD_FLAG_STRING_ARRAY, "stringArray",                             \
    "Bind mount a volume into the container (SRC:DST[:OPTIONS])" },                   \
  { "workdir", 'w', KPOD_FLAG_STRING, "string",                                       \
    "Working directory inside the container" }

#endif
