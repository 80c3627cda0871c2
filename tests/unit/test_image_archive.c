/* Image archives (server/image/image_archive.c, archive_*.c): the fixture
 * images written as docker-archive and oci-archive and read back keep their
 * image ID, diff_ids, manifest and tags; GNU tar and skopeo read what we
 * write and we read what skopeo writes; corrupted layers, escaping entries
 * and oversized JSON are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/image/digest.h"
#include "server/image/fsutil.h"
#include "server/image/image_archive.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MAX_LAYERS 8

/* ------------------------------------------------------------- fixtures */

typedef struct fx_image {
  char *layout;
  char *manifest, *manifest_digest, *config, *config_digest;
  size_t manifest_len, config_len;
  char *paths[MAX_LAYERS], *digests[MAX_LAYERS], *types[MAX_LAYERS], *diff_ids[MAX_LAYERS];
  archive_layer layers[MAX_LAYERS];
  char *tags[2];
  archive_image_in in;
} fx_image;

typedef struct fx {
  char *tmp;
  char *oci;  /* the fixture layouts */
} fx;

static void decref(json_t **j)
{
  if (*j)
    json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(decref)))

static char *blob_path(const char *layout, const char *digest)
{
  return xasprintf("%s/blobs/sha256/%s", layout, digest + 7);
}

static char *read_blob(const char *layout, const char *digest, size_t *len)
{
  _cleanup_free_ char *p = blob_path(layout, digest);
  char *body = NULL;
  crio_err *err = NULL;
  assert_int_equal(read_file(p, &body, len, &err), 0);
  return body;
}

/* The image that the layout's index.json names first (a manifest). */
static void fx_image_load(fx *f, const char *name, fx_image *img)
{
  memset(img, 0, sizeof *img);
  img->layout = path_join(f->oci, name);
  _cleanup_free_ char *index_path = path_join(img->layout, "index.json");
  _cleanup_json_ json_t *index = json_load_file(index_path, 0, NULL);
  assert_non_null(index);
  json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
  img->manifest_digest = xstrdup(json_string_value(json_object_get(desc, "digest")));
  img->manifest = read_blob(img->layout, img->manifest_digest, &img->manifest_len);
  image_manifest m;
  crio_err *err = NULL;
  assert_int_equal(manifest_parse(img->manifest, img->manifest_len, MT_OCI_MANIFEST, &m, &err), 0);
  img->config_digest = xstrdup(m.config.digest);
  img->config = read_blob(img->layout, img->config_digest, &img->config_len);
  image_config c;
  assert_int_equal(image_config_parse(img->config, img->config_len, &c, &err), 0);
  assert_int_equal(c.n_diff_ids, m.n_layers);
  assert_true(m.n_layers <= MAX_LAYERS);
  for (size_t i = 0; i < m.n_layers; i++) {
    img->paths[i] = blob_path(img->layout, m.layers[i].digest);
    img->digests[i] = xstrdup(m.layers[i].digest);
    img->types[i] = xstrdup(m.layers[i].media_type);
    img->diff_ids[i] = xstrdup(c.diff_ids[i]);
    img->layers[i] = (archive_layer){ img->paths[i], img->digests[i], img->types[i],
                                      img->diff_ids[i], m.layers[i].size };
  }
  img->tags[0] = xasprintf("docker.io/library/%s:latest", name);
  img->tags[1] = xstrdup("localhost/other:v1");
  img->in = (archive_image_in){ img->config, img->config_len, img->config_digest, img->manifest,
                                img->manifest_len, img->manifest_digest, MT_OCI_MANIFEST,
                                img->layers, m.n_layers, img->tags, 2 };
  image_manifest_clear(&m);
  image_config_clear(&c);
}

static void fx_image_clear(fx_image *img)
{
  free(img->layout);
  free(img->manifest);
  free(img->manifest_digest);
  free(img->config);
  free(img->config_digest);
  for (size_t i = 0; i < MAX_LAYERS; i++) {
    free(img->paths[i]);
    free(img->digests[i]);
    free(img->types[i]);
    free(img->diff_ids[i]);
  }
  free(img->tags[0]);
  free(img->tags[1]);
}

