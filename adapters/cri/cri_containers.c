/* RuntimeService container calls: Create, Start, Stop, Remove, Status, List,
 * UpdateContainerResources, ReopenContainerLog. */
#include "adapters/cri/cri_common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static char *user_of(const Runtime__V1__LinuxContainerSecurityContext *sc, crio_err **err)
{
  char *u = NULL;
  if (sc->run_as_user)
    u = xasprintf("%lld", (long long)sc->run_as_user->value);
  else if (!cri_empty(sc->run_as_username))
    u = xstrdup(sc->run_as_username);
  if (sc->run_as_group) {
    if (!u) {
      crio_err_set(err, CRIO_E_INVALID,
                   "CreateContainer: run_as_group is set without run_as_user or run_as_username");
      return NULL;
    }
    char *ug = xasprintf("%s:%lld", u, (long long)sc->run_as_group->value);
    free(u);
    u = ug;
  }
  return u;
}

static void envs_from_cri(engine_container_spec *s, const Runtime__V1__ContainerConfig *c)
{
  for (size_t i = 0; i < c->n_envs; i++) {
    const Runtime__V1__KeyValue *kv = c->envs[i];
    char *env = xasprintf("%s=%.*s", kv->key ? kv->key : "", (int)kv->value.len,
                          kv->value.data ? (const char *)kv->value.data : "");
    cri_strv_push(&s->env, env);
    free(env);
  }
}

static void mounts_from_cri(engine_container_spec *s, const Runtime__V1__ContainerConfig *c)
{
  if (c->n_mounts == 0)
    return;
  s->mounts = xzalloc(c->n_mounts * sizeof *s->mounts);
  for (size_t i = 0; i < c->n_mounts; i++) {
    const Runtime__V1__Mount *m = c->mounts[i];
    engine_mount *em = &s->mounts[s->n_mounts++];
    em->type = xstrdup("bind");
    em->source = xstrdup(m->host_path ? m->host_path : "");
    em->destination = xstrdup(m->container_path ? m->container_path : "");
    cri_strv_push(&em->options, "rbind");
    cri_strv_push(&em->options, m->readonly ? "ro" : "rw");
  }
}

/* LinuxContainerResources: oom_score_adj 0 means "as the daemon". */
static void resources_from_cri(engine_resources *r, const Runtime__V1__LinuxContainerResources *rs)
{
  r->cpu_shares = rs->cpu_shares;
  r->cpu_quota = rs->cpu_quota;
  r->cpu_period = rs->cpu_period;
  r->memory_limit = rs->memory_limit_in_bytes;
  r->cpuset_cpus = cri_empty(rs->cpuset_cpus) ? NULL : xstrdup(rs->cpuset_cpus);
  r->cpuset_mems = cri_empty(rs->cpuset_mems) ? NULL : xstrdup(rs->cpuset_mems);
  r->oom_score_adj = rs->oom_score_adj;
  r->has_oom_score_adj = rs->oom_score_adj != 0;
}

/* A SecurityProfile as the engine names profiles: "runtime/default",
 * "unconfined", "localhost/REF"; NULL when the kubelet sent none. */
static int profile_from_cri(const Runtime__V1__SecurityProfile *p, const char *what, char **out,
                            crio_err **err)
{
  *out = NULL;
  if (!p)
    return 0;
  switch (p->profile_type) {
  case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault:
    *out = xstrdup("runtime/default");
    return 0;
  case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Unconfined:
    *out = xstrdup("unconfined");
    return 0;
  case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost:
    if (cri_empty(p->localhost_ref))
      return crio_err_set(err, CRIO_E_INVALID,
                          "CreateContainer: %s profile is Localhost without a localhost_ref", what);
    *out = strncmp(p->localhost_ref, "localhost/", 10) == 0
               ? xstrdup(p->localhost_ref)
               : xasprintf("localhost/%s", p->localhost_ref);
    return 0;
  default:
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: %s profile type %d is unknown", what,
                        (int)p->profile_type);
  }
}

