/* A strict TOML 1.0 parser for crio.conf and registries.conf: a hand-written
 * recursive descent over the bytes of the document. This file builds the
 * tree (tables, headers, dotted keys, arrays, inline tables) from the pieces
 * toml_scan.c reads; see toml.h for what it accepts. */
#include "server/toml.h"

#include <stdlib.h>
#include <string.h>

#include "server/toml_int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* How a table (or array) came to be, which decides what may still add to it
 * (TOML 1.0: a table is defined once, by one header, by dotted keys, or
 * inline; only an array of tables grows by later [[headers]]). */
enum {
  ORIGIN_IMPLICIT,    /* named on the way to a header ([a] of [a.b]): still open */
  ORIGIN_HEADER,      /* defined by its own [header] or [[header]] */
  ORIGIN_DOTTED,      /* defined by dotted keys (a.b = 1 defines a) */
  ORIGIN_INLINE,      /* { ... }: closed for good */
  ORIGIN_TABLE_ARRAY, /* an array made by [[header]]s; arrays written as values
                         have ORIGIN_IMPLICIT and are closed */
};

static bool is_table_array(const toml_value *v)
{
  return v->type == TOML_ARRAY && v->origin_ == ORIGIN_TABLE_ARRAY;
}

/* toml_type_name(), telling arrays of tables from arrays written as values. */
static const char *kind_name(const toml_value *v)
{
  return is_table_array(v) ? "an array of tables" : toml_type_name(v->type);
}

/* Parts 0..upto joined by dots: in TOML syntax (quoted where needed) for
 * [table] messages, raw for "key" messages. */
static char *render_key(const char *prefix, const keypath *kp, size_t upto, bool toml_syntax)
{
  strbuf b = STRBUF_INIT;
  if (prefix && *prefix)
    strbuf_puts(&b, prefix);
  for (size_t k = 0; k <= upto; k++) {
    if (b.len)
      strbuf_putc(&b, '.');
    if (toml_syntax)
      toml_write_key(&b, kp->v[k].name);
    else
      strbuf_puts(&b, kp->v[k].name);
  }
  return strbuf_steal(&b);
}

/* ---- the tree ---- */

/* The capacity is implied by the count: the next power of two, at least 4. */
static void *grow(void *arr, size_t n, size_t size)
{
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
    arr = xrealloc(arr, (n < 4 ? 4 : 2 * n) * size);
  return arr;
}

static toml_key *table_find(const toml_value *t, const char *name)
{
  for (size_t k = 0; k < t->n_keys; k++)
    if (strcmp(t->keys[k].name, name) == 0)
      return &t->keys[k];
  return NULL;
}

static toml_value *table_add(toml_value *t, const char *name, tpos at, toml_value *v)
{
  t->keys = grow(t->keys, t->n_keys, sizeof *t->keys);
  t->keys[t->n_keys++] = (toml_key) { xstrdup(name), at.line, at.col, v };
  return v;
}

static toml_value *table_add_new(toml_value *t, const keypart *part, tpos at, int origin)
{
  toml_value *sub = table_add(t, part->name, part->pos, value_new(TOML_TABLE, at));
  sub->origin_ = origin;
  return sub;
}

/* A new table at the end of an array of tables, defined by its header at. */
static toml_value *table_array_append(toml_value *arr, tpos at)
{
  toml_value *t = value_new(TOML_TABLE, at);
  t->origin_ = ORIGIN_HEADER;
  arr->items = grow(arr->items, arr->n_items, sizeof *arr->items);
  arr->items[arr->n_items++] = t;
  return t;
}

/* May the dotted key kp go through the existing key e (its part k)? */
static int dotted_step(parser *ps, const char *prefix, const keypath *kp, size_t k, toml_key *e)
{
  toml_value *v = e->value;
  tpos at = kp->v[k].pos;
  _cleanup_free_ char *name = render_key(NULL, kp, k, false);
  if (v->type != TOML_TABLE)
    return fail_at(ps, at, "key \"%s\" already defined as %s", name, kind_name(v));
  if (v->origin_ == ORIGIN_INLINE)
    return fail_at(ps, at, "cannot add keys to inline table \"%s\"", name);
  if (v->origin_ == ORIGIN_HEADER) {
    _cleanup_free_ char *table = render_key(prefix, kp, k, true);
    return fail_at(ps, at, "table [%s] defined twice", table);
  }
  v->origin_ = ORIGIN_DOTTED; /* an implicit table is now defined by these keys */
  return 0;
}

