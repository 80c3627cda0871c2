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
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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
static strbuf make_tar_n(const ent *ents, size_t n)
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

/* ------------------------------------------------------------- escapes */

typedef struct escape_case {
  const char *want;      /* in the error: the offending entry, quoted */
  const char *sentinel;  /* must not exist afterwards: relative to the root, or absolute */
  ent ents[3];           /* "@ROOT" as a symlink target: the test's root */
} escape_case;

#define ROOTLINK { .path = "link", .type = AE_IFLNK, .link = "@ROOT" }

static const escape_case escapes[] = {
  { "\"../x\"", "x", { { .path = "../x", .data = "evil" } } },
  { "\"/../x\"", "x", { { .path = "/../x", .data = "evil" } } },
  { "\"a/../../x\"", "x", { { .path = "a/../../x", .data = "evil" } } },
  { "\"./../x\"", "x", { { .path = "./../x", .data = "evil" } } },
  { "\"../evil-link\"", "evil-link", { { .path = "../evil-link", .type = AE_IFLNK, .link = "/" } } },
  { "\"link/evil\"", "evil", { ROOTLINK, { .path = "link/evil", .data = "evil" } } },
  { "\"link/evildir", "evildir", { ROOTLINK, { .path = "link/evildir/", .type = AE_IFDIR } } },
  { "\"link/.wh.victim\"", "victim", { ROOTLINK, { .path = "link/.wh.victim" } } },
  { "\"link/.wh..wh..opq\"", NULL, { ROOTLINK, { .path = "link/.wh..wh..opq" } } },
  { "\"l/x\"", "/x", { { .path = "l", .type = AE_IFLNK, .link = "../../.." },
                       { .path = "l/x", .data = "evil" } } },
  { "\"l/x\"", "x", { { .path = "l", .type = AE_IFLNK, .link = ".." },
                      { .path = "l/x", .data = "evil" } } },
  { "\"l/sub/x\"", "sub", { { .path = "l", .type = AE_IFLNK, .link = ".." },
                            { .path = "l/sub/x", .data = "evil" } } },
  { "\"h\"", NULL, { { .path = "h", .hardlink = "../outside" } } },
  { "\"h\"", NULL, { ROOTLINK, { .path = "h", .hardlink = "link/outside" } } },
  { "\"../h\"", "h", { { .path = "file", .data = "x" }, { .path = "../h", .hardlink = "file" } } },
  { "\".wh.foo/bar\"", NULL, { { .path = ".wh.foo/bar", .data = "x" } } },
  { "\".wh..\"", NULL, { { .path = ".wh.." } } },
  { "\".wh...\"", NULL, { { .path = ".wh..." } } },
  { "\".wh.\"", NULL, { { .path = ".wh." } } },
};

static void test_refuses_escapes(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *outside = path_join(f->root, "outside");
  assert_int_equal(write_file_atomic(outside, "outside\n", 8, 0644, NULL), 0);
  for (size_t i = 0; i < ARRAY_SIZE(escapes); i++) {
    const escape_case *c = &escapes[i];
    ent ents[3];
    size_t n = 0;
    for (; n < 3 && c->ents[n].path; n++) {
      ents[n] = c->ents[n];
      if (ents[n].link && strcmp(ents[n].link, "@ROOT") == 0)
        ents[n].link = f->root;
    }
    reset_dest(f);
    _cleanup_strbuf_ strbuf tar = make_tar_n(ents, n);
    extract_fails(f, &tar, c->want);
    if (c->sentinel) {
      _cleanup_free_ char *s =
          c->sentinel[0] == '/' ? xstrdup(c->sentinel) : path_join(f->root, c->sentinel);
      if (exists(s))
        fail_msg("case %s created %s", c->want, s);
    }
  }
  struct stat s;
  assert_int_equal(stat(outside, &s), 0);
  assert_int_equal(s.st_nlink, 1);
  assert_null(xattr_get(f->root, "trusted.overlay.opaque"));
  /* the root holds what the test put there, nothing more */
  _cleanup_closedir_ DIR *d = opendir(f->root);
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "dest") &&
        strcmp(de->d_name, "outside") && strcmp(de->d_name, "layer.blob"))
      fail_msg("%s/%s was created", f->root, de->d_name);
}