static int security_from_cri(engine_container_spec *s,
                             const Runtime__V1__LinuxContainerSecurityContext *sc, crio_err **err)
{
  crio_err *uerr = NULL;
  s->user = user_of(sc, &uerr);
  if (uerr) {
    *err = uerr;
    return -CRIO_E_INVALID;
  }
  engine_security *sec = &s->security;
  sec->privileged = sc->privileged;
  sec->readonly_rootfs = sc->readonly_rootfs;
  sec->no_new_privileges = sc->no_new_privs;
  if (sc->capabilities) {
    cri_strv_from(&sec->cap_add, sc->capabilities->add_capabilities,
                  sc->capabilities->n_add_capabilities);
    cri_strv_from(&sec->cap_drop, sc->capabilities->drop_capabilities,
                  sc->capabilities->n_drop_capabilities);
  }
  if (sc->n_supplemental_groups) {
    sec->supplemental_groups =
        xmalloc(sc->n_supplemental_groups * sizeof *sec->supplemental_groups);
    memcpy(sec->supplemental_groups, sc->supplemental_groups,
           sc->n_supplemental_groups * sizeof *sec->supplemental_groups);
    sec->n_supplemental_groups = sc->n_supplemental_groups;
  }
  cri_strv_from(&sec->masked_paths, sc->masked_paths, sc->n_masked_paths);
  cri_strv_from(&sec->readonly_paths, sc->readonly_paths, sc->n_readonly_paths);
  if (profile_from_cri(sc->seccomp, "seccomp", &sec->seccomp_profile, err) < 0 ||
      profile_from_cri(sc->apparmor, "apparmor", &sec->apparmor_profile, err) < 0)
    return -CRIO_E_INVALID;
  return 0;
}

static int spec_from_cri(engine_container_spec *s, const engine_pod *pod,
                         const Runtime__V1__ContainerConfig *c, crio_err **err)
{
  const char *pod_name = cri_kv_get(&pod->spec.annotations, META_NAME);
  s->name = xasprintf("%s_%s_%u", c->metadata->name, pod_name ? pod_name : pod->spec.name,
                      c->metadata->attempt);
  s->pod = xstrdup(pod->id);
  s->image = xstrdup(c->image->image);
  cri_strv_from(&s->entrypoint, c->command, c->n_command);
  s->has_entrypoint = c->n_command > 0;
  cri_strv_from(&s->command, c->args, c->n_args);
  s->has_command = c->n_args > 0;
  s->working_dir = cri_empty(c->working_dir) ? NULL : xstrdup(c->working_dir);
  envs_from_cri(s, c);
  mounts_from_cri(s, c);
  KV_IN(&s->labels, c->labels, c->n_labels);
  KV_IN(&s->annotations, c->annotations, c->n_annotations);
  engine_kv_set(&s->annotations, META_NAME, c->metadata->name);
  char attempt[16];
  snprintf(attempt, sizeof attempt, "%u", c->metadata->attempt);
  engine_kv_set(&s->annotations, META_ATTEMPT, attempt);
  s->tty = c->tty;
  s->stdin_open = c->stdin;
  s->log_path = cri_empty(c->log_path) ? NULL : xstrdup(c->log_path);
  if (c->linux && c->linux->resources)
    resources_from_cri(&s->resources, c->linux->resources);
  if (c->linux && c->linux->security_context)
    return security_from_cri(s, c->linux->security_context, err);
  return 0;
}

static int h_create_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__CreateContainerRequest *q = (const Runtime__V1__CreateContainerRequest *)req;
  const Runtime__V1__ContainerConfig *c = q->config;
  if (cri_empty(q->pod_sandbox_id))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: pod_sandbox_id is empty");
  if (!c || !c->metadata || cri_empty(c->metadata->name))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: config.metadata.name is empty");
  if (!c->image || cri_empty(c->image->image))
    return crio_err_set(err, CRIO_E_INVALID, "CreateContainer: config.image.image is empty");
  engine_pod pod = {0};
  int rc = engine_pod_get(e, q->pod_sandbox_id, &pod, err);
  if (rc < 0)
    return rc;
  engine_container_spec s = {0};
  rc = spec_from_cri(&s, &pod, c, err);
  engine_pod_clear(&pod);
  engine_container ctr = {0};
  if (rc == 0)
    rc = engine_container_create(e, &s, &ctr, err);
  engine_container_spec_clear(&s);
  if (rc < 0)
    return rc;
  Runtime__V1__CreateContainerResponse *r =
      NEW_MSG(Runtime__V1__CreateContainerResponse, runtime__v1__create_container_response__init);
  r->container_id = xstrdup(ctr.id);
  engine_container_clear(&ctr);
  *resp = &r->base;
  return 0;
}