static int setup(void **state)
{
  fx *f = xzalloc(sizeof *f);
  f->tmp = xstrdup("/tmp/test_image_archive_XXXXXX");
  assert_non_null(mkdtemp(f->tmp));
  const char *src = getenv("CRIO_SOURCE_DIR");
  const char *cache = getenv("CRIO_TEST_CACHE");
  f->oci = xasprintf("%s/oci", cache ? cache : "/tmp/crio-test-cache");
  _cleanup_free_ char *cmd = xasprintf("/usr/bin/python3 %s/tests/fixtures/build_images.py %s >/dev/null",
                                       src ? src : ".", f->oci);
  assert_int_equal(system(cmd), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fx *f = *state;
  crio_err *err = NULL;
  if (getenv("CRIO_TEST_KEEP_TMP"))  /* for debugging */
    fprintf(stderr, "kept %s\n", f->tmp);
  else
    assert_int_equal(rm_rf_at(f->tmp, &err), 0);
  free(f->tmp);
  free(f->oci);
  free(f);
  return 0;
}

/* --------------------------------------------------------------- helpers */

static char *tmp_path(fx *f, const char *name)
{
  return path_join(f->tmp, name);
}

static void write_archive(const char *path, image_archive_format fmt, const archive_image_in *in)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  crio_err *err = NULL;
  int r = image_archive_write(fd, fmt, in, &err);
  if (r < 0)
    fail_msg("image_archive_write: %s", err->message);
  close(fd);
}

/* Reads path into a fresh work directory; returns the result code. */
static int read_archive(fx *f, const char *path, archive_images_out *out, crio_err **err)
{
  static int n;
  _cleanup_free_ char *name = xasprintf("work%d", n++);
  _cleanup_free_ char *work = tmp_path(f, name);
  assert_int_equal(mkdir(work, 0700), 0);
  return image_archive_read(path, work, out, err);
}

static void read_ok(fx *f, const char *path, archive_images_out *out)
{
  _cleanup_err_ crio_err *err = NULL;
  if (read_archive(f, path, out, &err) < 0)
    fail_msg("image_archive_read %s: %s", path, err->message);
}

/* Reads path, expecting failure with a message containing want. */
static void read_fails(fx *f, const char *path, const char *want)
{
  archive_images_out out;
  _cleanup_err_ crio_err *err = NULL;
  assert_true(read_archive(f, path, &out, &err) < 0);
  assert_non_null(err);
  if (!strstr(err->message, want))
    fail_msg("error \"%s\" lacks \"%s\"", err->message, want);
  assert_int_equal(out.n, 0);
}

static char *run(char *const argv[])
{
  char *out = NULL;
  _cleanup_err_ crio_err *err = NULL;
  if (run_capture(argv, &out, &err) < 0)
    fail_msg("%s: %s", argv[0], err->message);
  return out;
}

static bool have(const char *prog)
{
  _cleanup_free_ char *cmd = xasprintf("command -v %s >/dev/null 2>&1", prog);
  return system(cmd) == 0;
}

static void flip_byte(const char *path, off_t offset)
{
  int fd = open(path, O_RDWR | O_CLOEXEC);
  assert_true(fd >= 0);
  unsigned char c;
  assert_int_equal(pread(fd, &c, 1, offset), 1);
  c ^= 0x55;
  assert_int_equal(pwrite(fd, &c, 1, offset), 1);
  close(fd);
}

static void assert_file_digest(const char *path, const char *want)
{
  _cleanup_free_ char *got = NULL;
  crio_err *err = NULL;
  assert_int_equal(digest_file(path, &got, &err), 0);
  assert_string_equal(got, want);
}

/* A tar built entry by entry: data, a file's content, or a symlink. */
typedef struct tent {
  const char *name;
  const char *data;
  const char *file;
  const char *symlink;
  size_t len;  /* of data; strlen when 0 */
} tent;

