/* ExecSync, and the streaming calls (Exec, Attach, PortForward). */
#include "adapters/cri/cri_common.h"

#include <stdio.h>
#include <stdlib.h>

/* The CRI caps ExecSync output at 16 MiB a stream. */
#define EXEC_OUTPUT_CAP (16u << 20)

static void take_output(ProtobufCBinaryData *dst, char **src, size_t len)
{
  if (len > EXEC_OUTPUT_CAP)
    len = EXEC_OUTPUT_CAP;
  dst->data = (uint8_t *)*src;
  dst->len = *src ? len : 0;
  *src = NULL;
}

static int h_exec_sync(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                       crio_err **err)
{
  const Runtime__V1__ExecSyncRequest *q = (const Runtime__V1__ExecSyncRequest *)req;
  if (!q->container_id || !*q->container_id)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync: container_id is empty");
  if (q->n_cmd == 0)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync %s: cmd is empty", q->container_id);
  if (q->timeout < 0 || q->timeout > 0x7fffffff)
    return crio_err_set(err, CRIO_E_INVALID, "ExecSync %s: bad timeout %lld", q->container_id,
                        (long long)q->timeout);
  char **argv = xmalloc((q->n_cmd + 1) * sizeof *argv);
  for (size_t i = 0; i < q->n_cmd; i++)
    argv[i] = q->cmd[i];
  argv[q->n_cmd] = NULL;
  engine_exec_result res = {0};
  int rc = engine_exec_sync(e, q->container_id, argv, NULL, (int)q->timeout, &res, err);
  if (rc < 0) {
    free(argv);
    return rc;
  }
  if (res.timed_out) {
    rc = crio_err_set(err, CRIO_E_UNAVAILABLE, "command '%s' timed out after %lld s", argv[0],
                      (long long)q->timeout);
    free(argv);
    engine_exec_result_clear(&res);
    return rc;
  }
  free(argv);
  Runtime__V1__ExecSyncResponse *r =
      NEW_MSG(Runtime__V1__ExecSyncResponse, runtime__v1__exec_sync_response__init);
  take_output(&r->stdout, &res.out, res.out_len);
  take_output(&r->stderr, &res.err, res.err_len);
  r->exit_code = res.exit_code;
  engine_exec_result_clear(&res);
  *resp = &r->base;
  return 0;
}

/* Exec, Attach and PortForward answer with a URL of the streaming server,
 * which is not built yet (its own issue): say so, naming the container. */
static int streaming_unimplemented(const char *call, const char *id, crio_err **err)
{
  return crio_err_set(err, CRIO_E_UNIMPLEMENTED,
                      "%s %s: crio-c has no CRI streaming server yet; use ExecSync, or kpod "
                      "exec/attach over the REST API",
                      call, id ? id : "");
}

static int h_exec(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp, crio_err **err)
{
  (void)e;
  (void)resp;
  return streaming_unimplemented("Exec", ((const Runtime__V1__ExecRequest *)req)->container_id,
                                 err);
}

static int h_attach(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp, crio_err **err)
{
  (void)e;
  (void)resp;
  return streaming_unimplemented("Attach", ((const Runtime__V1__AttachRequest *)req)->container_id,
                                 err);
}

static int h_port_forward(engine *e, const ProtobufCMessage *req, ProtobufCMessage **resp,
                          crio_err **err)
{
  (void)e;
  (void)resp;
  return streaming_unimplemented(
      "PortForward", ((const Runtime__V1__PortForwardRequest *)req)->pod_sandbox_id, err);
}

#define RT "/runtime.v1.RuntimeService/"

static const cri_method methods[] = {
    CRI_BLOCKING_CALL(RT "ExecSync", runtime__v1__exec_sync_request__descriptor, h_exec_sync),
    CRI_CALL(RT "Exec", runtime__v1__exec_request__descriptor, h_exec),
    CRI_CALL(RT "Attach", runtime__v1__attach_request__descriptor, h_attach),
    CRI_CALL(RT "PortForward", runtime__v1__port_forward_request__descriptor, h_port_forward),
};

CRI_METHOD_TABLE(cri_exec_methods)