static int h_start_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__StartContainerRequest *q = (const Runtime__V1__StartContainerRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "StartContainer: container_id is empty");
  int rc = engine_container_start(e, q->container_id, err);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__StartContainerResponse, runtime__v1__start_container_response__init)
               ->base;
  return 0;
}

static int h_stop_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                            crio_err **err)
{
  const Runtime__V1__StopContainerRequest *q = (const Runtime__V1__StopContainerRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "StopContainer: container_id is empty");
  int timeout = q->timeout < 0 ? 0 : q->timeout > 86400 ? 86400 : (int)q->timeout;
  crio_err *lerr = NULL;
  int rc = cri_gone_ok(engine_container_stop(e, q->container_id, timeout, &lerr), &lerr, err);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__StopContainerResponse, runtime__v1__stop_container_response__init)
               ->base;
  return 0;
}

static int h_remove_container(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__RemoveContainerRequest *q = (const Runtime__V1__RemoveContainerRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "RemoveContainer: container_id is empty");
  crio_err *lerr = NULL;
  char *id = NULL;
  int rc = cri_gone_ok(engine_container_remove(e, q->container_id, true, &id, &lerr), &lerr, err);
  free(id);
  if (rc < 0)
    return rc;
  *resp =
      &NEW_MSG(Runtime__V1__RemoveContainerResponse, runtime__v1__remove_container_response__init)
           ->base;
  return 0;
}

