/* A privileged container gets the host's device nodes, as CRI-O and podman
 * give it (runc's HostDevices): every character and block device under
 * /dev, but not the pseudo-terminal, shared-memory and queue mounts that
 * the container has its own of, nor the host's console. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "server/runtime/oci_spec_internal.h"
#include "util/fs.h"
#include "util/xalloc.h"

static bool skipped_dir(const char *name)
{
  static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts",
                                      ".udev" };
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (strcmp(name, skip[i]) == 0)
      return true;
  return false;
}

static bool listed(const json_t *devices, const char *path)
{
  size_t i;
  json_t *d;
  json_array_foreach(devices, i, d)
    if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0)
      return true;
  return false;
}

static void add_node(json_t *devices, const char *path, const struct stat *st)
{
  if ((!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode)) || strcmp(path, "/dev/console") == 0 ||
      listed(devices, path))
    return;
  json_array_append_new(
      devices, json_pack("{s:s, s:s, s:I, s:I, s:i, s:I, s:I}", "path", path, "type",
                         S_ISCHR(st->st_mode) ? "c" : "b", "major",
                         (json_int_t) major(st->st_rdev), "minor", (json_int_t) minor(st->st_rdev),
                         "fileMode", (int) (st->st_mode & 07777), "uid", (json_int_t) st->st_uid,
                         "gid", (json_int_t) st->st_gid));
}

static void walk(json_t *devices, const char *dir, int depth)
{
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
      continue;
    char *path = path_join(dir, de->d_name);
    struct stat st;
    if (lstat(path, &st) == 0) {
      if (S_ISDIR(st.st_mode) && depth < 8 && !skipped_dir(de->d_name))
        walk(devices, path, depth + 1);
      else
        add_node(devices, path, &st);
    }
    free(path);
  }
  closedir(d);
}

void oci_host_devices(json_t *devices)
{
  walk(devices, "/dev", 0);
}
