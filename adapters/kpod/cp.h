/* `kpod cp`: its arguments read as podman reads them, where a copy lands
 * (podman's and docker's rules, the same in both directions), and the tar
 * streams of the two directions made and unpacked with libarchive.
 *
 * Where a copy of SRC to DEST lands:
 * - DEST an existing directory: SRC goes inside it, under its own name
 *   (SRC ending in "/." or being "/": its contents go inside);
 * - DEST an existing file: SRC (a file) replaces it; a directory cannot;
 * - DEST missing: SRC is created as DEST (its parent must exist); a file
 *   cannot go to a missing "DEST/". */
#ifndef KPOD_CP_H
#define KPOD_CP_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

/* One side of the copy: CONTAINER:PATH, or a host path ("-": stdin or
 * stdout as a tar stream). */
typedef struct kpod_cp_arg {
  char *container;  /* NULL on the host */
  char *path;
} kpod_cp_arg;

typedef struct kpod_cp_args {
  kpod_cp_arg src, dest;
} kpod_cp_args;

/* As podman's ParseSourceAndDestination: an argument starting with "/" is a
 * host path; else "NAME:PATH" names a container (the first colon splits).
 * Errors: a missing path or container name, host to host, container to
 * container. */
int kpod_cp_parse(const char *src, const char *dest, kpod_cp_args *out, crio_err **err);
void kpod_cp_args_release(kpod_cp_args *a);
#define _cleanup_kpod_cp_args_ __attribute__((cleanup(kpod_cp_args_release)))

/* A path in the container made absolute against its working directory
 * (workdir NULL or "": "/"), as podman resolves a relative one. Owned. */
char *kpod_cp_container_path(const char *workdir, const char *path);

/* Whether path names a directory's contents, not the directory: it ends in
 * "/." or is "." or "/" (slashes repeated or not). */
bool kpod_cp_contents_only(const char *path);

/* path without its trailing slashes ("/" stays "/"). Owned. */
char *kpod_cp_trim(const char *path);

/* What is known of the destination. */
typedef struct kpod_cp_dest {
  const char *path;
  bool exists;
  bool is_dir;
} kpod_cp_dest;

/* Where the entries of the copy go: in dir, the source's top entry named
 * name; name NULL: the source directory's contents straight into dir. */
typedef struct kpod_cp_plan {
  char *dir;
  char *name;
} kpod_cp_plan;

/* The plan for a source whose top entry is called src_name (a directory
 * when src_is_dir; contents_only: its contents are copied, see
 * kpod_cp_contents_only) copied to dest, by the rules above. */
int kpod_cp_plan_make(const char *src_name, bool src_is_dir, bool contents_only,
                      const kpod_cp_dest *dest, kpod_cp_plan *plan, crio_err **err);
void kpod_cp_plan_release(kpod_cp_plan *p);
#define _cleanup_kpod_cp_plan_ __attribute__((cleanup(kpod_cp_plan_release)))

/* Copy out: unpack the tar read from fd (the answer of GET .../archive:
 * entries under the source's name, or its contents when contents_only)
 * into the host's dest by the rules above. Modes and times are kept, and
 * owners when kpod runs as root; nothing is written outside the target
 * ("..", absolute names and symlinked parents are refused). */
int kpod_cp_extract(int fd, bool contents_only, const char *dest, bool overwrite, crio_err **err);

/* What a tar made for copy in says of owners. */
typedef struct kpod_cp_owner {
  bool chown;  /* every entry owned by uid:gid (podman's --archive) */
  uid_t uid;
  gid_t gid;
} kpod_cp_owner;

/* Copy in: write to fd, as a tar stream, the host's src (a file or a
 * directory, symlinks not followed) with its top entry named name, or
 * only its contents when name is NULL. fd is written with send(), so a
 * reader that went away fails the call (*peer_gone set) instead of raising
 * SIGPIPE. */
int kpod_cp_archive(int fd, const char *src, const char *name, const kpod_cp_owner *owner,
                    bool *peer_gone, crio_err **err);

/* The type of the first entry of the tar whose beginning is data: 1 a
 * directory, 0 anything else, -1 when data holds no complete header. */
int kpod_cp_tar_first_is_dir(const char *data, size_t len);

#endif
