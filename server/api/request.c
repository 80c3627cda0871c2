/* Reading a request: query parameters and JSON bodies. */
#include "server/api/api_internal.h"

#include <string.h>

#include "util/xalloc.h"

int api_query_bool(const api_request *req, const char *name, bool *out, crio_err **err)
{
  const char *v = api_query(req, name);
  if (!v)
    return 0;
  if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0')
    *out = true;
  else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
    *out = false;
  else
    return crio_err_set(err, CRIO_E_INVALID, "query parameter %s=%s: want true or false", name, v);
  return 0;
}

int api_body_json(const api_request *req, json_t **out, crio_err **err)
{
  if (req->body_len == 0) {
    *out = json_object();
    return 0;
  }
  json_error_t je;
  json_t *j = json_loadb(req->body, req->body_len, 0, &je);
  if (!j)
    return crio_err_set(err, CRIO_E_INVALID, "request body is not JSON: %s (line %d, column %d)",
                        je.text, je.line, je.column);
  if (!json_is_object(j)) {
    json_decref(j);
    return crio_err_set(err, CRIO_E_INVALID, "request body must be a JSON object");
  }
  *out = j;
  return 0;
}

typedef struct collect {
  const char *name;
  char **values;
  size_t n;
} collect;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
  collect *c = cls;
  if (strcmp(key, c->name) == 0 && value) {
    c->values = xrealloc(c->values, (c->n + 2) * sizeof *c->values);
    c->values[c->n++] = xstrdup(value);
    c->values[c->n] = NULL;
  }
  return MHD_YES;
}

size_t api_query_all(const api_request *req, const char *name, char ***out)
{
  collect c = { .name = name };
  MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
  *out = c.values;
  return c.n;
}
