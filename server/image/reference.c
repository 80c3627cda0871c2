/* Docker image references: split, check each part against the grammar in
 * reference.h, normalize (docker.io, library/, latest). */
#include "server/image/reference.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define SHA256_HEX_LEN 64

/* The parts of a reference as written, before they are checked. */
typedef struct {
  char *domain;  /* NULL: none given */
  char *path;
  char *tag;     /* NULL: none given */
  char *digest;  /* NULL: none given */
} ref_parts;

static void ref_parts_clear(ref_parts *p)
{
  free(p->domain);
  free(p->path);
  free(p->tag);
  free(p->digest);
}
#define _cleanup_ref_parts_ __attribute__((cleanup(ref_parts_clear)))

__attribute__((format(printf, 3, 4))) static int ref_fail(crio_err **err, const char *input,
                                                          const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *why = xvasprintf(fmt, ap);
  va_end(ap);
  return crio_err_set(err, CRIO_E_INVALID, "invalid reference \"%s\": %s", input, why);
}

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static bool is_hex_lower(char c)
{
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_image_id(const char *s)
{
  size_t n = 0;
  while (is_hex_lower(s[n]))
    n++;
  return n == SHA256_HEX_LEN && s[n] == '\0';
}

/* Does the first part of a name (before its first '/') name a registry? */
static bool names_domain(const char *first, size_t n)
{
  return memchr(first, '.', n) || memchr(first, ':', n) ||
         (n == 9 && memcmp(first, "localhost", 9) == 0) || (n > 0 && first[0] == '[');
}

/* name[:tag][@digest] into its parts, not yet checked. */
static void split_reference(const char *s, ref_parts *p)
{
  const char *at = strchr(s, '@');
  size_t name_tag_len = at ? (size_t) (at - s) : strlen(s);
  if (at)
    p->digest = xstrdup(at + 1);
  const char *slash = memrchr(s, '/', name_tag_len);
  const char *after = slash ? slash + 1 : s;
  const char *colon = memchr(after, ':', name_tag_len - (size_t) (after - s));
  size_t name_len = name_tag_len;
  if (colon) {
    p->tag = xstrndup(colon + 1, name_tag_len - (size_t) (colon + 1 - s));
    name_len = (size_t) (colon - s);
  }
  const char *first_slash = memchr(s, '/', name_len);
  if (first_slash && names_domain(s, (size_t) (first_slash - s))) {
    p->domain = xstrndup(s, (size_t) (first_slash - s));
    p->path = xstrndup(first_slash + 1, name_len - (size_t) (first_slash + 1 - s));
  } else {
    p->path = xstrndup(s, name_len);
  }
}

/* host[:port]: DNS labels of [A-Za-z0-9-] not starting or ending in '-',
 * or a bracketed IPv6 address. */
bool image_ref_domain_valid(const char *d)
{
  const char *p = d;
  if (*p == '[') {
    size_t n = strspn(p + 1, "0123456789abcdefABCDEF:.");
    if (n == 0 || p[1 + n] != ']' || !memchr(p + 1, ':', n))
      return false;
    p += n + 2;
  } else {
    for (;;) {
      const char *label = p;
      while (is_alnum(*p) || *p == '-')
        p++;
      if (p == label || *label == '-' || p[-1] == '-')
        return false;
      if (*p != '.')
        break;
      p++;
    }
  }
  if (*p == ':') {
    size_t n = strspn(++p, "0123456789");
    if (n == 0)
      return false;
    p += n;
  }
  return *p == '\0';
}

/* component := [a-z0-9]+ (separator [a-z0-9]+)*, separator: . _ __ -+ */
static bool component_valid(const char *c, size_t n)
{
  size_t k = 0;
  for (;;) {
    size_t run = k;
    while (k < n && is_lower_alnum(c[k]))
      k++;
    if (k == run)
      return false;
    if (k == n)
      return true;
    if (c[k] == '.')
      k++;
    else if (c[k] == '_')
      k += k + 1 < n && c[k + 1] == '_' ? 2 : 1;
    else if (c[k] == '-')
      while (k < n && c[k] == '-')
        k++;
    else
      return false;
  }
}

static int check_path(const char *input, const char *path, crio_err **err)
{
  if (*path == '\0')
    return ref_fail(err, input, "repository name must have at least one component");
  for (const char *c = path; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      return ref_fail(err, input, "repository name must be lowercase");
  for (const char *c = path;;) {
    const char *end = strchrnul(c, '/');
    size_t n = (size_t) (end - c);
    if (n == 0)
      return ref_fail(err, input, "empty path component in \"%s\"", path);
    if (!component_valid(c, n))
      return ref_fail(err, input, "invalid path component \"%.*s\"", (int) n, c);
    if (*end == '\0')
      return 0;
    c = end + 1;
  }
}

static int check_tag(const char *input, const char *tag, crio_err **err)
{
  size_t n = strlen(tag);
  if (n == 0)
    return ref_fail(err, input, "empty tag");
  if (n > TAG_MAX_LEN)
    return ref_fail(err, input, "tag is longer than %d characters", TAG_MAX_LEN);
  bool ok = is_alnum(tag[0]) || tag[0] == '_';
  for (size_t k = 1; ok && k < n; k++)
    ok = is_alnum(tag[k]) || tag[k] == '_' || tag[k] == '.' || tag[k] == '-';
  return ok ? 0 : ref_fail(err, input, "invalid tag \"%s\"", tag);
}

/* algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* */
static bool algorithm_valid(const char *a, size_t n)
{
  size_t k = 0;
  for (;;) {
    if (k == n || !is_alnum(a[k]) || is_digit(a[k]))
      return false;
    while (k < n && is_alnum(a[k]))
      k++;
    if (k == n)
      return true;
    if (!strchr("-_+.", a[k]))
      return false;
    k++;
  }
}

static int check_digest(const char *input, const char *digest, crio_err **err)
{
  const char *colon = strchr(digest, ':');
  size_t alg_len = colon ? (size_t) (colon - digest) : 0;
  if (!colon || !algorithm_valid(digest, alg_len))
    return ref_fail(err, input, "invalid digest \"%s\": expected sha256:<hex>", digest);
  if (alg_len != 6 || memcmp(digest, "sha256", 6) != 0)
    return ref_fail(err, input,
                    "invalid digest \"%s\": unsupported algorithm \"%.*s\" (only sha256)", digest,
                    (int) alg_len, digest);
  size_t n = 0;
  while (is_hex_lower(colon[1 + n]))
    n++;
  if (n != SHA256_HEX_LEN || colon[1 + n] != '\0')
    return ref_fail(err, input, "invalid digest \"%s\": sha256 needs 64 lowercase hex digits",
                    digest);
  return 0;
}

/* Check the parts and move them, normalized, into out. */
static int ref_build(const char *input, ref_parts *p, image_ref *out, crio_err **err)
{
  if (p->domain && !image_ref_domain_valid(p->domain))
    return ref_fail(err, input, "invalid domain \"%s\"", p->domain);
  int r = check_path(input, p->path, err);
  if (r == 0 && p->tag)
    r = check_tag(input, p->tag, err);
  if (r == 0 && p->digest)
    r = check_digest(input, p->digest, err);
  if (r < 0)
    return r;
  if (!p->domain || strcmp(p->domain, LEGACY_DOMAIN) == 0) {
    free(p->domain);
    p->domain = xstrdup(DEFAULT_DOMAIN);
  }
  if (strcmp(p->domain, DEFAULT_DOMAIN) == 0 && !strchr(p->path, '/')) {
    char *path = xasprintf("library/%s", p->path);
    free(p->path);
    p->path = path;
  }
  if (strlen(p->domain) + 1 + strlen(p->path) > NAME_MAX_LEN)
    return ref_fail(err, input, "repository name must not be more than %d characters",
                    NAME_MAX_LEN);
  if (!p->tag && !p->digest)
    p->tag = xstrdup("latest");
  *out = (image_ref) { steal_pointer(&p->domain), steal_pointer(&p->path),
                       steal_pointer(&p->tag), steal_pointer(&p->digest) };
  return 0;
}

int image_ref_parse(const char *s, image_ref *out, crio_err **err)
{
  *out = (image_ref) { NULL, NULL, NULL, NULL };
  if (!s || *s == '\0')
    return ref_fail(err, s ? s : "", "empty reference");
  if (is_image_id(s))
    return ref_fail(err, s, "a 64-character hex string is an image ID, not a reference");
  _cleanup_ref_parts_ ref_parts p = { NULL, NULL, NULL, NULL };
  split_reference(s, &p);
  return ref_build(s, &p, out, err);
}

bool image_ref_is_short_name(const char *s)
{
  const char *slash = strchr(s, '/');
  return !slash || !names_domain(s, (size_t) (slash - s));
}

int image_ref_with_domain(const char *short_name, const char *domain, image_ref *out,
                          crio_err **err)
{
  *out = (image_ref) { NULL, NULL, NULL, NULL };
  if (!short_name || *short_name == '\0')
    return ref_fail(err, "", "empty reference");
  if (!image_ref_is_short_name(short_name))
    return ref_fail(err, short_name, "not a short name: it names a registry already");
  if (is_image_id(short_name))
    return ref_fail(err, short_name, "a 64-character hex string is an image ID, not a reference");
  _cleanup_ref_parts_ ref_parts p = { NULL, NULL, NULL, NULL };
  split_reference(short_name, &p);
  p.domain = xstrdup(domain);
  return ref_build(short_name, &p, out, err);
}

char *image_ref_repo(const image_ref *r)
{
  return xasprintf("%s/%s", r->domain, r->path);
}

char *image_ref_string(const image_ref *r)
{
  strbuf b = STRBUF_INIT;
  strbuf_printf(&b, "%s/%s", r->domain, r->path);
  if (r->tag)
    strbuf_printf(&b, ":%s", r->tag);
  if (r->digest)
    strbuf_printf(&b, "@%s", r->digest);
  return strbuf_steal(&b);
}

void image_ref_clear(image_ref *r)
{
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  *r = (image_ref) { NULL, NULL, NULL, NULL };
}
