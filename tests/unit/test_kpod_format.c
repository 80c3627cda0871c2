/* kpod's output formatting: the Go-style template subset (template.h), the
 * YAML-like printer of `kpod info`, the --format dispatch, and the command
 * line parser and error answers that every verb shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/kpod/client.h"
#include "adapters/kpod/command.h"
#include "adapters/kpod/format.h"
#include "adapters/kpod/jsonutil.h"
#include "adapters/kpod/template.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static const char *const INFO =
  "{\"crio\":{\"version\":\"0.1.0\",\"api_version\":\"v1\"},"
  "\"host\":{\"hostname\":\"h\",\"kernel\":\"6.1.0-x\",\"cpus\":2,\"memory_total\":25000000000,"
  "\"cgroup_version\":\"v1\",\"cgroup_hybrid\":true,\"load\":0.5,\"ratio\":2.0},"
  "\"runtime\":{\"name\":\"runc\",\"path\":null},"
  "\"network\":{\"plugin_dirs\":[\"/usr/lib/cni\",\"/opt/cni/bin\"]},"
  "\"labels\":{\"b\":\"2\",\"a\":\"1\"}}";

static json_t *load(const char *text)
{
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  return j;
}

/* The template's output, or NULL with *errmsg (owned) set. */
static char *render(const char *tpl, const char *data, char **errmsg)
{
  _cleanup_json_ json_t *j = load(data);
  _cleanup_err_ crio_err *err = NULL;
  strbuf out = STRBUF_INIT;
  strbuf_puts(&out, "");
  if (kpod_template_execute(tpl, j, &out, &err) < 0) {
    assert_non_null(err);
    assert_int_equal(out.len, 0); /* nothing half-written */
    strbuf_free(&out);
    if (errmsg)
      *errmsg = strdup(err->message);
    return NULL;
  }
  assert_null(err);
  return strbuf_steal(&out);
}

static void assert_render(const char *tpl, const char *data, const char *want)
{
  char *msg = NULL;
  _cleanup_free_ char *got = render(tpl, data, &msg);
  if (!got)
    fail_msg("template %s failed: %s", tpl, msg);
  assert_string_equal(got, want);
}

static void assert_render_error(const char *tpl, const char *data, const char *want)
{
  _cleanup_free_ char *msg = NULL;
  _cleanup_free_ char *got = render(tpl, data, &msg);
  if (got)
    fail_msg("template %s rendered \"%s\", want the error %s", tpl, got, want);
  assert_string_equal(msg, want);
}

static void test_literal_text(void **state)
{
  assert_render("just text", INFO, "just text");
  assert_render("", INFO, "");
  assert_render("a { b } c", INFO, "a { b } c");
}

