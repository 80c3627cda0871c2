/* The tar streams of kpod cp, with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void cp_archive_readp(struct archive **a)
{
  if (*a)
    archive_read_free(*a);
}

static void cp_archive_writep(struct archive **a)
{
  if (*a)
    archive_write_free(*a);
}

#define _cleanup_archive_read_ __attribute__((cleanup(cp_archive_readp)))
#define _cleanup_archive_write_ __attribute__((cleanup(cp_archive_writep)))

static int cp_archive_error(struct archive *a, const char *what, crio_err **err)
{
  const char *msg = archive_error_string(a);
  return crio_err_set(err, CRIO_E_IO, "%s: %s", what, msg ? msg : "unknown libarchive error");
}

/* A tar name without its leading "/" and "./", "" for the top itself. */
static const char *cp_name_clean(const char *name)
{
  for (;;) {
    while (*name == '/')
      name++;
    if (strncmp(name, "./", 2) == 0)
      name += 2;
    else if (strcmp(name, ".") == 0)
      return "";
    else
      return name;
  }
}

static bool cp_has_dotdot(const char *name)
{
  for (const char *p = name; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return true;
    p += n + (p[n] == '/');
  }
  return false;
}

/* --- copy out: unpack into the host --------------------------------------- */

typedef struct cp_unpack {
  bool contents_only;
  char *root;        /* the top entry's name, unless contents_only */
  kpod_cp_plan plan;
} cp_unpack;

/* The name in plan.dir of the entry called name in the stream; NULL when
 * it is skipped (the top "." of a contents-only stream copied into dir). */
static int cp_unpack_name(const cp_unpack *u, const char *name, char **out, crio_err **err)
{
  const char *rel = cp_name_clean(name);
  *out = NULL;
  if (cp_has_dotdot(rel))
    return crio_err_set(err, CRIO_E_INVALID, "refusing the archive entry \"%s\": it leaves its "
                        "directory", name);
  if (!u->contents_only) {
    size_t n = strlen(u->root);
    if (strncmp(rel, u->root, n) != 0 || (rel[n] && rel[n] != '/'))
      return crio_err_set(err, CRIO_E_INVALID, "unexpected archive entry \"%s\" outside \"%s\"",
                          name, u->root);
    rel += n;
    while (*rel == '/')
      rel++;
  }
  if (!u->plan.name)
    *out = *rel ? xstrdup(rel) : NULL;
  else
    *out = *rel ? xasprintf("%s/%s", u->plan.name, rel) : xstrdup(u->plan.name);
  return 0;
}

static int cp_unpack_plan(cp_unpack *u, struct archive_entry *first, const char *dest,
                          crio_err **err)
{
  const char *top = cp_name_clean(archive_entry_pathname(first));
  u->root = xstrndup(top, strcspn(top, "/"));
  if (!u->contents_only && !*u->root)
    return crio_err_set(err, CRIO_E_INVALID, "the archive from crio has no named top entry");
  struct stat st;
  kpod_cp_dest d = { .path = dest, .exists = stat(dest, &st) == 0 };
  d.is_dir = d.exists && S_ISDIR(st.st_mode);
  bool is_dir = archive_entry_filetype(first) == AE_IFDIR;
  int r = kpod_cp_plan_make(u->root, is_dir, u->contents_only, &d, &u->plan, err);
  if (r < 0)
    return r;
  if (stat(u->plan.dir, &st) < 0)
    return crio_err_errno(err, CRIO_E_NOT_FOUND, errno, "copy to %s: %s", dest, u->plan.dir);
  if (!S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "copy to %s: %s is not a directory", dest,
                        u->plan.dir);
  return 0;
}

