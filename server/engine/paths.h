/* Where the engine keeps pods' and containers' files. */
#ifndef CRIO_ENGINE_PATHS_H
#define CRIO_ENGINE_PATHS_H

#include "server/engine/engine_internal.h"

char *pod_dir(engine *e, const char *pod_id);        /* RUNROOT/pods/ID: resolv.conf, hosts */
char *ns_dir(engine *e);                             /* RUNROOT/ns: pinned namespaces */
char *ctr_dir(engine *e, const char *ctr_id);        /* ROOT/containers/ID: bundle, log */
char *ctr_run_dir(engine *e, const char *ctr_id);    /* RUNROOT/containers/ID: pidfiles */
char *exits_dir(engine *e);                          /* RUNROOT/exits: conmon's exit files */
char *attach_dir(engine *e);                         /* RUNROOT/attach: conmon's sockets */
/* A new random 64-hex ID. */
char *new_id(void);
/* Names of pods and containers: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253. */
int check_name(const char *what, const char *name, crio_err **err);

#endif
