/* exec in a running container. */
#include "server/engine/ctr_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/runtime/exec.h"
#include "util/cleanup.h"

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

int engine_exec_sync(engine *e, const char *ref, char *const *argv, int timeout_s,
                     engine_exec_result *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  if (!argv || !argv[0] || !argv[0][0])
    return crio_err_set(err, CRIO_E_INVALID, "exec: no command given");
  ctr_handle h;
  if (open_running(e, ref, &h, err) < 0)
    return -1;
  int r = runtime_exec_sync(&h.rt, h.row->id, argv, timeout_s, &out->out, &out->out_len,
                            &out->err, &out->err_len, &out->exit_code, &out->timed_out, err);
  if (r < 0)
    crio_err_wrap(err, "exec in container %s", h.row->name);
  ctr_handle_clear(&h);
  return r;
}

void engine_exec_result_clear(engine_exec_result *r)
{
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}
