/* ImageService (PullImage, RemoveImage, ImageFsInfo) and the RuntimeService
 * methods that only read or run in what exists: ExecSync and the stats. */
#include "adapters/cri/cri_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.pb-c.h"
#include "util/xalloc.h"

#define NEW_MSG(type, init)         \
  ({                                \
    type *m_ = xmalloc(sizeof *m_); \
    init(m_);                       \
    m_;                             \
  })

/* The CRI caps ExecSync output at 16 MiB a stream. */
#define EXEC_OUTPUT_CAP (16u << 20)

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static Runtime__V1__UInt64Value *u64(uint64_t v)
{
  Runtime__V1__UInt64Value *m =
      NEW_MSG(Runtime__V1__UInt64Value, runtime__v1__uint64_value__init);
  m->value = v;
  return m;
}

/* ---- PullImage ---------------------------------------------------------- */

static int b64_value(char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* NULL when s is not base64. */
static char *b64_decode(const char *s)
{
  size_t len = strlen(s);
  char *out = xmalloc(len * 3 / 4 + 4);
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '=')
      break;
    if (s[i] == '\n' || s[i] == '\r')
      continue;
    int v = b64_value(s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (unsigned) v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (char) ((acc >> bits) & 0xff);
    }
  }
  out[n] = '\0';
  return out;
}

static int h_pull_image(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                        crio_err **err)
{
  const Runtime__V1__PullImageRequest *q = (const Runtime__V1__PullImageRequest *) req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "PullImage: image spec is empty");
  engine_pull_opts o = { .reference = q->image->image, .tls_verify = -1 };
  char *decoded = NULL;
  if (q->auth) {
    const Runtime__V1__AuthConfig *a = q->auth;
    if (a->username && *a->username) {
      o.creds.username = a->username;
      o.creds.password = a->password ? a->password : "";
    } else if (a->auth && *a->auth) {
      decoded = b64_decode(a->auth);
      char *colon = decoded ? strchr(decoded, ':') : NULL;
      if (!colon) {
        free(decoded);
        return crio_err_set(err, CRIO_E_INVALID,
                            "PullImage %s: auth is not base64 of user:password",
                            q->image->image);
      }
      *colon = '\0';
      o.creds.username = decoded;
      o.creds.password = colon + 1;
    }
  }
  char *id = NULL;
  int rc = engine_image_pull(e, &o, NULL, NULL, &id, err);
  free(decoded);
  if (rc < 0)
    return rc;
  Runtime__V1__PullImageResponse *r =
      NEW_MSG(Runtime__V1__PullImageResponse, runtime__v1__pull_image_response__init);
  r->image_ref = id;
  *resp = &r->base;
  return 0;
}

/* ---- RemoveImage -------------------------------------------------------- */

static int h_remove_image(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                          crio_err **err)
{
  const Runtime__V1__RemoveImageRequest *q = (const Runtime__V1__RemoveImageRequest *) req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "RemoveImage: image spec is empty");
  engine_strv untagged = { 0 }, deleted = { 0 };
  crio_err *lerr = NULL;
  /* The kubelet names an image by its ID: remove it with all its names. */
  int rc = engine_image_remove(e, q->image->image, true, &untagged, &deleted, &lerr);
  engine_strv_clear(&untagged);
  engine_strv_clear(&deleted);
  if (rc < 0) {
    if (lerr->code != CRIO_E_NOT_FOUND) {
      *err = lerr;
      return rc;
    }
    crio_err_free(lerr); /* already gone: success, as the CRI says */
  }
  *resp = &NEW_MSG(Runtime__V1__RemoveImageResponse, runtime__v1__remove_image_response__init)
               ->base;
  return 0;
}

/* ---- ImageFsInfo -------------------------------------------------------- */

static Runtime__V1__FilesystemUsage *fs_usage(int64_t ts, const char *mountpoint, uint64_t used)
{
  Runtime__V1__FilesystemUsage *u =
      NEW_MSG(Runtime__V1__FilesystemUsage, runtime__v1__filesystem_usage__init);
  u->timestamp = ts;
  u->fs_id = NEW_MSG(Runtime__V1__FilesystemIdentifier, runtime__v1__filesystem_identifier__init);
  u->fs_id->mountpoint = xstrdup(mountpoint);
  u->used_bytes = u64(used);
  u->inodes_used = u64(0);
  return u;
}

