/* Internal to the TOML parser: the state shared by toml_scan.c, which reads
 * characters (positions, whitespace, comments, strings, keys, scalars), and
 * toml.c, which builds the tree (tables, headers, arrays, inline tables).
 * Not for use outside those two files; functions shared between them carry
 * the toml__ prefix. */
#ifndef CRIO_SERVER_TOML_INT_H
#define CRIO_SERVER_TOML_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "server/toml.h"
#include "util/err.h"
#include "util/xalloc.h"

/* Bounds recursion on hostile input: nested arrays / inline tables, key parts. */
#define TOML_MAX_DEPTH 64
#define TOML_MAX_KEY_PARTS 64

typedef struct {
  int line, col;
} tpos;

typedef struct {
  const char *p, *end;    /* the cursor and the end of the text */
  const char *line_start; /* where the cursor's line begins */
  int line;
  const char *col_at;     /* here() counted columns up to col_at: col */
  int col;
  const char *file;
  char *cur_path;         /* the current [header] as written, for messages */
  toml_value *root, *cur; /* the root and the table key/values go into */
  int depth;
  crio_err **err;
} parser;

/* One part of a dotted key, unquoted, with where it was written. */
typedef struct {
  char *name;
  tpos pos;
} keypart;

typedef struct {
  keypart *v;
  size_t n;
} keypath;

void toml__keypath_free(keypath *kp);
#define _cleanup_keypath_ __attribute__((cleanup(toml__keypath_free)))

/* ---- positions and errors ---- */

/* The cursor's line and column (1-based, columns in characters). */
tpos toml__here(parser *ps);
/* CRIO_E_INVALID "FILE:LINE:COL: message". */
int toml__fail_at(parser *ps, tpos at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Short spellings for the two files: at a given place, and at the cursor. */
#define fail_at(ps, at, ...) toml__fail_at((ps), (at), __VA_ARGS__)
#define fail(ps, ...) toml__fail_at((ps), toml__here(ps), __VA_ARGS__)

/* ---- characters ---- */

/* The byte k places after the cursor, or -1 past the end. */
static inline int peek(const parser *ps, size_t k)
{
  return (size_t) (ps->end - ps->p) > k ? (unsigned char) ps->p[k] : -1;
}

/* 1 for LF, 2 for CRLF at the cursor, else 0. */
static inline size_t newline_len(const parser *ps)
{
  if (peek(ps, 0) == '\n')
    return 1;
  return peek(ps, 0) == '\r' && peek(ps, 1) == '\n' ? 2 : 0;
}

static inline void eat_newline(parser *ps)
{
  ps->p += newline_len(ps);
  ps->line++;
  ps->line_start = ps->p;
}

static inline void skip_ws(parser *ps)
{
  while (peek(ps, 0) == ' ' || peek(ps, 0) == '\t')
    ps->p++;
}

/* A character of a bare key: A-Za-z0-9_- */
static inline bool is_bare(int c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

static inline toml_value *value_new(toml_type type, tpos at)
{
  toml_value *v = xzalloc(sizeof *v);
  v->type = type;
  v->line = at.line;
  v->col = at.col;
  return v;
}

/* ---- scanning (toml_scan.c) ---- */

/* Checks the whole remaining text is UTF-8; the cursor is left where it was. */
int toml__check_utf8(parser *ps);
/* Spaces, an optional comment, then a newline or the end; what names the
 * thing before for the message ("value", "table header"). */
int toml__expect_eol(parser *ps, const char *what);
/* Whitespace, comments and newlines, as between the items of an array. */
int toml__skip_ws_lines(parser *ps);
/* Any of the four string kinds; the cursor is on the opening quote. */
int toml__parse_string(parser *ps, char **out);
/* a, "a b", a.b . 'c': appends the parts to kp; trailing spaces skipped. */
int toml__parse_key(parser *ps, keypath *kp);
/* A bare token: an integer or a boolean; floats, dates and times are named
 * and refused. ctx completes "expected a value" (" after '='"). */
int toml__parse_bare_value(parser *ps, const char *ctx, toml_value **out);

#endif
