/* Opening a registry client for a reference, the way pulls and pushes share:
 * registries.conf locations, insecure registries, credentials. */
#include "server/engine/registry_session.h"

#include <stdlib.h>
#include <string.h>

#include "server/image/registries_conf.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void registry_settings_get(engine *e, const engine_creds *creds, registry_settings *out)
{
  memset(out, 0, sizeof *out);
  pthread_rwlock_rdlock(&e->lock);
  const crio_config *cfg = e->cfg;
  out->registries_conf = xstrdup(cfg->registries_conf);
  out->certs_dir = xstrdup(cfg->certs_dir);
  out->n_insecure = cfg->n_insecure_registries;
  out->insecure = xzalloc((out->n_insecure + 1) * sizeof *out->insecure);
  for (size_t i = 0; i < out->n_insecure; i++)
    out->insecure[i] = xstrdup(cfg->insecure_registries[i]);
  if (creds && creds->auth_file && creds->auth_file[0])
    out->auth_file = xstrdup(creds->auth_file);
  else if (cfg->global_auth_file[0])
    out->auth_file = xstrdup(cfg->global_auth_file);
  pthread_rwlock_unlock(&e->lock);
}

void registry_settings_clear(registry_settings *s)
{
  free(s->registries_conf);
  for (size_t i = 0; i < s->n_insecure; i++)
    free(s->insecure[i]);
  free(s->insecure);
  free(s->auth_file);
  free(s->certs_dir);
  memset(s, 0, sizeof *s);
}

bool registry_is_insecure(const registry_settings *s, const char *host)
{
  for (size_t i = 0; i < s->n_insecure; i++)
    if (strcmp(s->insecure[i], host) == 0)
      return true;
  return false;
}

int registry_open_for_push(const registry_settings *s, const image_ref *ref, int tls_verify,
                           const engine_creds *creds, registry_client **rc, char **repo_path,
                           crio_err **err)
{
  registries_conf *conf = NULL;
  if (registries_conf_load(s->registries_conf, &conf, err) < 0)
    return -1;
  registry_endpoint *eps = NULL;
  size_t n = 0;
  int r = registries_conf_endpoints(conf, ref, s->insecure, s->n_insecure, &eps, &n, err);
  registries_conf_free(conf);
  if (r < 0)
    return -1;
  /* pushes go to the registry itself, never to a mirror */
  const registry_endpoint *ep = NULL;
  for (size_t i = 0; i < n; i++)
    if (!eps[i].is_mirror)
      ep = &eps[i];
  if (!ep) {
    registry_endpoints_free(eps, n);
    return crio_err_set(err, CRIO_E_INVALID, "no registry location for %s", ref->domain);
  }
  registry_opts o = { .host = ep->host,
                      .insecure = tls_verify == 0 || (ep->insecure && tls_verify != 1),
                      .username = creds ? creds->username : NULL,
                      .password = creds ? creds->password : NULL, .auth_file = s->auth_file,
                      .certs_dir = s->certs_dir };
  r = registry_client_new(&o, rc, err);
  if (r == 0)
    *repo_path = xstrdup(ep->repo_path);
  registry_endpoints_free(eps, n);
  return r;
}
