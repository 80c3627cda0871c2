/* A small, strict TOML 1.0 parser for crio.conf and registries.conf (Debian
 * packages no C TOML library).
 *
 * Supported: tables ([a.b."c d"]), arrays of tables ([[registry]], and
 * [[registry.mirror]] or [registry.x] going into the latest [[registry]]),
 * bare, quoted and dotted keys, all four string kinds with every TOML
 * escape, 64-bit integers (decimal with sign and '_', 0x/0o/0b), booleans,
 * arrays (multi-line, comments, trailing comma, mixed types), inline tables,
 * comments, LF and CRLF line endings. Rejected with "not supported": floats,
 * dates and times. Strings never contain NUL (\u0000 is rejected).
 *
 * An array of tables is a TOML_ARRAY whose items are TOML_TABLEs, one per
 * [[header]], each positioned at its header; the array is positioned at the
 * first one. Arrays written as values (a = [...]) cannot be appended to.
 *
 * Every error is CRIO_E_INVALID with "FILE:LINE:COLUMN: reason", the line and
 * column (1-based, in characters) of the offending character. Every value and
 * every table key remembers where it was defined, so a loader can report
 * "crio.conf:12:1: unknown key ..." against the user's file. */
#ifndef CRIO_SERVER_TOML_H
#define CRIO_SERVER_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

typedef enum { TOML_STRING, TOML_INTEGER, TOML_BOOLEAN, TOML_ARRAY, TOML_TABLE } toml_type;

typedef struct toml_value toml_value;

/* One key of a table: its name (unquoted, UTF-8) and where it was written.
 * For a table made by a header, that is the key's place in the header. */
typedef struct toml_key {
  char *name;
  int line, col;
  toml_value *value;
} toml_key;

struct toml_value {
  toml_type type;
  int line, col;       /* where the value starts; a table: its '[' or '[[' header,
                          first dotted key or '{'; the root table is 1:1 */
  char *s;             /* TOML_STRING */
  int64_t i;           /* TOML_INTEGER */
  bool b;              /* TOML_BOOLEAN */
  toml_value **items;  /* TOML_ARRAY */
  size_t n_items;
  toml_key *keys;      /* TOML_TABLE, in document order */
  size_t n_keys;
  int origin_;         /* private to the parser: how a table or array was defined */
};

/* Parse len bytes of text (need not be NUL-terminated); filename is only used
 * in messages. On success *out is the root table, to be freed with
 * toml_free(); on failure *out is untouched. */
int toml_parse(const char *text, size_t len, const char *filename, toml_value **out,
               crio_err **err);
/* Read and parse a file: CRIO_E_NOT_FOUND / CRIO_E_IO when it cannot be read. */
int toml_parse_file(const char *path, toml_value **out, crio_err **err);

/* The direct child `key` of a table; NULL when absent or table is not a table. */
const toml_value *toml_table_get(const toml_value *table, const char *key);
/* "a string", "an integer", "a boolean", "an array", "a table": for messages. */
const char *toml_type_name(toml_type t);

void toml_free(toml_value *v);
void cleanup_tomlp(toml_value **v);
#define _cleanup_toml_ __attribute__((cleanup(cleanup_tomlp)))

/* Append s as a TOML basic string with quotes and escapes ("a\"b\n"). */
void toml_write_string(strbuf *out, const char *s);
/* Append key bare when it can be (A-Za-z0-9_-), quoted otherwise. */
void toml_write_key(strbuf *out, const char *key);

#endif