static void tar_build(const char *path, const tent *ents, size_t n)
{
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *content = NULL;
    size_t len = ents[i].len ? ents[i].len : ents[i].data ? strlen(ents[i].data) : 0;
    if (ents[i].file) {
      crio_err *err = NULL;
      assert_int_equal(read_file(ents[i].file, &content, &len, &err), 0);
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, ents[i].name);
    archive_entry_set_filetype(e, ents[i].symlink ? AE_IFLNK : AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (ents[i].symlink)
      archive_entry_set_symlink(e, ents[i].symlink);
    archive_entry_set_size(e, ents[i].symlink ? 0 : (la_int64_t) len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    const char *p = content ? content : ents[i].data;
    if (len)
      assert_int_equal(archive_write_data(a, p, len), (la_ssize_t) len);
    archive_entry_free(e);
  }
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

/* Extracts archive into dir with GNU tar, lets the caller damage it, and
 * tars it up again as out. */
static void gnu_untar(const char *archive, const char *dir)
{
  assert_int_equal(mkdir(dir, 0755), 0);
  char *argv[] = { "tar", "-xf", (char *) archive, "-C", (char *) dir, NULL };
  free(run(argv));
}

static void gnu_tar(const char *dir, const char *out)
{
  char *argv[] = { "tar", "-cf", (char *) out, "-C", (char *) dir, ".", NULL };
  free(run(argv));
}

/* ----------------------------------------------------------------- tests */

static void test_format_parse(void **state)
{
  image_archive_format fmt;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(image_archive_format_parse("docker-archive", &fmt, NULL), 0);
  assert_int_equal(fmt, IMAGE_ARCHIVE_DOCKER);
  assert_int_equal(image_archive_format_parse("oci-archive", &fmt, NULL), 0);
  assert_int_equal(fmt, IMAGE_ARCHIVE_OCI);
  assert_string_equal(image_archive_format_name(IMAGE_ARCHIVE_OCI), "oci-archive");
  assert_int_equal(image_archive_format_parse("oci-dir", &fmt, &err), -CRIO_E_INVALID);
  assert_non_null(strstr(err->message, "oci-dir"));
}

static void check_docker_image(const fx_image *src, const archive_image_out *img)
{
  assert_string_equal(img->config_digest, src->config_digest);
  assert_int_equal(img->config_len, src->config_len);
  assert_memory_equal(img->config, src->config, src->config_len);
  assert_int_equal(img->n_layers, src->in.n_layers);
  for (size_t i = 0; i < img->n_layers; i++) {
    assert_string_equal(img->layers[i].diff_id, src->diff_ids[i]);
    assert_string_equal(img->layers[i].digest, src->diff_ids[i]);  /* uncompressed */
    assert_string_equal(img->layers[i].media_type, MT_OCI_LAYER);
    assert_file_digest(img->layers[i].path, src->diff_ids[i]);
  }
  image_manifest m;
  crio_err *err = NULL;
  assert_string_equal(img->manifest_media_type, MT_OCI_MANIFEST);
  assert_int_equal(manifest_parse(img->manifest, img->manifest_len, MT_OCI_MANIFEST, &m, &err), 0);
  assert_string_equal(m.config.digest, src->config_digest);
  assert_int_equal(m.n_layers, img->n_layers);
  assert_string_equal(m.layers[0].digest, img->layers[0].digest);
  image_manifest_clear(&m);
  _cleanup_free_ char *d = digest_bytes(img->manifest, img->manifest_len);
  assert_string_equal(d, img->manifest_digest);
}

static void test_docker_roundtrip(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "multilayer.tar");
  write_archive(path, IMAGE_ARCHIVE_DOCKER, &src.in);
  archive_images_out a, b;
  read_ok(f, path, &a);
  read_ok(f, path, &b);
  assert_int_equal(a.n, 1);
  check_docker_image(&src, &a.items[0]);
  assert_int_equal(a.items[0].n_repo_tags, 2);
  assert_string_equal(a.items[0].repo_tags[0], "docker.io/library/multilayer:latest");
  assert_string_equal(a.items[0].repo_tags[1], "localhost/other:v1");
  /* the synthesized manifest is the same every time */
  assert_string_equal(a.items[0].manifest_digest, b.items[0].manifest_digest);
  archive_images_out_clear(&a);
  archive_images_out_clear(&b);
  fx_image_clear(&src);
}

static void test_docker_archive_as_docker_writes_it(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "busybox", &src);
  _cleanup_free_ char *path = tmp_path(f, "busybox.tar");
  write_archive(path, IMAGE_ARCHIVE_DOCKER, &src.in);
  char *list_argv[] = { "tar", "-tvf", path, NULL };
  _cleanup_free_ char *list = run(list_argv);
  _cleanup_free_ char *config_name = xasprintf("%s.json", src.config_digest + 7);
  _cleanup_free_ char *layer_name = xasprintf("%s.tar", src.diff_ids[0] + 7);
  assert_non_null(strstr(list, config_name));
  assert_non_null(strstr(list, layer_name));
  assert_non_null(strstr(list, "/layer.tar -> ../"));
  assert_non_null(strstr(list, "/VERSION"));

  char *manifest_argv[] = { "tar", "-xOf", path, "manifest.json", NULL };
  _cleanup_free_ char *mtext = run(manifest_argv);
  _cleanup_json_ json_t *m = json_loads(mtext, 0, NULL);
  assert_true(json_is_array(m) && json_array_size(m) == 1);
  json_t *item = json_array_get(m, 0);
  assert_string_equal(json_string_value(json_object_get(item, "Config")), config_name);
  json_t *tags = json_object_get(item, "RepoTags");
  assert_string_equal(json_string_value(json_array_get(tags, 0)), "docker.io/library/busybox:latest");
  json_t *layers = json_object_get(item, "Layers");
  assert_int_equal(json_array_size(layers), 1);
  assert_string_equal(json_string_value(json_array_get(layers, 0)), layer_name);

  char *repos_argv[] = { "tar", "-xOf", path, "repositories", NULL };
  _cleanup_free_ char *rtext = run(repos_argv);
  _cleanup_json_ json_t *repos = json_loads(rtext, 0, NULL);
  const char *top = json_string_value(json_object_get(
      json_object_get(repos, "docker.io/library/busybox"), "latest"));
  assert_non_null(top);
  assert_string_equal(json_string_value(json_object_get(json_object_get(repos, "localhost/other"), "v1")), top);
  _cleanup_free_ char *legacy_json = xasprintf("%s/json", top);
  char *json_argv[] = { "tar", "-xOf", path, legacy_json, NULL };
  _cleanup_free_ char *ltext = run(json_argv);
  assert_non_null(strstr(ltext, top));

  /* the layer as extracted by GNU tar is the uncompressed layer */
  _cleanup_free_ char *dir = tmp_path(f, "untar");
  gnu_untar(path, dir);
  _cleanup_free_ char *layer = path_join(dir, layer_name);
  assert_file_digest(layer, src.diff_ids[0]);
  fx_image_clear(&src);
}

