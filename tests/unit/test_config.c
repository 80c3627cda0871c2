/* crio.conf loading: defaults, overrides, strict errors, the TOML round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char *write_conf(const char *text)
{
  char *path = strdup("/tmp/test_config_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  return path;
}

/* Loads text on top of the defaults; returns the error message or NULL. */
static char *load(const char *text, crio_config **out)
{
  _cleanup_free_ char *path = write_conf(text);
  crio_config *cfg = config_new_default();
  crio_err *err = NULL;
  int r = config_load_file(cfg, path, true, &err);
  unlink(path);
  if (r < 0) {
    config_free(cfg);
    /* the file name is random: keep what follows it */
    char *msg = strdup(err->message + strlen(path));
    crio_err_free(err);
    return msg;
  }
  *out = cfg;
  return NULL;
}

static void test_defaults_are_valid(void **state)
{
  _cleanup_config_ crio_config *cfg = config_new_default();
  crio_err *err = NULL;
  assert_int_equal(config_validate(cfg, &err), 0);
  assert_string_equal(cfg->root, "/var/lib/crio");
  assert_string_equal(cfg->api_socket, "/run/crio/api.sock");
  assert_string_equal(cfg->default_runtime, "runc");
  assert_true(cfg->enable_metrics);
}

static void test_values_override_defaults(void **state)
{
  crio_config *cfg = NULL;
  char *msg = load("[crio]\nroot = \"/srv/crio\"\n[crio.api]\nmax_body_size = 4096\n"
                   "[crio.image]\ninsecure_registries = [\"a:5000\", \"b\"]\n"
                   "[crio.metrics]\nenable_metrics = false\n", &cfg);
  assert_null(msg);
  assert_string_equal(cfg->root, "/srv/crio");
  assert_string_equal(cfg->runroot, "/run/crio");
  assert_int_equal(cfg->max_body_size, 4096);
  assert_int_equal(cfg->n_insecure_registries, 2);
  assert_string_equal(cfg->insecure_registries[1], "b");
  assert_false(cfg->enable_metrics);
  config_free(cfg);
}

static void test_runtime_tables(void **state)
{
  crio_config *cfg = NULL;
  char *msg = load("[crio.runtime]\ndefault_runtime = \"crun\"\n"
                   "[crio.runtime.runtimes.crun]\nruntime_path = \"/usr/bin/crun\"\n", &cfg);
  assert_null(msg);
  const crio_runtime_handler *h = config_runtime(cfg, "crun");
  assert_non_null(h);
  assert_string_equal(h->runtime_path, "/usr/bin/crun");
  assert_string_equal(h->runtime_type, "oci");
  assert_non_null(config_runtime(cfg, "runc"));
  crio_err *err = NULL;
  assert_int_equal(config_validate(cfg, &err), 0);
  config_free(cfg);
}

static void test_errors_name_position_and_key(void **state)
{
  static const struct { const char *text; const char *want; } cases[] = {
    { "[crio]\nrooot = \"/x\"\n", ":2:1: unknown key \"crio.rooot\"" },
    { "[crio.api]\nmax_body_size = \"1\"\n",
      ":2:17: crio.api.max_body_size: expected an integer, got a string" },
    { "[crio.metrics]\nenable_metrics = 1\n",
      ":2:18: crio.metrics.enable_metrics: expected a boolean, got an integer" },
    { "[crio.image]\ninsecure_registries = [\"a\", 2]\n",
      ":2:29: crio.image.insecure_registries: expected a string, got an integer" },
    { "[crio.network]\nplugin_dirs = \"/usr/lib/cni\"\n",
      ":2:15: crio.network.plugin_dirs: expected an array of strings, got a string" },
    { "[crio.runtime.runtimes.runc]\npath = \"/x\"\n",
      ":2:1: unknown key \"crio.runtime.runtimes.runc.path\"" },
    { "crio = 1\n", ":1:8: crio: expected a table, got an integer" },
    { "[kubelet]\n", ":1:2: unknown key \"kubelet\"" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    crio_config *cfg = NULL;
    _cleanup_free_ char *msg = load(cases[i].text, &cfg);
    assert_non_null(msg);
    assert_string_equal(msg, cases[i].want);
  }
}

static void test_validate_refuses_bad_values(void **state)
{
  static const struct { const char *text; const char *want; } cases[] = {
    { "[crio]\nroot = \"relative\"\n", "crio.root: \"relative\" is not an absolute path" },
    { "[crio.runtime]\nlog_level = \"loud\"\n", "crio.runtime.log_level: unknown level \"loud\"" },
    { "[crio.runtime]\ndefault_runtime = \"kata\"\n",
      "crio.runtime.default_runtime: no [crio.runtime.runtimes.kata] table" },
    { "[crio.api]\nlisten = \"127.0.0.1\"\n", "crio.api.listen: \"127.0.0.1\" is not HOST:PORT" },
    { "[crio]\nstorage_driver = \"vfs\"\n", "crio.storage_driver: \"vfs\" is not supported" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    crio_config *cfg = NULL;
    assert_null(load(cases[i].text, &cfg));
    crio_err *err = NULL;
    assert_true(config_validate(cfg, &err) < 0);
    assert_non_null(strstr(err->message, cases[i].want));
    crio_err_free(err);
    config_free(cfg);
  }
}

static void test_written_toml_reads_back_the_same(void **state)
{
  crio_config *cfg = NULL;
  assert_null(load("[crio]\nroot = \"/a \\\"quoted\\\" path\"\n[crio.api]\nlisten = \"[::1]:99\"\n"
                   "[crio.runtime.runtimes.\"my runtime\"]\nruntime_root = \"/run/x\"\n", &cfg));
  _cleanup_strbuf_ strbuf first = STRBUF_INIT;
  config_write_toml(cfg, &first);
  crio_config *again = NULL;
  _cleanup_free_ char *msg = load(first.data, &again);
  assert_null(msg);
  _cleanup_strbuf_ strbuf second = STRBUF_INIT;
  config_write_toml(again, &second);
  assert_string_equal(first.data, second.data);
  assert_string_equal(again->root, "/a \"quoted\" path");
  assert_non_null(config_runtime(again, "my runtime"));
  config_free(cfg);
  config_free(again);
}

static void test_missing_optional_file_is_fine(void **state)
{
  _cleanup_config_ crio_config *cfg = config_new_default();
  crio_err *err = NULL;
  assert_int_equal(config_load_file(cfg, "/nonexistent/crio.conf", false, &err), 0);
  assert_true(config_load_file(cfg, "/nonexistent/crio.conf", true, &err) < 0);
  assert_non_null(strstr(err->message, "/nonexistent/crio.conf"));
  crio_err_free(err);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults_are_valid),
    cmocka_unit_test(test_values_override_defaults),
    cmocka_unit_test(test_runtime_tables),
    cmocka_unit_test(test_errors_name_position_and_key),
    cmocka_unit_test(test_validate_refuses_bad_values),
    cmocka_unit_test(test_written_toml_reads_back_the_same),
    cmocka_unit_test(test_missing_optional_file_is_fine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
