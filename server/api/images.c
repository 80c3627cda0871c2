/* /v1/images: list, inspect, remove, tag, history. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"

#include <stdlib.h>

#include "util/cleanup.h"

static json_t *labels_json(const engine_image *img)
{
  json_t *o = json_object();
  for (size_t i = 0; i < img->label_keys.n; i++)
    json_object_set_new(o, img->label_keys.items[i], json_string(img->label_values.items[i]));
  return o;
}

static json_t *image_summary_json(const engine_image *img)
{
  return json_pack("{s:s,s:s,s:o,s:o,s:s,s:I,s:s,s:s,s:o}", "id", img->id, "digest", img->digest,
                   "repo_tags", json_string_array(img->repo_tags.items, img->repo_tags.n),
                   "repo_digests", json_string_array(img->repo_digests.items, img->repo_digests.n),
                   "created", img->created, "size", (json_int_t)img->size, "architecture",
                   img->arch, "os", img->os, "labels", labels_json(img));
}

static json_t *image_inspect_json(const engine_image *img)
{
  json_t *j = image_summary_json(img);
  json_t *layers = json_array();
  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new(layers, json_pack("{s:s,s:s,s:s,s:I}", "id", img->layers[i].id, "diff_id",
                                            img->layers[i].diff_id, "digest", img->layers[i].digest,
                                            "size", (json_int_t)img->layers[i].size));
  json_t *config = json_loads(img->config, 0, NULL);
  json_object_set_new(j, "variant", json_string(img->variant));
  json_object_set_new(j, "manifest_media_type", json_string(img->manifest_media_type));
  json_object_set_new(j, "config", config ? config : json_object());
  json_object_set_new(j, "layers", layers);
  return j;
}

void handle_image_list(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  char **filters = NULL;
  size_t n = api_query_all(req, "filter", &filters);
  engine_image_filter f = {.filters = filters, .n_filters = n};
  engine_images list;
  int r = engine_image_list(req->engine, &f, &list, &err);
  for (size_t i = 0; i < n; i++)
    free(filters[i]);
  free(filters);
  if (r < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < list.n; i++)
    json_array_append_new(a, image_summary_json(&list.items[i]));
  engine_images_clear(&list);
  api_reply_json(reply, MHD_HTTP_OK, a);
}

void handle_image_inspect(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_image img;
  if (engine_image_get(req->engine, api_param(req, "name"), &img, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, image_inspect_json(&img));
  engine_image_clear(&img);
}

void handle_image_remove(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  bool force = false;
  engine_strv untagged = {0}, deleted = {0};
  if (api_query_bool(req, "force", &force, &err) < 0 ||
      engine_image_remove(req->engine, api_param(req, "name"), force, &untagged, &deleted, &err) <
          0) {
    api_reply_error(reply, err);
  } else {
    api_reply_json(reply, MHD_HTTP_OK,
                   json_pack("{s:o,s:o}", "untagged", json_string_array(untagged.items, untagged.n),
                             "deleted", json_string_array(deleted.items, deleted.n)));
  }
  engine_strv_clear(&untagged);
  engine_strv_clear(&deleted);
}

void handle_image_tag(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  const char *target = api_query(req, "target");
  engine_image img;
  if (!target)
    crio_err_set(&err, CRIO_E_INVALID, "query parameter target is required");
  if (err || engine_image_tag(req->engine, api_param(req, "name"), target, &err) < 0 ||
      engine_image_get(req->engine, api_param(req, "name"), &img, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, image_summary_json(&img));
  engine_image_clear(&img);
}

void handle_image_history(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_history h;
  if (engine_image_history(req->engine, api_param(req, "name"), &h, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < h.n; i++) {
    const engine_history_entry *he = &h.items[i];
    json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I,s:s,s:b}", "id", he->id, "created",
                                       he->created, "created_by", he->created_by, "size",
                                       (json_int_t)he->size, "comment", he->comment, "empty_layer",
                                       he->empty_layer));
  }
  engine_history_clear(&h);
  api_reply_json(reply, MHD_HTTP_OK, a);
}
