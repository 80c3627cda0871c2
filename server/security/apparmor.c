/* Choosing a container's AppArmor profile (see apparmor.h). */
#include "server/security/apparmor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static FILE *sys_open(const char *sys_root, const char *path)
{
  _cleanup_free_ char *full = xasprintf("%s%s", sys_root ? sys_root : "", path);
  return fopen(full, "re");
}

bool apparmor_enabled(const char *sys_root)
{
  _cleanup_fclose_ FILE *f = sys_open(sys_root, "/sys/module/apparmor/parameters/enabled");
  return f && fgetc(f) == 'Y';
}

/* The kernel lists loaded profiles as "NAME (MODE)" lines. */
static bool apparmor_loaded(const char *sys_root, const char *name)
{
  _cleanup_fclose_ FILE *f = sys_open(sys_root, "/sys/kernel/security/apparmor/profiles");
  char line[4096];
  size_t n = strlen(name);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, name, n) == 0 && line[n] == ' ' && line[n + 1] == '(')
      return true;
  return false;
}

static int resolve_localhost(const char *name, const char *sys_root, char **name_out,
                             char **effective_out, crio_err **err)
{
  if (!name[0] || strchr(name, '\n'))
    return crio_err_set(err, CRIO_E_INVALID, "apparmor profile \"localhost/%s\": empty or bad name",
                        name);
  if (!apparmor_enabled(sys_root))
    return crio_err_set(err, CRIO_E_INVALID,
                        "apparmor profile \"localhost/%s\": AppArmor is not enabled on this host",
                        name);
  if (!apparmor_loaded(sys_root, name))
    return crio_err_set(err, CRIO_E_INVALID,
                        "apparmor profile \"localhost/%s\": no such profile is loaded", name);
  *name_out = xstrdup(name);
  *effective_out = xasprintf("localhost/%s", name);
  return 0;
}

int apparmor_resolve(const char *profile, bool privileged, const char *sys_root, char **name_out,
                     char **effective_out, crio_err **err)
{
  const char *p = profile ? profile : "";
  *name_out = NULL;
  *effective_out = NULL;
  if (strncmp(p, "localhost/", 10) == 0)
    return resolve_localhost(p + 10, sys_root, name_out, effective_out, err);
  bool is_default = !p[0] || strcmp(p, "runtime/default") == 0;
  if (!is_default && strcmp(p, "unconfined") != 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "apparmor profile \"%s\": expected runtime/default, unconfined or "
                        "localhost/NAME", p);
  if (is_default && !privileged && apparmor_enabled(sys_root) &&
      apparmor_loaded(sys_root, APPARMOR_DEFAULT_PROFILE)) {
    *name_out = xstrdup(APPARMOR_DEFAULT_PROFILE);
    *effective_out = xstrdup("runtime/default");
    return 0;
  }
  *effective_out = xstrdup("unconfined");
  return 0;
}
