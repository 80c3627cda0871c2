#include "cli.h"
#include "commands.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* `kpod help pod create`: the verbs of groups are walked word by word. */
static int help_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (args->npositional == 0) {
    kpod_help_main(ctx->out);
    return 0;
  }
  _cleanup_strbuf_ strbuf path = STRBUF_INIT;
  const kpod_cmd *const *level = kpod_commands;
  const kpod_cmd *cmd = NULL;
  for (size_t i = 0; i < args->npositional; i++) {
    cmd = kpod_cmd_lookup(level, args->positional[i]);
    if (!cmd && i == 0)
      return crio_err_set(err, CRIO_E_INVALID, "unknown command \"%s\" for \"kpod\"",
                          args->positional[i]);
    if (!cmd)
      return crio_err_set(err, CRIO_E_INVALID, "unknown command \"%s\" for \"kpod %s\"",
                          args->positional[i], path.data);
    strbuf_printf(&path, "%s%s", i ? " " : "", cmd->name);
    level = cmd->subcommands;
    if (!level && i + 1 < args->npositional)
      return crio_err_set(err, CRIO_E_INVALID, "\"kpod %s\" has no subcommands", path.data);
  }
  kpod_help_command(ctx->out, cmd, path.data);
  return 0;
}

static const kpod_flag help_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_help = {
  .name = "help",
  .summary = "Help about any command",
  .usage = "[COMMAND [SUBCOMMAND]]",
  .description = "Show the usage of kpod, or of one of its commands.",
  .examples = "kpod help\nkpod help info\nkpod help pod create",
  .flags = help_flags,
  .min_args = 0,
  .max_args = -1,
  .run = help_run,
};
