/* Choosing a container's seccomp profile and converting profiles of the
 * docker/containers format into the OCI runtime spec's linux.seccomp. */
#include "server/security/seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static inline void seccomp_json_decrefp(json_t **j)
{
  json_decref(*j);
}
#define _cleanup_json_ref_ __attribute__((cleanup(seccomp_json_decrefp)))

static const char *const actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
};

static const char *const operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
};

static const char *const architectures[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

/* GOARCH spelling → the native SCMP_ARCH_ of an archMap entry */
static const struct { const char *goarch, *scmp; } arch_names[] = {
  { "amd64", "SCMP_ARCH_X86_64" }, { "arm64", "SCMP_ARCH_AARCH64" }, { "386", "SCMP_ARCH_X86" },
  { "arm", "SCMP_ARCH_ARM" },      { "s390x", "SCMP_ARCH_S390X" },   { "ppc64le", "SCMP_ARCH_PPC64LE" },
  { "riscv64", "SCMP_ARCH_RISCV64" },
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    if (strcmp(s, list[i]) == 0)
      return true;
  return false;
}

static const char *host_arch(const seccomp_request *req)
{
  if (req->arch)
    return req->arch;
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

static const char *scmp_arch(const char *goarch)
{
  for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
    if (strcmp(goarch, arch_names[i].goarch) == 0)
      return arch_names[i].scmp;
  return NULL;
}

static bool json_strv_has(json_t *a, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
      return true;
  return false;
}

/* includes/excludes of a rule: does req match every cap and some arch? */
static bool filter_matches(json_t *f, const seccomp_request *req, bool all_caps)
{
  json_t *caps = json_object_get(f, "caps"), *arches = json_object_get(f, "arches");
  size_t i;
  json_t *v;
  bool any_cap = false;
  json_array_foreach(caps, i, v) {
    bool has = in_list(json_string_value(v), (const char *const *) req->caps, req->n_caps);
    if (all_caps && !has)
      return false;
    any_cap |= has;
  }
  bool arch = json_array_size(arches) > 0 && json_strv_has(arches, host_arch(req));
  if (all_caps)
    return json_array_size(arches) == 0 || arch;
  return any_cap || arch;
}

static bool rule_applies(json_t *rule, const seccomp_request *req)
{
  json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
  if (inc && !filter_matches(inc, req, true))
    return false;
  return !exc || !filter_matches(exc, req, false);
}

static int check_action(const char *action, const char *what, const char *where, crio_err **err)
{
  if (!action)
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: %s has no action", what, where);
  if (strcmp(action, "SCMP_ACT_NOTIFY") == 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "seccomp profile %s: %s: SCMP_ACT_NOTIFY needs a seccomp listener, "
                        "which crio-c does not provide", what, where);
  if (!in_list(action, actions, ARRAY_SIZE(actions)))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: %s: unknown action \"%s\"", what,
                        where, action);
  return 0;
}

static int convert_args(json_t *args, const char *what, const char *where, json_t **out,
                        crio_err **err)
{
  _cleanup_json_ref_ json_t *a = json_array();
  size_t i;
  json_t *arg;
  if (args && !json_is_array(args))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: %s: args is not an array", what,
                        where);
  json_array_foreach(args, i, arg) {
    const char *op = json_string_value(json_object_get(arg, "op"));
    json_t *index = json_object_get(arg, "index"), *value = json_object_get(arg, "value");
    if (!json_is_integer(index) || !json_is_integer(value))
      return crio_err_set(err, CRIO_E_INVALID,
                          "seccomp profile %s: %s: args[%zu] needs integers index and value", what,
                          where, i);
    if (!in_list(op, operators, ARRAY_SIZE(operators)))
      return crio_err_set(err, CRIO_E_INVALID,
                          "seccomp profile %s: %s: args[%zu]: unknown operator \"%s\"", what, where,
                          i, op ? op : "");
    json_t *two = json_object_get(arg, "valueTwo");
    json_array_append_new(a, json_pack("{s:O, s:O, s:I, s:s}", "index", index, "value", value,
                                       "valueTwo", json_integer_value(two), "op", op));
  }
  *out = steal_pointer(&a);
  return 0;
}

/* One syscalls[] entry; *out stays NULL when it does not apply to req. */
static int convert_rule(json_t *rule, size_t n, const char *what, const seccomp_request *req,
                        json_t **out, crio_err **err)
{
  char where[32];
  snprintf(where, sizeof where, "syscalls[%zu]", n);
  json_t *names = json_object_get(rule, "names"), *name = json_object_get(rule, "name");
  if (!json_is_object(rule) || (!json_is_array(names) && !json_is_string(name)))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: %s has no names", what, where);
  const char *action = json_string_value(json_object_get(rule, "action"));
  _cleanup_json_ref_ json_t *args = NULL;
  if (check_action(action, what, where, err) < 0 ||
      convert_args(json_object_get(rule, "args"), what, where, &args, err) < 0)
    return -1;
  if (!rule_applies(rule, req))
    return 0;
  json_t *list = names ? json_incref(names) : json_pack("[O]", name);
  json_t *o = json_pack("{s:o, s:s}", "names", list, "action", action);
  json_t *errno_ret = json_object_get(rule, "errnoRet");
  if (json_is_integer(errno_ret))
    json_object_set(o, "errnoRet", errno_ret);
  if (json_array_size(args) > 0)
    json_object_set(o, "args", args);
  *out = o;
  return 0;
}

