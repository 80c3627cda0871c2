/* Shared helpers for the layer-extraction unit tests (test_layer_*.c,
 * test_rm_rf.c): building tar layers with libarchive's writer, and a fixture
 * giving each test a temporary root with an empty dest directory. Every
 * test_*.c is its own program, so the helpers are static inline here. */
#ifndef CRIO_TESTS_UNIT_LAYER_TEST_UTIL_H
#define CRIO_TESTS_UNIT_LAYER_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "server/image/digest.h"
#include "server/image/fsutil.h"
#include "server/image/layer_extract.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------ tar building */

typedef struct ent {
  const char *path;
  mode_t type;           /* AE_IFREG when 0 */
  mode_t perm;           /* 0644 (0755 for directories) when 0 */
  const char *data;
  const char *link;      /* symlink target */
  const char *hardlink;  /* hardlink target */
  int64_t uid, gid;
  time_t mtime;
  const char *xname, *xvalue;
  unsigned major, minor;
} ent;

static inline la_ssize_t sb_write(struct archive *a, void *ud, const void *buf, size_t len)
{
  strbuf_append(ud, buf, len);
  return (la_ssize_t) len;
}

static inline void add_entry(struct archive *a, const ent *x)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname_utf8(e, x->path);
  mode_t type = x->type ? x->type : AE_IFREG;
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, x->perm ? x->perm : type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_uid(e, x->uid);
  archive_entry_set_gid(e, x->gid);
  archive_entry_set_mtime(e, x->mtime ? x->mtime : 946684800, 0);
  if (x->link)
    archive_entry_set_symlink_utf8(e, x->link);
  if (x->hardlink)
    archive_entry_set_hardlink_utf8(e, x->hardlink);
  if (type == AE_IFCHR || type == AE_IFBLK) {
    archive_entry_set_rdevmajor(e, x->major);
    archive_entry_set_rdevminor(e, x->minor);
  }
  if (x->xname)
    archive_entry_xattr_add_entry(e, x->xname, x->xvalue, strlen(x->xvalue));
  size_t len = x->data ? strlen(x->data) : 0;
  archive_entry_set_size(e, type == AE_IFREG && !x->hardlink ? (la_int64_t) len : 0);
  assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
  if (len)
    assert_int_equal(archive_write_data(a, x->data, len), (la_ssize_t) len);
  archive_entry_free(e);
}

/* A pax tar of the entries, uncompressed. Written in the C.UTF-8 locale:
 * libarchive's pax writer crashes on non-ASCII names in the C locale. The
 * extraction runs in this process's C locale. */
static inline strbuf make_tar_n(const ent *ents, size_t n)
{
  strbuf out = STRBUF_INIT;
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  assert_non_null(utf8);
  locale_t old = uselocale(utf8);
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open(a, &out, NULL, sb_write, NULL), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++)
    add_entry(a, &ents[i]);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  uselocale(old);
  freelocale(utf8);
  return out;
}
#define TAR(...) make_tar_n((const ent[]){ __VA_ARGS__ }, ARRAY_SIZE(((const ent[]){ __VA_ARGS__ })))

enum { PLAIN, GZIP, ZSTD };

/* The bytes of in, compressed with libarchive's gzip or zstd filter. */
static inline strbuf compress(const strbuf *in, int filter)
{
  strbuf out = STRBUF_INIT;
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
  assert_int_equal(filter == GZIP ? archive_write_add_filter_gzip(a)
                                  : archive_write_add_filter_zstd(a), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  assert_int_equal(archive_write_open(a, &out, NULL, sb_write, NULL), ARCHIVE_OK);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "layer.tar");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, (la_int64_t) in->len);
  assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
  assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t) in->len);
  archive_entry_free(e);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

/* ---------------------------------------------------------------- fixture */

typedef struct fx {
  char root[32];  /* the temporary directory; dest is root/dest */
  char *dest;
} fx;

static inline int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  strcpy(f->root, "/tmp/crio-layer-XXXXXX");
  if (!mkdtemp(f->root))
    return -1;
  f->dest = path_join(f->root, "dest");
  if (mkdir(f->dest, 0755) < 0)
    return -1;
  *state = f;
  return 0;
}

static inline int teardown(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *merged = path_join(f->root, "merged");
  _cleanup_free_ char *mnt = path_join(merged, "mnt");
  umount2(merged, MNT_DETACH);
  umount2(mnt, MNT_DETACH);
  crio_err *err = NULL;
  int r = rm_rf_at(f->root, &err);
  if (r < 0)
    fprintf(stderr, "teardown: %s\n", err->message);
  crio_err_free(err);
  free(f->dest);
  free(f);
  return r;
}

/* A fresh, empty dest. */
static inline void reset_dest(fx *f)
{
  assert_int_equal(rm_rf_at(f->dest, NULL), 0);
  assert_int_equal(mkdir(f->dest, 0755), 0);
}

static inline char *at(fx *f, const char *rel)
{
  return path_join(f->dest, rel);
}

static inline int extract(fx *f, const strbuf *layer, layer_stats *st, crio_err **err)
{
  _cleanup_free_ char *file = path_join(f->root, "layer.blob");
  assert_int_equal(write_file_atomic(file, layer->data, layer->len, 0600, NULL), 0);
  return layer_extract_file(file, f->dest, st, err);
}

static inline void extract_ok(fx *f, const strbuf *layer, layer_stats *st)
{
  crio_err *err = NULL;
  if (extract(f, layer, st, &err) < 0)
    fail_msg("extract: %s", err->message);
}

/* Extraction must fail with CRIO_E_INVALID and a message holding want. */
static inline void extract_fails(fx *f, const strbuf *layer, const char *want)
{
  _cleanup_err_ crio_err *err = NULL;
  layer_stats st = { 0 };
  int r = extract(f, layer, &st, &err);
  if (r == 0)
    fail_msg("extraction succeeded, want an error containing %s", want);
  assert_non_null(err);
  if (!strstr(err->message, want))
    fail_msg("error \"%s\" lacks %s", err->message, want);
  assert_null(st.diff_id);
}

static inline void check_stat(fx *f, const char *rel, mode_t fmt, mode_t perm, uid_t uid, gid_t gid)
{
  _cleanup_free_ char *p = at(f, rel);
  struct stat st;
  if (lstat(p, &st) < 0)
    fail_msg("lstat %s: %s", p, strerror(errno));
  assert_int_equal(st.st_mode & S_IFMT, fmt);
  if (fmt != S_IFLNK)
    assert_int_equal(st.st_mode & 07777, perm);
  assert_int_equal(st.st_uid, uid);
  assert_int_equal(st.st_gid, gid);
}

static inline void check_content(fx *f, const char *rel, const char *want)
{
  _cleanup_free_ char *p = at(f, rel);
  _cleanup_free_ char *got = NULL;
  crio_err *err = NULL;
  if (read_file(p, &got, NULL, &err) < 0)
    fail_msg("%s", err->message);
  assert_string_equal(got, want);
}

static inline bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static inline char *xattr_get(const char *path, const char *name)
{
  char buf[256];
  ssize_t n = lgetxattr(path, name, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup(buf);
}

static inline void check_xattr(fx *f, const char *rel, const char *name, const char *want)
{
  _cleanup_free_ char *p = at(f, rel);
  _cleanup_free_ char *got = xattr_get(p, name);
  if (!want && got)
    fail_msg("%s has %s=%s", rel, name, got);
  if (want && !got)
    fail_msg("%s lacks %s", rel, name);
  if (want)
    assert_string_equal(got, want);
}

#endif
