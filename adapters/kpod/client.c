#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "version.h"

struct kpod_client {
  char *url;          /* as the user gave it, for messages */
  char *socket_path;  /* NULL over TCP */
  char *base;         /* scheme://host[:port] that paths are appended to */
  char *auth_header;  /* "Authorization: Bearer ..." or NULL */
  CURL *curl;
  char errbuf[CURL_ERROR_SIZE];
};

/* One request's answer as it arrives. */
typedef struct transfer {
  CURL *curl;
  long status;
  strbuf body;        /* the whole answer, or only an error answer when streaming */
  strbuf line;        /* a streamed line not yet complete */
  kpod_line_fn fn;
  kpod_data_fn data_fn; /* raw chunks of a 2xx answer, instead of lines */
  void *userdata;
  crio_err **err;
  int fn_ret;
  int uploading;        /* the request body is read from upload_fd */
  int upload_fd;
  long long upload_size; /* -1: unknown, sent chunked */
  const char *content_type;
  int upload_errno;
} transfer;

static void transfer_release(transfer *t)
{
  strbuf_free(&t->body);
  strbuf_free(&t->line);
}

static int client_parse_url(kpod_client *c, const char *url, crio_err **err)
{
  if (strncmp(url, "unix://", 7) == 0) {
    const char *path = url + 7;
    if (path[0] != '/')
      return crio_err_set(err, CRIO_E_INVALID,
                          "invalid URL \"%s\": a unix socket URL needs an absolute path "
                          "(unix:///run/crio/api.sock)", url);
    c->socket_path = xstrdup(path);
    /* curl needs a host; the daemon ignores it on its unix socket */
    c->base = xstrdup("http://localhost");
    return 0;
  }
  const char *rest = NULL, *scheme = "http";
  if (strncmp(url, "http://", 7) == 0 || strncmp(url, "tcp://", 6) == 0)
    rest = strstr(url, "://") + 3;
  else if (strncmp(url, "https://", 8) == 0) {
    rest = url + 8;
    scheme = "https";
  }
  if (!rest || !*rest || *rest == '/')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid URL \"%s\": expected unix:///path or http://host:port", url);
  c->base = xasprintf("%s://%s", scheme, rest);
  size_t n = strlen(c->base);
  while (n > 0 && c->base[n - 1] == '/')
    c->base[--n] = '\0';
  return 0;
}

int kpod_client_new(const char *url, const char *token, kpod_client **out, crio_err **err)
{
  _cleanup_kpod_client_ kpod_client *c = xzalloc(sizeof *c);
  c->url = xstrdup(url);
  int r = client_parse_url(c, url, err);
  if (r < 0)
    return r;
  if (token && *token) {
    if (strpbrk(token, "\r\n"))
      return crio_err_set(err, CRIO_E_INVALID, "invalid API token: it contains a line break");
    c->auth_header = xasprintf("Authorization: Bearer %s", token);
  }
  c->curl = curl_easy_init();
  if (!c->curl)
    return crio_err_set(err, CRIO_E_INTERNAL, "initialize libcurl for %s", url);
  *out = steal_pointer(&c);
  return 0;
}

void kpod_client_free(kpod_client *c)
{
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup(c->curl);
  free(c->url);
  free(c->socket_path);
  free(c->base);
  free(c->auth_header);
  free(c);
}

void kpod_client_freep(kpod_client **c)
{
  kpod_client_free(*c);
}

const char *kpod_client_url(const kpod_client *c)
{
  return c->url;
}

char *kpod_url_escape(const char *s)
{
  strbuf b = STRBUF_INIT;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        strchr("-._~", *p))
      strbuf_putc(&b, (char) *p);
    else
      strbuf_printf(&b, "%%%02X", *p);
  }
  return strbuf_steal(&b);
}

static int transfer_flush_lines(transfer *t, int final)
{
  char *start = t->line.data;
  char *end = start + t->line.len;
  char *nl;
  while (start < end && (nl = memchr(start, '\n', (size_t) (end - start)))) {
    int r = t->fn(start, (size_t) (nl - start), t->userdata, t->err);
    if (r < 0)
      return r;
    start = nl + 1;
  }
  if (final && start < end) {
    int r = t->fn(start, (size_t) (end - start), t->userdata, t->err);
    if (r < 0)
      return r;
    start = end;
  }
  size_t rest = (size_t) (end - start);
  memmove(t->line.data, start, rest);
  t->line.len = rest;
  t->line.data[rest] = '\0';
  return 0;
}

