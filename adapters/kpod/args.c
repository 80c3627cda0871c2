#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "util/xalloc.h"

static void args_push(const char ***vec, size_t *n, const char *value)
{
  *vec = xrealloc(*vec, (*n + 2) * sizeof **vec);
  (*vec)[(*n)++] = value;
  (*vec)[*n] = NULL;
}

static int flag_index(const kpod_args *a, const char *name, char short_name)
{
  for (size_t i = 0; i < a->nflags; i++)
    if ((name && strcmp(a->flags[i].name, name) == 0) ||
        (!name && short_name && a->flags[i].short_name == short_name))
      return (int) i;
  return -1;
}

static int parse_bool_value(const char *value, const char *flag, const char **out, crio_err **err)
{
  if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
    *out = "true";
  else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
    *out = "false";
  else
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid argument \"%s\" for \"--%s\" flag: expected true or false",
                        value, flag);
  return 0;
}

/* argv[*i] is "--name" or "--name=value". */
static int parse_long(kpod_args *a, int argc, char **argv, int *i, crio_err **err)
{
  const char *arg = argv[*i] + 2;
  const char *eq = strchr(arg, '=');
  size_t len = eq ? (size_t) (eq - arg) : strlen(arg);
  char *name = xstrndup(arg, len);
  int idx = flag_index(a, name, 0);
  int r = 0;
  const char *value = eq ? eq + 1 : NULL;
  if (idx < 0 && strcmp(name, "help") == 0) {
    a->help = 1;
  } else if (idx < 0) {
    r = crio_err_set(err, CRIO_E_INVALID, "unknown flag: --%s", name);
  } else if (a->flags[idx].type == KPOD_FLAG_BOOL) {
    if (value)
      r = parse_bool_value(value, name, &value, err);
    if (r == 0)
      args_push(&a->values[idx], &a->counts[idx], value ? value : "true");
  } else {
    if (!value && *i + 1 < argc)
      value = argv[++*i];
    if (!value)
      r = crio_err_set(err, CRIO_E_INVALID, "flag needs an argument: --%s", name);
    else
      args_push(&a->values[idx], &a->counts[idx], value);
  }
  free(name);
  return r;
}

/* argv[*i] is "-abc" or "-fVALUE". */
static int parse_short(kpod_args *a, int argc, char **argv, int *i, crio_err **err)
{
  const char *arg = argv[*i];
  for (const char *c = arg + 1; *c; c++) {
    int idx = flag_index(a, NULL, *c);
    if (idx < 0 && *c == 'h') {
      a->help = 1;
      continue;
    }
    if (idx < 0)
      return crio_err_set(err, CRIO_E_INVALID, "unknown shorthand flag: '%c' in %s", *c, arg);
    if (a->flags[idx].type == KPOD_FLAG_BOOL) {
      args_push(&a->values[idx], &a->counts[idx], "true");
      continue;
    }
    const char *value = c[1] ? c + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!value)
      return crio_err_set(err, CRIO_E_INVALID, "flag needs an argument: '%c' in %s", *c, arg);
    args_push(&a->values[idx], &a->counts[idx], value);
    return 0;
  }
  return 0;
}

int kpod_args_parse(const kpod_flag *flags, int argc, char **argv, int mode, kpod_args *a,
                    crio_err **err)
{
  memset(a, 0, sizeof *a);
  a->flags = flags;
  while (flags && flags[a->nflags].name && a->nflags < KPOD_FLAGS_MAX)
    a->nflags++;
  a->rest = argc;
  args_push(&a->positional, &a->npositional, NULL);
  a->npositional = 0;
  int only_positional = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    int r = 0;
    if (only_positional || arg[0] != '-' || arg[1] == '\0') {
      if (mode == KPOD_PARSE_STOP) {
        a->rest = i;
        return 0;
      }
      only_positional |= mode == KPOD_PARSE_FLAGS_FIRST;
      args_push(&a->positional, &a->npositional, arg);
    } else if (strcmp(arg, "--") == 0) {
      only_positional = 1;
    } else if (arg[1] == '-') {
      r = parse_long(a, argc, argv, &i, err);
    } else {
      r = parse_short(a, argc, argv, &i, err);
    }
    if (r < 0)
      return r;
  }
  return 0;
}

void kpod_args_release(kpod_args *a)
{
  for (size_t i = 0; i < KPOD_FLAGS_MAX; i++) {
    free(a->values[i]);
    a->values[i] = NULL;
  }
  free(a->positional);
  a->positional = NULL;
}

static const char *const empty_values[] = { NULL };

const char *const *kpod_args_strings(const kpod_args *a, const char *name, size_t *n)
{
  int idx = flag_index(a, name, 0);
  if (n)
    *n = idx < 0 ? 0 : a->counts[idx];
  if (idx < 0 || !a->values[idx])
    return empty_values;
  return a->values[idx];
}

const char *kpod_args_string(const kpod_args *a, const char *name)
{
  size_t n;
  const char *const *v = kpod_args_strings(a, name, &n);
  return n ? v[n - 1] : NULL;
}

int kpod_args_bool(const kpod_args *a, const char *name)
{
  const char *v = kpod_args_string(a, name);
  return v && strcmp(v, "true") == 0;
}

/* cobra names a flag "-t, --time" when it has a shorthand, else "--time". */
static char *flag_display_name(const kpod_args *a, const char *name)
{
  int idx = flag_index(a, name, 0);
  if (idx >= 0 && a->flags[idx].short_name)
    return xasprintf("-%c, --%s", a->flags[idx].short_name, name);
  return xasprintf("--%s", name);
}

int kpod_args_int(const kpod_args *a, const char *name, long long min, long long max,
                  long long *out, crio_err **err)
{
  const char *s = kpod_args_string(a, name);
  if (!s)
    return 0;
  const char *parser = min < 0 ? "strconv.ParseInt" : "strconv.ParseUint";
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  const char *why = NULL;
  if (!*s || *end || (min >= 0 && (*s == '-' || *s == '+')) || isspace((unsigned char) *s))
    why = "invalid syntax";
  else if (errno == ERANGE || v < min || v > max)
    why = "value out of range";
  if (why) {
    char *display = flag_display_name(a, name);
    int r = crio_err_set(err, CRIO_E_INVALID, "invalid argument \"%s\" for \"%s\" flag: %s: "
                         "parsing \"%s\": %s", s, display, parser, s, why);
    free(display);
    return r;
  }
  *out = v;
  return 1;
}
