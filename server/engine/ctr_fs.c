/* Container filesystems: mount, unmount, changes, export, copy in and out. */
#include "server/engine/ctr_internal.h"
#include "server/engine/engine_image_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/image/layer_store.h"
#include "server/image/overlay.h"
#include "server/image/rootfs_archive.h"
#include "server/image/rootfs_diff.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

char **ctr_lower_dirs(engine *e, const store_container *row, size_t *n, crio_err **err)
{
  store_image *img = NULL;
  if (!row->image_id || store_image_get(e->store, row->image_id, &img, err) < 0)
    return NULL;
  *n = img->n_layers;
  char **lower = xzalloc((*n + 1) * sizeof *lower);
  for (size_t i = 0; i < *n; i++)
    lower[i] = layer_diff_dir(e->overlay_root, img->layers[*n - 1 - i].id);
  store_image_free(img);
  return lower;
}

static void strs_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static char *merged_dir(engine *e, const char *id)
{
  return xasprintf("%s/containers/%s/merged", e->overlay_root, id);
}

int engine_container_mount(engine *e, const char *ref, char **path, char **id_out,
                           crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  int r = ctr_mount_rootfs(e, c, err);
  if (r == 0) {
    *path = merged_dir(e, c->id);
    if (id_out)
      *id_out = xstrdup(c->id);
  }
  store_container_free(c);
  return r;
}

int engine_container_unmount(engine *e, const char *ref, char **id_out, crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  int r = 0;
  if (c->state == STORE_CTR_RUNNING || c->state == STORE_CTR_PAUSED || c->state == STORE_CTR_CREATED)
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is %s: its rootfs stays mounted",
                     c->name, ctr_state_name(c->state));
  if (r == 0)
    r = rootfs_unmount(e->overlay_root, c->id, err);
  if (r == 0 && id_out)
    *id_out = xstrdup(c->id);
  store_container_free(c);
  return r;
}

int engine_container_changes(engine *e, const char *ref, engine_change **out, size_t *n,
                             crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  size_t n_lower = 0;
  char **lower = ctr_lower_dirs(e, c, &n_lower, err);
  _cleanup_free_ char *upper = rootfs_upper_dir(e->overlay_root, c->id);
  rootfs_change *changes = NULL;
  int r = lower ? rootfs_diff(upper, lower, n_lower, &changes, n, err) : -1;
  if (r == 0) {
    *out = xzalloc((*n + 1) * sizeof **out);
    for (size_t i = 0; i < *n; i++)
      (*out)[i] = (engine_change) { .kind = changes[i].kind, .path = xstrdup(changes[i].path) };
    rootfs_changes_free(changes, *n);
  }
  strs_free(lower, n_lower);
  store_container_free(c);
  return r;
}

void engine_changes_free(engine_change *c, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(c[i].path);
  free(c);
}

/* The container's mounted root for the streaming calls. */
static int fs_root(engine *e, const char *ref, char **root, crio_err **err)
{
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  int r = ctr_mount_rootfs(e, c, err);
  if (r == 0)
    *root = merged_dir(e, c->id);
  store_container_free(c);
  return r;
}

int engine_container_fs_check(engine *e, const char *ref, crio_err **err)
{
  _cleanup_free_ char *root = NULL;
  return fs_root(e, ref, &root, err);
}

int engine_container_export(engine *e, const char *ref, int fd, crio_err **err)
{
  _cleanup_free_ char *root = NULL;
  return fs_root(e, ref, &root, err) < 0 ? -1 : rootfs_export(root, fd, err);
}

int engine_container_copy_out(engine *e, const char *ref, const char *path, int fd,
                              crio_err **err)
{
  _cleanup_free_ char *root = NULL;
  return fs_root(e, ref, &root, err) < 0 ? -1 : rootfs_copy_out(root, path, fd, err);
}

int engine_container_copy_in(engine *e, const char *ref, const char *dir, int fd, crio_err **err)
{
  _cleanup_free_ char *root = NULL;
  return fs_root(e, ref, &root, err) < 0 ? -1 : rootfs_copy_in(root, dir, fd, err);
}
