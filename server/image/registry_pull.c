/* Reading from a registry: manifests, blobs (streamed and verified), HEAD. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

const char *const registry_manifest_types[] = {
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  NULL,
};

static void clear_response(reg_response *r)
{
  reg_response_clear(r);
}
#define _cleanup_resp_ __attribute__((cleanup(clear_response)))

static char *accept_header(const char *const *accept)
{
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "Accept: ");
  for (const char *const *a = accept; *a; a++)
    strbuf_printf(&b, "%s%s", a == accept ? "" : ", ", *a);
  return strbuf_steal(&b);
}

/* Content-Type without parameters; the body's mediaType when that is generic. */
static char *manifest_media_type(const reg_response *resp)
{
  const char *ct = resp->content_type ? resp->content_type : "";
  size_t n = strcspn(ct, "; ");
  char *type = xstrndup(ct, n);
  if (n && strcmp(type, "application/json") != 0 && strcmp(type, "text/plain") != 0)
    return type;
  json_t *j = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, NULL);
  const char *mt = json_string_value(json_object_get(j, "mediaType"));
  if (mt && *mt) {
    free(type);
    type = xstrdup(mt);
  }
  json_decref(j);
  return type;
}

/* The body's digest, checked against ref (when a digest) and the registry's
 * Docker-Content-Digest (when sent in the same algorithm). */
static int verify_manifest(registry_client *c, const char *name, const char *ref,
                           const reg_response *resp, char **digest, crio_err **err)
{
  const char *want = strchr(ref, ':') ? ref : NULL;
  _cleanup_free_ char *got = reg_digest_of(want, resp->body.data ? resp->body.data : "",
                                           resp->body.len);
  if (want && strcmp(got, want) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "manifest %s: digest mismatch (got %s)", name, got);
  const char *dcd = resp->docker_digest;
  size_t alg = strcspn(got, ":");
  if (dcd && strncmp(dcd, got, alg + 1) == 0 && strcmp(dcd, got) != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "manifest %s: digest mismatch (got %s, the registry says %s)", name, got,
                        dcd);
  *digest = steal_pointer(&got);
  return 0;
}

