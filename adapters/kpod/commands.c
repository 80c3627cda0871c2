#include "commands.h"

#include <string.h>

#define KPOD_COMMAND_ENTRY(name) &kpod_cmd_##name,
const kpod_cmd *const kpod_commands[] = { KPOD_COMMANDS(KPOD_COMMAND_ENTRY) NULL };
#undef KPOD_COMMAND_ENTRY

static int alias_matches(const char *aliases, const char *name)
{
  size_t len = strlen(name);
  for (const char *p = aliases; p && *p;) {
    size_t n = strcspn(p, " ");
    if (n == len && strncmp(p, name, n) == 0)
      return 1;
    p += n + (p[n] == ' ');
  }
  return 0;
}

const kpod_cmd *kpod_cmd_lookup(const kpod_cmd *const *cmds, const char *name)
{
  for (const kpod_cmd *const *c = cmds; c && *c; c++)
    if (strcmp((*c)->name, name) == 0 || alias_matches((*c)->aliases, name))
      return *c;
  return NULL;
}

const kpod_cmd *kpod_command_find(const char *name)
{
  return kpod_cmd_lookup(kpod_commands, name);
}
