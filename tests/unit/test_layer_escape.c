/* Unit tests for layer extraction's refusals (server/image/layer_extract.c,
 * layer_write.c): entries whose paths, symlinks, hardlinks or whiteouts
 * would reach outside the destination fail the layer and leave nothing
 * behind outside it. Needs root. */
#include "layer_test_util.h"

#include <dirent.h>

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

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test_layer_escape needs root (chown, mknod, trusted.* xattrs)\n");
    return 0;
  }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_refuses_escapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
