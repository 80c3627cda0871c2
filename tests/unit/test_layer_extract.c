/* Unit tests for layer extraction (server/image/layer_extract.c,
 * layer_write.c, layer_meta.c): formats and compression, modes, owners,
 * mtimes, xattrs, links, devices, whiteouts and opaque directories, and
 * streams fed through pipes. Path-escape refusals are in
 * test_layer_escape.c, rm_rf_at in test_rm_rf.c, the multilayer image in
 * test_layer_fixture.c. Test layers are built with libarchive's writer
 * (layer_test_util.h). Needs root. */
#include "layer_test_util.h"

#include <pthread.h>
#include <signal.h>
#include <sys/sysmacros.h>

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
    T(test_stream_drained_to_eof),
    T(test_truncated_and_garbage_streams_fail),
    T(test_empty_layers),
    T(test_utf8_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
