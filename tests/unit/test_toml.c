/* Unit tests for the crio.conf TOML parser (server/toml.c): valid
 * documents, from scalars to a realistic crio.conf, positions, parsing
 * files, and the writers' output read back. Rejected documents are in
 * test_toml_errors.c. */
#include "toml_test_util.h"

static void test_scalars_and_positions(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("# crio\n"
                                             "root = \"/var/lib/crio\"\n"
                                             "\n"
                                             "  log_size_max = -1   # unlimited\n"
                                             "selinux = true\n"
                                             "read_only=false\n");
  assert_string_equal(get_str(root, "root"), "/var/lib/crio");
  assert_int_equal(get_int(root, "log_size_max"), -1);
  assert_true(get(root, "selinux")->b);
  assert_false(get(root, "read_only")->b);
  assert_int_equal(get(root, "selinux")->type, TOML_BOOLEAN);
  /* keys in document order, each with its own position */
  assert_int_equal(root->n_keys, 4);
  assert_string_equal(root->keys[1].name, "log_size_max");
  assert_int_equal(root->keys[1].line, 4);
  assert_int_equal(root->keys[1].col, 3);
  assert_pos(get(root, "root"), 2, 8);
  assert_pos(get(root, "log_size_max"), 4, 18);
  assert_pos(get(root, "read_only"), 6, 11);
}

static void test_basic_string_escapes(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("a = \"b\\bt\\tn\\nf\\fr\\rq\\\"s\\\\\"\n"
                                             "e = \"caf\\u00e9 \\U0001F600 \\u20AC\"\n"
                                             "tab = \"x\ty\"\n"
                                             "utf = \"grüße\"\n"
                                             "empty = \"\"\n");
  assert_string_equal(get_str(root, "a"), "b\bt\tn\nf\fr\rq\"s\\");
  assert_string_equal(get_str(root, "e"), "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac");
  assert_string_equal(get_str(root, "tab"), "x\ty");
  assert_string_equal(get_str(root, "utf"), "grüße");
  assert_string_equal(get_str(root, "empty"), "");
}

static void test_literal_strings(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("path = 'C:\\Users\\crio'\n"
                                             "re = '<\\i\\c*\\s*>'\n"
                                             "q = 'say \"hi\"'\n");
  assert_string_equal(get_str(root, "path"), "C:\\Users\\crio");
  assert_string_equal(get_str(root, "re"), "<\\i\\c*\\s*>");
  assert_string_equal(get_str(root, "q"), "say \"hi\"");
}

static void test_multiline_strings(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("a = \"\"\"\nline one\nline \\\"two\\\"\n\"\"\"\n"
                                             "b = \"\"\"The quick \\\n\n    brown \\\n  fox\"\"\"\n"
                                             "c = \"\"\"ends with quotes\"\"\"\"\"\n"
                                             "d = '''\nraw \\n stays\n  indented'''\n"
                                             "e = '''''quoted'''''\n"
                                             "f = \"\"\"\"one\" \\u00e9\"\"\"\n"
                                             "after = 1\n");
  assert_string_equal(get_str(root, "a"), "line one\nline \"two\"\n");
  assert_string_equal(get_str(root, "b"), "The quick brown fox");
  assert_string_equal(get_str(root, "c"), "ends with quotes\"\"");
  assert_string_equal(get_str(root, "d"), "raw \\n stays\n  indented");
  assert_string_equal(get_str(root, "e"), "''quoted''");
  assert_string_equal(get_str(root, "f"), "\"one\" \xc3\xa9");
  /* lines inside multi-line strings are counted */
  assert_pos(get(root, "after"), 15, 9);
  assert_int_equal(root->keys[6].line, 15);
}

