#include "ps.h"

#include <ctype.h>
#include <string.h>

#include "jsonutil.h"
#include "units.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define SHORT_ID_LEN 12
#define COMMAND_MAX 17
#define NS_PER_SEC INT64_C(1000000000)

/* The whole seconds of an RFC 3339 time, in nanoseconds (podman's
 * time.Unix(t, 0)); -1 when s is not one. */
static int64_t time_whole_seconds(const char *s)
{
  int64_t ns;
  if (kpod_time_parse(s, &ns) < 0)
    return -1;
  int64_t sec = ns / NS_PER_SEC - (ns < 0 && ns % NS_PER_SEC);
  return sec * NS_PER_SEC;
}

static int64_t time_unix(const char *s)
{
  int64_t ns = time_whole_seconds(s);
  return ns < 0 ? 0 : ns / NS_PER_SEC;
}

void kpod_container_status(strbuf *out, const json_t *c, int64_t now_ns)
{
  const char *state = kpod_json_str(c, "state", "");
  if (strcmp(state, "running") == 0) {
    int64_t started = time_whole_seconds(kpod_json_str(c, "started", ""));
    strbuf_puts(out, "Up ");
    kpod_human_duration(out, started < 0 ? 0 : now_ns - started);
  } else if (strcmp(state, "exited") == 0 || strcmp(state, "stopped") == 0) {
    int64_t finished = time_whole_seconds(kpod_json_str(c, "finished", ""));
    strbuf_printf(out, "Exited (%lld) ",
                  (long long) json_integer_value(json_object_get(c, "exit_code")));
    kpod_time_ago(out, finished < 0 ? now_ns : finished, now_ns);
  } else if (*state) { /* strings.Title */
    strbuf_putc(out, (char) toupper((unsigned char) state[0]));
    strbuf_puts(out, state + 1);
  }
}

char *kpod_ps_command(const json_t *command, int no_trunc)
{
  strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "");
  size_t i;
  json_t *arg;
  json_array_foreach(command, i, arg)
    strbuf_printf(&b, "%s%s", i ? " " : "", json_string_value(arg) ? json_string_value(arg) : "");
  if (no_trunc || b.len <= COMMAND_MAX)
    return strbuf_steal(&b);
  size_t keep = COMMAND_MAX;
  while (keep > 0 && ((unsigned char) b.data[keep] & 0xC0) == 0x80)
    keep--; /* podman cuts bytes; a JSON string needs whole characters */
  char *cut = xasprintf("%.*s...", (int) keep, b.data);
  strbuf_free(&b);
  return cut;
}

static int port_continues(const json_t *prev, const json_t *p, long long n)
{
  json_int_t hp = json_integer_value(json_object_get(prev, "host_port"));
  json_int_t cp = json_integer_value(json_object_get(prev, "container_port"));
  return strcmp(kpod_json_str(prev, "host_ip", ""), kpod_json_str(p, "host_ip", "")) == 0 &&
         strcmp(kpod_json_str(prev, "protocol", "tcp"), kpod_json_str(p, "protocol", "tcp")) == 0 &&
         hp != 0 && json_integer_value(json_object_get(p, "host_port")) == hp + n &&
         json_integer_value(json_object_get(p, "container_port")) == cp + n;
}

void kpod_ports_string(strbuf *out, const json_t *ports)
{
  size_t n = json_array_size(ports);
  for (size_t i = 0; i < n;) {
    const json_t *p = json_array_get(ports, i);
    size_t len = 1;
    while (i + len < n && port_continues(p, json_array_get(ports, i + len), (long long) len))
      len++;
    const char *ip = kpod_json_str(p, "host_ip", "");
    long long hp = json_integer_value(json_object_get(p, "host_port"));
    long long cp = json_integer_value(json_object_get(p, "container_port"));
    const char *proto = kpod_json_str(p, "protocol", "tcp");
    strbuf_printf(out, "%s%s:", i ? ", " : "", *ip ? ip : "0.0.0.0");
    if (len > 1)
      strbuf_printf(out, "%lld-%lld->%lld-%lld/%s", hp, hp + (long long) len - 1, cp,
                    cp + (long long) len - 1, proto);
    else
      strbuf_printf(out, "%lld->%lld/%s", hp, cp, proto);
    i += len;
  }
}

static json_t *short_id(const char *id, int no_trunc)
{
  if (strncmp(id, "sha256:", 7) == 0)
    id += 7;
  return json_stringn(id, no_trunc ? strlen(id) : strnlen(id, SHORT_ID_LEN));
}

static json_t *string_take(strbuf *b)
{
  json_t *j = json_string(b->data ? b->data : "");
  strbuf_free(b);
  return j ? j : json_string("");
}

