#include "image.h"

#include <string.h>

#include "client.h"
#include "jsonutil.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define SHORT_ID_LEN 12
#define CREATED_BY_MAX 45

char *kpod_image_path(const char *name, const char *suffix)
{
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "/v1/images/");
  for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
    if (*p <= 0x20 || *p >= 0x7f || strchr("?#%", *p))
      strbuf_printf(&b, "%%%02X", *p);
    else
      strbuf_putc(&b, (char) *p);
  }
  if (suffix)
    strbuf_puts(&b, suffix);
  return strbuf_steal(&b);
}

void kpod_query_add(strbuf *q, const char *key, const char *value)
{
  _cleanup_free_ char *v = kpod_url_escape(value);
  strbuf_printf(q, "%c%s=%s", q->len ? '&' : '?', key, v);
}

void kpod_repo_tag_split(const char *ref, char **repo, char **tag)
{
  if (!ref || !*ref || strcmp(ref, "<none>:<none>") == 0) {
    *repo = xstrdup("<none>");
    *tag = xstrdup("<none>");
    return;
  }
  size_t len = strcspn(ref, "@"); /* name:tag@digest: the digest is not shown */
  const char *slash = memrchr(ref, '/', len);
  const char *colon = memrchr(ref, ':', len);
  if (colon && (!slash || colon > slash)) {
    *repo = xstrndup(ref, (size_t) (colon - ref));
    *tag = xstrndup(colon + 1, len - (size_t) (colon - ref) - 1);
  } else {
    *repo = xstrndup(ref, len);
    *tag = xstrdup("<none>");
  }
  if (!**repo) {
    free(*repo);
    *repo = xstrdup("<none>");
  }
  if (!**tag) {
    free(*tag);
    *tag = xstrdup("<none>");
  }
}

char *kpod_truncate(const char *s, size_t max)
{
  size_t len = strlen(s);
  if (len <= max || max < 3)
    return xstrdup(s);
  size_t keep = max - 3;
  while (keep > 0 && ((unsigned char) s[keep] & 0xC0) == 0x80)
    keep--; /* not inside a UTF-8 character */
  return xasprintf("%.*s...", (int) keep, s);
}

static json_t *json_string_take(strbuf *b)
{
  json_t *j = json_string(b->data ? b->data : "");
  strbuf_free(b);
  return j ? j : json_string(""); /* invalid UTF-8 from the server */
}

/* Created/CreatedSince/CreatedAt/CreatedTime of an images row. */
static void images_row_times(json_t *row, const char *created, int64_t now_ns)
{
  strbuf ago = STRBUF_INIT, at = STRBUF_INIT;
  int64_t ns;
  if (kpod_time_parse(created, &ns) == 0) {
    kpod_time_ago(&ago, ns, now_ns);
    kpod_time_go_utc(&at, ns);
  } else {
    strbuf_puts(&ago, "N/A");
    strbuf_puts(&at, "N/A");
  }
  json_object_set_new(row, "Created", json_string(ago.data));
  json_object_set_new(row, "CreatedAt", json_string(at.data));
  json_object_set_new(row, "CreatedSince", json_string_take(&ago));
  json_object_set_new(row, "CreatedTime", json_string_take(&at));
}

static json_t *images_row(const json_t *s, const char *repo, const char *tag, int no_trunc,
                          int64_t now_ns)
{
  const char *id = kpod_json_str(s, "id", "");
  json_t *tags = json_object_get(s, "repo_tags");
  json_t *digests = json_object_get(s, "repo_digests");
  json_t *labels = json_object_get(s, "labels");
  json_t *row = json_object();
  json_object_set_new(row, "Repository", json_string(repo));
  json_object_set_new(row, "Tag", json_string(tag));
  json_object_set_new(row, "ID", no_trunc ? json_sprintf("sha256:%s", id)
                                          : json_stringn(id, strnlen(id, SHORT_ID_LEN)));
  json_object_set_new(row, "Digest", json_string(kpod_json_str(s, "digest", "")));
  images_row_times(row, kpod_json_str(s, "created", ""), now_ns);
  strbuf size = STRBUF_INIT;
  kpod_human_size(&size, (double) json_integer_value(json_object_get(s, "size")), 3, 1);
  json_object_set_new(row, "Size", json_string_take(&size));
  json_object_set_new(row, "Labels", json_is_object(labels) ? json_incref(labels) : json_object());
  json_object_set_new(row, "RepoTags", json_is_array(tags) ? json_incref(tags) : json_array());
  json_object_set_new(row, "RepoDigests",
                      json_is_array(digests) ? json_incref(digests) : json_array());
  json_object_set_new(row, "Dangling", json_boolean(json_array_size(tags) == 0));
  return row;
}

