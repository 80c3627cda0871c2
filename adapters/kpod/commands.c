#include "commands.h"

#include <string.h>

#define KPOD_COMMAND_ENTRY(name) &kpod_cmd_##name,
const kpod_cmd *const kpod_commands[] = { KPOD_COMMANDS(KPOD_COMMAND_ENTRY) NULL };
#undef KPOD_COMMAND_ENTRY

const kpod_cmd *kpod_command_find(const char *name)
{
  for (const kpod_cmd *const *c = kpod_commands; *c; c++)
    if (strcmp((*c)->name, name) == 0)
      return *c;
  return NULL;
}
