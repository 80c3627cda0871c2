#include "template.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The interpreter runs the template text in one pass. With out == NULL it
 * only checks the syntax; kpod_template_execute checks first, so a syntax
 * error late in the text never leaves half an output behind. */
typedef struct tpl {
  const char *p;    /* the cursor in the template text */
  json_t *root;     /* $ and the initial dot */
  strbuf *out;      /* NULL: check only */
  crio_err **err;
} tpl;

typedef int (*tpl_fn)(json_t **args, size_t n, json_t **out, crio_err **err);

typedef struct tpl_func {
  const char *name;
  int min_args;
  int max_args;
  tpl_fn fn;
} tpl_func;

#define TPL_MAX_ARGS 8

static int tpl_error(tpl *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tpl_error(tpl *t, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  return crio_err_set(t->err, CRIO_E_INVALID, "template: %s", msg);
}

char *kpod_template_normalize(const char *format)
{
  strbuf b = STRBUF_INIT;
  for (const char *p = format; *p; p++) {
    if (p[0] == '\\' && (p[1] == 'n' || p[1] == 't')) {
      strbuf_putc(&b, p[1] == 'n' ? '\n' : '\t');
      p++;
    } else {
      strbuf_putc(&b, *p);
    }
  }
  if (b.len == 0 || b.data[b.len - 1] != '\n')
    strbuf_putc(&b, '\n');
  return strbuf_steal(&b);
}

/* a and b equal when case and underscores are ignored */
static int key_matches(const char *a, const char *b)
{
  for (;;) {
    while (*a == '_')
      a++;
    while (*b == '_')
      b++;
    if (!*a || !*b)
      return !*a && !*b;
    if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
      return 0;
    a++;
    b++;
  }
}

json_t *kpod_template_lookup(const json_t *object, const char *name)
{
  json_t *v = json_object_get(object, name);
  if (v)
    return v;
  const char *key;
  json_object_foreach((json_t *) object, key, v)
    if (key_matches(key, name))
      return v;
  return NULL;
}

static const char *json_kind(const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "map";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER:
  case JSON_REAL: return "number";
  case JSON_TRUE:
  case JSON_FALSE: return "bool";
  default: return "<nil>";
  }
}

/* ---- functions ---- */

static int fn_json(json_t **args, size_t n, json_t **out, crio_err **err)
{
  _cleanup_free_ char *s = json_dumps(args[0], JSON_COMPACT | JSON_ENCODE_ANY);
  *out = json_string(s ? s : "null");
  return 0;
}

static int fn_case(json_t **args, int upper, json_t **out, crio_err **err, const char *name)
{
  if (!json_is_string(args[0]))
    return crio_err_set(err, CRIO_E_INVALID, "template: %s: expected a string, got %s", name,
                        json_kind(args[0]));
  _cleanup_free_ char *s = xstrdup(json_string_value(args[0]));
  for (char *c = s; *c; c++)
    *c = (char) (upper ? toupper((unsigned char) *c) : tolower((unsigned char) *c));
  *out = json_string(s);
  return 0;
}

static int fn_upper(json_t **args, size_t n, json_t **out, crio_err **err)
{
  return fn_case(args, 1, out, err, "upper");
}

static int fn_lower(json_t **args, size_t n, json_t **out, crio_err **err)
{
  return fn_case(args, 0, out, err, "lower");
}

static int fn_len(json_t **args, size_t n, json_t **out, crio_err **err)
{
  json_t *v = args[0];
  if (json_is_array(v))
    *out = json_integer((json_int_t) json_array_size(v));
  else if (json_is_object(v))
    *out = json_integer((json_int_t) json_object_size(v));
  else if (json_is_string(v))
    *out = json_integer((json_int_t) json_string_length(v));
  else
    return crio_err_set(err, CRIO_E_INVALID, "template: len of %s", json_kind(v));
  return 0;
}

static int fn_join(json_t **args, size_t n, json_t **out, crio_err **err)
{
  if (!json_is_array(args[0]) || !json_is_string(args[1]))
    return crio_err_set(err, CRIO_E_INVALID, "template: join: expected an array and a string, "
                        "got %s and %s", json_kind(args[0]), json_kind(args[1]));
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  size_t i;
  json_t *item;
  json_array_foreach(args[0], i, item) {
    if (i > 0)
      strbuf_puts(&b, json_string_value(args[1]));
    kpod_value_print(&b, item);
  }
  *out = json_string(b.data ? b.data : "");
  return 0;
}

