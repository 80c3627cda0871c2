/* The seccomp profile a container gets: the built-in default (capabilities
 * open syscalls, architectures from the host's), none when privileged or
 * unconfined, profile files converted, bad profiles refused with a message
 * that names them; the linux.seccomp object in config.json; AppArmor's
 * choice on a host with and without AppArmor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/runtime/oci_spec.h"
#include "server/security/apparmor.h"
#include "server/security/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char *const default_caps[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SYS_CHROOT" };

static json_t *resolve(const seccomp_request *req, char **effective)
{
  _cleanup_free_ char *text = NULL;
  crio_err *err = NULL;
  int r = seccomp_resolve(req, &text, effective, &err);
  if (r < 0)
    fail_msg("seccomp_resolve: %s", err->message);
  return text ? json_loads(text, 0, NULL) : NULL;
}

/* The rules (index in syscalls) that name syscall; -1 when none. */
static int rule_of(json_t *profile, const char *syscall, int from)
{
  json_t *rules = json_object_get(profile, "syscalls");
  for (size_t i = (size_t) from; i < json_array_size(rules); i++) {
    size_t j;
    json_t *n;
    json_array_foreach(json_object_get(json_array_get(rules, i), "names"), j, n)
      if (strcmp(json_string_value(n), syscall) == 0)
        return (int) i;
  }
  return -1;
}

