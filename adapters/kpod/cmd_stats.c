#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "format.h"
#include "jsonutil.h"
#include "report.h"
#include "stats_view.h"
#include "template.h"
#include "util/cleanup.h"

/* podman's goterm: clear the screen, cursor home */
#define STATS_CLEAR "\033[2J\033[1;1H"

typedef struct stats_state {
  kpod_ctx *ctx;
  kpod_client *c;
  const kpod_args *args;
  const char *format;
  int all, no_trunc;
  int64_t memory_total;
  json_t *samples; /* id -> {"prev": Stats, "avg": mean CPU %, "n": samples} */
} stats_state;

/* The host's memory, an unlimited container's limit; 0 when unknown. */
static int64_t stats_memory_total(kpod_client *c)
{
  _cleanup_json_ json_t *info = NULL;
  _cleanup_err_ crio_err *ignored = NULL;
  if (kpod_client_request(c, "GET", "/v1/info", NULL, &info, &ignored) < 0)
    return 0;
  json_t *total = json_object_get(json_object_get(info, "host"), "memory_total");
  return json_is_integer(total) ? (int64_t) json_integer_value(total) : 0;
}

/* The containers of this round: the names given ({"name"} each), else the
 * running ones, or all of them with --all (Container objects). */
static int stats_targets(stats_state *st, json_t **out, crio_err **err)
{
  const kpod_args *args = st->args;
  if (args->npositional) {
    *out = json_array();
    for (size_t i = 0; i < args->npositional; i++)
      json_array_append_new(*out, json_pack("{s:s}", "name", args->positional[i]));
    return 0;
  }
  const char *path = st->all ? "/v1/containers?all=true" : "/v1/containers";
  int r = kpod_client_request(st->c, "GET", path, NULL, out, err);
  if (r == 0 && !json_is_array(*out))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  return r;
}

/* The row of a new sample; the sample becomes the container's previous one. */
static json_t *stats_sample_row(stats_state *st, json_t *stats)
{
  const char *id = kpod_json_str(stats, "id", "");
  json_t *seen = json_object_get(st->samples, id);
  json_t *prev = json_object_get(seen, "prev");
  double cpu = kpod_stats_cpu_percent(stats, prev);
  double avg = json_number_value(json_object_get(seen, "avg"));
  json_int_t n = json_integer_value(json_object_get(seen, "n"));
  avg = (avg * (double) n + cpu) / (double) (n + 1);
  kpod_stats_view view = { .prev = prev, .memory_total = st->memory_total, .avg_cpu = avg,
                           .no_trunc = st->no_trunc };
  json_t *row = kpod_stats_row(stats, &view);
  json_object_set_new(st->samples, id,
                      json_pack("{s:O, s:f, s:I}", "prev", stats, "avg", avg, "n", n + 1));
  return row;
}

static int stats_is_live(const json_t *target)
{
  const char *state = kpod_json_str(target, "state", NULL);
  return !state || strcmp(state, "running") == 0;
}

/* One sample of every target, as rows. A listed container that stopped or
 * went away since the list is left out (or shown idle with --all); a named
 * one that cannot be measured is an error, as with podman. */
static int stats_round(stats_state *st, json_t *rows, crio_err **err)
{
  _cleanup_json_ json_t *targets = NULL;
  int r = stats_targets(st, &targets, err);
  if (r < 0)
    return r;
  size_t i;
  json_t *t;
  json_array_foreach(targets, i, t) {
    const char *ref = kpod_json_str(t, "id", kpod_json_str(t, "name", ""));
    const char *name = kpod_json_str(t, "name", "");
    if (!stats_is_live(t)) {
      json_array_append_new(rows, kpod_stats_row_idle(ref, name, st->no_trunc));
      continue;
    }
    _cleanup_free_ char *path = kpod_object_path("containers", ref, "/stats");
    _cleanup_json_ json_t *stats = NULL;
    _cleanup_err_ crio_err *e = NULL;
    if (kpod_client_request(st->c, "GET", path, NULL, &stats, &e) < 0) {
      int listed = json_object_get(t, "id") != NULL;
      if (listed && (e->code == CRIO_E_NOT_FOUND || e->code == CRIO_E_CONFLICT)) {
        if (st->all && e->code == CRIO_E_CONFLICT)
          json_array_append_new(rows, kpod_stats_row_idle(ref, name, st->no_trunc));
        continue;
      }
      return crio_err_set(err, e->code, "%s", e->message);
    }
    if (!json_is_object(stats))
      return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no Stats", path);
    json_array_append_new(rows, stats_sample_row(st, stats));
  }
  return 0;
}

