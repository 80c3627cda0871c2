/* Creating a container: its pod (given, or one of its own), the image's
 * rootfs on overlay, the OCI bundle, conmon running `runc create`. A row
 * marked "creating" is written first, so a daemon that dies half way finds
 * and removes what the create left (reconcile.c). */
#include "server/engine/ctr_internal.h"
#include "server/engine/ctr_security.h"
#include "server/engine/engine_image_internal.h"
#include "server/engine/paths.h"
#include "server/engine/pods_internal.h"
#include "server/engine/spec_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/cgroups/cgroup_pod.h"
#include "server/image/layer_store.h"
#include "server/runtime/oci_spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

typedef struct create_ctx {
  engine *e;
  engine_container_spec spec;
  char *id;
  store_pod *pod;
  engine_pod_spec pod_spec;
  bool own_pod;
  store_image *img;
  json_t *img_cfg;          /* the image config's "config" object */
  engine_strv args;
  char *merged;
  char *log_path;
  char *bundle;
  char *seccomp_json;       /* linux.seccomp, NULL: none */
  char *apparmor;           /* process.apparmorProfile, NULL: none */
} create_ctx;

static int check_mounts(const engine_container_spec *s, crio_err **err)
{
  for (size_t i = 0; i < s->n_mounts; i++) {
    const engine_mount *m = &s->mounts[i];
    const char *type = m->type ? m->type : "bind";
    struct stat st;
    if (!m->destination || m->destination[0] != '/')
      return crio_err_set(err, CRIO_E_INVALID, "mount destination \"%s\" is not absolute",
                          m->destination ? m->destination : "");
    if (strcmp(type, "bind") == 0 && (!m->source || m->source[0] != '/'))
      return crio_err_set(err, CRIO_E_INVALID, "bind mount source \"%s\" is not absolute",
                          m->source ? m->source : "");
    if (strcmp(type, "bind") == 0 && stat(m->source, &st) < 0)
      return crio_err_errno(err, CRIO_E_INVALID, errno, "bind mount source %s", m->source);
    if (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0)
      return crio_err_set(err, CRIO_E_INVALID, "mount type \"%s\" is not bind or tmpfs", type);
  }
  for (size_t i = 0; i < s->n_devices; i++) {
    struct stat st;
    if (!s->devices[i].host_path || stat(s->devices[i].host_path, &st) < 0 ||
        !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
      return crio_err_set(err, CRIO_E_INVALID, "device %s is not a device node on this host",
                          s->devices[i].host_path ? s->devices[i].host_path : "");
  }
  return 0;
}

static int create_validate(create_ctx *c, crio_err **err)
{
  engine_container_spec *s = &c->spec;
  if (!s->image || !s->image[0])
    return crio_err_set(err, CRIO_E_INVALID, "no image given");
  if (s->name && check_name("container", s->name, err) < 0)
    return -1;
  if (!s->name)
    s->name = xasprintf("ctr-%.12s", c->id);
  store_container *other = NULL;
  if (store_container_get_by_name(c->e->store, s->name, &other, NULL) == 0) {
    store_container_free(other);
    return crio_err_set(err, CRIO_E_EXISTS, "container name \"%s\" is in use", s->name);
  }
  if (s->working_dir && s->working_dir[0] && s->working_dir[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "working directory \"%s\" is not absolute",
                        s->working_dir);
  _cleanup_free_ char *rt = NULL, *root = NULL;
  if (ctr_runtime(c->e, s->runtime_handler, &rt, &root, err) < 0 || check_mounts(s, err) < 0)
    return -1;
  return ctr_security_resolve(c->e, s, &c->seccomp_json, &c->apparmor, err);
}

static int create_image(create_ctx *c, crio_err **err)
{
  if (image_lookup(c->e, c->spec.image, &c->img, err) < 0)
    return crio_err_wrap(err, "image %s: pull it first", c->spec.image) ;
  json_t *cfg = json_loads(c->img->config, 0, NULL);
  c->img_cfg = json_incref(json_object_get(cfg, "config"));
  json_decref(cfg);
  if (!c->img_cfg)
    c->img_cfg = json_object();
  return 0;
}

/* entrypoint + command, as docker and podman combine them */
static int create_command(create_ctx *c, crio_err **err)
{
  engine_container_spec *s = &c->spec;
  if (s->has_entrypoint)
    for (size_t i = 0; i < s->entrypoint.n; i++)
      strv_push(&c->args, s->entrypoint.items[i]);
  else
    strv_from_json(json_object_get(c->img_cfg, "Entrypoint"), &c->args);
  if (s->has_command)
    for (size_t i = 0; i < s->command.n; i++)
      strv_push(&c->args, s->command.items[i]);
  else if (!s->has_entrypoint)
    strv_from_json(json_object_get(c->img_cfg, "Cmd"), &c->args);
  if (c->args.n == 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "no command: the image %s has no Entrypoint or Cmd and none was given",
                        s->image);
  engine_strv_clear(&s->process_args);
  for (size_t i = 0; i < c->args.n; i++)
    strv_push(&s->process_args, c->args.items[i]);
  return 0;
}

static int create_pod(create_ctx *c, crio_err **err)
{
  if (c->spec.pod) {
    if (pod_load(c->e, c->spec.pod, &c->pod, &c->pod_spec, err) < 0)
      return -1;
    if (c->pod->state != STORE_POD_READY)
      return crio_err_set(err, CRIO_E_CONFLICT, "pod %s is not ready (stopped)", c->pod->name);
    free(c->spec.pod);
    c->spec.pod = xstrdup(c->pod->id);
    return 0;
  }
  engine_pod_spec ps = { .name = c->spec.name, .ports = c->spec.ports,
                         .n_ports = c->spec.n_ports };
  engine_kv_set(&ps.annotations, STANDALONE_POD_ANNOTATION, c->id);
  engine_pod p;
  int r = engine_pod_create(c->e, &ps, &p, err);
  engine_kv_clear(&ps.annotations);
  if (r < 0)
    return crio_err_wrap(err, "pod of container %s", c->spec.name);
  c->own_pod = true;
  c->spec.pod = xstrdup(p.id);
  engine_pod_clear(&p);
  return pod_load(c->e, c->spec.pod, &c->pod, &c->pod_spec, err);
}

static char *resolve_log_path(create_ctx *c)
{
  const char *p = c->spec.log_path;
  if (p && p[0] == '/')
    return xstrdup(p);
  if (p && p[0] && c->pod_spec.log_directory && c->pod_spec.log_directory[0])
    return path_join(c->pod_spec.log_directory, p);
  _cleanup_free_ char *dir = ctr_dir(c->e, c->id);
  return path_join(dir, "ctr.log");
}

static int create_row(create_ctx *c, crio_err **err)
{
  c->log_path = resolve_log_path(c);
  _cleanup_free_ char *spec_text = container_spec_to_json(&c->spec);
  _cleanup_free_ char *labels = kv_to_json_text(&c->spec.labels);
  _cleanup_free_ char *annotations = kv_to_json_text(&c->spec.annotations);
  store_container row = { .id = c->id, .pod_id = c->spec.pod, .name = c->spec.name,
                          .image_id = c->img->id, .image_ref = c->spec.image,
                          .state = STORE_CTR_UNKNOWN, .reason = "creating",
                          .labels = labels, .annotations = annotations,
                          .log_path = c->log_path, .spec = spec_text };
  return store_container_put(c->e->store, &row, NULL, err);
}

static int create_rootfs(create_ctx *c, crio_err **err)
{
  size_t n = c->img->n_layers;
  char **lower = xzalloc((n + 1) * sizeof *lower);
  for (size_t i = 0; i < n; i++)
    lower[i] = layer_diff_dir(c->e->overlay_root, c->img->layers[n - 1 - i].id);
  int r = rootfs_create(c->e->overlay_root, c->id, lower, n, &c->merged, err);
  for (size_t i = 0; i < n; i++)
    free(lower[i]);
  free(lower);
  return r;
}

static oci_strv ostrv(const engine_strv *v)
{
  return (oci_strv) { .items = v->items, .n = v->n };
}

static oci_ns ns_of(const char *pin)
{
  return pin ? (oci_ns) { .mode = OCI_NS_PATH, .path = pin } : (oci_ns) { .mode = OCI_NS_HOST };
}

typedef struct bundle_parts {
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t n_groups;
  char *home;
  char **env;
  size_t n_env;
  oci_mount_input *mounts;
  oci_device_input *devices;
  ns_pins pins;
  char *pod_dir;
  char *resolv, *hosts, *hostname;
  char *cgroup;
} bundle_parts;

static void bundle_parts_clear(bundle_parts *b)
{
  free(b->groups);
  free(b->home);
  oci_env_free(b->env);
  free(b->mounts);
  free(b->devices);
  ns_pins_clear(&b->pins);
  free(b->pod_dir);
  free(b->resolv);
  free(b->hosts);
  free(b->hostname);
  free(b->cgroup);
}

/* The requested supplemental groups join those /etc/group gives the user. */
static int groups_add(bundle_parts *b, const engine_security *sec, crio_err **err)
{
  for (size_t i = 0; i < sec->n_supplemental_groups; i++) {
    if (sec->supplemental_groups[i] < 0 || sec->supplemental_groups[i] > UINT32_MAX - 1)
      return crio_err_set(err, CRIO_E_INVALID, "supplemental group %lld is not a valid gid",
                          (long long) sec->supplemental_groups[i]);
    gid_t g = (gid_t) sec->supplemental_groups[i];
    bool have = g == b->gid;
    for (size_t j = 0; j < b->n_groups && !have; j++)
      have = b->groups[j] == g;
    if (have)
      continue;
    b->groups = xrealloc(b->groups, (b->n_groups + 1) * sizeof *b->groups);
    b->groups[b->n_groups++] = g;
  }
  return 0;
}

static int bundle_prepare(create_ctx *c, bundle_parts *b, crio_err **err)
{
  const engine_container_spec *s = &c->spec;
  const char *user = s->user ? s->user : json_string_value(json_object_get(c->img_cfg, "User"));
  if (oci_resolve_user(c->merged, user ? user : "", &b->uid, &b->gid, &b->groups, &b->n_groups,
                       &b->home, err) < 0 ||
      groups_add(b, &s->security, err) < 0)
    return -1;
  engine_strv image_env = { 0 };
  strv_from_json(json_object_get(c->img_cfg, "Env"), &image_env);
  b->env = oci_env_merge(ostrv(&image_env), ostrv(&s->env), b->home, &b->n_env);
  engine_strv_clear(&image_env);
  b->mounts = xzalloc((s->n_mounts + 1) * sizeof *b->mounts);
  for (size_t i = 0; i < s->n_mounts; i++)
    b->mounts[i] = (oci_mount_input) { .type = s->mounts[i].type, .source = s->mounts[i].source,
                                       .destination = s->mounts[i].destination,
                                       .options = ostrv(&s->mounts[i].options) };
  b->devices = xzalloc((s->n_devices + 1) * sizeof *b->devices);
  for (size_t i = 0; i < s->n_devices; i++)
    b->devices[i] = (oci_device_input) { .host_path = s->devices[i].host_path,
                                         .container_path = s->devices[i].container_path,
                                         .permissions = s->devices[i].permissions };
  pod_pins(c->e, c->pod->id, &c->pod_spec, &b->pins);
  b->pod_dir = pod_dir(c->e, c->pod->id);
  b->resolv = path_join(b->pod_dir, "resolv.conf");
  b->hosts = path_join(b->pod_dir, "hosts");
  b->hostname = path_join(b->pod_dir, "hostname");
  _cleanup_free_ char *pod_cg = cgroup_pod_path(c->pod_spec.cgroup_parent, c->pod->id);
  b->cgroup = cgroup_container_path(pod_cg, c->id);
  return 0;
}

static const char *image_workdir(create_ctx *c)
{
  const char *w = json_string_value(json_object_get(c->img_cfg, "WorkingDir"));
  return w && w[0] ? w : "/";
}

static int create_bundle(create_ctx *c, crio_err **err)
{
  const engine_container_spec *s = &c->spec;
  bundle_parts b = { 0 };
  if (bundle_prepare(c, &b, err) < 0) {
    bundle_parts_clear(&b);
    return -1;
  }
  const engine_resources *r = &s->resources;
  oci_spec_input in = {
    .rootfs = c->merged, .readonly_rootfs = s->security.readonly_rootfs, .terminal = s->tty,
    .args = ostrv(&c->args), .env = { b.env, b.n_env },
    .cwd = s->working_dir && s->working_dir[0] ? s->working_dir : image_workdir(c),
    .uid = b.uid, .gid = b.gid, .additional_gids = b.groups, .n_additional_gids = b.n_groups,
    .cap_add = ostrv(&s->security.cap_add), .cap_drop = ostrv(&s->security.cap_drop),
    .privileged = s->security.privileged, .no_new_privileges = s->security.no_new_privileges,
    .has_oom_score_adj = r->has_oom_score_adj, .oom_score_adj = (int) r->oom_score_adj,
    .hostname = c->pod_spec.host_network ? NULL : c->pod_spec.hostname,
    .resolv_conf_path = b.resolv, .hosts_path = b.hosts,
    .hostname_path = c->pod_spec.host_network ? NULL : b.hostname,
    .mounts = b.mounts, .n_mounts = s->n_mounts,
    .pid_ns = { .mode = c->pod_spec.host_pid ? OCI_NS_HOST : OCI_NS_NEW },
    .network_ns = ns_of(b.pins.net), .ipc_ns = ns_of(b.pins.ipc), .uts_ns = ns_of(b.pins.uts),
    .cgroups_path = b.cgroup,
    .resources = ctr_oci_resources(r),
    .devices = b.devices, .n_devices = s->n_devices,
    .masked_paths = ostrv(&s->security.masked_paths),
    .readonly_paths = ostrv(&s->security.readonly_paths),
    .annotations = { ostrv(&s->annotations.keys), ostrv(&s->annotations.values) },
    .seccomp_json = c->seccomp_json, .apparmor_profile = c->apparmor,
  };
  _cleanup_free_ char *json = NULL;
  c->bundle = ctr_dir(c->e, c->id);
  _cleanup_free_ char *config = path_join(c->bundle, "config.json");
  int rc = oci_spec_generate(&in, &json, err);
  if (rc == 0)
    rc = mkdir_p(c->bundle, 0700, err);
  if (rc == 0)
    rc = write_file_atomic(config, json, strlen(json), 0600, err);
  bundle_parts_clear(&b);
  return rc;
}

static void create_ctx_clear(create_ctx *c)
{
  engine_container_spec_clear(&c->spec);
  free(c->id);
  store_pod_free(c->pod);
  engine_pod_spec_clear(&c->pod_spec);
  store_image_free(c->img);
  json_decref(c->img_cfg);
  engine_strv_clear(&c->args);
  free(c->merged);
  free(c->log_path);
  free(c->bundle);
  free(c->seccomp_json);
  free(c->apparmor);
}

/* Everything after the row: rootfs, bundle, conmon; then CREATED. */
static int create_run(create_ctx *c, crio_err **err)
{
  if (create_rootfs(c, err) < 0 || create_bundle(c, err) < 0)
    return -1;
  store_container *row = NULL;
  int pid = 0;
  if (store_container_get(c->e->store, c->id, &row, err) < 0)
    return -1;
  int r = ctr_conmon_create(c->e, row, &c->spec, &pid, err);
  store_container_free(row);
  if (r < 0)
    return -1;
  store_container_status st = { .state = STORE_CTR_CREATED, .pid = pid };
  store_event ev = { .type = STORE_EVENT_CONTAINER, .action = "create" };
  pthread_mutex_lock(&c->e->ctr_lock);
  r = store_container_set_state(c->e->store, c->id, &st, &ev, err);
  pthread_mutex_unlock(&c->e->ctr_lock);
  return r;
}

int engine_container_create(engine *e, const engine_container_spec *spec, engine_container *out,
                            crio_err **err)
{
  create_ctx c = { .e = e, .id = new_id() };
  engine_container_spec_copy(spec, &c.spec);
  int r = create_validate(&c, err);
  if (r == 0)
    r = create_image(&c, err);
  if (r == 0)
    r = create_command(&c, err);
  if (r == 0)
    r = create_pod(&c, err);
  bool row = r == 0 && create_row(&c, err) == 0;
  if (r == 0 && !row)
    r = -1;
  if (r == 0)
    r = create_run(&c, err);
  if (r < 0) {
    if (row) {
      ctr_cleanup(e, c.id, c.spec.runtime_handler);
      store_container_delete(e->store, c.id, NULL, NULL);
    }
    if (c.own_pod)
      engine_pod_remove(e, c.spec.pod, true, NULL, NULL);
  } else if (out) {
    r = engine_container_get(e, c.id, out, err);
  }
  create_ctx_clear(&c);
  return r;
}
