/* /metrics in the Prometheus text exposition format (version 0.0.4). */
#include "server/api/handlers.h"

#include "util/cleanup.h"
#include "util/strbuf.h"

static void metric_header(strbuf *out, const char *name, const char *type, const char *help)
{
  strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_objects(strbuf *out, const engine_info *info)
{
  metric_header(out, "crio_pods", "gauge", "Pod sandboxes that exist.");
  strbuf_printf(out, "crio_pods %lld\n", (long long) info->pods);
  metric_header(out, "crio_containers", "gauge", "Containers that exist, by whether they run.");
  strbuf_printf(out, "crio_containers{state=\"running\"} %lld\n", (long long) info->running);
  strbuf_printf(out, "crio_containers{state=\"other\"} %lld\n",
                (long long) (info->containers - info->running));
  metric_header(out, "crio_images", "gauge", "Images in the store.");
  strbuf_printf(out, "crio_images %lld\n", (long long) info->images);
}

static void metrics_requests(strbuf *out, api_server *srv)
{
  metric_header(out, "crio_api_requests_total", "counter",
                "REST API requests answered, by method and HTTP status.");
  for (int m = 0; m < API_M__COUNT; m++)
    for (unsigned int status = 100; status < 600; status++) {
      unsigned long n = api_server_requests(srv, (api_method) m, status);
      if (n)
        strbuf_printf(out, "crio_api_requests_total{method=\"%s\",code=\"%u\"} %lu\n",
                      api_method_name((api_method) m), status, n);
    }
}

void handle_metrics(api_request *req, api_reply *reply)
{
  _cleanup_err_ crio_err *err = NULL;
  engine_info info;
  if (engine_info_get(req->engine, &info, &err) < 0) {
    api_reply_error(reply, err);
    return;
  }
  _cleanup_strbuf_ strbuf out = STRBUF_INIT;
  metrics_objects(&out, &info);
  engine_info_clear(&info);
  metrics_requests(&out, req->server);
  api_reply_text(reply, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data);
}
