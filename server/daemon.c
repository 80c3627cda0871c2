#include "server/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "adapters/cri/cri_server.h"
#include "server/api/api.h"
#include "server/engine/engine.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

static void set_str(char **field, const char *value)
{
  if (!value)
    return;
  free(*field);
  *field = xstrdup(value);
}

int daemon_load_config(const crio_flags *flags, crio_config **out, crio_err **err)
{
  _cleanup_config_ crio_config *cfg = config_new_default();
  const char *path = flags->config ? flags->config : CRIO_DEFAULT_CONFIG;
  if (config_load_file(cfg, path, flags->config != NULL, err) < 0)
    return -(int) (*err)->code;
  set_str(&cfg->root, flags->root);
  set_str(&cfg->runroot, flags->runroot);
  set_str(&cfg->api_socket, flags->api_socket);
  set_str(&cfg->cri_socket, flags->cri_socket);
  set_str(&cfg->listen, flags->listen);
  set_str(&cfg->log_level, flags->log_level);
  if (config_validate(cfg, err) < 0)
    return -(int) (*err)->code;
  *out = steal_pointer(&cfg);
  return 0;
}

/* flock on ROOT/crio.lock: one daemon a root. The pid inside is for the message. */
static int lock_root(const char *root, crio_err **err)
{
  _cleanup_free_ char *path = path_join(root, "crio.lock");
  _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "open lock file %s", path);
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK)
      return crio_err_errno(err, CRIO_E_IO, errno, "lock %s", path);
    char pid[32] = "";
    ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    return crio_err_set(err, CRIO_E_BUSY,
                        "another crio (pid %s) is already running with root %s (it holds %s)",
                        pid[0] ? pid : "unknown", root, path);
  }
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d\n", (int) getpid());
  if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t) len, 0) != len)
    return crio_err_errno(err, CRIO_E_IO, errno, "write %s", path);
  return steal_fd(&fd);
}

/* The TCP listener's bearer token: the configured file, or a new random one
 * written to RUNROOT/api-token (0600) for local clients to read. */
static int load_token(const crio_config *cfg, char **out, crio_err **err)
{
  if (cfg->token_file[0]) {
    char *tok = NULL;
    if (read_file(cfg->token_file, &tok, NULL, err) < 0)
      return crio_err_wrap(err, "crio.api.token_file");
    tok[strcspn(tok, "\r\n")] = '\0';
    if (!tok[0]) {
      free(tok);
      return crio_err_set(err, CRIO_E_INVALID, "crio.api.token_file: %s is empty",
                          cfg->token_file);
    }
    *out = tok;
    return 0;
  }
  *out = xstrdup("");
  if (!cfg->listen[0])
    return 0;
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1)
    return crio_err_set(err, CRIO_E_INTERNAL, "generate API token");
  char hex[2 * sizeof raw + 2];
  for (size_t i = 0; i < sizeof raw; i++)
    sprintf(hex + 2 * i, "%02x", raw[i]);
  strcat(hex, "\n");
  _cleanup_free_ char *path = path_join(cfg->runroot, "api-token");
  if (write_file_atomic(path, hex, strlen(hex), 0600, err) < 0)
    return crio_err_wrap(err, "write API token");
  hex[strlen(hex) - 1] = '\0';
  free(*out);
  *out = xstrdup(hex);
  log_info("TCP API bearer token written to %s", path);
  return 0;
}

static int ensure_parent(const char *path, crio_err **err)
{
  _cleanup_free_ char *copy = xstrdup(path);
  return mkdir_p(dirname(copy), 0711, err);
}

typedef struct daemon_state {
  const crio_flags *flags;
  crio_config *cfg;
  engine *engine;
  api_server *api;
  cri_server *cri;
} daemon_state;

