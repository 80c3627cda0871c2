/* Shared helpers for the TOML parser's unit tests (test_toml.c,
 * test_toml_errors.c): parse a document that must parse, or must fail with
 * one exact message, and look values up by dotted path. Every test_*.c is
 * its own program, so the helpers are static inline here. */
#ifndef CRIO_TESTS_UNIT_TOML_TEST_UTIL_H
#define CRIO_TESTS_UNIT_TOML_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/toml.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static inline toml_value *parse_ok(const char *text)
{
  toml_value *root = NULL;
  crio_err *err = NULL;
  int r = toml_parse(text, strlen(text), "crio.conf", &root, &err);
  if (r < 0)
    fail_msg("unexpected error: %s", err->message);
  assert_int_equal(r, 0);
  assert_non_null(root);
  assert_int_equal(root->type, TOML_TABLE);
  return root;
}

static inline void expect_error(const char *text, const char *message)
{
  toml_value *root = NULL;
  _cleanup_err_ crio_err *err = NULL;
  int r = toml_parse(text, strlen(text), "crio.conf", &root, &err);
  if (r == 0)
    fail_msg("accepted, expected \"%s\" for: %s", message, text);
  assert_int_equal(r, -CRIO_E_INVALID);
  assert_null(root);
  assert_non_null(err);
  assert_int_equal(err->code, CRIO_E_INVALID);
  if (strcmp(err->message, message) != 0)
    fail_msg("for input:\n%s\n got: %s\nwant: %s", text, err->message, message);
}

/* Follows a dotted path of bare names through nested tables. */
static inline const toml_value *get(const toml_value *root, const char *path)
{
  _cleanup_free_ char *copy = xstrdup(path);
  const toml_value *v = root;
  for (char *save = NULL, *part = strtok_r(copy, ".", &save); part;
       part = strtok_r(NULL, ".", &save)) {
    v = toml_table_get(v, part);
    if (!v)
      return NULL;
  }
  return v;
}

static inline const char *get_str(const toml_value *root, const char *path)
{
  const toml_value *v = get(root, path);
  assert_non_null(v);
  assert_int_equal(v->type, TOML_STRING);
  return v->s;
}

static inline int64_t get_int(const toml_value *root, const char *path)
{
  const toml_value *v = get(root, path);
  assert_non_null(v);
  assert_int_equal(v->type, TOML_INTEGER);
  return v->i;
}

static inline void assert_pos(const toml_value *v, int line, int col)
{
  assert_non_null(v);
  assert_int_equal(v->line, line);
  assert_int_equal(v->col, col);
}

#endif