static int h_image_fs_info(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                           crio_err **err)
{
  (void) req;
  engine_info info = { 0 };
  int rc = engine_info_get(e, &info, err);
  if (rc < 0)
    return rc;
  char *mountpoint = xasprintf("%s/overlay", info.root ? info.root : "");
  engine_info_clear(&info);

  uint64_t images_used = 0, containers_used = 0;
  engine_images imgs = { 0 };
  rc = engine_image_list(e, NULL, &imgs, err);
  if (rc < 0)
    goto out;
  for (size_t i = 0; i < imgs.n; i++)
    if (imgs.items[i].size > 0)
      images_used += (uint64_t) imgs.items[i].size;
  engine_images_clear(&imgs);

  engine_containers ctrs = { 0 };
  rc = engine_container_list(e, true, true, NULL, &ctrs, err);
  if (rc < 0)
    goto out;
  for (size_t i = 0; i < ctrs.n; i++)
    if (ctrs.items[i].size_rw > 0)
      containers_used += (uint64_t) ctrs.items[i].size_rw;
  engine_containers_clear(&ctrs);

  int64_t ts = now_ns();
  Runtime__V1__ImageFsInfoResponse *r =
      NEW_MSG(Runtime__V1__ImageFsInfoResponse, runtime__v1__image_fs_info_response__init);
  r->n_image_filesystems = 1;
  r->image_filesystems = xmalloc(sizeof *r->image_filesystems);
  r->image_filesystems[0] = fs_usage(ts, mountpoint, images_used);
  r->n_container_filesystems = 1;
  r->container_filesystems = xmalloc(sizeof *r->container_filesystems);
  r->container_filesystems[0] = fs_usage(ts, mountpoint, containers_used);
  *resp = &r->base;
  rc = 0;
out:
  free(mountpoint);
  return rc;
}

/* ---- ExecSync ----------------------------------------------------------- */

static void take_output(ProtobufCBinaryData *dst, char **src, size_t len)
{
  if (len > EXEC_OUTPUT_CAP)
    len = EXEC_OUTPUT_CAP;
  dst->data = (uint8_t *) *src;
  dst->len = *src ? len : 0;
  *src = NULL;
}

static int h_exec_sync(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                       crio_err **err)
{
  const Runtime__V1__ExecSyncRequest *q = (const Runtime__V1__ExecSyncRequest *) req;
  if (!q->container_id || !*q->container_id)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync: container_id is empty");
  if (q->n_cmd == 0)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync %s: cmd is empty", q->container_id);
  if (q->timeout < 0 || q->timeout > 0x7fffffff)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync %s: bad timeout %lld", q->container_id,
                        (long long) q->timeout);
  char **argv = xmalloc((q->n_cmd + 1) * sizeof *argv);
  for (size_t i = 0; i < q->n_cmd; i++)
    argv[i] = q->cmd[i];
  argv[q->n_cmd] = NULL;
  engine_exec_result res = { 0 };
  int rc = engine_exec_sync(e, q->container_id, argv, (int) q->timeout, &res, err);
  if (rc < 0) {
    free(argv);
    return rc;
  }
  if (res.timed_out) {
    rc = crio_err_set(err, CRIO_E_UNAVAILABLE, "command '%s' timed out after %lld s", argv[0],
                      (long long) q->timeout);
    free(argv);
    engine_exec_result_clear(&res);
    return rc;
  }
  free(argv);
  Runtime__V1__ExecSyncResponse *r =
      NEW_MSG(Runtime__V1__ExecSyncResponse, runtime__v1__exec_sync_response__init);
  take_output(&r->stdout, &res.out, res.out_len);
  take_output(&r->stderr, &res.err, res.err_len);
  r->exit_code = res.exit_code;
  engine_exec_result_clear(&res);
  *resp = &r->base;
  return 0;
}

/* ---- stats -------------------------------------------------------------- */

static Runtime__V1__CpuUsage *cpu_usage(const engine_stats *s)
{
  Runtime__V1__CpuUsage *c = NEW_MSG(Runtime__V1__CpuUsage, runtime__v1__cpu_usage__init);
  c->timestamp = s->timestamp_ns;
  c->usage_core_nano_seconds = u64(s->cpu_usage_ns);
  c->usage_nano_cores = u64(s->cpu_rate > 0 ? (uint64_t) (s->cpu_rate * 1e9) : 0);
  return c;
}

