#include "server/image/overlay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* overlayfs splits its options at ',' and lowerdir at ':'; such paths cannot be
 * passed (and never occur in the layer store, whose names are hex). */
static int check_path(const char *p, crio_err **err)
{
  if (strpbrk(p, ",:"))
    return crio_err_set(err, CRIO_E_INVALID, "overlay path %s contains ',' or ':'", p);
  return 0;
}

int overlay_mount(char *const *lower, size_t n_lower, const char *upper, const char *work,
                  const char *target, crio_err **err)
{
  if (n_lower == 0)
    return crio_err_set(err, CRIO_E_INVALID, "overlay mount of %s: no lower layers", target);
  if (!upper && n_lower == 1) {
    if (mount(lower[0], target, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "bind mount %s on %s", lower[0], target);
    return 0;
  }
  _cleanup_strbuf_ strbuf opts = STRBUF_INIT;
  strbuf_puts(&opts, "lowerdir=");
  for (size_t i = 0; i < n_lower; i++) {
    if (check_path(lower[i], err) < 0)
      return -CRIO_E_INVALID;
    strbuf_printf(&opts, "%s%s", i ? ":" : "", lower[i]);
  }
  if (upper) {
    if (check_path(upper, err) < 0 || check_path(work, err) < 0)
      return -CRIO_E_INVALID;
    strbuf_printf(&opts, ",upperdir=%s,workdir=%s", upper, work);
  }
  long page = sysconf(_SC_PAGESIZE);
  if ((long) opts.len >= page)
    return crio_err_set(err, CRIO_E_INVALID,
                        "overlay mount of %s: %zu layers make options of %zu bytes, over the "
                        "kernel's limit of %ld",
                        target, n_lower, opts.len, page - 1);
  if (mount("overlay", target, "overlay", upper ? 0 : MS_RDONLY, opts.data) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "mount overlay on %s", target);
  return 0;
}

int overlay_unmount(const char *target, crio_err **err)
{
  if (umount2(target, UMOUNT_NOFOLLOW) == 0)
    return 0;
  if (errno == EINVAL || errno == ENOENT)
    return 0;  /* not a mount point (any more) */
  if (errno == EBUSY && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
    return 0;
  return crio_err_errno(err, CRIO_E_IO, errno, "unmount %s", target);
}

int overlay_is_mounted(const char *path)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  int found = 0;
  while (!found && getline(&line, &cap, f) > 0) {
    /* id parent major:minor root mountpoint ... */
    char mnt[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, path) == 0)
      found = 1;
  }
  free(line);
  return found;
}
