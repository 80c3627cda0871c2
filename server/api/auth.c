/* /v1/auth/login and /v1/auth/logout. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"

#include <string.h>

#include "util/cleanup.h"

/* Reads the string fields named in keys (NULL-terminated) and the boolean
 * tls_verify; any other field is an error. */
static int read_fields(json_t *body, const char *const *keys, const char **values,
                       int *tls_verify, bool *all, crio_err **err)
{
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    size_t i = 0;
    while (keys[i] && strcmp(keys[i], k) != 0)
      i++;
    if (keys[i] && json_is_string(v)) {
      values[i] = json_string_value(v);
    } else if (strcmp(k, "tls_verify") == 0 && tls_verify && json_is_boolean(v)) {
      *tls_verify = json_is_true(v);
    } else if (strcmp(k, "all") == 0 && all && json_is_boolean(v)) {
      *all = json_is_true(v);
    } else {
      return crio_err_set(err, CRIO_E_INVALID, "field \"%s\" is unknown or of the wrong type", k);
    }
  }
  return 0;
}

static void reply_login_result(api_reply *reply, const char *registry, const char *auth_file)
{
  api_reply_json(reply, MHD_HTTP_OK, json_pack("{s:s,s:s}", "registry", registry ? registry : "",
                                               "auth_file", auth_file));
}

void handle_login(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  static const char *const keys[] = { "registry", "username", "password", "auth_file", NULL };
  const char *v[4] = { NULL };
  int tls_verify = -1;
  _cleanup_free_ char *written = NULL;
  if (api_body_json(req, &body, &err) < 0 || read_fields(body, keys, v, &tls_verify, NULL, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  engine_login_opts o = { .registry = v[0], .username = v[1], .password = v[2],
                          .auth_file = v[3], .tls_verify = tls_verify };
  if (engine_login(req->engine, &o, &written, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  reply_login_result(reply, v[0], written);
}

void handle_logout(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_json_ json_t *body = NULL;
  static const char *const keys[] = { "registry", "auth_file", NULL };
  const char *v[2] = { NULL };
  bool all = false;
  _cleanup_free_ char *written = NULL;
  if (api_body_json(req, &body, &err) < 0 || read_fields(body, keys, v, NULL, &all, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  if (!all && (!v[0] || !v[0][0]))
    crio_err_set(&err, CRIO_E_INVALID, "logout: name a registry, or set all");
  else if (all && v[0])
    crio_err_set(&err, CRIO_E_INVALID, "logout: a registry and all exclude each other");
  if (err || engine_logout(req->engine, all ? NULL : v[0], v[1], &written, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  reply_login_result(reply, v[0], written);
}