static int fn_index(json_t **args, size_t n, json_t **out, crio_err **err)
{
  json_t *v = args[0];
  for (size_t i = 1; i < n; i++) {
    json_t *key = args[i];
    if (json_is_array(v) && json_is_integer(key)) {
      json_int_t k = json_integer_value(key);
      if (k < 0 || (size_t) k >= json_array_size(v))
        return crio_err_set(err, CRIO_E_INVALID, "template: index out of range: %lld",
                            (long long) k);
      v = json_array_get(v, (size_t) k);
    } else if (json_is_object(v) && json_is_string(key)) {
      json_t *found = kpod_template_lookup(v, json_string_value(key));
      v = found ? found : json_null(); /* Go: a missing map key is the zero value */
    } else {
      return crio_err_set(err, CRIO_E_INVALID, "template: can't index item of type %s",
                          json_kind(v));
    }
  }
  *out = json_incref(v);
  return 0;
}

static const tpl_func tpl_funcs[] = {
  { "json", 1, 1, fn_json },    { "upper", 1, 1, fn_upper }, { "lower", 1, 1, fn_lower },
  { "len", 1, 1, fn_len },      { "join", 2, 2, fn_join },   { "index", 2, TPL_MAX_ARGS, fn_index },
};

static const char *const tpl_unsupported[] = {
  "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
  "printf", "print", "println", "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge",
};

/* ---- lexing inside an action ---- */

