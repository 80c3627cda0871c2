/* /v1/containers: create, list, inspect, lifecycle, remove, rename. */
#include "server/api/handlers.h"
#include "server/api/json_read.h"
#include "server/api/json_util.h"

#include <stdlib.h>

#include "util/cleanup.h"

static void reply_container(api_request *req, api_reply *reply, const char *ref, unsigned status)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_container c;
  if (engine_container_get(req->engine, ref, &c, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, status, container_json(&c));
  engine_container_clear(&c);
}

void handle_container_list(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  bool all = false, size = false;
  char **filters = NULL;
  size_t n = api_query_all(req, "filter", &filters);
  engine_filter f = { filters, n };
  engine_containers list = { 0 };
  int r = api_query_bool(req, "all", &all, &err);
  if (r == 0)
    r = api_query_bool(req, "size", &size, &err);
  if (r == 0)
    r = engine_container_list(req->engine, all, size, &f, &list, &err);
  api_filters_clear(filters, n);
  if (r < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < list.n; i++)
    json_array_append_new(a, container_json(&list.items[i]));
  engine_containers_clear(&list);
  api_reply_json(reply, MHD_HTTP_OK, a);
}

void handle_container_create(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  engine_container_spec spec = { 0 };
  engine_container c;
  if (api_body_json(req, &body, &err) < 0 || read_container_spec(body, &spec, &err) < 0 ||
      engine_container_create(req->engine, &spec, &c, &err) < 0) {
    engine_container_spec_clear(&spec);
    api_reply_error(reply, err);
    return;
  }
  engine_container_spec_clear(&spec);
  api_reply_json(reply, MHD_HTTP_CREATED, container_json(&c));
  engine_container_clear(&c);
}

void handle_container_inspect(api_request *req, api_reply *reply)
{
  reply_container(req, reply, api_param(req, "id"), MHD_HTTP_OK);
}

/* The lifecycle calls answer with the container as it is afterwards. */
#define LIFECYCLE_HANDLER(name, call)                                 \
  void handle_container_##name(api_request *req, api_reply *reply)    \
  {                                                                   \
    _cleanup_err_ crio_err *err = NULL;                               \
    const char *id = api_param(req, "id");                            \
    if ((call) < 0) {                                                 \
      api_reply_error(reply, err);                                    \
      return;                                                         \
    }                                                                 \
    reply_container(req, reply, id, MHD_HTTP_OK);                     \
  }

LIFECYCLE_HANDLER(start, engine_container_start(req->engine, id, &err))
LIFECYCLE_HANDLER(pause, engine_container_pause(req->engine, id, &err))
LIFECYCLE_HANDLER(unpause, engine_container_unpause(req->engine, id, &err))
LIFECYCLE_HANDLER(kill, engine_container_kill(req->engine, id, api_query(req, "signal"), &err))

void handle_container_stop(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  int64_t timeout = 10;
  if (api_query_int(req, "timeout", 0, &timeout, &err) < 0 ||
      engine_container_stop(req->engine, api_param(req, "id"), (int) timeout, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  reply_container(req, reply, api_param(req, "id"), MHD_HTTP_OK);
}

void handle_container_rename(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  const char *name = api_query(req, "name");
  if (engine_container_rename(req->engine, api_param(req, "id"), name, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  reply_container(req, reply, name, MHD_HTTP_OK);
}

void handle_container_remove(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *id = NULL;
  bool force = false;
  if (api_query_bool(req, "force", &force, &err) < 0 ||
      engine_container_remove(req->engine, api_param(req, "id"), force, &id, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s}", "id", id));
}

void handle_container_wait(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  int code = 0;
  bool oom = false;
  if (engine_container_wait(req->engine, api_param(req, "id"), &code, &oom, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:i,s:b}", "exit_code", code, "oom_killed", oom));
}