static void test_integers(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("a = 42\nb = +17\nc = -0\nd = 1_000_000\n"
                                             "e = 0xDEAD_beef\nf = 0o755\ng = 0b1101\n"
                                             "max = 9223372036854775807\n"
                                             "min = -9223372036854775808\n"
                                             "hmax = 0x7fffffffffffffff\nz = 0\nh0 = 0x00ff\n");
  assert_int_equal(get_int(root, "a"), 42);
  assert_int_equal(get_int(root, "b"), 17);
  assert_int_equal(get_int(root, "c"), 0);
  assert_int_equal(get_int(root, "d"), 1000000);
  assert_int_equal(get_int(root, "e"), 0xdeadbeef);
  assert_int_equal(get_int(root, "f"), 0755);
  assert_int_equal(get_int(root, "g"), 13);
  assert_true(get_int(root, "max") == INT64_MAX);
  assert_true(get_int(root, "min") == INT64_MIN);
  assert_true(get_int(root, "hmax") == INT64_MAX);
  assert_int_equal(get_int(root, "z"), 0);
  assert_int_equal(get_int(root, "h0"), 255);
}

static void test_keys(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("a.b.c = 1\n"
                                             "a.b.d = 2\n"
                                             "\"a.b\" = 3\n"
                                             "site . \"google.com\" = true\n"
                                             "'quoted \"key\"' = 4\n"
                                             "1234 = 5\n"
                                             "\"\" = 6\n"
                                             "bare-key_2 = 7\n"
                                             "a.x = 8\n");
  assert_int_equal(get_int(root, "a.b.c"), 1);
  assert_int_equal(get_int(root, "a.b.d"), 2);
  assert_int_equal(toml_table_get(root, "a.b")->i, 3);
  assert_true(toml_table_get(get(root, "site"), "google.com")->b);
  assert_int_equal(toml_table_get(root, "quoted \"key\"")->i, 4);
  assert_int_equal(get_int(root, "1234"), 5);
  assert_int_equal(toml_table_get(root, "")->i, 6);
  assert_int_equal(get_int(root, "bare-key_2"), 7);
  assert_int_equal(get_int(root, "a.x"), 8);
  /* a table made by dotted keys sits where its first key was written */
  const toml_value *a = get(root, "a");
  assert_int_equal(a->type, TOML_TABLE);
  assert_int_equal(a->n_keys, 2);
  assert_pos(a, 1, 1);
  assert_int_equal(get(root, "a.b")->keys[0].col, 5);
  assert_int_equal(get(root, "site")->keys[0].col, 8);
}

static void test_tables(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("top = 1\n"
                                             "[a.b.\"c d\"]\n"
                                             "x = 1\n"
                                             "[ a . b ]\n"
                                             "y = 2\n"
                                             "[a]\n"
                                             "z = 3\n"
                                             "[fruit]\n"
                                             "apple.color = \"red\"\n"
                                             "[fruit.apple.texture]\n"
                                             "smooth = true\n"
                                             "['single']\n");
  assert_int_equal(get_int(root, "top"), 1);
  assert_int_equal(toml_table_get(get(root, "a.b"), "c d")->keys[0].value->i, 1);
  assert_int_equal(get_int(root, "a.b.y"), 2);
  assert_int_equal(get_int(root, "a.z"), 3);
  assert_string_equal(get_str(root, "fruit.apple.color"), "red");
  assert_true(get(root, "fruit.apple.texture.smooth")->b);
  assert_non_null(get(root, "single"));
  /* order of first mention; a table made explicit later moves to its header */
  const toml_value *a = get(root, "a");
  assert_string_equal(a->keys[0].name, "b");
  assert_string_equal(a->keys[1].name, "z");
  assert_pos(a, 6, 1);
  assert_int_equal(root->keys[1].line, 6);
  assert_int_equal(root->keys[1].col, 2);
  assert_pos(get(root, "a.b"), 4, 1);
  assert_int_equal(a->keys[0].col, 7); /* "b" as named by [ a . b ] */
  assert_int_equal(get(root, "single")->n_keys, 0);
}