/* Store *val under the dotted key kp in table t; takes *val on success. */
static int insert_keyval(parser *ps, toml_value *t, const char *prefix, const keypath *kp,
                         toml_value **val)
{
  for (size_t k = 0; k + 1 < kp->n; k++) {
    toml_key *e = table_find(t, kp->v[k].name);
    if (!e) {
      t = table_add_new(t, &kp->v[k], kp->v[k].pos, ORIGIN_DOTTED);
      continue;
    }
    int r = dotted_step(ps, prefix, kp, k, e);
    if (r < 0)
      return r;
    t = e->value;
  }
  const keypart *last = &kp->v[kp->n - 1];
  if (table_find(t, last->name)) {
    _cleanup_free_ char *name = render_key(NULL, kp, kp->n - 1, false);
    return fail_at(ps, last->pos, "duplicate key \"%s\"", name);
  }
  table_add(t, last->name, last->pos, steal_pointer(val));
  return 0;
}

/* ---- values ---- */

static int parse_value(parser *ps, const char *ctx, toml_value **out);

static int parse_array(parser *ps, toml_value **out)
{
  tpos at = toml__here(ps);
  _cleanup_toml_ toml_value *arr = value_new(TOML_ARRAY, at);
  ps->p++;
  for (;;) {
    int r = toml__skip_ws_lines(ps);
    if (r < 0)
      return r;
    if (peek(ps, 0) == ']')
      break;
    if (ps->p == ps->end)
      return fail_at(ps, at, "unterminated array");
    toml_value *item;
    r = parse_value(ps, "", &item);
    if (r < 0)
      return r;
    arr->items = grow(arr->items, arr->n_items, sizeof *arr->items);
    arr->items[arr->n_items++] = item;
    r = toml__skip_ws_lines(ps);
    if (r < 0)
      return r;
    if (peek(ps, 0) == ']')
      break;
    if (ps->p == ps->end)
      return fail_at(ps, at, "unterminated array");
    if (peek(ps, 0) != ',')
      return fail(ps, "expected ',' or ']' in array");
    ps->p++;
  }
  ps->p++;
  *out = steal_pointer(&arr);
  return 0;
}

static int parse_keyval(parser *ps, toml_value *t, const char *prefix)
{
  _cleanup_keypath_ keypath kp = { NULL, 0 };
  int r = toml__parse_key(ps, &kp);
  if (r < 0)
    return r;
  if (peek(ps, 0) != '=')
    return fail(ps, "expected '=' after key");
  ps->p++;
  skip_ws(ps);
  _cleanup_toml_ toml_value *v = NULL;
  r = parse_value(ps, " after '='", &v);
  if (r < 0)
    return r;
  return insert_keyval(ps, t, prefix, &kp, &v);
}

static void freeze(toml_value *t)
{
  t->origin_ = ORIGIN_INLINE;
  for (size_t k = 0; k < t->n_keys; k++)
    if (t->keys[k].value->type == TOML_TABLE)
      freeze(t->keys[k].value);
}

/* { a = 1, b.c = "x" }: on one line, no trailing comma (TOML 1.0). */
static int parse_inline_table(parser *ps, toml_value **out)
{
  tpos at = toml__here(ps);
  _cleanup_toml_ toml_value *t = value_new(TOML_TABLE, at);
  t->origin_ = ORIGIN_INLINE;
  ps->p++;
  skip_ws(ps);
  while (peek(ps, 0) != '}') {
    skip_ws(ps);
    if (ps->p == ps->end || newline_len(ps))
      return fail_at(ps, at, "unterminated inline table (it must end on the same line)");
    int r = parse_keyval(ps, t, NULL);
    if (r < 0)
      return r;
    skip_ws(ps);
    if (peek(ps, 0) == '}')
      break;
    if (ps->p == ps->end || newline_len(ps))
      return fail_at(ps, at, "unterminated inline table (it must end on the same line)");
    if (peek(ps, 0) != ',')
      return fail(ps, "expected ',' or '}' in inline table");
    ps->p++;
    skip_ws(ps);
    if (peek(ps, 0) == '}')
      return fail(ps, "trailing comma is not allowed in an inline table");
  }
  ps->p++;
  freeze(t);
  *out = steal_pointer(&t);
  return 0;
}

