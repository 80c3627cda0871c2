/* kpod cp's copy in: the host's files as a tar stream, with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cp.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

typedef struct cp_sink {
  int fd;
  bool peer_gone;
} cp_sink;

static la_ssize_t cp_sink_write(struct archive *a, void *userdata, const void *buf, size_t n)
{
  cp_sink *s = userdata;
  const char *p = buf;
  size_t left = n;
  while (left > 0) {
    ssize_t w = send(s->fd, p, left, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      s->peer_gone = errno == EPIPE || errno == ECONNRESET;
      archive_set_error(a, errno, "send the archive: %s", strerror(errno));
      return -1;
    }
    p += w;
    left -= (size_t) w;
  }
  return (la_ssize_t) n;
}

typedef struct cp_pack {
  struct archive *disk, *out;
  struct archive_entry_linkresolver *links;
  const char *top;   /* the path the walk started at */
  const char *name;  /* the top entry's name, or NULL: contents only */
  const kpod_cp_owner *owner;
} cp_pack;

static void cp_pack_release(cp_pack *p)
{
  if (p->disk)
    archive_read_free(p->disk);
  if (p->out)
    archive_write_free(p->out);
  if (p->links)
    archive_entry_linkresolver_free(p->links);
}

static int cp_pack_error(struct archive *a, const char *what, crio_err **err)
{
  const char *msg = archive_error_string(a);
  return crio_err_set(err, CRIO_E_IO, "%s: %s", what, msg ? msg : "unknown libarchive error");
}

/* The entry's name in the stream: the walk's path with the top replaced by
 * the name (or dropped); NULL for the top of a contents-only copy. */
static char *cp_pack_name(const cp_pack *p, const char *path)
{
  size_t n = strlen(p->top);
  const char *rel = strncmp(path, p->top, n) == 0 ? path + n : path;
  while (*rel == '/')
    rel++;
  if (!p->name)
    return *rel ? xstrdup(rel) : NULL;
  return *rel ? xasprintf("%s/%s", p->name, rel) : xstrdup(p->name);
}

static int cp_pack_data(cp_pack *p, struct archive_entry *e, crio_err **err)
{
  if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) <= 0)
    return 0;
  char buf[64 * 1024];
  la_ssize_t n;
  while ((n = archive_read_data(p->disk, buf, sizeof buf)) > 0)
    if (archive_write_data(p->out, buf, (size_t) n) < 0)
      return cp_pack_error(p->out, archive_entry_pathname(e), err);
  if (n < 0)
    return cp_pack_error(p->disk, archive_entry_sourcepath(e), err);
  return 0;
}

static int cp_pack_entry(cp_pack *p, struct archive_entry *e, crio_err **err)
{
  _cleanup_free_ char *name = cp_pack_name(p, archive_entry_pathname(e));
  if (!name)
    return 0;
  archive_entry_copy_sourcepath(e, archive_entry_pathname(e));
  archive_entry_set_pathname(e, name);
  if (p->owner && p->owner->chown) {
    archive_entry_set_uid(e, p->owner->uid);
    archive_entry_set_gid(e, p->owner->gid);
  }
  archive_entry_set_uname(e, NULL);
  archive_entry_set_gname(e, NULL);
  struct archive_entry *spare = NULL;
  archive_entry_linkify(p->links, &e, &spare); /* a later path of an inode: a hardlink */
  if (archive_write_header(p->out, e) < ARCHIVE_WARN)
    return cp_pack_error(p->out, name, err);
  return archive_entry_hardlink(e) ? 0 : cp_pack_data(p, e, err);
}

static int cp_pack_walk(cp_pack *p, crio_err **err)
{
  for (;;) {
    struct archive_entry *e = archive_entry_new();
    int r = archive_read_next_header2(p->disk, e);
    if (r == ARCHIVE_EOF) {
      archive_entry_free(e);
      return 0;
    }
    if (r < ARCHIVE_WARN) {
      archive_entry_free(e);
      return cp_pack_error(p->disk, p->top, err);
    }
    archive_read_disk_descend(p->disk);
    r = cp_pack_entry(p, e, err);
    archive_entry_free(e);
    if (r < 0)
      return r;
  }
}

/* src without a trailing "/." or "/": where the walk starts. */
static char *cp_pack_top(const char *src)
{
  char *top = kpod_cp_trim(src);
  size_t n = strlen(top);
  while (n > 2 && strcmp(top + n - 2, "/.") == 0) {
    top[n - 2] = '\0';
    char *t = kpod_cp_trim(top);
    free(top);
    top = t;
    n = strlen(top);
  }
  return top;
}

int kpod_cp_archive(int fd, const char *src, const char *name, const kpod_cp_owner *owner,
                    bool *peer_gone, crio_err **err)
{
  _cleanup_free_ char *top = cp_pack_top(src);
  cp_sink sink = { .fd = fd };
  __attribute__((cleanup(cp_pack_release))) cp_pack p = {
    .disk = archive_read_disk_new(), .out = archive_write_new(),
    .links = archive_entry_linkresolver_new(), .top = top, .name = name, .owner = owner,
  };
  *peer_gone = false;
  archive_read_disk_set_symlink_physical(p.disk);
  archive_read_disk_set_behavior(p.disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                 ARCHIVE_READDISK_NO_FFLAGS);
  archive_write_set_format_pax_restricted(p.out);
  archive_write_set_bytes_in_last_block(p.out, 1);
  archive_entry_linkresolver_set_strategy(p.links, archive_format(p.out));
  int r = 0;
  if (archive_write_open(p.out, &sink, NULL, cp_sink_write, NULL) != ARCHIVE_OK)
    r = cp_pack_error(p.out, "start the archive", err);
  else if (archive_read_disk_open(p.disk, top) != ARCHIVE_OK)
    r = crio_err_set(err, CRIO_E_NOT_FOUND, "%s", archive_error_string(p.disk));
  if (r == 0)
    r = cp_pack_walk(&p, err);
  if (r == 0 && archive_write_close(p.out) != ARCHIVE_OK)
    r = cp_pack_error(p.out, "finish the archive", err);
  *peer_gone = sink.peer_gone;
  return r;
}
