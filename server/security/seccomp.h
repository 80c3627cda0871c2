/* seccomp for containers: which profile a container gets, and that profile
 * as the OCI runtime spec's linux.seccomp object.
 *
 * Profiles are named as podman and CRI-O name them:
 * - "" or "runtime/default" (also the CRI's old "docker/default"): the
 *   default profile: [crio.runtime] seccomp_profile when set, else the
 *   built-in one, containers/common's (seccomp_default.c);
 * - "unconfined": no filter;
 * - "localhost/PATH" (the CRI's localhost profile) or "/PATH": a profile
 *   file in the docker/containers format: defaultAction, defaultErrnoRet,
 *   architectures or archMap, syscalls [{names | name, action, errnoRet,
 *   args [{index, value, valueTwo, op}], includes, excludes}].
 * A profile's rules with includes.caps apply only when the container has
 * every one of those capabilities (excludes.caps: none of them), and
 * includes.arches/excludes.arches are matched against this host's
 * architecture, as docker and podman do. A privileged container gets no
 * filter whatever is asked. */
#ifndef CRIO_SECURITY_SECCOMP_H
#define CRIO_SECURITY_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

typedef struct seccomp_request {
  const char *profile;        /* as asked for, see above; NULL: "" */
  const char *default_path;   /* crio.conf's seccomp_profile; NULL or "": built in */
  bool privileged;
  char *const *caps;          /* the container's capabilities, "CAP_SYS_ADMIN" spelling */
  size_t n_caps;
  const char *arch;           /* GOARCH spelling ("amd64", "arm64"); NULL: this host's */
} seccomp_request;

/* *json_out: the linux.seccomp object as JSON text, NULL when the container
 * gets no filter; *effective_out: the profile in effect, "runtime/default",
 * "unconfined" or "localhost/PATH" (both free them). A profile name that
 * is none of the above, a file that cannot be read, is not JSON or holds an
 * unknown action, operator or architecture gives CRIO_E_INVALID with a
 * message naming the profile and what is wrong. */
int seccomp_resolve(const seccomp_request *req, char **json_out, char **effective_out,
                    crio_err **err);

/* profile (the docker/containers format) as the linux.seccomp object for a
 * container of req's capabilities and architecture; what names the profile
 * in error messages. */
int seccomp_profile_to_oci(json_t *profile, const char *what, const seccomp_request *req,
                           json_t **out, crio_err **err);

/* The built-in default profile in the docker/containers format (a new
 * reference). */
json_t *seccomp_default_profile(void);

#endif
