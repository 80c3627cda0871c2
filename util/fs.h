/* File-system helpers that report failures in the project's error shape. */
#ifndef CRIO_UTIL_FS_H
#define CRIO_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* "a" + "/" + "b", without doubling or dropping the slash. */
char *path_join(const char *a, const char *b);
/* mkdir -p with the given mode for every directory it creates. */
int mkdir_p(const char *path, mode_t mode, crio_err **err);
/* The whole file, NUL-terminated; *len_out (optional) gets its length. */
int read_file(const char *path, char **out, size_t *len_out, crio_err **err);
/* Write to a temporary file beside path, fsync, rename over path. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, crio_err **err);
/* The bytes of the regular files below path (links not followed); 0 when
 * it cannot be read. */
int64_t dir_size_bytes(const char *path);
/* Run argv (argv[0] looked up in PATH), return its stdout with the trailing
 * newline removed; fails when it cannot be run or exits non-zero. */
int run_capture(char *const argv[], char **out, crio_err **err);

#endif
