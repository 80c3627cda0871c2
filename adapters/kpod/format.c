#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "template.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void kpod_number_print(strbuf *out, const json_t *number)
{
  if (json_is_integer(number)) {
    strbuf_printf(out, "%lld", (long long) json_integer_value(number));
    return;
  }
  /* no libm: the range check keeps the cast defined and excludes inf and nan */
  double d = json_number_value(number);
  if (d > -1e18 && d < 1e18 && d == (double) (long long) d) {
    strbuf_printf(out, "%lld", (long long) d);
    return;
  }
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  strbuf_puts(out, buf);
}

static int compare_keys(const void *a, const void *b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void value_print(strbuf *out, const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_STRING:
    strbuf_append(out, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
  case JSON_REAL:
    kpod_number_print(out, v);
    break;
  case JSON_TRUE:
    strbuf_puts(out, "true");
    break;
  case JSON_FALSE:
    strbuf_puts(out, "false");
    break;
  case JSON_NULL:
    strbuf_puts(out, "<nil>");
    break;
  case JSON_ARRAY: {
    size_t i;
    json_t *item;
    strbuf_putc(out, '[');
    json_array_foreach((json_t *) v, i, item) {
      if (i > 0)
        strbuf_putc(out, ' ');
      value_print(out, item);
    }
    strbuf_putc(out, ']');
    break;
  }
  case JSON_OBJECT: {
    /* Go's fmt prints maps with their keys sorted */
    size_t n = json_object_size(v), i = 0;
    _cleanup_free_ const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
    const char *key;
    json_t *item;
    json_object_foreach((json_t *) v, key, item)
      keys[i++] = key;
    qsort(keys, n, sizeof *keys, compare_keys);
    strbuf_puts(out, "map[");
    for (i = 0; i < n; i++) {
      strbuf_printf(out, "%s%s:", i ? " " : "", keys[i]);
      value_print(out, json_object_get(v, keys[i]));
    }
    strbuf_putc(out, ']');
    break;
  }
  }
}

void kpod_value_print(strbuf *out, const json_t *value)
{
  value_print(out, value);
}

void kpod_json_pretty(strbuf *out, const json_t *value)
{
  _cleanup_free_ char *s = json_dumps(value, JSON_INDENT(4) | JSON_ENCODE_ANY);
  strbuf_puts(out, s ? s : "null");
  strbuf_putc(out, '\n');
}

/* ---- YAML ---- */

static int yaml_word_is_special(const char *s)
{
  static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "y", "n",
                                       "null", "~" };
  for (size_t i = 0; i < ARRAY_SIZE(words); i++)
    if (strcasecmp(s, words[i]) == 0)
      return 1;
  char *end;
  strtod(s, &end);
  return end != s && *end == '\0';
}

/* Whether YAML would read s as something other than this plain string. */
static int yaml_needs_quotes(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || yaml_word_is_special(s))
    return 1;
  if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) || isspace((unsigned char) s[n - 1]) ||
      s[n - 1] == ':')
    return 1;
  if (strstr(s, ": ") || strstr(s, " #"))
    return 1;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return 1;
  return 0;
}

static void yaml_scalar(strbuf *out, const json_t *v)
{
  if (json_is_null(v)) {
    strbuf_puts(out, "null");
  } else if (json_is_string(v) && yaml_needs_quotes(json_string_value(v))) {
    /* a JSON string is a valid double-quoted YAML scalar */
    _cleanup_free_ char *q = json_dumps(v, JSON_ENCODE_ANY);
    strbuf_puts(out, q);
  } else {
    value_print(out, v);
  }
}

static int yaml_is_collection(const json_t *v)
{
  return (json_is_object(v) && json_object_size(v) > 0) ||
         (json_is_array(v) && json_array_size(v) > 0);
}

/* A value that fits on its key's line: a scalar or an empty collection. */
static void yaml_leaf(strbuf *out, const json_t *v)
{
  if (json_is_object(v))
    strbuf_puts(out, "{}");
  else if (json_is_array(v))
    strbuf_puts(out, "[]");
  else
    yaml_scalar(out, v);
}

static void yaml_indent(strbuf *out, int indent)
{
  for (int i = 0; i < indent; i++)
    strbuf_putc(out, ' ');
}

static void yaml_sequence(strbuf *out, const json_t *arr, int indent, int inline_first);

/* inline_first: the first line's indent is already written ("- "). */
static void yaml_mapping(strbuf *out, const json_t *obj, int indent, int inline_first)
{
  const char *key;
  json_t *v;
  int first = 1;
  json_object_foreach((json_t *) obj, key, v) {
    if (!(first && inline_first))
      yaml_indent(out, indent);
    first = 0;
    json_t *k = json_string(key);
    yaml_scalar(out, k);
    json_decref(k);
    strbuf_putc(out, ':');
    if (json_is_object(v) && yaml_is_collection(v)) {
      strbuf_putc(out, '\n');
      yaml_mapping(out, v, indent + 2, 0);
    } else if (json_is_array(v) && yaml_is_collection(v)) {
      strbuf_putc(out, '\n');
      yaml_sequence(out, v, indent, 0);
    } else {
      strbuf_putc(out, ' ');
      yaml_leaf(out, v);
      strbuf_putc(out, '\n');
    }
  }
}

static void yaml_sequence(strbuf *out, const json_t *arr, int indent, int inline_first)
{
  size_t i;
  json_t *v;
  json_array_foreach((json_t *) arr, i, v) {
    if (!(i == 0 && inline_first))
      yaml_indent(out, indent);
    strbuf_puts(out, "- ");
    if (json_is_object(v) && yaml_is_collection(v)) {
      yaml_mapping(out, v, indent + 2, 1);
    } else if (json_is_array(v) && yaml_is_collection(v)) {
      yaml_sequence(out, v, indent + 2, 1);
    } else {
      yaml_leaf(out, v);
      strbuf_putc(out, '\n');
    }
  }
}

void kpod_yaml_print(strbuf *out, const json_t *value)
{
  if (json_is_object(value) && yaml_is_collection(value)) {
    yaml_mapping(out, value, 0, 0);
  } else if (json_is_array(value) && yaml_is_collection(value)) {
    yaml_sequence(out, value, 0, 0);
  } else {
    yaml_leaf(out, value);
    strbuf_putc(out, '\n');
  }
}

/* ---- --format ---- */

int kpod_format_render(const char *format, json_t *data, kpod_print_fn print_default,
                       strbuf *out, crio_err **err)
{
  if (!format || !*format) {
    print_default(out, data);
    return 0;
  }
  if (strcmp(format, "json") == 0) {
    kpod_json_pretty(out, data);
    return 0;
  }
  _cleanup_free_ char *text = kpod_template_normalize(format);
  return kpod_template_execute(text, data, out, err);
}

int kpod_format_check(const char *format, crio_err **err)
{
  if (!format || !*format || strcmp(format, "json") == 0)
    return 0;
  _cleanup_free_ char *text = kpod_template_normalize(format);
  return kpod_template_check(text, err);
}

int kpod_format_write(FILE *f, const char *format, json_t *data, kpod_print_fn print_default,
                      crio_err **err)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  int r = kpod_format_render(format, data, print_default, &b, err);
  if (r < 0)
    return r;
  if (b.len && fwrite(b.data, 1, b.len, f) != b.len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}
