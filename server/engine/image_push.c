/* Push: the image's blobs the registry lacks, then its manifest unchanged. */
#include "server/engine/engine_image_internal.h"
#include "server/engine/registry_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/image/layer_store.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

typedef struct push_ctx {
  engine *e;
  const engine_push_opts *opts;
  engine_progress_fn fn;
  void *data;
  registry_client *rc;
  char *repo;
} push_ctx;

static void progress(push_ctx *p, const char *status, const char *layer, int64_t size)
{
  engine_progress ev = { .status = status, .layer = layer, .current = size, .total = size };
  if (p->fn)
    p->fn(&ev, p->data);
}

static int push_blob(push_ctx *p, const char *digest, const char *path, int64_t size,
                     crio_err **err)
{
  bool exists = false;
  if (registry_blob_exists(p->rc, p->repo, digest, &exists, err) < 0)
    return -1;
  if (exists) {
    progress(p, "exists", digest, size);
    return 0;
  }
  progress(p, "pushing", digest, size);
  if (registry_put_blob(p->rc, p->repo, digest, path, p->opts->chunk_size, err) < 0)
    return -1;
  progress(p, "pushed", digest, size);
  return 0;
}

/* The config goes up from a temporary file, as the client uploads files. */
static int push_config(push_ctx *p, const store_image *img, const char *digest, crio_err **err)
{
  _cleanup_free_ char *tmp = xasprintf("%s/staging/config-XXXXXX", p->e->overlay_root);
  _cleanup_close_ int fd = mkstemp(tmp);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", tmp);
  size_t len = strlen(img->config);
  int r = write(fd, img->config, len) == (ssize_t) len
              ? push_blob(p, digest, tmp, (int64_t) len, err)
              : crio_err_errno(err, CRIO_E_IO, errno, "write %s", tmp);
  unlink(tmp);
  return r;
}

static int push_run(push_ctx *p, const store_image *img, const image_ref *dest, char **digest_out,
                    crio_err **err)
{
  image_manifest man;
  const char *mt_hint = NULL;
  _cleanup_free_ char *mt = NULL;
  manifest_kind kind;
  if (manifest_kind_of(mt_hint, img->manifest, strlen(img->manifest), &kind, &mt, err) < 0 ||
      manifest_parse(img->manifest, strlen(img->manifest), mt, &man, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i < img->n_layers; i++) {
    _cleanup_free_ char *blob = layer_blob_path(p->e->overlay_root, img->layers[i].id);
    r = push_blob(p, man.layers[i].digest, blob, man.layers[i].size, err);
  }
  if (r == 0)
    r = push_config(p, img, man.config.digest, err);
  if (r == 0) {
    progress(p, "writing", NULL, 0);
    r = registry_put_manifest(p->rc, p->repo, dest->digest ? dest->digest : dest->tag, mt,
                              img->manifest, strlen(img->manifest), digest_out, err);
  }
  image_manifest_clear(&man);
  return r;
}

int engine_image_push(engine *e, const engine_push_opts *opts, engine_progress_fn fn, void *data,
                      char **digest_out, crio_err **err)
{
  store_image *img = NULL;
  if (image_lookup(e, opts->name, &img, err) < 0)
    return -1;
  const char *dest_name = opts->destination && opts->destination[0] ? opts->destination
                          : img->n_repo_tags && !strchr(opts->name, '/') && !strchr(opts->name, ':')
                              ? img->repo_tags[0] : opts->name;
  image_ref dest;
  if (image_ref_parse(dest_name, &dest, err) < 0) {
    store_image_free(img);
    return crio_err_wrap(err, "push destination");
  }
  registry_settings s;
  registry_settings_get(e, &opts->creds, &s);
  push_ctx p = { .e = e, .opts = opts, .fn = fn, .data = data };
  int r = registry_open_for_push(&s, &dest, opts->tls_verify, &opts->creds, &p.rc, &p.repo, err);
  if (r == 0)
    r = push_run(&p, img, &dest, digest_out, err);
  if (r < 0)
    crio_err_wrap(err, "push %s", dest_name);
  registry_client_free(p.rc);
  free(p.repo);
  registry_settings_clear(&s);
  image_ref_clear(&dest);
  store_image_free(img);
  return r;
}
