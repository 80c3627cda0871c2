/* Scope-bound cleanup helpers built on __attribute__((cleanup)), as crun and
 * systemd use them: a variable declared with one of these is released on
 * every return path. Hand ownership on with steal_pointer(). */
#ifndef CRIO_UTIL_CLEANUP_H
#define CRIO_UTIL_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) { free(*(void **) p); }
static inline void cleanup_closep(int *fd)
{
  if (*fd >= 0)
    close(*fd);
}
static inline void cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}
static inline void cleanup_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))

/* Returns *pp and clears it, so the cleanup attribute no longer frees it. */
#define steal_pointer(pp)                  \
  ({                                       \
    __typeof__(*(pp)) steal_tmp_ = *(pp);  \
    *(pp) = NULL;                          \
    steal_tmp_;                            \
  })

/* The same for file descriptors. */
static inline int steal_fd(int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
