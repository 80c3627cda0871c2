/* oci-archive: an OCI image layout (oci-layout, index.json, blobs/sha256/)
 * in a tar, as podman save --format oci-archive and skopeo write it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "server/image/archive_internal.h"
#include "server/image/digest.h"
#include "server/image/manifest.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_CONTAINERD_NAME "io.containerd.image.name"
#define LAYOUT_VERSION "1.0.0"

/* ---------------------------------------------------------------- writer */

static char *blob_name(const char *digest)
{
  return xasprintf("blobs/sha256/%s", digest + strlen(DIGEST_SHA256_PREFIX));
}

static int check_bytes(const char *what, const char *data, size_t len, const char *digest,
                       crio_err **err)
{
  if (digest_parse(digest, NULL, err) < 0)
    return crio_err_wrap(err, "%s digest", what);
  _cleanup_free_ char *got = digest_bytes(data, len);
  if (strcmp(got, digest) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s does not match its digest %s (it is %s)", what,
                        digest, got);
  return 0;
}

static int write_blobs(tarw *w, const archive_image_in *img, crio_err **err)
{
  _cleanup_free_ char *mname = blob_name(img->manifest_digest);
  _cleanup_free_ char *cname = blob_name(img->config_digest);
  int r = tarw_dir(w, "blobs/", err);
  if (r == 0)
    r = tarw_dir(w, "blobs/sha256/", err);
  if (r == 0)
    r = tarw_bytes(w, mname, img->manifest, img->manifest_len, err);
  if (r == 0 && strcmp(img->config_digest, img->manifest_digest) != 0)
    r = tarw_bytes(w, cname, img->config, img->config_len, err);
  for (size_t i = 0; r == 0 && i < img->n_layers; i++) {
    const archive_layer *l = &img->layers[i];
    bool seen = strcmp(l->digest, img->config_digest) == 0 ||
                strcmp(l->digest, img->manifest_digest) == 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(img->layers[j].digest, l->digest) == 0;
    if (seen)
      continue;
    if (digest_parse(l->digest, NULL, err) < 0)
      return crio_err_wrap(err, "layer %zu", i + 1);
    _cleanup_free_ char *lname = blob_name(l->digest);
    r = tarw_file(w, lname, l->blob_path, l->size, l->digest, err);
    if (r < 0)
      crio_err_wrap(err, "layer %zu", i + 1);
  }
  return r;
}

/* index.json: the manifest, named by the first repo tag in full as podman
 * names it. */
static int write_index(tarw *w, const archive_image_in *img, crio_err **err)
{
  const char *mt = img->manifest_media_type ? img->manifest_media_type : MT_OCI_MANIFEST;
  json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", img->manifest_digest,
                           "size", (json_int_t) img->manifest_len);
  if (img->n_repo_tags > 0)
    json_object_set_new(desc, "annotations",
                        json_pack("{s:s}", ANNOTATION_REF_NAME, img->repo_tags[0]));
  _cleanup_arc_json_ json_t *index = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2,
                                               "mediaType", MT_OCI_INDEX, "manifests", desc);
  _cleanup_free_ char *text = arc_json_compact(index);
  return tarw_bytes(w, "index.json", text, strlen(text), err);
}

int oci_archive_write(tarw *w, const archive_image_in *img, crio_err **err)
{
  int r = check_bytes("manifest", img->manifest, img->manifest_len, img->manifest_digest, err);
  if (r == 0)
    r = check_bytes("config", img->config, img->config_len, img->config_digest, err);
  if (r == 0)
    r = write_blobs(w, img, err);
  if (r == 0)
    r = write_index(w, img, err);
  if (r == 0) {
    static const char layout[] = "{\"imageLayoutVersion\":\"" LAYOUT_VERSION "\"}";
    r = tarw_bytes(w, "oci-layout", layout, strlen(layout), err);
  }
  return r;
}

/* ---------------------------------------------------------------- reader */

typedef struct oci_reader {
  arc_files *f;
  platform host;
  char *base;  /* the archive's file name without extensions, for bare tags */
} oci_reader;

/* The blob of digest, checked to hash to it and (size >= 0) to be size
 * bytes. */
static arc_file *oci_blob(oci_reader *o, const char *digest, int64_t size, const char *what,
                          crio_err **err)
{
  char hex[DIGEST_HEX_LEN + 1];
  if (!digest || digest_parse(digest, hex, err) < 0) {
    crio_err_set(err, CRIO_E_INVALID, "%s: invalid digest", what);
    crio_err_wrap(err, "%s in %s", what, o->f->archive);
    return NULL;
  }
  _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", hex);
  arc_file *af = arc_files_find(o->f, name, what, err);
  if (!af)
    return NULL;
  if (strcmp(af->digest, digest) != 0) {
    crio_err_set(err, CRIO_E_INVALID, "%s in %s: blob %s does not match its digest (it is %s)",
                 what, o->f->archive, name, af->digest);
    return NULL;
  }
  if (size >= 0 && af->size != size) {
    crio_err_set(err, CRIO_E_INVALID, "%s in %s: blob %s is %lld bytes, its descriptor says %lld",
                 what, o->f->archive, name, (long long) af->size, (long long) size);
    return NULL;
  }
  return af;
}

