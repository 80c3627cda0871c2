/* A subset of Go's text/template, enough for podman-style --format strings.
 *
 * Supported:
 *   literal text;
 *   {{.}}  {{.A.B.C}}  {{$}} {{$.A}}      field paths; a key matches ignoring
 *                                        case and underscores, so .Host.CgroupVersion
 *                                        finds "cgroup_version" (exact keys win);
 *   {{json .X}} {{upper .X}} {{lower .X}} {{len .X}} {{join .X ", "}}
 *   {{index .X 0}} {{index .X "key"}}     functions, with "string", `raw`,
 *                                        integer, true and false literals;
 *   {{.X | json}}                        pipelines (the value is the last argument);
 *   {{- ...}} {{... -}}                  whitespace trimming;
 *   {{/\* comment *\/}} (written without the backslashes).
 * Values print as Go prints decoded JSON (kpod_value_print), a top-level
 * null as <no value>. Not supported: range, if, with, variables other than $,
 * parentheses, printf; they are reported as errors.
 *
 * Errors are "template: ..." messages: "template: can't evaluate field Foo",
 * "template: unclosed action", "template: function \"x\" not defined". */
#ifndef KPOD_TEMPLATE_H
#define KPOD_TEMPLATE_H

#include <jansson.h>

#include "util/err.h"
#include "util/strbuf.h"

/* A --format string as podman prepares it: the two-character sequences \t and
 * \n become a tab and a newline, and a newline is appended unless it ends
 * with one. */
char *kpod_template_normalize(const char *format);

/* Check the syntax (and the function names) of text without data. */
int kpod_template_check(const char *text, crio_err **err);

/* Check text, then execute it against data, appending to out. Nothing is
 * appended when it fails. text is used as given (no normalization). */
int kpod_template_execute(const char *text, json_t *data, strbuf *out, crio_err **err);

/* The value of the object key that name matches: exactly, else ignoring
 * case and underscores. NULL when none does. */
json_t *kpod_template_lookup(const json_t *object, const char *name);

#endif
