/* Container logs: the CRI log format conmon writes,
 * "<RFC3339Nano time> <stdout|stderr> <F|P> <text>", one record a line; P
 * records are parts of a longer line, joined here. */
#include "server/engine/exits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* "2024-01-02T03:04:05.123456789Z" or "...+01:00" in nanoseconds; -1 if not. */
int64_t log_time_parse(const char *s)
{
  struct tm tm = { 0 };
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return -1;
  int64_t ns = 0;
  if (*p == '.') {
    int digits = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, digits++)
      if (digits < 9)
        ns = ns * 10 + (*p - '0');
    for (; digits < 9; digits++)
      ns *= 10;
  }
  int64_t offset = 0;
  if (*p == '+' || *p == '-') {
    int h = 0, m = 0;
    if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
      return -1;
    offset = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
  } else if (*p != 'Z') {
    return -1;
  }
  return ((int64_t) timegm(&tm) - offset) * 1000000000LL + ns;
}

typedef struct log_record {
  char *time;
  char *stream;
  strbuf text;
} log_record;

typedef struct log_reader {
  const engine_log_opts *o;
  int (*fn)(const engine_log_line *l, void *data);
  void *data;
  log_record pending[2];   /* partial lines, per stream */
  log_record *tail;        /* with tail >= 0: the last lines, a ring */
  size_t tail_n, tail_next;
  bool stopped;
} log_reader;

static int emit(log_reader *r, log_record *rec)
{
  if (r->o->since_ns > 0 && log_time_parse(rec->time) < r->o->since_ns)
    return 0;
  if (r->tail) {
    if (r->o->tail == 0)
      return 0;
    log_record *slot = &r->tail[r->tail_next++ % (size_t) r->o->tail];
    free(slot->time);
    free(slot->stream);
    strbuf_free(&slot->text);
    slot->time = xstrdup(rec->time);
    slot->stream = xstrdup(rec->stream);
    slot->text = (strbuf) STRBUF_INIT;
    strbuf_append(&slot->text, rec->text.data ? rec->text.data : "", rec->text.len);
    r->tail_n++;
    return 0;
  }
  engine_log_line l = { .time = rec->time, .stream = rec->stream,
                        .text = rec->text.data ? rec->text.data : "", .len = rec->text.len };
  return r->fn(&l, r->data);
}

/* One record of the file (without its newline). */
static int feed(log_reader *r, char *line)
{
  char *time = strtok_r(line, " ", &line);
  char *stream = strtok_r(NULL, " ", &line);
  char *tag = strtok_r(NULL, " ", &line);
  if (!time || !stream || !tag || (strcmp(stream, "stdout") && strcmp(stream, "stderr")))
    return 0;  /* not a record: skipped */
  log_record *p = &r->pending[strcmp(stream, "stderr") == 0];
  if (!p->time) {
    p->time = xstrdup(time);
    p->stream = xstrdup(stream);
  }
  strbuf_puts(&p->text, line ? line : "");
  if (tag[0] == 'P')
    return 0;
  strbuf_putc(&p->text, '\n');
  int rc = emit(r, p);
  free(p->time);
  free(p->stream);
  strbuf_free(&p->text);
  memset(p, 0, sizeof *p);
  return rc;
}

/* Reads what the file holds from *offset on, feeding complete lines. */
static int read_more(log_reader *r, FILE *f, strbuf *partial)
{
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        strbuf_putc(partial, buf[i]);
        continue;
      }
      int rc = feed(r, partial->data ? partial->data : (char[]) { 0 });
      strbuf_reset(partial);
      if (rc < 0)
        return rc;
    }
  }
  clearerr(f);
  return 0;
}

/* The last records of an exited container may be partial (no newline). */
static int flush_pending(log_reader *r)
{
  for (int i = 0; i < 2; i++) {
    log_record *p = &r->pending[i];
    int rc = p->time ? emit(r, p) : 0;
    free(p->time);
    free(p->stream);
    strbuf_free(&p->text);
    memset(p, 0, sizeof *p);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static bool container_done(engine *e, const char *id)
{
  store_container *c = NULL;
  bool done = store_container_get(e->store, id, &c, NULL) < 0 || c->state == STORE_CTR_EXITED ||
              c->state == STORE_CTR_CREATED;
  store_container_free(c);
  return done;
}

static void flush_tail(log_reader *r)
{
  size_t n = r->tail_n < (size_t) r->o->tail ? r->tail_n : (size_t) r->o->tail;
  size_t start = r->tail_next - n;
  for (size_t i = 0; i < n; i++) {
    log_record *rec = &r->tail[(start + i) % (size_t) r->o->tail];
    engine_log_line l = { .time = rec->time, .stream = rec->stream,
                          .text = rec->text.data ? rec->text.data : "", .len = rec->text.len };
    if (!r->stopped && r->fn(&l, r->data) < 0)
      r->stopped = true;
  }
  for (size_t i = 0; i < (size_t) r->o->tail && i < r->tail_n; i++) {
    free(r->tail[i].time);
    free(r->tail[i].stream);
    strbuf_free(&r->tail[i].text);
  }
  free(r->tail);
  r->tail = NULL;
}

int engine_container_logs(engine *e, const char *ref, const engine_log_opts *o,
                          int (*fn)(const engine_log_line *l, void *data), void *data,
                          crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  _cleanup_free_ char *id = xstrdup(c->id);
  _cleanup_free_ char *path = xstrdup(c->log_path ? c->log_path : "");
  store_container_free(c);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  log_reader r = { .o = o, .fn = fn, .data = data };
  if (o->tail >= 0)
    r.tail = xzalloc(((size_t) o->tail + 1) * sizeof *r.tail);
  _cleanup_strbuf_ strbuf partial = STRBUF_INIT;
  bool done = container_done(e, id);  /* before reading: all it wrote is then in the file */
  int rc = f ? read_more(&r, f, &partial) : 0;
  if (rc == 0 && done)
    rc = flush_pending(&r);
  if (r.tail)
    flush_tail(&r);
  while (rc == 0 && !r.stopped && o->follow && !done) {
    exits_wait(e, 100);
    done = container_done(e, id);
    if (!f)
      f = fopen(path, "re");  /* conmon creates it when the container starts */
    rc = f ? read_more(&r, f, &partial) : 0;
    if (rc == 0 && done)
      rc = flush_pending(&r);
  }
  for (int i = 0; i < 2; i++) {
    free(r.pending[i].time);
    free(r.pending[i].stream);
    strbuf_free(&r.pending[i].text);
  }
  return 0;
}
