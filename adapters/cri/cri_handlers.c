/* RuntimeService calls about the runtime itself (Version, Status,
 * RuntimeConfig, UpdateRuntimeConfig, CheckpointContainer), and the lookup
 * over every file's method table. */
#include "adapters/cri/cri_common.h"

#include <jansson.h>
#include <stdlib.h>

static int h_version(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                     crio_err **err)
{
  (void)e;
  (void)req;
  (void)err;
  engine_version v;
  engine_version_get(&v);
  Runtime__V1__VersionResponse *r =
      NEW_MSG(Runtime__V1__VersionResponse, runtime__v1__version_response__init);
  r->version = xstrdup("0.1.0");
  r->runtime_name = xstrdup("crio-c");
  r->runtime_version = xstrdup(v.version);
  r->runtime_api_version = xstrdup("v1");
  *resp = &r->base;
  return 0;
}

static Runtime__V1__RuntimeCondition *condition(const char *type, bool status, const char *reason,
                                                const char *message)
{
  Runtime__V1__RuntimeCondition *c =
      NEW_MSG(Runtime__V1__RuntimeCondition, runtime__v1__runtime_condition__init);
  c->type = xstrdup(type);
  c->status = status;
  c->reason = xstrdup(reason ? reason : "");
  c->message = xstrdup(message ? message : "");
  return c;
}

/* Status's verbose info: "config", the runtime's settings as JSON. */
static char *status_info(engine *e, const engine_network_status *net, crio_err **err)
{
  engine_info info = {0};
  if (engine_info_get(e, &info, err) < 0)
    return NULL;
  char *cidr = engine_pod_cidr_get(e);
  json_t *o = json_pack(
      "{s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:b, s:s?, s:s?}", "version",
      info.version.version, "runtime", info.runtime_name, "runtime_path", info.runtime_path,
      "runtime_version", info.runtime_version, "conmon_path", info.conmon_path, "cgroup_driver",
      info.cgroup_manager, "storage_driver", info.storage_driver, "root", info.root, "runroot",
      info.runroot, "network_dir", info.network_dir, "pod_cidr", cidr, "network_ready", net->ready,
      "network", net->network, "network_config", net->path);
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  free(cidr);
  engine_info_clear(&info);
  return text;
}

static int h_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp, crio_err **err)
{
  const Runtime__V1__StatusRequest *q = (const Runtime__V1__StatusRequest *)req;
  engine_network_status net = {0};
  if (engine_network_status_get(e, &net, err) < 0)
    return -1;
  char *info = q->verbose ? status_info(e, &net, err) : NULL;
  if (q->verbose && !info) {
    engine_network_status_clear(&net);
    return -1;
  }
  Runtime__V1__StatusResponse *r =
      NEW_MSG(Runtime__V1__StatusResponse, runtime__v1__status_response__init);
  r->status = NEW_MSG(Runtime__V1__RuntimeStatus, runtime__v1__runtime_status__init);
  r->status->n_conditions = 2;
  r->status->conditions = xmalloc(2 * sizeof *r->status->conditions);
  r->status->conditions[0] = condition("RuntimeReady", true, NULL, NULL);
  r->status->conditions[1] = condition("NetworkReady", net.ready, net.reason, net.message);
  if (info)
    INFO_ADD(r, Runtime__V1__StatusResponse__InfoEntry,
             runtime__v1__status_response__info_entry__init, "config", info);
  engine_network_status_clear(&net);
  *resp = &r->base;
  return 0;
}

