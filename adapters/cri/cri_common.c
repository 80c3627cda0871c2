/* Shared conversions of the CRI handlers (see cri_common.h). */
#include "adapters/cri/cri_common.h"

#include <stdlib.h>
#include <time.h>

const char *cri_kv_get(const engine_kv *kv, const char *key)
{
  for (size_t i = 0; i < kv->keys.n; i++)
    if (strcmp(kv->keys.items[i], key) == 0)
      return i < kv->values.n ? kv->values.items[i] : "";
  return NULL;
}

void cri_strv_push(engine_strv *v, const char *s)
{
  v->items = xrealloc(v->items, (v->n + 1) * sizeof *v->items);
  v->items[v->n++] = xstrdup(s);
}

void cri_strv_from(engine_strv *v, char **items, size_t n)
{
  for (size_t i = 0; i < n; i++)
    cri_strv_push(v, items[i] ? items[i] : "");
}

char **cri_strv_dup(const engine_strv *v, size_t *n_out)
{
  *n_out = v->n;
  if (v->n == 0)
    return NULL;
  char **out = xmalloc(v->n * sizeof *out);
  for (size_t i = 0; i < v->n; i++)
    out[i] = xstrdup(v->items[i]);
  return out;
}

int cri_gone_ok(int rc, crio_err **lerr, crio_err **err)
{
  if (rc >= 0)
    return 0;
  if (*lerr && (*lerr)->code == CRIO_E_NOT_FOUND) {
    crio_err_free(*lerr);
    *lerr = NULL;
    return 0;
  }
  *err = *lerr;
  *lerr = NULL;
  return rc;
}

void cri_filters_add(cri_filters *f, char *s)
{
  f->items = xrealloc(f->items, (f->n + 1) * sizeof *f->items);
  f->items[f->n++] = s;
}

void cri_filters_clear(cri_filters *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->items[i]);
  free(f->items);
  f->items = NULL;
  f->n = 0;
}

int64_t cri_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

Runtime__V1__UInt64Value *cri_u64(uint64_t v)
{
  Runtime__V1__UInt64Value *m = NEW_MSG(Runtime__V1__UInt64Value, runtime__v1__uint64_value__init);
  m->value = v;
  return m;
}

Runtime__V1__PodSandboxMetadata *cri_pod_metadata(const engine_pod *p)
{
  Runtime__V1__PodSandboxMetadata *m =
      NEW_MSG(Runtime__V1__PodSandboxMetadata, runtime__v1__pod_sandbox_metadata__init);
  const char *name = cri_kv_get(&p->spec.annotations, META_NAME);
  m->name = xstrdup(name ? name : p->spec.name ? p->spec.name : "");
  m->uid = xstrdup(p->spec.uid ? p->spec.uid : "");
  m->namespace_ = xstrdup(p->spec.namespace ? p->spec.namespace : "");
  m->attempt = p->spec.attempt;
  return m;
}

Runtime__V1__ContainerMetadata *cri_ctr_metadata(const engine_container *c)
{
  Runtime__V1__ContainerMetadata *m =
      NEW_MSG(Runtime__V1__ContainerMetadata, runtime__v1__container_metadata__init);
  const char *name = cri_kv_get(&c->spec.annotations, META_NAME);
  const char *attempt = cri_kv_get(&c->spec.annotations, META_ATTEMPT);
  m->name = xstrdup(name ? name : c->spec.name ? c->spec.name : "");
  m->attempt = attempt ? (uint32_t)strtoul(attempt, NULL, 10) : 0;
  return m;
}

Runtime__V1__FilesystemUsage *cri_fs_usage(int64_t ts, const char *mountpoint, uint64_t used)
{
  Runtime__V1__FilesystemUsage *u =
      NEW_MSG(Runtime__V1__FilesystemUsage, runtime__v1__filesystem_usage__init);
  u->timestamp = ts;
  u->fs_id = NEW_MSG(Runtime__V1__FilesystemIdentifier, runtime__v1__filesystem_identifier__init);
  u->fs_id->mountpoint = xstrdup(mountpoint);
  u->used_bytes = cri_u64(used);
  u->inodes_used = cri_u64(0);
  return u;
}
