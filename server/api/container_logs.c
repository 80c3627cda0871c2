/* GET /v1/containers/{id}/logs: NDJSON LogLine objects, streamed. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* since: RFC 3339 ("2024-01-02T03:04:05Z"), Unix seconds, or a duration
 * ago ("10s", "5m", "2h"). */
static int parse_since(const char *v, int64_t *out, crio_err **err)
{
  char *end = NULL;
  double n = strtod(v, &end);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
  if (end != v && n >= 0 && (!strcmp(end, "s") || !strcmp(end, "m") || !strcmp(end, "h"))) {
    double mult = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
    *out = now_ns - (int64_t) (n * mult * 1e9);
    return 0;
  }
  if (end != v && !*end && n >= 0) {
    *out = n >= 9.2e9 ? INT64_MAX : (int64_t) (n * 1e9);
    return 0;
  }
  struct tm tm = { 0 };
  const char *p = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p && (*p == 'Z' || *p == '.' || *p == '+' || *p == '\0')) {
    time_t t = timegm(&tm);
    *out = t > INT64_MAX / 1000000000LL ? INT64_MAX : (int64_t) t * 1000000000LL;
    return 0;
  }
  return crio_err_set(err, CRIO_E_INVALID,
                      "since=%s: want an RFC 3339 time, Unix seconds, or a duration like 10m", v);
}

typedef struct logs_job {
  engine *engine;
  char *id;
  engine_log_opts opts;
} logs_job;

static int on_line(const engine_log_line *l, void *data)
{
  json_t *o = json_pack("{s:s,s:s,s:s%}", "time", l->time, "stream", l->stream, "log", l->text,
                        l->len);
  ndjson_write(data, o);
  return 0;
}

static void run_logs(ndjson_stream *s, void *data)
{
  logs_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  engine_container_logs(j->engine, j->id, &j->opts, on_line, s, &err);
  free(j->id);
  free(j);
}

void handle_container_logs(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_log_opts o = { .tail = -1 };
  const char *since = api_query(req, "since");
  engine_container c;
  if (api_query_bool(req, "follow", &o.follow, &err) < 0 ||
      api_query_int(req, "tail", -1, &o.tail, &err) < 0 ||
      (since && parse_since(since, &o.since_ns, &err) < 0) ||
      engine_container_get(req->engine, api_param(req, "id"), &c, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  logs_job *j = xzalloc(sizeof *j);
  j->engine = req->engine;
  j->id = xstrdup(c.id);
  j->opts = o;
  engine_container_clear(&c);
  if (ndjson_stream_start(reply, run_logs, j, &err) < 0) {
    free(j->id);
    free(j);
    api_reply_error(reply, err);
  }
}