static void test_oci_roundtrip(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "multilayer-oci.tar");
  write_archive(path, IMAGE_ARCHIVE_OCI, &src.in);
  archive_images_out out;
  read_ok(f, path, &out);
  assert_int_equal(out.n, 1);
  archive_image_out *img = &out.items[0];
  assert_string_equal(img->manifest_digest, src.manifest_digest);
  assert_int_equal(img->manifest_len, src.manifest_len);
  assert_memory_equal(img->manifest, src.manifest, src.manifest_len);
  assert_string_equal(img->manifest_media_type, MT_OCI_MANIFEST);
  assert_string_equal(img->config_digest, src.config_digest);
  assert_int_equal(img->n_layers, src.in.n_layers);
  for (size_t i = 0; i < img->n_layers; i++) {
    assert_string_equal(img->layers[i].digest, src.digests[i]);
    assert_string_equal(img->layers[i].media_type, MT_OCI_LAYER_GZIP);
    assert_string_equal(img->layers[i].diff_id, src.diff_ids[i]);
    assert_int_equal(img->layers[i].size, src.layers[i].size);
    assert_file_digest(img->layers[i].path, src.digests[i]);
  }
  assert_int_equal(img->n_repo_tags, 1);
  assert_string_equal(img->repo_tags[0], "docker.io/library/multilayer:latest");
  archive_images_out_clear(&out);

  char *list_argv[] = { "tar", "-tf", path, NULL };
  _cleanup_free_ char *list = run(list_argv);
  _cleanup_free_ char *mblob = xasprintf("blobs/sha256/%s", src.manifest_digest + 7);
  assert_non_null(strstr(list, "oci-layout"));
  assert_non_null(strstr(list, "index.json"));
  assert_non_null(strstr(list, mblob));
  char *index_argv[] = { "tar", "-xOf", path, "index.json", NULL };
  _cleanup_free_ char *itext = run(index_argv);
  _cleanup_json_ json_t *index = json_loads(itext, 0, NULL);
  json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
  assert_string_equal(json_string_value(json_object_get(desc, "digest")), src.manifest_digest);
  assert_string_equal(json_string_value(json_object_get(json_object_get(desc, "annotations"),
                                                        "org.opencontainers.image.ref.name")),
                      "docker.io/library/multilayer:latest");
  fx_image_clear(&src);
}