/* ------------------------------------------------ streams: pipes, ends */

typedef struct feeder {
  int fd;
  const char *data;
  size_t len;
  int err;
} feeder;

static void *feed(void *p)
{
  feeder *fd = p;
  for (size_t off = 0; off < fd->len;) {
    ssize_t n = write(fd->fd, fd->data + off, fd->len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fd->err = errno;
      break;
    }
    off += (size_t) n;
  }
  close(fd->fd);
  return NULL;
}

/* Extracts blob fed through a pipe by another thread, as a download is;
 * checks that the stream was read to its end and the writer saw no error. */
static void extract_pipe_ok(fx *f, const strbuf *blob, layer_stats *st)
{
  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  feeder fd = { .fd = p[1], .data = blob->data, .len = blob->len };
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, feed, &fd), 0);
  crio_err *err = NULL;
  int r = layer_extract_fd(p[0], f->dest, st, &err);
  char c;
  ssize_t rest = r == 0 ? read(p[0], &c, 1) : -1;  /* 0: the writer is done, all was read */
  close(p[0]);
  pthread_join(t, NULL);
  if (r < 0)
    fail_msg("extract: %s", err->message);
  assert_int_equal(rest, 0);
  assert_int_equal(fd.err, 0);
}

/* Incompressible content, so that streams span many pipe buffers. */
static char *noise(size_t len)
{
  char *s = xmalloc(len + 1);
  uint32_t x = 12345;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245 + 12345;
    s[i] = (char) ('!' + (x >> 16) % 90);
  }
  s[len] = '\0';
  return s;
}

static void test_stream_drained_to_eof(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *big = noise(300000);
  _cleanup_strbuf_ strbuf tar = TAR({ .path = "big.bin", .data = big },
                                    { .path = "small.txt", .data = "small" });
  /* bytes after the end-of-archive blocks are part of the uncompressed blob */
  _cleanup_strbuf_ strbuf padded = STRBUF_INIT;
  strbuf_append(&padded, tar.data, tar.len);
  _cleanup_free_ char *tail = noise(100000);
  strbuf_append(&padded, tail, 100000);
  layer_stats st = { 0 };
  extract_pipe_ok(f, &padded, &st);
  check_content(f, "big.bin", big);
  check_content(f, "small.txt", "small");
  _cleanup_free_ char *want_padded = digest_bytes(padded.data, padded.len);
  assert_string_equal(st.diff_id, want_padded);
  assert_int_equal(st.bytes, 300005);
  layer_stats_clear(&st);

  /* compressed streams, one followed by bytes the decompressor leaves */
  _cleanup_free_ char *want = digest_bytes(tar.data, tar.len);
  for (int filter = GZIP; filter <= ZSTD; filter++) {
    reset_dest(f);
    _cleanup_strbuf_ strbuf blob = compress(&tar, filter);
    if (filter == GZIP)
      strbuf_append(&blob, tail, 50000);
    extract_pipe_ok(f, &blob, &st);
    check_content(f, "big.bin", big);
    assert_string_equal(st.diff_id, want);
    layer_stats_clear(&st);
  }
}

static void test_truncated_and_garbage_streams_fail(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *big = noise(200000);
  _cleanup_strbuf_ strbuf tar = TAR({ .path = "big.bin", .data = big });
  for (int filter = PLAIN; filter <= ZSTD; filter++) {
    reset_dest(f);
    _cleanup_strbuf_ strbuf blob = filter == PLAIN ? (strbuf) STRBUF_INIT : compress(&tar, filter);
    if (filter == PLAIN)
      strbuf_append(&blob, tar.data, tar.len);
    blob.len /= 2;
    extract_fails(f, &blob, "extract layer into");
  }
  reset_dest(f);
  _cleanup_strbuf_ strbuf junk = STRBUF_INIT;
  strbuf_puts(&junk, "this is not a tar stream, compressed or not\n");
  extract_fails(f, &junk, "extract layer into");

  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *missing = path_join(f->root, "missing");
  _cleanup_free_ char *blob = path_join(f->root, "layer.blob");
  assert_int_equal(layer_extract_file(blob, missing, NULL, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, missing));
}

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Docker's empty layer: the end-of-archive blocks alone; and a stream of
 * no bytes at all, which tar readers take for an empty archive too. */