static size_t transfer_on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
  transfer *t = userdata;
  size_t len = size * nmemb;
  if (!t->fn && !t->data_fn) {
    strbuf_append(&t->body, data, len);
    return len;
  }
  if (!t->status)
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
  if (t->status < 200 || t->status >= 300) {
    strbuf_append(&t->body, data, len);
    return len;
  }
  if (t->data_fn) {
    t->fn_ret = t->data_fn(data, len, t->userdata, t->err);
    return t->fn_ret < 0 ? 0 : len;
  }
  strbuf_append(&t->line, data, len);
  t->fn_ret = transfer_flush_lines(t, 0);
  return t->fn_ret < 0 ? 0 : len; /* a short count makes curl stop */
}

static size_t transfer_on_read(char *buf, size_t size, size_t nmemb, void *userdata)
{
  transfer *t = userdata;
  for (;;) {
    ssize_t n = read(t->upload_fd, buf, size * nmemb);
    if (n >= 0)
      return (size_t) n;
    if (errno != EINTR) {
      t->upload_errno = errno;
      return CURL_READFUNC_ABORT;
    }
  }
}

static int client_transport_error(kpod_client *c, CURLcode res, crio_err **err)
{
  long oserr = 0;
  curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(res);
  if (res == CURLE_COULDNT_CONNECT) {
    if (oserr == EACCES || oserr == EPERM)
      return crio_err_set(err, CRIO_E_UNAVAILABLE,
                          "cannot connect to crio at %s: permission denied "
                          "(run kpod as root or as a user with access to the socket)", c->url);
    if (oserr == 0 || oserr == ENOENT || oserr == ECONNREFUSED)
      return crio_err_set(err, CRIO_E_UNAVAILABLE,
                          "cannot connect to crio at %s: is the daemon running? Start it with "
                          "\"crio\" as root (or \"systemctl start crio\").", c->url);
    return crio_err_errno(err, CRIO_E_UNAVAILABLE, (int) oserr, "cannot connect to crio at %s",
                          c->url);
  }
  if (res == CURLE_COULDNT_RESOLVE_HOST || res == CURLE_OPERATION_TIMEDOUT)
    return crio_err_set(err, CRIO_E_UNAVAILABLE, "cannot connect to crio at %s: %s", c->url, why);
  return crio_err_set(err, CRIO_E_UNAVAILABLE, "request to crio at %s failed: %s", c->url, why);
}

static struct curl_slist *client_headers(kpod_client *c, int has_body, const transfer *t)
{
  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
  if (t->uploading) {
    _cleanup_free_ char *ct = xasprintf("Content-Type: %s", t->content_type);
    h = curl_slist_append(h, ct);
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
  } else if (has_body) {
    h = curl_slist_append(h, "Content-Type: application/json");
  }
  if (c->auth_header)
    h = curl_slist_append(h, c->auth_header);
  return h;
}

static int client_perform(kpod_client *c, const char *method, const char *path, json_t *body,
                          transfer *t, crio_err **err)
{
  _cleanup_free_ char *url = xasprintf("%s%s", c->base, path);
  _cleanup_free_ char *payload = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  if (body && !payload)
    return crio_err_set(err, CRIO_E_INTERNAL, "encode the request body of %s %s", method, path);
  int sends_body = payload || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
  struct curl_slist *headers = client_headers(c, sends_body, t);
  CURL *h = c->curl;
  curl_easy_reset(h);
  c->errbuf[0] = '\0';
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (c->socket_path)
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "kpod/" KPOD_VERSION);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (t->uploading) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, transfer_on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, t);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) t->upload_size);
  } else if (sends_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) (payload ? strlen(payload) : 0));
    curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, payload ? payload : "");
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, transfer_on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  t->curl = h;
  CURLcode res = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (t->fn_ret < 0)
    return t->fn_ret;
  if (t->upload_errno)
    return crio_err_errno(err, CRIO_E_IO, t->upload_errno, "read the request body of %s %s",
                          method, path);
  if (res != CURLE_OK)
    return client_transport_error(c, res, err);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t->status);
  return 0;
}

