/* rootfs_diff: the A/C/D list of podman diff, from an upper directory made
 * by hand against two lower layers (a whiteout, an opaque directory and a
 * file hiding a directory among them), and from an upper directory that a
 * real overlay mount wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/overlay.h"
#include "server/image/rootfs_diff.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define T_IMAGE 1600000000

typedef struct fixture {
  char *tmp;
  char *l0, *l1, *upper;  /* l0 is the top layer */
} fixture;

static char *at(const char *dir, const char *rel)
{
  return xasprintf("%s/%s", dir, rel);
}

static void set_mtime(const char *p, time_t t)
{
  struct timespec ts[2] = { { t, 0 }, { t, 0 } };
  assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void mk_dir(const char *dir, const char *rel, mode_t mode)
{
  _cleanup_free_ char *p = at(dir, rel);
  assert_true(mkdir(p, mode) == 0 || errno == EEXIST);
  assert_int_equal(chmod(p, mode), 0);
}

static void mk_file(const char *dir, const char *rel, const char *data)
{
  _cleanup_free_ char *p = at(dir, rel);
  crio_err *err = NULL;
  assert_int_equal(write_file_atomic(p, data, strlen(data), 0644, &err), 0);
}

static void mk_whiteout(const char *dir, const char *rel)
{
  _cleanup_free_ char *p = at(dir, rel);
  assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
}

static void mk_opaque(const char *dir, const char *rel)
{
  _cleanup_free_ char *p = at(dir, rel);
  assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
}

static void mk_symlink(const char *dir, const char *rel, const char *target)
{
  _cleanup_free_ char *p = at(dir, rel);
  assert_int_equal(symlink(target, p), 0);
}

/* Directories get the image's mtime, last, so that making their contents
 * does not change it. */
static void settle_dirs(const char *dir, const char *const *rels)
{
  for (size_t i = 0; rels[i]; i++) {
    _cleanup_free_ char *p = at(dir, rels[i]);
    set_mtime(p, T_IMAGE);
  }
}

/* l1 (bottom): etc/{motd,passwd,old} opt/{a,b} var/log/x usr/bin/sh
 * home/u/.profile srv data/x lnk->etc; l0 (top): etc/old whited out, opt
 * opaque with only c, data a regular file (hiding l1's data/). */
static void make_image(fixture *f)
{
  static const char *const l1_dirs[] = { "etc", "opt", "var", "var/log", "usr", "usr/bin", "home",
                                         "home/u", "srv", "data", "data/x", NULL };
  for (size_t i = 0; l1_dirs[i]; i++)
    mk_dir(f->l1, l1_dirs[i], 0755);
  mk_file(f->l1, "etc/motd", "welcome\n");
  mk_file(f->l1, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  mk_file(f->l1, "etc/old", "old\n");
  mk_file(f->l1, "opt/a", "a");
  mk_file(f->l1, "opt/b", "b");
  mk_file(f->l1, "var/log/x", "x");
  mk_file(f->l1, "usr/bin/sh", "#!");
  mk_file(f->l1, "home/u/.profile", "PATH=/bin\n");
  mk_symlink(f->l1, "lnk", "etc");
  settle_dirs(f->l1, l1_dirs);

  static const char *const l0_dirs[] = { "etc", "opt", NULL };
  for (size_t i = 0; l0_dirs[i]; i++)
    mk_dir(f->l0, l0_dirs[i], 0755);
  mk_whiteout(f->l0, "etc/old");
  mk_file(f->l0, "opt/c", "c");
  mk_opaque(f->l0, "opt");
  mk_file(f->l0, "data", "a file now");
  settle_dirs(f->l0, l0_dirs);
}

static int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  f->tmp = xstrdup("/tmp/test_rootfs_diff_XXXXXX");
  assert_non_null(mkdtemp(f->tmp));
  f->l0 = at(f->tmp, "l0");
  f->l1 = at(f->tmp, "l1");
  f->upper = at(f->tmp, "upper");
  assert_int_equal(mkdir(f->l0, 0755), 0);
  assert_int_equal(mkdir(f->l1, 0755), 0);
  assert_int_equal(mkdir(f->upper, 0755), 0);
  make_image(f);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  assert_int_equal(rm_rf_at(f->tmp, &err), 0);
  free(f->tmp);
  free(f->l0);
  free(f->l1);
  free(f->upper);
  free(f);
  return 0;
}

/* The list as "K /path\n" lines. */
static char *diff_text(fixture *f)
{
  char *lower[] = { f->l0, f->l1 };
  rootfs_change *c = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  int r = rootfs_diff(f->upper, lower, 2, &c, &n, &err);
  if (r < 0)
    fail_msg("rootfs_diff: %s", err->message);
  strbuf b = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    strbuf_printf(&b, "%c %s\n", c[i].kind, c[i].path);
  rootfs_changes_free(c, n);
  return strbuf_steal(&b);
}

static void test_hand_made_upper(void **state)
{
  fixture *f = *state;
  const char *u = f->upper;
  static const char *const same[] = { "etc", "opt", "var", "usr", "home", "home/u", NULL };
  for (size_t i = 0; same[i]; i++)
    mk_dir(u, same[i], 0755);
  mk_file(u, "etc/motd", "changed\n");
  mk_file(u, "etc/new", "new\n");
  mk_file(u, "etc/old", "back, but the image had deleted it\n");
  mk_whiteout(u, "etc/passwd");
  mk_symlink(u, "etc/link", "/nowhere");
  mk_file(u, "opt/b", "b is hidden by the opaque opt of l0");
  mk_opaque(u, "var");
  mk_file(u, "var/new", "n");
  mk_whiteout(u, "usr/bin");
  mk_file(u, "home/u/.profile", "PATH=/usr/bin\n");
  mk_dir(u, "srv", 0700);
  mk_dir(u, "newdir", 0755);
  mk_file(u, "newdir/f", "f");
  mk_symlink(u, "lnk", "usr");
  mk_dir(u, "data", 0755);
  mk_file(u, "data/x", "x");
  mk_dir(u, "proc", 0555);  /* made by the runtime: podman leaves it out */
  settle_dirs(u, same);

  _cleanup_free_ char *got = diff_text(f);
  assert_string_equal(got, "C /data\n"
                           "A /data/x\n"
                           "C /etc\n"
                           "A /etc/link\n"
                           "C /etc/motd\n"
                           "A /etc/new\n"
                           "A /etc/old\n"
                           "D /etc/passwd\n"
                           "C /home/u/.profile\n"
                           "C /lnk\n"
                           "A /newdir\n"
                           "A /newdir/f\n"
                           "C /opt\n"
                           "A /opt/b\n"
                           "C /srv\n"
                           "C /usr\n"
                           "D /usr/bin\n"
                           "C /var\n"
                           "D /var/log\n"
                           "A /var/new\n");
}

static void test_empty_upper(void **state)
{
  fixture *f = *state;
  char *lower[] = { f->l0, f->l1 };
  rootfs_change *c = (rootfs_change *) 1;
  size_t n = 7;
  crio_err *err = NULL;
  assert_int_equal(rootfs_diff(f->upper, lower, 2, &c, &n, &err), 0);
  assert_null(c);
  assert_int_equal(n, 0);
}

static void test_missing_upper(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *missing = at(f->tmp, "nope");
  char *lower[] = { f->l0 };
  rootfs_change *c = NULL;
  size_t n = 0;
  crio_err *err = NULL;
  assert_int_equal(rootfs_diff(missing, lower, 1, &c, &n, &err), -CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, missing));
  crio_err_free(err);
}