static void ps_row_times(json_t *row, const json_t *c, int64_t now_ns)
{
  strbuf ago = STRBUF_INIT, at = STRBUF_INIT, status = STRBUF_INIT;
  int64_t ns;
  if (kpod_time_parse(kpod_json_str(c, "created", ""), &ns) == 0) {
    kpod_time_ago(&ago, ns, now_ns);
    kpod_time_go_utc_nano(&at, ns);
  }
  kpod_container_status(&status, c, now_ns);
  json_object_set_new(row, "CreatedHuman", json_string(ago.data ? ago.data : ""));
  json_object_set_new(row, "RunningFor", string_take(&ago));
  json_object_set_new(row, "Created", json_string(at.data ? at.data : ""));
  json_object_set_new(row, "CreatedAt", string_take(&at));
  json_object_set_new(row, "Status", string_take(&status));
  json_object_set_new(row, "StartedAt", json_integer(time_unix(kpod_json_str(c, "started", ""))));
  json_object_set_new(row, "ExitedAt", json_integer(time_unix(kpod_json_str(c, "finished", ""))));
}

static json_t *ps_row_mounts(const json_t *spec)
{
  json_t *mounts = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec, "mounts"), i, m)
    json_array_append_new(mounts, json_string(kpod_json_str(m, "destination", "")));
  return mounts;
}

static void ps_row_size(json_t *row, const json_t *c, const kpod_ps_ctx *pc)
{
  strbuf b = STRBUF_INIT;
  json_int_t rw = json_integer_value(json_object_get(c, "size_rw"));
  kpod_human_size(&b, (double) rw, 3, 0);
  json_t *image = json_object_get(pc->image_sizes, kpod_json_str(c, "image_id", ""));
  if (json_is_integer(image)) {
    strbuf_puts(&b, " (virtual ");
    kpod_human_size(&b, (double) (rw + json_integer_value(image)), 3, 0);
    strbuf_putc(&b, ')');
  }
  json_object_set_new(row, "Size", string_take(&b));
}

static json_t *ps_row(const json_t *c, const kpod_ps_ctx *pc)
{
  const json_t *spec = json_object_get(c, "spec");
  const char *pod_id = kpod_json_str(c, "pod_id", "");
  const json_t *pod = json_object_get(pc->pods, pod_id);
  const json_t *ports = json_object_get(spec, "ports");
  if (json_array_size(ports) == 0)
    ports = json_object_get(pod, "ports");
  json_t *row = json_object();
  json_object_set_new(row, "ID", short_id(kpod_json_str(c, "id", ""), pc->no_trunc));
  json_object_set_new(row, "Image", json_string(kpod_json_str(c, "image", "")));
  json_object_set_new(row, "ImageID", short_id(kpod_json_str(c, "image_id", ""), pc->no_trunc));
  _cleanup_free_ char *cmd = kpod_ps_command(json_object_get(c, "command"), pc->no_trunc);
  json_object_set_new(row, "Command", json_string(cmd));
  ps_row_times(row, c, pc->now_ns);
  const char *state = kpod_json_str(c, "state", "");
  json_object_set_new(row, "State", json_string(state));
  json_object_set_new(row, "ExitCode",
                      json_integer(json_integer_value(json_object_get(c, "exit_code"))));
  json_object_set_new(row, "Exited", json_boolean(strcmp(state, "exited") == 0));
  json_object_set_new(row, "Pid", json_integer(json_integer_value(json_object_get(c, "pid"))));
  strbuf p = STRBUF_INIT;
  kpod_ports_string(&p, ports);
  json_object_set_new(row, "Ports", string_take(&p));
  json_object_set_new(row, "Names", json_string(kpod_json_str(c, "name", "")));
  json_t *labels = json_object_get(c, "labels");
  json_object_set_new(row, "Labels", json_is_object(labels) ? json_incref(labels) : json_object());
  json_object_set_new(row, "Mounts", ps_row_mounts(spec));
  json_object_set_new(row, "Pod", short_id(pod_id, pc->no_trunc));
  json_object_set_new(row, "PodName", json_string(kpod_json_str(pod, "name", "")));
  if (pc->size)
    ps_row_size(row, c, pc);
  return row;
}

json_t *kpod_ps_rows(const json_t *containers, const kpod_ps_ctx *pc)
{
  json_t *rows = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(containers, i, c)
    if (json_is_object(c))
      json_array_append_new(rows, ps_row(c, pc));
  return rows;
}

const kpod_column kpod_ps_columns[] = {
  { "ID", "CONTAINER ID" },     { "Image", "IMAGE" },         { "ImageID", "IMAGE ID" },
  { "Command", "COMMAND" },     { "CreatedHuman", "CREATED" }, { "RunningFor", "RUNNING FOR" },
  { "Created", "CREATED" },     { "CreatedAt", "CREATED AT" }, { "Status", "STATUS" },
  { "State", "STATE" },         { "ExitCode", "EXIT CODE" },  { "Exited", "EXITED" },
  { "ExitedAt", "EXITED AT" },  { "StartedAt", "STARTED AT" }, { "Pid", "PID" },
  { "Ports", "PORTS" },         { "Names", "NAMES" },         { "Labels", "LABELS" },
  { "Mounts", "MOUNTS" },       { "Pod", "POD ID" },          { "PodName", "PODNAME" },
  { "Size", "SIZE" },           { NULL, NULL },
};

