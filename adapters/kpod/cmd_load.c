#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "jsonutil.h"
#include "util/cleanup.h"

static void load_print(kpod_ctx *ctx, const json_t *res)
{
  json_t *names = json_object_get(res, "names");
  json_t *list = json_array_size(names) ? names : json_object_get(res, "ids");
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v)
    if (json_is_string(v))
      fprintf(ctx->out, "Loaded image: %s\n", json_string_value(v));
}

static int load_run(kpod_ctx *ctx, const kpod_args *args, crio_err **err)
{
  const char *input = kpod_args_string(args, "input");
  _cleanup_close_ int fd = -1;
  int in = STDIN_FILENO;
  if (input && *input) {
    fd = open(input, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "open %s", input);
    in = fd;
  } else if (isatty(STDIN_FILENO)) {
    return crio_err_set(err, CRIO_E_INVALID,
                        "cannot read from terminal, use command-line redirection or the --input "
                        "flag");
  }
  struct stat st;
  if (fstat(in, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "stat %s", input ? input : "stdin");
  if (S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "%s is a directory: load takes an archive file",
                        input ? input : "stdin");
  /* a regular file's size is known; a pipe is sent chunked */
  long long size = -1;
  off_t offset = S_ISREG(st.st_mode) ? lseek(in, 0, SEEK_CUR) : -1;
  if (offset >= 0 && offset <= st.st_size)
    size = (long long) (st.st_size - offset);
  kpod_client *c;
  int r = kpod_ctx_client(ctx, &c, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *res = NULL;
  r = kpod_client_upload(c, "/v1/images/load", "application/x-tar", in, size, &res, err);
  if (r < 0)
    return r;
  if (!json_is_object(res))
    return crio_err_set(err, CRIO_E_INTERNAL, "crio answered POST /v1/images/load with no object");
  load_print(ctx, res);
  return 0;
}

static const kpod_flag load_flags[] = {
  { "input", 'i', KPOD_FLAG_STRING, "string", "Read from specified archive file (default: stdin)" },
  { "quiet", 'q', KPOD_FLAG_BOOL, NULL, "Suppress the output (kpod prints no progress)" },
  { NULL, 0, 0, NULL, NULL },
};

const kpod_cmd kpod_cmd_load = {
  .name = "load",
  .summary = "Load image(s) from a tar archive",
  .usage = "[options]",
  .description = "Loads the images of a docker-archive or oci-archive tarball into crio's store\n"
                 "(POST /v1/images/load). The archive is streamed to the daemon from the file\n"
                 "of --input, or from stdin, which must not be a terminal.",
  .examples = "kpod load --input alpine.tar\n"
              "kpod load < alpine.tar\n"
              "gunzip -c alpine.tar.gz | kpod load",
  .flags = load_flags,
  .min_args = 0,
  .max_args = 0,
  .run = load_run,
};
