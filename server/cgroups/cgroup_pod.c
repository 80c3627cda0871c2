#include "cgroup_pod.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_detect.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define DEFAULT_PARENT "/crio-c"
#define MOUNTINFO "/proc/self/mountinfo"

/* ----------------------------------------------------------------- paths */

char *cgroup_pod_path(const char *parent, const char *pod_id)
{
  if (!parent || !*parent)
    parent = DEFAULT_PARENT;
  size_t len = strlen(parent);
  while (len > 0 && parent[len - 1] == '/')
    len--;
  return xasprintf("%s%.*s/pod-%s", parent[0] == '/' ? "" : "/", (int)len, parent, pod_id);
}

char *cgroup_container_path(const char *pod_path, const char *ctr_id)
{
  size_t len = strlen(pod_path);
  while (len > 0 && pod_path[len - 1] == '/')
    len--;
  return xasprintf("%.*s/ctr-%s", (int)len, pod_path, ctr_id);
}

static int validate_cgroup_path(const char *what, const char *path, bool allow_root, crio_err **err)
{
  if (!path || path[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "%s: cgroup path %s is not absolute", what,
                        path ? path : "(null)");
  for (const char *c = path; *c;) {
    while (*c == '/')
      c++;
    size_t len = strcspn(c, "/");
    if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
      return crio_err_set(err, CRIO_E_INVALID, "%s: cgroup path %s has a . or .. component", what,
                          path);
    c += len;
  }
  if (!allow_root && path[strspn(path, "/")] == '\0')
    return crio_err_set(err, CRIO_E_INVALID, "%s: refusing the root cgroup", what);
  return 0;
}

/* -------------------------------------------------------------- mountinfo */

typedef struct cg_mount {
  char *dev;  /* major:minor, the same for every mount of one hierarchy */
  char *root; /* the cgroup at the mount's root ("/" unless namespaced) */
  char *mountpoint;
  char *opts; /* super options: "rw,cpu,cpuacct"; "rw" for cgroup2 */
  bool v2;
} cg_mount;

typedef struct cg_mounts {
  cg_mount *m;
  size_t n;
} cg_mounts;

static void cg_mount_free(cg_mount *m)
{
  free(m->dev);
  free(m->root);
  free(m->mountpoint);
  free(m->opts);
}

static void cg_mounts_free(cg_mounts *ms)
{
  for (size_t i = 0; i < ms->n; i++)
    cg_mount_free(&ms->m[i]);
  free(ms->m);
  ms->m = NULL;
  ms->n = 0;
}
#define _cleanup_cg_mounts_ __attribute__((cleanup(cg_mounts_free)))

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static char *unescape(const char *s)
{
  char *out = xmalloc(strlen(s) + 1), *o = out;
  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
        s[3] <= '7') {
      *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 4;
    } else {
      *o++ = *s++;
    }
  }
  *o = '\0';
  return out;
}

/* One line: "id parent maj:min root mountpoint opts [optional...] - fstype
 * source superopts". Returns false for lines that are not cgroup mounts. */
static bool parse_mount_line(char *line, cg_mount *out)
{
  char *sep = strstr(line, " - ");
  if (!sep)
    return false;
  *sep = '\0';
  char *save = NULL, *f[5];
  for (int i = 0; i < 5; i++)
    if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
      return false;
  char *save2 = NULL;
  char *fstype = strtok_r(sep + 3, " \n", &save2);
  char *source = fstype ? strtok_r(NULL, " \n", &save2) : NULL;
  char *super = source ? strtok_r(NULL, " \n", &save2) : NULL;
  if (!super)
    return false;
  bool v2 = strcmp(fstype, "cgroup2") == 0;
  if (!v2 && strcmp(fstype, "cgroup") != 0)
    return false;
  *out = (cg_mount){xstrdup(f[2]), unescape(f[3]), unescape(f[4]), xstrdup(super), v2};
  return true;
}

/* The cgroup mounts, one per hierarchy (the first mount of each). */
static int cg_mounts_read(cg_mounts *ms, crio_err **err)
{
  _cleanup_fclose_ FILE *f = fopen(MOUNTINFO, "re");
  if (!f)
    return crio_err_errno(err, CRIO_E_IO, errno, "open %s", MOUNTINFO);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    cg_mount m;
    if (!parse_mount_line(line, &m))
      continue;
    bool dup = false;
    for (size_t i = 0; i < ms->n && !dup; i++)
      dup = strcmp(ms->m[i].dev, m.dev) == 0;
    if (dup) {
      cg_mount_free(&m);
      continue;
    }
    ms->m = xrealloc(ms->m, (ms->n + 1) * sizeof *ms->m);
    ms->m[ms->n++] = m;
  }
  return 0;
}

/* The directory of cgroup `path` in mount m; NULL when the cgroup lies
 * outside the part of the hierarchy that m shows. */
