#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void strbuf_grow(strbuf *b, size_t extra)
{
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void strbuf_append(strbuf *b, const void *data, size_t len)
{
  strbuf_grow(b, len);
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
  strbuf_append(b, s, strlen(s));
}

void strbuf_putc(strbuf *b, char c)
{
  strbuf_append(b, &c, 1);
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  strbuf_grow(b, (size_t) n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t) n;
}

void strbuf_reset(strbuf *b)
{
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

char *strbuf_steal(strbuf *b)
{
  char *s = b->data ? b->data : xstrdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}

void strbuf_free(strbuf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void cleanup_strbufp(strbuf *b)
{
  strbuf_free(b);
}
