#include "server/image/layer_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *layer_dir(const char *overlay_root, const char *chain_hex)
{
  return xasprintf("%s/layers/%s", overlay_root, chain_hex);
}

char *layer_diff_dir(const char *overlay_root, const char *chain_hex)
{
  return xasprintf("%s/layers/%s/diff", overlay_root, chain_hex);
}

char *layer_blob_path(const char *overlay_root, const char *chain_hex)
{
  return xasprintf("%s/layers/%s/blob", overlay_root, chain_hex);
}

bool layer_exists(const char *overlay_root, const char *chain_hex)
{
  _cleanup_free_ char *diff = layer_diff_dir(overlay_root, chain_hex);
  struct stat st;
  return stat(diff, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Removes every entry of dir for which keep() is false (keep NULL: all). */
static int remove_entries(const char *dir, bool (*keep)(const char *, void *), void *data,
                          crio_err **err)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : crio_err_errno(err, CRIO_E_IO, errno, "open %s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (keep && keep(de->d_name, data))
      continue;
    _cleanup_free_ char *path = path_join(dir, de->d_name);
    if (rm_rf_at(path, err) < 0)
      return -1;
  }
  return 0;
}

int layer_store_init(const char *overlay_root, crio_err **err)
{
  static const char *const subdirs[] = { "layers", "staging", "containers" };
  for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
    _cleanup_free_ char *d = path_join(overlay_root, subdirs[i]);
    if (mkdir_p(d, 0700, err) < 0)
      return -1;
  }
  _cleanup_free_ char *staging = path_join(overlay_root, "staging");
  return remove_entries(staging, NULL, NULL, err);
}

int layer_store_remove_unknown(const char *overlay_root, bool (*known)(const char *hex, void *data),
                               void *data, crio_err **err)
{
  _cleanup_free_ char *layers = path_join(overlay_root, "layers");
  return remove_entries(layers, known, data, err);
}

int layer_staging_new(const char *overlay_root, char **out, crio_err **err)
{
  _cleanup_free_ char *dir = xasprintf("%s/staging/layer-XXXXXX", overlay_root);
  if (!mkdtemp(dir))
    return crio_err_errno(err, CRIO_E_IO, errno, "create staging directory in %s/staging",
                          overlay_root);
  _cleanup_free_ char *diff = path_join(dir, "diff");
  if (mkdir(diff, 0755) < 0) {
    int e = errno;
    rmdir(dir);
    return crio_err_errno(err, CRIO_E_IO, e, "mkdir %s", diff);
  }
  *out = steal_pointer(&dir);
  return 0;
}

int layer_staging_commit(const char *overlay_root, const char *staging, const char *chain_hex,
                         bool *existed, crio_err **err)
{
  *existed = false;
  _cleanup_close_ int fd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* The layer's files reach the disk before the store says the layer exists. */
  if (fd < 0 || syncfs(fd) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "sync %s", staging);
  _cleanup_free_ char *target = layer_dir(overlay_root, chain_hex);
  if (rename(staging, target) == 0)
    return 0;
  if (errno != EEXIST && errno != ENOTEMPTY)
    return crio_err_errno(err, CRIO_E_IO, errno, "rename %s to %s", staging, target);
  *existed = true;
  return rm_rf_at(staging, err);
}

int layer_remove(const char *overlay_root, const char *chain_hex, crio_err **err)
{
  _cleanup_free_ char *dir = layer_dir(overlay_root, chain_hex);
  return rm_rf_at(dir, err);
}
