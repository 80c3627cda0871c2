/* Registry credentials on kpod's side: --creds, --authfile, and the
 * prompts of `kpod login`. The daemon checks and stores them; kpod only
 * collects them and sends them in the request body. */
#ifndef KPOD_AUTH_H
#define KPOD_AUTH_H

#include <jansson.h>
#include <stdio.h>

#include "command.h"
#include "util/err.h"

/* --creds USERNAME[:PASSWORD] as podman splits it, at the first colon:
 * *user and *pass are owned, NULL when that part is missing or empty
 * ("user" and "user:" leave the password to prompt for, ":pw" the user). */
int kpod_creds_parse(const char *creds, char **user, char **pass, crio_err **err);

/* The registry of a login or logout argument: as podman, a URL
 * (https://host:port/path) stands for its host[:port]; anything else is
 * taken as it is. Owned. */
char *kpod_registry_arg(const char *arg);

/* Print prompt on out and read one line from stdin (its newline removed);
 * when stdin is a terminal and echo is 0, what is typed is not shown. */
int kpod_prompt(FILE *out, const char *prompt, int echo, char **value, crio_err **err);

/* The auth file for the daemon: flag (--authfile), else $REGISTRY_AUTH_FILE,
 * made absolute since the daemon does not share kpod's working directory;
 * NULL when neither is set. */
char *kpod_authfile(const char *flag);

/* The Credentials body of a pull or a push from --creds and --authfile
 * (prompting for a missing part of --creds on ctx->out); *body is NULL when
 * neither is given. */
int kpod_credentials_body(kpod_ctx *ctx, const kpod_args *args, json_t **body, crio_err **err);

#endif
