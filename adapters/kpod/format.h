/* kpod's output formatting: the --format dispatch every verb shares, the
 * YAML-like printer of `kpod info` (podman info's layout), pretty JSON, and
 * the Go-style printing of values that templates use. */
#ifndef KPOD_FORMAT_H
#define KPOD_FORMAT_H

#include <jansson.h>
#include <stdio.h>

#include "util/err.h"
#include "util/strbuf.h"

/* The default (human) output of a verb for data. */
typedef void (*kpod_print_fn)(strbuf *out, const json_t *data);

/* Render data by --format: NULL or "" prints with print_default, "json" as
 * pretty JSON, anything else as a Go-style template (see template.h). The
 * output is built completely before anything is written, so a template
 * error prints nothing but the error. */
int kpod_format_render(const char *format, json_t *data, kpod_print_fn print_default,
                       strbuf *out, crio_err **err);
/* Check a --format value's syntax before any work is done. */
int kpod_format_check(const char *format, crio_err **err);

/* kpod_format_render, then written to f. */
int kpod_format_write(FILE *f, const char *format, json_t *data, kpod_print_fn print_default,
                      crio_err **err);

/* Pretty JSON with a 4-space indent (as podman prints), keys in the order
 * the server sent them, and a trailing newline. */
void kpod_json_pretty(strbuf *out, const json_t *value);

/* YAML as podman info prints it: "key: value", nested mappings indented by
 * two spaces, sequence items "- item" at their key's indent, empty
 * collections as {} and [], null as null, strings quoted only where YAML
 * would misread them. */
void kpod_yaml_print(strbuf *out, const json_t *value);

/* A number as a person reads it: integral values without a fraction or
 * exponent (25000000000, not 2.5e+10), others in their shortest form. */
void kpod_number_print(strbuf *out, const json_t *number);

/* A value as Go's fmt prints a decoded JSON value: strings bare, numbers as
 * above, true/false, null as <nil>, objects as map[k:v ...] with sorted keys,
 * arrays as [a b]. (Templates print a top-level null as <no value>.) */
void kpod_value_print(strbuf *out, const json_t *value);

#endif
