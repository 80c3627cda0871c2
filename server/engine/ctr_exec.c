/* exec in a running container. */
#include "server/engine/ctr_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/engine/paths.h"
#include "server/image/layer_store.h"
#include "server/runtime/attach.h"
#include "server/runtime/oci_spec.h"
#include "server/runtime/exec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int open_running(engine *e, const char *ref, ctr_handle *h, crio_err **err)
{
  if (ctr_handle_open(e, ref, h, err) < 0)
    return -1;
  if (h->row->state != STORE_CTR_RUNNING) {
    crio_err_set(err, CRIO_E_CONFLICT, "container %s is %s, not running", h->row->name,
                 ctr_state_name(h->row->state));
    ctr_handle_clear(h);
    return -1;
  }
  return 0;
}

/* The runtime's exec_opts of an engine_exec_opts: checked, the user resolved
 * in the container's rootfs to numeric ids (the strings are owned here). */
typedef struct resolved_opts {
  exec_opts o;
  char *user;
  char **groups;
} resolved_opts;

static void resolved_opts_clear(resolved_opts *r)
{
  free(r->user);
  for (size_t i = 0; i < r->o.n_groups; i++)
    free(r->groups[i]);
  free(r->groups);
}

static int resolve_user(engine *e, const ctr_handle *h, const char *user, resolved_opts *r,
                        crio_err **err)
{
  _cleanup_free_ char *rootfs = rootfs_merged_dir(e->overlay_root, h->row->id);
  uid_t uid = 0;
  gid_t gid = 0;
  gid_t *groups = NULL;
  size_t n = 0;
  if (oci_resolve_user(rootfs, user, &uid, &gid, &groups, &n, NULL, err) < 0)
    return crio_err_wrap(err, "user \"%s\"", user);
  r->user = xasprintf("%u:%u", (unsigned)uid, (unsigned)gid);
  r->groups = xzalloc((n + 1) * sizeof *r->groups);
  for (size_t i = 0; i < n; i++)
    r->groups[i] = xasprintf("%u", (unsigned)groups[i]);
  free(groups);
  r->o.user = r->user;
  r->o.groups = r->groups;
  r->o.n_groups = n;
  return 0;
}