/* A plain OCI layout tarred by GNU tar, its index an image index, its
 * ref.name a bare tag. */
static void test_oci_index_and_bare_tag(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *layout = path_join(f->oci, "busybox-multiarch");
  _cleanup_free_ char *path = tmp_path(f, "Multi_Arch.tar.gz");
  char *argv[] = { "tar", "-czf", path, "-C", layout, ".", NULL };
  free(run(argv));
  archive_images_out out;
  read_ok(f, path, &out);
  assert_int_equal(out.n, 1);
  _cleanup_free_ char *digests_path = path_join(f->oci, "digests.json");
  _cleanup_json_ json_t *digests = json_load_file(digests_path, 0, NULL);
  platform host;
  platform_host(&host);
  _cleanup_free_ char *key = xasprintf("linux/%s", host.arch);
  platform_clear(&host);
  const char *want = json_string_value(json_object_get(
      json_object_get(json_object_get(digests, "busybox-multiarch"), "manifests"), key));
  if (want)
    assert_string_equal(out.items[0].manifest_digest, want);
  assert_int_equal(out.items[0].n_repo_tags, 1);
  assert_string_equal(out.items[0].repo_tags[0], "localhost/multi-arch:latest");
  archive_images_out_clear(&out);
}

static void test_corrupted_docker_layer_refused(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "good.tar");
  write_archive(path, IMAGE_ARCHIVE_DOCKER, &src.in);
  _cleanup_free_ char *dir = tmp_path(f, "bad");
  gnu_untar(path, dir);
  _cleanup_free_ char *name = xasprintf("%s.tar", src.diff_ids[1] + 7);
  _cleanup_free_ char *layer = path_join(dir, name);
  flip_byte(layer, 700);  /* inside the first file's data */
  _cleanup_free_ char *bad = tmp_path(f, "bad.tar");
  gnu_tar(dir, bad);
  read_fails(f, bad, "content does not match the config's diff_id");
  read_fails(f, bad, "layer 2");
  fx_image_clear(&src);
}

static void test_corrupted_oci_blob_refused(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "good-oci.tar");
  write_archive(path, IMAGE_ARCHIVE_OCI, &src.in);
  _cleanup_free_ char *dir = tmp_path(f, "bad-oci");
  gnu_untar(path, dir);
  _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", src.digests[2] + 7);
  _cleanup_free_ char *blob = path_join(dir, name);
  flip_byte(blob, 20);
  _cleanup_free_ char *bad = tmp_path(f, "bad-oci.tar");
  gnu_tar(dir, bad);
  read_fails(f, bad, "does not match its digest");
  fx_image_clear(&src);
}

/* A layer that does not match its diff_id fails the write midway, and the
 * tar is left without its end: GNU tar and the reader see it truncated. */
static void test_write_refuses_corrupted_blob(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  src.layers[2].diff_id = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  _cleanup_free_ char *path = tmp_path(f, "never.tar");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(image_archive_write(fd, IMAGE_ARCHIVE_DOCKER, &src.in, &err), -CRIO_E_INVALID);
  close(fd);
  assert_non_null(strstr(err->message, "layer 3"));
  assert_non_null(strstr(err->message, "does not match its diff_id"));
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_size > 1024 * 1024);  /* the base layer went out */
  char *argv[] = { "tar", "-tf", path, NULL };
  char *out = NULL;
  _cleanup_err_ crio_err *tar_err = NULL;
  assert_true(run_capture(argv, &out, &tar_err) < 0);
  free(out);
  read_fails(f, path, "runcated");
  fx_image_clear(&src);
}

typedef struct pipe_reader {
  int fd;
  const char *path;
} pipe_reader;