static void test_arrays(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("empty = []\n"
                                             "one = [ 1 ]\n"
                                             "caps = [\n"
                                             "  \"CHOWN\",   # why not\n"
                                             "  # a comment line\n"
                                             "\n"
                                             "  'KILL',\n"
                                             "]\n"
                                             "nested = [[1, 2], [\"a\"], []]\n"
                                             "mixed = [1, \"two\", true, { x = 3 }]\n"
                                             "after = 1\n");
  assert_int_equal(get(root, "empty")->type, TOML_ARRAY);
  assert_int_equal(get(root, "empty")->n_items, 0);
  assert_int_equal(get(root, "one")->n_items, 1);
  const toml_value *caps = get(root, "caps");
  assert_int_equal(caps->n_items, 2);
  assert_string_equal(caps->items[0]->s, "CHOWN");
  assert_string_equal(caps->items[1]->s, "KILL");
  assert_pos(caps, 3, 8);
  assert_pos(caps->items[1], 7, 3);
  const toml_value *nested = get(root, "nested");
  assert_int_equal(nested->n_items, 3);
  assert_int_equal(nested->items[0]->items[1]->i, 2);
  assert_string_equal(nested->items[1]->items[0]->s, "a");
  const toml_value *mixed = get(root, "mixed");
  assert_int_equal(mixed->items[0]->type, TOML_INTEGER);
  assert_int_equal(mixed->items[1]->type, TOML_STRING);
  assert_int_equal(mixed->items[2]->type, TOML_BOOLEAN);
  assert_int_equal(toml_table_get(mixed->items[3], "x")->i, 3);
  assert_pos(get(root, "after"), 11, 9);
}

static void test_many_items(void **state)
{
  _cleanup_strbuf_ strbuf doc = STRBUF_INIT;
  strbuf_puts(&doc, "big = [");
  for (int k = 0; k < 1000; k++)
    strbuf_printf(&doc, "%d,", k);
  strbuf_puts(&doc, "]\n[t]\n");
  for (int k = 0; k < 300; k++)
    strbuf_printf(&doc, "k%d = %d\n", k, k);
  _cleanup_toml_ toml_value *root = parse_ok(doc.data);
  assert_int_equal(get(root, "big")->n_items, 1000);
  assert_int_equal(get(root, "big")->items[999]->i, 999);
  assert_int_equal(get(root, "t")->n_keys, 300);
  assert_int_equal(get_int(root, "t.k299"), 299);
}

static void test_arrays_of_tables(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("unqualified-search-registries = [\"docker.io\"]\n"
                                             "[[registry]]\n"
                                             "prefix = \"example.com/foo\"\n"
                                             "location = \"internal.example.com/bar\"\n"
                                             "\n"
                                             "[[registry.mirror]]\n"
                                             "location = \"mirror-1.example.com\"\n"
                                             "[[ registry.mirror ]]\n"
                                             "location = \"mirror-2.example.com\"\n"
                                             "insecure = true\n"
                                             "[registry.extra]\n"
                                             "x = 1\n"
                                             "\n"
                                             "[[registry]]   # a second one\n"
                                             "location = \"registry.example.org\"\n"
                                             "blocked = true\n"
                                             "[registry.extra]\n"
                                             "x = 2\n"
                                             "[other]\n"
                                             "[[other.list]]\n"
                                             "[[other.list]]\n"
                                             "a.b = 3\n");
  const toml_value *reg = get(root, "registry");
  assert_int_equal(reg->type, TOML_ARRAY);
  assert_int_equal(reg->n_items, 2);
  assert_pos(reg, 2, 1);
  assert_int_equal(root->keys[1].line, 2);
  assert_int_equal(root->keys[1].col, 3);
  const toml_value *r0 = reg->items[0], *r1 = reg->items[1];
  assert_int_equal(r0->type, TOML_TABLE);
  assert_pos(r0, 2, 1);
  assert_pos(r1, 14, 1);
  assert_string_equal(get_str(r0, "prefix"), "example.com/foo");
  assert_string_equal(get_str(r0, "location"), "internal.example.com/bar");
  assert_int_equal(get_int(r0, "extra.x"), 1);
  const toml_value *mirrors = get(r0, "mirror");
  assert_int_equal(mirrors->type, TOML_ARRAY);
  assert_int_equal(mirrors->n_items, 2);
  assert_pos(mirrors->items[1], 8, 1);
  assert_string_equal(get_str(mirrors->items[0], "location"), "mirror-1.example.com");
  assert_string_equal(get_str(mirrors->items[1], "location"), "mirror-2.example.com");
  assert_true(get(mirrors->items[1], "insecure")->b);
  assert_null(get(mirrors->items[0], "insecure"));
  assert_string_equal(get_str(r1, "location"), "registry.example.org");
  assert_true(get(r1, "blocked")->b);
  assert_null(get(r1, "mirror"));
  assert_int_equal(get_int(r1, "extra.x"), 2);
  const toml_value *list = get(root, "other.list");
  assert_int_equal(list->n_items, 2);
  assert_int_equal(list->items[0]->n_keys, 0);
  assert_int_equal(get_int(list->items[1], "a.b"), 3);
  /* a sub-table array without a parent [[...]] hangs off an implicit table */
  _cleanup_toml_ toml_value *doc = parse_ok("[[a.b]]\nx = 1\n[a]\ny = 2\n[[a.b]]\n");
  assert_int_equal(get(doc, "a.b")->n_items, 2);
  assert_int_equal(get_int(doc, "a.y"), 2);
}

