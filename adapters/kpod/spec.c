#include "spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define CPU_PERIOD 100000

/* Go's strconv.ParseFloat, as far as flags need it: the whole string, no
 * leading space, finite. */
static int parse_float(const char *s, double *out)
{
  if (!*s || isspace((unsigned char) *s))
    return -1;
  char *end = NULL;
  errno = 0;
  double d = strtod(s, &end);
  if (*end || errno == ERANGE || !isfinite(d))
    return -1;
  *out = d;
  return 0;
}

/* The multiplier of a go-units suffix: "", b, k, kb, kib, ... (case ignored);
 * 0 when it is not one. */
static int64_t memory_multiplier(const char *sfx)
{
  static const char units[] = "kmgtp";
  size_t n = strlen(sfx);
  if (n == 0)
    return 1;
  if (n > 3)
    return 0;
  char c = (char) tolower((unsigned char) sfx[0]);
  if (c == 'b')
    return n == 1 ? 1 : 0;
  const char *u = strchr(units, c);
  if (!u || !c)
    return 0;
  if ((n == 2 && tolower((unsigned char) sfx[1]) != 'b') ||
      (n == 3 && strcasecmp(sfx + 1, "ib") != 0))
    return 0;
  int64_t mul = 1;
  for (const char *p = units; p <= u; p++)
    mul *= 1024;
  return mul;
}

int kpod_parse_memory(const char *s, int64_t *bytes, crio_err **err)
{
  ssize_t sep = -1;
  for (size_t i = 0; s[i]; i++)
    if (strchr("0123456789. ", s[i]))
      sep = (ssize_t) i;
  if (sep < 0)
    return crio_err_set(err, CRIO_E_INVALID, "invalid size: '%s'", s);
  size_t numlen = s[sep] == ' ' ? (size_t) sep : (size_t) sep + 1;
  _cleanup_free_ char *num = xstrndup(s, numlen);
  const char *sfx = s + sep + 1;
  double size;
  if (parse_float(num, &size) < 0)
    return crio_err_set(err, CRIO_E_INVALID, "strconv.ParseFloat: parsing \"%s\": invalid syntax",
                        num);
  if (size < 0)
    return crio_err_set(err, CRIO_E_INVALID, "invalid size: '%s'", s);
  int64_t mul = memory_multiplier(sfx);
  if (mul == 0) {
    _cleanup_free_ char *shown = xstrdup(sfx);
    for (char *p = shown; *p && strlen(sfx) <= 3; p++) /* go-units lowercases short ones */
      *p = (char) tolower((unsigned char) *p);
    return crio_err_set(err, CRIO_E_INVALID, "invalid suffix: '%s'", shown);
  }
  size *= (double) mul;
  if (size >= 9.2e18)
    return crio_err_set(err, CRIO_E_INVALID, "invalid size: '%s'", s);
  *bytes = (int64_t) size;
  return 0;
}

int kpod_parse_cpus(const char *s, int64_t *quota, int64_t *period, crio_err **err)
{
  double cpus;
  if (parse_float(s, &cpus) < 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid argument \"%s\" for \"--cpus\" flag: strconv.ParseFloat: "
                        "parsing \"%s\": invalid syntax", s, s);
  if (cpus < 0 || cpus > 1e12)
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid argument \"%s\" for \"--cpus\" flag: the number of CPUs must be "
                        "0 (no limit) or more", s);
  *quota = cpus > 0 ? (int64_t) (cpus * CPU_PERIOD) : 0;
  *period = cpus > 0 ? CPU_PERIOD : 0;
  return 0;
}

/* podman's parseAndValidatePort */
static int port_number(const char *s, unsigned *out, crio_err **err)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!*s || *end || isspace((unsigned char) *s))
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port number: strconv.Atoi: parsing \"%s\": invalid syntax", s);
  if (errno == ERANGE || v < 1 || v > 65535)
    return crio_err_set(err, CRIO_E_INVALID,
                        "port numbers must be between 1 and 65535 (inclusive), got %ld", v);
  *out = (unsigned) v;
  return 0;
}