static Runtime__V1__MemoryUsage *memory_usage(const engine_stats *s)
{
  Runtime__V1__MemoryUsage *m =
      NEW_MSG(Runtime__V1__MemoryUsage, runtime__v1__memory_usage__init);
  m->timestamp = s->timestamp_ns;
  m->working_set_bytes = u64(s->memory_working_set);
  m->usage_bytes = u64(s->memory_usage);
  m->rss_bytes = u64(s->memory_rss);
  if (s->memory_limit > 0)
    m->available_bytes = u64((uint64_t) s->memory_limit > s->memory_working_set
                                 ? (uint64_t) s->memory_limit - s->memory_working_set
                                 : 0);
  return m;
}

#define KV_ENTRIES(kv, type, init, out, n_out)                  \
  do {                                                          \
    (n_out) = (kv)->keys.n;                                     \
    (out) = (kv)->keys.n ? xmalloc((kv)->keys.n * sizeof *(out)) : NULL; \
    for (size_t i_ = 0; i_ < (kv)->keys.n; i_++) {              \
      type *en_ = NEW_MSG(type, init);                          \
      en_->key = xstrdup((kv)->keys.items[i_]);                 \
      en_->value = xstrdup(i_ < (kv)->values.n ? (kv)->values.items[i_] : ""); \
      (out)[i_] = en_;                                          \
    }                                                           \
  } while (0)

static Runtime__V1__ContainerAttributes *container_attributes(const engine_container *c)
{
  Runtime__V1__ContainerAttributes *a =
      NEW_MSG(Runtime__V1__ContainerAttributes, runtime__v1__container_attributes__init);
  a->id = xstrdup(c->id ? c->id : "");
  a->metadata = NEW_MSG(Runtime__V1__ContainerMetadata, runtime__v1__container_metadata__init);
  a->metadata->name = xstrdup(c->spec.name ? c->spec.name : "");
  KV_ENTRIES(&c->spec.labels, Runtime__V1__ContainerAttributes__LabelsEntry,
             runtime__v1__container_attributes__labels_entry__init, a->labels, a->n_labels);
  KV_ENTRIES(&c->spec.annotations, Runtime__V1__ContainerAttributes__AnnotationsEntry,
             runtime__v1__container_attributes__annotations_entry__init, a->annotations,
             a->n_annotations);
  return a;
}

/* The stats of a container got from the engine. */
static int container_stats(engine *e, const engine_container *c, Runtime__V1__ContainerStats **out,
                           crio_err **err)
{
  engine_stats s = { 0 };
  int rc = engine_container_stats(e, c->id, &s, err);
  if (rc < 0)
    return rc;
  if (s.timestamp_ns <= 0)
    s.timestamp_ns = now_ns();
  Runtime__V1__ContainerStats *m =
      NEW_MSG(Runtime__V1__ContainerStats, runtime__v1__container_stats__init);
  m->attributes = container_attributes(c);
  m->cpu = cpu_usage(&s);
  m->memory = memory_usage(&s);
  if (c->size_rw >= 0)
    m->writable_layer = fs_usage(s.timestamp_ns, "", (uint64_t) c->size_rw);
  engine_stats_clear(&s);
  *out = m;
  return 0;
}

static int h_container_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__ContainerStatsRequest *q = (const Runtime__V1__ContainerStatsRequest *) req;
  if (!q->container_id || !*q->container_id)
    return crio_err_set(err, CRIO_E_INVALID, "ContainerStats: container_id is empty");
  engine_container c = { 0 };
  int rc = engine_container_get(e, q->container_id, &c, err);
  if (rc < 0)
    return rc;
  c.size_rw = -1;
  Runtime__V1__ContainerStats *st = NULL;
  rc = container_stats(e, &c, &st, err);
  engine_container_clear(&c);
  if (rc < 0)
    return rc;
  Runtime__V1__ContainerStatsResponse *r =
      NEW_MSG(Runtime__V1__ContainerStatsResponse, runtime__v1__container_stats_response__init);
  r->stats = st;
  *resp = &r->base;
  return 0;
}

/* Filters of "label=K=V" for a label selector, plus the fixed ones. */
typedef struct filters {
  char **items;
  size_t n;
} filters;

static void filters_add(filters *f, char *s)
{
  f->items = xrealloc(f->items, (f->n + 1) * sizeof *f->items);
  f->items[f->n++] = s;
}

static void filters_clear(filters *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->items[i]);
  free(f->items);
  f->items = NULL;
  f->n = 0;
}