static void *drain_pipe(void *arg)
{
  pipe_reader *pr = arg;
  int out = open(pr->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  char buf[4096];
  ssize_t n;
  while ((n = read(pr->fd, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t) n) != n)
      break;
  close(out);
  close(pr->fd);
  return NULL;
}

/* Written to a pipe (no seeking), as to an HTTP client; a reader that
 * goes away fails the write with an I/O error. */
static void test_write_to_pipe(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "piped.tar");
  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  pipe_reader pr = { p[0], path };
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, drain_pipe, &pr), 0);
  crio_err *err = NULL;
  assert_int_equal(image_archive_write(p[1], IMAGE_ARCHIVE_DOCKER, &src.in, &err), 0);
  close(p[1]);
  pthread_join(t, NULL);
  archive_images_out out;
  read_ok(f, path, &out);
  check_docker_image(&src, &out.items[0]);
  archive_images_out_clear(&out);

  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  close(p[0]);
  _cleanup_err_ crio_err *perr = NULL;
  assert_int_equal(image_archive_write(p[1], IMAGE_ARCHIVE_OCI, &src.in, &perr), -CRIO_E_IO);
  close(p[1]);
  assert_non_null(strstr(perr->message, "write oci-archive of image docker.io/library/multilayer:latest"));
  fx_image_clear(&src);
}

static void test_escaping_entries_refused(void **state)
{
  fx *f = *state;
  _cleanup_free_ char *p1 = tmp_path(f, "dotdot.tar");
  tar_build(p1, (const tent[]){ { .name = "manifest.json", .data = "[]" },
                                { .name = "../x", .data = "escape" } }, 2);
  read_fails(f, p1, "\"../x\" leaves the archive");
  _cleanup_free_ char *outside = tmp_path(f, "x");
  assert_int_equal(access(outside, F_OK), -1);

  _cleanup_free_ char *p2 = tmp_path(f, "abs.tar");
  tar_build(p2, (const tent[]){ { .name = "/etc/x", .data = "escape" } }, 1);
  read_fails(f, p2, "\"/etc/x\" leaves the archive");

  _cleanup_free_ char *p3 = tmp_path(f, "symlink.tar");
  tar_build(p3, (const tent[]){ { .name = "a/manifest.json", .symlink = "../../etc/passwd" } }, 1);
  read_fails(f, p3, "outside the archive");

  _cleanup_free_ char *p4 = tmp_path(f, "nothing.tar");
  tar_build(p4, (const tent[]){ { .name = "hello.txt", .data = "hi" } }, 1);
  read_fails(f, p4, "neither a docker-archive");
}

static void test_gzip_docker_archive(void **state)
{
  fx *f = *state;
  fx_image src;
  fx_image_load(f, "busybox", &src);
  _cleanup_free_ char *path = tmp_path(f, "busybox.tar");
  write_archive(path, IMAGE_ARCHIVE_DOCKER, &src.in);
  _cleanup_free_ char *gz = tmp_path(f, "busybox.tar.gz");
  _cleanup_free_ char *cmd = xasprintf("gzip -c %s > %s", path, gz);
  assert_int_equal(system(cmd), 0);
  archive_images_out out;
  read_ok(f, gz, &out);
  assert_int_equal(out.n, 1);
  check_docker_image(&src, &out.items[0]);
  archive_images_out_clear(&out);
  fx_image_clear(&src);
}

/* Two images in one manifest.json, docker's "<id>/layer.tar" paths, layers
 * left gzip-compressed, one reached through a symlink. */