int engine_exec_opts_check(const engine_exec_opts *o, crio_err **err)
{
  for (size_t i = 0; o && i < o->n_env; i++) {
    const char *eq = o->env[i] ? strchr(o->env[i], '=') : NULL;
    if (!eq || eq == o->env[i])
      return crio_err_set(err, CRIO_E_INVALID, "exec: env \"%s\" is not KEY=VALUE",
                          o->env[i] ? o->env[i] : "");
  }
  if (o && o->workdir && o->workdir[0] && o->workdir[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "exec: workdir \"%s\" is not an absolute path",
                        o->workdir);
  return 0;
}

static int resolve_opts(engine *e, const ctr_handle *h, const engine_exec_opts *o, resolved_opts *r,
                        crio_err **err)
{
  memset(r, 0, sizeof *r);
  if (!o)
    return 0;
  if (engine_exec_opts_check(o, err) < 0)
    return -1;
  r->o = (exec_opts){.env = o->env, .n_env = o->n_env, .cwd = o->workdir};
  if (o->user && o->user[0])
    return resolve_user(e, h, o->user, r, err);
  return 0;
}

int engine_exec_sync(engine *e, const char *ref, char *const *argv, const engine_exec_opts *o,
                     int timeout_s, engine_exec_result *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  if (!argv || !argv[0] || !argv[0][0])
    return crio_err_set(err, CRIO_E_INVALID, "exec: no command given");
  ctr_handle h;
  if (open_running(e, ref, &h, err) < 0)
    return -1;
  resolved_opts ro;
  int r = resolve_opts(e, &h, o, &ro, err);
  ro.o.cancel_fd = e->stop_fd;
  if (r == 0)
    r = runtime_exec_sync(&h.rt, h.row->id, argv, &ro.o, timeout_s, &out->out, &out->out_len,
                          &out->err, &out->err_len, &out->exit_code, &out->timed_out, err);
  if (r < 0)
    crio_err_wrap(err, "exec in container %s", h.row->name);
  resolved_opts_clear(&ro);
  ctr_handle_clear(&h);
  return r;
}

void engine_exec_result_clear(engine_exec_result *r)
{
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

int engine_exec_start(engine *e, const char *ref, char *const *argv, const engine_exec_opts *o,
                      bool tty, bool stdin_open, engine_exec *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  out->pty = out->in = out->out = out->err = -1;
  if (!argv || !argv[0] || !argv[0][0])
    return crio_err_set(err, CRIO_E_INVALID, "exec: no command given");
  ctr_handle h;
  if (open_running(e, ref, &h, err) < 0)
    return -1;
  resolved_opts ro;
  exec_session *s = xzalloc(sizeof *s);
  int r = resolve_opts(e, &h, o, &ro, err);
  if (r == 0)
    r = runtime_exec_start(&h.rt, h.row->id, argv, &ro.o, tty, stdin_open, s, err);
  resolved_opts_clear(&ro);
  if (r < 0) {
    free(s);
    crio_err_wrap(err, "exec in container %s", h.row->name);
  } else {
    *out = (engine_exec){.pty = s->pty, .in = s->in, .out = s->out, .err = s->err, .session = s};
  }
  ctr_handle_clear(&h);
  return r;
}

int engine_exec_wait(engine_exec *x, int *exit_code, crio_err **err)
{
  return exec_session_wait(x->session, exit_code, err);
}

int engine_exec_resize(engine_exec *x, unsigned short rows, unsigned short cols, crio_err **err)
{
  return exec_session_resize(x->session, rows, cols, err);
}

void engine_exec_close_stdin(engine_exec *x)
{
  exec_session *s = x->session;
  if (x->pty >= 0) {
    if (write(x->pty, "\x04", 1) < 0)
      return;
  } else if (s && s->in >= 0) {
    close(s->in);
    s->in = -1;
  }
  x->in = -1;
}

void engine_exec_close(engine_exec *x)
{
  if (x->session) {
    exec_session_close(x->session);
    free(x->session);
  }
  memset(x, 0, sizeof *x);
  x->pty = x->in = x->out = x->err = -1;
}

int engine_attach_open(engine *e, const char *ref, engine_attach *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  out->fd = -1;
  store_container *c = NULL;
  if (store_container_lookup(e->store, ref, &c, err) < 0)
    return -1;
  int r = 0;
  if (c->state != STORE_CTR_RUNNING && c->state != STORE_CTR_CREATED)
    r = crio_err_set(err, CRIO_E_CONFLICT, "container %s is %s: nothing to attach to", c->name,
                     ctr_state_name(c->state));
  _cleanup_free_ char *sockets = attach_dir(e);
  if (r == 0)
    r = attach_open(sockets, c->id, &out->fd, err);
  if (r == 0) {
    out->id = xstrdup(c->id);
    out->ctl = ctr_dir(e, c->id); /* the bundle holds conmon's ctl FIFO */
  }
  store_container_free(c);
  return r;
}

int engine_attach_read(engine_attach *a, int *stream, char *buf, size_t cap, size_t *n,
                       crio_err **err)
{
  return attach_read(a->fd, stream, buf, cap, n, err);
}

int engine_attach_write(engine_attach *a, const void *buf, size_t n, crio_err **err)
{
  return attach_write_stdin(a->fd, buf, n, err);
}

int engine_attach_resize(engine_attach *a, unsigned short rows, unsigned short cols, crio_err **err)
{
  return attach_resize(a->ctl, rows, cols, err);
}

void engine_attach_close_stdin(engine_attach *a)
{
  attach_close_stdin(a->fd, NULL);
}

void engine_attach_close(engine_attach *a)
{
  if (a->fd >= 0)
    close(a->fd);
  free(a->id);
  free(a->ctl);
  memset(a, 0, sizeof *a);
  a->fd = -1;
}