static int parse_value(parser *ps, const char *ctx, toml_value **out)
{
  int c = peek(ps, 0);
  if (c == '"' || c == '\'') {
    _cleanup_toml_ toml_value *v = value_new(TOML_STRING, toml__here(ps));
    int r = toml__parse_string(ps, &v->s);
    if (r == 0)
      *out = steal_pointer(&v);
    return r;
  }
  if (c != '[' && c != '{')
    return toml__parse_bare_value(ps, ctx, out);
  if (ps->depth >= TOML_MAX_DEPTH)
    return fail(ps, "arrays and inline tables nested more than %d deep", TOML_MAX_DEPTH);
  ps->depth++;
  int r = c == '[' ? parse_array(ps, out) : parse_inline_table(ps, out);
  ps->depth--;
  return r;
}

/* ---- headers and the document ---- */

/* A header goes through the existing key e, its part k (not the last), into
 * a table that is still open or into the last table of an array of tables
 * (TOML 1.0: [a.b] after [[a]] belongs to the a most recently added). */
static int header_through(parser *ps, const keypath *kp, size_t k, toml_key *e, toml_value **t)
{
  toml_value *v = e->value;
  if (is_table_array(v)) {
    *t = v->items[v->n_items - 1];
    return 0;
  }
  _cleanup_free_ char *name = render_key(NULL, kp, k, false);
  if (v->type != TOML_TABLE)
    return fail_at(ps, kp->v[k].pos, "key \"%s\" already defined as %s", name, kind_name(v));
  if (v->origin_ == ORIGIN_INLINE)
    return fail_at(ps, kp->v[k].pos, "cannot add keys to inline table \"%s\"", name);
  *t = v;
  return 0;
}

/* [x] names the existing key e: only a table named on the way to an earlier
 * header may still be defined, and it moves to this header. */
static int header_define(parser *ps, tpos at, const keypath *kp, toml_key *e)
{
  size_t k = kp->n - 1;
  toml_value *v = e->value;
  if (v->type != TOML_TABLE) {
    _cleanup_free_ char *name = render_key(NULL, kp, k, false);
    return fail_at(ps, kp->v[k].pos, "key \"%s\" already defined as %s", name, kind_name(v));
  }
  if (v->origin_ != ORIGIN_IMPLICIT) {
    _cleanup_free_ char *table = render_key(NULL, kp, k, true);
    return fail_at(ps, at, "table [%s] defined twice", table);
  }
  v->origin_ = ORIGIN_HEADER;
  v->line = at.line;
  v->col = at.col;
  e->line = kp->v[k].pos.line;
  e->col = kp->v[k].pos.col;
  return 0;
}

/* [[x]] names the existing key e: only an array made by [[x]] headers takes
 * another table; an array written as a value is closed. */
static int header_append(parser *ps, tpos at, const keypath *kp, toml_key *e, toml_value **out)
{
  size_t k = kp->n - 1;
  toml_value *arr = e->value;
  if (!is_table_array(arr)) {
    _cleanup_free_ char *name = render_key(NULL, kp, k, false);
    if (arr->type == TOML_ARRAY)
      return fail_at(ps, kp->v[k].pos, "cannot append to static array \"%s\"", name);
    return fail_at(ps, kp->v[k].pos, "key \"%s\" already defined as %s", name, kind_name(arr));
  }
  *out = table_array_append(arr, at);
  return 0;
}

/* Finds or makes the table a [header] (or [[header]], table_array) names. */
static int header_table(parser *ps, tpos at, const keypath *kp, bool table_array,
                        toml_value **out)
{
  toml_value *t = ps->root;
  for (size_t k = 0; k + 1 < kp->n; k++) {
    toml_key *e = table_find(t, kp->v[k].name);
    if (!e) {
      t = table_add_new(t, &kp->v[k], kp->v[k].pos, ORIGIN_IMPLICIT);
      continue;
    }
    int r = header_through(ps, kp, k, e, &t);
    if (r < 0)
      return r;
  }
  const keypart *last = &kp->v[kp->n - 1];
  toml_key *e = table_find(t, last->name);
  if (e && table_array)
    return header_append(ps, at, kp, e, out);
  if (e) {
    int r = header_define(ps, at, kp, e);
    if (r == 0)
      *out = e->value;
    return r;
  }
  if (!table_array) {
    *out = table_add_new(t, last, at, ORIGIN_HEADER);
    return 0;
  }
  toml_value *arr = table_add(t, last->name, last->pos, value_new(TOML_ARRAY, at));
  arr->origin_ = ORIGIN_TABLE_ARRAY;
  *out = table_array_append(arr, at);
  return 0;
}

