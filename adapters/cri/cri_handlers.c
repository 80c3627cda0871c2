/* RuntimeService and ImageService handlers: CRI messages to engine calls. */
#include "adapters/cri/cri_handlers.h"

#include <string.h>

#include "api.pb-c.h"
#include "util/xalloc.h"

#define NEW_MSG(type, init)       \
  ({                              \
    type *m_ = xmalloc(sizeof *m_); \
    init(m_);                     \
    m_;                           \
  })

static int h_version(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                     crio_err **err)
{
  (void) e;
  (void) req;
  (void) err;
  engine_version v;
  engine_version_get(&v);
  Runtime__V1__VersionResponse *r =
      NEW_MSG(Runtime__V1__VersionResponse, runtime__v1__version_response__init);
  r->version = xstrdup("0.1.0");
  r->runtime_name = xstrdup("crio-c");
  r->runtime_version = xstrdup(v.version);
  r->runtime_api_version = xstrdup("v1");
  *resp = &r->base;
  return 0;
}

static Runtime__V1__RuntimeCondition *condition(const char *type, bool status)
{
  Runtime__V1__RuntimeCondition *c =
      NEW_MSG(Runtime__V1__RuntimeCondition, runtime__v1__runtime_condition__init);
  c->type = xstrdup(type);
  c->status = status;
  return c;
}

static int h_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                    crio_err **err)
{
  (void) e;
  (void) req;
  (void) err;
  Runtime__V1__StatusResponse *r =
      NEW_MSG(Runtime__V1__StatusResponse, runtime__v1__status_response__init);
  r->status = NEW_MSG(Runtime__V1__RuntimeStatus, runtime__v1__runtime_status__init);
  r->status->n_conditions = 2;
  r->status->conditions = xmalloc(2 * sizeof *r->status->conditions);
  r->status->conditions[0] = condition("RuntimeReady", true);
  /* TODO(lead): report the CNI state once the engine exposes it */
  r->status->conditions[1] = condition("NetworkReady", true);
  *resp = &r->base;
  return 0;
}

static char **strv_dup(const engine_strv *v, size_t *n_out)
{
  *n_out = v->n;
  if (v->n == 0)
    return NULL;
  char **out = xmalloc(v->n * sizeof *out);
  for (size_t i = 0; i < v->n; i++)
    out[i] = xstrdup(v->items[i]);
  return out;
}

static Runtime__V1__Image *image_to_cri(const engine_image *img)
{
  Runtime__V1__Image *m = NEW_MSG(Runtime__V1__Image, runtime__v1__image__init);
  m->id = xstrdup(img->id ? img->id : "");
  m->repo_tags = strv_dup(&img->repo_tags, &m->n_repo_tags);
  m->repo_digests = strv_dup(&img->repo_digests, &m->n_repo_digests);
  m->size = img->size > 0 ? (uint64_t) img->size : 0;
  return m;
}

static int list_all(engine *e, Runtime__V1__ListImagesResponse *r, crio_err **err)
{
  engine_images list = { 0 };
  int rc = engine_image_list(e, NULL, &list, err);
  if (rc < 0)
    return rc;
  if (list.n > 0) {
    r->images = xmalloc(list.n * sizeof *r->images);
    for (size_t i = 0; i < list.n; i++)
      r->images[r->n_images++] = image_to_cri(&list.items[i]);
  }
  engine_images_clear(&list);
  return 0;
}

/* A filter names one image: it or nothing. */
static int list_one(engine *e, const char *name, Runtime__V1__ListImagesResponse *r,
                    crio_err **err)
{
  engine_image img = { 0 };
  crio_err *lerr = NULL;
  int rc = engine_image_get(e, name, &img, &lerr);
  if (rc < 0) {
    bool absent = lerr->code == CRIO_E_NOT_FOUND || lerr->code == CRIO_E_INVALID;
    if (!absent) {
      *err = lerr;
      return rc;
    }
    crio_err_free(lerr);
    return 0;
  }
  r->images = xmalloc(sizeof *r->images);
  r->images[r->n_images++] = image_to_cri(&img);
  engine_image_clear(&img);
  return 0;
}

static int h_list_images(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                         crio_err **err)
{
  const Runtime__V1__ListImagesRequest *q = (const Runtime__V1__ListImagesRequest *) req;
  Runtime__V1__ListImagesResponse *r =
      NEW_MSG(Runtime__V1__ListImagesResponse, runtime__v1__list_images_response__init);
  const char *name = q->filter && q->filter->image ? q->filter->image->image : NULL;
  int rc = name && *name ? list_one(e, name, r, err) : list_all(e, r, err);
  if (rc < 0) {
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
  }
  *resp = &r->base;
  return 0;
}

static int h_image_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                          crio_err **err)
{
  const Runtime__V1__ImageStatusRequest *q = (const Runtime__V1__ImageStatusRequest *) req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "ImageStatus: image spec is empty");
  engine_image img = { 0 };
  crio_err *lerr = NULL;
  int rc = engine_image_get(e, q->image->image, &img, &lerr);
  if (rc < 0 && lerr->code != CRIO_E_NOT_FOUND) {
    *err = lerr;
    return rc;
  }
  Runtime__V1__ImageStatusResponse *r =
      NEW_MSG(Runtime__V1__ImageStatusResponse, runtime__v1__image_status_response__init);
  if (rc < 0) {
    crio_err_free(lerr); /* absent: an empty response, as the CRI says */
  } else {
    r->image = image_to_cri(&img);
    engine_image_clear(&img);
  }
  *resp = &r->base;
  return 0;
}

static const cri_method methods[] = {
  { "/runtime.v1.RuntimeService/Version", &runtime__v1__version_request__descriptor,
    h_version },
  { "/runtime.v1.RuntimeService/Status", &runtime__v1__status_request__descriptor, h_status },
  { "/runtime.v1.ImageService/ListImages", &runtime__v1__list_images_request__descriptor,
    h_list_images },
  { "/runtime.v1.ImageService/ImageStatus", &runtime__v1__image_status_request__descriptor,
    h_image_status },
};

static const cri_method *table_find(const cri_method *t, size_t n, const char *name)
{
  for (size_t i = 0; t && i < n; i++)
    if (strcmp(t[i].name, name) == 0)
      return &t[i];
  return NULL;
}

const cri_method *cri_method_find(const char *name)
{
  const cri_method *m = table_find(methods, sizeof methods / sizeof methods[0], name);
  size_t n = 0;
  const cri_method *t;
  if (!m) {
    t = cri_sandbox_methods(&n);
    m = table_find(t, n, name);
  }
  if (!m) {
    t = cri_image_methods(&n);
    m = table_find(t, n, name);
  }
  return m;
}
