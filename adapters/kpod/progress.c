#include "progress.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "jsonutil.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define BAR_WIDTH 30
#define BAR_MIN_WIDTH 5
#define REDRAW_INTERVAL_NS INT64_C(100000000)
#define SHORT_ID_LEN 12

void kpod_progress_init(kpod_progress *p, FILE *f, int tty, int quiet, int pull)
{
  memset(p, 0, sizeof *p);
  p->f = f;
  p->tty = tty;
  p->quiet = quiet;
  p->pull = pull;
  p->columns = 80;
  struct winsize ws;
  if (tty && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    p->columns = ws.ws_col;
}

void kpod_progress_release(kpod_progress *p)
{
  for (size_t i = 0; i < p->nlayers; i++)
    free(p->layers[i].digest);
  free(p->layers);
  free(p->id);
  free(p->digest);
  memset(p, 0, sizeof *p);
}

static void render_bar(strbuf *out, int64_t current, int64_t total, int width)
{
  int filled = current >= total ? width : (int) ((double) current * width / (double) total);
  strbuf_putc(out, '[');
  for (int i = 0; i < width; i++) {
    if (filled >= width || (filled > 0 && i < filled))
      strbuf_putc(out, '=');
    else if (filled > 0 && i == filled)
      strbuf_putc(out, '>');
    else
      strbuf_putc(out, '-');
  }
  strbuf_putc(out, ']');
}

/* prefix: the length of "Copying blob <id>" already written. */
static void render_active(strbuf *out, const kpod_layer *l, int columns, size_t prefix)
{
  _cleanup_strbuf_ strbuf counters = STRBUF_INIT;
  kpod_size_iec(&counters, (double) l->current);
  if (l->total <= 0) {
    strbuf_printf(out, " %s", counters.data);
    return;
  }
  strbuf_puts(&counters, " / ");
  kpod_size_iec(&counters, (double) l->total);
  int width = BAR_WIDTH;
  if (columns > 0) {
    int room = columns - 1 - (int) prefix - 4 - (int) counters.len; /* " [" and "] " */
    width = room < width ? room : width;
  }
  strbuf_putc(out, ' ');
  if (width >= BAR_MIN_WIDTH) {
    render_bar(out, l->current, l->total, width);
    strbuf_putc(out, ' ');
  }
  strbuf_puts(out, counters.data);
}

void kpod_progress_render(strbuf *out, const kpod_layer *l, int tty, int columns)
{
  const char *digest = l->digest ? l->digest : "";
  if (!tty) {
    if (l->state == KPOD_LAYER_ACTIVE)
      return;
    strbuf_printf(out, "Copying blob %s %s", digest,
                  l->state == KPOD_LAYER_DONE ? "done" : "skipped: already exists");
    return;
  }
  const char *colon = strchr(digest, ':');
  const char *hex = colon ? colon + 1 : digest;
  size_t start = out->len;
  strbuf_printf(out, "Copying blob %.*s", SHORT_ID_LEN, hex);
  if (l->state == KPOD_LAYER_DONE)
    strbuf_puts(out, " done");
  else if (l->state == KPOD_LAYER_EXISTS)
    strbuf_puts(out, " skipped: already exists");
  else
    render_active(out, l, columns, out->len - start);
  if (columns > 1 && out->len - start > (size_t) columns - 1) {
    out->len = start + (size_t) columns - 1; /* a wrapped line breaks the redraw */
    out->data[out->len] = '\0';
  }
}

static int64_t monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void redraw(kpod_progress *p, int force)
{
  if (!p->tty || p->quiet || p->nlayers == 0)
    return;
  int64_t now = monotonic_ns();
  if (!force && p->drawn == p->nlayers && now - p->last_draw_ns < REDRAW_INTERVAL_NS)
    return;
  p->last_draw_ns = now;
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  if (p->drawn)
    strbuf_printf(&b, "\033[%zuA", p->drawn);
  for (size_t i = 0; i < p->nlayers; i++) {
    strbuf_putc(&b, '\r');
    kpod_progress_render(&b, &p->layers[i], 1, p->columns);
    strbuf_puts(&b, "\033[K\n");
  }
  p->drawn = p->nlayers;
  fwrite(b.data, 1, b.len, p->f);
  fflush(p->f);
}

static int layers_finished(const kpod_progress *p)
{
  for (size_t i = 0; i < p->nlayers; i++)
    if (p->layers[i].state == KPOD_LAYER_ACTIVE)
      return 0;
  return 1;
}

/* Bars whose layers are all finished stay as they are on the screen; what
 * comes next prints below them. */
static void layers_commit(kpod_progress *p)
{
  redraw(p, 1);
  for (size_t i = 0; i < p->nlayers; i++)
    free(p->layers[i].digest);
  p->nlayers = 0;
  p->drawn = 0;
}

/* A line above the bars while layers are in progress, else below them. */
static void message(kpod_progress *p, const char *msg)
{
  if (p->quiet)
    return;
  if (p->tty && p->drawn && layers_finished(p))
    layers_commit(p);
  if (p->tty && p->drawn) {
    fprintf(p->f, "\033[%zuA\r%s\033[K\n", p->drawn, msg);
    p->drawn = 0;
    redraw(p, 1);
    return;
  }
  fprintf(p->f, "%s\n", msg);
  fflush(p->f);
}

static kpod_layer *layer_get(kpod_progress *p, const char *digest)
{
  for (size_t i = 0; i < p->nlayers; i++)
    if (strcmp(p->layers[i].digest, digest) == 0)
      return &p->layers[i];
  p->layers = xrealloc(p->layers, (p->nlayers + 1) * sizeof *p->layers);
  kpod_layer *l = &p->layers[p->nlayers++];
  memset(l, 0, sizeof *l);
  l->digest = xstrdup(digest);
  return l;
}

static void layer_finished(kpod_progress *p, kpod_layer *l, kpod_layer_state state)
{
  l->state = state;
  if (state == KPOD_LAYER_DONE && l->total > 0)
    l->current = l->total;
  if (p->tty) {
    redraw(p, 1);
    return;
  }
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  kpod_progress_render(&b, l, 0, 0);
  message(p, b.data);
}

static int event_error(kpod_progress *p, const json_t *ev, const char *line, size_t len,
                       crio_err **err)
{
  redraw(p, 1);
  const json_t *e = json_object_get(ev, "error");
  if (kpod_json_str(e, "message", NULL))
    return kpod_client_answer_error(500, line, len, err);
  return crio_err_set(err, CRIO_E_INTERNAL, "crio reported a failure without a message: %.*s",
                      (int) len, line);
}

static void event_layer(kpod_progress *p, const char *status, const json_t *ev)
{
  const char *digest = kpod_json_str(ev, "layer", kpod_json_str(ev, "digest", NULL));
  if (!digest)
    return;
  kpod_layer *l = layer_get(p, digest);
  if (strcmp(status, "exists") == 0) {
    layer_finished(p, l, KPOD_LAYER_EXISTS);
  } else if (strcmp(status, "extracted") == 0 || strcmp(status, "pushed") == 0) {
    layer_finished(p, l, KPOD_LAYER_DONE);
  } else {
    l->state = KPOD_LAYER_ACTIVE;
    l->current = json_integer_value(json_object_get(ev, "current"));
    l->total = json_integer_value(json_object_get(ev, "total"));
    redraw(p, 0);
  }
}

int kpod_progress_event(const char *line, size_t len, void *userdata, crio_err **err)
{
  kpod_progress *p = userdata;
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
    len--;
  if (len == 0)
    return 0;
  _cleanup_json_ json_t *ev = json_loadb(line, len, 0, NULL);
  const char *status = kpod_json_str(ev, "status", NULL);
  if (!status)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio sent a malformed progress line: %.*s",
                        (int) (len > 200 ? 200 : len), line);
  if (strcmp(status, "error") == 0)
    return event_error(p, ev, line, len, err);
  if (strcmp(status, "resolving") == 0 && p->pull && kpod_json_str(ev, "reference", NULL)) {
    _cleanup_free_ char *msg =
      xasprintf("Trying to pull %s...", kpod_json_str(ev, "reference", ""));
    message(p, msg);
    return 0;
  }
  int layer = strcmp(status, "exists") == 0 || strcmp(status, "downloading") == 0 ||
              strcmp(status, "extracted") == 0 || strcmp(status, "pushing") == 0 ||
              strcmp(status, "pushed") == 0;
  /* once, before the first blob (a push has no manifest event first) */
  if ((layer || strcmp(status, "manifest") == 0) && !p->said_signatures) {
    message(p, "Getting image source signatures");
    p->said_signatures = 1;
  }
  if (layer) {
    event_layer(p, status, ev);
  } else if (strcmp(status, "writing") == 0) {
    message(p, "Writing manifest to image destination");
  } else if (strcmp(status, "done") == 0) {
    free(p->id);
    free(p->digest);
    p->id = xstrdup(kpod_json_str(ev, "id", NULL));
    p->digest = xstrdup(kpod_json_str(ev, "digest", NULL));
    p->done = 1;
  }
  return 0; /* statuses a newer daemon adds are passed over */
}

int kpod_progress_finish(kpod_progress *p, const char *what, crio_err **err)
{
  redraw(p, 1);
  if (!p->done)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio ended the %s without reporting its result",
                        what);
  return 0;
}
