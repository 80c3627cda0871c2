/* Internals of the registry client, shared by its files:
 *   registry_client.c  the client, pulls (manifests, blobs), error mapping
 *   registry_push.c    blob uploads and manifest PUT
 *   registry_http.c    one HTTP exchange: TLS, retries, redirects, headers
 *   registry_auth.c    WWW-Authenticate, tokens, Basic, credentials
 * Not for use outside server/image/registry_*.c (and their unit test). */
#ifndef CRIO_IMAGE_REGISTRY_INTERNAL_H
#define CRIO_IMAGE_REGISTRY_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "registry_client.h"
#include "util/strbuf.h"

/* A parsed WWW-Authenticate challenge; scheme NULL when none is known. */
typedef struct reg_challenge {
  char *scheme;  /* "basic" or "bearer" (lower case) */
  char *realm;
  char *service;
  char *scope;
} reg_challenge;

/* Picks the challenge to answer from a WWW-Authenticate value (several
 * challenges and several headers joined by ", " allowed): Bearer before
 * Basic, others ignored. Quoted values may hold commas and \-escapes.
 * Returns 0, or -1 when there is no Basic or Bearer challenge. */
int reg_challenge_parse(const char *header, reg_challenge *out);
void reg_challenge_clear(reg_challenge *ch);

typedef struct reg_token {
  char *scope;
  char *token;
  struct timespec expires;  /* CLOCK_MONOTONIC */
  struct reg_token *next;
} reg_token;

typedef struct reg_creds {
  char *key;  /* "host/repo" looked up in the auth file */
  char *user; /* NULL: none there */
  char *pass;
  struct reg_creds *next;
} reg_creds;

struct registry_client {
  char *host;      /* as given: names, certs.d and auth.json keys */
  char *api_host;  /* where requests go: docker.io -> registry-1.docker.io */
  bool insecure;
  char *username;  /* explicit credentials or NULL */
  char *password;
  char *auth_file;
  char *certs_dir;
  char *user_agent;
  int cancel_fd;   /* registry_opts.cancel_fd; <= 0: none */
  char *ca_blob;   /* system CAs + certs.d *.crt (PEM), or NULL: curl's default */
  size_t ca_blob_len;
  char *client_cert;
  char *client_key;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

  pthread_mutex_t lock;  /* guards the fields below */
  char *base;            /* "https://HOST" or "http://HOST" once known */
  reg_challenge challenge;
  reg_token *tokens;
  reg_creds *creds;
};

/* One request. url is absolute. The body is either memory (body) or
 * body_len bytes of body_fd from body_off, or nothing (has_body false). */
typedef struct reg_request {
  const char *method;          /* GET HEAD POST PUT PATCH */
  const char *url;
  const char *repo;            /* scope of the token; NULL: none (ping) */
  bool push;                   /* scope actions pull,push instead of pull */
  const char *const *headers;  /* extra "Name: value", NULL-terminated, or NULL */
  bool has_body;
  const char *body;
  int body_fd;
  uint64_t body_off;
  uint64_t body_len;
  bool body_once;              /* after it may have been sent, never resend */
  registry_sink sink;          /* 2xx bodies go here; else into resp->body */
  void *sink_ud;
  size_t max_body;             /* cap of a collected 2xx body; 0: 1 MiB */
  bool single_attempt;         /* no retries (probing the scheme) */
  const char *auth_header;     /* set by the auth layer: "Authorization: ..." */
} reg_request;

typedef struct reg_response {
  long status;
  char *content_type;
  char *docker_digest;   /* Docker-Content-Digest */
  char *location;
  char *www_auth;        /* every WWW-Authenticate, joined by ", " */
  char *url;             /* the URL that answered (after redirects) */
  strbuf body;           /* error bodies (capped) or a collected 2xx body */
  uint64_t delivered;    /* bytes handed to the sink */
  int attempts;
} reg_response;

void reg_response_clear(reg_response *r);

/* One logical exchange: redirects followed (Authorization only to the
 * registry's own origin), transient failures retried with backoff, an
 * interrupted download resumed with Range. Returns 0 once an HTTP status
 * was received (any status: the caller maps it), or a negative code for a
 * transport failure (CRIO_E_UNAVAILABLE naming the URL), a sink's abort
 * (its code) or a collected body over max_body (CRIO_E_TOO_LARGE). */
int reg_http_perform(registry_client *c, const reg_request *req, reg_response *resp,
                     crio_err **err);

/* The base URL ("https://HOST"), probing HTTPS then HTTP once for an
 * insecure registry. */
int reg_base(registry_client *c, char **out, crio_err **err);

/* Sends req with authentication: adds the Authorization the known
 * challenge needs, and on 401 answers the new challenge and sends once more.
 * Returns 0 with the final status in resp (which may still be 401). */
int reg_send(registry_client *c, reg_request *req, reg_response *resp, crio_err **err);

/* The "Authorization: ..." header for req, or NULL when none is known to be
 * needed yet. May fetch a token. */
int reg_auth_header(registry_client *c, const reg_request *req, char **out, crio_err **err);
/* After a 401: adopt the challenge of resp and forget the token of req's
 * scope. Fails (CRIO_E_UNAUTHORIZED) when the challenge cannot be answered. */
int reg_auth_challenged(registry_client *c, const reg_request *req, const reg_response *resp,
                        crio_err **err);
void reg_auth_free(registry_client *c);

/* The error for a response whose status is not the expected one. what names
 * the object ("manifest for 127.0.0.1:5000/busybox:nope"). */
int reg_status_error(registry_client *c, const reg_response *resp, const char *what,
                     crio_err **err);

/* "sha256:<64 hex>" or "sha512:<128 hex>": 0, else CRIO_E_INVALID naming it. */
int reg_digest_check(const char *digest, crio_err **err);

/* Incremental digest in the algorithm of a digest string (NULL: sha256). */
typedef struct reg_hash {
  void *ctx;        /* EVP_MD_CTX */
  const char *alg;  /* "sha256" or "sha512" */
} reg_hash;
void reg_hash_init(reg_hash *h, const char *like_digest);
void reg_hash_update(reg_hash *h, const void *data, size_t len);
char *reg_hash_final(reg_hash *h);  /* "alg:hex"; h is released */
void reg_hash_release(reg_hash *h); /* without a result (error paths) */
char *reg_digest_of(const char *like_digest, const void *data, size_t len);
/* Repository names: lower-case path components [a-z0-9._-]. */
int reg_repo_check(const registry_client *c, const char *repo, crio_err **err);
/* A tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) or a digest. */
int reg_ref_check(const registry_client *c, const char *repo, const char *ref, crio_err **err);
/* "HOST/REPO:TAG" or "HOST/REPO@DIGEST", for messages. */
char *reg_ref_name(const registry_client *c, const char *repo, const char *ref);
/* base + "/v2/" + repo + "/" + rest. */
int reg_url(registry_client *c, const char *repo, const char *rest, char **out, crio_err **err);

#endif
