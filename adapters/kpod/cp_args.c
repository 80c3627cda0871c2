#include <string.h>

#include "cp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int cp_arg_parse(const char *s, kpod_cp_arg *out, crio_err **err)
{
  const char *colon = s[0] == '/' ? NULL : strchr(s, ':');
  if (!colon) {
    out->path = xstrdup(s);
    return 0;
  }
  if (colon == s)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid argument \"%s\": a container name is needed before the colon "
                        "(CONTAINER:PATH); write ./%s for a host path", s, s);
  out->container = xstrndup(s, (size_t) (colon - s));
  out->path = xstrdup(colon + 1);
  return 0;
}

int kpod_cp_parse(const char *src, const char *dest, kpod_cp_args *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  int r = cp_arg_parse(src, &out->src, err);
  if (r == 0)
    r = cp_arg_parse(dest, &out->dest, err);
  if (r == 0 && (!*out->src.path || !*out->dest.path))
    r = crio_err_set(err, CRIO_E_INVALID, "invalid arguments \"%s\", \"%s\": you must specify paths",
                     src, dest);
  if (r == 0 && !out->src.container && !out->dest.container)
    r = crio_err_set(err, CRIO_E_INVALID, "invalid arguments \"%s\", \"%s\": copying between two "
                     "host paths is not supported: one must be CONTAINER:PATH", src, dest);
  if (r == 0 && out->src.container && out->dest.container)
    r = crio_err_set(err, CRIO_E_INVALID, "invalid arguments \"%s\", \"%s\": copying between "
                     "containers is not supported", src, dest);
  if (r < 0)
    kpod_cp_args_release(out);
  return r;
}

void kpod_cp_args_release(kpod_cp_args *a)
{
  free(a->src.container);
  free(a->src.path);
  free(a->dest.container);
  free(a->dest.path);
  memset(a, 0, sizeof *a);
}

char *kpod_cp_container_path(const char *workdir, const char *path)
{
  if (path[0] == '/')
    return xstrdup(path);
  return path_join(workdir && *workdir ? workdir : "/", path);
}

char *kpod_cp_trim(const char *path)
{
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/')
    n--;
  return xstrndup(path, n);
}

bool kpod_cp_contents_only(const char *path)
{
  _cleanup_free_ char *p = kpod_cp_trim(path);
  size_t n = strlen(p);
  if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0)
    return true;
  return n >= 2 && strcmp(p + n - 2, "/.") == 0;
}

/* path (trimmed) split at its last slash: "a/b" → "a" and "b", "b" → "."
 * and "b", "/b" → "/" and "b". */
static void cp_split(const char *path, char **dir, char **base)
{
  _cleanup_free_ char *p = kpod_cp_trim(path);
  char *slash = strrchr(p, '/');
  if (!slash) {
    *dir = xstrdup(".");
    *base = xstrdup(p);
    return;
  }
  *base = xstrdup(slash + 1);
  *dir = slash == p ? xstrdup("/") : xstrndup(p, (size_t) (slash - p));
}

int kpod_cp_plan_make(const char *src_name, bool src_is_dir, bool contents_only,
                      const kpod_cp_dest *dest, kpod_cp_plan *plan, crio_err **err)
{
  memset(plan, 0, sizeof *plan);
  if (contents_only)
    src_is_dir = true;
  if (dest->exists && dest->is_dir) {
    plan->dir = xstrdup(dest->path);
    plan->name = contents_only ? NULL : xstrdup(src_name);
    return 0;
  }
  if (dest->exists && src_is_dir)
    return crio_err_set(err, CRIO_E_INVALID,
                        "cannot overwrite non-directory \"%s\" with a directory", dest->path);
  size_t n = strlen(dest->path);
  if (!dest->exists && !src_is_dir && n && dest->path[n - 1] == '/')
    return crio_err_set(err, CRIO_E_NOT_FOUND, "destination directory \"%s\" does not exist",
                        dest->path);
  cp_split(dest->path, &plan->dir, &plan->name);
  if (!*plan->name || strcmp(plan->name, ".") == 0 || strcmp(plan->name, "..") == 0) {
    kpod_cp_plan_release(plan);
    return crio_err_set(err, CRIO_E_INVALID, "invalid destination \"%s\"", dest->path);
  }
  return 0;
}

void kpod_cp_plan_release(kpod_cp_plan *p)
{
  free(p->dir);
  free(p->name);
  p->dir = p->name = NULL;
}
