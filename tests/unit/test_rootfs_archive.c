/* rootfs_export, rootfs_copy_out and rootfs_copy_in: the tar a client gets
 * (modes, owners, symlinks, hardlinks, devices; no sockets), paths resolved
 * inside the container's root and never on the host, and tar streams copied
 * in that cannot write outside their destination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "server/image/fsutil.h"
#include "server/image/rootfs_archive.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define T_FILE 1234567890

typedef struct fixture {
  char *tmp;
  char *root;  /* the container's rootfs */
} fixture;

static char *at(const char *dir, const char *rel)
{
  return xasprintf("%s/%s", dir, rel);
}

static void mk_file(const char *root, const char *rel, const char *data, mode_t mode, uid_t uid)
{
  _cleanup_free_ char *p = at(root, rel);
  crio_err *err = NULL;
  assert_int_equal(write_file_atomic(p, data, strlen(data), mode, &err), 0);
  assert_int_equal(chown(p, uid, uid), 0);
  assert_int_equal(chmod(p, mode), 0);
  struct timespec ts[2] = { { T_FILE, 0 }, { T_FILE, 0 } };
  assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void mk_dir(const char *root, const char *rel, mode_t mode)
{
  _cleanup_free_ char *p = at(root, rel);
  assert_int_equal(mkdir(p, mode), 0);
  assert_int_equal(chmod(p, mode), 0);
}

static void mk_symlink(const char *root, const char *rel, const char *target)
{
  _cleanup_free_ char *p = at(root, rel);
  assert_int_equal(symlink(target, p), 0);
}

static bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static int setup(void **state)
{
  fixture *f = xzalloc(sizeof *f);
  f->tmp = xstrdup("/tmp/test_rootfs_archive_XXXXXX");
  assert_non_null(mkdtemp(f->tmp));
  f->root = at(f->tmp, "root");
  assert_int_equal(mkdir(f->root, 0755), 0);
  mk_dir(f->root, "etc", 0755);
  mk_file(f->root, "etc/hostname", "container", 0604, 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  crio_err *err = NULL;
  assert_int_equal(rm_rf_at(f->tmp, &err), 0);
  free(f->root);
  free(f->tmp);
  free(f);
  return 0;
}

/* ------------------------------------------------------------ reading tars */

typedef struct got {
  char *name;
  mode_t type, perm;
  int64_t uid, gid;
  time_t mtime;
  char *symlink, *hardlink, *data, *xattr;
  dev_t rdev;
} got;

typedef struct tar_list {
  got v[64];
  size_t n;
} tar_list;

static void read_tar(int fd, tar_list *l)
{
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  assert_int_equal(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
  struct archive_entry *e;
  int r;
  l->n = 0;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    assert_true(l->n < 64);
    got *g = &l->v[l->n++];
    memset(g, 0, sizeof *g);
    g->name = xstrdup(archive_entry_pathname(e));
    size_t len = strlen(g->name);
    if (len > 1 && g->name[len - 1] == '/')
      g->name[len - 1] = '\0';
    g->type = archive_entry_filetype(e);
    g->perm = archive_entry_perm(e);
    g->uid = archive_entry_uid(e);
    g->gid = archive_entry_gid(e);
    g->mtime = archive_entry_mtime(e);
    g->symlink = xstrdup(archive_entry_symlink(e));
    g->hardlink = xstrdup(archive_entry_hardlink(e));
    g->rdev = archive_entry_rdev(e);
    const char *xname, *xvalue;
    size_t xlen;
    if (archive_entry_xattr_reset(e) > 0 &&
        archive_entry_xattr_next(e, &xname, (const void **) &xvalue, &xlen) == ARCHIVE_OK)
      g->xattr = xasprintf("%s=%.*s", xname, (int) xlen, xvalue);
    la_int64_t size = archive_entry_size(e);
    g->data = xzalloc((size_t) size + 1);
    if (size > 0)
      assert_int_equal(archive_read_data(a, g->data, (size_t) size), size);
  }
  assert_int_equal(r, ARCHIVE_EOF);
  archive_read_free(a);
}

static void tar_list_free(tar_list *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].name);
    free(l->v[i].symlink);
    free(l->v[i].hardlink);
    free(l->v[i].data);
    free(l->v[i].xattr);
  }
  l->n = 0;
}

static const got *find(const tar_list *l, const char *name)
{
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i].name, name))
      return &l->v[i];
  return NULL;
}