/* [a.b] or [[a.b]]: the following keys go into the table it names. */
static int parse_header(parser *ps)
{
  tpos at = toml__here(ps);
  bool table_array = peek(ps, 1) == '[';
  ps->p += table_array ? 2 : 1;
  skip_ws(ps);
  _cleanup_keypath_ keypath kp = { NULL, 0 };
  int r = toml__parse_key(ps, &kp);
  if (r < 0)
    return r;
  if (peek(ps, 0) != ']' || (table_array && peek(ps, 1) != ']'))
    return table_array ? fail(ps, "expected ']]' at end of array of tables header")
                       : fail(ps, "expected ']' at end of table header");
  ps->p += table_array ? 2 : 1;
  toml_value *t = NULL;
  r = header_table(ps, at, &kp, table_array, &t);
  if (r < 0)
    return r;
  free(ps->cur_path);
  ps->cur_path = render_key(NULL, &kp, kp.n - 1, true);
  ps->cur = t;
  return toml__expect_eol(ps, table_array ? "array of tables header" : "table header");
}

static int parse_document(parser *ps)
{
  while (ps->p < ps->end) {
    skip_ws(ps);
    int c = peek(ps, 0), r;
    if (c == '[')
      r = parse_header(ps);
    else if (c == '#' || c < 0 || newline_len(ps))
      r = toml__expect_eol(ps, "comment");
    else {
      r = parse_keyval(ps, ps->cur, ps->cur_path);
      if (r == 0)
        r = toml__expect_eol(ps, "value");
    }
    if (r < 0)
      return r;
  }
  return 0;
}

int toml_parse(const char *text, size_t len, const char *filename, toml_value **out,
               crio_err **err)
{
  if (!text)
    text = "";
  parser ps = {
    .p = text, .end = text + len, .line_start = text, .line = 1, .col_at = text, .col = 1,
    .file = filename ? filename : "<input>", .err = err,
  };
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte order mark */
    ps.p = ps.line_start = text + 3;
  _cleanup_toml_ toml_value *root = value_new(TOML_TABLE, (tpos) { 1, 1 });
  root->origin_ = ORIGIN_HEADER;
  ps.root = ps.cur = root;
  int r = toml__check_utf8(&ps);
  if (r == 0)
    r = parse_document(&ps);
  free(ps.cur_path);
  if (r < 0)
    return r;
  *out = steal_pointer(&root);
  return 0;
}

int toml_parse_file(const char *path, toml_value **out, crio_err **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = read_file(path, &text, &len, err);
  if (r < 0)
    return r;
  return toml_parse(text, len, path, out, err);
}

/* ---- access, freeing, writing ---- */

const toml_value *toml_table_get(const toml_value *table, const char *key)
{
  if (!table || table->type != TOML_TABLE)
    return NULL;
  const toml_key *e = table_find(table, key);
  return e ? e->value : NULL;
}

const char *toml_type_name(toml_type t)
{
  static const char *const names[] = { "a string", "an integer", "a boolean", "an array",
                                       "a table" };
  return (size_t) t < ARRAY_SIZE(names) ? names[t] : "an unknown type";
}

void toml_free(toml_value *v)
{
  if (!v)
    return;
  for (size_t k = 0; k < v->n_items; k++)
    toml_free(v->items[k]);
  for (size_t k = 0; k < v->n_keys; k++) {
    free(v->keys[k].name);
    toml_free(v->keys[k].value);
  }
  free(v->items);
  free(v->keys);
  free(v->s);
  free(v);
}

void cleanup_tomlp(toml_value **v)
{
  toml_free(*v);
}

void toml_write_string(strbuf *out, const char *s)
{
  strbuf_putc(out, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char) *s;
    const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\t' ? "\\t"
                    : c == '\n' ? "\\n" : c == '\f' ? "\\f" : c == '\r' ? "\\r" : NULL;
    if (esc)
      strbuf_puts(out, esc);
    else if (c < 0x20 || c == 0x7f)
      strbuf_printf(out, "\\u%04X", c);
    else
      strbuf_putc(out, (char) c);
  }
  strbuf_putc(out, '"');
}

void toml_write_key(strbuf *out, const char *key)
{
  bool bare = *key != '\0';
  for (const char *p = key; *p && bare; p++)
    bare = is_bare((unsigned char) *p);
  if (bare)
    strbuf_puts(out, key);
  else
    toml_write_string(out, key);
}
