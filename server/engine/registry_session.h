/* Registry settings copied from the configuration, and clients for pushes
 * and logins (pulls resolve mirrors and search registries themselves). */
#ifndef CRIO_ENGINE_REGISTRY_SESSION_H
#define CRIO_ENGINE_REGISTRY_SESSION_H

#include "server/engine/engine_internal.h"
#include "server/image/reference.h"
#include "server/image/registry_client.h"

typedef struct registry_settings {
  char *registries_conf;
  char **insecure;
  size_t n_insecure;
  char *auth_file;   /* NULL: the registry client's default */
  char *certs_dir;
} registry_settings;

void registry_settings_get(engine *e, const engine_creds *creds, registry_settings *out);
void registry_settings_clear(registry_settings *s);
bool registry_is_insecure(const registry_settings *s, const char *host);
int registry_open_for_push(const registry_settings *s, const image_ref *ref, int tls_verify,
                           const engine_creds *creds, registry_client **rc, char **repo_path,
                           crio_err **err);

#endif
