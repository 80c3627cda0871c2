/* Raw answers (tar streams) written where the user asked: a file, written
 * beside its place and renamed over it when complete so a failed transfer
 * leaves no truncated file, or a stream (stdout, a FIFO, a device) written
 * as the bytes arrive. Used by export and cp. */
#ifndef KPOD_DOWNLOAD_H
#define KPOD_DOWNLOAD_H

#include <stdio.h>

#include "client.h"
#include "util/err.h"

/* GET path into the file output (an existing non-regular file, such as
 * /dev/stdout or a FIFO, is written in place; a directory is refused). */
int kpod_download_to_file(kpod_client *c, const char *path, const char *output, crio_err **err);

/* GET path into f (stdout), flushed at the end; name is for messages. */
int kpod_download_to_stream(kpod_client *c, const char *path, FILE *f, const char *name,
                            crio_err **err);

#endif