static int h_list_container_stats(engine *e, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp, crio_err **err)
{
  const Runtime__V1__ListContainerStatsRequest *q =
      (const Runtime__V1__ListContainerStatsRequest *) req;
  filters f = { 0 };
  const Runtime__V1__ContainerStatsFilter *qf = q->filter;
  if (qf) {
    if (qf->id && *qf->id)
      filters_add(&f, xasprintf("id=%s", qf->id));
    if (qf->pod_sandbox_id && *qf->pod_sandbox_id)
      filters_add(&f, xasprintf("pod=%s", qf->pod_sandbox_id));
    for (size_t i = 0; i < qf->n_label_selector; i++)
      filters_add(&f, xasprintf("label=%s=%s", qf->label_selector[i]->key,
                                qf->label_selector[i]->value ? qf->label_selector[i]->value : ""));
  }
  engine_filter ef = { .filters = f.items, .n_filters = f.n };
  engine_containers list = { 0 };
  int rc = engine_container_list(e, false, false, &ef, &list, err);
  filters_clear(&f);
  if (rc < 0)
    return rc;
  Runtime__V1__ListContainerStatsResponse *r = NEW_MSG(
      Runtime__V1__ListContainerStatsResponse, runtime__v1__list_container_stats_response__init);
  if (list.n > 0)
    r->stats = xmalloc(list.n * sizeof *r->stats);
  for (size_t i = 0; i < list.n; i++) {
    Runtime__V1__ContainerStats *st = NULL;
    crio_err *lerr = NULL;
    list.items[i].size_rw = -1;
    if (container_stats(e, &list.items[i], &st, &lerr) < 0) {
      crio_err_free(lerr); /* stopped meanwhile: left out */
      continue;
    }
    r->stats[r->n_stats++] = st;
  }
  engine_containers_clear(&list);
  *resp = &r->base;
  return 0;
}

static Runtime__V1__NetworkInterfaceUsage *iface_usage(const engine_net_stats *n)
{
  Runtime__V1__NetworkInterfaceUsage *u =
      NEW_MSG(Runtime__V1__NetworkInterfaceUsage, runtime__v1__network_interface_usage__init);
  u->name = xstrdup(n->name);
  u->rx_bytes = u64(n->rx_bytes);
  u->rx_errors = u64(n->rx_errors);
  u->tx_bytes = u64(n->tx_bytes);
  u->tx_errors = u64(n->tx_errors);
  return u;
}

static int pod_stats(engine *e, const engine_pod *p, Runtime__V1__PodSandboxStats **out,
                     crio_err **err)
{
  engine_stats s = { 0 };
  int rc = engine_pod_stats(e, p->id, &s, err);
  if (rc < 0)
    return rc;
  if (s.timestamp_ns <= 0)
    s.timestamp_ns = now_ns();
  Runtime__V1__PodSandboxStats *m =
      NEW_MSG(Runtime__V1__PodSandboxStats, runtime__v1__pod_sandbox_stats__init);
  Runtime__V1__PodSandboxAttributes *a =
      NEW_MSG(Runtime__V1__PodSandboxAttributes, runtime__v1__pod_sandbox_attributes__init);
  a->id = xstrdup(p->id);
  a->metadata = NEW_MSG(Runtime__V1__PodSandboxMetadata, runtime__v1__pod_sandbox_metadata__init);
  a->metadata->name = xstrdup(p->spec.name ? p->spec.name : "");
  a->metadata->uid = xstrdup(p->spec.uid ? p->spec.uid : "");
  a->metadata->namespace_ = xstrdup(p->spec.namespace ? p->spec.namespace : "");
  a->metadata->attempt = p->spec.attempt;
  KV_ENTRIES(&p->spec.labels, Runtime__V1__PodSandboxAttributes__LabelsEntry,
             runtime__v1__pod_sandbox_attributes__labels_entry__init, a->labels, a->n_labels);
  KV_ENTRIES(&p->spec.annotations, Runtime__V1__PodSandboxAttributes__AnnotationsEntry,
             runtime__v1__pod_sandbox_attributes__annotations_entry__init, a->annotations,
             a->n_annotations);
  m->attributes = a;
  Runtime__V1__LinuxPodSandboxStats *l =
      NEW_MSG(Runtime__V1__LinuxPodSandboxStats, runtime__v1__linux_pod_sandbox_stats__init);
  l->cpu = cpu_usage(&s);
  l->memory = memory_usage(&s);
  l->process = NEW_MSG(Runtime__V1__ProcessUsage, runtime__v1__process_usage__init);
  l->process->timestamp = s.timestamp_ns;
  l->process->process_count = u64(s.pids_current);
  Runtime__V1__NetworkUsage *nu = NEW_MSG(Runtime__V1__NetworkUsage, runtime__v1__network_usage__init);
  nu->timestamp = s.timestamp_ns;
  if (s.n_networks > 0) {
    nu->default_interface = iface_usage(&s.networks[0]);
    nu->interfaces = xmalloc(s.n_networks * sizeof *nu->interfaces);
    for (size_t i = 0; i < s.n_networks; i++)
      nu->interfaces[nu->n_interfaces++] = iface_usage(&s.networks[i]);
  }
  l->network = nu;
  m->linux = l;
  engine_stats_clear(&s);
  *out = m;
  return 0;
}

