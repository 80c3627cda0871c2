/* Pull, step one: from a reference to a verified manifest and config. */
#include "server/engine/pull_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/image/registries_conf.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_CONFIG_SIZE (8 << 20)

/* Follows an index to this platform's manifest; replaces p->manifest. */
static int resolve_index(pull_ctx *p, const char *repo, crio_err **err)
{
  platform want = { 0 };
  if (p->opts->platform ? platform_parse(p->opts->platform, &want, err) < 0 : (platform_host(&want), 0))
    return -1;
  _cleanup_free_ char *digest = NULL, *mt = NULL;
  int r = index_choose(p->manifest, p->manifest_len, &want, &digest, &mt, err);
  platform_clear(&want);
  if (r < 0)
    return r;
  free(p->manifest);
  free(p->manifest_digest);
  p->manifest = p->manifest_digest = NULL;
  const char *accept[] = { MT_OCI_MANIFEST, MT_DOCKER_MANIFEST, NULL };
  _cleanup_free_ char *got_mt = NULL;
  return registry_get_manifest(p->rc, repo, digest, accept, &p->manifest, &p->manifest_len,
                               &got_mt, &p->manifest_digest, err);
}

static int fetch_manifest_and_config(pull_ctx *p, const char *repo, const char *ref,
                                     crio_err **err)
{
  _cleanup_free_ char *mt = NULL, *resolved = NULL;
  manifest_kind kind;
  if (registry_get_manifest(p->rc, repo, ref, NULL, &p->manifest, &p->manifest_len, &mt,
                            &p->manifest_digest, err) < 0 ||
      manifest_kind_of(mt, p->manifest, p->manifest_len, &kind, &resolved, err) < 0)
    return -1;
  if (kind == MANIFEST_INDEX) {
    free(resolved);
    resolved = NULL;
    if (resolve_index(p, repo, err) < 0 ||
        manifest_kind_of(NULL, p->manifest, p->manifest_len, &kind, &resolved, err) < 0)
      return -1;
    if (kind != MANIFEST_IMAGE)
      return crio_err_set(err, CRIO_E_INVALID, "manifest list entry is itself a list");
  }
  if (manifest_parse(p->manifest, p->manifest_len, resolved, &p->man, err) < 0 ||
      registry_get_blob_bytes(p->rc, repo, p->man.config.digest, MAX_CONFIG_SIZE, &p->config,
                              &p->config_len, err) < 0 ||
      image_config_parse(p->config, p->config_len, &p->cfg, err) < 0)
    return -1;
  if (p->cfg.n_diff_ids != p->man.n_layers)
    return crio_err_set(err, CRIO_E_INVALID,
                        "image config lists %zu layers but the manifest has %zu",
                        p->cfg.n_diff_ids, p->man.n_layers);
  p->config_digest = xstrdup(p->man.config.digest);
  return 0;
}

static void reset_resolution(pull_ctx *p)
{
  registry_client_free(p->rc);
  p->rc = NULL;
  free(p->manifest);
  free(p->manifest_digest);
  free(p->config);
  free(p->config_digest);
  free(p->repo_path);
  p->manifest = p->manifest_digest = p->config = p->config_digest = p->repo_path = NULL;
  image_manifest_clear(&p->man);
  image_config_clear(&p->cfg);
}

static int try_endpoint(pull_ctx *p, const registry_endpoint *ep, const image_ref *ref,
                        crio_err **err)
{
  const engine_creds *c = &p->opts->creds;
  registry_opts o = { .host = ep->host,
                      .insecure = p->opts->tls_verify == 0 || (ep->insecure && p->opts->tls_verify != 1),
                      .username = c->username, .password = c->password, .auth_file = p->settings.auth_file,
                      .certs_dir = p->settings.certs_dir, .cancel_fd = p->e->stop_fd };
  if (registry_client_new(&o, &p->rc, err) < 0)
    return -1;
  p->repo_path = xstrdup(ep->repo_path);
  int r = fetch_manifest_and_config(p, ep->repo_path, ref->digest ? ref->digest : ref->tag, err);
  if (r < 0)
    reset_resolution(p);
  return r;
}

/* Tries the endpoints of one candidate reference (mirrors, then the registry). */
static int try_candidate(pull_ctx *p, const registries_conf *conf, const image_ref *ref,
                         crio_err **err)
{
  registry_endpoint *eps = NULL;
  size_t n = 0;
  if (registries_conf_endpoints(conf, ref, p->settings.insecure, p->settings.n_insecure, &eps,
                                &n, err) < 0)
    return -1;
  int r = crio_err_set(err, CRIO_E_NOT_FOUND, "no registry configured for %s", ref->domain);
  for (size_t i = 0; i < n; i++) {
    crio_err_free(*err);
    *err = NULL;
    r = try_endpoint(p, &eps[i], ref, err);
    if (r == 0 || (*err)->code == CRIO_E_INVALID || (*err)->code == CRIO_E_UNAUTHORIZED)
      break;  /* a bad image or bad credentials: a mirror would not fix it */
    log_debug("pull %s from %s: %s", p->opts->reference, eps[i].host, (*err)->message);
  }
  registry_endpoints_free(eps, n);
  return r;
}

/* Short names are tried in each unqualified-search registry, in order. */
static int resolve_short_name(pull_ctx *p, const registries_conf *conf, crio_err **err)
{
  size_t n = 0;
  const char *const *search = registries_conf_search(conf, &n);
  if (n == 0)
    return crio_err_set(err, CRIO_E_INVALID,
                        "short name \"%s\": %s lists no unqualified-search-registries; use a "
                        "fully qualified reference",
                        p->opts->reference, p->settings.registries_conf);
  for (size_t i = 0; i < n; i++) {
    image_ref cand;
    if (image_ref_with_domain(p->opts->reference, search[i], &cand, err) < 0)
      return -1;
    crio_err_free(*err);
    *err = NULL;
    if (try_candidate(p, conf, &cand, err) == 0) {
      p->ref = cand;
      return 0;
    }
    image_ref_clear(&cand);
    if ((*err)->code == CRIO_E_INVALID || (*err)->code == CRIO_E_UNAUTHORIZED)
      return -1;
  }
  return crio_err_wrap(err, "short name \"%s\" found in none of the search registries",
                       p->opts->reference);
}

int pull_resolve(pull_ctx *p, crio_err **err)
{
  image_ref ref;
  if (image_ref_parse(p->opts->reference, &ref, err) < 0)
    return -1;
  registries_conf *conf = NULL;
  if (registries_conf_load(p->settings.registries_conf, &conf, err) < 0) {
    image_ref_clear(&ref);
    return -1;
  }
  int r;
  if (image_ref_is_short_name(p->opts->reference)) {
    image_ref_clear(&ref);
    r = resolve_short_name(p, conf, err);
  } else {
    r = try_candidate(p, conf, &ref, err);
    if (r == 0)
      p->ref = ref;
    else
      image_ref_clear(&ref);
  }
  registries_conf_free(conf);
  return r;
}