static void test_inline_tables(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("a = { x = 1, y = \"s\", z.w = true }\n"
                                             "e = {}\n"
                                             "n = { inner = { deep = [1, 2] } }\n");
  assert_int_equal(get_int(root, "a.x"), 1);
  assert_string_equal(get_str(root, "a.y"), "s");
  assert_true(get(root, "a.z.w")->b);
  assert_pos(get(root, "a"), 1, 5);
  assert_int_equal(get(root, "e")->type, TOML_TABLE);
  assert_int_equal(get(root, "e")->n_keys, 0);
  assert_int_equal(get(root, "n.inner.deep")->n_items, 2);
}

static void test_crlf_and_bom(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("\xEF\xBB\xBF# bom\r\n"
                                             "[crio]\r\n"
                                             "root = \"/r\" # c\r\n"
                                             "list = [\r\n  1,\r\n  2\r\n]\r\n"
                                             "text = \"\"\"\r\nx\r\ny\"\"\"\r\n"
                                             "last = 1");
  assert_string_equal(get_str(root, "crio.root"), "/r");
  assert_int_equal(get(root, "crio.list")->n_items, 2);
  assert_string_equal(get_str(root, "crio.text"), "x\ny");
  assert_pos(get(root, "crio.last"), 11, 8);
  assert_pos(get(root, "crio"), 2, 1);
}

static void test_empty_documents(void **state)
{
  _cleanup_toml_ toml_value *a = parse_ok("");
  _cleanup_toml_ toml_value *b = parse_ok("\n\n  # only a comment\n\t\n");
  assert_int_equal(a->n_keys, 0);
  assert_int_equal(b->n_keys, 0);
}