static void test_docker_multi_image_compressed_layers(void **state)
{
  fx *f = *state;
  fx_image bb, ml;
  fx_image_load(f, "busybox", &bb);
  fx_image_load(f, "multilayer", &ml);
  assert_string_equal(bb.digests[0], ml.digests[0]);
  const char *manifest =
      "[{\"Config\":\"bb.json\",\"RepoTags\":[\"busybox:1\"],\"Layers\":[\"l0/layer.tar\"]},"
      "{\"Config\":\"ml.json\",\"RepoTags\":null,\"Layers\":[\"l0/layer.tar\",\"l1/layer.tar\","
      "\"./l2//layer.tar\",\"l3/layer.tar\"]}]";
  _cleanup_free_ char *path = tmp_path(f, "multi.tar");
  _cleanup_free_ char *bb_config = blob_path(bb.layout, bb.config_digest);
  _cleanup_free_ char *ml_config = blob_path(ml.layout, ml.config_digest);
  tar_build(path, (const tent[]){
      { .name = "bb.json", .file = bb_config },
      { .name = "ml.json", .file = ml_config },
      { .name = "l0/layer.tar", .file = ml.paths[0] },
      { .name = "l1/layer.tar", .file = ml.paths[1] },
      { .name = "blob2.gz", .file = ml.paths[2] },
      { .name = "l2/layer.tar", .symlink = "../blob2.gz" },
      { .name = "l3/layer.tar", .file = ml.paths[3] },
      { .name = "manifest.json", .data = manifest } }, 8);
  archive_images_out out;
  read_ok(f, path, &out);
  assert_int_equal(out.n, 2);
  assert_string_equal(out.items[0].config_digest, bb.config_digest);
  assert_string_equal(out.items[0].repo_tags[0], "busybox:1");
  assert_string_equal(out.items[1].config_digest, ml.config_digest);
  assert_int_equal(out.items[1].n_repo_tags, 0);
  assert_int_equal(out.items[1].n_layers, 4);
  for (size_t i = 0; i < 4; i++) {
    archive_layer_out *l = &out.items[1].layers[i];
    assert_string_equal(l->digest, ml.digests[i]);
    assert_string_equal(l->media_type, MT_OCI_LAYER_GZIP);
    assert_string_equal(l->diff_id, ml.diff_ids[i]);
    assert_file_digest(l->path, ml.digests[i]);
  }
  assert_string_equal(out.items[0].layers[0].path, out.items[1].layers[0].path);
  archive_images_out_clear(&out);
  fx_image_clear(&bb);
  fx_image_clear(&ml);
}

static void test_oversized_json_refused(void **state)
{
  fx *f = *state;
  size_t len = IMAGE_ARCHIVE_JSON_MAX + 2;
  char *big = xmalloc(len + 1);
  memset(big, ' ', len);
  big[0] = '[';
  big[len - 1] = ']';
  big[len] = '\0';
  _cleanup_free_ char *path = tmp_path(f, "big.tar");
  tar_build(path, (const tent[]){ { .name = "manifest.json", .data = big, .len = len } }, 1);
  free(big);
  archive_images_out out;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(read_archive(f, path, &out, &err), -CRIO_E_TOO_LARGE);
  assert_non_null(strstr(err->message, "manifest.json"));
}

/* --------------------------------------------------------------- skopeo */

/* skopeo with the fixtures' policy and platform, as tests/fixtures/registry.py
 * runs it; the arguments end with NULL. */
static char *skopeo(const char *first, ...)
{
  const char *src = getenv("CRIO_SOURCE_DIR");
  _cleanup_free_ char *policy = xasprintf("%s/tests/fixtures/policy.json", src ? src : ".");
  char *argv[16] = { "skopeo", "--policy", policy, "--override-arch", "amd64",
                     "--override-os", "linux" };
  size_t n = 7;
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && n + 1 < ARRAY_SIZE(argv); a = va_arg(ap, const char *))
    argv[n++] = (char *) a;
  va_end(ap);
  argv[n] = NULL;
  return run(argv);
}

static void test_skopeo_docker_archive_loads(void **state)
{
  fx *f = *state;
  if (!have("skopeo"))
    skip();
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *path = tmp_path(f, "skopeo.tar");
  _cleanup_free_ char *from = xasprintf("oci:%s:latest", src.layout);
  _cleanup_free_ char *to = xasprintf("docker-archive:%s:example/name:tag", path);
  free(skopeo("copy", "--quiet", from, to, NULL));
  archive_images_out out;
  read_ok(f, path, &out);
  assert_int_equal(out.n, 1);
  check_docker_image(&src, &out.items[0]);
  assert_int_equal(out.items[0].n_repo_tags, 1);
  assert_non_null(strstr(out.items[0].repo_tags[0], "example/name:tag"));
  archive_images_out_clear(&out);

  /* skopeo's oci-archive, named by a bare tag */
  _cleanup_free_ char *opath = tmp_path(f, "skopeo-oci.tar");
  _cleanup_free_ char *oto = xasprintf("oci-archive:%s:v2", opath);
  free(skopeo("copy", "--quiet", from, oto, NULL));
  read_ok(f, opath, &out);
  assert_int_equal(out.n, 1);
  assert_string_equal(out.items[0].manifest_digest, src.manifest_digest);
  assert_string_equal(out.items[0].config_digest, src.config_digest);
  assert_string_equal(out.items[0].repo_tags[0], "localhost/skopeo-oci:v2");
  archive_images_out_clear(&out);
  fx_image_clear(&src);
}

