#include "container.h"

#include <errno.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "jsonutil.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

char *kpod_object_path(const char *kind, const char *id, const char *suffix)
{
  _cleanup_free_ char *escaped = kpod_url_escape(id);
  return xasprintf("/v1/%s/%s%s", kind, escaped, suffix ? suffix : "");
}

void kpod_batch_fail(kpod_batch *b, const crio_err *e)
{
  strbuf_printf(&b->errors, "Error: %s\n", e && e->message ? e->message : "unknown error");
  b->failures++;
  if (e && e->code == CRIO_E_NOT_FOUND)
    b->not_found = 1;
  else if (e && (e->code == CRIO_E_CONFLICT || e->code == CRIO_E_BUSY))
    b->conflict = 1;
}

int kpod_batch_finish(kpod_ctx *ctx, kpod_batch *b, int rm_codes)
{
  int status = 0;
  if (b->failures) {
    fflush(ctx->out);
    fputs(b->errors.data, ctx->errout);
    status = KPOD_EXIT_ERROR;
    if (rm_codes && b->not_found)
      status = KPOD_EXIT_NO_SUCH;
    else if (rm_codes && b->conflict)
      status = KPOD_EXIT_STATE;
  }
  strbuf_free(&b->errors);
  return status;
}

/* The ids of the objects of GET path, a JSON array of objects. */
static int list_ids(kpod_client *c, const char *path, json_t *ids, crio_err **err)
{
  _cleanup_json_ json_t *list = NULL;
  int r = kpod_client_request(c, "GET", path, NULL, &list, err);
  if (r < 0)
    return r;
  if (!json_is_array(list))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no array", path);
  size_t i;
  json_t *obj;
  json_array_foreach(list, i, obj)
    if (json_is_string(json_object_get(obj, "id")))
      json_array_append(ids, json_object_get(obj, "id"));
  return 0;
}

static int each_names(kpod_client *c, const kpod_args *args, const kpod_each_op *op,
                      json_t *names, crio_err **err)
{
  int all = kpod_args_bool(args, "all");
  const char *what = strcmp(op->kind, "pods") == 0 ? "pod" : "container";
  if (all && args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "--all and %ss cannot be used together", what);
  if (!all && !args->npositional)
    return crio_err_set(err, CRIO_E_INVALID, "you must provide at least one %s name or id", what);
  if (all)
    return list_ids(c, op->list_path, names, err);
  for (size_t i = 0; i < args->npositional; i++)
    json_array_append_new(names, json_string(args->positional[i]));
  return 0;
}

int kpod_each_run(kpod_ctx *ctx, const kpod_args *args, const kpod_each_op *op, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *names = json_array();
  r = each_names(c, args, op, names, err);
  if (r < 0)
    return r;
  /* as podman rm, --force also passes over what does not exist */
  int ignore = kpod_args_bool(args, "ignore") || (op->rm_codes && kpod_args_bool(args, "force"));
  kpod_batch b = { .errors = STRBUF_INIT };
  size_t i;
  json_t *name;
  json_array_foreach(names, i, name) {
    const char *n = json_string_value(name);
    _cleanup_free_ char *path = kpod_object_path(op->kind, n, op->suffix);
    _cleanup_json_ json_t *res = NULL;
    _cleanup_err_ crio_err *e = NULL;
    if (kpod_client_request(c, op->method, path, NULL, &res, &e) < 0) {
      if (e->code == CRIO_E_UNAVAILABLE) { /* no daemon: say it once */
        kpod_batch_finish(ctx, &b, op->rm_codes);
        return crio_err_set(err, e->code, "%s", e->message);
      }
      if (!(ignore && e->code == CRIO_E_NOT_FOUND))
        kpod_batch_fail(&b, e);
      continue;
    }
    const char *id = kpod_json_str(res, "id", n);
    fprintf(ctx->out, "%s\n", op->print_answer_id ? id : n);
  }
  return kpod_batch_finish(ctx, &b, op->rm_codes);
}

int kpod_log_line_render(strbuf *out, const json_t *line, int timestamps, int *to_stderr)
{
  json_t *log = json_object_get(line, "log");
  if (!json_is_string(log))
    return -1;
  *to_stderr = strcmp(kpod_json_str(line, "stream", "stdout"), "stderr") == 0;
  if (timestamps) {
    const char *time = kpod_json_str(line, "time", "");
    if (kpod_time_log_format(out, time) < 0)
      strbuf_puts(out, time);
    strbuf_putc(out, ' ');
  }
  strbuf_append(out, json_string_value(log), json_string_length(log));
  return 0;
}

typedef struct logs_state {
  kpod_ctx *ctx;
  int timestamps;
} logs_state;

static int logs_line(const char *text, size_t len, void *userdata, crio_err **err)
{
  logs_state *s = userdata;
  if (len == 0)
    return 0;
  _cleanup_json_ json_t *line = json_loadb(text, len, 0, NULL);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  int to_stderr = 0;
  if (!line || kpod_log_line_render(&b, line, s->timestamps, &to_stderr) < 0)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio sent a log line that is no LogLine: %.*s",
                        (int) (len > 200 ? 200 : len), text);
  FILE *f = to_stderr ? s->ctx->errout : s->ctx->out;
  if (to_stderr)
    fflush(s->ctx->out); /* keep the order of the two streams */
  if ((b.len && fwrite(b.data, 1, b.len, f) != b.len) || fflush(f) != 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the log");
  return 0;
}

int kpod_container_logs(kpod_ctx *ctx, const char *id, const char *query, int timestamps,
                        crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *suffix = xasprintf("/logs%s", query ? query : "");
  _cleanup_free_ char *path = kpod_object_path("containers", id, suffix);
  logs_state s = { ctx, timestamps };
  return kpod_client_stream(c, "GET", path, NULL, logs_line, &s, err);
}

int kpod_container_wait(kpod_ctx *ctx, const char *id, int *exit_code, crio_err **err)
{
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = kpod_object_path("containers", id, "/wait");
  _cleanup_json_ json_t *res = NULL;
  r = kpod_client_request(c, "POST", path, NULL, &res, err);
  if (r < 0)
    return r;
  json_t *code = json_object_get(res, "exit_code");
  if (!json_is_integer(code))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered POST %s with no exit_code", path);
  *exit_code = (int) json_integer_value(code);
  return 0;
}

int kpod_container_follow(kpod_ctx *ctx, const char *id, int rm, crio_err **err)
{
  _cleanup_err_ crio_err *log_err = NULL;
  int log_r = kpod_container_logs(ctx, id, "?follow=true", 0, &log_err);
  int code = 0;
  int r = kpod_container_wait(ctx, id, &code, err);
  if (r == 0 && rm) {
    kpod_client *c;
    _cleanup_free_ char *path = kpod_object_path("containers", id, NULL);
    _cleanup_json_ json_t *res = NULL;
    r = kpod_ctx_client(ctx, &c, err);
    if (r == 0)
      r = kpod_client_request(c, "DELETE", path, NULL, &res, err);
  }
  if (r < 0)
    return r;
  if (log_r < 0) /* the exit is known and the container gone; still a failure */
    return crio_err_set(err, log_err->code, "%s", log_err->message);
  return code < 0 || code > 255 ? KPOD_EXIT_ERROR : code;
}
