/* What a handler answers: a status and an MHD response, built with these
 * helpers so every error has the one shape
 * {"error":{"code":"...","message":"..."}}. */
#ifndef CRIO_API_REPLY_H
#define CRIO_API_REPLY_H

#include <jansson.h>
#include <microhttpd.h>

#include "util/err.h"

typedef struct api_reply {
  unsigned int status;
  struct MHD_Response *response;
} api_reply;

/* Takes the reference to body. */
void api_reply_json(api_reply *r, unsigned int status, json_t *body);
void api_reply_text(api_reply *r, unsigned int status, const char *content_type,
                    const char *text);
/* Streams what is written to fd (a pipe's read end, which MHD closes). */
void api_reply_pipe(api_reply *r, int fd, const char *content_type);
/* The status and code come from the error table of util/err.h. */
void api_reply_error(api_reply *r, const crio_err *err);
void api_reply_errorf(api_reply *r, crio_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