/* podman's parseAndValidateRange: "80" or "8080-8090" */
static int port_range(const char *s, unsigned *start, unsigned *len, crio_err **err)
{
  const char *dash = strchr(s, '-');
  if (dash && strchr(dash + 1, '-'))
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port format - port ranges are formatted as startPort-stopPort");
  if (dash == s)
    return crio_err_set(err, CRIO_E_INVALID, "port numbers cannot be negative");
  _cleanup_free_ char *first = dash ? xstrndup(s, (size_t) (dash - s)) : xstrdup(s);
  int r = port_number(first, start, err);
  if (r < 0)
    return r;
  *len = 1;
  if (!dash)
    return 0;
  if (!dash[1])
    return crio_err_set(err, CRIO_E_INVALID, "must provide ending number for port range");
  unsigned end;
  r = port_number(dash + 1, &end, err);
  if (r < 0)
    return r;
  if (end <= *start)
    return crio_err_set(err, CRIO_E_INVALID,
                        "the end port of a range must be higher than the start port - %u is not "
                        "higher than %u", end, *start);
  *len = end - *start + 1;
  return 0;
}

/* The host IP as Go's net.IP.String() prints it; NULL for 0.0.0.0. */
static int host_ip_normalize(const char *ip, char **out, crio_err **err)
{
  *out = NULL;
  if (!*ip)
    return crio_err_set(err, CRIO_E_INVALID,
                        "must provide a non-empty container host IP to publish");
  if (strcmp(ip, "0.0.0.0") == 0)
    return 0;
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(family, ip, buf) != 1 || !inet_ntop(family, buf, text, sizeof text))
    return crio_err_set(err, CRIO_E_INVALID, "cannot parse \"%s\" as an IP address", ip);
  *out = xstrdup(text);
  return 0;
}

typedef struct publish_parts {
  const char *host_ip;    /* NULL: not given */
  const char *host_port;  /* NULL: not given */
  const char *ctr_port;
  const char *proto;      /* NULL: not given */
} publish_parts;

/* podman's parseSplitPort, then one mapping per port and protocol. */
static int publish_add(const publish_parts *p, json_t *ports, crio_err **err)
{
  if (!*p->ctr_port)
    return crio_err_set(err, CRIO_E_INVALID, "must provide a non-empty container port to publish");
  unsigned cstart, clen, hstart = 0, hlen = 0;
  if (port_range(p->ctr_port, &cstart, &clen, err) < 0)
    return crio_err_wrap(err, "parsing container port");
  if (p->proto && !*p->proto)
    return crio_err_set(err, CRIO_E_INVALID, "must provide a non-empty protocol to publish");
  _cleanup_free_ char *ip = NULL;
  if (p->host_ip && host_ip_normalize(p->host_ip, &ip, err) < 0)
    return -CRIO_E_INVALID;
  if (p->host_port && *p->host_port) {
    if (port_range(p->host_port, &hstart, &hlen, err) < 0)
      return crio_err_wrap(err, "parsing host port");
    if (hlen != clen)
      return crio_err_set(err, CRIO_E_INVALID,
                          "host and container port ranges have different lengths: %u vs %u", hlen,
                          clen);
  }
  const char *protos = p->proto ? p->proto : "tcp";
  for (const char *q = protos; *q;) {
    size_t n = strcspn(q, ",");
    _cleanup_free_ char *proto = xstrndup(q, n);
    for (char *c = proto; *c; c++)
      *c = (char) tolower((unsigned char) *c);
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
      return crio_err_set(err, CRIO_E_INVALID, "unrecognized protocol \"%s\" in port mapping",
                          proto);
    for (unsigned i = 0; i < clen; i++) {
      json_t *m = json_object();
      if (ip)
        json_object_set_new(m, "host_ip", json_string(ip));
      json_object_set_new(m, "host_port", json_integer(hlen ? hstart + i : 0));
      json_object_set_new(m, "container_port", json_integer(cstart + i));
      json_object_set_new(m, "protocol", json_string(proto));
      json_array_append_new(ports, m);
    }
    q += n + (q[n] == ',');
  }
  return 0;
}

/* "[v6]:rest": the address goes to p->host_ip, *rest after the colon. */
static int publish_split_v6(char *s, publish_parts *p, char **rest, crio_err **err)
{
  char *close = strchr(s, ']');
  if (!close)
    return 0;
  if (strchr(close + 1, ']'))
    return crio_err_set(err, CRIO_E_INVALID, "invalid port format - at most one IPv6 address "
                        "can be specified in a --publish");
  if (s[0] != '[')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port format - IPv6 addresses must be enclosed by []");
  if (close[1] != ':')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port format - IPv6 address must be followed by a colon (':')");
  *close = '\0';
  p->host_ip = s + 1;
  *rest = close + 2;
  return 1;
}

