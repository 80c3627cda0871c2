/* The connection to crio's REST API: libcurl over the daemon's unix socket
 * (unix:///run/crio/api.sock) or over TCP (http://host:port, which needs a
 * bearer token). Requests and answers are JSON; a non-2xx answer's
 * {"error":{"code","message"}} becomes a crio_err with that message. */
#ifndef KPOD_CLIENT_H
#define KPOD_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define KPOD_DEFAULT_URL "unix:///run/crio/api.sock"

typedef struct kpod_client kpod_client;

/* url: unix:///path, http://host[:port] or https://host[:port] (tcp:// is
 * taken as http://). token may be NULL. */
int kpod_client_new(const char *url, const char *token, kpod_client **out, crio_err **err);
void kpod_client_free(kpod_client *c);
void kpod_client_freep(kpod_client **c);
#define _cleanup_kpod_client_ __attribute__((cleanup(kpod_client_freep)))

const char *kpod_client_url(const kpod_client *c);

/* method "GET", "POST", "DELETE", ...; path "/v1/..." with any query already
 * escaped (kpod_url_escape); body may be NULL. *out gets the answer's JSON, or
 * NULL when the answer has no body (204). */
int kpod_client_request(kpod_client *c, const char *method, const char *path, json_t *body,
                        json_t **out, crio_err **err);

/* For streamed answers (NDJSON progress, logs): fn is called once per line
 * of a 2xx answer, without its '\n'. A negative return of fn stops the
 * transfer and is returned. */
typedef int (*kpod_line_fn)(const char *line, size_t len, void *userdata, crio_err **err);
int kpod_client_stream(kpod_client *c, const char *method, const char *path, json_t *body,
                       kpod_line_fn fn, void *userdata, crio_err **err);

/* For raw answers (an image archive): fn is called with each chunk of a 2xx
 * answer's body as it arrives; a negative return stops the transfer and is
 * returned. Nothing reaches fn when the answer is an error. */
typedef int (*kpod_data_fn)(const char *data, size_t len, void *userdata, crio_err **err);
int kpod_client_download(kpod_client *c, const char *path, kpod_data_fn fn, void *userdata,
                         crio_err **err);

/* POST path with the body read from fd as it is sent (never whole in
 * memory), as content_type; size -1 when unknown (sent chunked). *out gets
 * the answer's JSON, or NULL when it has none. */
int kpod_client_upload(kpod_client *c, const char *path, const char *content_type, int fd,
                       long long size, json_t **out, crio_err **err);
/* The same with another method than POST ("PUT"). */
int kpod_client_upload_method(kpod_client *c, const char *method, const char *path,
                              const char *content_type, int fd, long long size, json_t **out,
                              crio_err **err);

/* s percent-encoded for a path segment or query value. */
char *kpod_url_escape(const char *s);

/* The error of a non-2xx answer: the message of {"error":{...}} when the body
 * has one, else the status and the body's first line. */
int kpod_client_answer_error(long status, const char *body, size_t len, crio_err **err);

#endif
