/* The shape of a kpod verb and of its command line.
 *
 * A verb is a `const kpod_cmd kpod_cmd_<name>` in its own cmd_<name>.c and
 * one X(<name>) line in KPOD_COMMANDS (commands.h). Its flags are a table,
 * so parsing, errors and --help text are the same for every verb. */
#ifndef KPOD_COMMAND_H
#define KPOD_COMMAND_H

#include <stddef.h>
#include <stdio.h>

#include "client.h"
#include "util/err.h"

/* What a verb runs with; main fills it from the global options. No globals. */
typedef struct kpod_ctx {
  const char *url;      /* the API's URL: --url, $CRIO_API or the default socket */
  const char *token;    /* --token or $CRIO_API_TOKEN; NULL for none */
  FILE *out;            /* the verb's output (stdout) */
  FILE *errout;         /* diagnostics (stderr) */
  kpod_client *client;  /* made on first use by kpod_ctx_client() */
} kpod_ctx;

/* The connection to crio, made on first use. Borrowed: the ctx owns it. */
int kpod_ctx_client(kpod_ctx *ctx, kpod_client **out, crio_err **err);

typedef enum {
  KPOD_FLAG_BOOL,          /* --all, --all=false */
  KPOD_FLAG_STRING,        /* --format F, --format=F, -f F, -fF; the last one wins */
  KPOD_FLAG_STRING_ARRAY,  /* -e A -e B: every value, in order */
} kpod_flag_type;

typedef struct kpod_flag {
  const char *name;        /* "format" for --format; NULL ends a table */
  char short_name;         /* 'f' for -f, 0 for none */
  kpod_flag_type type;
  const char *value_name;  /* for --help: "string" */
  const char *help;
} kpod_flag;

#define KPOD_FLAGS_MAX 48

/* A parsed command line. Values point into argv. */
typedef struct kpod_args {
  const kpod_flag *flags;
  size_t nflags;
  const char **values[KPOD_FLAGS_MAX];  /* NULL-terminated, NULL when not given */
  size_t counts[KPOD_FLAGS_MAX];
  const char **positional;              /* NULL-terminated */
  size_t npositional;
  int help;                             /* -h or --help was given */
  int rest;                             /* with KPOD_PARSE_STOP: the verb's argv index */
} kpod_args;

/* Where options may appear, the mode of kpod_args_parse. */
enum {
  KPOD_PARSE_ANYWHERE = 0,     /* options and positionals mixed, as cobra takes them */
  KPOD_PARSE_STOP = 1,         /* stop at the first positional (a verb): a->rest */
  KPOD_PARSE_FLAGS_FIRST = 2,  /* the first positional ends the options: everything from it
                                * on is positional (`kpod run IMAGE ls -l`), as podman's
                                * SetInterspersed(false) */
};

/* argv holds only what follows the verb (or the program, for the global
 * options). mode is one of the KPOD_PARSE_* above; with KPOD_PARSE_STOP,
 * a->rest is the first positional's index (argc when there is none). -h/--help
 * are understood everywhere. Errors are usage errors, named as cobra names
 * them: "unknown flag: --foo". */
int kpod_args_parse(const kpod_flag *flags, int argc, char **argv, int mode, kpod_args *a,
                    crio_err **err);
void kpod_args_release(kpod_args *a);
#define _cleanup_kpod_args_ __attribute__((cleanup(kpod_args_release)))

/* The last value of a string flag, or NULL when not given. */
const char *kpod_args_string(const kpod_args *a, const char *name);
/* Whether a boolean flag is set (its last value). */
int kpod_args_bool(const kpod_args *a, const char *name);
/* Every value of a flag, NULL-terminated (never NULL); *n (optional) the count. */
const char *const *kpod_args_strings(const kpod_args *a, const char *name, size_t *n);
/* The last value of an integer flag, in [min, max]: 1 when given (*out set),
 * 0 when not (*out untouched), or a usage error worded as cobra words it:
 * invalid argument "x" for "-t, --time" flag: strconv.ParseUint: parsing "x":
 * invalid syntax. */
int kpod_args_int(const kpod_args *a, const char *name, long long min, long long max,
                  long long *out, crio_err **err);

typedef struct kpod_cmd {
  const char *name;         /* "version" */
  const char *summary;      /* one line for `kpod --help` */
  const char *usage;        /* after "kpod <name> ": "[options] IMAGE [COMMAND [ARG...]]" */
  const char *description;  /* paragraphs for `kpod <name> --help`; NULL: the summary */
  const char *examples;     /* lines for --help, or NULL */
  const kpod_flag *flags;   /* ended by { NULL }; -h/--help is implicit */
  int min_args;             /* positional arguments accepted */
  int max_args;             /* -1: any number */
  /* 0 on success, a negative crio_code with *err filled, or a positive exit
   * status to exit with (for verbs that pass on a container's). */
  int (*run)(kpod_ctx *ctx, const kpod_args *args, crio_err **err);
  int flags_first;          /* options end at the first positional (KPOD_PARSE_FLAGS_FIRST) */
  const char *aliases;      /* other names, space-separated ("ls list"), or NULL */
  /* A group of verbs ("pod"): its subcommands, NULL-terminated. `kpod pod
   * create ...` runs the subcommand create with what follows it; run is
   * then NULL. */
  const struct kpod_cmd *const *subcommands;
} kpod_cmd;

/* The verb of cmds (NULL-terminated) called name, by its name or an alias;
 * NULL when none is. */
const kpod_cmd *kpod_cmd_lookup(const kpod_cmd *const *cmds, const char *name);

#endif
