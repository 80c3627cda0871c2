#include "err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const crio_code_info code_table[CRIO_E__COUNT] = {
  [CRIO_OK] = { "ok", 200, 0 },
  [CRIO_E_INTERNAL] = { "internal", 500, 13 },
  [CRIO_E_INVALID] = { "invalid_argument", 400, 3 },
  [CRIO_E_NOT_FOUND] = { "not_found", 404, 5 },
  [CRIO_E_EXISTS] = { "already_exists", 409, 6 },
  [CRIO_E_CONFLICT] = { "conflict", 409, 9 },
  [CRIO_E_TOO_LARGE] = { "too_large", 413, 8 },
  [CRIO_E_UNAUTHORIZED] = { "unauthorized", 401, 16 },
  [CRIO_E_UNAVAILABLE] = { "unavailable", 503, 14 },
  [CRIO_E_UNIMPLEMENTED] = { "unimplemented", 501, 12 },
  [CRIO_E_IO] = { "io_error", 500, 13 },
  [CRIO_E_BUSY] = { "busy", 409, 10 },
};

const crio_code_info *crio_code_info_get(crio_code code)
{
  if ((int) code < 0 || code >= CRIO_E__COUNT)
    code = CRIO_E_INTERNAL;
  return &code_table[code];
}

static int err_vset(crio_err **err, crio_code code, int errnum, const char *fmt, va_list ap)
{
  if (err && !*err) {
    char *msg = xvasprintf(fmt, ap);
    if (errnum) {
      char *full = xasprintf("%s: %s", msg, strerror(errnum));
      free(msg);
      msg = full;
    }
    crio_err *e = xmalloc(sizeof *e);
    e->code = code;
    e->message = msg;
    *err = e;
  }
  return -(int) code;
}

int crio_err_set(crio_err **err, crio_code code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = err_vset(err, code, 0, fmt, ap);
  va_end(ap);
  return r;
}

int crio_err_errno(crio_err **err, crio_code code, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = err_vset(err, code, errnum, fmt, ap);
  va_end(ap);
  return r;
}

int crio_err_wrap(crio_err **err, const char *fmt, ...)
{
  if (!err || !*err)
    return -CRIO_E_INTERNAL;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = xvasprintf(fmt, ap);
  va_end(ap);
  char *msg = xasprintf("%s: %s", prefix, (*err)->message);
  free(prefix);
  free((*err)->message);
  (*err)->message = msg;
  return -(int) (*err)->code;
}

void crio_err_free(crio_err *err)
{
  if (!err)
    return;
  free(err->message);
  free(err);
}

void cleanup_crio_errp(crio_err **err)
{
  crio_err_free(*err);
}