static void test_field_paths(void **state)
{
  assert_render("{{.host.kernel}}", INFO, "6.1.0-x");
  assert_render("K={{.host.kernel}} H={{ .host.hostname }}.", INFO, "K=6.1.0-x H=h.");
  assert_render("{{.a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
  assert_render("{{$.crio.version}}", INFO, "0.1.0");
}

static void test_lookup_ignores_case_and_underscores(void **state)
{
  assert_render("{{.Host.Kernel}}", INFO, "6.1.0-x");
  assert_render("{{.Host.CgroupVersion}}", INFO, "v1");
  assert_render("{{.Host.MEMORY_TOTAL}}", INFO, "25000000000");
  assert_render("{{.Crio.APIVersion}}", INFO, "v1");
}

static void test_lookup_prefers_exact_key(void **state)
{
  const char *data = "{\"Api_Version\":\"loose\",\"APIVersion\":\"exact\"}";
  assert_render("{{.APIVersion}}", data, "exact");
  _cleanup_json_ json_t *j = load(data);
  assert_string_equal(json_string_value(kpod_template_lookup(j, "api_version")), "loose");
  assert_null(kpod_template_lookup(j, "apiversions"));
}

static void test_scalars(void **state)
{
  assert_render("{{.Host.Cpus}} {{.Host.CgroupHybrid}}", INFO, "2 true");
  assert_render("{{.Host.Load}} {{.Host.Ratio}}", INFO, "0.5 2");
  assert_render("{{.x}}|{{.y}}|{{.z}}", "{\"x\":false,\"y\":-7,\"z\":1e-7}", "false|-7|1e-07");
  assert_render("{{.Runtime.Path}}", INFO, "<no value>");
}

static void test_collections_print_like_go(void **state)
{
  assert_render("{{.Labels}}", INFO, "map[a:1 b:2]");
  assert_render("{{.Network.PluginDirs}}", INFO, "[/usr/lib/cni /opt/cni/bin]");
  assert_render("{{.Runtime}}", INFO, "map[name:runc path:<nil>]");
  assert_render("{{.x}}", "{\"x\":[[1,2],{},[]]}", "[[1 2] map[] []]");
}

static void test_json_function(void **state)
{
  assert_render("{{json .Labels}}", INFO, "{\"b\":\"2\",\"a\":\"1\"}");
  assert_render("{{json .}}", "{\"a\":[1,true,null]}", "{\"a\":[1,true,null]}");
  assert_render("{{json .Runtime.Path}}", INFO, "null");
  assert_render("{{json .Host.Kernel}}", INFO, "\"6.1.0-x\"");
  assert_render("{{ .Network | json }}", INFO, "{\"plugin_dirs\":[\"/usr/lib/cni\",\"/opt/cni/bin\"]}");
}

static void test_other_functions(void **state)
{
  assert_render("{{upper .Runtime.Name}} {{.Host.Kernel | upper | lower}}", INFO, "RUNC 6.1.0-x");
  assert_render("{{len .Network.PluginDirs}} {{len .Labels}}", INFO, "2 2");
  assert_render("{{join .Network.PluginDirs \", \"}}", INFO, "/usr/lib/cni, /opt/cni/bin");
  assert_render("{{index .Network.PluginDirs 1}} {{index . \"labels\" \"a\"}}", INFO,
                "/opt/cni/bin 1");
  assert_render("{{`raw\\n`}}{{\"q\\t\"}}", INFO, "raw\\nq\t");
  assert_render_error("{{index .Network.PluginDirs 5}}", INFO, "template: index out of range: 5");
  assert_render_error("{{upper .Labels}}", INFO, "template: upper: expected a string, got map");
}

static void test_trim_markers_and_comments(void **state)
{
  assert_render("a  {{- .Runtime.Name -}}  \n b", INFO, "aruncb");
  assert_render("a {{.Runtime.Name -}} \n b", INFO, "a runcb");
  assert_render("x{{/* a comment */}}y", INFO, "xy");
  assert_render("x {{- /* c */ -}} y", INFO, "xy");
  assert_render("{{-3}}", INFO, "-3");
}

static void test_unknown_field_is_an_error(void **state)
{
  assert_render_error("{{.Host.Foo}}", INFO, "template: can't evaluate field Foo");
  assert_render_error("ok {{.Nope.Kernel}}", INFO, "template: can't evaluate field Nope");
  assert_render_error("{{.Host.Kernel.Major}}", INFO,
                      "template: can't evaluate field Major in type string");
  assert_render_error("{{.Runtime.Path.X}}", INFO,
                      "template: can't evaluate field X in type <nil>");
}

static void test_malformed_templates(void **state)
{
  assert_render_error("{{.Host.Kernel", INFO, "template: unclosed action");
  assert_render_error("x {{", INFO, "template: unclosed action");
  assert_render_error("{{/* open", INFO, "template: unclosed comment");
  assert_render_error("{{}}", INFO, "template: missing value for command");
  assert_render_error("{{nosuch .X}}", INFO, "template: function \"nosuch\" not defined");
  assert_render_error("{{json}}", INFO, "template: wrong number of args for json: want 1 got 0");
  assert_render_error("{{\"open}}", INFO, "template: unterminated quoted string");
  assert_render_error("{{range .X}}{{end}}", INFO,
                      "template: \"range\" is not supported by kpod's templates");
  assert_render_error("{{.Host .Crio}}", INFO,
                      "template: can't give argument to non-function .Host");
  /* a syntax error late in the text: checked before anything runs */
  _cleanup_err_ crio_err *err = NULL;
  assert_true(kpod_template_check("{{.Fine}} and then {{.Broken", &err) < 0);
  assert_string_equal(err->message, "template: unclosed action");
}

static void test_normalize_like_podman(void **state)
{
  _cleanup_free_ char *a = kpod_template_normalize("{{.A}}\\t{{.B}}");
  assert_string_equal(a, "{{.A}}\t{{.B}}\n");
  _cleanup_free_ char *b = kpod_template_normalize("x\\n");
  assert_string_equal(b, "x\n");
  _cleanup_free_ char *c = kpod_template_normalize("");
  assert_string_equal(c, "\n");
  _cleanup_free_ char *d = kpod_template_normalize("a\\\\b");
  assert_string_equal(d, "a\\\\b\n");
}

static char *yaml(const char *data)
{
  _cleanup_json_ json_t *j = load(data);
  strbuf out = STRBUF_INIT;
  kpod_yaml_print(&out, j);
  return strbuf_steal(&out);
}

static void test_yaml_nested_and_lists(void **state)
{
  _cleanup_free_ char *got = yaml(INFO);
  assert_string_equal(got, "crio:\n"
                           "  version: 0.1.0\n"
                           "  api_version: v1\n"
                           "host:\n"
                           "  hostname: h\n"
                           "  kernel: 6.1.0-x\n"
                           "  cpus: 2\n"
                           "  memory_total: 25000000000\n"
                           "  cgroup_version: v1\n"
                           "  cgroup_hybrid: true\n"
                           "  load: 0.5\n"
                           "  ratio: 2\n"
                           "runtime:\n"
                           "  name: runc\n"
                           "  path: null\n"
                           "network:\n"
                           "  plugin_dirs:\n"
                           "  - /usr/lib/cni\n"
                           "  - /opt/cni/bin\n"
                           "labels:\n"
                           "  b: \"2\"\n"
                           "  a: \"1\"\n");
}

static void test_yaml_collections_in_lists(void **state)
{
  _cleanup_free_ char *got = yaml("{\"a\":[{\"x\":1,\"y\":{\"z\":[]}},[1,[2]],{}],\"e\":{},\"l\":[]}");
  assert_string_equal(got, "a:\n"
                           "- x: 1\n"
                           "  \"y\":\n" /* YAML 1.1 reads a bare y as true */
                           "    z: []\n"
                           "- - 1\n"
                           "  - - 2\n"
                           "- {}\n"
                           "e: {}\n"
                           "l: []\n");
}

static void test_yaml_quotes_what_yaml_would_misread(void **state)
{
  _cleanup_free_ char *got = yaml("[\"\", \"true\", \"No\", \"12\", \"1.5\", \"a: b\", \"-x\", "
                                  "\"line\\nbreak\", \"127.0.0.1:5000\", \"1.1.5+ds1\", \"~\"]");
  assert_string_equal(got, "- \"\"\n"
                           "- \"true\"\n"
                           "- \"No\"\n"
                           "- \"12\"\n"
                           "- \"1.5\"\n"
                           "- \"a: b\"\n"
                           "- \"-x\"\n"
                           "- \"line\\nbreak\"\n"
                           "- 127.0.0.1:5000\n"
                           "- 1.1.5+ds1\n"
                           "- \"~\"\n");
  _cleanup_free_ char *scalar = yaml("\"plain\"");
  assert_string_equal(scalar, "plain\n");
  _cleanup_free_ char *empty = yaml("{}");
  assert_string_equal(empty, "{}\n");
}

static void test_number_print(void **state)
{
  const char *cases[][2] = { { "25000000000", "25000000000" }, { "2.0", "2" }, { "0.1", "0.1" },
                             { "-3.25", "-3.25" }, { "1e300", "1e+300" }, { "-0.0", "0" } };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_json_ json_t *j = load(cases[i][0]);
    _cleanup_strbuf_ strbuf b = STRBUF_INIT;
    kpod_number_print(&b, j);
    assert_string_equal(b.data, cases[i][1]);
  }
}

