/* A container's seccomp and AppArmor profiles (see ctr_security.h). */
#include "server/engine/ctr_security.h"

#include <stdlib.h>

#include "server/runtime/oci_spec.h"
#include "server/security/apparmor.h"
#include "server/security/seccomp.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void cleanup_capsp(char ***caps)
{
  oci_env_free(*caps);
}

static int security_seccomp(engine *e, const engine_container_spec *s, char **json,
                            char **effective, crio_err **err)
{
  const engine_security *sec = &s->security;
  oci_spec_input in = { .cap_add = { sec->cap_add.items, sec->cap_add.n },
                        .cap_drop = { sec->cap_drop.items, sec->cap_drop.n },
                        .privileged = sec->privileged };
  __attribute__((cleanup(cleanup_capsp))) char **caps = NULL;
  size_t n_caps = 0;
  if (oci_spec_capabilities(&in, &caps, &n_caps, err) < 0)
    return -1;
  pthread_rwlock_rdlock(&e->lock);
  _cleanup_free_ char *default_path = xstrdup(e->cfg->seccomp_profile);
  pthread_rwlock_unlock(&e->lock);
  seccomp_request req = { .profile = sec->seccomp_profile, .default_path = default_path,
                          .privileged = sec->privileged, .caps = caps, .n_caps = n_caps };
  return seccomp_resolve(&req, json, effective, err);
}

int ctr_security_resolve(engine *e, engine_container_spec *s, char **seccomp_json,
                         char **apparmor, crio_err **err)
{
  _cleanup_free_ char *seccomp = NULL, *seccomp_effective = NULL;
  _cleanup_free_ char *aa = NULL, *aa_effective = NULL;
  if (security_seccomp(e, s, &seccomp, &seccomp_effective, err) < 0 ||
      apparmor_resolve(s->security.apparmor_profile, s->security.privileged, NULL, &aa,
                       &aa_effective, err) < 0)
    return crio_err_wrap(err, "container %s", s->name ? s->name : "");
  free(s->security.seccomp_profile);
  s->security.seccomp_profile = steal_pointer(&seccomp_effective);
  free(s->security.apparmor_profile);
  s->security.apparmor_profile = steal_pointer(&aa_effective);
  *seccomp_json = steal_pointer(&seccomp);
  *apparmor = steal_pointer(&aa);
  return 0;
}
