/* The container's user from the image's /etc/passwd and /etc/group, read
 * inside the rootfs only, and the merge of the image's and the request's
 * environment. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/runtime/oci_spec.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ACCOUNT_FILE_MAX (16 * 1024 * 1024)

/* Opens rootfs/rel for reading with every symlink resolved inside rootfs.
 * Without openat2 (kernels before 5.6) no symlink is followed at all. */
static int open_in_root(int rootfd, const char *rel)
{
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int) syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS)
    return fd;
  _cleanup_close_ int dir = openat(rootfd, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return -1;
  const char *base = strrchr(rel, '/');
  return openat(dir, base ? base + 1 : rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
}

/* The whole of rootfs/rel ("etc/passwd"); a missing file gives *out NULL. */
static int read_in_root(const char *rootfs, const char *rel, char **out, crio_err **err)
{
  *out = NULL;
  _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open rootfs %s", rootfs);
  _cleanup_close_ int fd = open_in_root(rootfd, rel);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return 0;
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_INVALID, errno, "open /%s of the image in %s", rel, rootfs);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "stat /%s in %s", rel, rootfs);
  if (!S_ISREG(st.st_mode) || st.st_size > ACCOUNT_FILE_MAX)
    return crio_err_set(err, CRIO_E_INVALID, "/%s of the image in %s is not a regular file of at "
                        "most 16 MiB", rel, rootfs);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  char chunk[8192];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "read /%s in %s", rel, rootfs);
    strbuf_append(&b, chunk, (size_t) n);
  }
  *out = strbuf_steal(&b);
  return 0;
}

/* A uid or gid: decimal digits only, below 2^32 - 1 ((uid_t) -1 means "none"). */
static bool parse_id(const char *s, size_t len, uint32_t *out)
{
  if (len == 0 || len > 10)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t) (s[i] - '0');
  }
  if (v >= UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* Splits line (its own copy) at ':' into at most max fields; the count. */
static size_t split_fields(char *line, char **fields, size_t max)
{
  size_t n = 0;
  fields[n++] = line;
  for (char *p = line; *p && n < max; p++)
    if (*p == ':') {
      *p = '\0';
      fields[n++] = p + 1;
    }
  return n;
}

typedef struct account {
  char *name;
  uint32_t id;
  uint32_t gid;    /* passwd only */
  char *home;      /* passwd only */
} account;

static void account_clear(account *a)
{
  free(a->name);
  free(a->home);
  memset(a, 0, sizeof *a);
}

/* Finds the entry of name (when name) or of id in a passwd (is_passwd) or
 * group file's text. */
static bool account_find(const char *text, bool is_passwd, const char *name, uint32_t id, account *out)
{
  const char *line = text;
  while (line && *line) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t) (eol - line) : strlen(line);
    _cleanup_free_ char *copy = xstrndup(line, len);
    line = eol ? eol + 1 : NULL;
    char *f[7];
    size_t n = split_fields(copy, f, is_passwd ? 7 : 4);
    uint32_t fid, fgid = 0;
    if (copy[0] == '#' || copy[0] == '+' || copy[0] == '-' || n < (is_passwd ? 4u : 3u) ||
        !parse_id(f[2], strlen(f[2]), &fid) || (is_passwd && !parse_id(f[3], strlen(f[3]), &fgid)))
      continue;
    if (name ? strcmp(f[0], name) != 0 : fid != id)
      continue;
    out->name = xstrdup(f[0]);
    out->id = fid;
    out->gid = fgid;
    out->home = is_passwd && n >= 6 && f[5][0] ? xstrdup(f[5]) : NULL;
    return true;
  }
  return false;
}

/* The gids of the groups whose member list names user, except primary. */
static void supplementary_groups(const char *text, const char *user, gid_t primary, gid_t **out,
                                 size_t *n_out)
{
  gid_t *v = NULL;
  size_t n = 0;
  for (const char *line = text; user && line && *line;) {
    const char *eol = strchr(line, '\n');
    _cleanup_free_ char *copy = xstrndup(line, eol ? (size_t) (eol - line) : strlen(line));
    line = eol ? eol + 1 : NULL;
    char *f[4];
    uint32_t gid;
    if (copy[0] == '#' || split_fields(copy, f, 4) < 4 || !parse_id(f[2], strlen(f[2]), &gid) ||
        gid == primary)
      continue;
    char *save = NULL;
    for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
      if (strcmp(m, user) != 0)
        continue;
      bool seen = false;
      for (size_t i = 0; i < n; i++)
        seen = seen || v[i] == gid;
      if (!seen) {
        v = xrealloc(v, (n + 1) * sizeof *v);
        v[n++] = gid;
      }
    }
  }
  *out = v;
  *n_out = n;
}

