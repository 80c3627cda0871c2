#include "server/api/reply.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static void reply_set(api_reply *r, unsigned int status, const char *content_type, char *body)
{
  if (r->response)
    MHD_destroy_response(r->response);
  r->status = status;
  r->response = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}

void api_reply_json(api_reply *r, unsigned int status, json_t *body)
{
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (!text)
    abort();
  /* MHD frees with free(); jansson's default allocator is malloc. */
  size_t n = strlen(text);
  char *with_nl = xrealloc(text, n + 2);
  with_nl[n] = '\n';
  with_nl[n + 1] = '\0';
  reply_set(r, status, "application/json", with_nl);
}

void api_reply_text(api_reply *r, unsigned int status, const char *content_type, const char *text)
{
  reply_set(r, status, content_type, xstrdup(text));
}

void api_reply_error(api_reply *r, const crio_err *err)
{
  const crio_code_info *info = crio_code_info_get(err->code);
  json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", info->name, "message", err->message);
  api_reply_json(r, (unsigned int) info->http_status, body);
}

void api_reply_errorf(api_reply *r, crio_code code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  crio_err e = { .code = code, .message = msg };
  api_reply_error(r, &e);
}

void api_reply_pipe(api_reply *r, int fd, const char *content_type)
{
  if (r->response)
    MHD_destroy_response(r->response);
  r->status = MHD_HTTP_OK;
  r->response = MHD_create_response_from_pipe(fd);
  MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}