static void append(const char *path, const char *data)
{
  int fd = open(path, O_WRONLY | O_APPEND);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, strlen(data)), (ssize_t) strlen(data));
  close(fd);
}

/* What overlayfs itself writes to upper: copy-ups, whiteouts, an opaque
 * directory. */
static void test_real_overlay(void **state)
{
  fixture *f = *state;
  _cleanup_free_ char *work = at(f->tmp, "work");
  _cleanup_free_ char *merged = at(f->tmp, "merged");
  assert_int_equal(mkdir(work, 0700), 0);
  assert_int_equal(mkdir(merged, 0755), 0);
  char *lower[] = { f->l0, f->l1 };
  crio_err *err = NULL;
  if (overlay_mount(lower, 2, f->upper, work, merged, &err) < 0) {
    print_message("overlay mount unavailable: %s\n", err->message);
    crio_err_free(err);
    skip();
  }
  _cleanup_free_ char *motd = at(merged, "etc/motd"), *profile = at(merged, "home/u/.profile");
  append(motd, "more\n");
  append(profile, "export PATH\n");
  mk_file(merged, "etc/new", "new\n");
  _cleanup_free_ char *passwd = at(merged, "etc/passwd"), *logx = at(merged, "var/log/x");
  assert_int_equal(unlink(passwd), 0);
  assert_int_equal(unlink(logx), 0);
  _cleanup_free_ char *opt = at(merged, "opt"), *srv = at(merged, "srv");
  assert_int_equal(rm_rf_at(opt, &err), 0);
  mk_dir(merged, "opt", 0755);
  mk_file(merged, "opt/z", "z");
  assert_int_equal(chmod(srv, 0750), 0);
  assert_int_equal(overlay_unmount(merged, &err), 0);

  _cleanup_free_ char *got = diff_text(f);
  assert_string_equal(got, "C /etc\n"
                           "C /etc/motd\n"
                           "A /etc/new\n"
                           "D /etc/passwd\n"
                           "C /home/u/.profile\n"
                           "C /opt\n"
                           "D /opt/c\n"
                           "A /opt/z\n"
                           "C /srv\n"
                           "C /var\n"
                           "C /var/log\n"
                           "D /var/log/x\n");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_hand_made_upper, setup, teardown),
    cmocka_unit_test_setup_teardown(test_empty_upper, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_upper, setup, teardown),
    cmocka_unit_test_setup_teardown(test_real_overlay, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