static int cp_unpack_entry(const cp_unpack *u, struct archive *in, struct archive *disk,
                           struct archive_entry *e, crio_err **err)
{
  _cleanup_free_ char *name = NULL, *link = NULL;
  int r = cp_unpack_name(u, archive_entry_pathname(e), &name, err);
  if (r == 0 && archive_entry_hardlink(e))
    r = cp_unpack_name(u, archive_entry_hardlink(e), &link, err);
  if (r < 0 || !name)
    return r;
  archive_entry_set_pathname(e, name);
  if (archive_entry_hardlink(e))
    archive_entry_set_hardlink(e, link);
  if (archive_write_header(disk, e) < ARCHIVE_WARN)
    return cp_archive_error(disk, name, err);
  const void *buf;
  size_t size;
  la_int64_t offset;
  while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
    if (archive_write_data_block(disk, buf, size, offset) < ARCHIVE_WARN)
      return cp_archive_error(disk, name, err);
  if (r != ARCHIVE_EOF)
    return cp_archive_error(in, "read the archive from crio", err);
  if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
    return cp_archive_error(disk, name, err);
  return 0;
}

static int cp_unpack_all(cp_unpack *u, struct archive *in, struct archive_entry *e,
                         bool overwrite, crio_err **err)
{
  _cleanup_archive_write_ struct archive *disk = archive_write_disk_new();
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (geteuid() == 0) /* as tar: a user's files are theirs, root keeps the owners */
    flags |= ARCHIVE_EXTRACT_OWNER;
  if (overwrite)
    flags |= ARCHIVE_EXTRACT_UNLINK;
  archive_write_disk_set_options(disk, flags);
  int r;
  do {
    r = cp_unpack_entry(u, in, disk, e, err);
    if (r < 0)
      return r;
    r = archive_read_next_header(in, &e);
    if (r < ARCHIVE_WARN)
      return cp_archive_error(in, "read the archive from crio", err);
  } while (r != ARCHIVE_EOF);
  if (archive_write_close(disk) < ARCHIVE_WARN)
    return cp_archive_error(disk, "finish the copy", err);
  return 0;
}

/* Entries are written relative to the plan's directory, so that only their
 * own path is checked for symlinks and "..", not the user's destination. */
static int cp_unpack_in_dir(cp_unpack *u, struct archive *in, struct archive_entry *first,
                            bool overwrite, crio_err **err)
{
  _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open the working directory");
  if (chdir(u->plan.dir) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "enter %s", u->plan.dir);
  int r = cp_unpack_all(u, in, first, overwrite, err);
  if (fchdir(cwd) < 0 && r == 0)
    r = crio_err_errno(err, CRIO_E_IO, errno, "return to the working directory");
  return r;
}

int kpod_cp_extract(int fd, bool contents_only, const char *dest, bool overwrite, crio_err **err)
{
  _cleanup_archive_read_ struct archive *in = archive_read_new();
  archive_read_support_format_tar(in);
  archive_read_support_filter_all(in);
  if (archive_read_open_fd(in, fd, 64 * 1024) != ARCHIVE_OK)
    return cp_archive_error(in, "read the archive from crio", err);
  struct archive_entry *first = NULL;
  int r = archive_read_next_header(in, &first);
  if (r == ARCHIVE_EOF)
    return crio_err_set(err, CRIO_E_INTERNAL, "the archive from crio is empty");
  if (r < ARCHIVE_WARN)
    return cp_archive_error(in, "read the archive from crio", err);
  cp_unpack u = { .contents_only = contents_only };
  r = cp_unpack_plan(&u, first, dest, err);
  if (r == 0)
    r = cp_unpack_in_dir(&u, in, first, overwrite, err);
  free(u.root);
  kpod_cp_plan_release(&u.plan);
  return r;
}

int kpod_cp_tar_first_is_dir(const char *data, size_t len)
{
  if (!data || len == 0)
    return -1;
  _cleanup_archive_read_ struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  struct archive_entry *e = NULL;
  if (archive_read_open_memory(a, data, len) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) < ARCHIVE_WARN)
    return -1;
  return archive_entry_filetype(e) == AE_IFDIR;
}