static void test_empty_layers(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf zeros = STRBUF_INIT;
  char block[1024] = { 0 };
  strbuf_append(&zeros, block, sizeof block);
  _cleanup_strbuf_ strbuf gz = compress(&zeros, GZIP);
  layer_stats st = { 0 };
  extract_pipe_ok(f, &gz, &st);
  assert_string_equal(st.diff_id,
                      "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.bytes, 0);
  layer_stats_clear(&st);

  _cleanup_strbuf_ strbuf nothing = STRBUF_INIT;
  extract_pipe_ok(f, &nothing, &st);
  assert_string_equal(st.diff_id, EMPTY_SHA256);
  assert_int_equal(st.entries, 0);
  layer_stats_clear(&st);
  _cleanup_strbuf_ strbuf gz_nothing = compress(&nothing, GZIP);
  extract_ok(f, &gz_nothing, &st);
  assert_string_equal(st.diff_id, EMPTY_SHA256);
  layer_stats_clear(&st);
}

static void test_utf8_names(void **state)
{
  fx *f = *state;
  _cleanup_strbuf_ strbuf tar = TAR({ .path = "café/naïve.txt", .data = "ünïcödé" },
                                    { .path = "日本/語", .type = AE_IFLNK, .link = "→ target" });
  extract_ok(f, &tar, NULL);
  check_content(f, "café/naïve.txt", "ünïcödé");
  _cleanup_free_ char *l = at(f, "日本/語");
  char buf[64] = { 0 };
  assert_true(readlink(l, buf, sizeof buf - 1) > 0);
  assert_string_equal(buf, "→ target");
}

/* --------------------------------------------------------------- rm_rf_at */

static void touch(const char *dir, const char *name)
{
  _cleanup_free_ char *p = path_join(dir, name);
  assert_int_equal(write_file_atomic(p, "x", 1, 0644, NULL), 0);
}

static void test_rm_rf_at(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *keep = path_join(f->root, "keep");
  _cleanup_free_ char *keepdir = path_join(f->root, "keepdir");
  _cleanup_free_ char *tree = path_join(f->root, "tree");
  _cleanup_free_ char *ro = path_join(tree, "a/ro");
  assert_int_equal(mkdir_p(keepdir, 0755, NULL), 0);
  touch(keepdir, "file");
  touch(f->root, "keep");
  assert_int_equal(mkdir_p(ro, 0755, NULL), 0);
  touch(ro, "f");
  touch(tree, "top");
  assert_int_equal(chmod(ro, 0555), 0);
  _cleanup_free_ char *l1 = path_join(tree, "a/link"), *l2 = path_join(tree, "dirlink");
  assert_int_equal(symlink(keep, l1), 0);
  assert_int_equal(symlink(keepdir, l2), 0);
  /* deeper than descriptors could be held for */
  int fd = open(tree, O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 3000; i++) {
    assert_int_equal(mkdirat(fd, "d", 0500), 0);
    int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
    close(fd);
    fd = next;
  }
  close(fd);

  crio_err *err = NULL;
  if (rm_rf_at(tree, &err) < 0)
    fail_msg("%s", err->message);
  assert_false(exists(tree));
  assert_true(exists(keep));
  _cleanup_free_ char *kf = path_join(keepdir, "file");
  assert_true(exists(kf));
  assert_int_equal(rm_rf_at(tree, NULL), 0);  /* missing: nothing to do */

  /* a symlink given as the path is removed itself */
  assert_int_equal(symlink(keepdir, tree), 0);
  assert_int_equal(rm_rf_at(tree, NULL), 0);
  assert_false(exists(tree));
  assert_true(exists(kf));
}

static void test_rm_rf_at_refuses_mount_points(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *tree = path_join(f->root, "merged");  /* teardown unmounts it */
  _cleanup_free_ char *mnt = path_join(tree, "mnt");
  assert_int_equal(mkdir_p(mnt, 0755, NULL), 0);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0)
    skip();
  touch(mnt, "precious");
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(rm_rf_at(tree, &err), -CRIO_E_BUSY);
  assert_non_null(strstr(err->message, "mount point"));
  _cleanup_free_ char *precious = path_join(mnt, "precious");
  assert_true(exists(precious));
  assert_int_equal(umount2(mnt, 0), 0);
  assert_int_equal(rm_rf_at(tree, NULL), 0);
}

