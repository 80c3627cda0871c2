#include "server/api/router.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static size_t count_segments(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '/';
  return n;
}

/* Matches one pattern against a path, segment by segment; fills the {name}
 * parameters of m on success. A {name*} parameter is greedy: it takes as many
 * segments as the rest of the pattern leaves (image names hold slashes). */
static bool pattern_match(const char *pattern, const char *path, api_match *m)
{
  const char *p = pattern, *s = path;
  m->n_params = 0;
  while (*p && *s) {
    if (*p != '/' || *s != '/')
      return false;
    p++, s++;
    size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
    if (p[0] == '{') {
      bool greedy = plen >= 3 && p[plen - 2] == '*';
      if (greedy) {
        size_t rest = count_segments(p + plen), have = count_segments(s);
        if (have < rest)
          return false;
        const char *end = s;
        for (size_t i = 0; i <= have - rest; i++)
          end += strcspn(end, "/") + (i < have - rest ? 1 : 0);
        slen = (size_t) (end - s);
      }
      if (slen == 0 || m->n_params == API_MAX_PARAMS)
        return false;
      m->param_names[m->n_params] = xstrndup(p + 1, plen - (greedy ? 3 : 2));
      m->param_values[m->n_params] = xstrndup(s, slen);
      m->n_params++;
    } else if (plen != slen || strncmp(p, s, plen) != 0) {
      return false;
    }
    p += plen, s += slen;
  }
  return *p == '\0' && *s == '\0';
}

void api_match_clear(api_match *m)
{
  for (size_t i = 0; i < m->n_params; i++) {
    free(m->param_names[i]);
    free(m->param_values[i]);
  }
  m->n_params = 0;
  m->route = NULL;
}

route_result api_route_match(const char *method, const char *path, bool metrics_enabled,
                             api_match *out)
{
  size_t n;
  const api_route *routes = api_routes(&n);
  bool path_seen = false;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    if (routes[i].needs_metrics && !metrics_enabled)
      continue;
    api_match m = { 0 };
    if (!pattern_match(routes[i].pattern, path, &m)) {
      api_match_clear(&m);
      continue;
    }
    path_seen = true;
    if (strcmp(routes[i].method, method) == 0) {
      m.route = &routes[i];
      *out = m;
      return ROUTE_FOUND;
    }
    api_match_clear(&m);
  }
  return path_seen ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