static void print_default(strbuf *out, const json_t *data)
{
  strbuf_puts(out, "default\n");
}

static char *format_render(const char *format, const char *data, crio_err **err)
{
  _cleanup_json_ json_t *j = load(data);
  strbuf out = STRBUF_INIT;
  strbuf_puts(&out, "");
  if (kpod_format_render(format, j, print_default, &out, err) < 0) {
    strbuf_free(&out);
    return NULL;
  }
  return strbuf_steal(&out);
}

static void test_format_dispatch(void **state)
{
  _cleanup_err_ crio_err *err = NULL;
  _cleanup_free_ char *def = format_render(NULL, "{}", &err);
  assert_string_equal(def, "default\n");
  _cleanup_free_ char *empty = format_render("", "{}", &err);
  assert_string_equal(empty, "default\n");
  _cleanup_free_ char *json = format_render("json", "{\"b\":1,\"a\":[\"x\"]}", &err);
  assert_string_equal(json, "{\n    \"b\": 1,\n    \"a\": [\n        \"x\"\n    ]\n}\n");
  _cleanup_free_ char *tpl = format_render("{{.A}}\\t{{.B}}", "{\"a\":1,\"b\":2}", &err);
  assert_string_equal(tpl, "1\t2\n");
  _cleanup_free_ char *nl = format_render("{{.A}}\\n", "{\"a\":1}", &err);
  assert_string_equal(nl, "1\n");
  assert_null(err);
  assert_null(format_render("{{.Zzz}}", "{\"a\":1}", &err));
  assert_string_equal(err->message, "template: can't evaluate field Zzz");
}