static bool allowed(json_t *profile, const char *syscall)
{
  for (int i = rule_of(profile, syscall, 0); i >= 0; i = rule_of(profile, syscall, i + 1)) {
    json_t *rule = json_array_get(json_object_get(profile, "syscalls"), (size_t) i);
    if (strcmp(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_ALLOW") == 0 &&
        !json_object_get(rule, "args"))
      return true;
  }
  return false;
}

static void test_default_profile(void **state)
{
  (void) state;
  _cleanup_free_ char *effective = NULL;
  seccomp_request req = { .caps = default_caps, .n_caps = 4, .arch = "amd64" };
  json_t *p = resolve(&req, &effective);
  assert_non_null(p);
  assert_string_equal(effective, "runtime/default");
  assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
  assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
  json_t *arches = json_object_get(p, "architectures");
  assert_int_equal(json_array_size(arches), 3);
  assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
  assert_true(allowed(p, "read") && allowed(p, "mkdir") && allowed(p, "chroot"));
  assert_true(allowed(p, "arch_prctl"));
  assert_false(allowed(p, "mount") || allowed(p, "ptrace") || allowed(p, "reboot"));
  assert_false(allowed(p, "set_tls"));
  /* clone only without namespace flags; clone3 answers ENOSYS */
  json_t *rules = json_object_get(p, "syscalls");
  json_t *clone = json_array_get(rules, (size_t) rule_of(p, "clone", 0));
  json_t *arg = json_array_get(json_object_get(clone, "args"), 0);
  assert_string_equal(json_string_value(json_object_get(arg, "op")), "SCMP_CMP_MASKED_EQ");
  assert_int_equal(json_integer_value(json_object_get(arg, "index")), 0);
  json_t *clone3 = json_array_get(rules, (size_t) rule_of(p, "clone3", 0));
  assert_int_equal(json_integer_value(json_object_get(clone3, "errnoRet")), ENOSYS);
  assert_int_equal(rule_of(p, "clone3", rule_of(p, "clone3", 0) + 1), -1);
  assert_non_null(json_object_get(json_array_get(rules, (size_t) rule_of(p, "personality", 0)),
                                  "args"));
  json_decref(p);

  req.arch = "arm64";
  free(effective);
  p = resolve(&req, &effective);
  arches = json_object_get(p, "architectures");
  assert_int_equal(json_array_size(arches), 2);
  assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_ARM");
  assert_true(allowed(p, "set_tls"));
  assert_false(allowed(p, "arch_prctl"));
  json_decref(p);
}

static void test_capabilities_change_rules(void **state)
{
  (void) state;
  char *const caps[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_TIME" };
  _cleanup_free_ char *effective = NULL;
  seccomp_request req = { .caps = caps, .n_caps = 4, .arch = "amd64" };
  json_t *p = resolve(&req, &effective);
  assert_true(allowed(p, "mount") && allowed(p, "unshare") && allowed(p, "setns"));
  assert_true(allowed(p, "ptrace") && allowed(p, "process_vm_readv"));
  assert_true(allowed(p, "clock_settime") && allowed(p, "clone") && allowed(p, "clone3"));
  assert_false(allowed(p, "reboot") || allowed(p, "init_module"));
  /* no chroot without CAP_SYS_CHROOT */
  assert_false(allowed(p, "chroot"));
  /* CAP_SYS_ADMIN lifts the clone and clone3 restrictions */
  json_t *rules = json_object_get(p, "syscalls");
  for (int i = rule_of(p, "clone3", 0); i >= 0; i = rule_of(p, "clone3", i + 1))
    assert_null(json_object_get(json_array_get(rules, (size_t) i), "errnoRet"));
  json_decref(p);
}

static void test_privileged_and_unconfined(void **state)
{
  (void) state;
  seccomp_request req = { .profile = "runtime/default", .privileged = true, .caps = default_caps,
                          .n_caps = 4 };
  _cleanup_free_ char *effective = NULL, *effective2 = NULL;
  assert_null(resolve(&req, &effective));
  assert_string_equal(effective, "unconfined");
  req = (seccomp_request) { .profile = "unconfined", .caps = default_caps, .n_caps = 4 };
  assert_null(resolve(&req, &effective2));
  assert_string_equal(effective2, "unconfined");
}

static char *write_tmp(const char *text)
{
  static int n;
  char *path = xasprintf("/tmp/test_seccomp_%d_%d.json", (int) getpid(), n++);
  assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
  return path;
}

static void test_profile_file(void **state)
{
  (void) state;
  _cleanup_free_ char *path = write_tmp(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
      "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"errnoRet\":1},{\"name\":\"ptrace\",\"action\":\"SCMP_ACT_ERRNO\","
      "\"excludes\":{\"caps\":[\"CAP_SYS_PTRACE\"]}},{\"names\":[\"personality\"],"
      "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}],"
      "\"comment\":\"x\",\"includes\":{\"caps\":[\"CAP_KILL\"]}}]}");
  _cleanup_free_ char *local = xasprintf("localhost/%s", path), *effective = NULL;
  _cleanup_free_ char *want = xasprintf("localhost/%s", path), *effective2 = NULL;
  seccomp_request req = { .profile = local, .caps = default_caps, .n_caps = 4 };
  json_t *p = resolve(&req, &effective);
  assert_string_equal(effective, want);
  assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ALLOW");
  json_t *rules = json_object_get(p, "syscalls");
  assert_int_equal(json_array_size(rules), 3);
  json_t *mkdir_rule = json_array_get(rules, 0);
  assert_int_equal(json_integer_value(json_object_get(mkdir_rule, "errnoRet")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(mkdir_rule, "names"), 1)),
                      "mkdirat");
  /* "name" becomes "names"; includes/excludes/comment are not OCI fields */
  assert_string_equal(json_string_value(json_array_get(
                          json_object_get(json_array_get(rules, 1), "names"), 0)), "ptrace");
  assert_null(json_object_get(json_array_get(rules, 2), "includes"));
  assert_null(json_object_get(json_array_get(rules, 2), "comment"));
  json_decref(p);
  /* the same file given as a plain path; CAP_SYS_PTRACE drops the ptrace rule */
  char *const caps[] = { "CAP_SYS_PTRACE" };
  req = (seccomp_request) { .profile = path, .caps = caps, .n_caps = 1 };
  p = resolve(&req, &effective2);
  assert_string_equal(effective2, want);
  assert_int_equal(json_array_size(json_object_get(p, "syscalls")), 1);
  json_decref(p);
  unlink(path);
}

static void expect_error(const char *profile, const char *default_path, const char *needle)
{
  seccomp_request req = { .profile = profile, .default_path = default_path };
  char *json = NULL, *effective = NULL;
  crio_err *err = NULL;
  assert_true(seccomp_resolve(&req, &json, &effective, &err) < 0);
  assert_null(json);
  assert_int_equal(err->code, CRIO_E_INVALID);
  if (!strstr(err->message, needle))
    fail_msg("\"%s\" lacks \"%s\"", err->message, needle);
  crio_err_free(err);
}

static void test_profile_errors(void **state)
{
  (void) state;
  expect_error("localhost//nonexistent/profile.json", NULL,
               "seccomp profile /nonexistent/profile.json: No such file");
  expect_error("localhost/relative.json", NULL, "localhost/ABSOLUTE_PATH");
  expect_error("strict", NULL, "seccomp profile \"strict\"");
  _cleanup_free_ char *bad_json = write_tmp("{\"defaultAction\": ");
  expect_error(bad_json, NULL, "not valid JSON");
  expect_error(NULL, bad_json, "crio.runtime.seccomp_profile: seccomp profile");
  _cleanup_free_ char *bad_action = write_tmp(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
      "\"action\":\"SCMP_ACT_EXPLODE\"}]}");
  expect_error(bad_action, NULL, "syscalls[0]: unknown action \"SCMP_ACT_EXPLODE\"");
  _cleanup_free_ char *bad_op = write_tmp(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
      "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"LIKE\"}]}]}");
  expect_error(bad_op, NULL, "unknown operator \"LIKE\"");
  _cleanup_free_ char *bad_arch =
      write_tmp("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}");
  expect_error(bad_arch, NULL, "unknown architecture \"SCMP_ARCH_Z80\"");
  _cleanup_free_ char *no_default = write_tmp("{\"syscalls\":[]}");
  expect_error(no_default, NULL, "defaultAction has no action");
  unlink(bad_json);
  unlink(bad_action);
  unlink(bad_op);
  unlink(bad_arch);
  unlink(no_default);
}

/* config.json carries linux.seccomp, and the capabilities it lists are the
 * ones the profile was made for. */
static void test_oci_spec_seccomp(void **state)
{
  (void) state;
  static char *const args[] = { "/bin/sh" };
  static char *const add[] = { "SYS_ADMIN" };
  oci_spec_input in = { .rootfs = "/r", .args = { args, 1 }, .cap_add = { add, 1 } };
  char **caps = NULL;
  size_t n = 0;
  assert_int_equal(oci_spec_capabilities(&in, &caps, &n, NULL), 0);
  bool admin = false;
  for (size_t i = 0; i < n; i++)
    admin |= strcmp(caps[i], "CAP_SYS_ADMIN") == 0;
  assert_true(admin);
  assert_null(caps[n]);
  oci_env_free(caps);
  in.seccomp_json = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}";
  _cleanup_free_ char *text = NULL;
  assert_int_equal(oci_spec_generate(&in, &text, NULL), 0);
  json_t *spec = json_loads(text, 0, NULL);
  json_t *sc = json_object_get(json_object_get(spec, "linux"), "seccomp");
  assert_string_equal(json_string_value(json_object_get(sc, "defaultAction")), "SCMP_ACT_ERRNO");
  json_decref(spec);
}

