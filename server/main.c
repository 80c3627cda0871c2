/* crio: the daemon's entry point — flags, subcommands, and the hand-over to
 * daemon_run(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/daemon.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static void usage(FILE *out)
{
  fputs("Usage: crio [OPTIONS] [COMMAND]\n"
        "\n"
        "crio-c: a Kubernetes container runtime (CRI) with a REST API.\n"
        "\n"
        "Commands:\n"
        "  config                 print the effective configuration as TOML and exit\n"
        "  version                print the version and exit\n"
        "\n"
        "Options:\n"
        "  -c, --config PATH      crio.conf to read (default " CRIO_DEFAULT_CONFIG ", if present)\n"
        "  -r, --root PATH        state directory (crio.db, images, containers)\n"
        "      --runroot PATH     runtime directory (sockets, exit files, namespaces)\n"
        "      --api-socket PATH  unix socket of the REST API\n"
        "      --cri-socket PATH  unix socket of the CRI gRPC server\n"
        "      --listen HOST:PORT also serve the REST API on TCP (bearer token required)\n"
        "  -l, --log-level LEVEL  error, warn, info, debug or trace\n"
        "  -h, --help             show this help\n"
        "  -v, --version          print the version\n",
        out);
}

enum { OPT_RUNROOT = 256, OPT_API_SOCKET, OPT_CRI_SOCKET, OPT_LISTEN };

static int parse_flags(int argc, char **argv, crio_flags *flags)
{
  static const struct option options[] = {
    { "config", required_argument, NULL, 'c' },
    { "root", required_argument, NULL, 'r' },
    { "runroot", required_argument, NULL, OPT_RUNROOT },
    { "api-socket", required_argument, NULL, OPT_API_SOCKET },
    { "cri-socket", required_argument, NULL, OPT_CRI_SOCKET },
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "log-level", required_argument, NULL, 'l' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "c:r:l:hv", options, NULL)) != -1) {
    switch (c) {
    case 'c': flags->config = optarg; break;
    case 'r': flags->root = optarg; break;
    case OPT_RUNROOT: flags->runroot = optarg; break;
    case OPT_API_SOCKET: flags->api_socket = optarg; break;
    case OPT_CRI_SOCKET: flags->cri_socket = optarg; break;
    case OPT_LISTEN: flags->listen = optarg; break;
    case 'l': flags->log_level = optarg; break;
    case 'h': usage(stdout); exit(0);
    case 'v': printf("crio version %s (commit %s)\n", CRIO_VERSION, CRIO_GIT_COMMIT); exit(0);
    default: fputs("Run 'crio --help' for usage.\n", stderr); return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  crio_flags flags = { 0 };
  if (parse_flags(argc, argv, &flags) < 0)
    return 1;
  const char *command = optind < argc ? argv[optind] : NULL;
  if (command && optind + 1 < argc) {
    fprintf(stderr, "crio: unexpected argument \"%s\"\n", argv[optind + 1]);
    return 1;
  }
  if (command && strcmp(command, "version") == 0) {
    printf("crio version %s (commit %s)\n", CRIO_VERSION, CRIO_GIT_COMMIT);
    return 0;
  }
  if (command && strcmp(command, "config") != 0) {
    fprintf(stderr, "crio: unknown command \"%s\" (commands: config, version)\n", command);
    return 1;
  }
  _cleanup_err_ crio_err *err = NULL;
  crio_config *cfg = NULL;
  if (daemon_load_config(&flags, &cfg, &err) < 0) {
    fprintf(stderr, "crio: %s\n", err->message);
    return 1;
  }
  if (command) {
    _cleanup_strbuf_ strbuf out = STRBUF_INIT;
    config_write_toml(cfg, &out);
    fputs(out.data, stdout);
    config_free(cfg);
    return 0;
  }
  return daemon_run(&flags, cfg);
}