static char *names_of(const tar_list *l)
{
  char *s = xstrdup("");
  for (size_t i = 0; i < l->n; i++) {
    char *t = xasprintf("%s%s%s", s, i ? " " : "", l->v[i].name);
    free(s);
    s = t;
  }
  return s;
}

static int memfd(void)
{
  int fd = memfd_create("tar", MFD_CLOEXEC);
  assert_true(fd >= 0);
  return fd;
}

/* ----------------------------------------------------------- building tars */

typedef struct ent {
  const char *path;
  mode_t type;  /* AE_IFREG when 0 */
  mode_t perm;
  const char *data, *link, *hardlink;
  int64_t uid;
  unsigned major, minor;
} ent;

/* A memfd holding the tar of ents, positioned at its start. */
static int tar_of(const ent *ents, size_t n)
{
  int fd = memfd();
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++) {
    const ent *x = &ents[i];
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, x->path);
    archive_entry_set_filetype(e, x->type ? x->type : AE_IFREG);
    archive_entry_set_perm(e, x->perm ? x->perm : 0644);
    archive_entry_set_uid(e, x->uid);
    archive_entry_set_gid(e, x->uid);
    archive_entry_set_mtime(e, T_FILE, 0);
    if (x->link)
      archive_entry_set_symlink(e, x->link);
    if (x->hardlink)
      archive_entry_set_hardlink(e, x->hardlink);
    archive_entry_set_rdevmajor(e, x->major);
    archive_entry_set_rdevminor(e, x->minor);
    size_t len = x->data ? strlen(x->data) : 0;
    archive_entry_set_size(e, (la_int64_t) len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len)
      assert_int_equal(archive_write_data(a, x->data, len), (la_ssize_t) len);
    archive_entry_free(e);
  }
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  return fd;
}

/* ----------------------------------------------------------------- export */

static void make_tree(const char *root)
{
  mk_dir(root, "d", 0750);
  _cleanup_free_ char *d = at(root, "d");
  assert_int_equal(chown(d, 1000, 1000), 0);
  mk_file(root, "d/f", "hello", 0640, 1000);
  _cleanup_free_ char *f = at(root, "d/f"), *h = at(root, "d/h");
  assert_int_equal(link(f, h), 0);
  assert_int_equal(setxattr(f, "user.note", "hi", 2, 0), 0);
  mk_symlink(root, "l", "d/f");
  mk_file(root, "suid", "#!", 04755, 0);
  mk_dir(root, "dev", 0755);
  _cleanup_free_ char *null2 = at(root, "dev/null2"), *fifo = at(root, "p"), *s = at(root, "s");
  assert_int_equal(mknod(null2, S_IFCHR | 0666, makedev(1, 3)), 0);
  assert_int_equal(chmod(null2, 0666), 0);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s);
  assert_int_equal(bind(sock, (struct sockaddr *) &sa, sizeof sa), 0);
  close(sock);
}

static void test_export_tree(void **state)
{
  fixture *f = *state;
  make_tree(f->root);
  _cleanup_close_ int fd = memfd();
  crio_err *err = NULL;
  assert_int_equal(rootfs_export(f->root, fd, &err), 0);
  tar_list l;
  read_tar(fd, &l);
  _cleanup_free_ char *names = names_of(&l);
  assert_string_equal(names, "d d/f d/h dev dev/null2 etc etc/hostname l p suid");
  const got *g = find(&l, "d");
  assert_int_equal(g->type, AE_IFDIR);
  assert_int_equal(g->perm, 0750);
  assert_int_equal(g->uid, 1000);
  g = find(&l, "d/f");
  assert_int_equal(g->type, AE_IFREG);
  assert_int_equal(g->perm, 0640);
  assert_int_equal(g->uid, 1000);
  assert_int_equal(g->gid, 1000);
  assert_int_equal(g->mtime, T_FILE);
  assert_string_equal(g->data, "hello");
  assert_string_equal(g->xattr, "user.note=hi");
  assert_string_equal(find(&l, "d/h")->hardlink, "d/f");
  g = find(&l, "l");
  assert_int_equal(g->type, AE_IFLNK);
  assert_string_equal(g->symlink, "d/f");
  g = find(&l, "dev/null2");
  assert_int_equal(g->type, AE_IFCHR);
  assert_int_equal(g->rdev, makedev(1, 3));
  assert_int_equal(g->perm, 0666);
  assert_int_equal(find(&l, "p")->type, AE_IFIFO);
  assert_int_equal(find(&l, "suid")->perm, 04755);
  tar_list_free(&l);
}