static int convert_syscalls(json_t *syscalls, const char *what, const seccomp_request *req,
                            json_t **out, crio_err **err)
{
  if (syscalls && !json_is_array(syscalls))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: syscalls is not an array",
                        what);
  _cleanup_json_ref_ json_t *a = json_array();
  size_t i;
  json_t *rule;
  json_array_foreach(syscalls, i, rule) {
    json_t *o = NULL;
    if (convert_rule(rule, i, what, req, &o, err) < 0)
      return -1;
    if (o)
      json_array_append_new(a, o);
  }
  *out = steal_pointer(&a);
  return 0;
}

/* Checks arch, and adds it to list (when not NULL) unless there. */
static int add_arch(json_t *list, json_t *arch, const char *what, crio_err **err)
{
  const char *s = json_string_value(arch);
  if (!in_list(s, architectures, ARRAY_SIZE(architectures)))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: unknown architecture \"%s\"",
                        what, s ? s : "");
  if (list && !json_strv_has(list, s))
    json_array_append(list, arch);
  return 0;
}

/* architectures as given, or archMap's entry of this host's architecture
 * with its subArchitectures */
static int convert_arches(json_t *profile, const char *what, const seccomp_request *req,
                          json_t **out, crio_err **err)
{
  _cleanup_json_ref_ json_t *list = json_array();
  const char *native = scmp_arch(host_arch(req));
  size_t i, j;
  json_t *v, *m, *sub;
  json_array_foreach(json_object_get(profile, "architectures"), i, v)
    if (add_arch(list, v, what, err) < 0)
      return -1;
  json_array_foreach(json_object_get(profile, "archMap"), i, m) {
    json_t *arch = json_object_get(m, "architecture");
    if (add_arch(NULL, arch, what, err) < 0)
      return -1;
    if (!native || strcmp(json_string_value(arch), native) != 0)
      continue;
    add_arch(list, arch, what, err);
    json_array_foreach(json_object_get(m, "subArchitectures"), j, sub)
      if (add_arch(list, sub, what, err) < 0)
        return -1;
  }
  *out = steal_pointer(&list);
  return 0;
}

int seccomp_profile_to_oci(json_t *profile, const char *what, const seccomp_request *req,
                           json_t **out, crio_err **err)
{
  if (!json_is_object(profile))
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: not a JSON object", what);
  const char *def = json_string_value(json_object_get(profile, "defaultAction"));
  if (check_action(def, what, "defaultAction", err) < 0)
    return -1;
  _cleanup_json_ref_ json_t *arches = NULL, *syscalls = NULL;
  if (convert_arches(profile, what, req, &arches, err) < 0 ||
      convert_syscalls(json_object_get(profile, "syscalls"), what, req, &syscalls, err) < 0)
    return -1;
  json_t *o = json_pack("{s:s}", "defaultAction", def);
  json_t *errno_ret = json_object_get(profile, "defaultErrnoRet");
  if (json_is_integer(errno_ret))
    json_object_set(o, "defaultErrnoRet", errno_ret);
  if (json_array_size(arches) > 0)
    json_object_set(o, "architectures", arches);
  json_t *flags = json_object_get(profile, "flags");
  if (json_is_array(flags) && json_array_size(flags) > 0)
    json_object_set(o, "flags", flags);
  json_object_set(o, "syscalls", syscalls);
  *out = o;
  return 0;
}

static int load_profile(const char *path, json_t **out, crio_err **err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (!f)
    return crio_err_errno(err, CRIO_E_INVALID, errno, "seccomp profile %s", path);
  json_error_t jerr;
  json_t *j = json_loadf(f, 0, &jerr);
  if (!j)
    return crio_err_set(err, CRIO_E_INVALID, "seccomp profile %s: not valid JSON: line %d: %s",
                        path, jerr.line, jerr.text);
  *out = j;
  return 0;
}

/* The file a profile name points to; NULL for the built-in default. */
static int profile_path(const seccomp_request *req, const char *p, const char **path,
                        crio_err **err)
{
  *path = NULL;
  if (!p[0] || strcmp(p, "runtime/default") == 0 || strcmp(p, "docker/default") == 0) {
    if (req->default_path && req->default_path[0])
      *path = req->default_path;
    return 0;
  }
  const char *file = strncmp(p, "localhost/", 10) == 0 ? p + 10 : p;
  if (file[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID,
                        "seccomp profile \"%s\": expected runtime/default, unconfined, "
                        "localhost/ABSOLUTE_PATH or an absolute path", p);
  *path = file;
  return 0;
}

int seccomp_resolve(const seccomp_request *req, char **json_out, char **effective_out,
                    crio_err **err)
{
  const char *p = req->profile ? req->profile : "";
  *json_out = NULL;
  *effective_out = NULL;
  if (req->privileged || strcmp(p, "unconfined") == 0) {
    *effective_out = xstrdup("unconfined");
    return 0;
  }
  const char *path;
  if (profile_path(req, p, &path, err) < 0)
    return -1;
  bool builtin_default = !path, is_default = builtin_default || path == req->default_path;
  _cleanup_json_ref_ json_t *profile = NULL, *oci = NULL;
  if (builtin_default)
    profile = seccomp_default_profile();
  else if (load_profile(path, &profile, err) < 0)
    return is_default ? crio_err_wrap(err, "crio.runtime.seccomp_profile") : -1;
  if (seccomp_profile_to_oci(profile, builtin_default ? "runtime/default" : path, req, &oci,
                             err) < 0)
    return -1;
  *json_out = json_dumps(oci, JSON_COMPACT);
  *effective_out = is_default ? xstrdup("runtime/default") : xasprintf("localhost/%s", path);
  return 0;
}
