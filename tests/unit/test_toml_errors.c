/* Unit tests for the crio.conf TOML parser (server/toml.c): documents it
 * rejects, each with its exact message and position (the error table),
 * the nesting limit, and the text's length as its only end. */
#include "toml_test_util.h"

struct error_case {
  const char *text, *message;
};

static const struct error_case error_cases[] = {
  /* values */
  { "[crio]\nx = 1\nroot = \n", "crio.conf:3:8: expected a value after '='" },
  { "root = overlay\n", "crio.conf:1:8: expected a value after '=' (strings must be quoted)" },
  { "a = 1 2\n", "crio.conf:1:7: expected end of line after value" },
  { "a = \"x\" b = 2\n", "crio.conf:1:9: expected end of line after value" },
  { "a = 3.14\n", "crio.conf:1:5: floats are not supported" },
  { "a = 1e6\n", "crio.conf:1:5: floats are not supported" },
  { "a = -inf\n", "crio.conf:1:5: floats are not supported" },
  { "[x]\n\n\nlimit = 1.5\n", "crio.conf:4:9: floats are not supported" },
  { "d = 1979-05-27\n", "crio.conf:1:5: dates and times are not supported" },
  { "t = 07:32:00\n", "crio.conf:1:5: dates and times are not supported" },
  { "a = TRUE\n", "crio.conf:1:5: expected a value after '=' (strings must be quoted)" },
  { "a =\n", "crio.conf:1:4: expected a value after '='" },
  { "a = 1\n= 2\n", "crio.conf:2:1: expected a key" },
  { "a 1\n", "crio.conf:1:3: expected '=' after key" },
  { "a. = 1\n", "crio.conf:1:4: expected a key" },
  { "\"\"\"k\"\"\" = 1\n", "crio.conf:1:1: multi-line strings cannot be keys" },
  /* integers */
  { "a = 9223372036854775808\n", "crio.conf:1:5: integer out of range (64-bit)" },
  { "a = -9223372036854775809\n", "crio.conf:1:5: integer out of range (64-bit)" },
  { "a = 0x1_0000_0000_0000_0000\n", "crio.conf:1:5: integer out of range (64-bit)" },
  { "mode = 0644\n", "crio.conf:1:8: leading zeros are not allowed (use 0o for octal)" },
  { "a = 1__0\n", "crio.conf:1:6: '_' must be between digits" },
  { "a = 10_\n", "crio.conf:1:7: '_' must be between digits" },
  { "a = 0x_1\n", "crio.conf:1:7: '_' must be between digits" },
  { "a = 0x1G\n", "crio.conf:1:8: invalid character 'G' in hexadecimal integer" },
  { "a = 0o8\n", "crio.conf:1:7: invalid character '8' in octal integer" },
  { "a = 0b102\n", "crio.conf:1:9: invalid character '2' in binary integer" },
  { "a = 12-3\n", "crio.conf:1:7: invalid character '-' in integer" },
  { "a = +0x10\n", "crio.conf:1:5: a sign is not allowed before 0x, 0o or 0b" },
  { "a = 0x\n", "crio.conf:1:7: expected a digit" },
  { "a = -\n", "crio.conf:1:6: expected a digit" },
  /* strings */
  { "[crio]\nroot = \"/var/lib\n", "crio.conf:2:8: unterminated string" },
  { "a = 'abc\nb = 1\n", "crio.conf:1:5: unterminated string" },
  { "a = \"\"\"\nabc\n\n", "crio.conf:1:5: unterminated string" },
  { "a = '''abc''\n", "crio.conf:1:5: unterminated string" },
  { "a = \"x\\qy\"\n", "crio.conf:1:7: invalid escape sequence '\\q'" },
  { "a = \"x\\ \"\n", "crio.conf:1:7: invalid escape sequence" },
  { "a = \"\\u12\"\n", "crio.conf:1:6: \\u escape needs 4 hex digits" },
  { "a = \"\\UD800DC00\"\n",
    "crio.conf:1:6: invalid Unicode escape: U+D800DC00 is not a Unicode scalar value" },
  { "a = \"\\uD800\"\n",
    "crio.conf:1:6: invalid Unicode escape: U+D800 is not a Unicode scalar value" },
  { "a = \"\\u0000\"\n", "crio.conf:1:6: \\u0000 is not supported in strings" },
  { "a = \"bell\a\"\n", "crio.conf:1:10: control character U+0007 in string" },
  { "a = 'del\x7f'\n", "crio.conf:1:9: control character U+007F in string" },
  { "a = \"\"\"x\ry\"\"\"\n", "crio.conf:1:9: control character U+000D in string" },
  { "a = \"caf\xc3\x28\"\n", "crio.conf:1:9: invalid UTF-8" },
  { "# \xed\xa0\x80 surrogate\n", "crio.conf:1:3: invalid UTF-8" },
  { "# esc \x1b[0m\n", "crio.conf:1:7: control character U+001B in comment" },
  /* tables and keys */
  { "[crio]\nroot = \"a\"\n\nlog_dir = \"b\"\n\n\nroot = \"c\"\n",
    "crio.conf:7:1: duplicate key \"root\"" },
  { "[crio]\n[crio.api]\nlisten = \"x\"\n\n[crio.api]\n",
    "crio.conf:5:1: table [crio.api] defined twice" },
  { "a.b = 1\na.b = 2\n", "crio.conf:2:3: duplicate key \"a.b\"" },
  { "[a.\"c d\"]\n[ a . \"c d\" ]\n", "crio.conf:2:1: table [a.\"c d\"] defined twice" },
  { "[crio]\nroot = \"x\"\n[crio.root]\n",
    "crio.conf:3:7: key \"crio.root\" already defined as a string" },
  { "a = 1\na.b = 2\n", "crio.conf:2:1: key \"a\" already defined as an integer" },
  { "a = [1]\n[a.b]\n", "crio.conf:2:2: key \"a\" already defined as an array" },
  { "[fruit]\napple.color = 'red'\n[fruit.apple]\n",
    "crio.conf:3:1: table [fruit.apple] defined twice" },
  { "[a.b]\nx = 1\n[a]\nb.y = 2\n", "crio.conf:4:1: table [a.b] defined twice" },
  { "[a]\nb = 1\n[a.b]\n", "crio.conf:3:4: key \"a.b\" already defined as an integer" },
  { "[a.b]\n[a]\nb = 1\n", "crio.conf:3:1: duplicate key \"b\"" },
  { "a = { x = 1 }\na.y = 2\n", "crio.conf:2:1: cannot add keys to inline table \"a\"" },
  { "a = { x = 1 }\n[a]\n", "crio.conf:2:1: table [a] defined twice" },
  { "a = { x = 1 }\n[a.b]\n", "crio.conf:2:2: cannot add keys to inline table \"a\"" },
  { "a = { x = 1, x = 2 }\n", "crio.conf:1:14: duplicate key \"x\"" },
  { "a = { x.y = 1, x = 2 }\n", "crio.conf:1:16: duplicate key \"x\"" },
  /* structure */
  /* arrays of tables */
  { "a = 1\n[[a]]\n", "crio.conf:2:3: key \"a\" already defined as an integer" },
  { "[[a]]\n[a]\n", "crio.conf:2:2: key \"a\" already defined as an array of tables" },
  { "a = [1]\n[[a]]\n", "crio.conf:2:3: cannot append to static array \"a\"" },
  { "a = []\n[[a]]\n", "crio.conf:2:3: cannot append to static array \"a\"" },
  { "[a]\n[[a]]\n", "crio.conf:2:3: key \"a\" already defined as a table" },
  { "[a.b]\n[[a]]\n", "crio.conf:2:3: key \"a\" already defined as a table" },
  { "a = { b = 1 }\n[[a]]\n", "crio.conf:2:3: key \"a\" already defined as a table" },
  { "a = { b = 1 }\n[[a.c]]\n", "crio.conf:2:3: cannot add keys to inline table \"a\"" },
  { "[[a]]\nb = [1]\n[[a.b]]\n", "crio.conf:3:5: cannot append to static array \"a.b\"" },
  { "[[a]]\n[[a.b]]\n[a.b]\n",
    "crio.conf:3:4: key \"a.b\" already defined as an array of tables" },
  { "[[a]]\n[a.b]\n[a.b]\n", "crio.conf:3:1: table [a.b] defined twice" },
  { "[[a]]\nx = 1\nx = 2\n", "crio.conf:3:1: duplicate key \"x\"" },
  { "[[a]]\n[b]\n[[a]]\nb.x = 1\n[[b]]\n", "crio.conf:5:3: key \"b\" already defined as a table" },
  { "[[a]]\na.x = 1\n[b]\nx = 1\n[a.a]\n", "crio.conf:5:1: table [a.a] defined twice" },
  { "[[a]]\n[b]\na.x = 1\n[[a]]\na = 1\n[[a.a]]\n",
    "crio.conf:6:5: key \"a.a\" already defined as an integer" },
  { "[[runtimes]\n", "crio.conf:1:11: expected ']]' at end of array of tables header" },
  { "[[runtimes] ]\n", "crio.conf:1:11: expected ']]' at end of array of tables header" },
  { "[ [runtimes]]\n", "crio.conf:1:3: expected a key" },
  { "[[]]\n", "crio.conf:1:3: expected a key" },
  { "[[r]] x = 1\n", "crio.conf:1:7: expected end of line after array of tables header" },
  { "[crio\n", "crio.conf:1:6: expected ']' at end of table header" },
  { "[]\n", "crio.conf:1:2: expected a key" },
  { "[crio] x = 1\n", "crio.conf:1:8: expected end of line after table header" },
  { "a = [1, 2\nb = 3\n", "crio.conf:2:1: expected ',' or ']' in array" },
  { "a = [1, 2,\n", "crio.conf:1:5: unterminated array" },
  { "a = [1,,2]\n", "crio.conf:1:8: expected a value" },
  { "a = [1 # c\n", "crio.conf:1:5: unterminated array" },
  { "a = { x = 1,\n y = 2 }\n",
    "crio.conf:1:5: unterminated inline table (it must end on the same line)" },
  { "a = { x = 1, }\n", "crio.conf:1:14: trailing comma is not allowed in an inline table" },
  { "a = { x = 1 y = 2 }\n", "crio.conf:1:13: expected ',' or '}' in inline table" },
  { "a = { x }\n", "crio.conf:1:9: expected '=' after key" },
  { "a = 1\r\rb = 2\n", "crio.conf:1:6: expected end of line after value" },
  { "a = 1 # note\rb = 2\n", "crio.conf:1:13: control character U+000D in comment" },
  /* columns count characters, not bytes */
  { "name = \"é\" x\n", "crio.conf:1:12: expected end of line after value" },
};

