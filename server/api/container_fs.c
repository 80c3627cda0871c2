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

static const char *const exec_fields[] = {"command", "timeout", "env", "user", "workdir"};

/* The exec body's fields: command (required), timeout, env, user, workdir. */
static int exec_body(json_t *body, char ***argv, engine_exec_opts *o, int *timeout, crio_err **err)
{
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v)
  {
    bool known = false;
    for (size_t i = 0; i < sizeof exec_fields / sizeof exec_fields[0]; i++)
      known = known || strcmp(k, exec_fields[i]) == 0;
    if (!known)
      return crio_err_set(err, CRIO_E_INVALID, "%s: unknown field", k);
  }
  json_t *cmd = json_object_get(body, "command"), *t = json_object_get(body, "timeout");
  json_t *env = json_object_get(body, "env"), *user = json_object_get(body, "user");
  json_t *wd = json_object_get(body, "workdir");
  if (!json_is_array(cmd) || json_array_size(cmd) == 0)
    return crio_err_set(err, CRIO_E_INVALID, "command: expected a non-empty array of strings");
  if (t && (!json_is_integer(t) || json_integer_value(t) < 0))
    return crio_err_set(err, CRIO_E_INVALID, "timeout: expected seconds (an integer >= 0)");
  if ((env && !json_is_array(env)) || (user && !json_is_string(user)) ||
      (wd && !json_is_string(wd)))
    return crio_err_set(err, CRIO_E_INVALID,
                        "env: expected an array of strings; user, workdir: strings");
  *timeout = (int)json_integer_value(t);
  *argv = xzalloc((json_array_size(cmd) + 1) * sizeof **argv);
  for (size_t i = 0; i < json_array_size(cmd); i++)
    if (!((*argv)[i] = (char *)json_string_value(json_array_get(cmd, i))))
      return crio_err_set(err, CRIO_E_INVALID, "command: expected strings");
  o->n_env = json_array_size(env);
  char **e = xzalloc((o->n_env + 1) * sizeof *e);
  o->env = e;
  for (size_t i = 0; i < o->n_env; i++)
    if (!(e[i] = (char *)json_string_value(json_array_get(env, i))))
      return crio_err_set(err, CRIO_E_INVALID, "env: expected strings");
  o->user = json_string_value(user);
  o->workdir = json_string_value(wd);
  return engine_exec_opts_check(o, err);
}

void handle_container_exec(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  _cleanup_free_ char **argv = NULL;
  engine_exec_opts o = {0};
  int timeout = 0;
  engine_exec_result res;
  int rc = api_body_json(req, &body, &err);
  if (rc == 0)
    rc = exec_body(body, &argv, &o, &timeout, &err);
  if (rc == 0)
    rc = engine_exec_sync(req->engine, api_param(req, "id"), argv, &o, timeout, &res, &err);
  free((void *)o.env);
  if (rc < 0) {
    api_reply_error(reply, err);
    return;
  }
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
    json_array_append_new(
        a, json_pack("{s:s#,s:s}", "kind", &changes[i].kind, (size_t)1, "path", changes[i].path));
  engine_changes_free(changes, n);
  api_reply_json(reply, MHD_HTTP_OK, a);
}

typedef struct tar_job {
  engine *engine;
  char *id;
  char *path; /* copy out: the path; NULL: export */
} tar_job;

static void run_tar(ndjson_stream *s, void *data)
{
  tar_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  int fd = ndjson_stream_fd(s);
  int r = j->path ? engine_container_copy_out(j->engine, j->id, j->path, fd, &err)
                  : engine_container_export(j->engine, j->id, fd, &err);
  if (r < 0)
    log_warn("%s", err->message); /* the client sees a cut tarball */
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