static void test_format_check(void **state)
{
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_format_check(NULL, &err), 0);
  assert_int_equal(kpod_format_check("json", &err), 0);
  assert_int_equal(kpod_format_check("{{.Anything.At.All}}", &err), 0);
  assert_true(kpod_format_check("{{.Open", &err) < 0);
  assert_string_equal(err->message, "template: unclosed action");
}

static const kpod_flag test_flags[] = {
  { "format", 'f', KPOD_FLAG_STRING, "string", "format" },
  { "all", 'a', KPOD_FLAG_BOOL, NULL, "all" },
  { "env", 'e', KPOD_FLAG_STRING_ARRAY, "stringArray", "env" },
  { NULL, 0, 0, NULL, NULL },
};

static void test_args_parse(void **state)
{
  char *argv[] = { "-a", "IMAGE", "--format=json", "-e", "A=1", "-eB=2", "--", "-x", NULL };
  _cleanup_kpod_args_ kpod_args a = { 0 };
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_args_parse(test_flags, 8, argv, 0, &a, &err), 0);
  assert_true(kpod_args_bool(&a, "all"));
  assert_string_equal(kpod_args_string(&a, "format"), "json");
  size_t n;
  const char *const *env = kpod_args_strings(&a, "env", &n);
  assert_int_equal(n, 2);
  assert_string_equal(env[0], "A=1");
  assert_string_equal(env[1], "B=2");
  assert_null(env[2]);
  assert_int_equal(a.npositional, 2);
  assert_string_equal(a.positional[0], "IMAGE");
  assert_string_equal(a.positional[1], "-x");
  assert_false(a.help);
}

