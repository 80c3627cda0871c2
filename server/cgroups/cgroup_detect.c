#include "cgroup_detect.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static bool is_fs(const char *path, long magic)
{
  struct statfs st;
  return statfs(path, &st) == 0 && st.f_type == magic;
}

cgroup_layout cgroup_detect(const char *mount)
{
  cgroup_layout l = { .version = 1, .hybrid = false };
  if (is_fs(mount, CGROUP2_SUPER_MAGIC)) {
    l.version = 2;
    return l;
  }
  _cleanup_free_ char *unified = xasprintf("%s/unified", mount);
  l.hybrid = is_fs(unified, CGROUP2_SUPER_MAGIC);
  return l;
}
