#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "cp.h"
#include "download.h"
#include "image.h"
#include "jsonutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The bytes of the container's archive that tell what its path is. */
#define CP_PROBE_MAX 8192

/* The other half of a transfer, run in a thread: the download of an
 * archive into fd (copy out), or the making of one into fd (copy in),
 * while kpod's thread unpacks or uploads the other end of the socket pair. */
typedef struct cp_job {
  int fd;
  kpod_client *c;              /* download: */
  const char *url;
  const char *src;             /* archive: */
  const char *name;
  const kpod_cp_owner *owner;
  bool peer_gone;              /* the other end was closed first */
  int r;
  crio_err *err;
} cp_job;

static int cp_send(const char *data, size_t len, void *userdata, crio_err **err)
{
  cp_job *job = userdata;
  while (len > 0) {
    ssize_t n = send(job->fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      job->peer_gone = errno == EPIPE || errno == ECONNRESET;
      return crio_err_errno(err, CRIO_E_IO, errno, "pass on the archive");
    }
    data += n;
    len -= (size_t) n;
  }
  return 0;
}

static void *cp_download_main(void *p)
{
  cp_job *job = p;
  job->r = kpod_client_download(job->c, job->url, cp_send, job, &job->err);
  close(steal_fd(&job->fd));
  return NULL;
}

static void *cp_archive_main(void *p)
{
  cp_job *job = p;
  job->r = kpod_cp_archive(job->fd, job->src, job->name, job->owner, &job->peer_gone, &job->err);
  close(steal_fd(&job->fd));
  return NULL;
}

/* Run fn(job) on sv[0] in a thread and work(sv[1]) here; the error that
 * explains the failure wins: the job's, unless it only saw this end close. */
static int cp_transfer(cp_job *job, void *(*fn)(void *),
                       int (*work)(int fd, void *data, crio_err **err), void *data, crio_err **err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "make a socket pair for the archive");
  job->fd = sv[0];
  pthread_t thread;
  int e = pthread_create(&thread, NULL, fn, job);
  if (e) {
    close(sv[0]);
    close(sv[1]);
    return crio_err_errno(err, CRIO_E_INTERNAL, e, "start a thread for the archive");
  }
  _cleanup_err_ crio_err *mine = NULL;
  int r = work(sv[1], data, &mine);
  close(sv[1]); /* a job still writing fails now instead of blocking */
  pthread_join(thread, NULL);
  _cleanup_err_ crio_err *theirs = steal_pointer(&job->err);
  if (job->r < 0 && !job->peer_gone)
    return crio_err_set(err, theirs ? theirs->code : CRIO_E_INTERNAL, "%s",
                        theirs ? theirs->message : "copy failed");
  if (r < 0)
    return crio_err_set(err, mine ? mine->code : CRIO_E_INTERNAL, "%s",
                        mine ? mine->message : "copy failed");
  return 0;
}

static char *cp_archive_url(const char *id, const char *path)
{
  _cleanup_strbuf_ strbuf q = STRBUF_INIT;
  kpod_query_add(&q, "path", path);
  _cleanup_free_ char *suffix = xasprintf("/archive%s", q.data);
  return kpod_object_path("containers", id, suffix);
}

static int cp_container_get(kpod_client *c, const char *name, json_t **out, crio_err **err)
{
  _cleanup_free_ char *path = kpod_object_path("containers", name, NULL);
  int r = kpod_client_request(c, "GET", path, NULL, out, err);
  if (r == 0 && !json_is_string(json_object_get(*out, "id")))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered GET %s with no Container", path);
  return r;
}

/* --- copy out -------------------------------------------------------------- */

typedef struct cp_out {
  bool contents_only;
  const char *dest;
  bool overwrite;
} cp_out;

static int cp_out_work(int fd, void *data, crio_err **err)
{
  const cp_out *o = data;
  return kpod_cp_extract(fd, o->contents_only, o->dest, o->overwrite, err);
}