int kpod_parse_publish(const char *spec, json_t *ports, crio_err **err)
{
  _cleanup_free_ char *s = xstrdup(spec);
  publish_parts p = { 0 };
  char *slash = strchr(s, '/');
  if (slash && strchr(slash + 1, '/'))
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port format - protocol can only be specified once");
  if (slash) {
    *slash = '\0';
    p.proto = slash + 1;
  }
  char *rest = s;
  int v6 = publish_split_v6(s, &p, &rest, err);
  if (v6 < 0)
    return v6;
  char *c1 = strchr(rest, ':');
  char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 && strchr(c2 + 1, ':'))
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid port format - format is [[hostIP:]hostPort:]containerPort");
  if (!c1 && v6)
    return crio_err_set(err, CRIO_E_INVALID, "invalid port format - must provide host and "
                        "destination port if specifying an IP");
  if (c2 && v6)
    return crio_err_set(err, CRIO_E_INVALID, "invalid port format - when v6 address specified, "
                        "must be [ipv6]:hostPort:ctrPort");
  if (c2) {
    *c1 = *c2 = '\0';
    p.host_ip = rest;
    p.host_port = c1 + 1;
    p.ctr_port = c2 + 1;
  } else if (c1) {
    *c1 = '\0';
    p.host_port = rest;
    p.ctr_port = c1 + 1;
  } else {
    p.ctr_port = rest;
  }
  return publish_add(&p, ports, err);
}

/* The kinds of bind options podman's ValidateVolumeOpts allows once each. */
static const struct {
  const char *kind;
  const char *const opts[9];
} volume_opt_kinds[] = {
  { "'rw' or 'ro'", { "rw", "ro" } },
  { "'z' or 'Z'", { "z", "Z" } },
  { "'nosuid' or 'suid'", { "nosuid", "suid" } },
  { "'nodev' or 'dev'", { "nodev", "dev" } },
  { "'noexec' or 'exec'", { "noexec", "exec" } },
  { "'bind' or 'rbind'", { "bind", "rbind" } },
  { "propagation", { "shared", "rshared", "slave", "rslave", "private", "rprivate",
                     "unbindable", "runbindable" } },
};

static int volume_options(const char *spec, const char *opts, json_t *out, crio_err **err)
{
  int seen[ARRAY_SIZE(volume_opt_kinds)] = { 0 };
  for (const char *q = opts; *q;) {
    size_t n = strcspn(q, ",");
    _cleanup_free_ char *opt = xstrndup(q, n);
    const size_t nkinds = ARRAY_SIZE(volume_opt_kinds);
    size_t kind = nkinds;
    for (size_t k = 0; k < nkinds && kind == nkinds; k++)
      for (size_t i = 0; volume_opt_kinds[k].opts[i]; i++)
        if (strcmp(opt, volume_opt_kinds[k].opts[i]) == 0)
          kind = k;
    if (kind == nkinds)
      return crio_err_set(err, CRIO_E_INVALID, "invalid option type \"%s\" in volume \"%s\"",
                          opt, spec);
    if (seen[kind]++)
      return crio_err_set(err, CRIO_E_INVALID, "invalid options \"%s\", can only specify 1 %s "
                          "option", opts, volume_opt_kinds[kind].kind);
    json_array_append_new(out, json_string(opt));
    q += n + (q[n] == ',');
  }
  return 0;
}

/* cwd + "/" + rel with "." and ".." resolved, as Go's filepath.Abs. */
static char *path_absolute(const char *cwd, const char *rel)
{
  _cleanup_free_ char *joined = xasprintf("%s/%s", cwd, rel);
  strbuf b = STRBUF_INIT;
  for (char *save = NULL, *part = strtok_r(joined, "/", &save); part;
       part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0)
      continue;
    if (strcmp(part, "..") == 0) {
      char *last = b.data ? strrchr(b.data, '/') : NULL;
      b.len = last ? (size_t) (last - b.data) : 0;
      if (b.data)
        b.data[b.len] = '\0';
      continue;
    }
    strbuf_printf(&b, "/%s", part);
  }
  if (b.len == 0)
    strbuf_putc(&b, '/');
  return strbuf_steal(&b);
}

