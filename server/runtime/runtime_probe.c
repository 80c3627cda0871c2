#include "runtime_probe.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *runtime_find_binary(const char *configured, const char *name)
{
  if (configured && configured[0])
    return access(configured, X_OK) == 0 ? xstrdup(configured) : NULL;
  const char *path = getenv("PATH");
  _cleanup_free_ char *dirs = xstrdup(path && path[0] ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char *candidate = path_join(dir, name);
    if (access(candidate, X_OK) == 0)
      return candidate;
    free(candidate);
  }
  return NULL;
}

char *runtime_binary_version(const char *path)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *out = NULL;
  char *const argv[] = { (char *) path, "--version", NULL };
  if (run_capture(argv, &out, &err) < 0)
    return NULL;
  char *nl = strchr(out, '\n');
  if (nl)
    *nl = '\0';
  /* "runc version 1.1.5+ds1", "conmon version 2.1.6", "crun version 1.8" */
  const char *v = strstr(out, "version ");
  v = v ? v + strlen("version ") : out;
  return xstrdup(v);
}
