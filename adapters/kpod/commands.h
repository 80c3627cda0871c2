/* The verbs of kpod, in the order `kpod --help` lists them.
 *
 * Adding a verb: write cmd_<name>.c defining `const kpod_cmd kpod_cmd_<name>`
 * (see command.h) and add one X(<name>) line below. A group of verbs (`kpod
 * pod create`) is a kpod_cmd with .subcommands instead of .run; its verbs
 * are listed there, not here. */
#ifndef KPOD_COMMANDS_H
#define KPOD_COMMANDS_H

#include "command.h"

#define KPOD_COMMANDS(X) \
  X(attach)              \
  X(cp)                  \
  X(create)              \
  X(diff)                \
  X(exec)                \
  X(export)              \
  X(help)                \
  X(history)             \
  X(images)              \
  X(info)                \
  X(inspect)             \
  X(kill)                \
  X(load)                \
  X(login)               \
  X(logout)              \
  X(logs)                \
  X(mount)               \
  X(pause)               \
  X(pod)                 \
  X(ps)                  \
  X(pull)                \
  X(push)                \
  X(rename)              \
  X(rm)                  \
  X(rmi)                 \
  X(run)                 \
  X(save)                \
  X(start)               \
  X(stats)               \
  X(stop)                \
  X(tag)                 \
  X(umount)              \
  X(unpause)             \
  X(version)             \
  X(wait)

#define KPOD_DECLARE_COMMAND(name) extern const kpod_cmd kpod_cmd_##name;
KPOD_COMMANDS(KPOD_DECLARE_COMMAND)
#undef KPOD_DECLARE_COMMAND

/* Every verb, NULL-terminated. */
extern const kpod_cmd *const kpod_commands[];

/* The verb called name, or NULL. */
const kpod_cmd *kpod_command_find(const char *name);

#endif
