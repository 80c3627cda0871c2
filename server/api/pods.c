/* /v1/pods. */
#include "server/api/handlers.h"
#include "server/api/json_read.h"
#include "server/api/json_util.h"

#include <stdlib.h>

#include "util/cleanup.h"

int api_query_int(const api_request *req, const char *name, int64_t min, int64_t *out,
                  crio_err **err)
{
  const char *v = api_query(req, name);
  if (!v)
    return 0;
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || n < min)
    return crio_err_set(err, CRIO_E_INVALID, "query parameter %s=%s: want an integer >= %lld",
                        name, v, (long long) min);
  *out = n;
  return 0;
}

void api_filters_clear(char **filters, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(filters[i]);
  free(filters);
}

static void reply_pod(api_request *req, api_reply *reply, const char *ref, unsigned status)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_pod p;
  if (engine_pod_get(req->engine, ref, &p, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, status, pod_json(&p));
  engine_pod_clear(&p);
}

void handle_pod_list(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  char **filters = NULL;
  size_t n = api_query_all(req, "filter", &filters);
  engine_filter f = { filters, n };
  engine_pods list;
  int r = engine_pod_list(req->engine, &f, &list, &err);
  api_filters_clear(filters, n);
  if (r < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < list.n; i++)
    json_array_append_new(a, pod_json(&list.items[i]));
  engine_pods_clear(&list);
  api_reply_json(reply, MHD_HTTP_OK, a);
}

void handle_pod_create(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  engine_pod_spec spec = { 0 };
  engine_pod p;
  if (api_body_json(req, &body, &err) < 0 || read_pod_spec(body, &spec, &err) < 0 ||
      engine_pod_create(req->engine, &spec, &p, &err) < 0) {
    engine_pod_spec_clear(&spec);
    api_reply_error(reply, err);
    return;
  }
  engine_pod_spec_clear(&spec);
  api_reply_json(reply, MHD_HTTP_CREATED, pod_json(&p));
  engine_pod_clear(&p);
}

void handle_pod_inspect(api_request *req, api_reply *reply)
{
  reply_pod(req, reply, api_param(req, "id"), MHD_HTTP_OK);
}

void handle_pod_stop(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  int64_t timeout = 10;
  if (api_query_int(req, "timeout", 0, &timeout, &err) < 0 ||
      engine_pod_stop(req->engine, api_param(req, "id"), (int) timeout, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  reply_pod(req, reply, api_param(req, "id"), MHD_HTTP_OK);
}

void handle_pod_remove(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *id = NULL;
  bool force = false;
  if (api_query_bool(req, "force", &force, &err) < 0 ||
      engine_pod_remove(req->engine, api_param(req, "id"), force, &id, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s}", "id", id));
}
