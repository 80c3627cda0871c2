/* The choice between the v1 and v2 readers, the CPU rate, and the parsing
 * helpers both readers share. */
#include "cgroup_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_pod.h"
#include "util/cleanup.h"
#include "util/fs.h"

void cgroup_stats__init(cgroup_stats *out)
{
  *out = (cgroup_stats){0};
  out->memory_limit = -1;
  out->pids_limit = -1;
}

int64_t cgroup_stats__now_ns(void)
{
  struct timespec ts = {0, 0};
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cgroup_stats__read(const char *dir, const char *file, char **out, int *missing,
                       crio_err **err)
{
  _cleanup_free_ char *path = path_join(dir, file);
  crio_err *local = NULL;
  if (missing)
    *missing = 0;
  int r = read_file(path, out, NULL, &local);
  if (r == 0)
    return 0;
  if (missing && local->code == CRIO_E_NOT_FOUND) {
    crio_err_free(local);
    *missing = 1;
    *out = NULL;
    return 0;
  }
  r = crio_err_set(err, local->code, "cgroup stats: %s", local->message);
  crio_err_free(local);
  return r;
}

int cgroup_stats__kv(const char *text, const char *key, uint64_t *out)
{
  size_t kl = strlen(key);
  for (const char *line = text; line && *line;) {
    if (strncmp(line, key, kl) == 0 && (line[kl] == ' ' || line[kl] == '\t')) {
      char *end = NULL;
      errno = 0;
      unsigned long long v = strtoull(line + kl, &end, 10);
      if (errno || end == line + kl)
        return -1;
      *out = v;
      return 0;
    }
    line = strchr(line, '\n');
    if (line)
      line++;
  }
  return -1;
}

int cgroup_stats_read(const char *cgroup_path, cgroup_stats *out, crio_err **err)
{
  if (!cgroup_is_v2())
    return cgroup_stats_read_v1(cgroup_path, out, err);
  _cleanup_free_ char *dir = NULL;
  int r = cgroup_controller_dir("unified", cgroup_path, &dir, err);
  if (r < 0)
    return r;
  r = cgroup_stats_read_v2(dir, out, err);
  if (r == -CRIO_E_NOT_FOUND)
    crio_err_wrap(err, "stats of cgroup %s", cgroup_path);
  return r;
}

double cgroup_cpu_rate(const cgroup_stats *prev, const cgroup_stats *now)
{
  if (!prev || !now || now->timestamp_ns <= prev->timestamp_ns ||
      now->cpu_usage_ns < prev->cpu_usage_ns)
    return 0.0;
  return (double)(now->cpu_usage_ns - prev->cpu_usage_ns) /
         (double)(now->timestamp_ns - prev->timestamp_ns);
}