static const char crio_conf[] =
    "# crio.conf: the CRI-O configuration\n"
    "[crio]\n"
    "root = \"/var/lib/crio\"\n"
    "runroot = \"/run/crio\"\n"
    "log_dir = \"/var/log/crio/pods\"\n"
    "\n"
    "[crio.api]\n"
    "listen = \"/run/crio/crio.sock\"\n"
    "stream_port = \"0\"\n"
    "grpc_max_send_msg_size = 16_777_216\n"
    "\n"
    "[crio.runtime]\n"
    "default_runtime = \"runc\"\n"
    "selinux = false\n"
    "pids_limit = 1024\n"
    "log_size_max = -1\n"
    "default_capabilities = [\n"
    "\t\"CHOWN\",\n"
    "\t\"DAC_OVERRIDE\",\n"
    "\t\"FSETID\",\n"
    "\t\"FOWNER\",\n"
    "\t\"SETGID\",\n"
    "\t\"SETUID\",\n"
    "\t\"SETPCAP\",\n"
    "\t\"NET_BIND_SERVICE\",\n"
    "\t\"KILL\",\n"
    "]\n"
    "default_sysctls = []\n"
    "\n"
    "[crio.runtime.runtimes.runc]\n"
    "runtime_path = \"/usr/bin/runc\"\n"
    "runtime_type = \"oci\"\n"
    "runtime_root = \"/run/runc\"\n"
    "\n"
    "[crio.runtime.runtimes.crun]\n"
    "runtime_path = \"/usr/bin/crun\"\n"
    "\n"
    "[crio.image]\n"
    "default_transport = \"docker://\"\n"
    "pause_image = \"registry.k8s.io/pause:3.9\"\n"
    "insecure_registries = [ \"localhost:5000\" ]\n"
    "\n"
    "[crio.network]\n"
    "network_dir = \"/etc/cni/net.d/\"\n"
    "plugin_dirs = [\"/usr/lib/cni\", \"/opt/cni/bin\"]\n";

static void test_realistic_crio_conf(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok(crio_conf);
  const toml_value *crio = get(root, "crio");
  assert_int_equal(root->n_keys, 1);
  assert_string_equal(crio->keys[0].name, "root");
  assert_string_equal(crio->keys[3].name, "api");
  assert_string_equal(crio->keys[4].name, "runtime");
  assert_string_equal(get_str(root, "crio.root"), "/var/lib/crio");
  assert_string_equal(get_str(root, "crio.api.listen"), "/run/crio/crio.sock");
  assert_int_equal(get_int(root, "crio.api.grpc_max_send_msg_size"), 16777216);
  assert_string_equal(get_str(root, "crio.runtime.default_runtime"), "runc");
  assert_false(get(root, "crio.runtime.selinux")->b);
  const toml_value *caps = get(root, "crio.runtime.default_capabilities");
  assert_int_equal(caps->n_items, 9);
  assert_string_equal(caps->items[8]->s, "KILL");
  assert_int_equal(get(root, "crio.runtime.default_sysctls")->n_items, 0);
  const toml_value *runtimes = get(root, "crio.runtime.runtimes");
  assert_int_equal(runtimes->n_keys, 2);
  assert_string_equal(runtimes->keys[0].name, "runc");
  assert_string_equal(runtimes->keys[1].name, "crun");
  assert_string_equal(get_str(root, "crio.runtime.runtimes.runc.runtime_type"), "oci");
  assert_pos(get(root, "crio.runtime.runtimes.runc"), 30, 1);
  assert_pos(get(root, "crio.runtime.runtimes.runc.runtime_root"), 33, 16);
  assert_string_equal(get(root, "crio.network.plugin_dirs")->items[1]->s, "/opt/cni/bin");
  /* what a loader reports for a value of the wrong type */
  const toml_value *pids = get(root, "crio.runtime.pids_limit");
  char *msg = xasprintf("crio.conf:%d:%d: crio.runtime.pids_limit: expected a string, got %s",
                        pids->line, pids->col, toml_type_name(pids->type));
  assert_string_equal(msg, "crio.conf:15:14: crio.runtime.pids_limit: "
                           "expected a string, got an integer");
  free(msg);
}

static void test_parse_file(void **state)
{
  char dir[] = "/tmp/test_toml.XXXXXX";
  assert_non_null(mkdtemp(dir));
  _cleanup_free_ char *path = path_join(dir, "crio.conf");
  crio_err *err = NULL;
  toml_value *root = NULL;

  assert_int_equal(toml_parse_file(path, &root, &err), -CRIO_E_NOT_FOUND);
  assert_int_equal(err->code, CRIO_E_NOT_FOUND);
  assert_non_null(strstr(err->message, path));
  crio_err_free(steal_pointer(&err));

  const char good[] = "[crio]\nroot = \"/srv/crio\"\n";
  assert_int_equal(write_file_atomic(path, good, strlen(good), 0644, &err), 0);
  assert_int_equal(toml_parse_file(path, &root, &err), 0);
  assert_string_equal(get_str(root, "crio.root"), "/srv/crio");
  toml_free(root);
  root = NULL;

  const char bad[] = "[crio]\nroot = 1.0\n";
  assert_int_equal(write_file_atomic(path, bad, strlen(bad), 0644, &err), 0);
  assert_int_equal(toml_parse_file(path, &root, &err), -CRIO_E_INVALID);
  _cleanup_free_ char *want = xasprintf("%s:2:8: floats are not supported", path);
  assert_string_equal(err->message, want);
  assert_null(root);
  crio_err_free(err);
  unlink(path);
  rmdir(dir);
}