static void test_errors(void **state)
{
  for (size_t k = 0; k < ARRAY_SIZE(error_cases); k++)
    expect_error(error_cases[k].text, error_cases[k].message);
}

static void test_nesting_limit(void **state)
{
  _cleanup_strbuf_ strbuf doc = STRBUF_INIT;
  strbuf_puts(&doc, "a = ");
  for (int k = 0; k < 100000; k++)
    strbuf_putc(&doc, '[');
  expect_error(doc.data, "crio.conf:1:69: arrays and inline tables nested more than 64 deep");
}

static void test_text_not_nul_terminated(void **state)
{
  /* only len bytes are read: the "= 2" beyond them is not part of the document */
  const char text[] = "a = 1= 2";
  toml_value *root = NULL;
  _cleanup_err_ crio_err *err = NULL;
  assert_int_equal(toml_parse(text, 5, "crio.conf", &root, &err), 0);
  assert_int_equal(get_int(root, "a"), 1);
  toml_free(root);
  /* a NUL byte inside the document is an error, not an end */
  assert_int_equal(toml_parse("a = 1\n\0b", 8, "crio.conf", &root, &err), -CRIO_E_INVALID);
  assert_string_equal(err->message, "crio.conf:2:1: expected a key");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_nesting_limit),
    cmocka_unit_test(test_text_not_nul_terminated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
