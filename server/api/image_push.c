/* POST /v1/images/{name}/push: the push runs in its own thread; progress streams. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct push_job {
  engine *engine;
  engine_push_opts opts;
  char *strings[5];
} push_job;

static void push_job_free(push_job *j)
{
  for (size_t i = 0; i < ARRAY_SIZE(j->strings); i++)
    free(j->strings[i]);
  free(j);
}

static void on_progress(const engine_progress *p, void *data)
{
  json_t *o = json_pack("{s:s}", "status", p->status);
  if (p->layer) {
    json_object_set_new(o, "layer", json_string(p->layer));
    json_object_set_new(o, "current", json_integer(p->current));
    json_object_set_new(o, "total", json_integer(p->total));
  }
  ndjson_write(data, o);
}

static void run_push(ndjson_stream *s, void *data)
{
  push_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *digest = NULL;
  if (engine_image_push(j->engine, &j->opts, on_progress, s, &digest, &err) < 0)
    ndjson_write_error(s, err);
  else
    ndjson_write(s, json_pack("{s:s,s:s}", "status", "done", "digest", digest));
  push_job_free(j);
}

static int parse_chunk_size(const char *v, size_t *out, crio_err **err)
{
  char *end = NULL;
  unsigned long long n = v ? strtoull(v, &end, 10) : 0;
  if (v && (!*v || *end || v[0] == '-'))
    return crio_err_set(err, CRIO_E_INVALID, "query parameter chunk_size=%s: want bytes", v);
  *out = (size_t) n;
  return 0;
}

void handle_image_push(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  bool tls_verify = true;
  size_t chunk = 0;
  push_job *j = xzalloc(sizeof *j);
  engine_image img;
  if (api_query_bool(req, "tls_verify", &tls_verify, &err) < 0 ||
      parse_chunk_size(api_query(req, "chunk_size"), &chunk, &err) < 0 ||
      api_read_creds(req, &j->strings[2], &j->strings[3], &j->strings[4], &err) < 0 ||
      engine_image_get(req->engine, api_param(req, "name"), &img, &err) < 0) {
    push_job_free(j);
    api_reply_error(reply, err);
    return;
  }
  engine_image_clear(&img);
  j->engine = req->engine;
  j->strings[0] = xstrdup(api_param(req, "name"));
  j->strings[1] = xstrdup(api_query(req, "destination"));
  j->opts = (engine_push_opts) { .name = j->strings[0], .destination = j->strings[1],
                                 .tls_verify = api_query(req, "tls_verify") ? tls_verify : -1,
                                 .chunk_size = chunk,
                                 .creds = { j->strings[2], j->strings[3], j->strings[4] } };
  if (ndjson_stream_start(reply, run_push, j, &err) < 0) {
    push_job_free(j);
    api_reply_error(reply, err);
  }
}
