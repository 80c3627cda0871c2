/* Unit tests for layer extraction (server/image/layer_extract.c,
 * layer_write.c, layer_meta.c) and rm_rf_at (server/image/fsutil.c).
 * Test layers are built here with libarchive's writer. Needs root. */
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
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static la_ssize_t sb_write(struct archive *a, void *ud, const void *buf, size_t len)
{
  strbuf_append(ud, buf, len);
  return (la_ssize_t) len;
}

static void add_entry(struct archive *a, const ent *x)
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
    archive_entry_set_symlink(e, x->link);
  if (x->hardlink)
    archive_entry_set_hardlink(e, x->hardlink);
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

/* A pax tar of the entries, uncompressed. */
static strbuf make_tar_n(const ent *ents, size_t n)
{
  strbuf out = STRBUF_INIT;
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open(a, &out, NULL, sb_write, NULL), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++)
    add_entry(a, &ents[i]);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}
#define TAR(...) make_tar_n((const ent[]){ __VA_ARGS__ }, ARRAY_SIZE(((const ent[]){ __VA_ARGS__ })))

enum { PLAIN, GZIP, ZSTD };

/* The bytes of in, compressed with libarchive's gzip or zstd filter. */
static strbuf compress(const strbuf *in, int filter)
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

static int setup(void **state)
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

static int teardown(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *merged = path_join(f->root, "merged");
  umount2(merged, MNT_DETACH);
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
static void reset_dest(fx *f)
{
  assert_int_equal(rm_rf_at(f->dest, NULL), 0);
  assert_int_equal(mkdir(f->dest, 0755), 0);
}

static char *at(fx *f, const char *rel)
{
  return path_join(f->dest, rel);
}

static int extract(fx *f, const strbuf *layer, layer_stats *st, crio_err **err)
{
  _cleanup_free_ char *file = path_join(f->root, "layer.blob");
  assert_int_equal(write_file_atomic(file, layer->data, layer->len, 0600, NULL), 0);
  return layer_extract_file(file, f->dest, st, err);
}

static void extract_ok(fx *f, const strbuf *layer, layer_stats *st)
{
  crio_err *err = NULL;
  if (extract(f, layer, st, &err) < 0)
    fail_msg("extract: %s", err->message);
}

/* Extraction must fail with CRIO_E_INVALID and a message holding want. */
static void extract_fails(fx *f, const strbuf *layer, const char *want)
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

static void check_stat(fx *f, const char *rel, mode_t fmt, mode_t perm, uid_t uid, gid_t gid)
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

static void check_content(fx *f, const char *rel, const char *want)
{
  _cleanup_free_ char *p = at(f, rel);
  _cleanup_free_ char *got = NULL;
  crio_err *err = NULL;
  if (read_file(p, &got, NULL, &err) < 0)
    fail_msg("%s", err->message);
  assert_string_equal(got, want);
}

static bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static char *xattr_get(const char *path, const char *name)
{
  char buf[256];
  ssize_t n = lgetxattr(path, name, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup(buf);
}

static void check_xattr(fx *f, const char *rel, const char *name, const char *want)
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

/* ------------------------------------------------------------------ tests */

static void test_files_modes_owners_mtimes(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "./", .type = AE_IFDIR, .perm = 0751, .mtime = 1000000 },
      { .path = "etc/", .type = AE_IFDIR, .perm = 0750, .gid = 42, .mtime = 1234567890 },
      { .path = "etc/owned", .perm = 0640, .uid = 1000, .gid = 1001, .data = "owned\n",
        .mtime = 1111111111 },
      { .path = "bin/su", .perm = 04755, .uid = 0, .gid = 0, .data = "suid" },
      { .path = "bin/sg", .perm = 02711, .gid = 5, .data = "sgid" },
      { .path = "tmp/", .type = AE_IFDIR, .perm = 01777 },
      { .path = "/abs/file", .data = "leading slash stripped" },
      { .path = "./dot/./file", .data = "dots stripped" },
      { .path = "empty", .perm = 0400 });
  layer_stats st = { 0 };
  extract_ok(f, &tar, &st);
  check_stat(f, ".", S_IFDIR, 0751, 0, 0);
  check_stat(f, "etc", S_IFDIR, 0750, 0, 42);
  check_stat(f, "etc/owned", S_IFREG, 0640, 1000, 1001);
  check_stat(f, "bin", S_IFDIR, 0755, 0, 0);
  check_stat(f, "bin/su", S_IFREG, 04755, 0, 0);
  check_stat(f, "bin/sg", S_IFREG, 02711, 0, 5);
  check_stat(f, "tmp", S_IFDIR, 01777, 0, 0);
  check_stat(f, "empty", S_IFREG, 0400, 0, 0);
  check_content(f, "etc/owned", "owned\n");
  check_content(f, "abs/file", "leading slash stripped");
  check_content(f, "dot/file", "dots stripped");
  struct stat s;
  _cleanup_free_ char *etc = at(f, "etc"), *owned = at(f, "etc/owned");
  assert_int_equal(stat(etc, &s), 0);
  assert_int_equal(s.st_mtime, 1234567890);  /* set after its child was written */
  assert_int_equal(stat(owned, &s), 0);
  assert_int_equal(s.st_mtime, 1111111111);
  assert_int_equal(stat(f->dest, &s), 0);
  assert_int_equal(s.st_mtime, 1000000);
  assert_int_equal(st.entries, 9);
  assert_int_equal(st.bytes, strlen("owned\nsuidsgidleading slash strippeddots stripped"));
  _cleanup_free_ char *want = digest_bytes(tar.data, tar.len);
  assert_string_equal(st.diff_id, want);
  layer_stats_clear(&st);
  assert_null(st.diff_id);
}

