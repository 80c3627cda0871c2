/* The one error shape of the project.
 *
 * A fallible function takes `crio_err **err` last and returns 0 or a negative
 * crio_code; on failure it fills *err with the code and a message naming what
 * failed and on what ("open /var/lib/crio/crio.db: Permission denied").
 * One table (crio_code_info) maps each code to its wire name, HTTP status and
 * gRPC status code, so every face reports the same failure the same way. */
#ifndef CRIO_UTIL_ERR_H
#define CRIO_UTIL_ERR_H

#include <stdarg.h>

typedef enum {
  CRIO_OK = 0,
  CRIO_E_INTERNAL = 1,     /* a bug or an unexpected system failure */
  CRIO_E_INVALID = 2,      /* bad input from the caller */
  CRIO_E_NOT_FOUND = 3,
  CRIO_E_EXISTS = 4,       /* a name or id already taken */
  CRIO_E_CONFLICT = 5,     /* the object's state forbids it (in use, running) */
  CRIO_E_TOO_LARGE = 6,
  CRIO_E_UNAUTHORIZED = 7,
  CRIO_E_UNAVAILABLE = 8,  /* a dependency (registry, runtime) cannot be reached */
  CRIO_E_UNIMPLEMENTED = 9,
  CRIO_E_IO = 10,          /* a system call failed on a path or descriptor */
  CRIO_E_BUSY = 11,        /* locked by someone else */
  CRIO_E__COUNT
} crio_code;

typedef struct crio_err {
  crio_code code;
  char *message;
} crio_err;

typedef struct crio_code_info {
  const char *name;   /* the wire name: "not_found" */
  int http_status;    /* 404 */
  int grpc_status;    /* 5 (NOT_FOUND) */
} crio_code_info;

const crio_code_info *crio_code_info_get(crio_code code);

/* Fill *err (when err is not NULL and *err is still empty) and return -code. */
int crio_err_set(crio_err **err, crio_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, with ": <strerror(errnum)>" appended. */
int crio_err_errno(crio_err **err, crio_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefix the message with context on the way up: "load config: <message>". */
int crio_err_wrap(crio_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void crio_err_free(crio_err *err);
void cleanup_crio_errp(crio_err **err);
#define _cleanup_err_ __attribute__((cleanup(cleanup_crio_errp)))

#endif