static int h_pod_sandbox_stats(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                               crio_err **err)
{
  const Runtime__V1__PodSandboxStatsRequest *q = (const Runtime__V1__PodSandboxStatsRequest *) req;
  if (!q->pod_sandbox_id || !*q->pod_sandbox_id)
    return crio_err_set(err, CRIO_E_INVALID, "PodSandboxStats: pod_sandbox_id is empty");
  engine_pod p = { 0 };
  int rc = engine_pod_get(e, q->pod_sandbox_id, &p, err);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStats *st = NULL;
  rc = pod_stats(e, &p, &st, err);
  engine_pod_clear(&p);
  if (rc < 0)
    return rc;
  Runtime__V1__PodSandboxStatsResponse *r = NEW_MSG(
      Runtime__V1__PodSandboxStatsResponse, runtime__v1__pod_sandbox_stats_response__init);
  r->stats = st;
  *resp = &r->base;
  return 0;
}

static int h_list_pod_sandbox_stats(engine *e, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp, crio_err **err)
{
  const Runtime__V1__ListPodSandboxStatsRequest *q =
      (const Runtime__V1__ListPodSandboxStatsRequest *) req;
  filters f = { 0 };
  if (q->filter) {
    if (q->filter->id && *q->filter->id)
      filters_add(&f, xasprintf("id=%s", q->filter->id));
    for (size_t i = 0; i < q->filter->n_label_selector; i++)
      filters_add(&f, xasprintf("label=%s=%s", q->filter->label_selector[i]->key,
                                q->filter->label_selector[i]->value
                                    ? q->filter->label_selector[i]->value
                                    : ""));
  }
  filters_add(&f, xstrdup("state=READY"));
  engine_filter ef = { .filters = f.items, .n_filters = f.n };
  engine_pods list = { 0 };
  int rc = engine_pod_list(e, &ef, &list, err);
  filters_clear(&f);
  if (rc < 0)
    return rc;
  Runtime__V1__ListPodSandboxStatsResponse *r =
      NEW_MSG(Runtime__V1__ListPodSandboxStatsResponse,
              runtime__v1__list_pod_sandbox_stats_response__init);
  if (list.n > 0)
    r->stats = xmalloc(list.n * sizeof *r->stats);
  for (size_t i = 0; i < list.n; i++) {
    Runtime__V1__PodSandboxStats *st = NULL;
    crio_err *lerr = NULL;
    if (pod_stats(e, &list.items[i], &st, &lerr) < 0) {
      crio_err_free(lerr);
      continue;
    }
    r->stats[r->n_stats++] = st;
  }
  engine_pods_clear(&list);
  *resp = &r->base;
  return 0;
}

static const cri_method methods[] = {
  { "/runtime.v1.ImageService/PullImage", &runtime__v1__pull_image_request__descriptor,
    h_pull_image },
  { "/runtime.v1.ImageService/RemoveImage", &runtime__v1__remove_image_request__descriptor,
    h_remove_image },
  { "/runtime.v1.ImageService/ImageFsInfo", &runtime__v1__image_fs_info_request__descriptor,
    h_image_fs_info },
  { "/runtime.v1.RuntimeService/ExecSync", &runtime__v1__exec_sync_request__descriptor,
    h_exec_sync },
  { "/runtime.v1.RuntimeService/ContainerStats",
    &runtime__v1__container_stats_request__descriptor, h_container_stats },
  { "/runtime.v1.RuntimeService/ListContainerStats",
    &runtime__v1__list_container_stats_request__descriptor, h_list_container_stats },
  { "/runtime.v1.RuntimeService/PodSandboxStats",
    &runtime__v1__pod_sandbox_stats_request__descriptor, h_pod_sandbox_stats },
  { "/runtime.v1.RuntimeService/ListPodSandboxStats",
    &runtime__v1__list_pod_sandbox_stats_request__descriptor, h_list_pod_sandbox_stats },
};

const cri_method *cri_image_methods(size_t *n)
{
  *n = sizeof methods / sizeof methods[0];
  return methods;
}
