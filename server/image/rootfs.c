/* Container root filesystems: overlays of image layers (layer_store.h). */
#include "server/image/layer_store.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "server/image/fsutil.h"
#include "server/image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char *ctr_dir(const char *overlay_root, const char *ctr_id)
{
  return xasprintf("%s/containers/%s", overlay_root, ctr_id);
}

char *rootfs_upper_dir(const char *overlay_root, const char *ctr_id)
{
  return xasprintf("%s/containers/%s/upper", overlay_root, ctr_id);
}

char *rootfs_merged_dir(const char *overlay_root, const char *ctr_id)
{
  return xasprintf("%s/containers/%s/merged", overlay_root, ctr_id);
}

int rootfs_mount(const char *overlay_root, const char *ctr_id, char *const *lower,
                 size_t n_lower, char **merged_out, crio_err **err)
{
  _cleanup_free_ char *dir = ctr_dir(overlay_root, ctr_id);
  _cleanup_free_ char *upper = path_join(dir, "upper");
  _cleanup_free_ char *work = path_join(dir, "work");
  _cleanup_free_ char *merged = path_join(dir, "merged");
  if (!overlay_is_mounted(merged) &&
      overlay_mount(lower, n_lower, upper, work, merged, err) < 0)
    return crio_err_wrap(err, "mount rootfs of container %s", ctr_id);
  if (merged_out)
    *merged_out = steal_pointer(&merged);
  return 0;
}

int rootfs_create(const char *overlay_root, const char *ctr_id, char *const *lower,
                  size_t n_lower, char **merged_out, crio_err **err)
{
  _cleanup_free_ char *dir = ctr_dir(overlay_root, ctr_id);
  static const char *const subdirs[] = { "upper", "work", "merged" };
  if (mkdir(dir, 0700) < 0)
    return crio_err_errno(err, errno == EEXIST ? CRIO_E_EXISTS : CRIO_E_IO, errno, "mkdir %s",
                          dir);
  for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
    _cleanup_free_ char *sub = path_join(dir, subdirs[i]);
    if (mkdir(sub, 0755) < 0) {
      int e = errno;
      rm_rf_at(dir, NULL);
      return crio_err_errno(err, CRIO_E_IO, e, "mkdir %s", sub);
    }
  }
  if (rootfs_mount(overlay_root, ctr_id, lower, n_lower, merged_out, err) < 0) {
    rm_rf_at(dir, NULL);
    return -1;
  }
  return 0;
}

int rootfs_unmount(const char *overlay_root, const char *ctr_id, crio_err **err)
{
  _cleanup_free_ char *merged = xasprintf("%s/containers/%s/merged", overlay_root, ctr_id);
  return overlay_unmount(merged, err);
}

int rootfs_remove(const char *overlay_root, const char *ctr_id, crio_err **err)
{
  if (rootfs_unmount(overlay_root, ctr_id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = ctr_dir(overlay_root, ctr_id);
  return rm_rf_at(dir, err);
}
