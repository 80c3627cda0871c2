/* A growable, always NUL-terminated byte buffer. The one dynamic buffer of
 * the project: use it for building strings and accumulating bodies. */
#ifndef CRIO_UTIL_STRBUF_H
#define CRIO_UTIL_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
  char *data;   /* NUL-terminated; NULL until the first append */
  size_t len;
  size_t cap;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_append(strbuf *b, const void *data, size_t len);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_putc(strbuf *b, char c);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(strbuf *b);             /* length 0, memory kept */
char *strbuf_steal(strbuf *b);            /* the string (never NULL); b is emptied */
void strbuf_free(strbuf *b);
void cleanup_strbufp(strbuf *b);
#define _cleanup_strbuf_ __attribute__((cleanup(cleanup_strbufp)))

#endif
