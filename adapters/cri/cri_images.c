/* ImageService: ListImages, ImageStatus, PullImage, RemoveImage, ImageFsInfo. */
#include "adapters/cri/cri_common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"

/* The image config's User: a numeric uid ("1000", "1000:1000") or a name. */
static void image_user(Runtime__V1__Image *m, const char *user)
{
  if (cri_empty(user))
    return;
  char *end = NULL;
  long long uid = strtoll(user, &end, 10);
  if (end != user && (*end == '\0' || *end == ':')) {
    m->uid = NEW_MSG(Runtime__V1__Int64Value, runtime__v1__int64_value__init);
    m->uid->value = uid;
  } else {
    m->username = xasprintf("%.*s", (int) strcspn(user, ":"), user);
  }
}

static Runtime__V1__Image *image_to_cri(const engine_image *img)
{
  Runtime__V1__Image *m = NEW_MSG(Runtime__V1__Image, runtime__v1__image__init);
  m->id = xstrdup(img->id ? img->id : "");
  m->repo_tags = cri_strv_dup(&img->repo_tags, &m->n_repo_tags);
  m->repo_digests = cri_strv_dup(&img->repo_digests, &m->n_repo_digests);
  m->size = img->size > 0 ? (uint64_t)img->size : 0;
  image_user(m, img->user);
  if (!m->username)
    m->username = xstrdup("");
  m->spec = NEW_MSG(Runtime__V1__ImageSpec, runtime__v1__image_spec__init);
  m->spec->image = xstrdup(img->id ? img->id : "");
  return m;
}

/* ImageStatus's verbose info "info": the image's config and where it is. */
static char *image_info(const engine_image *img)
{
  json_t *cfg = img->config ? json_loads(img->config, 0, NULL) : NULL;
  json_t *layers = json_array();
  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new(layers, json_string(img->layers[i].diff_id));
  json_t *o =
      json_pack("{s:s?, s:o, s:o, s:s?}", "digest", img->digest, "imageSpec",
                cfg ? cfg : json_object(), "layers", layers, "mediaType", img->manifest_media_type);
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

static int list_all(engine *e, Runtime__V1__ListImagesResponse *r, crio_err **err)
{
  engine_images list = {0};
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
static int list_one(engine *e, const char *name, Runtime__V1__ListImagesResponse *r, crio_err **err)
{
  engine_image img = {0};
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
  const Runtime__V1__ListImagesRequest *q = (const Runtime__V1__ListImagesRequest *)req;
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
  const Runtime__V1__ImageStatusRequest *q = (const Runtime__V1__ImageStatusRequest *)req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "ImageStatus: image spec is empty");
  engine_image img = {0};
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
    if (q->verbose)
      INFO_ADD(r, Runtime__V1__ImageStatusResponse__InfoEntry,
               runtime__v1__image_status_response__info_entry__init, "info", image_info(&img));
    engine_image_clear(&img);
  }
  *resp = &r->base;
  return 0;
}

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
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[n] = '\0';
  return out;
}

static int h_pull_image(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                        crio_err **err)
{
  const Runtime__V1__PullImageRequest *q = (const Runtime__V1__PullImageRequest *)req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "PullImage: image spec is empty");
  engine_pull_opts o = {.reference = q->image->image, .tls_verify = -1};
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
                            "PullImage %s: auth is not base64 of user:password", q->image->image);
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

static int h_remove_image(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                          crio_err **err)
{
  const Runtime__V1__RemoveImageRequest *q = (const Runtime__V1__RemoveImageRequest *)req;
  if (!q->image || !q->image->image || !*q->image->image)
    return crio_err_set(err, CRIO_E_INVALID, "RemoveImage: image spec is empty");
  engine_strv untagged = {0}, deleted = {0};
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
  *resp =
      &NEW_MSG(Runtime__V1__RemoveImageResponse, runtime__v1__remove_image_response__init)->base;
  return 0;
}

/* The bytes images and containers' writable layers hold. */
static int store_usage(engine *e, uint64_t *images_used, uint64_t *containers_used, crio_err **err)
{
  engine_images imgs = {0};
  if (engine_image_list(e, NULL, &imgs, err) < 0)
    return -1;
  for (size_t i = 0; i < imgs.n; i++)
    if (imgs.items[i].size > 0)
      *images_used += (uint64_t)imgs.items[i].size;
  engine_images_clear(&imgs);
  engine_containers ctrs = {0};
  if (engine_container_list(e, true, true, NULL, &ctrs, err) < 0)
    return -1;
  for (size_t i = 0; i < ctrs.n; i++)
    if (ctrs.items[i].size_rw > 0)
      *containers_used += (uint64_t)ctrs.items[i].size_rw;
  engine_containers_clear(&ctrs);
  return 0;
}

static int h_image_fs_info(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                           crio_err **err)
{
  (void)req;
  engine_info info = {0};
  if (engine_info_get(e, &info, err) < 0)
    return -1;
  _cleanup_free_ char *mountpoint = xasprintf("%s/overlay", info.root ? info.root : "");
  engine_info_clear(&info);
  uint64_t images_used = 0, containers_used = 0;
  if (store_usage(e, &images_used, &containers_used, err) < 0)
    return -1;
  int64_t ts = cri_now_ns();
  Runtime__V1__ImageFsInfoResponse *r =
      NEW_MSG(Runtime__V1__ImageFsInfoResponse, runtime__v1__image_fs_info_response__init);
  r->n_image_filesystems = 1;
  r->image_filesystems = xmalloc(sizeof *r->image_filesystems);
  r->image_filesystems[0] = cri_fs_usage(ts, mountpoint, images_used);
  r->n_container_filesystems = 1;
  r->container_filesystems = xmalloc(sizeof *r->container_filesystems);
  r->container_filesystems[0] = cri_fs_usage(ts, mountpoint, containers_used);
  *resp = &r->base;
  return 0;
}

#define IS "/runtime.v1.ImageService/"

static const cri_method methods[] = {
    CRI_CALL(IS "ListImages", runtime__v1__list_images_request__descriptor, h_list_images),
    CRI_LIST_STREAM(IS "StreamImages", runtime__v1__list_images_request__descriptor, h_list_images,
                    runtime__v1__stream_images_response__descriptor, false),
    CRI_CALL(IS "ImageStatus", runtime__v1__image_status_request__descriptor, h_image_status),
    CRI_BLOCKING_CALL(IS "PullImage", runtime__v1__pull_image_request__descriptor, h_pull_image),
    CRI_CALL(IS "RemoveImage", runtime__v1__remove_image_request__descriptor, h_remove_image),
    CRI_BLOCKING_CALL(IS "ImageFsInfo", runtime__v1__image_fs_info_request__descriptor,
                      h_image_fs_info),
};

CRI_METHOD_TABLE(cri_image_methods)