/* ------------------------------------------- the multilayer test image */

static json_t *load_json(const char *path)
{
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j)
    fail_msg("%s: %s", path, jerr.text);
  return j;
}

static char *blob_path(const char *layout, const char *digest)
{
  return xasprintf("%s/blobs/sha256/%s", layout, digest + strlen("sha256:"));
}

static json_t *load_blob(const char *layout, const char *digest)
{
  _cleanup_free_ char *p = blob_path(layout, digest);
  return load_json(p);
}

/* Each layer of tests/fixtures' multilayer image: its digest and DiffID;
 * then the layers mounted as overlayfs lowers give MULTILAYER_EXPECT. */
static int extract_fixture_layers(fx *f, const char *layout, strbuf *lowerdir)
{
  _cleanup_free_ char *index_path = path_join(layout, "index.json");
  json_t *index = load_json(index_path);
  const char *mdigest = json_string_value(json_object_get(json_array_get(
      json_object_get(index, "manifests"), 0), "digest"));
  json_t *manifest = load_blob(layout, mdigest);
  json_t *config = load_blob(layout, json_string_value(json_object_get(
      json_object_get(manifest, "config"), "digest")));
  json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  json_t *layers = json_object_get(manifest, "layers");
  assert_int_equal(json_array_size(layers), json_array_size(diff_ids));
  size_t i;
  json_t *l;
  json_array_foreach(layers, i, l) {
    const char *digest = json_string_value(json_object_get(l, "digest"));
    _cleanup_free_ char *blob = blob_path(layout, digest);
    _cleanup_free_ char *got = NULL;
    assert_int_equal(digest_file(blob, &got, NULL), 0);
    assert_string_equal(got, digest);
    _cleanup_free_ char *name = xasprintf("L%zu", i);
    _cleanup_free_ char *dir = path_join(f->root, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    layer_stats st = { 0 };
    crio_err *err = NULL;
    if (layer_extract_file(blob, dir, &st, &err) < 0)
      fail_msg("layer %zu: %s", i, err->message);
    assert_string_equal(st.diff_id, json_string_value(json_array_get(diff_ids, i)));
    layer_stats_clear(&st);
    _cleanup_free_ char *prev = strbuf_steal(lowerdir);
    strbuf_printf(lowerdir, "%s%s%s", dir, *prev ? ":" : "", prev);
  }
  json_decref(index);
  json_decref(manifest);
  json_decref(config);
  return 0;
}

static void check_merged(const char *merged, json_t *expect)
{
  const char *rel;
  json_t *v;
  json_object_foreach(json_object_get(expect, "files"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel), *got = NULL;
    if (read_file(p, &got, NULL, NULL) < 0)
      fail_msg("%s is missing", rel);
    assert_string_equal(got, json_string_value(v));
  }
  json_object_foreach(json_object_get(expect, "symlinks"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    char buf[256] = { 0 };
    assert_true(readlink(p, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, json_string_value(v));
  }
  json_object_foreach(json_object_get(expect, "hardlinks"), rel, v) {
    _cleanup_free_ char *a = path_join(merged, rel), *b = path_join(merged, json_string_value(v));
    struct stat sa, sb;
    assert_int_equal(lstat(a, &sa), 0);
    assert_int_equal(lstat(b, &sb), 0);
    assert_int_equal(sa.st_ino, sb.st_ino);
  }
  json_object_foreach(json_object_get(expect, "modes"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    struct stat s;
    assert_int_equal(lstat(p, &s), 0);
    assert_int_equal(s.st_mode & 07777, json_integer_value(json_array_get(v, 0)));
    assert_int_equal(s.st_uid, json_integer_value(json_array_get(v, 1)));
    assert_int_equal(s.st_gid, json_integer_value(json_array_get(v, 2)));
  }
  json_object_foreach(json_object_get(expect, "xattrs"), rel, v) {
    _cleanup_free_ char *p = path_join(merged, rel);
    const char *name;
    json_t *value;
    json_object_foreach(v, name, value) {
      _cleanup_free_ char *got = xattr_get(p, name);
      assert_non_null(got);
      assert_string_equal(got, json_string_value(value));
    }
  }
  size_t i;
  json_array_foreach(json_object_get(expect, "absent"), i, v) {
    _cleanup_free_ char *p = path_join(merged, json_string_value(v));
    if (exists(p))
      fail_msg("%s should be hidden", json_string_value(v));
  }
}

static void test_multilayer_fixture(void **state)
{
  fx *f = *state;
  const char *src = getenv("CRIO_SOURCE_DIR");
  const char *cache = getenv("CRIO_TEST_CACHE") ? getenv("CRIO_TEST_CACHE") : "/tmp/crio-test-cache";
  if (!src)
    skip();
  _cleanup_free_ char *fixtures = path_join(src, "tests/fixtures");
  _cleanup_free_ char *script = path_join(fixtures, "build_images.py");
  _cleanup_free_ char *oci = path_join(cache, "oci");
  _cleanup_free_ char *out = NULL, *expect_json = NULL;
  _cleanup_err_ crio_err *err = NULL;
  char *build[] = { "/usr/bin/python3", script, oci, NULL };
  char *expect_argv[] = { "/usr/bin/python3", "-c",
                          "import sys, json; sys.path.insert(0, sys.argv[1]); import build_images;"
                          "print(json.dumps(build_images.MULTILAYER_EXPECT))",
                          fixtures, NULL };
  if (run_capture(build, &out, &err) < 0 || run_capture(expect_argv, &expect_json, &err) < 0) {
    fprintf(stderr, "multilayer fixture unavailable: %s\n", err->message);
    skip();
  }
  _cleanup_free_ char *layout = path_join(oci, "multilayer");
  _cleanup_strbuf_ strbuf lowerdir = STRBUF_INIT;
  extract_fixture_layers(f, layout, &lowerdir);

  _cleanup_free_ char *merged = path_join(f->root, "merged");
  assert_int_equal(mkdir(merged, 0755), 0);
  _cleanup_free_ char *opts = xasprintf("lowerdir=%s", lowerdir.data);
  if (mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0) {
    fprintf(stderr, "overlay mount unavailable: %s\n", strerror(errno));
    skip();
  }
  json_t *expect = json_loads(expect_json, 0, NULL);
  assert_non_null(expect);
  check_merged(merged, expect);
  json_decref(expect);
  assert_int_equal(umount2(merged, 0), 0);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);  /* a writer whose reader left gets EPIPE, as in the daemon */
  if (geteuid() != 0) {
    fprintf(stderr, "test_layer_extract needs root (chown, mknod, trusted.* xattrs)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_files_modes_owners_mtimes),
    T(test_gzip_and_zstd),
    T(test_xattrs),
    T(test_links),
    T(test_devices_and_fifo),
    T(test_whiteouts),
    T(test_opaque),
    T(test_whiteouts_same_layer),
    T(test_replacing_entries),
    T(test_refuses_escapes),
    T(test_stream_drained_to_eof),
    T(test_truncated_and_garbage_streams_fail),
    T(test_empty_layers),
    T(test_utf8_names),
    T(test_rm_rf_at),
    T(test_rm_rf_at_refuses_mount_points),
    T(test_multilayer_fixture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
