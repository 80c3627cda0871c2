#ifndef CRIO_ENGINE_RECONCILE_H
#define CRIO_ENGINE_RECONCILE_H

#include "server/engine/engine_internal.h"

/* Brings the store in line with what runs (see reconcile.c). */
int engine_reconcile(engine *e, crio_err **err);

#endif
