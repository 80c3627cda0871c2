/* Pull, step two: each missing layer downloaded and extracted at once — the
 * blob streams through sha256 (the registry client) into a pipe that the
 * extractor reads, so nothing waits for a whole download. */
#include "server/engine/pull_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/layer_extract.h"
#include "server/image/layer_store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define PROGRESS_STEP (1 << 20)

typedef struct layer_job {
  pull_ctx *p;
  pull_layer *layer;
  int pipe_w;
  int blob_fd;
  int64_t received;
  int64_t reported;
  crio_err *err;
  /* the extractor's side */
  int pipe_r;
  layer_stats stats;
  crio_err *extract_err;
} layer_job;

static int write_all(int fd, const void *buf, size_t n)
{
  const char *b = buf;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    b += w;
    n -= (size_t) w;
  }
  return 0;
}

static int blob_sink(const void *buf, size_t n, void *ud)
{
  layer_job *j = ud;
  if (write_all(j->blob_fd, buf, n) < 0 || write_all(j->pipe_w, buf, n) < 0)
    return -CRIO_E_IO;  /* the extractor stopped (its error says why) or the disk failed */
  j->received += (int64_t) n;
  if (j->received - j->reported >= PROGRESS_STEP) {
    j->reported = j->received;
    engine_progress ev = { .status = "downloading", .layer = j->layer->blob->digest,
                           .current = j->received, .total = j->layer->blob->size };
    pull_progress(j->p, &ev);
  }
  return 0;
}

static void *extract_thread(void *arg)
{
  layer_job *j = arg;
  _cleanup_free_ char *diff = path_join(j->layer->staging, "diff");
  layer_extract_fd(j->pipe_r, diff, &j->stats, &j->extract_err);
  close(j->pipe_r);
  return NULL;
}

static int fetch_into_staging(layer_job *j, crio_err **err)
{
  pull_layer *l = j->layer;
  _cleanup_free_ char *blob = path_join(l->staging, "blob");
  _cleanup_close_ int blob_fd = open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  int fds[2];
  if (blob_fd < 0 || pipe2(fds, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "prepare download of %s", l->blob->digest);
  j->blob_fd = blob_fd;
  j->pipe_r = fds[0];
  j->pipe_w = fds[1];
  pthread_t t;
  if (pthread_create(&t, NULL, extract_thread, j) != 0) {
    close(fds[0]);
    close(fds[1]);
    return crio_err_set(err, CRIO_E_INTERNAL, "start extraction of %s", l->blob->digest);
  }
  int r = registry_get_blob(j->p->rc, j->p->repo_path, l->blob->digest, blob_sink, j, NULL, err);
  close(j->pipe_w);  /* EOF for the extractor */
  pthread_join(t, NULL);
  if (j->extract_err) {
    crio_err_free(*err);
    *err = steal_pointer(&j->extract_err);
    return crio_err_wrap(err, "extract layer %s", l->blob->digest);
  }
  if (r < 0)
    return r;
  if (fsync(blob_fd) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "sync %s", blob);
  if (!j->stats.diff_id || strcmp(j->stats.diff_id, l->diff_id) != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "layer %s: its content has diff ID %s but the image config says %s",
                        l->blob->digest, j->stats.diff_id ? j->stats.diff_id : "none", l->diff_id);
  l->size = (int64_t) j->stats.bytes;
  return 0;
}

static void *layer_thread(void *arg)
{
  layer_job *j = arg;
  if (layer_staging_new(j->p->e->overlay_root, &j->layer->staging, &j->err) < 0)
    return NULL;
  if (fetch_into_staging(j, &j->err) == 0) {
    engine_progress ev = { .status = "extracted", .layer = j->layer->blob->digest,
                           .current = j->received, .total = j->layer->blob->size };
    pull_progress(j->p, &ev);
  }
  return NULL;
}

int pull_fetch_layers(pull_ctx *p, crio_err **err)
{
  layer_job *jobs = xzalloc((p->n_layers + 1) * sizeof *jobs);
  pthread_t *threads = xzalloc((p->n_layers + 1) * sizeof *threads);
  bool *started = xzalloc((p->n_layers + 1) * sizeof *started);
  for (size_t i = 0; i < p->n_layers; i++) {
    if (p->layers[i].present)
      continue;
    jobs[i] = (layer_job) { .p = p, .layer = &p->layers[i], .pipe_r = -1, .pipe_w = -1 };
    started[i] = pthread_create(&threads[i], NULL, layer_thread, &jobs[i]) == 0;
    if (!started[i])
      crio_err_set(&jobs[i].err, CRIO_E_INTERNAL, "start download of %s", p->layers[i].blob->digest);
  }
  int r = 0;
  for (size_t i = 0; i < p->n_layers; i++) {
    if (started[i])
      pthread_join(threads[i], NULL);
    if (jobs[i].err && r == 0) {
      *err = steal_pointer(&jobs[i].err);
      r = -(int) (*err)->code;
    }
    crio_err_free(jobs[i].err);
    crio_err_free(jobs[i].extract_err);
    layer_stats_clear(&jobs[i].stats);
  }
  free(jobs);
  free(threads);
  free(started);
  return r;
}

void pull_discard_staging(pull_ctx *p)
{
  for (size_t i = 0; i < p->n_layers; i++) {
    if (p->layers[i].staging)
      rm_rf_at(p->layers[i].staging, NULL);
    free(p->layers[i].staging);
    p->layers[i].staging = NULL;
  }
}
