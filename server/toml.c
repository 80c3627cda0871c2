/* A strict TOML 1.0 subset for crio.conf: a hand-written recursive descent
 * parser over the bytes of the document. See toml.h for what it accepts. */
#include "server/toml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* How a table came to be, which decides what may still add to it (TOML 1.0:
 * a table is defined once, by one header, by dotted keys, or inline). */
enum {
  ORIGIN_IMPLICIT, /* named on the way to a header ([a] of [a.b]): still open */
  ORIGIN_HEADER,   /* defined by its own [header] */
  ORIGIN_DOTTED,   /* defined by dotted keys (a.b = 1 defines a) */
  ORIGIN_INLINE,   /* { ... }: closed for good */
};

/* Bounds recursion on hostile input: nested arrays / inline tables, key parts. */
#define MAX_DEPTH 64
#define MAX_KEY_PARTS 64

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

typedef struct {
  char *name;
  tpos pos;
} keypart;

typedef struct {
  keypart *v;
  size_t n;
} keypath;

static void keypath_free(keypath *kp)
{
  for (size_t k = 0; k < kp->n; k++)
    free(kp->v[k].name);
  free(kp->v);
}
#define _cleanup_keypath_ __attribute__((cleanup(keypath_free)))

/* ---- positions and errors ---- */

/* Columns count characters, not bytes; counting resumes where the last call
 * stopped, so a long line is not rescanned for each value on it. */
static tpos here(parser *ps)
{
  if (ps->col_at < ps->line_start || ps->col_at > ps->p) {
    ps->col_at = ps->line_start;
    ps->col = 1;
  }
  for (; ps->col_at < ps->p; ps->col_at++)
    if (((unsigned char) *ps->col_at & 0xC0) != 0x80)
      ps->col++;
  return (tpos) { ps->line, ps->col };
}

__attribute__((format(printf, 3, 4))) static int fail_at(parser *ps, tpos at, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  return crio_err_set(ps->err, CRIO_E_INVALID, "%s:%d:%d: %s", ps->file, at.line, at.col, msg);
}
#define fail(ps, ...) fail_at((ps), here(ps), __VA_ARGS__)

/* ---- characters ---- */

static int peek(const parser *ps, size_t k)
{
  return (size_t) (ps->end - ps->p) > k ? (unsigned char) ps->p[k] : -1;
}

static size_t newline_len(const parser *ps)
{
  if (peek(ps, 0) == '\n')
    return 1;
  return peek(ps, 0) == '\r' && peek(ps, 1) == '\n' ? 2 : 0;
}

static void eat_newline(parser *ps)
{
  ps->p += newline_len(ps);
  ps->line++;
  ps->line_start = ps->p;
}

static void skip_ws(parser *ps)
{
  while (peek(ps, 0) == ' ' || peek(ps, 0) == '\t')
    ps->p++;
}

