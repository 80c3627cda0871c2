/* Deadlines for pthread_cond_timedwait and friends. */
#ifndef CRIO_UTIL_CLOCK_H
#define CRIO_UTIL_CLOCK_H

#include <time.h>

/* Now on clock, plus ms milliseconds. */
static inline struct timespec clock_after_ms(clockid_t clock, int ms)
{
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

#endif