static int oci_blob_read(oci_reader *o, const char *digest, int64_t size, const char *what,
                         char **out, size_t *len, crio_err **err)
{
  arc_file *af = oci_blob(o, digest, size, what, err);
  return af ? arc_file_read(o->f, af, what, out, len, err) : -CRIO_E_INVALID;
}

/* "my_image.v2.tar.gz" → "my-image-v2": a valid repository component. */
static char *archive_base_name(const char *path)
{
  static const char *const exts[] = { ".gz", ".tgz", ".zst", ".xz", ".bz2", ".tar", ".oci" };
  const char *slash = strrchr(path, '/');
  _cleanup_free_ char *base = xstrdup(slash ? slash + 1 : path);
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
      size_t bl = strlen(base), el = strlen(exts[i]);
      if (bl > el && strcmp(base + bl - el, exts[i]) == 0) {
        base[bl - el] = '\0';
        again = true;
      }
    }
  }
  strbuf b = STRBUF_INIT;
  for (const char *p = base; *p; p++) {
    if (isalnum((unsigned char) *p))
      strbuf_putc(&b, (char) tolower((unsigned char) *p));
    else if (b.len && b.data[b.len - 1] != '-')
      strbuf_putc(&b, '-');
  }
  while (b.len && b.data[b.len - 1] == '-')
    b.data[--b.len] = '\0';
  return strbuf_steal(&b);
}

static bool tag_valid(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 128 || !(isalnum((unsigned char) s[0]) || s[0] == '_'))
    return false;
  return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The repo tag an index.json entry names (see image_archive.h), or NULL. */
static char *entry_tag(oci_reader *o, json_t *annotations)
{
  const char *name = json_string_value(json_object_get(annotations, ANNOTATION_CONTAINERD_NAME));
  if (!name || !*name)
    name = json_string_value(json_object_get(annotations, ANNOTATION_REF_NAME));
  if (!name || !*name)
    return NULL;
  if (strpbrk(name, "/:@"))
    return xstrdup(name);
  if (tag_valid(name) && *o->base)
    return xasprintf("localhost/%s:%s", o->base, name);
  log_warn("%s: ignoring image name \"%s\" (neither a reference nor a tag)", o->f->archive, name);
  return NULL;
}

static int read_layers(oci_reader *o, const image_manifest *m, const image_config *cfg,
                       const char *label, archive_image_out *img, crio_err **err)
{
  img->layers = xzalloc((m->n_layers + 1) * sizeof *img->layers);
  for (size_t i = 0; i < m->n_layers; i++) {
    const manifest_blob *b = &m->layers[i];
    _cleanup_free_ char *what = xasprintf("layer %zu of image %s", i + 1, label);
    arc_file *af = oci_blob(o, b->digest, b->size, what, err);
    if (!af)
      return -CRIO_E_INVALID;
    if (blob_kind_of_media_type(b->media_type) == BLOB_TAR && strcmp(af->digest, cfg->diff_ids[i]) != 0)
      return crio_err_set(err, CRIO_E_INVALID,
                          "%s in %s: content does not match the config's diff_id %s (it is %s)",
                          what, o->f->archive, cfg->diff_ids[i], af->digest);
    archive_layer_out *l = &img->layers[img->n_layers++];
    l->path = xstrdup(af->path);
    l->digest = xstrdup(af->digest);
    l->media_type = xstrdup(b->media_type);
    l->diff_id = xstrdup(cfg->diff_ids[i]);
    l->size = af->size;
  }
  return 0;
}

/* One image from its verified manifest body. */
static int read_image(oci_reader *o, const char *digest, const char *body, size_t len,
                      const char *mt, const char *label, archive_image_out *img, crio_err **err)
{
  __attribute__((cleanup(image_manifest_clear))) image_manifest m = { 0 };
  __attribute__((cleanup(image_config_clear))) image_config cfg = { 0 };
  if (manifest_parse(body, len, mt, &m, err) < 0)
    return crio_err_wrap(err, "image %s in %s", label, o->f->archive);
  img->manifest = xstrndup(body, len);
  img->manifest_len = len;
  img->manifest_digest = xstrdup(digest);
  img->manifest_media_type = xstrdup(mt);
  _cleanup_free_ char *what = xasprintf("config of image %s", label);
  int r = oci_blob_read(o, m.config.digest, m.config.size, what, &img->config, &img->config_len,
                        err);
  if (r < 0)
    return r;
  img->config_digest = xstrdup(m.config.digest);
  if (image_config_parse(img->config, img->config_len, &cfg, err) < 0)
    return crio_err_wrap(err, "%s in %s", what, o->f->archive);
  if (cfg.n_diff_ids != m.n_layers)
    return crio_err_set(err, CRIO_E_INVALID,
                        "image %s in %s has %zu layers but its config lists %zu diff_ids", label,
                        o->f->archive, m.n_layers, cfg.n_diff_ids);
  return read_layers(o, &m, &cfg, label, img, err);
}

