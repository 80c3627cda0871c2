#include <string.h>

#include "cli.h"
#include "commands.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static char *flag_left_column(const kpod_flag *f)
{
  strbuf b = STRBUF_INIT;
  if (f->short_name)
    strbuf_printf(&b, "  -%c, --%s", f->short_name, f->name);
  else
    strbuf_printf(&b, "      --%s", f->name);
  if (f->type != KPOD_FLAG_BOOL)
    strbuf_printf(&b, " %s", f->value_name ? f->value_name : "string");
  return strbuf_steal(&b);
}

/* cobra's layout: one flag a line, sorted by name, help texts aligned. */
static void help_flags(FILE *out, const kpod_flag *flags, const char *help_for)
{
  const kpod_flag help = { "help", 'h', KPOD_FLAG_BOOL, NULL, NULL };
  const kpod_flag *all[KPOD_FLAGS_MAX + 1];
  size_t n = 0;
  all[n++] = &help;
  for (size_t i = 0; flags && flags[i].name && n < ARRAY_SIZE(all); i++)
    all[n++] = &flags[i];
  for (size_t i = 1; i < n; i++) /* insertion sort: tables are short */
    for (size_t j = i; j > 0 && strcmp(all[j - 1]->name, all[j]->name) > 0; j--) {
      const kpod_flag *tmp = all[j];
      all[j] = all[j - 1];
      all[j - 1] = tmp;
    }
  size_t width = 0;
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *left = flag_left_column(all[i]);
    width = strlen(left) > width ? strlen(left) : width;
  }
  fputs("Options:\n", out);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *left = flag_left_column(all[i]);
    if (all[i] == &help)
      fprintf(out, "%-*s   help for %s\n", (int) width, left, help_for);
    else
      fprintf(out, "%-*s   %s\n", (int) width, left, all[i]->help);
  }
}

void kpod_help_main(FILE *f)
{
  fputs("Manage pods, containers and images of the crio daemon\n\n"
        "Usage:\n  kpod [options] COMMAND\n\nAvailable Commands:\n", f);
  for (const kpod_cmd *const *c = kpod_commands; *c; c++)
    fprintf(f, "  %-11s %s\n", (*c)->name, (*c)->summary);
  fputc('\n', f);
  help_flags(f, kpod_global_flags, "kpod");
  fputs("\nEnvironment:\n"
        "  CRIO_API         the API's URL when --url is not given\n"
        "  CRIO_API_TOKEN   the bearer token when --token is not given\n"
        "\nRun 'kpod COMMAND --help' for more information on a command.\n", f);
}

static void help_indented(FILE *f, const char *text)
{
  for (const char *line = text; *line;) {
    size_t n = strcspn(line, "\n");
    fprintf(f, n ? "  %.*s\n" : "%.*s\n", (int) n, line);
    line += n + (line[n] == '\n');
  }
}

static void help_subcommands(FILE *f, const kpod_cmd *const *subs)
{
  fputs("\nAvailable Commands:\n", f);
  for (const kpod_cmd *const *c = subs; *c; c++)
    fprintf(f, "  %-11s %s\n", (*c)->name, (*c)->summary);
}

void kpod_help_command(FILE *f, const kpod_cmd *cmd, const char *path)
{
  path = path ? path : cmd->name;
  fprintf(f, "%s\n\nDescription:\n", cmd->summary);
  help_indented(f, cmd->description ? cmd->description : cmd->summary);
  fprintf(f, "\nUsage:\n  kpod %s %s\n", path, cmd->usage ? cmd->usage : "[options]");
  if (cmd->aliases) { /* cobra's "ps, ls, list" */
    fprintf(f, "\nAliases:\n  %s, ", cmd->name);
    for (const char *a = cmd->aliases; *a; a++)
      fputs(*a == ' ' ? ", " : (char[]) { *a, 0 }, f);
    fputc('\n', f);
  }
  if (cmd->subcommands)
    help_subcommands(f, cmd->subcommands);
  if (cmd->examples) {
    fputs("\nExamples:\n", f);
    help_indented(f, cmd->examples);
  }
  fputc('\n', f);
  help_flags(f, cmd->flags, cmd->name);
}