static int stats_render(stats_state *st, json_t *rows, strbuf *out, crio_err **err)
{
  if (st->format && strcmp(st->format, "json") == 0) {
    _cleanup_json_ json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
      json_array_append_new(list, kpod_stats_row_json(row));
    kpod_json_pretty(out, list);
    return 0;
  }
  return kpod_report_render(out, st->format, KPOD_STATS_FORMAT, kpod_stats_columns, rows, 0, err);
}

static int stats_print(stats_state *st, json_t *rows, int clear, crio_err **err)
{
  _cleanup_strbuf_ strbuf out = STRBUF_INIT;
  if (clear)
    strbuf_puts(&out, STATS_CLEAR);
  int r = stats_render(st, rows, &out, err);
  if (r < 0)
    return r;
  if ((out.len && fwrite(out.data, 1, out.len, st->ctx->out) != out.len) ||
      fflush(st->ctx->out) != 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}

static int stats_check(const kpod_args *args, crio_err **err)
{
  if (kpod_args_bool(args, "all") && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "--all and containers cannot be used together");
  const char *format = kpod_args_string(args, "format");
  if (!format || strcmp(format, "json") == 0)
    return 0;
  int headers;
  _cleanup_free_ char *text = kpod_report_template(format, KPOD_STATS_FORMAT, &headers);
  return kpod_template_check(text, err);
}

/* --no-stream: two samples a second apart, so CPU % is the use of that
 * second; else a frame every interval until interrupted, on a terminal
 * redrawn in place. */
static int stats_loop(stats_state *st, long long interval, crio_err **err)
{
  int no_stream = kpod_args_bool(st->args, "no-stream");
  int clear = !no_stream && !kpod_args_bool(st->args, "no-reset") && isatty(fileno(st->ctx->out));
  for (int round = 0;; round++) {
    _cleanup_json_ json_t *rows = json_array();
    int r = stats_round(st, rows, err);
    if (r < 0)
      return r;
    if (!no_stream || round == 1) {
      r = stats_print(st, rows, clear, err);
      if (r < 0 || no_stream)
        return r;
    }
    struct timespec ts = { .tv_sec = no_stream ? 1 : (time_t) interval };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
      ;
  }
}

static int stats_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  int r = stats_check(args, err);
  long long interval = 1;
  if (r == 0)
    r = kpod_args_int(args, "interval", 1, 86400, &interval, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *samples = json_object();
  stats_state st = { .ctx = ctx, .args = args, .format = kpod_args_string(args, "format"),
                     .all = kpod_args_bool(args, "all"),
                     .no_trunc = kpod_args_bool(args, "no-trunc"), .samples = samples };
  r = kpod_ctx_client(ctx, &st.c, err);
  if (r < 0)
    return r;
  st.memory_total = stats_memory_total(st.c);
  return stats_loop(&st, interval, err);
}

static const kpod_flag stats_flags[] = {
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "Show all containers. Only running containers are shown by "
    "default" },
  { "format", 0, KPOD_FLAG_STRING, "string",
    "Pretty-print container statistics to JSON or using a Go template" },
  { "interval", 'i', KPOD_FLAG_STRING, "int", "Time in seconds between stats reports (default 1)" },
  { "no-reset", 0, KPOD_FLAG_BOOL, NULL,
    "Disable resetting the screen between intervals" },
  { "no-stream", 0, KPOD_FLAG_BOOL, NULL,
    "Disable streaming stats and only pull the first result, default setting is false" },
  { "no-trunc", 0, KPOD_FLAG_BOOL, NULL, "Do not truncate output" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_stats = {
  .name = "stats",
  .summary = "Display a live stream of container resource usage statistics",
  .usage = "[options] [CONTAINER...]",
  .description = "Shows the CPU, memory, network, block IO and process use of containers\n"
                 "(GET /v1/containers/{id}/stats): of those named, else of every running one\n"
                 "(every one with --all). The table is redrawn every interval until kpod is\n"
                 "interrupted; with --no-stream it is printed once, after two samples a second\n"
                 "apart.",
  .examples = "kpod stats\n"
              "kpod stats --no-stream mywebserver 860a4b23\n"
              "kpod stats --no-stream --format \"table {{.ID}} {{.Name}} {{.MemUsage}}\"\n"
              "kpod stats --no-stream --format json",
  .flags = stats_flags,
  .min_args = 0,
  .max_args = -1,
  .run = stats_run,
};