static void test_export_client_gone(void **state)
{
  fixture *f = *state;
  make_tree(f->root);
  int p[2];
  assert_int_equal(pipe(p), 0);
  close(p[0]);
  crio_err *err = NULL;
  assert_int_equal(rootfs_export(f->root, p[1], &err), -CRIO_E_IO);
  assert_non_null(strstr(err->message, "went away"));
  crio_err_free(err);
  close(p[1]);
}

/* --------------------------------------------------------------- copy out */

static void copy_out(fixture *f, const char *path, tar_list *l)
{
  _cleanup_close_ int fd = memfd();
  crio_err *err = NULL;
  if (rootfs_copy_out(f->root, path, fd, &err) < 0)
    fail_msg("copy out %s: %s", path, err->message);
  read_tar(fd, l);
}

static void test_copy_out_file(void **state)
{
  fixture *f = *state;
  tar_list l;
  copy_out(f, "/etc/hostname", &l);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0].name, "hostname");
  assert_int_equal(l.v[0].perm, 0604);
  assert_string_equal(l.v[0].data, "container");
  tar_list_free(&l);
}

static void test_copy_out_dir(void **state)
{
  fixture *f = *state;
  make_tree(f->root);
  tar_list l;
  copy_out(f, "/d", &l);
  _cleanup_free_ char *names = names_of(&l);
  assert_string_equal(names, "d d/f d/h");
  assert_int_equal(l.v[0].perm, 0750);
  assert_string_equal(find(&l, "d/f")->data, "hello");
  assert_string_equal(find(&l, "d/h")->hardlink, "d/f");
  tar_list_free(&l);
  copy_out(f, "d/.", &l);  /* the contents, as podman cp CTR:/d/. */
  _cleanup_free_ char *contents = names_of(&l);
  assert_string_equal(contents, "f h");
  tar_list_free(&l);
}

/* Symlinks in the path, absolute or climbing, stay in the container. */
static void test_copy_out_symlinks_stay_inside(void **state)
{
  fixture *f = *state;
  mk_symlink(f->root, "x", "/etc");
  mk_symlink(f->root, "up", "../../../../../../etc");
  mk_symlink(f->root, "hn", "/etc/hostname");
  static const char *const paths[] = { "/x/hostname", "up/hostname", "/hn" };
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
    tar_list l;
    copy_out(f, paths[i], &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].type, AE_IFREG);
    assert_string_equal(l.v[0].data, "container");
    tar_list_free(&l);
  }
}

static void test_copy_out_missing(void **state)
{
  fixture *f = *state;
  _cleanup_close_ int fd = memfd();
  crio_err *err = NULL;
  assert_int_equal(rootfs_copy_out(f->root, "/etc/nope", fd, &err), -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "no such file or directory in the container: /etc/nope");
  crio_err_free(err);
  err = NULL;
  assert_int_equal(rootfs_copy_out(f->root, "/etc/hostname/x", fd, &err), -CRIO_E_NOT_FOUND);
  crio_err_free(err);
  assert_int_equal(lseek(fd, 0, SEEK_END), 0);
}

/* ---------------------------------------------------------------- copy in */

static int copy_in(fixture *f, const char *dest, const ent *ents, size_t n, crio_err **err)
{
  _cleanup_close_ int fd = tar_of(ents, n);
  return rootfs_copy_in(f->root, dest, fd, err);
}