static void test_apparmor(void **state)
{
  (void) state;
  char dir[] = "/tmp/test_apparmor_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *name = NULL, *effective = NULL;
  crio_err *err = NULL;
  /* no AppArmor on the host: the default is none, localhost is refused */
  assert_false(apparmor_enabled(dir));
  assert_int_equal(apparmor_resolve("", false, dir, &name, &effective, NULL), 0);
  assert_null(name);
  assert_string_equal(effective, "unconfined");
  free(effective);
  assert_true(apparmor_resolve("localhost/mine", false, dir, &name, &effective, &err) < 0);
  assert_non_null(strstr(err->message, "AppArmor is not enabled on this host"));
  crio_err_free(err);
  err = NULL;
  /* enabled, with crio-default and mine loaded */
  _cleanup_free_ char *params = xasprintf("%s/sys/module/apparmor/parameters", dir);
  _cleanup_free_ char *sec = xasprintf("%s/sys/kernel/security/apparmor", dir);
  _cleanup_free_ char *enabled = path_join(params, "enabled");
  _cleanup_free_ char *profiles = path_join(sec, "profiles");
  assert_int_equal(mkdir_p(params, 0755, NULL) | mkdir_p(sec, 0755, NULL), 0);
  assert_int_equal(write_file_atomic(enabled, "Y\n", 2, 0644, NULL), 0);
  const char *list = "crio-default (enforce)\nmine (complain)\n";
  assert_int_equal(write_file_atomic(profiles, list, strlen(list), 0644, NULL), 0);
  assert_int_equal(apparmor_resolve("runtime/default", false, dir, &name, &effective, NULL), 0);
  assert_string_equal(name, "crio-default");
  assert_string_equal(effective, "runtime/default");
  free(name);
  free(effective);
  assert_int_equal(apparmor_resolve("localhost/mine", false, dir, &name, &effective, NULL), 0);
  assert_string_equal(name, "mine");
  assert_string_equal(effective, "localhost/mine");
  free(name);
  free(effective);
  assert_true(apparmor_resolve("localhost/min", false, dir, &name, &effective, &err) < 0);
  assert_non_null(strstr(err->message, "no such profile is loaded"));
  crio_err_free(err);
  err = NULL;
  assert_true(apparmor_resolve("strict", false, dir, &name, &effective, &err) < 0);
  crio_err_free(err);
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_default_profile),
    cmocka_unit_test(test_capabilities_change_rules),
    cmocka_unit_test(test_privileged_and_unconfined),
    cmocka_unit_test(test_profile_file),
    cmocka_unit_test(test_profile_errors),
    cmocka_unit_test(test_oci_spec_seccomp),
    cmocka_unit_test(test_apparmor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
