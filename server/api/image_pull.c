/* POST /v1/images/pull: the pull runs in its own thread; progress streams. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"
#include "server/api/stream.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct pull_job {
  engine *engine;
  engine_pull_opts opts;
  char *strings[5];   /* owned copies behind opts */
} pull_job;

static void pull_job_free(pull_job *j)
{
  for (size_t i = 0; i < ARRAY_SIZE(j->strings); i++)
    free(j->strings[i]);
  free(j);
}

static json_t *progress_json(const engine_progress *p)
{
  json_t *o = json_pack("{s:s}", "status", p->status);
  const struct { const char *k; const char *v; } strs[] = {
    { "reference", p->reference }, { "digest", p->digest }, { "layer", p->layer }, { "id", p->id },
  };
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    if (strs[i].v)
      json_object_set_new(o, strs[i].k, json_string(strs[i].v));
  if (strcmp(p->status, "downloading") == 0 || strcmp(p->status, "extracted") == 0 ||
      strcmp(p->status, "pushing") == 0) {
    json_object_set_new(o, "current", json_integer(p->current));
    json_object_set_new(o, "total", json_integer(p->total));
  }
  if (strcmp(p->status, "manifest") == 0)
    json_object_set_new(o, "layers", json_integer(p->layers));
  return o;
}

static void on_progress(const engine_progress *p, void *data)
{
  ndjson_write(data, progress_json(p));
}

static void run_pull(ndjson_stream *s, void *data)
{
  pull_job *j = data;
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *id = NULL;
  if (engine_image_pull(j->engine, &j->opts, on_progress, s, &id, &err) < 0)
    ndjson_write_error(s, err);
  else
    ndjson_write(s, json_pack("{s:s,s:s,s:s}", "status", "done", "id", id, "reference",
                              j->opts.reference));
  pull_job_free(j);
}

/* The optional body {"username","password","auth_file"}. */
int api_read_creds(const api_request *req, char **user, char **pass, char **auth_file,
                   crio_err **err)
{
  _cleanup_json_ json_t *body = NULL;
  if (api_body_json(req, &body, err) < 0)
    return -1;
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    char **dst = strcmp(k, "username") == 0 ? user : strcmp(k, "password") == 0 ? pass
                 : strcmp(k, "auth_file") == 0 ? auth_file : NULL;
    if (!dst)
      return crio_err_set(err, CRIO_E_INVALID, "unknown field \"%s\" in credentials", k);
    if (!json_is_string(v))
      return crio_err_set(err, CRIO_E_INVALID, "credentials field \"%s\" must be a string", k);
    *dst = xstrdup(json_string_value(v));
  }
  if ((*user == NULL) != (*pass == NULL))
    return crio_err_set(err, CRIO_E_INVALID, "credentials need both username and password");
  return 0;
}

void handle_image_pull(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  const char *ref = api_query(req, "reference");
  bool tls_verify = true;
  pull_job *j = xzalloc(sizeof *j);
  if (!ref)
    crio_err_set(&err, CRIO_E_INVALID, "query parameter reference is required");
  if (err || engine_image_reference_check(ref, &err) < 0 ||
      api_query_bool(req, "tls_verify", &tls_verify, &err) < 0 ||
      api_read_creds(req, &j->strings[2], &j->strings[3], &j->strings[4], &err) < 0) {
    pull_job_free(j);
    api_reply_error(reply, err);
    return;
  }
  j->engine = req->engine;
  j->strings[0] = xstrdup(ref);
  j->strings[1] = xstrdup(api_query(req, "platform"));
  j->opts = (engine_pull_opts) { .reference = j->strings[0],
                                 .tls_verify = api_query(req, "tls_verify") ? tls_verify : -1,
                                 .platform = j->strings[1],
                                 .creds = { j->strings[2], j->strings[3], j->strings[4] } };
  if (ndjson_stream_start(reply, run_pull, j, &err) < 0) {
    pull_job_free(j);
    api_reply_error(reply, err);
  }
}
