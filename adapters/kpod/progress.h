/* The progress of a pull or a push, read from the API's NDJSON PullEvent
 * stream and shown as podman shows it: on a terminal, one bar per layer
 * updated in place ("Copying blob 1a2b3c4d5e6f [=====>-----] 10.0MiB /
 * 20.0MiB"); elsewhere, one plain line per finished layer ("Copying blob
 * sha256:... done"). Messages ("Trying to pull ...", "Writing manifest to
 * image destination") print above the bars. */
#ifndef KPOD_PROGRESS_H
#define KPOD_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"
#include "util/strbuf.h"

typedef enum {
  KPOD_LAYER_ACTIVE,   /* downloading or pushing */
  KPOD_LAYER_DONE,     /* extracted or pushed */
  KPOD_LAYER_EXISTS,   /* already there: skipped */
} kpod_layer_state;

typedef struct kpod_layer {
  char *digest;        /* sha256:... */
  int64_t current;
  int64_t total;       /* 0 when unknown */
  kpod_layer_state state;
} kpod_layer;

typedef struct kpod_progress {
  FILE *f;             /* stderr */
  int tty;             /* bars in place, else plain lines */
  int quiet;           /* nothing at all */
  int pull;            /* pull (say "Trying to pull"), else push */
  int columns;         /* the terminal's width */
  kpod_layer *layers;  /* in the order they first appeared */
  size_t nlayers;
  size_t drawn;        /* bar lines on the screen below the cursor's line */
  int64_t last_draw_ns;
  int said_signatures;
  char *id;            /* from the final "done" event */
  char *digest;
  int done;
} kpod_progress;

void kpod_progress_init(kpod_progress *p, FILE *f, int tty, int quiet, int pull);
void kpod_progress_release(kpod_progress *p);
#define _cleanup_kpod_progress_ __attribute__((cleanup(kpod_progress_release)))

/* A kpod_line_fn for kpod_client_stream, userdata a kpod_progress: one
 * PullEvent. An "error" event fails with its message; a line that is not a
 * JSON object fails too. */
int kpod_progress_event(const char *line, size_t len, void *userdata, crio_err **err);

/* After the stream: the final bars, and an error when no "done" came. */
int kpod_progress_finish(kpod_progress *p, const char *what, crio_err **err);

/* The line of one layer. On a terminal: the short ID and a bar sized to fit
 * columns ("Copying blob 1a2b3c4d5e6f [====>-----] 1.0MiB / 2.0MiB", "...
 * done", "... skipped: already exists"); elsewhere the full digest and only
 * the finished states. */
void kpod_progress_render(strbuf *out, const kpod_layer *layer, int tty, int columns);

#endif