static crio_code code_from_answer(long status, const char *name)
{
  for (int i = 1; name && i < CRIO_E__COUNT; i++)
    if (strcmp(crio_code_info_get((crio_code) i)->name, name) == 0)
      return (crio_code) i;
  switch (status) {
  case 400: return CRIO_E_INVALID;
  case 401: case 403: return CRIO_E_UNAUTHORIZED;
  case 404: return CRIO_E_NOT_FOUND;
  case 409: return CRIO_E_CONFLICT;
  case 413: return CRIO_E_TOO_LARGE;
  case 501: return CRIO_E_UNIMPLEMENTED;
  case 503: return CRIO_E_UNAVAILABLE;
  default: return CRIO_E_INTERNAL;
  }
}

int kpod_client_answer_error(long status, const char *body, size_t len, crio_err **err)
{
  _cleanup_json_ json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  json_t *e = json_object_get(doc, "error");
  const char *code = kpod_json_str(e, "code", NULL);
  const char *msg = kpod_json_str(e, "message", NULL);
  crio_code c = code_from_answer(status, code);
  if (msg)
    return crio_err_set(err, c, "%s", msg);
  size_t n = 0;
  while (body && n < len && n < 200 && body[n] != '\n' && body[n] != '\r')
    n++;
  if (n == 0)
    return crio_err_set(err, c, "crio answered HTTP %ld", status);
  return crio_err_set(err, c, "crio answered HTTP %ld: %.*s", status, (int) n, body);
}

/* A finished transfer's answer: the daemon's error, or its JSON (none for
 * an empty body). */
static int transfer_json_answer(const transfer *t, const char *method, const char *path,
                                json_t **out, crio_err **err)
{
  if (t->status < 200 || t->status >= 300)
    return kpod_client_answer_error(t->status, t->body.data, t->body.len, err);
  if (t->body.len == 0)
    return 0;
  json_error_t jerr;
  *out = json_loadb(t->body.data, t->body.len, JSON_DECODE_ANY, &jerr);
  if (!*out)
    return crio_err_set(err, CRIO_E_INTERNAL, "parse the answer of crio to %s %s: %s", method,
                        path, jerr.text);
  return 0;
}

int kpod_client_request(kpod_client *c, const char *method, const char *path, json_t *body,
                        json_t **out, crio_err **err)
{
  __attribute__((cleanup(transfer_release))) transfer t = { 0 };
  *out = NULL;
  int r = client_perform(c, method, path, body, &t, err);
  if (r < 0)
    return r;
  return transfer_json_answer(&t, method, path, out, err);
}

int kpod_client_stream(kpod_client *c, const char *method, const char *path, json_t *body,
                       kpod_line_fn fn, void *userdata, crio_err **err)
{
  __attribute__((cleanup(transfer_release))) transfer t = { 0 };
  t.fn = fn;
  t.userdata = userdata;
  t.err = err;
  int r = client_perform(c, method, path, body, &t, err);
  if (r < 0)
    return r;
  if (t.status < 200 || t.status >= 300)
    return kpod_client_answer_error(t.status, t.body.data, t.body.len, err);
  if (t.line.len == 0)
    return 0;
  return transfer_flush_lines(&t, 1);
}

int kpod_client_download(kpod_client *c, const char *path, kpod_data_fn fn, void *userdata,
                         crio_err **err)
{
  __attribute__((cleanup(transfer_release))) transfer t = { 0 };
  t.data_fn = fn;
  t.userdata = userdata;
  t.err = err;
  int r = client_perform(c, "GET", path, NULL, &t, err);
  if (r < 0)
    return r;
  if (t.status < 200 || t.status >= 300)
    return kpod_client_answer_error(t.status, t.body.data, t.body.len, err);
  return 0;
}

int kpod_client_upload(kpod_client *c, const char *path, const char *content_type, int fd,
                       long long size, json_t **out, crio_err **err)
{
  return kpod_client_upload_method(c, "POST", path, content_type, fd, size, out, err);
}

int kpod_client_upload_method(kpod_client *c, const char *method, const char *path,
                              const char *content_type, int fd, long long size, json_t **out,
                              crio_err **err)
{
  __attribute__((cleanup(transfer_release))) transfer t = { 0 };
  t.uploading = 1;
  t.upload_fd = fd;
  t.upload_size = size;
  t.content_type = content_type;
  *out = NULL;
  int r = client_perform(c, method, path, NULL, &t, err);
  if (r < 0)
    return r;
  return transfer_json_answer(&t, method, path, out, err);
}