static void test_gzip_and_zstd(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR({ .path = "d/", .type = AE_IFDIR },
                                    { .path = "d/hello.txt", .data = "hello\n", .perm = 0600 });
  _cleanup_free_ char *want = digest_bytes(tar.data, tar.len);
  for (int filter = GZIP; filter <= ZSTD; filter++) {
    reset_dest(f);
    _cleanup_strbuf_ strbuf blob = compress(&tar, filter);
    assert_true(blob.len < tar.len);
    layer_stats st = { 0 };
    extract_ok(f, &blob, &st);
    check_content(f, "d/hello.txt", "hello\n");
    check_stat(f, "d/hello.txt", S_IFREG, 0600, 0, 0);
    assert_string_equal(st.diff_id, want);  /* of the uncompressed tar */
    assert_int_equal(st.entries, 2);
    layer_stats_clear(&st);
  }
}

static void test_xattrs(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "f", .data = "x", .xname = "user.test", .xvalue = "hello" },
      { .path = "d/", .type = AE_IFDIR, .xname = "user.dir", .xvalue = "yes" },
      { .path = "t", .data = "t", .xname = "trusted.test", .xvalue = "root only" },
      { .path = "r/", .type = AE_IFDIR, .xname = "trusted.overlay.redirect", .xvalue = "/etc" },
      { .path = "l", .type = AE_IFLNK, .link = "f", .xname = "user.nope", .xvalue = "x" });
  layer_stats st = { 0 };
  extract_ok(f, &tar, &st);
  check_xattr(f, "f", "user.test", "hello");
  check_xattr(f, "d", "user.dir", "yes");
  check_xattr(f, "t", "trusted.test", "root only");
  check_xattr(f, "r", "trusted.overlay.redirect", NULL);  /* a layer may not steer overlayfs */
  check_stat(f, "l", S_IFLNK, 0, 0, 0);
  assert_int_equal(st.xattrs_skipped, 2);  /* the overlay one, user.* on a symlink */
  layer_stats_clear(&st);
}

