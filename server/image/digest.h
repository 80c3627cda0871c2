/* sha256 digests in the OCI form "sha256:<64 lowercase hex>": a streaming
 * digester (OpenSSL EVP), parsing and validation, whole files and buffers,
 * and the chain IDs of stacked layers. */
#ifndef CRIO_IMAGE_DIGEST_H
#define CRIO_IMAGE_DIGEST_H

#include <stddef.h>

#include "util/err.h"

#define DIGEST_SHA256_PREFIX "sha256:"
#define DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STR_SIZE (sizeof DIGEST_SHA256_PREFIX + DIGEST_HEX_LEN)

typedef struct digester digester;

/* A fresh sha256 state; aborts when OpenSSL cannot provide sha256. */
digester *digester_new(void);
void digester_update(digester *d, const void *data, size_t len);
/* "sha256:<hex>" of everything fed so far (caller frees). The digester is
 * reset afterwards and may be fed again for a new digest. */
char *digester_final(digester *d);
void digester_free(digester *d);
static inline void cleanup_digesterp(digester **d)
{
  digester_free(*d);
}
#define _cleanup_digester_ __attribute__((cleanup(cleanup_digesterp)))

/* Validates "sha256:<64 lowercase hex>" and copies the hex part (NUL
 * terminated) to hex_out when it is not NULL. A well-formed digest of
 * another algorithm ("sha512:...") fails with "unsupported digest algorithm";
 * anything else with "invalid digest". Both are CRIO_E_INVALID. */
int digest_parse(const char *s, char hex_out[DIGEST_HEX_LEN + 1], crio_err **err);
/* The digest of the file's contents, read as a stream. */
int digest_file(const char *path, char **out, crio_err **err);
/* The digest of a buffer (caller frees). */
char *digest_bytes(const void *data, size_t len);
/* OCI chain ID: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256 of
 * ChainID(Ln-1) + " " + DiffID(Ln). parent NULL for the bottom layer. */
char *chain_id_next(const char *parent_chain_id, const char *diff_id);

#endif
