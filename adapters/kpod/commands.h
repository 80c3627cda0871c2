/* The verbs of kpod, in the order `kpod --help` lists them.
 *
 * Adding a verb: write cmd_<name>.c defining `const kpod_cmd kpod_cmd_<name>`
 * (see command.h) and add one X(<name>) line below. */
#ifndef KPOD_COMMANDS_H
#define KPOD_COMMANDS_H

#include "command.h"

#define KPOD_COMMANDS(X) \
  X(help)                \
  X(history)             \
  X(images)              \
  X(info)                \
  X(inspect)             \
  X(load)                \
  X(login)               \
  X(logout)              \
  X(pull)                \
  X(push)                \
  X(rmi)                 \
  X(save)                \
  X(tag)                 \
  X(version)

#define KPOD_DECLARE_COMMAND(name) extern const kpod_cmd kpod_cmd_##name;
KPOD_COMMANDS(KPOD_DECLARE_COMMAND)
#undef KPOD_DECLARE_COMMAND

/* Every verb, NULL-terminated. */
extern const kpod_cmd *const kpod_commands[];

/* The verb called name, or NULL. */
const kpod_cmd *kpod_command_find(const char *name);

#endif
