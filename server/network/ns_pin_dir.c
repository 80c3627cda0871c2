/* Releasing the pins' directory when no pod uses it any more. */
#include "server/network/ns_pin.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static bool dir_is_empty(const char *path)
{
  _cleanup_closedir_ DIR *d = opendir(path);
  if (!d)
    return errno == ENOENT;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      return false;
  return true;
}

void ns_pin_dir_release(const char *ns_dir)
{
  static const char *const kinds[] = { "netns", "ipcns", "utsns" };
  for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
    _cleanup_free_ char *sub = xasprintf("%s/%s", ns_dir, kinds[i]);
    if (!dir_is_empty(sub))
      return;
  }
  /* not mounted (EINVAL) or gone (ENOENT) is fine */
  umount2(ns_dir, MNT_DETACH | UMOUNT_NOFOLLOW);
}
