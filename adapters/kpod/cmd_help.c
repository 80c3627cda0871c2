#include "cli.h"
#include "commands.h"

static int help_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  if (args->npositional == 0) {
    kpod_help_main(ctx->out);
    return 0;
  }
  const kpod_cmd *cmd = kpod_command_find(args->positional[0]);
  if (!cmd)
    return crio_err_set(err, CRIO_E_INVALID, "unknown command \"%s\" for \"kpod\"",
                        args->positional[0]);
  kpod_help_command(ctx->out, cmd);
  return 0;
}

static const kpod_flag help_flags[] = { { NULL, 0, 0, NULL, NULL } };

const kpod_cmd kpod_cmd_help = {
  .name = "help",
  .summary = "Help about any command",
  .usage = "[COMMAND]",
  .description = "Show the usage of kpod, or of one of its commands.",
  .examples = "kpod help\nkpod help info",
  .flags = help_flags,
  .min_args = 0,
  .max_args = 1,
  .run = help_run,
};
