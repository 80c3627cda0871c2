/* /v1/containers/{id}: exec (collected), mount, unmount, changes, export,
 * archive. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

void handle_container_exec(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  if (api_body_json(req, &body, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *cmd = json_object_get(body, "command");
  json_t *timeout = json_object_get(body, "timeout");
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v)
    if (strcmp(k, "command") && strcmp(k, "timeout"))
      crio_err_set(&err, CRIO_E_INVALID, "%s: unknown field", k);
  if (!err && (!json_is_array(cmd) || json_array_size(cmd) == 0))
    crio_err_set(&err, CRIO_E_INVALID, "command: expected a non-empty array of strings");
  if (!err && timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 0))
    crio_err_set(&err, CRIO_E_INVALID, "timeout: expected seconds (an integer >= 0)");
  size_t n = json_array_size(cmd);
  char **argv = xzalloc((n + 1) * sizeof *argv);
  for (size_t i = 0; !err && i < n; i++)
    if (!(argv[i] = (char *) json_string_value(json_array_get(cmd, i))))
      crio_err_set(&err, CRIO_E_INVALID, "command: expected strings");
  engine_exec_result res;
  if (err || engine_exec_sync(req->engine, api_param(req, "id"), argv,
                              (int) json_integer_value(timeout), &res, &err) < 0) {
    free(argv);
    api_reply_error(reply, err);
    return;
  }
  free(argv);
  api_reply_json(reply, MHD_HTTP_OK,
                 json_pack("{s:i,s:s%,s:s%,s:b}", "exit_code", res.exit_code, "stdout",
                           res.out ? res.out : "", res.out_len, "stderr", res.err ? res.err : "",
                           res.err_len, "timed_out", res.timed_out));
  engine_exec_result_clear(&res);
}

void handle_container_mount(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *path = NULL, *id = NULL;
  if (engine_container_mount(req->engine, api_param(req, "id"), &path, &id, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s,s:s}", "id", id, "path", path));
}

void handle_container_unmount(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *id = NULL;
  if (engine_container_unmount(req->engine, api_param(req, "id"), &id, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s}", "id", id));
}

void handle_container_changes(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_change *changes = NULL;
  size_t n = 0;
  if (engine_container_changes(req->engine, api_param(req, "id"), &changes, &n, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:s#,s:s}", "kind", &changes[i].kind, (size_t) 1,
                                       "path", changes[i].path));
  engine_changes_free(changes, n);
  api_reply_json(reply, MHD_HTTP_OK, a);
}

typedef struct tar_job {
  engine *engine;
  char *id;
  char *path;   /* copy out: the path; NULL: export */
} tar_job;

static void run_tar(ndjson_stream *s, void *data)
{
  tar_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  int fd = ndjson_stream_fd(s);
  int r = j->path ? engine_container_copy_out(j->engine, j->id, j->path, fd, &err)
                  : engine_container_export(j->engine, j->id, fd, &err);
  if (r < 0)
    log_warn("%s", err->message);  /* the client sees a cut tarball */
  free(j->id);
  free(j->path);
  free(j);
}

static void start_tar(api_request *req, api_reply *reply, const char *path)
{
  _cleanup_err_ crio_err *err = NULL;
  if (engine_container_fs_check(req->engine, api_param(req, "id"), &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  tar_job *j = xzalloc(sizeof *j);
  j->engine = req->engine;
  j->id = xstrdup(api_param(req, "id"));
  j->path = xstrdup(path);
  if (stream_start(reply, "application/x-tar", run_tar, j, &err) < 0) {
    free(j->id);
    free(j->path);
    free(j);
    api_reply_error(reply, err);
  }
}

void handle_container_export(api_request *req, api_reply *reply)
{
  start_tar(req, reply, NULL);
}

void handle_container_copy_out(api_request *req, api_reply *reply)
{
  const char *path = api_query(req, "path");
  if (!path || !path[0]) {
    api_reply_errorf(reply, CRIO_E_INVALID, "query parameter path is required");
    return;
  }
  _cleanup_err_ crio_err *err = NULL;
  /* a missing path is an error before the stream starts */
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (engine_container_copy_out(req->engine, api_param(req, "id"), path, devnull, &err) < 0) {
    close(devnull);
    api_reply_error(reply, err);
    return;
  }
  close(devnull);
  start_tar(req, reply, path);
}

void handle_container_copy_in(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  const char *path = api_query(req, "path");
  _cleanup_close_ int fd = req->body_path ? open(req->body_path, O_RDONLY | O_CLOEXEC) : -1;
  if (!path || !path[0])
    crio_err_set(&err, CRIO_E_INVALID, "query parameter path is required");
  else if (fd < 0)
    crio_err_set(&err, CRIO_E_INVALID, "the request body must be a tar stream");
  if (err || engine_container_copy_in(req->engine, api_param(req, "id"), path, fd, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  engine_container c;
  if (engine_container_get(req->engine, api_param(req, "id"), &c, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s}", "id", c.id));
  engine_container_clear(&c);
}
