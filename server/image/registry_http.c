/* One HTTP exchange with a registry: TLS setup, header capture, bodies in
 * and out, redirects, retries with backoff and resumed downloads. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define MAX_RETRIES 3          /* after the first attempt: 200, 400, 800 ms */
#define MAX_REDIRECTS 10
#define ERROR_BODY_MAX (64u << 10)
#define DEFAULT_BODY_MAX (1u << 20)

/* State of one attempt, seen by the curl callbacks. */
typedef struct xfer {
  const reg_request *req;
  reg_response *resp;
  uint64_t skip;       /* bytes of a 200 answer to a Range request already delivered */
  uint64_t read_pos;   /* offset in the request body */
  int sink_rc;
  bool too_large;
} xfer;

void reg_response_clear(reg_response *r)
{
  free(r->content_type);
  free(r->docker_digest);
  free(r->location);
  free(r->www_auth);
  free(r->url);
  strbuf_free(&r->body);
  uint64_t delivered = r->delivered;
  int attempts = r->attempts;
  memset(r, 0, sizeof *r);
  r->delivered = delivered;
  r->attempts = attempts;
}

static void reset_headers(reg_response *r)
{
  free(r->content_type);
  free(r->docker_digest);
  free(r->location);
  free(r->www_auth);
  r->content_type = r->docker_digest = r->location = r->www_auth = NULL;
  strbuf_reset(&r->body);
}

static char *header_value(const char *line, size_t n, const char *name)
{
  size_t nl = strlen(name);
  if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
    return NULL;
  const char *v = line + nl + 1;
  const char *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  return xstrndup(v, (size_t) (end - v));
}

static void keep_header(char **slot, char *value)
{
  if (!value)
    return;
  free(*slot);
  *slot = value;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
  xfer *x = ud;
  size_t n = size * nmemb;
  reg_response *r = x->resp;
  if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
    /* A new response (after 100 Continue, say): forget the previous one's. */
    reset_headers(r);
    const char *sp = memchr(line, ' ', n);
    r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    return n;
  }
  keep_header(&r->content_type, header_value(line, n, "Content-Type"));
  keep_header(&r->docker_digest, header_value(line, n, "Docker-Content-Digest"));
  keep_header(&r->location, header_value(line, n, "Location"));
  char *auth = header_value(line, n, "WWW-Authenticate");
  if (auth && r->www_auth) {
    char *joined = xasprintf("%s, %s", r->www_auth, auth);
    free(auth);
    auth = joined;
  }
  keep_header(&r->www_auth, auth);
  return n;
}

static bool status_ok(long s)
{
  return s >= 200 && s < 300;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
  xfer *x = ud;
  size_t n = size * nmemb;
  reg_response *r = x->resp;
  if (r->status >= 300 && r->status < 400)
    return n;  /* a redirect's body */
  if (!status_ok(r->status)) {
    if (r->body.len < ERROR_BODY_MAX)
      strbuf_append(&r->body, data, n < ERROR_BODY_MAX ? n : ERROR_BODY_MAX);
    return n;
  }
  if (!x->req->sink) {
    size_t max = x->req->max_body ? x->req->max_body : DEFAULT_BODY_MAX;
    if (r->body.len + n > max) {
      x->too_large = true;
      return 0;
    }
    strbuf_append(&r->body, data, n);
    return n;
  }
  size_t off = 0;
  if (r->status == 200 && x->skip > 0) {
    off = x->skip < n ? (size_t) x->skip : n;
    x->skip -= off;
  }
  if (off < n) {
    int rc = x->req->sink(data + off, n - off, x->req->sink_ud);
    if (rc < 0) {
      x->sink_rc = rc;
      return 0;
    }
    r->delivered += n - off;
  }
  return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
  xfer *x = ud;
  const reg_request *q = x->req;
  uint64_t left = q->body_len - x->read_pos;
  size_t n = size * nitems;
  if (n > left)
    n = (size_t) left;
  if (n == 0)
    return 0;
  if (q->body) {
    memcpy(buf, q->body + x->read_pos, n);
  } else {
    ssize_t got;
    do
      got = pread(q->body_fd, buf, n, (off_t) (q->body_off + x->read_pos));
    while (got < 0 && errno == EINTR);
    if (got <= 0)
      return CURL_READFUNC_ABORT;
    n = (size_t) got;
  }
  x->read_pos += n;
  return n;
}

static void set_tls(registry_client *c, CURL *h)
{
  if (c->insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (c->ca_blob) {
    struct curl_blob blob = { c->ca_blob, c->ca_blob_len, CURL_BLOB_NOCOPY };
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (c->client_cert) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
    curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
  }
}

static void set_method(CURL *h, const reg_request *q, xfer *x)
{
  if (strcmp(q->method, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (q->has_body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->body_len);
  } else if (strcmp(q->method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
  }
}

static struct curl_slist *build_headers(const reg_request *q, bool with_auth, uint64_t resume)
{
  struct curl_slist *l = curl_slist_append(NULL, "Expect:");
  for (const char *const *hp = q->headers; hp && *hp; hp++)
    l = curl_slist_append(l, *hp);
  if (with_auth && q->auth_header)
    l = curl_slist_append(l, q->auth_header);
  if (resume > 0) {
    char range[64];
    snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long) resume);
    l = curl_slist_append(l, range);
  }
  return l;
}

/* One request to url (no redirects, no retries). */
static bool cancelled(const registry_client *c)
{
  struct pollfd p = { .fd = c->cancel_fd, .events = POLLIN };
  return c->cancel_fd > 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* curl's progress callback: nonzero aborts the transfer. */
static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
  (void) dltotal;
  (void) dlnow;
  (void) ultotal;
  (void) ulnow;
  return cancelled(data) ? 1 : 0;
}

static CURLcode perform_once(registry_client *c, CURL *h, const char *url, bool with_auth,
                             xfer *x, char *errbuf)
{
  const reg_request *q = x->req;
  curl_easy_reset(h);
  errbuf[0] = '\0';
  x->read_pos = 0;
  uint64_t resume = q->sink ? x->resp->delivered : 0;
  x->skip = resume;
  struct curl_slist *hdrs = build_headers(q, with_auth, resume);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_SHARE, c->share);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);  /* a stall: < 1 KiB/s for 30 s */
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  if (c->cancel_fd > 0) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
  }
  set_method(h, q, x);
  if (strncmp(url, "https:", 6) == 0)
    set_tls(c, h);
  x->resp->status = 0;
  reset_headers(x->resp);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(hdrs);
  long status = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status)
    x->resp->status = status;
  return rc;
}

