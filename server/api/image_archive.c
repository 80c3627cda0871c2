/* GET /v1/images/{name}/save and POST /v1/images/load. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <stdlib.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef struct save_job {
  engine *engine;
  char *name;
  char *format;
} save_job;

static void run_save(ndjson_stream *s, void *data)
{
  save_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  /* the status is sent already: a failure can only cut the tarball short,
   * which the client sees as a truncated archive */
  if (engine_image_save(j->engine, j->name, j->format, ndjson_stream_fd(s), &err) < 0)
    log_warn("%s", err->message);
  free(j->name);
  free(j->format);
  free(j);
}

void handle_image_save(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  const char *format = api_query(req, "format");
  if (!format)
    format = "docker-archive";
  if (engine_image_save_check(req->engine, api_param(req, "name"), format, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  save_job *j = xzalloc(sizeof *j);
  j->engine = req->engine;
  j->name = xstrdup(api_param(req, "name"));
  j->format = xstrdup(format);
  if (stream_start(reply, "application/x-tar", run_save, j, &err) < 0) {
    free(j->name);
    free(j->format);
    free(j);
    api_reply_error(reply, err);
  }
}

void handle_image_load(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_strv ids = {0}, names = {0};
  if (!req->body_path)
    crio_err_set(&err, CRIO_E_INVALID, "the request body must be the archive");
  if (err || engine_image_load(req->engine, req->body_path, &ids, &names, &err) < 0)
    api_reply_error(reply, err);
  else
    api_reply_json(reply, MHD_HTTP_OK,
                   json_pack("{s:o,s:o}", "ids", json_string_array(ids.items, ids.n), "names",
                             json_string_array(names.items, names.n)));
  engine_strv_clear(&ids);
  engine_strv_clear(&names);
}