static int resolve_group(const char *group_text, const char *group, gid_t *gid, crio_err **err)
{
  uint32_t id;
  if (parse_id(group, strlen(group), &id)) {
    *gid = id;
    return 0;
  }
  account g = { 0 };
  if (!group_text || !account_find(group_text, false, group, 0, &g))
    return crio_err_set(err, CRIO_E_INVALID, "group \"%s\" not found in /etc/group of the image",
                        group);
  *gid = g.id;
  account_clear(&g);
  return 0;
}

int oci_resolve_user(const char *rootfs, const char *user, uid_t *uid, gid_t *gid, gid_t **groups,
                     size_t *n_groups, char **home, crio_err **err)
{
  const char *spec = user && user[0] ? user : "0";
  const char *colon = strchr(spec, ':');
  _cleanup_free_ char *uname = colon ? xstrndup(spec, (size_t) (colon - spec)) : xstrdup(spec);
  const char *group = colon ? colon + 1 : NULL;
  if (!uname[0] || (group && !group[0]) || (group && strchr(group, ':')))
    return crio_err_set(err, CRIO_E_INVALID, "user \"%s\": expected user, user:group, uid or uid:gid",
                        spec);
  _cleanup_free_ char *passwd = NULL, *grp = NULL;
  int r = read_in_root(rootfs, "etc/passwd", &passwd, err);
  if (r == 0)
    r = read_in_root(rootfs, "etc/group", &grp, err);
  if (r < 0)
    return r;
  uint32_t id = 0;
  bool numeric = parse_id(uname, strlen(uname), &id);
  account pw = { 0 };
  bool found = passwd && account_find(passwd, true, numeric ? NULL : uname, id, &pw);
  if (!numeric && !found)
    return crio_err_set(err, CRIO_E_INVALID, "user \"%s\" not found in /etc/passwd of the image",
                        uname);
  gid_t g = found ? pw.gid : 0;
  if (group && (r = resolve_group(grp, group, &g, err)) < 0) {
    account_clear(&pw);
    return r;
  }
  *uid = found ? pw.id : id;
  *gid = g;
  if (groups)
    supplementary_groups(grp, found ? pw.name : NULL, g, groups, n_groups);
  if (home)
    *home = xstrdup(pw.home ? pw.home : "/");
  account_clear(&pw);
  return 0;
}

/* ---- environment -------------------------------------------------------- */

static size_t env_name_len(const char *e)
{
  const char *eq = strchr(e, '=');
  return eq ? (size_t) (eq - e) : strlen(e);
}

static void env_set(char ***v, size_t *n, const char *entry)
{
  size_t len = env_name_len(entry);
  for (size_t i = 0; i < *n; i++)
    if (env_name_len((*v)[i]) == len && strncmp((*v)[i], entry, len) == 0) {
      free((*v)[i]);
      (*v)[i] = xstrdup(entry);
      return;
    }
  *v = xrealloc(*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = xstrdup(entry);
  (*v)[*n] = NULL;
}

static bool env_has(char **v, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (env_name_len(v[i]) == strlen(name) && strncmp(v[i], name, strlen(name)) == 0)
      return true;
  return false;
}

char **oci_env_merge(oci_strv image_env, oci_strv env, const char *home, size_t *n_out)
{
  char **v = xzalloc(sizeof *v);
  size_t n = 0;
  for (size_t i = 0; i < image_env.n; i++)
    if (image_env.items[i] && image_env.items[i][0])
      env_set(&v, &n, image_env.items[i]);
  for (size_t i = 0; i < env.n; i++)
    if (env.items[i] && env.items[i][0])
      env_set(&v, &n, env.items[i]);
  if (!env_has(v, n, "PATH"))
    env_set(&v, &n, "PATH=" OCI_DEFAULT_PATH);
  if (home && !env_has(v, n, "HOME")) {
    _cleanup_free_ char *h = xasprintf("HOME=%s", home);
    env_set(&v, &n, h);
  }
  if (n_out)
    *n_out = n;
  return v;
}

void oci_env_free(char **env)
{
  for (size_t i = 0; env && env[i]; i++)
    free(env[i]);
  free(env);
}
