#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };
static _Atomic int current_level = LOG_LVL_INFO;

int log_level_parse(const char *name)
{
  if (strcasecmp(name, "warning") == 0)
    return LOG_LVL_WARN;
  for (int i = 0; i <= LOG_LVL_TRACE; i++)
    if (strcasecmp(name, level_names[i]) == 0)
      return i;
  return -1;
}

const char *log_level_name(log_level level)
{
  return level_names[level];
}

void log_set_level(log_level level)
{
  atomic_store(&current_level, (int) level);
}

void log_msg(log_level level, const char *fmt, ...)
{
  if ((int) level > atomic_load(&current_level))
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, level_names[level], line);
}