static void test_links(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "target.txt", .data = "linked\n" },
      { .path = "dir/hard.txt", .hardlink = "target.txt" },
      { .path = "abs", .type = AE_IFLNK, .link = "/etc/passwd", .uid = 5, .gid = 6 },
      { .path = "up", .type = AE_IFLNK, .link = "../../outside" },
      { .path = "over", .type = AE_IFLNK, .link = "target.txt" },
      { .path = "over", .data = "replaces the symlink\n" },
      { .path = "hl-sym", .hardlink = "./abs" });
  layer_stats st = { 0 };
  extract_ok(f, &tar, &st);
  _cleanup_free_ char *t = at(f, "target.txt"), *h = at(f, "dir/hard.txt");
  _cleanup_free_ char *abs = at(f, "abs"), *up = at(f, "up"), *hs = at(f, "hl-sym");
  struct stat a, b;
  assert_int_equal(lstat(t, &a), 0);
  assert_int_equal(lstat(h, &b), 0);
  assert_int_equal(a.st_ino, b.st_ino);
  assert_int_equal(a.st_nlink, 2);
  check_content(f, "target.txt", "linked\n");
  check_content(f, "over", "replaces the symlink\n");
  check_stat(f, "over", S_IFREG, 0644, 0, 0);
  char buf[64] = { 0 };
  assert_int_equal(readlink(abs, buf, sizeof buf - 1), strlen("/etc/passwd"));
  assert_string_equal(buf, "/etc/passwd");
  memset(buf, 0, sizeof buf);
  assert_int_equal(readlink(up, buf, sizeof buf - 1), strlen("../../outside"));
  assert_string_equal(buf, "../../outside");
  check_stat(f, "abs", S_IFLNK, 0, 5, 6);
  /* a hardlink to a symlink links the symlink itself */
  assert_int_equal(lstat(abs, &a), 0);
  assert_int_equal(lstat(hs, &b), 0);
  assert_true(S_ISLNK(b.st_mode));
  assert_int_equal(a.st_ino, b.st_ino);
  assert_int_equal(st.bytes, strlen("linked\nreplaces the symlink\n"));
  layer_stats_clear(&st);
}

static void test_devices_and_fifo(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "dev/null", .type = AE_IFCHR, .perm = 0666, .major = 1, .minor = 3 },
      { .path = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .gid = 6, .major = 7, .minor = 0 },
      { .path = "run/fifo", .type = AE_IFIFO, .perm = 0620, .uid = 7 });
  extract_ok(f, &tar, NULL);
  check_stat(f, "dev/null", S_IFCHR, 0666, 0, 0);
  check_stat(f, "dev/loop0", S_IFBLK, 0660, 0, 6);
  check_stat(f, "run/fifo", S_IFIFO, 0620, 7, 0);
  _cleanup_free_ char *null = at(f, "dev/null"), *loop = at(f, "dev/loop0");
  struct stat s;
  assert_int_equal(lstat(null, &s), 0);
  assert_int_equal(s.st_rdev, makedev(1, 3));
  assert_int_equal(lstat(loop, &s), 0);
  assert_int_equal(s.st_rdev, makedev(7, 0));
}

static void check_whiteout(fx *f, const char *rel)
{
  _cleanup_free_ char *p = at(f, rel);
  struct stat s;
  if (lstat(p, &s) < 0)
    fail_msg("whiteout %s missing", rel);
  assert_true(S_ISCHR(s.st_mode));
  assert_int_equal(s.st_rdev, makedev(0, 0));
}

static void check_absent(fx *f, const char *rel)
{
  _cleanup_free_ char *p = at(f, rel);
  if (exists(p))
    fail_msg("%s exists", rel);
}

static void test_whiteouts(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR({ .path = "etc/", .type = AE_IFDIR },
                                    { .path = "etc/.wh.motd", .perm = 0600 },
                                    { .path = ".wh.top" },
                                    { .path = "deep/er/.wh.gone" },
                                    { .path = ".wh..wh.plnk" });
  layer_stats st = { 0 };
  extract_ok(f, &tar, &st);
  check_whiteout(f, "etc/motd");
  check_whiteout(f, "top");
  check_whiteout(f, "deep/er/gone");
  check_absent(f, "etc/.wh.motd");
  check_absent(f, ".wh.top");
  check_absent(f, "deep/er/.wh.gone");
  check_absent(f, ".wh..wh.plnk");
  assert_int_equal(st.entries, 5);
  layer_stats_clear(&st);
}