static Runtime__V1__ContainerState ctr_state(const char *s)
{
  if (!s)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
  if (strcmp(s, "created") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
  if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
  if (strcmp(s, "exited") == 0)
    return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
  return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
}

static Runtime__V1__ImageSpec *ctr_image(const engine_container *c)
{
  Runtime__V1__ImageSpec *i = NEW_MSG(Runtime__V1__ImageSpec, runtime__v1__image_spec__init);
  i->image = xstrdup(c->spec.image ? c->spec.image : "");
  return i;
}

static Runtime__V1__ContainerResources *ctr_resources(const engine_resources *r)
{
  Runtime__V1__ContainerResources *cr =
      NEW_MSG(Runtime__V1__ContainerResources, runtime__v1__container_resources__init);
  Runtime__V1__LinuxContainerResources *l =
      NEW_MSG(Runtime__V1__LinuxContainerResources, runtime__v1__linux_container_resources__init);
  l->cpu_shares = r->cpu_shares;
  l->cpu_quota = r->cpu_quota;
  l->cpu_period = r->cpu_period;
  l->memory_limit_in_bytes = r->memory_limit;
  l->oom_score_adj = r->oom_score_adj;
  l->cpuset_cpus = xstrdup(r->cpuset_cpus ? r->cpuset_cpus : "");
  l->cpuset_mems = xstrdup(r->cpuset_mems ? r->cpuset_mems : "");
  cr->linux = l;
  return cr;
}

static Runtime__V1__Mount **ctr_mounts(const engine_container *c, size_t *n)
{
  *n = 0;
  if (c->spec.n_mounts == 0)
    return NULL;
  Runtime__V1__Mount **out = xmalloc(c->spec.n_mounts * sizeof *out);
  for (size_t i = 0; i < c->spec.n_mounts; i++) {
    const engine_mount *em = &c->spec.mounts[i];
    Runtime__V1__Mount *m = NEW_MSG(Runtime__V1__Mount, runtime__v1__mount__init);
    m->container_path = xstrdup(em->destination ? em->destination : "");
    m->host_path = xstrdup(em->source ? em->source : "");
    for (size_t j = 0; j < em->options.n; j++)
      m->readonly = m->readonly || strcmp(em->options.items[j], "ro") == 0;
    out[(*n)++] = m;
  }
  return out;
}

Runtime__V1__ContainerStatus *cri_container_status(const engine_container *c)
{
  Runtime__V1__ContainerStatus *st =
      NEW_MSG(Runtime__V1__ContainerStatus, runtime__v1__container_status__init);
  st->id = xstrdup(c->id);
  st->metadata = cri_ctr_metadata(c);
  st->state = ctr_state(c->state);
  st->created_at = c->created_ns;
  st->started_at = c->started_ns;
  st->finished_at = c->finished_ns;
  st->exit_code = c->exit_code;
  st->image = ctr_image(c);
  st->image_ref = xstrdup(c->image_id ? c->image_id : "");
  st->image_id = xstrdup(c->image_id ? c->image_id : "");
  st->reason = xstrdup(c->reason ? c->reason : c->oom_killed ? "OOMKilled" : "");
  st->message = xstrdup(c->message ? c->message : "");
  KV_OUT(&c->spec.labels, st->labels, st->n_labels, Runtime__V1__ContainerStatus__LabelsEntry,
         runtime__v1__container_status__labels_entry__init);
  KV_OUT(&c->spec.annotations, st->annotations, st->n_annotations,
         Runtime__V1__ContainerStatus__AnnotationsEntry,
         runtime__v1__container_status__annotations_entry__init);
  st->mounts = ctr_mounts(c, &st->n_mounts);
  st->log_path = xstrdup(c->log_path ? c->log_path : "");
  st->resources = ctr_resources(&c->spec.resources);
  return st;
}

/* Verbose info "info", as CRI-O's: pid, the runtime, the command. */
static char *ctr_info(const engine_container *c)
{
  json_t *cmd = json_array();
  for (size_t i = 0; i < c->command.n; i++)
    json_array_append_new(cmd, json_string(c->command.items[i]));
  json_t *o = json_pack("{s:s, s:s?, s:s?, s:i, s:s?, s:s?, s:o, s:b, s:b}", "id", c->id, "name",
                        c->spec.name, "sandboxID", c->spec.pod, "pid", c->pid, "runtimeHandler",
                        c->runtime_handler, "user", c->spec.user, "command", cmd, "privileged",
                        c->spec.security.privileged, "tty", c->spec.tty);
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

/* As CRI-O: the image's repo digest ("registry/repo@sha256:...") when it has
 * one, which the kubelet shows as the container's imageID; else the ID. */
static void image_ref_set(engine *e, const engine_container *c, Runtime__V1__ContainerStatus *st)
{
  engine_image img = {0};
  crio_err *lerr = NULL;
  if (cri_empty(c->image_id) || engine_image_get(e, c->image_id, &img, &lerr) < 0) {
    crio_err_free(lerr);
    return;
  }
  if (img.repo_digests.n > 0) {
    free(st->image_ref);
    st->image_ref = xstrdup(img.repo_digests.items[0]);
  }
  engine_image_clear(&img);
}

static int h_container_status(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                              crio_err **err)
{
  const Runtime__V1__ContainerStatusRequest *q = (const Runtime__V1__ContainerStatusRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "ContainerStatus: container_id is empty");
  engine_container c = {0};
  int rc = engine_container_get(e, q->container_id, &c, err);
  if (rc < 0)
    return rc;
  Runtime__V1__ContainerStatusResponse *r =
      NEW_MSG(Runtime__V1__ContainerStatusResponse, runtime__v1__container_status_response__init);
  r->status = cri_container_status(&c);
  image_ref_set(e, &c, r->status);
  if (q->verbose)
    INFO_ADD(r, Runtime__V1__ContainerStatusResponse__InfoEntry,
             runtime__v1__container_status_response__info_entry__init, "info", ctr_info(&c));
  engine_container_clear(&c);
  *resp = &r->base;
  return 0;
}

static const char *ctr_state_filter(Runtime__V1__ContainerState s)
{
  switch (s) {
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED:
    return "status=created";
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING:
    return "status=running";
  case RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED:
    return "status=exited";
  default:
    return "status=unknown";
  }
}

static int h_list_containers(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                             crio_err **err)
{
  const Runtime__V1__ListContainersRequest *q = (const Runtime__V1__ListContainersRequest *)req;
  cri_filters f = {0};
  const Runtime__V1__ContainerFilter *cf = q->filter;
  if (cf) {
    if (!cri_empty(cf->id))
      cri_filters_add(&f, xasprintf("id=%s", cf->id));
    if (cf->state)
      cri_filters_add(&f, xstrdup(ctr_state_filter(cf->state->state)));
    if (!cri_empty(cf->pod_sandbox_id))
      cri_filters_add(&f, xasprintf("pod=%s", cf->pod_sandbox_id));
    for (size_t i = 0; i < cf->n_label_selector; i++)
      cri_filters_add(&f,
                      xasprintf("label=%s=%s", cf->label_selector[i]->key,
                                cf->label_selector[i]->value ? cf->label_selector[i]->value : ""));
  }
  engine_filter ef = {.filters = f.items, .n_filters = f.n};
  engine_containers list = {0};
  crio_err *lerr = NULL;
  int rc = engine_container_list(e, true, false, &ef, &list, &lerr);
  cri_filters_clear(&f);
  Runtime__V1__ListContainersResponse *r =
      NEW_MSG(Runtime__V1__ListContainersResponse, runtime__v1__list_containers_response__init);
  if (rc < 0) {
    /* A filter naming a pod that is gone matches nothing. */
    if (lerr && lerr->code == CRIO_E_NOT_FOUND) {
      crio_err_free(lerr);
      *resp = &r->base;
      return 0;
    }
    *err = lerr;
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
  }
  if (list.n)
    r->containers = xmalloc(list.n * sizeof *r->containers);
  for (size_t i = 0; i < list.n; i++) {
    const engine_container *c = &list.items[i];
    Runtime__V1__Container *m = NEW_MSG(Runtime__V1__Container, runtime__v1__container__init);
    m->id = xstrdup(c->id);
    m->pod_sandbox_id = xstrdup(c->spec.pod ? c->spec.pod : "");
    m->metadata = cri_ctr_metadata(c);
    m->image = ctr_image(c);
    m->image_ref = xstrdup(c->image_id ? c->image_id : "");
    m->image_id = xstrdup(c->image_id ? c->image_id : "");
    m->state = ctr_state(c->state);
    m->created_at = c->created_ns;
    KV_OUT(&c->spec.labels, m->labels, m->n_labels, Runtime__V1__Container__LabelsEntry,
           runtime__v1__container__labels_entry__init);
    KV_OUT(&c->spec.annotations, m->annotations, m->n_annotations,
           Runtime__V1__Container__AnnotationsEntry,
           runtime__v1__container__annotations_entry__init);
    r->containers[r->n_containers++] = m;
  }
  engine_containers_clear(&list);
  *resp = &r->base;
  return 0;
}

static int h_update_container_resources(engine *e, const ProtobufCMessage *req,
                                        ProtobufCMessage **resp, crio_err **err)
{
  const Runtime__V1__UpdateContainerResourcesRequest *q =
      (const Runtime__V1__UpdateContainerResourcesRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "UpdateContainerResources: container_id is empty");
  if (!q->linux)
    return crio_err_set(err, CRIO_E_INVALID,
                        "UpdateContainerResources %s: no linux resources given", q->container_id);
  engine_resources r = {0};
  resources_from_cri(&r, q->linux);
  int rc = engine_container_update(e, q->container_id, &r, err);
  free(r.cpuset_cpus);
  free(r.cpuset_mems);
  if (rc < 0)
    return rc;
  *resp = &NEW_MSG(Runtime__V1__UpdateContainerResourcesResponse,
                   runtime__v1__update_container_resources_response__init)
               ->base;
  return 0;
}

static int h_reopen_container_log(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                                  crio_err **err)
{
  const Runtime__V1__ReopenContainerLogRequest *q =
      (const Runtime__V1__ReopenContainerLogRequest *)req;
  if (cri_empty(q->container_id))
    return crio_err_set(err, CRIO_E_INVALID, "ReopenContainerLog: container_id is empty");
  if (engine_container_reopen_log(e, q->container_id, err) < 0)
    return -1;
  *resp = &NEW_MSG(Runtime__V1__ReopenContainerLogResponse,
                   runtime__v1__reopen_container_log_response__init)
               ->base;
  return 0;
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_BLOCKING_CALL(RT "CreateContainer", runtime__v1__create_container_request__descriptor,
                      h_create_container),
    CRI_CALL(RT "StartContainer", runtime__v1__start_container_request__descriptor,
             h_start_container),
    CRI_BLOCKING_CALL(RT "StopContainer", runtime__v1__stop_container_request__descriptor,
                      h_stop_container),
    CRI_BLOCKING_CALL(RT "RemoveContainer", runtime__v1__remove_container_request__descriptor,
                      h_remove_container),
    CRI_CALL(RT "ContainerStatus", runtime__v1__container_status_request__descriptor,
             h_container_status),
    CRI_CALL(RT "ListContainers", runtime__v1__list_containers_request__descriptor,
             h_list_containers),
    CRI_LIST_STREAM(RT "StreamContainers", runtime__v1__list_containers_request__descriptor,
                    h_list_containers, runtime__v1__stream_containers_response__descriptor, false),
    CRI_CALL(RT "UpdateContainerResources",
             runtime__v1__update_container_resources_request__descriptor,
             h_update_container_resources),
    CRI_CALL(RT "ReopenContainerLog", runtime__v1__reopen_container_log_request__descriptor,
             h_reopen_container_log),
};

CRI_METHOD_TABLE(cri_container_methods)
