/* registries.conf: where images are pulled from, in the version 2 format of
 * containers-registries.conf(5), read with the project's TOML parser:
 *
 *   unqualified-search-registries = ["registry.example.com", "docker.io"]
 *   short-name-mode = "enforcing"          # or "permissive" (default), "disabled"
 *
 *   [[registry]]
 *   prefix = "example.com/foo"             # host, host/path or *.example.com
 *   location = "internal.example.net/bar"  # where prefix-rooted images really are
 *   insecure = false                       # plain HTTP and unverified TLS allowed
 *   blocked = false                        # pulls of matching images refused
 *   mirror-by-digest-only = false          # mirrors only for pulls by digest
 *
 *   [[registry.mirror]]                    # tried in order, before location
 *   location = "mirror.example.net/foo"
 *   insecure = true
 *   pull-from-mirror = "all"               # or "digest-only", "tag-only"
 *
 * A missing file is an empty configuration. Unknown keys and tables
 * ([aliases], credential-helpers, the deprecated version 1 [registries.*]
 * tables) are ignored, as containers/image ignores them; a known key of the
 * wrong type or with a bad value is CRIO_E_INVALID "FILE:LINE:COL: ...". */
#ifndef CRIO_IMAGE_REGISTRIES_CONF_H
#define CRIO_IMAGE_REGISTRIES_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "server/image/reference.h"
#include "util/err.h"

typedef struct registries_conf registries_conf;

typedef enum {
  SHORT_NAME_MODE_PERMISSIVE = 0, /* the default when the key is absent or "" */
  SHORT_NAME_MODE_ENFORCING,
  SHORT_NAME_MODE_DISABLED,
} short_name_mode;

/* One place to pull a repository from. */
typedef struct registry_endpoint {
  char *host;       /* host[:port] */
  char *repo_path;  /* the repository's path inside that host */
  bool insecure;    /* plain HTTP and unverified TLS allowed */
  bool is_mirror;
} registry_endpoint;

/* Load path; a missing file gives an empty configuration. *out is freed
 * with registries_conf_free(). */
int registries_conf_load(const char *path, registries_conf **out, crio_err **err);

/* The endpoints to try for ref, in order: the usable mirrors of the
 * [[registry]] whose prefix matches ref longest, then its location; without a
 * match, ref's own domain and path. A prefix matches the normalized
 * reference ("docker.io/library/busybox:latest") when it equals it or is
 * followed by '/', '@' or (after a path) ':'; "*.example.com" matches hosts
 * under example.com. The matched part is replaced by the endpoint's location.
 * An endpoint is insecure when registries.conf says so or its host is one of
 * extra_insecure (crio.conf's insecure_registries, host[:port] entries).
 * A blocked match is CRIO_E_INVALID "registry PREFIX is blocked in PATH".
 * c may be NULL (no registries.conf). Free *out with registry_endpoints_free(). */
int registries_conf_endpoints(const registries_conf *c, const image_ref *ref,
                              char *const *extra_insecure, size_t n_extra_insecure,
                              registry_endpoint **out, size_t *n, crio_err **err);
void registry_endpoints_free(registry_endpoint *e, size_t n);

/* unqualified-search-registries, in order (host[:port] each). */
const char *const *registries_conf_search(const registries_conf *c, size_t *n);
short_name_mode registries_conf_short_name_mode(const registries_conf *c);

void registries_conf_free(registries_conf *c);

#endif
