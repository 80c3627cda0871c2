/* Route handlers, one file a resource. */
#ifndef CRIO_API_HANDLERS_H
#define CRIO_API_HANDLERS_H

#include "server/api/api_internal.h"

/* system.c */
void handle_healthz(api_request *req, api_reply *reply);
void handle_version(api_request *req, api_reply *reply);
void handle_info(api_request *req, api_reply *reply);
/* images.c */
void handle_image_list(api_request *req, api_reply *reply);
void handle_image_inspect(api_request *req, api_reply *reply);
void handle_image_remove(api_request *req, api_reply *reply);
void handle_image_tag(api_request *req, api_reply *reply);
void handle_image_history(api_request *req, api_reply *reply);
/* image_pull.c */
void handle_image_pull(api_request *req, api_reply *reply);
/* The optional credentials body {"username","password","auth_file"}. */
int api_read_creds(const api_request *req, char **user, char **pass, char **auth_file,
                   crio_err **err);
/* image_push.c */
void handle_image_push(api_request *req, api_reply *reply);
/* image_archive.c */
void handle_image_save(api_request *req, api_reply *reply);
void handle_image_load(api_request *req, api_reply *reply);
/* auth.c */
void handle_login(api_request *req, api_reply *reply);
void handle_logout(api_request *req, api_reply *reply);
/* pods.c */
void handle_pod_list(api_request *req, api_reply *reply);
void handle_pod_create(api_request *req, api_reply *reply);
void handle_pod_inspect(api_request *req, api_reply *reply);
void handle_pod_stop(api_request *req, api_reply *reply);
void handle_pod_remove(api_request *req, api_reply *reply);
/* An integer query parameter (>= min); *out keeps its value when absent. */
int api_query_int(const api_request *req, const char *name, int64_t min, int64_t *out,
                  crio_err **err);
void api_filters_clear(char **filters, size_t n);
/* containers.c */
void handle_container_list(api_request *req, api_reply *reply);
void handle_container_create(api_request *req, api_reply *reply);
void handle_container_inspect(api_request *req, api_reply *reply);
void handle_container_start(api_request *req, api_reply *reply);
void handle_container_stop(api_request *req, api_reply *reply);
void handle_container_kill(api_request *req, api_reply *reply);
void handle_container_pause(api_request *req, api_reply *reply);
void handle_container_unpause(api_request *req, api_reply *reply);
void handle_container_remove(api_request *req, api_reply *reply);
void handle_container_wait(api_request *req, api_reply *reply);
void handle_container_rename(api_request *req, api_reply *reply);
/* container_logs.c */
void handle_container_logs(api_request *req, api_reply *reply);
/* container_fs.c */
void handle_container_exec(api_request *req, api_reply *reply);
void handle_container_mount(api_request *req, api_reply *reply);
void handle_container_unmount(api_request *req, api_reply *reply);
void handle_container_changes(api_request *req, api_reply *reply);
void handle_container_export(api_request *req, api_reply *reply);
void handle_container_copy_out(api_request *req, api_reply *reply);
void handle_container_copy_in(api_request *req, api_reply *reply);
/* container_ws.c */
void handle_container_exec_stream(api_request *req, api_reply *reply);
void handle_container_attach(api_request *req, api_reply *reply);
/* stats.c */
void handle_container_stats(api_request *req, api_reply *reply);
void handle_pod_stats(api_request *req, api_reply *reply);
/* metrics.c */
void handle_metrics(api_request *req, api_reply *reply);

#endif