static void test_copy_in_round_trip(void **state)
{
  fixture *f = *state;
  mk_dir(f->root, "dst", 0755);
  const ent ents[] = {
    { .path = "f", .perm = 0640, .uid = 1000, .data = "round trip" },
    { .path = "sub/g", .data = "no entry for sub: made 0755" },
    { .path = "dir", .type = AE_IFDIR, .perm = 0710, .uid = 7 },
    { .path = "dir/ln", .type = AE_IFLNK, .link = "../f" },
    { .path = "hard", .hardlink = "f" },
    { .path = "/abs", .data = "leading slash dropped" },
    { .path = "dev/null", .type = AE_IFCHR, .perm = 0620, .major = 1, .minor = 3, .uid = 5 },
    { .path = "fifo", .type = AE_IFIFO, .perm = 0604 },
  };
  crio_err *err = NULL;
  assert_int_equal(copy_in(f, "/dst", ents, ARRAY_SIZE(ents), &err), 0);
  _cleanup_free_ char *fp = at(f->root, "dst/f"), *dir = at(f->root, "dst/dir");
  struct stat st;
  assert_int_equal(stat(fp, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);
  assert_int_equal(st.st_uid, 1000);
  assert_int_equal(st.st_gid, 1000);
  assert_int_equal(st.st_mtime, T_FILE);
  assert_int_equal(st.st_nlink, 2);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0710);
  assert_int_equal(st.st_uid, 7);
  assert_int_equal(st.st_mtime, T_FILE);
  _cleanup_free_ char *abs = at(f->root, "dst/abs"), *g = at(f->root, "dst/sub/g");
  assert_true(exists(abs));
  assert_true(exists(g));
  _cleanup_free_ char *null = at(f->root, "dst/dev/null"), *fifo = at(f->root, "dst/fifo");
  assert_int_equal(lstat(null, &st), 0);
  assert_true(S_ISCHR(st.st_mode));
  assert_int_equal(st.st_rdev, makedev(1, 3));
  assert_int_equal(st.st_mode & 07777, 0620);
  assert_int_equal(st.st_uid, 5);
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0604);

  tar_list l;
  copy_out(f, "/dst/f", &l);
  assert_int_equal(l.v[0].perm, 0640);
  assert_int_equal(l.v[0].uid, 1000);
  assert_int_equal(l.v[0].gid, 1000);
  assert_string_equal(l.v[0].data, "round trip");
  tar_list_free(&l);
}

/* The destination is resolved inside root: a symlink to /etc is the
 * container's /etc. */
static void test_copy_in_dest_symlink(void **state)
{
  fixture *f = *state;
  mk_symlink(f->root, "x", "/etc");
  const ent ents[] = { { .path = "motd", .data = "hi" } };
  crio_err *err = NULL;
  assert_int_equal(copy_in(f, "/x", ents, 1, &err), 0);
  _cleanup_free_ char *motd = at(f->root, "etc/motd");
  assert_true(exists(motd));
}

static void expect_refused(fixture *f, const ent *ents, size_t n, const char *entry)
{
  crio_err *err = NULL;
  assert_int_equal(copy_in(f, "/dst", ents, n, &err), -CRIO_E_INVALID);
  if (!strstr(err->message, entry))
    fail_msg("\"%s\" does not name %s", err->message, entry);
  crio_err_free(err);
}

static void test_copy_in_escapes_refused(void **state)
{
  fixture *f = *state;
  mk_dir(f->root, "dst", 0755);
  mk_symlink(f->root, "dst/abs", "/");
  const ent dotdot[] = { { .path = "ok", .data = "kept" }, { .path = "../evil", .data = "x" } };
  expect_refused(f, dotdot, 2, "../evil");
  const ent deep[] = { { .path = "a/../../../evil", .data = "x" } };
  expect_refused(f, deep, 1, "a/../../../evil");
  const ent via_root[] = { { .path = "esc", .type = AE_IFLNK, .link = "/" },
                           { .path = "esc/evil", .data = "x" } };
  expect_refused(f, via_root, 2, "esc/evil");
  const ent climbing[] = { { .path = "up", .type = AE_IFLNK, .link = "../../../.." },
                           { .path = "up/evil", .data = "x" } };
  expect_refused(f, climbing, 2, "up/evil");
  const ent existing[] = { { .path = "abs/evil", .data = "x" } };
  expect_refused(f, existing, 1, "abs/evil");
  const ent hard[] = { { .path = "hl", .hardlink = "../etc/hostname" } };
  expect_refused(f, hard, 1, "hl");

  _cleanup_free_ char *ok = at(f->root, "dst/ok"), *e1 = at(f->root, "evil"),
                      *e2 = at(f->tmp, "evil"), *hl = at(f->root, "dst/hl");
  assert_true(exists(ok));  /* entries before the bad one stay */
  assert_false(exists(e1));
  assert_false(exists(e2));
  assert_false(exists(hl));
  assert_false(exists("/evil"));
}

static void test_copy_in_bad_dest(void **state)
{
  fixture *f = *state;
  const ent ents[] = { { .path = "f", .data = "x" } };
  crio_err *err = NULL;
  assert_int_equal(copy_in(f, "/nope", ents, 1, &err), -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "no such file or directory in the container: /nope");
  crio_err_free(err);
  err = NULL;
  assert_int_equal(copy_in(f, "/etc/hostname", ents, 1, &err), -CRIO_E_INVALID);
  crio_err_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_export_tree, setup, teardown),
    cmocka_unit_test_setup_teardown(test_export_client_gone, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_out_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_out_dir, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_out_symlinks_stay_inside, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_out_missing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_in_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_in_dest_symlink, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_in_escapes_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_copy_in_bad_dest, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
