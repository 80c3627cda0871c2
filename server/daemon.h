/* The daemon's life: the root's lock, the faces started on the engine, the
 * signal loop (SIGTERM/SIGINT stop, SIGHUP reloads), a clean shutdown that
 * leaves containers running. */
#ifndef CRIO_SERVER_DAEMON_H
#define CRIO_SERVER_DAEMON_H

#include "server/config.h"

/* The command-line settings; they win over crio.conf, also on reload. */
typedef struct crio_flags {
  const char *config;       /* --config; NULL: the default file if it exists */
  const char *root;
  const char *runroot;
  const char *api_socket;
  const char *cri_socket;
  const char *listen;
  const char *log_level;
} crio_flags;

/* Builds the effective configuration: defaults, crio.conf, then flags. */
int daemon_load_config(const crio_flags *flags, crio_config **out, crio_err **err);

/* Runs until SIGTERM or SIGINT; returns the process exit status. */
int daemon_run(const crio_flags *flags, crio_config *cfg);

#endif
