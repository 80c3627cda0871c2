/* What the image verbs share: the API paths of an image, and the rows that
 * `kpod images` and `kpod history` print, built from the API's JSON the way
 * podman builds its reports. Pure functions (the time is an argument), so
 * unit tests check them without a daemon. */
#ifndef KPOD_IMAGE_H
#define KPOD_IMAGE_H

#include <jansson.h>
#include <stdint.h>

#include "command.h"
#include "report.h"
#include "util/strbuf.h"

/* "/v1/images/<name><suffix>": the name as it is, slashes included (the
 * router takes them), but for the bytes a path cannot hold (?, #, %, space,
 * controls and non-ASCII), which are percent-encoded. suffix may be NULL. */
char *kpod_image_path(const char *name, const char *suffix);

/* "&key=value" with value escaped (or "?key=value" when q is still empty). */
void kpod_query_add(strbuf *q, const char *key, const char *value);

/* A reference split as podman's images table splits it: "docker.io/library/
 * alpine:3.19" into "docker.io/library/alpine" and "3.19"; a reference
 * without a tag (name@digest) gets the tag "<none>". Both owned. */
void kpod_repo_tag_split(const char *ref, char **repo, char **tag);

/* The rows of `kpod images` from the API's ImageSummary array: one per
 * repository tag (only the first untagged name when none is tagged, and
 * <none> <none> for an image without names), with podman's fields:
 * Repository, Tag, ID (12 characters, or sha256:<64> with no_trunc),
 * Digest, Created and CreatedSince ("3 days ago"), CreatedAt and
 * CreatedTime (Go's time.String()), Size ("1.23 MB"), Labels, RepoTags,
 * RepoDigests, Dangling. */
json_t *kpod_images_rows(const json_t *summaries, int no_trunc, int64_t now_ns);
extern const kpod_column kpod_images_columns[];

/* The rows of `kpod history` from the API's HistoryEntry array: ID (12
 * characters unless no_trunc; <missing> stays), Created (humanized, or RFC
 * 3339 without human), CreatedAt (RFC 3339), CreatedSince, CreatedBy (cut
 * to 45 characters with "..." unless no_trunc), Size ("5.59MB"), Comment. */
json_t *kpod_history_rows(const json_t *entries, int no_trunc, int human, int64_t now_ns);
extern const kpod_column kpod_history_columns[];

/* s cut to max bytes (at a character boundary) ending with "...", as
 * podman cuts CREATED BY; s itself when it fits. */
char *kpod_truncate(const char *s, size_t max);

/* Pull ref (POST /v1/images/pull), its progress on ctx->errout as `kpod pull`
 * shows it (nothing with quiet). body: the Credentials, or NULL; query:
 * more "key=value&..." for the URL, or NULL. *id (optional) gets the
 * image's ID, NULL when the daemon sent none. Used by pull, create and run. */
int kpod_image_pull(kpod_ctx *ctx, const char *ref, json_t *body, int quiet, const char *query,
                    char **id, crio_err **err);

#endif
