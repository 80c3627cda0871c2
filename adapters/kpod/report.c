#include "report.h"

#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "template.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define TAB_MINWIDTH 12
#define TAB_PADDING 2

typedef struct tab_cell {
  const char *text;
  size_t len;
  size_t width;   /* in UTF-8 characters */
} tab_cell;

typedef struct tab_line {
  tab_cell *cells;
  size_t n;       /* cells; all but the last end with a tab */
} tab_line;

typedef struct tabwriter {
  tab_line *lines;
  size_t nlines;
  size_t *widths;  /* the column widths of the enclosing blocks */
  size_t nwidths;
  strbuf *out;
} tabwriter;

static size_t utf8_width(const char *s, size_t len)
{
  size_t w = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char) s[i] & 0xC0) != 0x80)
      w++;
  return w;
}

static void tab_split_line(tab_line *line, const char *s, size_t len)
{
  line->n = 1;
  for (size_t i = 0; i < len; i++)
    line->n += s[i] == '\t';
  line->cells = xzalloc(line->n * sizeof *line->cells);
  size_t c = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '\t')
      continue;
    line->cells[c].text = s + start;
    line->cells[c].len = i - start;
    line->cells[c].width = utf8_width(s + start, i - start);
    c++;
    start = i + 1;
  }
}

static void tab_print(tabwriter *w, size_t line0, size_t line1)
{
  for (size_t l = line0; l < line1; l++) {
    const tab_line *line = &w->lines[l];
    for (size_t c = 0; c < line->n; c++) {
      const tab_cell *cell = &line->cells[c];
      strbuf_append(w->out, cell->text, cell->len);
      if (c + 1 < line->n && c < w->nwidths)
        for (size_t pad = cell->width; pad < w->widths[c]; pad++)
          strbuf_putc(w->out, ' ');
    }
    strbuf_putc(w->out, '\n');
  }
}

/* Go's tabwriter.format: a column's width is set per block of consecutive
 * lines that have a cell in it, then the block's further columns. */
static void tab_format(tabwriter *w, size_t line0, size_t line1)
{
  size_t column = w->nwidths;
  for (size_t cur = line0; cur < line1; cur++) {
    if (column + 1 >= w->lines[cur].n)
      continue;
    tab_print(w, line0, cur);
    line0 = cur;
    size_t width = TAB_MINWIDTH;
    for (; cur < line1 && column + 1 < w->lines[cur].n; cur++) {
      size_t cw = w->lines[cur].cells[column].width + TAB_PADDING;
      width = cw > width ? cw : width;
    }
    w->widths[w->nwidths++] = width;
    tab_format(w, line0, cur);
    w->nwidths--;
    line0 = cur;
    cur--; /* the loop's increment looks at line cur again */
  }
  tab_print(w, line0, line1);
}

void kpod_tabwrite(strbuf *out, const char *text, size_t len)
{
  tabwriter w = { .out = out };
  size_t maxcells = 0;
  for (size_t start = 0; start < len;) {
    const char *nl = memchr(text + start, '\n', len - start);
    size_t end = nl ? (size_t) (nl - text) : len;
    w.lines = xrealloc(w.lines, (w.nlines + 1) * sizeof *w.lines);
    tab_split_line(&w.lines[w.nlines], text + start, end - start);
    maxcells = w.lines[w.nlines].n > maxcells ? w.lines[w.nlines].n : maxcells;
    w.nlines++;
    start = end + 1;
  }
  w.widths = xzalloc((maxcells + 1) * sizeof *w.widths);
  size_t before = out->len;
  tab_format(&w, 0, w.nlines);
  /* a text without a final newline gets none */
  if (w.nlines && len && text[len - 1] != '\n' && out->len > before)
    out->data[--out->len] = '\0';
  for (size_t i = 0; i < w.nlines; i++)
    free(w.lines[i].cells);
  free(w.lines);
  free(w.widths);
}

/* "table {{.A}} {{.B}}": the spaces outside actions become tabs. */
static char *table_columns(const char *format)
{
  strbuf b = STRBUF_INIT;
  int in_action = 0;
  strbuf_puts(&b, "");
  for (const char *p = format; *p; p++) {
    if (p[0] == '{' && p[1] == '{')
      in_action = 1;
    else if (p[0] == '}' && p[1] == '}' && in_action)
      in_action = 0;
    strbuf_putc(&b, (*p == ' ' && !in_action) ? '\t' : *p);
  }
  return strbuf_steal(&b);
}

char *kpod_report_template(const char *format, const char *default_format, int *headers)
{
  *headers = 1;
  if (!format || !*format || strcmp(format, "table") == 0)
    return kpod_template_normalize(default_format);
  if (strncmp(format, "table ", 6) == 0) {
    _cleanup_free_ char *cols = table_columns(format + 6);
    return kpod_template_normalize(cols);
  }
  *headers = 0;
  return kpod_template_normalize(format);
}

static json_t *report_headers(const kpod_column *columns)
{
  json_t *h = json_object();
  for (const kpod_column *c = columns; c && c->field; c++)
    json_object_set_new(h, c->field, json_string(c->header));
  return h;
}

int kpod_report_render(strbuf *out, const char *format, const char *default_format,
                       const kpod_column *columns, json_t *rows, int noheading, crio_err **err)
{
  int headers;
  _cleanup_free_ char *text = kpod_report_template(format, default_format, &headers);
  int r = kpod_template_check(text, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf raw = STRBUF_INIT;
  strbuf_puts(&raw, "");
  if (headers && !noheading) {
    _cleanup_json_ json_t *h = report_headers(columns);
    r = kpod_template_execute(text, h, &raw, err);
    if (r < 0)
      return r;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    r = kpod_template_execute(text, row, &raw, err);
    if (r < 0)
      return r;
  }
  kpod_tabwrite(out, raw.data, raw.len);
  return 0;
}

int kpod_report_write(FILE *f, const char *format, const char *default_format,
                      const kpod_column *columns, json_t *rows, int noheading, crio_err **err)
{
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  int r = kpod_report_render(&b, format, default_format, columns, rows, noheading, err);
  if (r < 0)
    return r;
  if (b.len && fwrite(b.data, 1, b.len, f) != b.len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write the output");
  return 0;
}