static void test_write_string_round_trip(void **state)
{
  const char *samples[] = { "plain", "", "quote \" and \\ backslash", "tab\tnl\ncr\rbs\bff\f",
                            "bell\a esc\x1b del\x7f", "ünïcödé ☃", "# not a comment" };
  for (size_t k = 0; k < ARRAY_SIZE(samples); k++) {
    _cleanup_strbuf_ strbuf doc = STRBUF_INIT;
    strbuf_puts(&doc, "v = ");
    toml_write_string(&doc, samples[k]);
    strbuf_putc(&doc, '\n');
    assert_ptr_equal(strchr(doc.data, '\n'), doc.data + doc.len - 1); /* escaped: one line */
    _cleanup_toml_ toml_value *root = parse_ok(doc.data);
    assert_string_equal(get_str(root, "v"), samples[k]);
  }
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  toml_write_string(&b, "a\"b\x01");
  assert_string_equal(b.data, "\"a\\\"b\\u0001\"");
}

static void test_write_key(void **state)
{
  const char *keys[] = { "root", "bare-key_1", "a.b", "with space", "", "é", "q\"k" };
  const char *want[] = { "root", "bare-key_1", "\"a.b\"", "\"with space\"",
                         "\"\"", "\"é\"", "\"q\\\"k\"" };
  for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
    _cleanup_strbuf_ strbuf doc = STRBUF_INIT;
    toml_write_key(&doc, keys[k]);
    assert_string_equal(doc.data, want[k]);
    strbuf_puts(&doc, " = 1\n");
    _cleanup_toml_ toml_value *root = parse_ok(doc.data);
    assert_int_equal(root->n_keys, 1);
    assert_string_equal(root->keys[0].name, keys[k]);
  }
}

static void test_table_get_and_type_names(void **state)
{
  _cleanup_toml_ toml_value *root = parse_ok("s = 'x'\ni = 1\n");
  assert_null(toml_table_get(root, "missing"));
  assert_null(toml_table_get(get(root, "s"), "x"));
  assert_null(toml_table_get(NULL, "x"));
  assert_string_equal(toml_type_name(TOML_STRING), "a string");
  assert_string_equal(toml_type_name(TOML_INTEGER), "an integer");
  assert_string_equal(toml_type_name(TOML_BOOLEAN), "a boolean");
  assert_string_equal(toml_type_name(TOML_ARRAY), "an array");
  assert_string_equal(toml_type_name(TOML_TABLE), "a table");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scalars_and_positions),
    cmocka_unit_test(test_basic_string_escapes),
    cmocka_unit_test(test_literal_strings),
    cmocka_unit_test(test_multiline_strings),
    cmocka_unit_test(test_integers),
    cmocka_unit_test(test_keys),
    cmocka_unit_test(test_tables),
    cmocka_unit_test(test_arrays),
    cmocka_unit_test(test_many_items),
    cmocka_unit_test(test_arrays_of_tables),
    cmocka_unit_test(test_inline_tables),
    cmocka_unit_test(test_crlf_and_bom),
    cmocka_unit_test(test_empty_documents),
    cmocka_unit_test(test_realistic_crio_conf),
    cmocka_unit_test(test_parse_file),
    cmocka_unit_test(test_write_string_round_trip),
    cmocka_unit_test(test_write_key),
    cmocka_unit_test(test_table_get_and_type_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