static void test_args_errors_and_help(void **state)
{
  char *unknown[] = { "--nope" };
  char *missing[] = { "--format" };
  char *shorth[] = { "-az" };
  char *help[] = { "-h", "x" };
  struct { char **argv; int argc; const char *want; } cases[] = {
    { unknown, 1, "unknown flag: --nope" },
    { missing, 1, "flag needs an argument: --format" },
    { shorth, 1, "unknown shorthand flag: 'z' in -az" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    _cleanup_kpod_args_ kpod_args a = { 0 };
    _cleanup_err_ crio_err *err = NULL;
    assert_true(kpod_args_parse(test_flags, cases[i].argc, cases[i].argv, 0, &a, &err) < 0);
    assert_string_equal(err->message, cases[i].want);
  }
  _cleanup_kpod_args_ kpod_args a = { 0 };
  assert_int_equal(kpod_args_parse(test_flags, 2, help, 0, &a, NULL), 0);
  assert_true(a.help);
  assert_null(kpod_args_string(&a, "format"));
  assert_false(kpod_args_bool(&a, "all"));
}

static void test_args_stop_at_verb(void **state)
{
  char *argv[] = { "--url", "unix:///x.sock", "info", "--format", "json" };
  _cleanup_kpod_args_ kpod_args a = { 0 };
  const kpod_flag global[] = { { "url", 0, KPOD_FLAG_STRING, "string", "url" },
                               { NULL, 0, 0, NULL, NULL } };
  assert_int_equal(kpod_args_parse(global, 5, argv, 1, &a, NULL), 0);
  assert_int_equal(a.rest, 2);
  assert_string_equal(kpod_args_string(&a, "url"), "unix:///x.sock");
}

static void test_answer_error_message(void **state)
{
  const char *body = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such pod \\\"p\\\"\"}}";
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(kpod_client_answer_error(404, body, strlen(body), &err), -CRIO_E_NOT_FOUND);
  assert_string_equal(err->message, "no such pod \"p\"");
  _cleanup_err_ crio_err *err2 = NULL;
  assert_int_equal(kpod_client_answer_error(502, "bad gateway\nmore", 16, &err2),
                   -CRIO_E_INTERNAL);
  assert_string_equal(err2->message, "crio answered HTTP 502: bad gateway");
}

static void test_client_url_forms(void **state)
{
  const char *good[] = { "unix:///run/crio/api.sock", "http://127.0.0.1:8080",
                         "http://host:1/", "tcp://h:2" };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    kpod_client *c = NULL;
    assert_int_equal(kpod_client_new(good[i], "t", &c, NULL), 0);
    assert_string_equal(kpod_client_url(c), good[i]);
    kpod_client_free(c);
  }
  const char *bad[] = { "unix://relative.sock", "ftp://x", "/run/crio/api.sock", "http://" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    kpod_client *c = NULL;
    _cleanup_err_ crio_err *err = NULL;
    assert_true(kpod_client_new(bad[i], NULL, &c, &err) < 0);
    assert_null(c);
    assert_non_null(strstr(err->message, bad[i]));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_literal_text),
    cmocka_unit_test(test_field_paths),
    cmocka_unit_test(test_lookup_ignores_case_and_underscores),
    cmocka_unit_test(test_lookup_prefers_exact_key),
    cmocka_unit_test(test_scalars),
    cmocka_unit_test(test_collections_print_like_go),
    cmocka_unit_test(test_json_function),
    cmocka_unit_test(test_other_functions),
    cmocka_unit_test(test_trim_markers_and_comments),
    cmocka_unit_test(test_unknown_field_is_an_error),
    cmocka_unit_test(test_malformed_templates),
    cmocka_unit_test(test_normalize_like_podman),
    cmocka_unit_test(test_yaml_nested_and_lists),
    cmocka_unit_test(test_yaml_collections_in_lists),
    cmocka_unit_test(test_yaml_quotes_what_yaml_would_misread),
    cmocka_unit_test(test_number_print),
    cmocka_unit_test(test_format_dispatch),
    cmocka_unit_test(test_format_check),
    cmocka_unit_test(test_args_parse),
    cmocka_unit_test(test_args_errors_and_help),
    cmocka_unit_test(test_args_stop_at_verb),
    cmocka_unit_test(test_answer_error_message),
    cmocka_unit_test(test_client_url_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