static int cp_from_container(kpod_ctx *ctx, kpod_client *c, const kpod_args *args,
                             const kpod_cp_args *a, crio_err **err)
{
  _cleanup_json_ json_t *ctr = NULL;
  int r = cp_container_get(c, a->src.container, &ctr, err);
  if (r < 0)
    return r;
  const char *workdir = kpod_json_str(json_object_get(ctr, "spec"), "working_dir", "/");
  _cleanup_free_ char *path = kpod_cp_container_path(workdir, a->src.path);
  cp_out o = { .contents_only = kpod_cp_contents_only(path), .dest = a->dest.path,
               .overwrite = kpod_args_bool(args, "overwrite") };
  _cleanup_free_ char *trimmed = kpod_cp_trim(path); /* "/etc/" is the directory itself */
  _cleanup_free_ char *url = cp_archive_url(kpod_json_str(ctr, "id", ""),
                                            o.contents_only ? path : trimmed);
  if (strcmp(a->dest.path, "-") == 0)
    return kpod_download_to_stream(c, url, ctx->out, "stdout", err);
  cp_job job = { .c = c, .url = url };
  return cp_transfer(&job, cp_download_main, cp_out_work, &o, err);
}

/* --- copy in --------------------------------------------------------------- */

typedef struct cp_probe {
  strbuf head;
  bool stopped;
} cp_probe;

static int cp_probe_data(const char *data, size_t len, void *userdata, crio_err **err)
{
  cp_probe *p = userdata;
  strbuf_append(&p->head, data, len);
  if (p->head.len < CP_PROBE_MAX)
    return 0;
  p->stopped = true; /* enough to read the first header */
  return crio_err_set(err, CRIO_E_INTERNAL, "probe stopped");
}

/* Whether path exists in the container and is a directory: the first
 * entry of its archive tells, the rest is not fetched. */
static int cp_probe_dest(kpod_client *c, const char *id, kpod_cp_dest *d, crio_err **err)
{
  _cleanup_free_ char *trimmed = kpod_cp_trim(d->path);
  d->exists = d->is_dir = strcmp(trimmed, "/") == 0;
  if (d->exists)
    return 0;
  _cleanup_free_ char *url = cp_archive_url(id, trimmed);
  cp_probe p = { .head = STRBUF_INIT };
  _cleanup_err_ crio_err *e = NULL;
  int r = kpod_client_download(c, url, cp_probe_data, &p, &e);
  int is_dir = r == 0 || p.stopped ? kpod_cp_tar_first_is_dir(p.head.data, p.head.len) : -1;
  strbuf_free(&p.head);
  if (r < 0 && !p.stopped && e && e->code == CRIO_E_NOT_FOUND)
    return 0;
  if (r < 0 && !p.stopped)
    return crio_err_set(err, e ? e->code : CRIO_E_INTERNAL, "%s", e ? e->message : "probe failed");
  if (is_dir < 0)
    return crio_err_set(err, CRIO_E_INTERNAL, "crio's archive of %s cannot be read", trimmed);
  d->exists = true;
  d->is_dir = is_dir;
  return 0;
}

/* podman's --archive: the files become the container's user's (a numeric
 * "uid[:gid]"; root when it is unset or a name kpod cannot resolve). */
static kpod_cp_owner cp_owner(const kpod_args *args, const json_t *ctr)
{
  const char *archive = kpod_args_string(args, "archive");
  kpod_cp_owner o = { .chown = !archive || strcmp(archive, "true") == 0 };
  const char *user = kpod_json_str(json_object_get(ctr, "spec"), "user", "");
  char *end = NULL;
  unsigned long uid = strtoul(user, &end, 10);
  if (end == user || (*end && *end != ':') || uid > UINT_MAX)
    return o;
  o.uid = o.gid = (uid_t) uid;
  if (*end == ':') {
    const char *g = end + 1;
    unsigned long gid = strtoul(g, &end, 10);
    if (end != g && !*end && gid <= UINT_MAX)
      o.gid = (gid_t) gid;
  }
  return o;
}

typedef struct cp_in {
  kpod_client *c;
  const char *url;
} cp_in;

static int cp_in_work(int fd, void *data, crio_err **err)
{
  const cp_in *in = data;
  _cleanup_json_ json_t *res = NULL;
  return kpod_client_upload_method(in->c, "PUT", in->url, "application/x-tar", fd, -1, &res,
                                   err);
}

static int cp_from_stdin(kpod_client *c, const char *id, const char *dest, crio_err **err)
{
  if (isatty(STDIN_FILENO))
    return crio_err_set(err, CRIO_E_INVALID, "cannot read the tar stream from a terminal: "
                        "redirect stdin");
  _cleanup_free_ char *url = cp_archive_url(id, dest);
  cp_in in = { .c = c, .url = url };
  return cp_in_work(STDIN_FILENO, &in, err);
}

