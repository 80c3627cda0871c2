/* Route handlers, one file a resource. */
#ifndef CRIO_API_HANDLERS_H
#define CRIO_API_HANDLERS_H

#include "server/api/api_internal.h"

/* system.c */
void handle_healthz(api_request *req, api_reply *reply);
void handle_version(api_request *req, api_reply *reply);
void handle_info(api_request *req, api_reply *reply);
/* metrics.c */
void handle_metrics(api_request *req, api_reply *reply);

#endif