/* Resolves an index entry to an image manifest: *body, *len, *digest, *mt. */
static int resolve_manifest(oci_reader *o, const char *what, char **digest, int64_t size,
                            char **mt, char **body, size_t *len, crio_err **err)
{
  for (int depth = 0; depth < 2; depth++) {
    int r = oci_blob_read(o, *digest, size, what, body, len, err);
    if (r < 0)
      return r;
    manifest_kind kind;
    char *resolved = NULL;
    if (manifest_kind_of(*mt, *body, *len, &kind, &resolved, err) < 0)
      return crio_err_wrap(err, "%s in %s", what, o->f->archive);
    free(*mt);
    *mt = resolved;
    if (kind == MANIFEST_IMAGE)
      return 0;
    char *d = NULL, *m = NULL;
    if (index_choose(*body, *len, &o->host, &d, &m, err) < 0)
      return crio_err_wrap(err, "%s in %s", what, o->f->archive);
    free(*digest);
    free(*mt);
    free(*body);
    *body = NULL;
    *digest = d;
    *mt = m;
    size = -1;  /* index_choose gives no size; the digest is checked */
  }
  return crio_err_set(err, CRIO_E_INVALID, "%s in %s: an index nested in an index nested in an index",
                      what, o->f->archive);
}

static archive_image_out *find_image(archive_images_out *out, const char *manifest_digest)
{
  for (size_t i = 0; i < out->n; i++)
    if (strcmp(out->items[i].manifest_digest, manifest_digest) == 0)
      return &out->items[i];
  return NULL;
}

static int read_entry(oci_reader *o, json_t *desc, size_t idx, archive_images_out *out,
                      crio_err **err)
{
  const char *d = json_string_value(json_object_get(desc, "digest"));
  const char *m = json_string_value(json_object_get(desc, "mediaType"));
  json_t *size = json_object_get(desc, "size");
  if (!d || !json_is_integer(size))
    return crio_err_set(err, CRIO_E_INVALID, "index.json of %s: entry %zu lacks a digest or size",
                        o->f->archive, idx + 1);
  _cleanup_free_ char *tag = entry_tag(o, json_object_get(desc, "annotations"));
  _cleanup_free_ char *what = xasprintf("manifest of index.json entry %zu", idx + 1);
  _cleanup_free_ char *digest = xstrdup(d), *mt = xstrdup(m), *body = NULL;
  size_t len = 0;
  int r = resolve_manifest(o, what, &digest, json_integer_value(size), &mt, &body, &len, err);
  if (r < 0)
    return r;
  archive_image_out *img = find_image(out, digest);
  if (!img) {
    img = images_out_add(out);
    r = read_image(o, digest, body, len, mt, tag ? tag : digest, img, err);
    if (r < 0)
      return r;
  }
  if (tag)
    str_list_add(&img->repo_tags, &img->n_repo_tags, tag);
  return 0;
}

static int check_layout(oci_reader *o, crio_err **err)
{
  arc_file *af = arc_files_find(o->f, "oci-layout", "oci-layout", err);
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  if (!af || arc_file_read(o->f, af, "oci-layout", &body, &len, err) < 0)
    return -CRIO_E_INVALID;
  _cleanup_free_ char *what = xasprintf("oci-layout of %s", o->f->archive);
  _cleanup_arc_json_ json_t *j = arc_json_parse(body, len, what, err);
  if (!j)
    return -CRIO_E_INVALID;
  if (!json_string_value(json_object_get(j, "imageLayoutVersion")))
    return crio_err_set(err, CRIO_E_INVALID, "%s has no imageLayoutVersion", what);
  return 0;
}

static int read_index(oci_reader *o, archive_images_out *out, crio_err **err)
{
  arc_file *af = arc_files_find(o->f, "index.json", "index.json", err);
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  if (!af)
    return -CRIO_E_INVALID;
  int r = arc_file_read(o->f, af, "index.json", &body, &len, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *what = xasprintf("index.json of %s", o->f->archive);
  _cleanup_arc_json_ json_t *index = arc_json_parse(body, len, what, err);
  if (!index)
    return -CRIO_E_INVALID;
  json_t *list = json_object_get(index, "manifests");
  if (!json_is_array(list) || json_array_size(list) == 0)
    return crio_err_set(err, CRIO_E_INVALID, "%s lists no image", what);
  for (size_t i = 0; i < json_array_size(list); i++) {
    r = read_entry(o, json_array_get(list, i), i, out, err);
    if (r < 0)
      return r;
  }
  return 0;
}

int oci_archive_read(arc_files *f, archive_images_out *out, crio_err **err)
{
  oci_reader o = { .f = f, .base = archive_base_name(f->archive) };
  platform_host(&o.host);
  int r = check_layout(&o, err);
  if (r == 0)
    r = read_index(&o, out, err);
  platform_clear(&o.host);
  free(o.base);
  return r;
}