static int volume_source(const char *spec, const char *src, const char *cwd, char **out,
                         crio_err **err)
{
  if (!*src)
    return crio_err_set(err, CRIO_E_INVALID, "host directory cannot be empty");
  if (src[0] == '/') {
    *out = xstrdup(src);
    return 0;
  }
  if (src[0] == '.' && cwd) {
    *out = path_absolute(cwd, src);
    return 0;
  }
  return crio_err_set(err, CRIO_E_INVALID, "invalid volume \"%s\": the source must be an absolute "
                      "path (crio-c has no named volumes)", spec);
}

int kpod_parse_volume(const char *spec, const char *cwd, json_t **mount, crio_err **err)
{
  _cleanup_free_ char *s = xstrdup(spec);
  char *parts[3] = { s, NULL, NULL };
  size_t n = 1;
  for (char *p = s; (p = strchr(p, ':')); p++) {
    if (n == 3)
      return crio_err_set(err, CRIO_E_INVALID, "incorrect volume format \"%s\", should be "
                          "[host-dir:]ctr-dir[:option]", spec);
    *p = '\0';
    parts[n++] = p + 1;
  }
  if (n == 1)
    return crio_err_set(err, CRIO_E_INVALID, "invalid volume \"%s\": crio-c has no anonymous "
                        "volumes, give SRC:DST", spec);
  _cleanup_free_ char *src = NULL;
  int r = volume_source(spec, parts[0], cwd, &src, err);
  if (r < 0)
    return r;
  if (parts[1][0] != '/')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid container path \"%s\", must be an absolute path", parts[1]);
  _cleanup_json_ json_t *opts = json_array();
  if (n == 3 && (r = volume_options(spec, parts[2], opts, err)) < 0)
    return r;
  json_t *m = json_object();
  json_object_set_new(m, "type", json_string("bind"));
  json_object_set_new(m, "source", json_string(src));
  json_object_set_new(m, "destination", json_string(parts[1]));
  if (json_array_size(opts))
    json_object_set(m, "options", opts);
  *mount = m;
  return 0;
}

int kpod_parse_tmpfs(const char *spec, json_t **mount, crio_err **err)
{
  const char *colon = strchr(spec, ':');
  _cleanup_free_ char *dst = colon ? xstrndup(spec, (size_t) (colon - spec)) : xstrdup(spec);
  if (dst[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID,
                        "invalid container path \"%s\", must be an absolute path", dst);
  json_t *opts = json_array();
  const char *list = colon && colon[1] ? colon + 1 : "rw,noexec,nosuid,nodev";
  for (const char *q = list; *q;) {
    size_t n = strcspn(q, ",");
    if (n)
      json_array_append_new(opts, json_stringn(q, n));
    q += n + (q[n] == ',');
  }
  json_t *m = json_object();
  json_object_set_new(m, "type", json_string("tmpfs"));
  json_object_set_new(m, "source", json_string("tmpfs"));
  json_object_set_new(m, "destination", json_string(dst));
  json_object_set_new(m, "options", opts);
  *mount = m;
  return 0;
}

int kpod_parse_env(const char *line, char *const *environ_, json_t *env, crio_err **err)
{
  const char *eq = strchr(line, '=');
  size_t klen = eq ? (size_t) (eq - line) : strlen(line);
  if (klen == 0)
    return crio_err_set(err, CRIO_E_INVALID, "invalid environment variable: \"%s\"", line);
  _cleanup_free_ char *raw = xstrndup(line, klen);
  char *name = raw + strspn(raw, " \t"); /* podman trims the front only */
  if (eq) {
    json_object_set_new(env, name, json_string(eq + 1));
    return 0;
  }
  size_t nlen = strlen(name);
  int glob = nlen > 0 && name[nlen - 1] == '*';
  if (glob)
    name[--nlen] = '\0';
  for (char *const *e = environ_; e && *e; e++) {
    const char *veq = strchr(*e, '=');
    size_t elen = veq ? (size_t) (veq - *e) : 0;
    if (!veq || elen < nlen || (!glob && elen != nlen) || strncmp(*e, name, nlen) != 0)
      continue;
    _cleanup_free_ char *key = xstrndup(*e, elen);
    json_object_set_new(env, key, json_string(veq + 1));
  }
  return 0;
}

int kpod_parse_env_file(const char *path, char *const *environ_, json_t *env, crio_err **err)
{
  _cleanup_free_ char *text = NULL;
  int r = read_file(path, &text, NULL, err);
  if (r < 0)
    return r;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    line += strspn(line, " \t");
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
      line[--n] = '\0';
    if (!*line || *line == '#')
      continue;
    r = kpod_parse_env(line, environ_, env, err);
    if (r < 0)
      return crio_err_wrap(err, "%s", path);
  }
  return 0;
}