int registry_get_manifest(registry_client *c, const char *repo, const char *ref,
                          const char *const *accept, char **body, size_t *len, char **media_type,
                          char **digest, crio_err **err)
{
  int r = reg_repo_check(c, repo, err);
  if (r == 0)
    r = reg_ref_check(c, repo, ref, err);
  _cleanup_free_ char *rest = xasprintf("manifests/%s", ref ? ref : "");
  _cleanup_free_ char *url = NULL;
  if (r == 0)
    r = reg_url(c, repo, rest, &url, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *name = reg_ref_name(c, repo, ref);
  _cleanup_free_ char *acc = accept_header(accept ? accept : registry_manifest_types);
  const char *headers[] = { acc, NULL };
  reg_request req = { .method = "GET", .url = url, .repo = repo, .headers = headers,
                      .max_body = REGISTRY_MANIFEST_MAX };
  _cleanup_resp_ reg_response resp = { 0 };
  r = reg_send(c, &req, &resp, err);
  if (r == -CRIO_E_TOO_LARGE)
    return crio_err_wrap(err, "manifest for %s", name);
  if (r < 0)
    return r;
  _cleanup_free_ char *what = xasprintf("manifest for %s", name);
  if (resp.status != 200)
    return reg_status_error(c, &resp, what, err);
  _cleanup_free_ char *dg = NULL;
  r = verify_manifest(c, name, ref, &resp, &dg, err);
  if (r < 0)
    return r;
  if (media_type)
    *media_type = manifest_media_type(&resp);
  if (digest)
    *digest = steal_pointer(&dg);
  if (len)
    *len = resp.body.len;
  if (body)
    *body = strbuf_steal(&resp.body);
  return 0;
}

/* Hashes and counts what goes to the caller's sink. */
typedef struct blob_tee {
  reg_hash hash;
  uint64_t size;
  registry_sink sink;
  void *ud;
} blob_tee;

static int tee_write(const void *buf, size_t n, void *ud)
{
  blob_tee *t = ud;
  reg_hash_update(&t->hash, buf, n);
  t->size += n;
  return t->sink(buf, n, t->ud);
}

static int blob_request(registry_client *c, const char *repo, const char *digest,
                        const char *method, reg_request *req, char **url, crio_err **err)
{
  int r = reg_repo_check(c, repo, err);
  if (r == 0)
    r = reg_digest_check(digest, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *rest = xasprintf("blobs/%s", digest);
  r = reg_url(c, repo, rest, url, err);
  if (r < 0)
    return r;
  *req = (reg_request) { .method = method, .url = *url, .repo = repo };
  return 0;
}

int registry_get_blob(registry_client *c, const char *repo, const char *digest,
                      registry_sink sink, void *ud, uint64_t *size_out, crio_err **err)
{
  reg_request req;
  _cleanup_free_ char *url = NULL;
  int r = blob_request(c, repo, digest, "GET", &req, &url, err);
  if (r < 0)
    return r;
  blob_tee tee = { .sink = sink, .ud = ud };
  reg_hash_init(&tee.hash, digest);
  req.sink = tee_write;
  req.sink_ud = &tee;
  _cleanup_resp_ reg_response resp = { 0 };
  r = reg_send(c, &req, &resp, err);
  _cleanup_free_ char *what = xasprintf("blob %s from %s/%s", digest, c->host, repo);
  if (r == -CRIO_E_UNAVAILABLE)
    crio_err_wrap(err, "%s", what);
  else if (r == 0 && resp.status != 200 && resp.status != 206)
    r = reg_status_error(c, &resp, what, err);
  if (r < 0) {
    reg_hash_release(&tee.hash);
    return r;
  }
  _cleanup_free_ char *got = reg_hash_final(&tee.hash);
  if (strcmp(got, digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s: digest mismatch (got %s)", what, got);
  if (size_out)
    *size_out = tee.size;
  return 0;
}

typedef struct bytes_sink {
  strbuf buf;
  size_t max;
} bytes_sink;

static int bytes_write(const void *data, size_t n, void *ud)
{
  bytes_sink *b = ud;
  if (b->buf.len + n > b->max)
    return -CRIO_E_TOO_LARGE;
  strbuf_append(&b->buf, data, n);
  return 0;
}

int registry_get_blob_bytes(registry_client *c, const char *repo, const char *digest, size_t max,
                            char **out, size_t *len, crio_err **err)
{
  bytes_sink b = { STRBUF_INIT, max };
  strbuf_puts(&b.buf, "");
  crio_err *e = NULL;
  int r = registry_get_blob(c, repo, digest, bytes_write, &b, NULL, &e);
  if (r == -CRIO_E_TOO_LARGE) {
    crio_err_free(e);
    e = NULL;
    crio_err_set(&e, CRIO_E_TOO_LARGE, "blob %s from %s/%s is larger than %zu bytes", digest,
                 c->host, repo, max);
  }
  if (r < 0) {
    strbuf_free(&b.buf);
    if (err && !*err)
      *err = e;
    else
      crio_err_free(e);
    return r;
  }
  if (len)
    *len = b.buf.len;
  *out = strbuf_steal(&b.buf);
  return 0;
}

int registry_blob_exists(registry_client *c, const char *repo, const char *digest, bool *exists,
                         crio_err **err)
{
  reg_request req;
  _cleanup_free_ char *url = NULL;
  int r = blob_request(c, repo, digest, "HEAD", &req, &url, err);
  if (r < 0)
    return r;
  _cleanup_resp_ reg_response resp = { 0 };
  r = reg_send(c, &req, &resp, err);
  if (r < 0)
    return r;
  *exists = resp.status == 200;
  if (resp.status == 200 || resp.status == 404)
    return 0;
  _cleanup_free_ char *what = xasprintf("blob %s in %s/%s", digest, c->host, repo);
  return reg_status_error(c, &resp, what, err);
}
