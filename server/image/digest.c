#include "server/image/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct digester {
  EVP_MD_CTX *ctx;
};

static void digester_init(digester *d)
{
  if (EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
    fprintf(stderr, "crio: OpenSSL cannot initialize sha256\n");
    abort();
  }
}

digester *digester_new(void)
{
  digester *d = xzalloc(sizeof *d);
  d->ctx = EVP_MD_CTX_new();
  if (!d->ctx) {
    fprintf(stderr, "crio: out of memory (EVP_MD_CTX_new)\n");
    abort();
  }
  digester_init(d);
  return d;
}

void digester_update(digester *d, const void *data, size_t len)
{
  if (len > 0 && EVP_DigestUpdate(d->ctx, data, len) != 1) {
    fprintf(stderr, "crio: sha256 update failed\n");
    abort();
  }
}

char *digester_final(digester *d)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(d->ctx, md, &n) != 1 || n != DIGEST_HEX_LEN / 2) {
    fprintf(stderr, "crio: sha256 final failed\n");
    abort();
  }
  static const char hex[] = "0123456789abcdef";
  char *out = xmalloc(DIGEST_STR_SIZE);
  memcpy(out, DIGEST_SHA256_PREFIX, strlen(DIGEST_SHA256_PREFIX));
  char *p = out + strlen(DIGEST_SHA256_PREFIX);
  for (unsigned int i = 0; i < n; i++) {
    *p++ = hex[md[i] >> 4];
    *p++ = hex[md[i] & 0xf];
  }
  *p = '\0';
  digester_init(d);
  return out;
}

void digester_free(digester *d)
{
  if (!d)
    return;
  EVP_MD_CTX_free(d->ctx);
  free(d);
}

/* OCI: algorithm-component ([a-z0-9]+) joined by [+._-]. */
static bool algorithm_valid(const char *s, size_t len)
{
  if (len == 0)
    return false;
  bool need_alnum = true;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      need_alnum = false;
    } else if (strchr("+._-", c) && !need_alnum) {
      need_alnum = true;
    } else {
      return false;
    }
  }
  return !need_alnum;
}

int digest_parse(const char *s, char hex_out[DIGEST_HEX_LEN + 1], crio_err **err)
{
  if (!s)
    return crio_err_set(err, CRIO_E_INVALID, "invalid digest: missing");
  const char *colon = strchr(s, ':');
  if (!colon || !algorithm_valid(s, (size_t) (colon - s)) || colon[1] == '\0')
    return crio_err_set(err, CRIO_E_INVALID, "invalid digest \"%s\": want sha256:<64 hex digits>",
                        s);
  size_t alg_len = (size_t) (colon - s);
  if (alg_len != strlen("sha256") || strncmp(s, "sha256", alg_len) != 0)
    return crio_err_set(err, CRIO_E_INVALID, "unsupported digest algorithm \"%.*s\" in \"%s\"",
                        (int) alg_len, s, s);
  const char *hex = colon + 1;
  size_t n = strlen(hex);
  bool ok = n == DIGEST_HEX_LEN;
  for (size_t i = 0; ok && i < n; i++)
    ok = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f');
  if (!ok)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid digest \"%s\": want sha256:<64 lowercase hex digits>", s);
  if (hex_out)
    memcpy(hex_out, hex, DIGEST_HEX_LEN + 1);
  return 0;
}

int digest_file(const char *path, char **out, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "open %s", path);
  _cleanup_digester_ digester *d = digester_new();
  _cleanup_free_ char *buf = xmalloc(1 << 16);
  for (;;) {
    ssize_t n = read(fd, buf, 1 << 16);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "read %s", path);
    if (n == 0)
      break;
    digester_update(d, buf, (size_t) n);
  }
  *out = digester_final(d);
  return 0;
}

char *digest_bytes(const void *data, size_t len)
{
  _cleanup_digester_ digester *d = digester_new();
  digester_update(d, data, len);
  return digester_final(d);
}

char *chain_id_next(const char *parent_chain_id, const char *diff_id)
{
  if (!parent_chain_id)
    return xstrdup(diff_id);
  _cleanup_free_ char *joined = xasprintf("%s %s", parent_chain_id, diff_id);
  return digest_bytes(joined, strlen(joined));
}