const char *kpod_pod_status(const json_t *states)
{
  size_t n = json_array_size(states), running = 0, paused = 0, stopped = 0, errored = 0;
  if (n == 0)
    return "Created";
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(states, i));
    s = s ? s : "";
    if (strcmp(s, "exited") == 0 || strcmp(s, "stopped") == 0)
      stopped++;
    else if (strcmp(s, "running") == 0)
      running++;
    else if (strcmp(s, "paused") == 0)
      paused++;
    else if (strcmp(s, "created") != 0)
      errored++;
  }
  if (running == n)
    return "Running";
  if (running > 0)
    return "Degraded";
  if (paused == n)
    return "Paused";
  if (stopped == n)
    return "Exited";
  if (stopped > 0)
    return "Stopped";
  return errored > 0 ? "Error" : "Created";
}

/* ContainerIds, ContainerNames, ContainerStatuses, NumberOfContainers, Status */
static void pod_row_containers(json_t *row, const json_t *pod, const json_t *containers,
                               int no_trunc)
{
  strbuf ids = STRBUF_INIT, names = STRBUF_INIT, statuses = STRBUF_INIT;
  _cleanup_json_ json_t *states = json_array();
  size_t i;
  json_t *id;
  json_array_foreach(json_object_get(pod, "containers"), i, id) {
    const char *cid = json_string_value(id) ? json_string_value(id) : "";
    const json_t *c = json_object_get(containers, cid);
    const char *state = kpod_json_str(c, "state", "unknown");
    strbuf_printf(&ids, "%s%.*s", i ? "," : "", no_trunc ? (int) strlen(cid) : SHORT_ID_LEN, cid);
    strbuf_printf(&names, "%s%s", i ? "," : "", kpod_json_str(c, "name", ""));
    strbuf_printf(&statuses, "%s%s", i ? "," : "", state);
    json_array_append_new(states, json_string(state));
  }
  json_object_set_new(row, "Status", json_string(kpod_pod_status(states)));
  json_object_set_new(row, "NumberOfContainers",
                      json_integer((json_int_t) json_array_size(states)));
  json_object_set_new(row, "ContainerIds", string_take(&ids));
  json_object_set_new(row, "ContainerNames", string_take(&names));
  json_object_set_new(row, "ContainerStatuses", string_take(&statuses));
}

static json_t *pod_row(const json_t *pod, const json_t *containers, int no_trunc, int64_t now_ns)
{
  json_t *row = json_object();
  json_t *id = short_id(kpod_json_str(pod, "id", ""), no_trunc);
  json_object_set(row, "Id", id);
  json_object_set_new(row, "ID", id);
  json_object_set_new(row, "Name", json_string(kpod_json_str(pod, "name", "")));
  pod_row_containers(row, pod, containers, no_trunc);
  strbuf ago = STRBUF_INIT, at = STRBUF_INIT;
  int64_t ns;
  if (kpod_time_parse(kpod_json_str(pod, "created", ""), &ns) == 0) {
    kpod_time_ago(&ago, ns, now_ns);
    kpod_time_go_utc_nano(&at, ns);
  }
  json_object_set_new(row, "Created", string_take(&ago));
  json_object_set_new(row, "CreatedAt", string_take(&at));
  json_object_set_new(row, "InfraID", json_string(""));
  json_object_set_new(row, "InfraId", json_string(""));
  json_t *labels = json_object_get(pod, "labels");
  json_object_set_new(row, "Labels", json_is_object(labels) ? json_incref(labels) : json_object());
  json_object_set_new(row, "Namespace", json_string(kpod_json_str(pod, "namespace", "")));
  json_object_set_new(row, "Cgroup", json_string(kpod_json_str(pod, "cgroup_parent", "")));
  json_object_set_new(row, "State", json_string(kpod_json_str(pod, "state", "")));
  return row;
}

json_t *kpod_pod_rows(const json_t *pods, const json_t *containers, int no_trunc, int64_t now_ns)
{
  json_t *rows = json_array();
  for (size_t i = json_array_size(pods); i-- > 0;) { /* the API lists oldest first */
    const json_t *pod = json_array_get(pods, i);
    if (json_is_object(pod))
      json_array_append_new(rows, pod_row(pod, containers, no_trunc, now_ns));
  }
  return rows;
}

const kpod_column kpod_pod_columns[] = {
  { "Id", "POD ID" },
  { "ID", "POD ID" },
  { "Name", "NAME" },
  { "Status", "STATUS" },
  { "Created", "CREATED" },
  { "CreatedAt", "CREATED AT" },
  { "InfraID", "INFRA ID" },
  { "InfraId", "INFRA ID" },
  { "NumberOfContainers", "# OF CONTAINERS" },
  { "ContainerIds", "IDS" },
  { "ContainerNames", "NAMES" },
  { "ContainerStatuses", "STATUS" },
  { "Labels", "LABELS" },
  { "Namespace", "NAMESPACE" },
  { "Cgroup", "CGROUP" },
  { "State", "STATE" },
  { NULL, NULL },
};
