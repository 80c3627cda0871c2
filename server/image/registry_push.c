/* Writing to a registry: blob uploads (monolithic or chunked) and manifest PUT. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void clear_response(reg_response *r)
{
  reg_response_clear(r);
}
#define _cleanup_resp_ __attribute__((cleanup(clear_response)))

/* The upload URL the registry answered, resolved against the request's. */
static int next_location(registry_client *c, const reg_request *req, const reg_response *resp,
                         const char *what, char **out, crio_err **err)
{
  if (!resp->location || !*resp->location)
    return crio_err_set(err, CRIO_E_INVALID, "%s: %s %s answered %ld without a Location",
                        what, req->method, req->url, resp->status);
  CURLU *u = curl_url();
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, resp->url ? resp->url : req->url, 0);
  if (rc == CURLUE_OK)
    rc = curl_url_set(u, CURLUPART_URL, resp->location, 0);
  char *abs = NULL;
  if (rc == CURLUE_OK)
    rc = curl_url_get(u, CURLUPART_URL, &abs, 0);
  curl_url_cleanup(u);
  if (rc != CURLUE_OK)
    return crio_err_set(err, CRIO_E_INVALID, "%s: invalid upload Location \"%s\" from %s: %s",
                        what, resp->location, c->host, curl_url_strerror(rc));
  *out = xstrdup(abs);
  curl_free(abs);
  return 0;
}

/* One upload step: req must answer `want`; *loc becomes the next Location. */
static int upload_step(registry_client *c, reg_request *req, long want, const char *what,
                       char **loc, crio_err **err)
{
  _cleanup_resp_ reg_response resp = { 0 };
  int r = reg_send(c, req, &resp, err);
  if (r < 0)
    return crio_err_wrap(err, "%s", what);
  if (resp.status != want)
    return reg_status_error(c, &resp, what, err);
  if (!loc)
    return 0;
  _cleanup_free_ char *next = NULL;
  r = next_location(c, req, &resp, what, &next, err);
  if (r < 0)
    return r;
  free(*loc);
  *loc = steal_pointer(&next);
  return 0;
}

static char *with_digest(const char *loc, const char *digest)
{
  char *esc = curl_easy_escape(NULL, digest, 0);
  char *url = xasprintf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', esc);
  curl_free(esc);
  return url;
}

static int upload_chunks(registry_client *c, const char *repo, int fd, uint64_t size,
                         size_t chunk, const char *what, char **loc, crio_err **err)
{
  for (uint64_t off = 0; off < size; off += chunk) {
    uint64_t n = size - off < chunk ? size - off : chunk;
    char range[80];
    snprintf(range, sizeof range, "Content-Range: %llu-%llu", (unsigned long long) off,
             (unsigned long long) (off + n - 1));
    const char *headers[] = { range, "Content-Type: application/octet-stream", NULL };
    reg_request req = { .method = "PATCH", .url = *loc, .repo = repo, .push = true,
                        .headers = headers, .has_body = true, .body_fd = fd, .body_off = off,
                        .body_len = n, .body_once = true };
    int r = upload_step(c, &req, 202, what, loc, err);
    if (r < 0)
      return r;
  }
  return 0;
}

int registry_put_blob(registry_client *c, const char *repo, const char *digest, const char *path,
                      size_t chunk_size, crio_err **err)
{
  int r = reg_repo_check(c, repo, err);
  if (r == 0)
    r = reg_digest_check(digest, err);
  _cleanup_free_ char *url = NULL;
  if (r == 0)
    r = reg_url(c, repo, "blobs/uploads/", &url, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open %s for upload", path);
  _cleanup_free_ char *what = xasprintf("upload of blob %s to %s/%s", digest, c->host, repo);
  _cleanup_free_ char *loc = NULL;
  reg_request start = { .method = "POST", .url = url, .repo = repo, .push = true,
                        .has_body = true, .body = "" };
  r = upload_step(c, &start, 202, what, &loc, err);
  uint64_t size = (uint64_t) st.st_size;
  if (r == 0 && chunk_size > 0)
    r = upload_chunks(c, repo, fd, size, chunk_size, what, &loc, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *final = with_digest(loc, digest);
  const char *headers[] = { "Content-Type: application/octet-stream", NULL };
  reg_request put = { .method = "PUT", .url = final, .repo = repo, .push = true,
                      .headers = headers, .has_body = true, .body = "", .body_once = true };
  if (chunk_size == 0) {
    put.body = NULL;
    put.body_fd = fd;
    put.body_len = size;
  }
  return upload_step(c, &put, 201, what, NULL, err);
}

int registry_put_manifest(registry_client *c, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, char **digest_out,
                          crio_err **err)
{
  int r = reg_repo_check(c, repo, err);
  if (r == 0)
    r = reg_ref_check(c, repo, ref, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *name = reg_ref_name(c, repo, ref);
  const char *want = strchr(ref, ':') ? ref : NULL;
  _cleanup_free_ char *digest = reg_digest_of(want, body, len);
  if (want && strcmp(want, digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "put manifest %s: its digest is %s", name, digest);
  if (!media_type || !*media_type || strchr(media_type, '\n') || strchr(media_type, '\r'))
    return crio_err_set(err, CRIO_E_INVALID, "put manifest %s: invalid media type", name);
  _cleanup_free_ char *rest = xasprintf("manifests/%s", ref);
  _cleanup_free_ char *url = NULL;
  r = reg_url(c, repo, rest, &url, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *ct = xasprintf("Content-Type: %s", media_type);
  const char *headers[] = { ct, NULL };
  reg_request req = { .method = "PUT", .url = url, .repo = repo, .push = true,
                      .headers = headers, .has_body = true, .body = body, .body_len = len };
  _cleanup_resp_ reg_response resp = { 0 };
  _cleanup_free_ char *what = xasprintf("put manifest %s", name);
  r = reg_send(c, &req, &resp, err);
  if (r < 0)
    return crio_err_wrap(err, "%s", what);
  if (resp.status != 201 && resp.status != 200 && resp.status != 202)
    return reg_status_error(c, &resp, what, err);
  const char *dcd = resp.docker_digest;
  size_t alg = strcspn(digest, ":");
  if (dcd && strncmp(dcd, digest, alg + 1) == 0 && strcmp(dcd, digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s: the registry stored digest %s, not %s", what,
                        dcd, digest);
  if (digest_out)
    *digest_out = steal_pointer(&digest);
  return 0;
}
