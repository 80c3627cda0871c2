/* Metadata of extracted layer entries: owners, modes, xattrs, times, and the
 * overlayfs opaque marker. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "server/image/layer_write.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define OVERLAY_XATTR_PREFIX "trusted.overlay."

bool layer_is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int layer_set_opaque(int dirfd, const char *entry, const char *path, crio_err **err)
{
  if (fsetxattr(dirfd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": set %s on \"%s\"", entry,
                          OVERLAY_OPAQUE_XATTR, *path ? path : "/");
  return 0;
}

void layer_entry_times(struct archive_entry *e, struct timespec ts[2])
{
  ts[0].tv_sec = ts[1].tv_sec = 0;
  ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
  if (archive_entry_mtime_is_set(e)) {
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    ts[0] = ts[1];
  }
  if (archive_entry_atime_is_set(e)) {
    ts[0].tv_sec = archive_entry_atime(e);
    ts[0].tv_nsec = archive_entry_atime_nsec(e);
  }
}

static bool has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* security.* the file system or LSM refuses, and user.* on symlinks and
 * devices (the kernel allows user xattrs on files and directories only). */
static bool xattr_skippable(const char *name, mode_t type, int errnum)
{
  if (errnum != EPERM && errnum != ENOTSUP && errnum != EOPNOTSUPP)
    return false;
  if (has_prefix(name, "security."))
    return true;
  return has_prefix(name, "user.") && type != AE_IFREG && type != AE_IFDIR;
}

typedef struct xattr_ref {
  const char *name;
  const void *value;
  size_t size;
} xattr_ref;

static int set_xattr(layer_entry_ctx *c, int fd, const char *proc, const xattr_ref *x,
                     crio_err **err)
{
  if (has_prefix(x->name, OVERLAY_XATTR_PREFIX)) {
    log_warn("layer entry \"%s\": xattr %s skipped: layers may not set overlayfs xattrs", c->raw,
             x->name);
    c->st->xattrs_skipped++;
    return 0;
  }
  int r = fd >= 0 ? fsetxattr(fd, x->name, x->value, x->size, 0)
                  : lsetxattr(proc, x->name, x->value, x->size, 0);
  if (r == 0)
    return 0;
  if (!xattr_skippable(x->name, archive_entry_filetype(c->e), errno))
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": set xattr %s", c->raw,
                          x->name);
  log_warn("layer entry \"%s\": xattr %s skipped: %s", c->raw, x->name, strerror(errno));
  c->st->xattrs_skipped++;
  return 0;
}

static int apply_xattrs(layer_entry_ctx *c, int fd, crio_err **err)
{
  int n = archive_entry_xattr_reset(c->e);
  if (n <= 0)
    return 0;
  _cleanup_free_ xattr_ref *list = xzalloc((size_t) n * sizeof *list);
  int count = 0;
  xattr_ref x;
  while (count < n && archive_entry_xattr_next(c->e, &x.name, &x.value, &x.size) == ARCHIVE_OK) {
    if (!x.name || !*x.name)
      continue;
    /* libarchive lists a name twice when a pax header holds it both as
     * LIBARCHIVE.xattr and SCHILY.xattr (its own writer does so). */
    bool dup = false;
    for (int i = 0; i < count && !dup; i++)
      dup = strcmp(list[i].name, x.name) == 0;
    if (!dup)
      list[count++] = x;
  }
  _cleanup_free_ char *proc = fd < 0 ? xasprintf("/proc/self/fd/%d/%s", c->pfd, c->base) : NULL;
  for (int i = 0; i < count; i++) {
    int r = set_xattr(c, fd, proc, &list[i], err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int entry_owner(layer_entry_ctx *c, uid_t *uid, gid_t *gid, crio_err **err)
{
  int64_t u = archive_entry_uid(c->e), g = archive_entry_gid(c->e);
  if (u < 0 || u >= (int64_t) UINT32_MAX || g < 0 || g >= (int64_t) UINT32_MAX)
    return crio_err_set(err, CRIO_E_INVALID, "layer entry \"%s\": invalid owner %lld:%lld", c->raw,
                        (long long) u, (long long) g);
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  return 0;
}

int layer_apply_meta(layer_entry_ctx *c, int fd, bool times, crio_err **err)
{
  uid_t uid = 0;
  gid_t gid = 0;
  int r = entry_owner(c, &uid, &gid, err);
  if (r < 0)
    return r;
  /* chown before chmod (chown clears setuid) and before xattrs (it clears
   * security.capability). */
  r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(c->pfd, c->base, uid, gid, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": chown %u:%u", c->raw,
                          (unsigned) uid, (unsigned) gid);
  if (archive_entry_filetype(c->e) != AE_IFLNK) {
    mode_t perm = archive_entry_perm(c->e) & 07777;
    r = fd >= 0 ? fchmod(fd, perm) : fchmodat(c->pfd, c->base, perm, AT_SYMLINK_NOFOLLOW);
    if (r < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": chmod %04o", c->raw,
                            (unsigned) perm);
  }
  r = apply_xattrs(c, fd, err);
  if (r < 0)
    return r;
  if (!times)
    return 0;
  struct timespec ts[2];
  layer_entry_times(c->e, ts);
  r = fd >= 0 ? futimens(fd, ts) : utimensat(c->pfd, c->base, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "layer entry \"%s\": set times", c->raw);
  return 0;
}