json_t *kpod_env_list(const json_t *env)
{
  json_t *list = json_array();
  const char *key;
  json_t *value;
  json_object_foreach((json_t *) env, key, value)
    json_array_append_new(list, json_sprintf("%s=%s", key, json_string_value(value)));
  return list;
}

json_t *kpod_parse_entrypoint(const char *s)
{
  json_t *doc = json_loads(s, JSON_DECODE_ANY, NULL);
  int ok = json_is_array(doc) || json_is_null(doc);
  size_t i;
  json_t *item;
  json_array_foreach(doc, i, item)
    ok &= json_is_string(item);
  if (ok && doc)
    return json_is_null(doc) ? (json_decref(doc), json_array()) : doc;
  json_decref(doc);
  json_t *one = json_array();
  if (*s) /* podman's [""]: no entrypoint */
    json_array_append_new(one, json_string(s));
  return one;
}

static int device_mode_valid(const char *mode)
{
  int r = 0, w = 0, m = 0;
  if (!*mode)
    return 0;
  for (const char *c = mode; *c; c++) {
    int *seen = *c == 'r' ? &r : *c == 'w' ? &w : *c == 'm' ? &m : NULL;
    if (!seen || (*seen)++)
      return 0;
  }
  return 1;
}

int kpod_parse_device(const char *s, json_t **device, crio_err **err)
{
  _cleanup_free_ char *copy = xstrdup(s);
  char *parts[4] = { copy, NULL, NULL, NULL };
  size_t n = 1;
  for (char *p = copy; n < 4 && (p = strchr(p, ':')); p++) {
    *p = '\0';
    parts[n++] = p + 1;
  }
  if (n > 3)
    return crio_err_set(err, CRIO_E_INVALID, "invalid device specification: %s", s);
  const char *dst = NULL, *perms = "rwm";
  if (n == 3) {
    if (!device_mode_valid(parts[2]))
      return crio_err_set(err, CRIO_E_INVALID, "invalid device mode: %s", parts[2]);
    perms = parts[2];
  }
  if (n >= 2) {
    if (device_mode_valid(parts[1]))
      perms = parts[1];
    else if (parts[1][0] != '/')
      return crio_err_set(err, CRIO_E_INVALID, "invalid device mode: %s", parts[1]);
    else
      dst = parts[1];
  }
  json_t *d = json_object();
  json_object_set_new(d, "host_path", json_string(parts[0]));
  json_object_set_new(d, "container_path", json_string(dst ? dst : parts[0]));
  json_object_set_new(d, "permissions", json_string(perms));
  *device = d;
  return 0;
}

int kpod_parse_label(const char *s, json_t *labels, crio_err **err)
{
  const char *eq = strchr(s, '=');
  size_t klen = eq ? (size_t) (eq - s) : strlen(s);
  if (klen == 0)
    return crio_err_set(err, CRIO_E_INVALID, "invalid label format: \"%s\"", s);
  _cleanup_free_ char *key = xstrndup(s, klen);
  json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
  return 0;
}

int kpod_parse_annotation(const char *s, json_t *annotations, crio_err **err)
{
  const char *eq = strchr(s, '=');
  if (!eq || eq == s)
    return crio_err_set(err, CRIO_E_INVALID, "annotations must be formatted KEY=VALUE: \"%s\"", s);
  _cleanup_free_ char *key = xstrndup(s, (size_t) (eq - s));
  json_object_set_new(annotations, key, json_string(eq + 1));
  return 0;
}

int kpod_start_exit_code(const char *message)
{
  if (!message)
    return 125;
  if (strcasestr(message, "permission denied") || strcasestr(message, "operation not permitted"))
    return 126;
  if (strcasestr(message, "not found") || strcasestr(message, "no such file or directory"))
    return 127;
  return 125;
}
