/* Tabular output as podman's report package makes it: a Go template run once
 * per row (and once over the column headers), its tab-separated cells
 * aligned by a tabwriter. Used by the listing verbs (images, history). */
#ifndef KPOD_REPORT_H
#define KPOD_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "util/err.h"
#include "util/strbuf.h"

/* A field of the rows and its column header ("ID", "IMAGE ID"). */
typedef struct kpod_column {
  const char *field;
  const char *header;
} kpod_column;

/* Go's text/tabwriter with podman's settings (minwidth 12, padding 2,
 * spaces): cells end with a tab, a column is as wide as its widest cell in
 * a block of consecutive lines that have it, the last cell of a line is not
 * padded. Widths count UTF-8 characters. */
void kpod_tabwrite(strbuf *out, const char *text, size_t len);

/* The template of a --format value and whether it prints a header row:
 * NULL, "" and "table" give default_format with headers; "table TEMPLATE"
 * gives TEMPLATE with the spaces between its actions made tabs, with
 * headers; anything else is used as it is, without headers. \t and \n are
 * expanded and a final newline added (kpod_template_normalize). */
char *kpod_report_template(const char *format, const char *default_format, int *headers);

/* Render rows (a JSON array of objects whose keys are the columns' fields)
 * by format as above into out; noheading drops the header row. Nothing is
 * appended when the template fails. */
int kpod_report_render(strbuf *out, const char *format, const char *default_format,
                       const kpod_column *columns, json_t *rows, int noheading, crio_err **err);

/* kpod_report_render, then written to f. */
int kpod_report_write(FILE *f, const char *format, const char *default_format,
                      const kpod_column *columns, json_t *rows, int noheading, crio_err **err);

#endif
