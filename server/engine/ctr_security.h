/* A container's seccomp and AppArmor profiles, chosen before anything of
 * the container is made (server/security does the choosing). */
#ifndef CRIO_ENGINE_CTR_SECURITY_H
#define CRIO_ENGINE_CTR_SECURITY_H

#include "server/engine/engine_internal.h"

/* *seccomp_json: the linux.seccomp object as JSON text, NULL for none;
 * *apparmor: the process.apparmorProfile, NULL for none (free both).
 * s->security.seccomp_profile and .apparmor_profile are replaced by the
 * profiles in effect, which the stored spec (and inspect) then show. */
int ctr_security_resolve(engine *e, engine_container_spec *s, char **seccomp_json,
                         char **apparmor, crio_err **err);

#endif