static void warn_unreloadable(const crio_config *old, const crio_config *next)
{
  const struct { const char *key; const char *a, *b; } keys[] = {
    { "crio.root", old->root, next->root },
    { "crio.runroot", old->runroot, next->runroot },
    { "crio.api.api_socket", old->api_socket, next->api_socket },
    { "crio.api.cri_socket", old->cri_socket, next->cri_socket },
    { "crio.api.listen", old->listen, next->listen },
    { "crio.storage_driver", old->storage_driver, next->storage_driver },
  };
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
    if (strcmp(keys[i].a, keys[i].b) != 0)
      log_warn("reload: %s changed from \"%s\" to \"%s\"; restart crio to apply it", keys[i].key,
               keys[i].a, keys[i].b);
  if (old->max_body_size != next->max_body_size || old->enable_metrics != next->enable_metrics)
    log_warn("reload: crio.api.max_body_size and crio.metrics.enable_metrics apply after a restart");
}

/* SIGHUP: read crio.conf again and apply what can change while running. */
static void daemon_reload(daemon_state *d)
{
  _cleanup_err_ crio_err *err = NULL;
  crio_config *next = NULL;
  _cleanup_free_ char *token = NULL;
  if (daemon_load_config(d->flags, &next, &err) < 0) {
    log_error("reload: %s; keeping the running configuration", err->message);
    return;
  }
  if (load_token(next, &token, &err) < 0) {
    log_error("reload: %s; keeping the running configuration", err->message);
    config_free(next);
    return;
  }
  warn_unreloadable(d->cfg, next);
  log_set_level((log_level) log_level_parse(next->log_level));
  engine_reload(d->engine, next, &err);
  if (d->cfg->listen[0])
    api_server_set_token(d->api, token);
  config_free(d->cfg);
  d->cfg = next;
  log_info("configuration reloaded");
}

static int signal_fd(void)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  /* Blocked before any thread starts, so every thread inherits the mask. */
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

static void daemon_loop(daemon_state *d, int sfd)
{
  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != sizeof si)
      return;
    if (si.ssi_signo == SIGHUP) {
      daemon_reload(d);
      continue;
    }
    log_info("received %s, shutting down (containers keep running)", strsignal((int) si.ssi_signo));
    return;
  }
}

static int daemon_start(daemon_state *d, crio_err **err)
{
  _cleanup_free_ char *token = NULL;
  if (engine_open(d->cfg, &d->engine, err) < 0)
    return -1;
  if (load_token(d->cfg, &token, err) < 0)
    return -1;
  if (ensure_parent(d->cfg->api_socket, err) < 0 || ensure_parent(d->cfg->cri_socket, err) < 0)
    return -1;
  api_options opts = { .unix_socket = d->cfg->api_socket, .listen = d->cfg->listen,
                       .token = token, .max_body_size = (size_t) d->cfg->max_body_size,
                       .enable_metrics = d->cfg->enable_metrics };
  if (api_server_start(d->engine, &opts, &d->api, err) < 0)
    return crio_err_wrap(err, "start REST API");
  if (cri_server_start(d->engine, d->cfg->cri_socket, &d->cri, err) < 0)
    return crio_err_wrap(err, "start CRI server");
  return 0;
}

int daemon_run(const crio_flags *flags, crio_config *cfg)
{
  _cleanup_err_ crio_err *err = NULL;
  log_set_level((log_level) log_level_parse(cfg->log_level));
  if (mkdir_p(cfg->root, 0711, &err) < 0) {
    fprintf(stderr, "crio: %s\n", err->message);
    config_free(cfg);
    return 1;
  }
  _cleanup_close_ int lock = lock_root(cfg->root, &err);
  _cleanup_close_ int sfd = lock < 0 ? -1 : signal_fd();
  daemon_state d = { .flags = flags, .cfg = cfg };
  int status = 0;
  if (lock < 0 || daemon_start(&d, &err) < 0) {
    fprintf(stderr, "crio: %s\n", err ? err->message : "start failed");
    status = 1;
  } else {
    log_info("crio %s ready: CRI on %s, REST API on %s%s%s", CRIO_VERSION, d.cfg->cri_socket,
             d.cfg->api_socket, d.cfg->listen[0] ? " and " : "", d.cfg->listen);
    daemon_loop(&d, sfd);
  }
  engine_shutdown_begin(d.engine);
  cri_server_stop(d.cri);
  api_server_stop(d.api);
  engine_close(d.engine);
  config_free(d.cfg);
  return status;
}