static int h_runtime_config(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                            crio_err **err)
{
  (void)req;
  engine_info info = {0};
  if (engine_info_get(e, &info, err) < 0)
    return -1;
  Runtime__V1__RuntimeConfigResponse *r =
      NEW_MSG(Runtime__V1__RuntimeConfigResponse, runtime__v1__runtime_config_response__init);
  r->linux = NEW_MSG(Runtime__V1__LinuxRuntimeConfiguration,
                     runtime__v1__linux_runtime_configuration__init);
  r->linux->cgroup_driver = strcmp(info.cgroup_manager, "systemd") == 0
                                ? RUNTIME__V1__CGROUP_DRIVER__SYSTEMD
                                : RUNTIME__V1__CGROUP_DRIVER__CGROUPFS;
  engine_info_clear(&info);
  *resp = &r->base;
  return 0;
}

static int h_update_runtime_config(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                   crio_err **err)
{
  const Runtime__V1__UpdateRuntimeConfigRequest *q =
      (const Runtime__V1__UpdateRuntimeConfigRequest *)req;
  const char *cidr = q->runtime_config && q->runtime_config->network_config
                         ? q->runtime_config->network_config->pod_cidr
                         : NULL;
  if (engine_pod_cidr_set(e, cidr, err) < 0)
    return crio_err_wrap(err, "UpdateRuntimeConfig");
  *resp = &NEW_MSG(Runtime__V1__UpdateRuntimeConfigResponse,
                   runtime__v1__update_runtime_config_response__init)
               ->base;
  return 0;
}

static int h_checkpoint_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                  crio_err **err)
{
  (void)e;
  (void)resp;
  const Runtime__V1__CheckpointContainerRequest *q =
      (const Runtime__V1__CheckpointContainerRequest *)req;
  return crio_err_set(err, CRIO_E_UNIMPLEMENTED,
                      "CheckpointContainer %s: checkpointing (CRIU) is not supported by crio-c",
                      q->container_id ? q->container_id : "");
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_CALL(RT "Version", runtime__v1__version_request__descriptor, h_version),
    CRI_CALL(RT "Status", runtime__v1__status_request__descriptor, h_status),
    CRI_CALL(RT "RuntimeConfig", runtime__v1__runtime_config_request__descriptor, h_runtime_config),
    CRI_CALL(RT "UpdateRuntimeConfig", runtime__v1__update_runtime_config_request__descriptor,
             h_update_runtime_config),
    CRI_CALL(RT "CheckpointContainer", runtime__v1__checkpoint_container_request__descriptor,
             h_checkpoint_container),
    {RT "GetContainerEvents", &runtime__v1__get_events_request__descriptor, NULL, CRI_STREAM_EVENTS,
     NULL, false},
};

CRI_METHOD_TABLE(cri_runtime_methods)

typedef const cri_method *(*table_fn)(size_t *n);

static const table_fn tables[] = {
    cri_runtime_methods, cri_pod_methods,     cri_container_methods, cri_exec_methods,
    cri_stats_methods,   cri_metrics_methods, cri_image_methods,
};

void cri_methods_each(void (*fn)(const cri_method *m, void *data), void *data)
{
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    size_t n = 0;
    const cri_method *m = tables[t](&n);
    for (size_t i = 0; i < n; i++)
      fn(&m[i], data);
  }
}

const cri_method *cri_method_find(const char *name)
{
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    size_t n = 0;
    const cri_method *m = tables[t](&n);
    for (size_t i = 0; i < n; i++)
      if (strcmp(m[i].name, name) == 0)
        return &m[i];
  }
  return NULL;
}

bool cri_stream_compatible(const ProtobufCMessageDescriptor *list,
                           const ProtobufCMessageDescriptor *stream)
{
  if (!list || !stream || list->n_fields != 1 || stream->n_fields != 1)
    return false;
  const ProtobufCFieldDescriptor *a = &list->fields[0], *b = &stream->fields[0];
  return a->id == 1 && b->id == 1 && a->label == PROTOBUF_C_LABEL_REPEATED &&
         b->label == PROTOBUF_C_LABEL_REPEATED && a->type == PROTOBUF_C_TYPE_MESSAGE &&
         b->type == PROTOBUF_C_TYPE_MESSAGE && a->descriptor == b->descriptor;
}