static void test_skopeo_reads_ours(void **state)
{
  fx *f = *state;
  if (!have("skopeo"))
    skip();
  fx_image src;
  fx_image_load(f, "multilayer", &src);
  _cleanup_free_ char *dpath = tmp_path(f, "ours-docker.tar");
  _cleanup_free_ char *opath = tmp_path(f, "ours-oci.tar");
  write_archive(dpath, IMAGE_ARCHIVE_DOCKER, &src.in);
  write_archive(opath, IMAGE_ARCHIVE_OCI, &src.in);

  /* docker-archive: inspected, its config unchanged, copied to a layout */
  _cleanup_free_ char *dref = xasprintf("docker-archive:%s", dpath);
  _cleanup_free_ char *inspect = skopeo("inspect", dref, NULL);
  _cleanup_json_ json_t *j = json_loads(inspect, 0, NULL);
  assert_non_null(j);
  assert_int_equal(json_array_size(json_object_get(j, "Layers")), src.in.n_layers);
  _cleanup_free_ char *config = skopeo("inspect", "--raw", "--config", dref, NULL);
  _cleanup_free_ char *config_digest = digest_bytes(config, strlen(config));
  assert_string_equal(config_digest, src.config_digest);
  _cleanup_free_ char *layout = tmp_path(f, "from-ours");
  _cleanup_free_ char *to = xasprintf("oci:%s:copied", layout);
  free(skopeo("copy", "--quiet", dref, to, NULL));
  _cleanup_free_ char *index_path = path_join(layout, "index.json");
  _cleanup_json_ json_t *index = json_load_file(index_path, 0, NULL);
  const char *mdigest = json_string_value(
      json_object_get(json_array_get(json_object_get(index, "manifests"), 0), "digest"));
  assert_non_null(mdigest);
  _cleanup_free_ char *mpath = blob_path(layout, mdigest);
  _cleanup_json_ json_t *m = json_load_file(mpath, 0, NULL);
  /* converting to OCI, skopeo rewrites the config: its layers stay */
  _cleanup_free_ char *cpath = blob_path(
      layout, json_string_value(json_object_get(json_object_get(m, "config"), "digest")));
  _cleanup_json_ json_t *c = json_load_file(cpath, 0, NULL);
  json_t *diff_ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
  assert_int_equal(json_array_size(diff_ids), src.in.n_layers);
  for (size_t i = 0; i < src.in.n_layers; i++)
    assert_string_equal(json_string_value(json_array_get(diff_ids, i)), src.diff_ids[i]);

  /* oci-archive: the manifest as it was */
  _cleanup_free_ char *oref = xasprintf("oci-archive:%s", opath);
  _cleanup_free_ char *raw = skopeo("inspect", "--raw", oref, NULL);
  assert_int_equal(strlen(raw), src.manifest_len);
  assert_memory_equal(raw, src.manifest, src.manifest_len);
  fx_image_clear(&src);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);  /* as in the daemon: a gone reader is EPIPE */
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_format_parse),
    T(test_docker_roundtrip),
    T(test_docker_archive_as_docker_writes_it),
    T(test_oci_roundtrip),
    T(test_oci_index_and_bare_tag),
    T(test_corrupted_docker_layer_refused),
    T(test_corrupted_oci_blob_refused),
    T(test_write_refuses_corrupted_blob),
    T(test_write_to_pipe),
    T(test_escaping_entries_refused),
    T(test_gzip_docker_archive),
    T(test_docker_multi_image_compressed_layers),
    T(test_oversized_json_refused),
    T(test_skopeo_docker_archive_loads),
    T(test_skopeo_reads_ours),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
