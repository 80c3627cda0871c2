/* auth.json: registry credentials in the format podman, buildah and skopeo
 * use (containers-auth.json(5)):
 *
 *   {"auths": {"quay.io": {"auth": "base64(user:password)"},
 *              "quay.io/team/app": {"auth": "..."}, ...}, <other fields>}
 *
 * A key is a registry host[:port] ("quay.io", "127.0.0.1:5000") or a
 * namespace under one ("quay.io/team", "quay.io/team/app"). Lookups try the
 * most specific namespace first, then shorter ones, then the host. Legacy
 * Docker keys ("https://index.docker.io/v1/") match their host, and
 * index.docker.io / registry-1.docker.io match docker.io.
 *
 * Writers keep every other entry and every unknown field, create missing
 * parent directories 0700 and replace the file (0600) atomically. Writers in
 * one process are serialized; concurrent writers in different processes are
 * not (the last rename wins, as with podman). */
#ifndef CRIO_IMAGE_AUTH_FILE_H
#define CRIO_IMAGE_AUTH_FILE_H

#include "util/err.h"

/* The default auth.json (a new string in *out; always succeeds):
 * $REGISTRY_AUTH_FILE when set, else $XDG_RUNTIME_DIR/containers/auth.json,
 * else /run/containers/<uid>/auth.json, which is podman's file for root
 * (/run/containers/0/auth.json) and so the daemon's. */
int auth_file_default_path(char **out);

/* Credentials for host_or_repo ("127.0.0.1:5000" or "quay.io/team/app",
 * without tag or digest) from the file at path (NULL: the default path).
 * No file or no matching entry: *user and *pass are set to NULL and 0 is
 * returned. A file that is not valid JSON, or an entry whose auth is not
 * base64 of "user:password", is CRIO_E_INVALID naming the file. */
int auth_file_get(const char *path, const char *host_or_repo, char **user, char **pass,
                  crio_err **err);

/* Store user:pass under key host (a host[:port] or a namespace). */
int auth_file_set(const char *path, const char *host, const char *user, const char *pass,
                  crio_err **err);

/* Remove the entries for host (and legacy keys naming the same host):
 * CRIO_E_NOT_FOUND "not logged in to HOST" when there is none. */
int auth_file_remove(const char *path, const char *host, crio_err **err);

/* Remove every entry; other fields stay. A missing file is not an error. */
int auth_file_remove_all(const char *path, crio_err **err);

#endif