static void skip_space(tpl *t)
{
  while (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')
    t->p++;
}

/* At "}}", or at "-}}" after a space (the right trim marker). */
static int at_action_end(const tpl *t)
{
  if (t->p[0] == '}' && t->p[1] == '}')
    return 1;
  return t->p[0] == '-' && t->p[1] == '}' && t->p[2] == '}' && isspace((unsigned char) t->p[-1]);
}

static int is_ident_char(char c)
{
  return isalnum((unsigned char) c) || c == '_';
}

static char *read_ident(tpl *t)
{
  const char *start = t->p;
  while (is_ident_char(*t->p))
    t->p++;
  return xstrndup(start, (size_t) (t->p - start));
}

static int read_string(tpl *t, json_t **out)
{
  char quote = *t->p++;
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_append(&b, "", 0);
  for (; *t->p != quote; t->p++) {
    char c = *t->p;
    if (c == '\0' || (c == '\n' && quote == '"'))
      return tpl_error(t, "unterminated quoted string");
    if (c == '\\' && quote == '"') {
      c = *++t->p;
      if (c == 'n')
        c = '\n';
      else if (c == 't')
        c = '\t';
      else if (c != '\\' && c != '"')
        return tpl_error(t, "unknown escape sequence \"\\%c\" in string", c ? c : ' ');
    }
    strbuf_putc(&b, c);
  }
  t->p++;
  *out = t->out ? json_string(b.data) : NULL;
  return 0;
}

static int read_number(tpl *t, json_t **out)
{
  char *end;
  long long v = strtoll(t->p, &end, 10);
  if (end == t->p || is_ident_char(*end) || *end == '.')
    return tpl_error(t, "bad number syntax \"%.*s\"", (int) strcspn(t->p, " |}"), t->p);
  t->p = end;
  *out = t->out ? json_integer((json_int_t) v) : NULL;
  return 0;
}

/* The end of an operand: whitespace, a pipe or the end of the action. */
static int check_operand_end(tpl *t, const char *start)
{
  if (*t->p == '\0')
    return tpl_error(t, "unclosed action");
  if (isspace((unsigned char) *t->p) || *t->p == '|' || at_action_end(t))
    return 0;
  return tpl_error(t, "unexpected \"%c\" in operand \"%.*s\"", *t->p, (int) (t->p - start) + 1,
                   start);
}

/* A field path at t->p ('.' or '$'); *out a new reference (NULL when only checking). */
static int eval_field(tpl *t, json_t *dot, json_t **out)
{
  const char *start = t->p;
  json_t *v = dot;
  if (*t->p == '$') {
    v = t->root;
    t->p++;
    if (is_ident_char(*t->p))
      return tpl_error(t, "variables are not supported: \"$%.*s\"", (int) strspn(t->p,
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"), t->p);
  } else if (!is_ident_char(t->p[1])) {
    t->p++; /* a bare "." */
  }
  while (*t->p == '.' && is_ident_char(t->p[1])) {
    t->p++;
    _cleanup_free_ char *name = read_ident(t);
    if (!t->out)
      continue;
    if (!json_is_object(v))
      return tpl_error(t, "can't evaluate field %s in type %s", name, json_kind(v));
    json_t *next = kpod_template_lookup(v, name);
    if (!next)
      return tpl_error(t, "can't evaluate field %s", name);
    v = next;
  }
  int r = check_operand_end(t, start);
  if (r < 0)
    return r;
  *out = t->out ? json_incref(v) : NULL;
  return 0;
}

static int is_literal_word(const char *p, const char *word)
{
  size_t n = strlen(word);
  return strncmp(p, word, n) == 0 && !is_ident_char(p[n]);
}

static int eval_operand(tpl *t, json_t *dot, json_t **out)
{
  char c = *t->p;
  if (c == '.' || c == '$')
    return eval_field(t, dot, out);
  if (c == '"' || c == '`')
    return read_string(t, out);
  if (isdigit((unsigned char) c) || ((c == '-' || c == '+') && isdigit((unsigned char) t->p[1])))
    return read_number(t, out);
  if (is_literal_word(t->p, "true") || is_literal_word(t->p, "false")) {
    *out = t->out ? json_boolean(c == 't') : NULL;
    t->p += c == 't' ? 4 : 5;
    return 0;
  }
  if (c == '\0')
    return tpl_error(t, "unclosed action");
  if (is_ident_char(c))
    return tpl_error(t, "can't give argument to non-function: \"%.*s\"",
                     (int) strcspn(t->p, " |}"), t->p);
  return tpl_error(t, "unexpected \"%c\" in command", c);
}

static void json_array_release(json_t **args, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (args[i])
      json_decref(args[i]);
}

static int call_function(tpl *t, const tpl_func *f, json_t **args, size_t n, json_t **out)
{
  if ((int) n < f->min_args || (int) n > f->max_args)
    return tpl_error(t, "wrong number of args for %s: want %d got %zu", f->name, f->min_args, n);
  if (!t->out)
    return 0;
  return f->fn(args, n, out, t->err);
}

static const tpl_func *find_function(tpl *t, const char *name, int *r)
{
  for (size_t i = 0; i < ARRAY_SIZE(tpl_funcs); i++)
    if (strcmp(tpl_funcs[i].name, name) == 0)
      return &tpl_funcs[i];
  for (size_t i = 0; i < ARRAY_SIZE(tpl_unsupported); i++)
    if (strcmp(tpl_unsupported[i], name) == 0) {
      *r = tpl_error(t, "\"%s\" is not supported by kpod's templates", name);
      return NULL;
    }
  *r = tpl_error(t, "function \"%s\" not defined", name);
  return NULL;
}

/* A function call: its name, then operands up to a pipe or the action's end;
 * piped (owned, may be NULL when checking) is the last argument. */
static int eval_call(tpl *t, json_t *dot, json_t *piped, int has_piped, json_t **out)
{
  json_t *args[TPL_MAX_ARGS + 1] = { 0 };
  size_t n = 0;
  _cleanup_free_ char *name = read_ident(t);
  int r = 0;
  const tpl_func *f = find_function(t, name, &r);
  while (f && r == 0) {
    skip_space(t);
    if (*t->p == '|' || at_action_end(t))
      break;
    if (n == TPL_MAX_ARGS)
      r = tpl_error(t, "too many arguments for %s", name);
    else
      r = eval_operand(t, dot, &args[n++]);
  }
  if (has_piped)
    args[n++] = piped;
  else if (piped)
    json_decref(piped);
  if (r == 0)
    r = call_function(t, f, args, n, out);
  json_array_release(args, n);
  return r;
}

static int eval_command(tpl *t, json_t *dot, json_t *piped, int has_piped, json_t **out)
{
  skip_space(t);
  if (*t->p == '|' || at_action_end(t) || *t->p == '\0') {
    if (piped)
      json_decref(piped);
    return *t->p ? tpl_error(t, "missing value for command") : tpl_error(t, "unclosed action");
  }
  if (isalpha((unsigned char) *t->p) && !is_literal_word(t->p, "true") &&
      !is_literal_word(t->p, "false"))
    return eval_call(t, dot, piped, has_piped, out);
  if (piped)
    json_decref(piped);
  const char *start = t->p;
  int r = eval_operand(t, dot, out);
  if (r < 0)
    return r;
  skip_space(t);
  if (*t->p == '\0') {
    json_decref(*out);
    *out = NULL;
    return tpl_error(t, "unclosed action");
  }
  if (has_piped || !(*t->p == '|' || at_action_end(t))) {
    if (*out)
      json_decref(*out);
    *out = NULL;
    return tpl_error(t, "can't give argument to non-function %.*s", (int) strcspn(start, " |}"),
                     start);
  }
  return 0;
}

static int eval_pipeline(tpl *t, json_t *dot, json_t **out)
{
  json_t *v = NULL;
  for (int has_piped = 0;; has_piped = 1) {
    json_t *next = NULL;
    int r = eval_command(t, dot, steal_pointer(&v), has_piped, &next);
    if (r < 0)
      return r;
    v = next;
    skip_space(t);
    if (*t->p != '|')
      break;
    t->p++;
  }
  *out = v;
  return 0;
}

/* t->p just after "{{/" + "*"; the comment must end with "*" "/}}" (or with a trim marker). */
static int run_comment(tpl *t, int *trim_next)
{
  const char *end = strstr(t->p, "*/");
  if (!end)
    return tpl_error(t, "unclosed comment");
  t->p = end + 2;
  if (strncmp(t->p, " -}}", 4) == 0) {
    *trim_next = 1;
    t->p += 4;
    return 0;
  }
  if (strncmp(t->p, "}}", 2) != 0)
    return tpl_error(t, "comment ends before closing delimiter");
  t->p += 2;
  return 0;
}

static void print_result(tpl *t, json_t *v)
{
  if (!t->out)
    return;
  if (!v || json_is_null(v))
    strbuf_puts(t->out, "<no value>");
  else
    kpod_value_print(t->out, v);
}

/* t->p just after "{{" and its trim marker, if any. */
static int run_action(tpl *t, int *trim_next)
{
  if (t->p[0] == '/' && t->p[1] == '*') {
    t->p += 2;
    return run_comment(t, trim_next);
  }
  _cleanup_json_ json_t *v = NULL;
  int r = eval_pipeline(t, t->root, &v);
  if (r < 0)
    return r;
  if (*t->p == '\0')
    return tpl_error(t, "unclosed action");
  if (!at_action_end(t))
    return tpl_error(t, "unexpected \"%c\" in command", *t->p);
  *trim_next = t->p[0] == '-';
  t->p += *trim_next ? 3 : 2;
  print_result(t, v);
  return 0;
}

static int is_trim_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int tpl_run(tpl *t)
{
  int trim_next = 0;
  for (;;) {
    const char *open = strstr(t->p, "{{");
    const char *text = t->p;
    const char *text_end = open ? open : t->p + strlen(t->p);
    int trim_before = open && open[2] == '-' && is_trim_space(open[3]);
    while (trim_next && text < text_end && is_trim_space(*text))
      text++;
    while (trim_before && text_end > text && is_trim_space(text_end[-1]))
      text_end--;
    if (t->out)
      strbuf_append(t->out, text, (size_t) (text_end - text));
    if (!open)
      return 0;
    t->p = open + (trim_before ? 4 : 2);
    int r = run_action(t, &trim_next);
    if (r < 0)
      return r;
  }
}

int kpod_template_check(const char *text, crio_err **err)
{
  tpl t = { .p = text, .root = NULL, .out = NULL, .err = err };
  return tpl_run(&t);
}

int kpod_template_execute(const char *text, json_t *data, strbuf *out, crio_err **err)
{
  int r = kpod_template_check(text, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  tpl t = { .p = text, .root = data ? data : json_null(), .out = &b, .err = err };
  r = tpl_run(&t);
  if (r < 0)
    return r;
  if (b.len)
    strbuf_append(out, b.data, b.len);
  return 0;
}