static bool is_bare(int c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

static bool is_ctrl(int c)
{
  return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* TOML documents are UTF-8; checking once up front lets the rest of the
 * parser pass any byte >= 0x80 through. Overlong forms, surrogates and code
 * points beyond U+10FFFF are rejected, as the Unicode standard asks. */
static int check_utf8(parser *ps)
{
  const char *start = ps->p;
  while (ps->p < ps->end) {
    const unsigned char *q = (const unsigned char *) ps->p;
    unsigned char c = q[0], lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80,
                  hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    bool ok = n > 0 && (size_t) (ps->end - ps->p) >= n && (n == 1 || (q[1] >= lo && q[1] <= hi));
    for (size_t k = 2; ok && k < n; k++)
      ok = (q[k] & 0xC0) == 0x80;
    if (!ok)
      return fail(ps, "invalid UTF-8");
    if (c == '\n') {
      ps->line++;
      ps->line_start = ps->p + 1;
    }
    ps->p += n;
  }
  ps->p = ps->line_start = start;
  ps->line = 1;
  return 0;
}

static void put_utf8(strbuf *b, uint32_t cp)
{
  static const unsigned char lead[] = { 0, 0, 0xC0, 0xE0, 0xF0 };
  int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  char u[4];
  for (int k = n - 1; k > 0; k--, cp >>= 6)
    u[k] = (char) (0x80 | (cp & 0x3F));
  u[0] = (char) (lead[n] | cp);
  strbuf_append(b, u, (size_t) n);
}

static int digit_value(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
    return (c | 0x20) - 'a' + 10;
  return -1;
}

/* ---- comments and line ends ---- */

static int skip_comment(parser *ps)
{
  if (peek(ps, 0) != '#')
    return 0;
  for (ps->p++; ps->p < ps->end && !newline_len(ps); ps->p++)
    if (is_ctrl(peek(ps, 0)))
      return fail(ps, "control character U+%04X in comment", (unsigned) peek(ps, 0));
  return 0;
}

static int expect_eol(parser *ps, const char *what)
{
  skip_ws(ps);
  int r = skip_comment(ps);
  if (r < 0)
    return r;
  if (ps->p == ps->end)
    return 0;
  if (!newline_len(ps))
    return fail(ps, "expected end of line after %s", what);
  eat_newline(ps);
  return 0;
}

/* Inside arrays, values may be spread over lines with comments between. */
static int skip_ws_lines(parser *ps)
{
  for (;;) {
    skip_ws(ps);
    int r = skip_comment(ps);
    if (r < 0)
      return r;
    if (!newline_len(ps))
      return 0;
    eat_newline(ps);
  }
}

/* ---- strings ---- */

static int parse_unicode(parser *ps, strbuf *b, int digits)
{
  tpos at = here(ps);
  uint32_t cp = 0;
  for (int k = 0; k < digits; k++) {
    int d = digit_value(peek(ps, 2 + (size_t) k));
    if (d < 0)
      return fail_at(ps, at, "\\%c escape needs %d hex digits", ps->p[1], digits);
    cp = cp * 16 + (uint32_t) d;
  }
  if (cp == 0)
    return fail_at(ps, at, "\\u0000 is not supported in strings");
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return fail_at(ps, at, "invalid Unicode escape: U+%04X is not a Unicode scalar value", cp);
  put_utf8(b, cp);
  ps->p += 2 + digits;
  return 0;
}

static int parse_escape(parser *ps, strbuf *b, bool multi)
{
  static const char simple[] = "b\bt\tn\nf\fr\r\"\"\\\\";
  int c = peek(ps, 1);
  for (const char *s = simple; *s; s += 2)
    if (c == *s) {
      strbuf_putc(b, s[1]);
      ps->p += 2;
      return 0;
    }
  if (c == 'u' || c == 'U')
    return parse_unicode(ps, b, c == 'u' ? 4 : 8);
  if (multi) {
    /* A line-ending backslash eats the newline and all whitespace after it. */
    const char *save = ps->p++;
    skip_ws(ps);
    if (newline_len(ps)) {
      while (newline_len(ps)) {
        eat_newline(ps);
        skip_ws(ps);
      }
      return 0;
    }
    ps->p = save;
  }
  if (c > 0x20 && c < 0x7f)
    return fail(ps, "invalid escape sequence '\\%c'", c);
  return fail(ps, "invalid escape sequence");
}

/* All four kinds: "basic", 'literal', """multi-line basic""" and
 * '''multi-line literal'''. The cursor is on the opening quote. */
static int parse_string(parser *ps, char **out)
{
  tpos start = here(ps);
  int q = peek(ps, 0);
  bool multi = peek(ps, 1) == q && peek(ps, 2) == q;
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  ps->p += multi ? 3 : 1;
  if (multi && newline_len(ps)) /* a newline right after the quotes is trimmed */
    eat_newline(ps);
  for (;;) {
    int c = peek(ps, 0);
    if (c < 0 || (!multi && newline_len(ps)))
      return fail_at(ps, start, "unterminated string");
    if (c == q && !multi) {
      ps->p++;
      break;
    }
    if (c == q) {
      /* Up to two quotes may sit just before the closing three. */
      size_t run = 1;
      while (run < 5 && peek(ps, run) == q)
        run++;
      if (run >= 3) {
        strbuf_append(&b, ps->p, run - 3);
        ps->p += run;
        break;
      }
      strbuf_append(&b, ps->p, run);
      ps->p += run;
    } else if (multi && newline_len(ps)) {
      strbuf_putc(&b, '\n'); /* CRLF is read as LF */
      eat_newline(ps);
    } else if (c == '\\' && q == '"') {
      int r = parse_escape(ps, &b, multi);
      if (r < 0)
        return r;
    } else if (is_ctrl(c)) {
      return fail(ps, "control character U+%04X in string", (unsigned) c);
    } else {
      strbuf_putc(&b, (char) c);
      ps->p++;
    }
  }
  *out = strbuf_steal(&b);
  return 0;
}

/* ---- keys ---- */

static int parse_key_part(parser *ps, keypart *kp)
{
  kp->pos = here(ps);
  int c = peek(ps, 0);
  if (c == '"' || c == '\'') {
    if (peek(ps, 1) == c && peek(ps, 2) == c)
      return fail(ps, "multi-line strings cannot be keys");
    return parse_string(ps, &kp->name);
  }
  const char *s = ps->p;
  while (is_bare(peek(ps, 0)))
    ps->p++;
  if (ps->p == s)
    return fail(ps, "expected a key");
  kp->name = xstrndup(s, (size_t) (ps->p - s));
  return 0;
}

/* a, "a b", a.b . 'c': parts with their positions; trailing spaces skipped. */
static int parse_key(parser *ps, keypath *kp)
{
  for (;;) {
    if (kp->n == MAX_KEY_PARTS)
      return fail(ps, "key has more than %d parts", MAX_KEY_PARTS);
    kp->v = xrealloc(kp->v, (kp->n + 1) * sizeof *kp->v);
    kp->v[kp->n].name = NULL;
    int r = parse_key_part(ps, &kp->v[kp->n++]);
    if (r < 0)
      return r;
    skip_ws(ps);
    if (peek(ps, 0) != '.')
      return 0;
    ps->p++;
    skip_ws(ps);
  }
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

static toml_value *value_new(toml_type type, tpos at)
{
  toml_value *v = xzalloc(sizeof *v);
  v->type = type;
  v->line = at.line;
  v->col = at.col;
  return v;
}

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

/* May the dotted key kp go through the existing key e (its part k)? */
static int dotted_step(parser *ps, const char *prefix, const keypath *kp, size_t k, toml_key *e)
{
  toml_value *v = e->value;
  tpos at = kp->v[k].pos;
  _cleanup_free_ char *name = render_key(NULL, kp, k, false);
  if (v->type != TOML_TABLE)
    return fail_at(ps, at, "key \"%s\" already defined as %s", name, toml_type_name(v->type));
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

/* [+-]digits with '_' between digits, or 0x / 0o / 0b digits; the error
 * points at the offending character. */
static int parse_integer(parser *ps, const char *s, size_t n, tpos at, int64_t *out)
{
  const char *p = s, *e = s + n;
  bool neg = false;
  int base = 10;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if (e - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
    if (p != s)
      return fail_at(ps, at, "a sign is not allowed before 0x, 0o or 0b");
    base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
    p += 2;
  } else if (e - p > 1 && p[0] == '0') {
    at.col += (int) (p - s);
    return fail_at(ps, at, "leading zeros are not allowed (use 0o for octal)");
  }
  const char *base_name =
      base == 16 ? "hexadecimal " : base == 8 ? "octal " : base == 2 ? "binary " : "";
  uint64_t v = 0, limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
  tpos cur = at;
  if (p == e) {
    cur.col += (int) (p - s);
    return fail_at(ps, cur, "expected a digit");
  }
  for (const char *d0 = p; p < e; p++) {
    cur.col = at.col + (int) (p - s);
    if (*p == '_') {
      if (p == d0 || p + 1 == e || p[-1] == '_' || p[1] == '_')
        return fail_at(ps, cur, "'_' must be between digits");
      continue;
    }
    int d = digit_value(*p);
    if (d < 0 || d >= base)
      return fail_at(ps, cur, "invalid character '%c' in %sinteger", *p, base_name);
    if (v > (limit - (uint64_t) d) / (uint64_t) base)
      return fail_at(ps, at, "integer out of range (64-bit)");
    v = v * (uint64_t) base + (uint64_t) d;
  }
  *out = !neg ? (int64_t) v : v > (uint64_t) INT64_MAX ? INT64_MIN : -(int64_t) v;
  return 0;
}

static bool token_is(const char *s, size_t n, const char *word)
{
  return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* A bare token: an integer, a boolean, or something we name and reject. */
static int parse_bare_value(parser *ps, const char *ctx, toml_value **out)
{
  tpos at = here(ps);
  const char *s = ps->p;
  while (is_bare(peek(ps, 0)) || (peek(ps, 0) > 0 && memchr("+.:", peek(ps, 0), 3)))
    ps->p++;
  size_t n = (size_t) (ps->p - s);
  if (n == 0)
    return fail_at(ps, at, "expected a value%s", ctx);
  if (token_is(s, n, "true") || token_is(s, n, "false")) {
    *out = value_new(TOML_BOOLEAN, at);
    (*out)->b = s[0] == 't';
    return 0;
  }
  const char *u = s + (s[0] == '+' || s[0] == '-'); /* unsigned part */
  size_t un = n - (size_t) (u - s);
  if (token_is(u, un, "inf") || token_is(u, un, "nan"))
    return fail_at(ps, at, "floats are not supported");
  if (!isdigit((unsigned char) s[0]) && s[0] != '+' && s[0] != '-')
    return fail_at(ps, at, "expected a value%s (strings must be quoted)", ctx);
  size_t digits = 0;
  while (digits < n && isdigit((unsigned char) s[digits]))
    digits++;
  if (memchr(s, ':', n) || (digits == 4 && n > 4 && s[4] == '-')) /* 07:32:00, 1979-05-27 */
    return fail_at(ps, at, "dates and times are not supported");
  bool prefixed = un >= 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'o' || u[1] == 'b');
  if (!prefixed && (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)))
    return fail_at(ps, at, "floats are not supported");
  int64_t i = 0;
  int r = parse_integer(ps, s, n, at, &i);
  if (r < 0)
    return r;
  *out = value_new(TOML_INTEGER, at);
  (*out)->i = i;
  return 0;
}

static int parse_value(parser *ps, const char *ctx, toml_value **out);

static int parse_array(parser *ps, toml_value **out)
{
  tpos at = here(ps);
  _cleanup_toml_ toml_value *arr = value_new(TOML_ARRAY, at);
  ps->p++;
  for (;;) {
    int r = skip_ws_lines(ps);
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
    r = skip_ws_lines(ps);
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
  int r = parse_key(ps, &kp);
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
  tpos at = here(ps);
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
    _cleanup_toml_ toml_value *v = value_new(TOML_STRING, here(ps));
    int r = parse_string(ps, &v->s);
    if (r == 0)
      *out = steal_pointer(&v);
    return r;
  }
  if (c != '[' && c != '{')
    return parse_bare_value(ps, ctx, out);
  if (ps->depth >= MAX_DEPTH)
    return fail(ps, "arrays and inline tables nested more than %d deep", MAX_DEPTH);
  ps->depth++;
  int r = c == '[' ? parse_array(ps, out) : parse_inline_table(ps, out);
  ps->depth--;
  return r;
}

/* ---- headers and the document ---- */

/* May the header `at` go through (or define) the existing key e, its part k? */
static int header_step(parser *ps, tpos at, const keypath *kp, size_t k, toml_key *e)
{
  toml_value *v = e->value;
  bool last = k + 1 == kp->n;
  if (v->type != TOML_TABLE) {
    _cleanup_free_ char *name = render_key(NULL, kp, k, false);
    return fail_at(ps, kp->v[k].pos, "key \"%s\" already defined as %s", name,
                   toml_type_name(v->type));
  }
  if (!last && v->origin_ != ORIGIN_INLINE)
    return 0;
  if (last && v->origin_ == ORIGIN_IMPLICIT) {
    v->origin_ = ORIGIN_HEADER;
    v->line = at.line;
    v->col = at.col;
    e->line = kp->v[k].pos.line;
    e->col = kp->v[k].pos.col;
    return 0;
  }
  if (!last) {
    _cleanup_free_ char *name = render_key(NULL, kp, k, false);
    return fail_at(ps, kp->v[k].pos, "cannot add keys to inline table \"%s\"", name);
  }
  _cleanup_free_ char *table = render_key(NULL, kp, k, true);
  return fail_at(ps, at, "table [%s] defined twice", table);
}

static int parse_header(parser *ps)
{
  tpos at = here(ps);
  if (peek(ps, 1) == '[')
    return fail(ps, "arrays of tables ([[...]]) are not supported");
  ps->p++;
  skip_ws(ps);
  _cleanup_keypath_ keypath kp = { NULL, 0 };
  int r = parse_key(ps, &kp);
  if (r < 0)
    return r;
  if (peek(ps, 0) != ']')
    return fail(ps, "expected ']' at end of table header");
  ps->p++;
  toml_value *t = ps->root;
  for (size_t k = 0; k < kp.n; k++) {
    bool last = k + 1 == kp.n;
    toml_key *e = table_find(t, kp.v[k].name);
    if (!e) {
      t = table_add_new(t, &kp.v[k], last ? at : kp.v[k].pos,
                        last ? ORIGIN_HEADER : ORIGIN_IMPLICIT);
      continue;
    }
    r = header_step(ps, at, &kp, k, e);
    if (r < 0)
      return r;
    t = e->value;
  }
  free(ps->cur_path);
  ps->cur_path = render_key(NULL, &kp, kp.n - 1, true);
  ps->cur = t;
  return expect_eol(ps, "table header");
}

static int parse_document(parser *ps)
{
  while (ps->p < ps->end) {
    skip_ws(ps);
    int c = peek(ps, 0), r;
    if (c == '[')
      r = parse_header(ps);
    else if (c == '#' || c < 0 || newline_len(ps))
      r = expect_eol(ps, "comment");
    else {
      r = parse_keyval(ps, ps->cur, ps->cur_path);
      if (r == 0)
        r = expect_eol(ps, "value");
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
  int r = check_utf8(&ps);
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
