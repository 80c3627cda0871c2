#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
  fputs("out of memory\n", stderr);
  abort();
}

void *xmalloc(size_t size)
{
  void *p = malloc(size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *xzalloc(size_t size)
{
  void *p = calloc(1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *xrealloc(void *p, size_t size)
{
  p = realloc(p, size ? size : 1);
  if (!p)
    oom();
  return p;
}

char *xstrdup(const char *s)
{
  if (!s)
    return NULL;
  char *r = strdup(s);
  if (!r)
    oom();
  return r;
}

char *xstrndup(const char *s, size_t n)
{
  char *r = strndup(s, n);
  if (!r)
    oom();
  return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
  char *r = NULL;
  if (vasprintf(&r, fmt, ap) < 0)
    oom();
  return r;
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *r = xvasprintf(fmt, ap);
  va_end(ap);
  return r;
}