static char *mount_dir(const cg_mount *m, const char *path)
{
  const char *rel = path;
  if (strcmp(m->root, "/") != 0) {
    size_t rl = strlen(m->root);
    if (strncmp(path, m->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
      return NULL;
    rel = path + rl;
  }
  while (*rel == '/')
    rel++;
  size_t ml = strlen(m->mountpoint);
  while (ml > 1 && m->mountpoint[ml - 1] == '/')
    ml--;
  if (!*rel)
    return xstrndup(m->mountpoint, ml);
  return xasprintf("%.*s/%s", (int)ml, m->mountpoint, rel);
}

static bool opts_have(const char *opts, const char *controller)
{
  size_t cl = strlen(controller);
  for (const char *o = opts; *o;) {
    size_t len = strcspn(o, ",");
    if (len == cl && strncmp(o, controller, cl) == 0)
      return true;
    o += len + (o[len] == ',');
  }
  return false;
}

/* Whether the v2 hierarchy at m offers controller (its root's
 * cgroup.controllers, a space-separated list). */
static bool v2_has(const cg_mount *m, const char *controller)
{
  _cleanup_free_ char *file = path_join(m->mountpoint, "cgroup.controllers");
  _cleanup_free_ char *data = NULL;
  if (read_file(file, &data, NULL, NULL) < 0)
    return false;
  size_t cl = strlen(controller);
  for (char *w = data; *w;) {
    w += strspn(w, " \n");
    size_t len = strcspn(w, " \n");
    if (len == cl && strncmp(w, controller, cl) == 0)
      return true;
    w += len;
  }
  return false;
}

static const cg_mount *find_controller(const cg_mounts *ms, const char *controller)
{
  bool unified = strcmp(controller, "unified") == 0;
  for (size_t i = 0; i < ms->n; i++)
    if (!unified && !ms->m[i].v2 && opts_have(ms->m[i].opts, controller))
      return &ms->m[i];
  for (size_t i = 0; i < ms->n; i++)
    if (ms->m[i].v2 && (unified || v2_has(&ms->m[i], controller)))
      return &ms->m[i];
  return NULL;
}

int cgroup_controller_dir(const char *controller, const char *cgroup_path, char **dir_out,
                          crio_err **err)
{
  if (!controller || !*controller || strchr(controller, ','))
    return crio_err_set(err, CRIO_E_INVALID, "invalid cgroup controller \"%s\"",
                        controller ? controller : "(null)");
  int r = validate_cgroup_path("find cgroup directory", cgroup_path, true, err);
  if (r < 0)
    return r;
  _cleanup_cg_mounts_ cg_mounts ms = {NULL, 0};
  r = cg_mounts_read(&ms, err);
  if (r < 0)
    return r;
  const cg_mount *m = find_controller(&ms, controller);
  if (!m)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "no mounted cgroup hierarchy has controller %s",
                        controller);
  char *dir = mount_dir(m, cgroup_path);
  if (!dir)
    return crio_err_set(err, CRIO_E_NOT_FOUND,
                        "cgroup %s is outside the %s hierarchy mounted at %s (root %s)",
                        cgroup_path, controller, m->mountpoint, m->root);
  *dir_out = dir;
  return 0;
}

/* ---------------------------------------------------------------- remove */

/* rmdir, retried briefly on EBUSY: a cgroup stays busy for a moment after
 * its last process has been killed. */
static int rmdir_cgroup(const char *dir, crio_err **err)
{
  for (int attempt = 0;; attempt++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return crio_err_errno(err, CRIO_E_IO, errno, "remove cgroup %s", dir);
    if (attempt == 4)
      return crio_err_errno(err, CRIO_E_BUSY, EBUSY, "remove cgroup %s: processes are still inside",
                            dir);
    struct timespec ts = {0, 10000000L << attempt};
    nanosleep(&ts, NULL);
  }
}

/* Removes dir's child cgroups, deepest first, then dir. A child that stays
 * (busy) keeps its ancestors: their rmdir could only fail. */
static int remove_tree(const char *dir, crio_err **err)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT)
      return 0;
    return crio_err_errno(err, CRIO_E_IO, errno, "open cgroup %s", dir);
  }
  int ret = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    _cleanup_free_ char *child = path_join(dir, e->d_name);
    struct stat st;
    bool is_dir = e->d_type == DT_DIR ||
                  (e->d_type == DT_UNKNOWN && lstat(child, &st) == 0 && S_ISDIR(st.st_mode));
    if (!is_dir)
      continue;
    int r = remove_tree(child, err);
    if (r < 0 && ret == 0)
      ret = r;
  }
  return ret < 0 ? ret : rmdir_cgroup(dir, err);
}

int cgroup_pod_remove(const char *pod_path, crio_err **err)
{
  int r = validate_cgroup_path("remove pod cgroup", pod_path, false, err);
  if (r < 0)
    return r;
  _cleanup_cg_mounts_ cg_mounts ms = {NULL, 0};
  r = cg_mounts_read(&ms, err);
  if (r < 0)
    return r;
  int ret = 0;
  for (size_t i = 0; i < ms.n; i++) {
    _cleanup_free_ char *dir = mount_dir(&ms.m[i], pod_path);
    if (!dir)
      continue;
    r = remove_tree(dir, err);
    if (r < 0 && ret == 0)
      ret = r;
  }
  return ret;
}

/* ------------------------------------------------------------------ read */

int cgroup_read_int64(const char *dir, const char *file, int64_t *out, crio_err **err)
{
  _cleanup_free_ char *path = path_join(dir, file);
  _cleanup_free_ char *data = NULL;
  int r = read_file(path, &data, NULL, err);
  if (r < 0)
    return r;
  size_t len = strlen(data);
  while (len > 0 && isspace((unsigned char)data[len - 1]))
    data[--len] = '\0';
  if (strcmp(data, "max") == 0) {
    *out = -1;
    return 0;
  }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(data, &end, 10);
  if (len == 0 || errno || *end)
    return crio_err_set(err, CRIO_E_IO, "read %s: \"%.32s\" is not an integer", path, data);
  *out = v;
  return 0;
}

bool cgroup_is_v2(void)
{
  return cgroup_detect("/sys/fs/cgroup").version == 2;
}
