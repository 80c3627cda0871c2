/* /v1/containers/{id}/stats (once, or streamed every second) and
 * /v1/pods/{id}/stats. */
#include "server/api/handlers.h"
#include "server/api/json_read.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static json_t *stats_json(const engine_stats *s)
{
  json_t *nets = json_array();
  for (size_t i = 0; i < s->n_networks; i++) {
    const engine_net_stats *n = &s->networks[i];
    json_array_append_new(
        nets, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "name", n->name, "rx_bytes",
                        (json_int_t) n->rx_bytes, "rx_packets", (json_int_t) n->rx_packets,
                        "rx_errors", (json_int_t) n->rx_errors, "rx_dropped",
                        (json_int_t) n->rx_dropped, "tx_bytes", (json_int_t) n->tx_bytes,
                        "tx_packets", (json_int_t) n->tx_packets, "tx_errors",
                        (json_int_t) n->tx_errors, "tx_dropped", (json_int_t) n->tx_dropped));
  }
  return json_pack(
      "{s:s,s:s,s:o,s:{s:I,s:I,s:I,s:f},s:{s:I,s:I,s:I,s:I},s:{s:I,s:I},s:{s:I,s:I},s:o,s:i}",
      "id", s->id, "name", s->name, "timestamp", time_json(s->timestamp_ns), "cpu", "usage_ns",
      (json_int_t) s->cpu_usage_ns, "user_ns", (json_int_t) s->cpu_user_ns, "system_ns",
      (json_int_t) s->cpu_system_ns, "rate", s->cpu_rate, "memory", "usage",
      (json_int_t) s->memory_usage, "working_set", (json_int_t) s->memory_working_set, "rss",
      (json_int_t) s->memory_rss, "limit", (json_int_t) s->memory_limit, "pids", "current",
      (json_int_t) s->pids_current, "limit", (json_int_t) s->pids_limit, "block_io",
      "read_bytes", (json_int_t) s->blkio_read_bytes, "write_bytes",
      (json_int_t) s->blkio_write_bytes, "networks", nets, "cgroup_version", s->cgroup_version);
}

typedef struct stats_job {
  engine *engine;
  char *id;
} stats_job;

static void run_stats(ndjson_stream *s, void *data)
{
  stats_job *j = data;
  /* until the container stops or the client leaves (the write fails) */
  for (;;) {
    _cleanup_err_ crio_err *err = NULL;
    engine_stats st;
    if (engine_container_stats(j->engine, j->id, &st, &err) < 0)
      break;
    bool ok = ndjson_write_checked(s, stats_json(&st));
    engine_stats_clear(&st);
    if (!ok)
      break;
    sleep(1);
  }
  free(j->id);
  free(j);
}

void handle_container_stats(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  bool stream = false;
  engine_stats st;
  if (api_query_bool(req, "stream", &stream, &err) < 0 ||
      engine_container_stats(req->engine, api_param(req, "id"), &st, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  if (!stream) {
    api_reply_json(reply, MHD_HTTP_OK, stats_json(&st));
    engine_stats_clear(&st);
    return;
  }
  stats_job *j = xzalloc(sizeof *j);
  j->engine = req->engine;
  j->id = xstrdup(st.id);
  engine_stats_clear(&st);
  if (ndjson_stream_start(reply, run_stats, j, &err) < 0) {
    free(j->id);
    free(j);
    api_reply_error(reply, err);
  }
}

void handle_pod_stats(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_stats st;
  if (engine_pod_stats(req->engine, api_param(req, "id"), &st, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, stats_json(&st));
  engine_stats_clear(&st);
}
