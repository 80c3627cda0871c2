/* login and logout: credentials checked against the registry, kept in an
 * auth.json (containers-auth.json(5)). */
#include "server/engine/registry_session.h"

#include <stdlib.h>
#include <string.h>

#include "server/image/auth_file.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static char *auth_file_for(const registry_settings *s, const char *asked)
{
  if (asked && asked[0])
    return xstrdup(asked);
  if (s->auth_file)
    return xstrdup(s->auth_file);
  char *def = NULL;
  auth_file_default_path(&def);
  return def;
}

int engine_login(engine *e, const engine_login_opts *o, char **auth_file_out, crio_err **err)
{
  if (!o->registry || !o->registry[0] || !image_ref_domain_valid(o->registry))
    return crio_err_set(err, CRIO_E_INVALID, "login: \"%s\" is not a registry (HOST[:PORT])",
                        o->registry ? o->registry : "");
  if (!o->username || !o->username[0] || !o->password || !o->password[0])
    return crio_err_set(err, CRIO_E_INVALID, "login to %s: username and password are required",
                        o->registry);
  registry_settings s;
  registry_settings_get(e, NULL, &s);
  _cleanup_free_ char *path = auth_file_for(&s, o->auth_file);
  registry_opts ro = { .host = o->registry, .username = o->username, .password = o->password,
                       .auth_file = path, .certs_dir = s.certs_dir, .cancel_fd = e->stop_fd,
                       .insecure = o->tls_verify == 0 ||
                                   (o->tls_verify != 1 && registry_is_insecure(&s, o->registry)) };
  registry_client *rc = NULL;
  int r = registry_client_new(&ro, &rc, err);
  if (r == 0)
    r = registry_ping(rc, err);
  if (r == 0)
    r = auth_file_set(path, o->registry, o->username, o->password, err);
  registry_client_free(rc);
  registry_settings_clear(&s);
  if (r < 0)
    return crio_err_wrap(err, "login to %s", o->registry);
  *auth_file_out = steal_pointer(&path);
  return 0;
}

int engine_logout(engine *e, const char *registry, const char *auth_file, char **auth_file_out,
                  crio_err **err)
{
  registry_settings s;
  registry_settings_get(e, NULL, &s);
  _cleanup_free_ char *path = auth_file_for(&s, auth_file);
  registry_settings_clear(&s);
  int r = registry ? auth_file_remove(path, registry, err) : auth_file_remove_all(path, err);
  if (r < 0)
    return -1;
  *auth_file_out = steal_pointer(&path);
  return 0;
}
