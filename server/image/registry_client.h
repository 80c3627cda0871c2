/* A client of one container registry (OCI distribution API / Docker
 * registry v2) over libcurl.
 *
 * One client per registry host; the repository is named in every call. A
 * client is thread-safe: concurrent calls share connections, DNS results and
 * TLS sessions (one CURLSH), and the authentication state.
 *
 * Transport: HTTPS, verified against the system CAs plus the *.crt files of
 * CERTS_DIR/HOST[:PORT]/ (containers-certs.d(5)), with CERTS_DIR/HOST/X.cert
 * + X.key as the client certificate. A registry marked insecure is tried
 * over HTTPS without verification first and over plain HTTP when that fails
 * (podman's meaning of "insecure"). Connection failures, timeouts and 5xx are
 * retried 3 times (200/400/800 ms apart), 4xx never; an interrupted download
 * resumes where it stopped. Redirects (to storage URLs) are followed, and
 * credentials are sent only to the registry itself.
 *
 * Authentication: on 401 the WWW-Authenticate challenge is answered (Basic,
 * or Bearer: a token from the realm for the request's scope, cached per
 * scope until it expires) and the request is sent once more. Credentials are
 * the explicit ones of the options, else those auth.json holds for
 * HOST/REPOSITORY (see auth_file.h), else none (anonymous tokens).
 *
 * Errors (crio_err codes): 404 is CRIO_E_NOT_FOUND ("manifest for
 * 127.0.0.1:5000/busybox:nope not found"); 401/403 after authenticating are
 * CRIO_E_UNAUTHORIZED; an unreachable registry or a failed TLS handshake is
 * CRIO_E_UNAVAILABLE naming the URL and curl's message; content whose digest
 * is not the one asked for is CRIO_E_INVALID ("digest mismatch"). */
#ifndef CRIO_IMAGE_REGISTRY_CLIENT_H
#define CRIO_IMAGE_REGISTRY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct registry_client registry_client;

typedef struct registry_opts {
  const char *host;       /* "127.0.0.1:5000", "quay.io"; "docker.io" talks to registry-1.docker.io */
  bool insecure;          /* unverified HTTPS, then plain HTTP */
  const char *username;   /* explicit credentials (--creds); NULL: from auth_file */
  const char *password;
  const char *auth_file;  /* NULL: auth_file_default_path() */
  const char *certs_dir;  /* NULL: /etc/containers/certs.d */
  const char *user_agent; /* NULL: "crio-c/VERSION" */
  int cancel_fd;          /* > 0: once readable, transfers stop (no retry) with
                             CRIO_E_UNAVAILABLE "cancelled" */
} registry_opts;

#define REGISTRY_CERTS_DIR_DEFAULT "/etc/containers/certs.d"
#define REGISTRY_MANIFEST_MAX (4u << 20)  /* larger manifests are refused */

/* Media types asked for by registry_get_manifest when accept is NULL. */
extern const char *const registry_manifest_types[];

/* Reads certs.d and checks the options; contacts nobody. */
int registry_client_new(const registry_opts *o, registry_client **out, crio_err **err);
void registry_client_free(registry_client *c);

/* The host as given in the options ("docker.io", "127.0.0.1:5000"). */
const char *registry_client_host(const registry_client *c);

/* GET /v2/ with the authentication handshake: checks that the registry
 * answers and that the credentials are accepted (what login does). */
int registry_ping(registry_client *c, crio_err **err);

/* A manifest or index by tag or digest. accept: NULL-terminated media types
 * (NULL: registry_manifest_types). Verifies the body against ref when ref is
 * a digest and against Docker-Content-Digest when the registry sends one.
 * Out (each optional, new strings): body (NUL-terminated) and len, the media
 * type (Content-Type, or the body's mediaType when the registry sends a
 * generic one), and the digest computed from the body ("sha256:..."). */
int registry_get_manifest(registry_client *c, const char *repo, const char *ref,
                          const char *const *accept, char **body, size_t *len, char **media_type,
                          char **digest, crio_err **err);

/* Sink of a download: gets the bytes in order; a negative return aborts the
 * download, and that value (a -crio_code) is returned by the call. */
typedef int (*registry_sink)(const void *buf, size_t n, void *ud);

/* Streams blob DIGEST of repo to sink, verifying at the end that the bytes
 * have that digest (mismatch: CRIO_E_INVALID, "blob sha256:... from
 * 127.0.0.1:5000/busybox: digest mismatch (got sha256:...)"). After a
 * mismatch the sink has seen bad bytes: the caller discards them.
 * *size_out (optional) gets the number of bytes. */
int registry_get_blob(registry_client *c, const char *repo, const char *digest,
                      registry_sink sink, void *ud, uint64_t *size_out, crio_err **err);

/* A small blob (an image config) in memory, NUL-terminated; more than max
 * bytes is CRIO_E_TOO_LARGE. */
int registry_get_blob_bytes(registry_client *c, const char *repo, const char *digest, size_t max,
                            char **out, size_t *len, crio_err **err);

/* HEAD of a blob: *exists is true on 200, false on 404. */
int registry_blob_exists(registry_client *c, const char *repo, const char *digest, bool *exists,
                         crio_err **err);

/* Uploads the file at path as blob DIGEST of repo (the registry checks the
 * digest). chunk_size 0: one POST then one PUT with the whole file; > 0:
 * PATCH requests of chunk_size bytes with Content-Range, then the PUT. */
int registry_put_blob(registry_client *c, const char *repo, const char *digest, const char *path,
                      size_t chunk_size, crio_err **err);

/* PUT of a manifest under ref (a tag or its digest); *digest_out (optional)
 * gets the digest of body ("sha256:..."). */
int registry_put_manifest(registry_client *c, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, char **digest_out,
                          crio_err **err);

#endif
