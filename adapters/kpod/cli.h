/* kpod's entry: global options, verb dispatch, error reporting and exit
 * codes (0 success, 125 any error of kpod or of the daemon, as podman). */
#ifndef KPOD_CLI_H
#define KPOD_CLI_H

#include "command.h"

#define KPOD_EXIT_ERROR 125

/* The options that come before the verb: --url, --token, --version. */
extern const kpod_flag kpod_global_flags[];

/* kpod's whole run; main() returns it. */
int kpod_main(int argc, char **argv);

/* Usage text: kpod's, and a verb's. path is how the verb is called after
 * "kpod " ("pod create"); NULL for cmd->name. A group lists its verbs. */
void kpod_help_main(FILE *f);
void kpod_help_command(FILE *f, const kpod_cmd *cmd, const char *path);

#endif
