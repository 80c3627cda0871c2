/* Image references in the docker grammar, normalized as distribution/reference
 * and podman normalize them:
 *
 *   reference := [domain '/'] path [':' tag] ['@' digest]
 *   domain    := host [':' port]   host: DNS name, "localhost" or [IPv6]
 *   path      := component ('/' component)*
 *   component := [a-z0-9]+ (separator [a-z0-9]+)*   separator: . _ __ or -+
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := "sha256:" 64 lowercase hex digits (other algorithms refused)
 *
 * The first path part is a domain only when it holds a '.' or a ':', is
 * "localhost" or is a bracketed IPv6 address; otherwise the domain is
 * docker.io, and a single-component docker.io path gets "library/" in front
 * ("busybox" is docker.io/library/busybox). index.docker.io is docker.io.
 * A tag and a digest may both be given; with neither, the tag is "latest".
 * The path must be lowercase and domain + '/' + path at most 255 characters.
 *
 * A string of 64 lowercase hex digits alone is refused: it is an image ID,
 * which callers look up before treating a name as a reference.
 *
 * Errors are CRIO_E_INVALID and read `invalid reference "<input>": <why>`. */
#ifndef CRIO_IMAGE_REFERENCE_H
#define CRIO_IMAGE_REFERENCE_H

#include <stdbool.h>

#include "util/err.h"

typedef struct image_ref {
  char *domain;  /* "docker.io", "localhost:5000", "[::1]:5000" */
  char *path;    /* "library/busybox" */
  char *tag;     /* "latest"; NULL when only a digest was given */
  char *digest;  /* "sha256:<64 hex>" or NULL */
} image_ref;

/* Parse and fully normalize s. On failure *out is left all NULL. */
int image_ref_parse(const char *s, image_ref *out, crio_err **err);

/* True when s names no registry (its first '/'-separated part is not a
 * domain): "busybox", "library/busybox:1", "team/app@sha256:..." */
bool image_ref_is_short_name(const char *s);

/* Parse short_name as if written under domain (an unqualified-search
 * registry): ("busybox", "quay.io") is quay.io/busybox:latest, and
 * ("busybox", "docker.io") docker.io/library/busybox:latest. A short_name
 * that names a registry itself, or a domain that is not host[:port], is
 * CRIO_E_INVALID. */
int image_ref_with_domain(const char *short_name, const char *domain, image_ref *out,
                          crio_err **err);

/* host[:port] as a reference's domain may be written: DNS labels, "localhost"
 * or a bracketed IPv6 address, and an optional numeric port. */
bool image_ref_domain_valid(const char *domain);

/* "docker.io/library/busybox": domain and path, without tag or digest. */
char *image_ref_repo(const image_ref *r);
/* "docker.io/library/busybox:latest", "...@sha256:...", "...:tag@sha256:...". */
char *image_ref_string(const image_ref *r);

/* Frees the strings and sets them to NULL. */
void image_ref_clear(image_ref *r);

#endif