/* Same scheme, host and port as the registry: credentials may go there. */
static bool same_origin(registry_client *c, const char *url)
{
  pthread_mutex_lock(&c->lock);
  size_t n = c->base ? strlen(c->base) : 0;
  bool same = n && strncmp(url, c->base, n) == 0 && (url[n] == '/' || url[n] == '\0');
  pthread_mutex_unlock(&c->lock);
  return same;
}

static CURLcode perform_redirects(registry_client *c, CURL *h, xfer *x, char *errbuf)
{
  reg_response *r = x->resp;
  _cleanup_free_ char *url = xstrdup(x->req->url);
  bool with_auth = true;
  for (int hop = 0;; hop++) {
    CURLcode rc = perform_once(c, h, url, with_auth, x, errbuf);
    free(r->url);
    r->url = xstrdup(url);
    char *next = NULL;
    if (rc != CURLE_OK || r->status < 300 || r->status >= 400 ||
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next)
      return rc;
    if (hop == MAX_REDIRECTS) {
      snprintf(errbuf, CURL_ERROR_SIZE, "more than %d redirects", MAX_REDIRECTS);
      return CURLE_TOO_MANY_REDIRECTS;
    }
    free(url);
    url = xstrdup(next);
    /* Never hand the registry's credentials to another host (storage). */
    with_auth = with_auth && same_origin(c, url);
  }
}

static bool transient(CURLcode rc)
{
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_HTTP3:
    return true;
  default:
    return false;
  }
}

static bool retryable_status(long s)
{
  return s >= 500 && s != 501 && s != 505;
}

static int transport_error(registry_client *c, const reg_request *q, CURLcode rc,
                           const char *errbuf, crio_err **err)
{
  const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  const char *url = q->url;
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "%s %s: cancelled (crio is stopping)", q->method,
                        url);
  if (rc == CURLE_PEER_FAILED_VERIFICATION)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "%s %s: the TLS certificate of %s is not trusted (%s): add its CA to "
                        "%s/%s/ca.crt or mark the registry insecure",
                        q->method, url, c->host, detail, c->certs_dir, c->host);
  if (rc == CURLE_SSL_CONNECT_ERROR && !c->insecure)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "%s %s: TLS handshake with %s failed (%s); %s is not marked insecure, "
                        "so plain HTTP is not tried",
                        q->method, url, c->host, detail, c->host);
  return crio_err_set(err, CRIO_E_UNAVAILABLE, "%s %s: %s", q->method, url, detail);
}

static void backoff(int attempt)
{
  struct timespec ts = { 0, (long) (200 * 1000 * 1000) << attempt };
  while (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* Whether attempt number `attempt` (0-based) that ended in rc may be retried. */
static bool may_retry(const reg_request *q, const reg_response *r, CURLcode rc, int attempt)
{
  if (q->single_attempt || attempt >= MAX_RETRIES)
    return false;
  if (rc == CURLE_OK ? !retryable_status(r->status) : !transient(rc))
    return false;
  /* A body that may have reached the server is resent only when allowed. */
  if (q->has_body && q->body_once && rc != CURLE_COULDNT_CONNECT)
    return false;
  return true;
}

int reg_http_perform(registry_client *c, const reg_request *q, reg_response *resp,
                     crio_err **err)
{
  CURL *h = curl_easy_init();
  if (!h)
    return crio_err_set(err, CRIO_E_INTERNAL, "curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE];
  xfer x = { .req = q, .resp = resp };
  resp->delivered = 0;
  CURLcode rc = CURLE_OK;
  for (int attempt = 0;; attempt++) {
    x.sink_rc = 0;
    x.too_large = false;
    resp->attempts = attempt + 1;
    rc = perform_redirects(c, h, &x, errbuf);
    if (x.sink_rc < 0 || x.too_large || cancelled(c) || !may_retry(q, resp, rc, attempt))
      break;
    backoff(attempt);
  }
  curl_easy_cleanup(h);
  if (x.sink_rc < 0) {
    crio_code code = -x.sink_rc < CRIO_E__COUNT ? (crio_code) -x.sink_rc : CRIO_E_IO;
    return crio_err_set(err, code, "%s %s: the download was aborted by its consumer",
                        q->method, q->url);
  }
  if (x.too_large)
    return crio_err_set(err, CRIO_E_TOO_LARGE, "%s %s: the response is larger than %zu bytes",
                        q->method, q->url, q->max_body ? q->max_body : DEFAULT_BODY_MAX);
  if (rc != CURLE_OK)
    return transport_error(c, q, rc, errbuf, err);
  return 0;
}