static void test_opaque(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "a/", .type = AE_IFDIR },
      { .path = "a/.wh..wh..opq" },
      { .path = "a/new.txt", .data = "new" },
      { .path = "late/", .type = AE_IFDIR, .perm = 0700 },
      { .path = "late/kept.txt", .data = "kept" },
      { .path = "late/.wh..wh..opq" },
      { .path = "implicit/.wh..wh..opq" },
      { .path = "first/.wh..wh..opq" },
      { .path = "first/", .type = AE_IFDIR, .perm = 0711 },
      { .path = "plain/", .type = AE_IFDIR });
  extract_ok(f, &tar, NULL);
  check_xattr(f, "a", "trusted.overlay.opaque", "y");
  check_xattr(f, "late", "trusted.overlay.opaque", "y");
  check_xattr(f, "implicit", "trusted.overlay.opaque", "y");
  check_xattr(f, "first", "trusted.overlay.opaque", "y");
  check_xattr(f, "plain", "trusted.overlay.opaque", NULL);
  check_xattr(f, ".", "trusted.overlay.opaque", NULL);
  check_content(f, "a/new.txt", "new");
  check_content(f, "late/kept.txt", "kept");
  check_stat(f, "late", S_IFDIR, 0700, 0, 0);
  check_stat(f, "first", S_IFDIR, 0711, 0, 0);
  check_stat(f, "implicit", S_IFDIR, 0755, 0, 0);
  check_absent(f, "a/.wh..wh..opq");
  check_absent(f, "late/.wh..wh..opq");
}

/* A whiteout hides what lower layers hold, never what its own layer writes,
 * whatever the order of the entries. */
static void test_whiteouts_same_layer(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "keep.txt", .data = "kept" }, { .path = ".wh.keep.txt" },
      { .path = "d/", .type = AE_IFDIR }, { .path = "d/f", .data = "f" }, { .path = ".wh.d" },
      { .path = ".wh.x" }, { .path = "x/", .type = AE_IFDIR },
      { .path = ".wh.y" }, { .path = "y/f", .data = "y" },
      { .path = ".wh.z" }, { .path = "z", .data = "z file" });
  extract_ok(f, &tar, NULL);
  check_content(f, "keep.txt", "kept");
  check_content(f, "d/f", "f");
  check_xattr(f, "d", "trusted.overlay.opaque", "y");
  check_stat(f, "x", S_IFDIR, 0755, 0, 0);
  check_xattr(f, "x", "trusted.overlay.opaque", "y");
  check_content(f, "y/f", "y");
  check_xattr(f, "y", "trusted.overlay.opaque", "y");
  check_content(f, "z", "z file");
}

static void test_replacing_entries(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR(
      { .path = "a", .data = "file" }, { .path = "a/", .type = AE_IFDIR, .perm = 0700 },
      { .path = "b/", .type = AE_IFDIR }, { .path = "b/c/d", .data = "deep" },
      { .path = "b", .data = "the tree became a file" },
      { .path = "c", .data = "one" }, { .path = "c", .data = "two", .perm = 0600 },
      { .path = "ro/", .type = AE_IFDIR, .perm = 0555 },
      { .path = "ro/f", .data = "in a read-only dir", .perm = 0444 });
  layer_stats st = { 0 };
  extract_ok(f, &tar, &st);
  check_stat(f, "a", S_IFDIR, 0700, 0, 0);
  check_content(f, "b", "the tree became a file");
  check_content(f, "c", "two");
  check_stat(f, "c", S_IFREG, 0600, 0, 0);
  check_content(f, "ro/f", "in a read-only dir");
  check_stat(f, "ro", S_IFDIR, 0555, 0, 0);
  assert_int_equal(st.entries, 9);
  layer_stats_clear(&st);
}
