/* The character level of the TOML parser: positions and error messages,
 * whitespace, comments and line ends, the UTF-8 check, strings with their
 * escapes, keys, and the bare scalars (integers, booleans). toml.c builds the
 * tree from these pieces. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/toml_int.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void toml__keypath_free(keypath *kp)
{
  for (size_t k = 0; k < kp->n; k++)
    free(kp->v[k].name);
  free(kp->v);
}

/* ---- positions and errors ---- */

/* Columns count characters, not bytes; counting resumes where the last call
 * stopped, so a long line is not rescanned for each value on it. */
tpos toml__here(parser *ps)
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

int toml__fail_at(parser *ps, tpos at, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  return crio_err_set(ps->err, CRIO_E_INVALID, "%s:%d:%d: %s", ps->file, at.line, at.col, msg);
}

/* ---- characters ---- */

static bool is_ctrl(int c)
{
  return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* TOML documents are UTF-8; checking once up front lets the rest of the
 * parser pass any byte >= 0x80 through. Overlong forms, surrogates and code
 * points beyond U+10FFFF are rejected, as the Unicode standard asks. */
int toml__check_utf8(parser *ps)
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

int toml__expect_eol(parser *ps, const char *what)
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
int toml__skip_ws_lines(parser *ps)
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
  tpos at = toml__here(ps);
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
int toml__parse_string(parser *ps, char **out)
{
  tpos start = toml__here(ps);
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
  kp->pos = toml__here(ps);
  int c = peek(ps, 0);
  if (c == '"' || c == '\'') {
    if (peek(ps, 1) == c && peek(ps, 2) == c)
      return fail(ps, "multi-line strings cannot be keys");
    return toml__parse_string(ps, &kp->name);
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
int toml__parse_key(parser *ps, keypath *kp)
{
  for (;;) {
    if (kp->n == TOML_MAX_KEY_PARTS)
      return fail(ps, "key has more than %d parts", TOML_MAX_KEY_PARTS);
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

/* ---- bare scalars: integers and booleans ---- */

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
int toml__parse_bare_value(parser *ps, const char *ctx, toml_value **out)
{
  tpos at = toml__here(ps);
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