/* The name of the host's src in a copy: its last component, "." and ".."
 * resolved (a symlink is copied as itself, under its own name). */
static char *cp_src_name(const char *src)
{
  _cleanup_free_ char *trimmed = kpod_cp_trim(src);
  const char *slash = strrchr(trimmed, '/');
  const char *base = slash && slash[1] ? slash + 1 : trimmed;
  if (strcmp(base, ".") != 0 && strcmp(base, "..") != 0 && strcmp(base, "/") != 0)
    return xstrdup(base);
  _cleanup_free_ char *real = realpath(trimmed, NULL);
  slash = real ? strrchr(real, '/') : NULL;
  return xstrdup(slash && slash[1] ? slash + 1 : "root");
}

static int cp_to_container(kpod_client *c, const kpod_args *args, const kpod_cp_args *a,
                           crio_err **err)
{
  _cleanup_json_ json_t *ctr = NULL;
  int r = cp_container_get(c, a->dest.container, &ctr, err);
  if (r < 0)
    return r;
  const char *id = kpod_json_str(ctr, "id", "");
  const char *workdir = kpod_json_str(json_object_get(ctr, "spec"), "working_dir", "/");
  _cleanup_free_ char *dest = kpod_cp_container_path(workdir, a->dest.path);
  if (strcmp(a->src.path, "-") == 0)
    return cp_from_stdin(c, id, dest, err);
  struct stat st;
  if (lstat(a->src.path, &st) < 0)
    return crio_err_errno(err, CRIO_E_NOT_FOUND, errno, "\"%s\" could not be found on the host",
                          a->src.path);
  bool contents = kpod_cp_contents_only(a->src.path);
  if (contents && !S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "\"%s\" is not a directory", a->src.path);
  kpod_cp_dest d = { .path = dest };
  r = cp_probe_dest(c, id, &d, err);
  _cleanup_free_ char *name = cp_src_name(a->src.path);
  _cleanup_kpod_cp_plan_ kpod_cp_plan plan = { NULL, NULL };
  if (r == 0)
    r = kpod_cp_plan_make(name, S_ISDIR(st.st_mode), contents, &d, &plan, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *url = cp_archive_url(id, plan.dir);
  kpod_cp_owner owner = cp_owner(args, ctr);
  cp_job job = { .src = a->src.path, .name = plan.name, .owner = &owner };
  cp_in in = { .c = c, .url = url };
  return cp_transfer(&job, cp_archive_main, cp_in_work, &in, err);
}

static int cp_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  _cleanup_kpod_cp_args_ kpod_cp_args a = { { NULL, NULL }, { NULL, NULL } };
  int r = kpod_cp_parse(args->positional[0], args->positional[1], &a, err);
  kpod_client *c;
  if (r == 0)
    r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  if (a.src.container)
    return cp_from_container(ctx, c, args, &a, err);
  return cp_to_container(c, args, &a, err);
}

static const kpod_flag cp_flags[] = {
  { "archive", 'a', KPOD_FLAG_BOOL, NULL,
    "Chown copied files to the primary uid/gid of the destination container (default true)" },
  { "overwrite", 0, KPOD_FLAG_BOOL, NULL,
    "Allow to overwrite directories with non-directories and vice versa" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_cp = {
  .name = "cp",
  .summary = "Copy files/folders between a container and the local filesystem",
  .usage = "[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
  .description = "Copies a file or directory out of a container (GET /v1/containers/{id}/archive)\n"
                 "or into one (PUT .../archive) as a tar stream. SRC_PATH ending in \"/.\"\n"
                 "copies a directory's contents. \"-\" as DEST_PATH writes the tar stream to\n"
                 "stdout; as SRC_PATH, reads one from stdin into the container's directory.",
  .examples = "kpod cp mycontainer:/etc/hosts ./hosts\n"
              "kpod cp ./config.json mycontainer:/etc/app/\n"
              "kpod cp mycontainer:/var/log/. ./logs\n"
              "tar -c -C src . | kpod cp - mycontainer:/srv",
  .flags = cp_flags,
  .min_args = 2,
  .max_args = 2,
  .run = cp_run,
};
