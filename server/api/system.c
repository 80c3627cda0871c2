/* /healthz, /v1/version and /v1/info. */
#include "server/api/handlers.h"
#include "server/api/json_util.h"

#include "util/cleanup.h"

void handle_healthz(api_request *req, api_reply *reply)
{
  api_reply_text(reply, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
}

static json_t *version_json(const engine_version *v)
{
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", v->name, "version", v->version,
                   "api_version", v->api_version, "git_commit", v->git_commit, "os", v->os, "arch",
                   v->arch);
}

void handle_version(api_request *req, api_reply *reply)
{
  engine_version v;
  engine_version_get(&v);
  api_reply_json(reply, MHD_HTTP_OK, version_json(&v));
}

static json_t *info_json(const engine_info *in)
{
  return json_pack(
      "{s:{s:s,s:s,s:s},"
      "s:{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:b,s:s},"
      "s:{s:s,s:o,s:o},s:{s:o,s:o},"
      "s:{s:s,s:s,s:s,s:s},"
      "s:{s:s,s:o},s:{s:s,s:o},"
      "s:{s:I,s:I,s:I,s:I}}",
      "crio", "version", in->version.version, "api_version", in->version.api_version, "git_commit",
      in->version.git_commit, "host", "hostname", in->hostname, "kernel", in->kernel, "os",
      in->version.os, "arch", in->version.arch, "cpus", (json_int_t)in->cpus, "memory_total",
      (json_int_t)in->memory_total, "cgroup_version", in->cgroup_version == 2 ? "v2" : "v1",
      "cgroup_hybrid", in->cgroup_hybrid, "cgroup_manager", in->cgroup_manager, "runtime", "name",
      in->runtime_name, "path", json_string_or_null(in->runtime_path), "version",
      json_string_or_null(in->runtime_version), "conmon", "path",
      json_string_or_null(in->conmon_path), "version", json_string_or_null(in->conmon_version),
      "store", "driver", in->storage_driver, "root", in->root, "runroot", in->runroot, "database",
      in->database, "registries", "conf", in->registries_conf, "insecure",
      json_string_array(in->insecure_registries, in->n_insecure_registries), "network",
      "network_dir", in->network_dir, "plugin_dirs",
      json_string_array(in->plugin_dirs, in->n_plugin_dirs), "counts", "pods", (json_int_t)in->pods,
      "containers", (json_int_t)in->containers, "running", (json_int_t)in->running, "images",
      (json_int_t)in->images);
}

void handle_info(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_info info;
  if (engine_info_get(req->engine, &info, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  json_t *body = info_json(&info);
  engine_info_clear(&info);
  if (!body) {
    api_reply_errorf(reply, CRIO_E_INTERNAL, "encode info");
    return;
  }
  api_reply_json(reply, MHD_HTTP_OK, body);
}
