/* What the CRI handler files share: building protobuf-c messages from the
 * engine's structs, the reserved annotations that keep CRI metadata, and
 * the small conversions every file needs. */
#ifndef CRIO_CRI_COMMON_H
#define CRIO_CRI_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "adapters/cri/cri_handlers.h"
#include "api.pb-c.h"
#include "util/xalloc.h"

/* A new message of type, initialized: its parts are malloc'd by the caller,
 * so protobuf_c_message_free_unpacked(msg, NULL) frees it all. */
#define NEW_MSG(type, init)                                                                        \
  ({                                                                                               \
    type *m_ = xmalloc(sizeof *m_);                                                                \
    init(m_);                                                                                      \
    m_;                                                                                            \
  })

/* Annotations holding the CRI metadata; hidden in every answer. */
#define RESERVED_PREFIX "io.crio-c.cri."
#define META_NAME RESERVED_PREFIX "name"
#define META_ATTEMPT RESERVED_PREFIX "attempt"

/* A map of the request (every entry type has key and value) into kv. */
#define KV_IN(kv, arr, n)                                                                          \
  do {                                                                                             \
    for (size_t i_ = 0; i_ < (n); i_++)                                                            \
      engine_kv_set((kv), (arr)[i_]->key ? (arr)[i_]->key : "",                                    \
                    (arr)[i_]->value ? (arr)[i_]->value : "");                                     \
  } while (0)

/* kv into a map of the response, the reserved keys left out. */
#define KV_OUT(kv, arr, cnt_, EntryType, init)                                                     \
  do {                                                                                             \
    (cnt_) = 0;                                                                                    \
    (arr) = (kv)->keys.n ? xmalloc((kv)->keys.n * sizeof *(arr)) : NULL;                           \
    for (size_t i_ = 0; i_ < (kv)->keys.n; i_++) {                                                 \
      if (strncmp((kv)->keys.items[i_], RESERVED_PREFIX, strlen(RESERVED_PREFIX)) == 0)            \
        continue;                                                                                  \
      EntryType *e_ = NEW_MSG(EntryType, init);                                                    \
      e_->key = xstrdup((kv)->keys.items[i_]);                                                     \
      e_->value = xstrdup(i_ < (kv)->values.n ? (kv)->values.items[i_] : "");                      \
      (arr)[(cnt_)++] = e_;                                                                        \
    }                                                                                              \
  } while (0)

static inline bool cri_empty(const char *s)
{
  return !s || !*s;
}

const char *cri_kv_get(const engine_kv *kv, const char *key);
void cri_strv_push(engine_strv *v, const char *s);
void cri_strv_from(engine_strv *v, char **items, size_t n);
char **cri_strv_dup(const engine_strv *v, size_t *n_out);

/* NOT_FOUND is success: the kubelet retries stops and removes of what is
 * gone. Otherwise *lerr moves to *err. */
int cri_gone_ok(int rc, crio_err **lerr, crio_err **err);

/* Engine list filters ("KEY=VALUE") built from a CRI filter. */
typedef struct cri_filters {
  char **items;
  size_t n;
} cri_filters;
void cri_filters_add(cri_filters *f, char *s); /* takes s */
void cri_filters_clear(cri_filters *f);

int64_t cri_now_ns(void);
Runtime__V1__UInt64Value *cri_u64(uint64_t v);
Runtime__V1__FilesystemUsage *cri_fs_usage(int64_t ts, const char *mountpoint, uint64_t used);

/* The CRI metadata of what the engine keeps. */
Runtime__V1__PodSandboxMetadata *cri_pod_metadata(const engine_pod *p);
Runtime__V1__ContainerMetadata *cri_ctr_metadata(const engine_container *c);

/* Whole statuses, for the status calls and for container events. */
Runtime__V1__PodSandboxStatus *cri_pod_status(const engine_pod *p);
Runtime__V1__ContainerStatus *cri_container_status(const engine_container *c);

/* One entry of a verbose response's info map (value: malloc'd, taken). */
#define INFO_ADD(r, EntryType, init, k, v)                                                         \
  do {                                                                                             \
    (r)->info = xrealloc((r)->info, ((r)->n_info + 1) * sizeof *(r)->info);                        \
    EntryType *e_ = NEW_MSG(EntryType, init);                                                      \
    e_->key = xstrdup(k);                                                                          \
    e_->value = (v);                                                                               \
    (r)->info[(r)->n_info++] = e_;                                                                 \
  } while (0)

#endif