/* podman's sortImages: every tagged name, else the first untagged one. */
static void images_add_rows(json_t *rows, const json_t *s, int no_trunc, int64_t now_ns)
{
  json_t *tags = json_object_get(s, "repo_tags");
  size_t i, added = 0;
  json_t *t;
  json_array_foreach(tags, i, t) {
    _cleanup_free_ char *repo = NULL, *tag = NULL;
    kpod_repo_tag_split(json_string_value(t), &repo, &tag);
    if (strcmp(tag, "<none>") == 0)
      continue;
    json_array_append_new(rows, images_row(s, repo, tag, no_trunc, now_ns));
    added++;
  }
  if (added)
    return;
  _cleanup_free_ char *repo = NULL, *tag = NULL;
  kpod_repo_tag_split(json_string_value(json_array_get(tags, 0)), &repo, &tag);
  json_array_append_new(rows, images_row(s, repo, tag, no_trunc, now_ns));
}

json_t *kpod_images_rows(const json_t *summaries, int no_trunc, int64_t now_ns)
{
  json_t *rows = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(summaries, i, s)
    if (json_is_object(s))
      images_add_rows(rows, s, no_trunc, now_ns);
  return rows;
}

const kpod_column kpod_images_columns[] = {
  { "Repository", "REPOSITORY" },      { "Tag", "TAG" },
  { "ID", "IMAGE ID" },                { "Digest", "DIGEST" },
  { "Created", "CREATED" },            { "CreatedAt", "CREATED AT" },
  { "CreatedSince", "CREATED SINCE" }, { "CreatedTime", "CREATED TIME" },
  { "Size", "SIZE" },                  { "Labels", "LABELS" },
  { "RepoTags", "REPO TAGS" },         { "RepoDigests", "REPO DIGESTS" },
  { "Dangling", "DANGLING" },          { NULL, NULL },
};

static json_t *history_row(const json_t *e, int no_trunc, int human, int64_t now_ns)
{
  const char *id = kpod_json_str(e, "id", "");
  const char *created_by = kpod_json_str(e, "created_by", "");
  json_t *row = json_object();
  size_t idlen = strlen(id);
  json_object_set_new(row, "ID", json_stringn(id, no_trunc || idlen < SHORT_ID_LEN
                                                      ? idlen : SHORT_ID_LEN));
  strbuf ago = STRBUF_INIT, at = STRBUF_INIT;
  int64_t ns;
  if (kpod_time_parse(kpod_json_str(e, "created", ""), &ns) == 0) {
    kpod_time_ago(&ago, ns, now_ns);
    kpod_time_rfc3339_local(&at, ns);
  } else {
    strbuf_puts(&ago, "N/A");
    strbuf_puts(&at, "N/A");
  }
  json_object_set_new(row, "Created", json_string(human ? ago.data : at.data));
  json_object_set_new(row, "CreatedAt", json_string(at.data));
  json_object_set_new(row, "CreatedSince", json_string(human ? ago.data : at.data));
  strbuf_free(&ago);
  strbuf_free(&at);
  _cleanup_free_ char *by = no_trunc ? xstrdup(created_by)
                                     : kpod_truncate(created_by, CREATED_BY_MAX);
  json_object_set_new(row, "CreatedBy", json_string(by));
  strbuf size = STRBUF_INIT;
  kpod_human_size(&size, (double) json_integer_value(json_object_get(e, "size")), 3, 0);
  json_object_set_new(row, "Size", json_string_take(&size));
  json_object_set_new(row, "Comment", json_string(kpod_json_str(e, "comment", "")));
  return row;
}

json_t *kpod_history_rows(const json_t *entries, int no_trunc, int human, int64_t now_ns)
{
  json_t *rows = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e)
    if (json_is_object(e))
      json_array_append_new(rows, history_row(e, no_trunc, human, now_ns));
  return rows;
}

const kpod_column kpod_history_columns[] = {
  { "ID", "ID" },           { "Created", "CREATED" },
  { "CreatedAt", "CREATED AT" }, { "CreatedSince", "CREATED SINCE" },
  { "CreatedBy", "CREATED BY" }, { "Size", "SIZE" },
  { "Comment", "COMMENT" },  { NULL, NULL },
};
