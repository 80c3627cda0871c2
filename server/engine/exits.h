/* Container exits: conmon writes RUNROOT/exits/<id> when a container's
 * process ends; a thread watches that directory (inotify) and records each
 * exit in the store as it happens, and wakes whoever waits for one. */
#ifndef CRIO_ENGINE_EXITS_H
#define CRIO_ENGINE_EXITS_H

#include "server/engine/engine_internal.h"

int exits_start(engine *e, crio_err **err);
void exits_stop(engine *e);
/* Records the exit of ctr_id if conmon has written it; *recorded tells. */
int exits_record(engine *e, const char *ctr_id, bool *recorded, crio_err **err);
/* Waits until something exited or timeout_ms passed. */
void exits_wait(engine *e, int timeout_ms);

#endif
