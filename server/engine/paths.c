#include "server/engine/paths.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "util/fs.h"
#include "util/xalloc.h"

static char *cfg_path(engine *e, bool run, const char *a, const char *b)
{
  pthread_rwlock_rdlock(&e->lock);
  char *p = b ? xasprintf("%s/%s/%s", run ? e->cfg->runroot : e->cfg->root, a, b)
              : xasprintf("%s/%s", run ? e->cfg->runroot : e->cfg->root, a);
  pthread_rwlock_unlock(&e->lock);
  return p;
}

char *pod_dir(engine *e, const char *pod_id)
{
  return cfg_path(e, true, "pods", pod_id);
}

char *ns_dir(engine *e)
{
  return cfg_path(e, true, "ns", NULL);
}

char *ctr_dir(engine *e, const char *ctr_id)
{
  return cfg_path(e, false, "containers", ctr_id);
}

char *ctr_run_dir(engine *e, const char *ctr_id)
{
  return cfg_path(e, true, "containers", ctr_id);
}

char *exits_dir(engine *e)
{
  return cfg_path(e, true, "exits", NULL);
}

char *attach_dir(engine *e)
{
  return cfg_path(e, true, "attach", NULL);
}

char *new_id(void)
{
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    abort();
  char *hex = xmalloc(65);
  for (size_t i = 0; i < sizeof raw; i++)
    sprintf(hex + 2 * i, "%02x", raw[i]);
  return hex;
}

int check_name(const char *what, const char *name, crio_err **err)
{
  size_t n = strlen(name);
  bool ok = n > 0 && n <= 253 && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]);
  for (size_t i = 1; ok && i < n; i++)
    ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", name[i]) != NULL;
  if (!ok)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid %s name \"%s\": use letters, digits, '_', '.' and '-', starting "
                        "with a letter or digit, at most 253 characters",
                        what, name);
  return 0;
}
