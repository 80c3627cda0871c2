/* Stats from a cgroup v2 directory. Only cpu.stat exists whatever the parent
 * enables in cgroup.subtree_control; memory.*, pids.* and io.stat appear with
 * their controller, so their absence is not an error. */
#include "cgroup_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_pod.h"
#include "util/cleanup.h"

static int read_cpu(const char *dir, cgroup_stats *out, crio_err **err)
{
  _cleanup_free_ char *text = NULL;
  int r = cgroup_stats__read(dir, "cpu.stat", &text, NULL, err);
  if (r < 0)
    return r;
  out->timestamp_ns = cgroup_stats__now_ns();
  uint64_t usage = 0, user = 0, sys = 0;
  if (cgroup_stats__kv(text, "usage_usec", &usage) < 0)
    return crio_err_set(err, CRIO_E_IO, "read %s/cpu.stat: no usage_usec", dir);
  cgroup_stats__kv(text, "user_usec", &user);
  cgroup_stats__kv(text, "system_usec", &sys);
  out->cpu_usage_ns = usage * 1000;
  out->cpu_user_ns = user * 1000;
  out->cpu_system_ns = sys * 1000;
  return 0;
}

/* An optional one-value file ("max" gives -1); *found says whether it was
 * there. */
static int read_opt_int(const char *dir, const char *file, int64_t *v, int *found,
                        crio_err **err)
{
  crio_err *local = NULL;
  *found = 0;
  int r = cgroup_read_int64(dir, file, v, &local);
  if (r == 0) {
    *found = 1;
    return 0;
  }
  if (local->code == CRIO_E_NOT_FOUND) {
    crio_err_free(local);
    return 0;
  }
  r = crio_err_set(err, local->code, "cgroup stats: %s", local->message);
  crio_err_free(local);
  return r;
}

int cgroup_stats__v2_memory(const char *dir, cgroup_stats *out, crio_err **err)
{
  int64_t v = 0;
  int found = 0;
  int r = read_opt_int(dir, "memory.current", &v, &found, err);
  if (r < 0 || !found)
    return r;
  out->memory_usage = v < 0 ? 0 : (uint64_t)v;
  r = read_opt_int(dir, "memory.max", &v, &found, err);
  if (r < 0)
    return r;
  out->memory_limit = found ? v : -1;

  _cleanup_free_ char *stat = NULL, *events = NULL;
  int missing = 0;
  r = cgroup_stats__read(dir, "memory.stat", &stat, &missing, err);
  if (r < 0)
    return r;
  uint64_t inactive_file = 0, anon = 0;
  if (stat) {
    cgroup_stats__kv(stat, "inactive_file", &inactive_file);
    cgroup_stats__kv(stat, "anon", &anon);
  }
  out->memory_rss = anon;
  out->memory_working_set =
      out->memory_usage > inactive_file ? out->memory_usage - inactive_file : 0;
  r = cgroup_stats__read(dir, "memory.events", &events, &missing, err);
  if (r < 0)
    return r;
  uint64_t max_events = 0;
  if (events && cgroup_stats__kv(events, "max", &max_events) == 0)
    out->memory_failcnt = max_events;
  return 0;
}

int cgroup_stats__v2_pids(const char *dir, cgroup_stats *out, crio_err **err)
{
  int64_t v = 0;
  int found = 0;
  int r = read_opt_int(dir, "pids.current", &v, &found, err);
  if (r < 0 || !found)
    return r;
  out->pids_current = v < 0 ? 0 : (uint64_t)v;
  r = read_opt_int(dir, "pids.max", &v, &found, err);
  if (r < 0)
    return r;
  out->pids_limit = found ? v : -1;
  return 0;
}

/* The value of " name=" in one io.stat line (up to its end). */
static uint64_t io_field(const char *line, const char *end, const char *name)
{
  size_t nl = strlen(name);
  for (const char *p = line; p && p < end; p = memchr(p, ' ', (size_t)(end - p))) {
    while (p < end && *p == ' ')
      p++;
    if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
      return strtoull(p + nl + 1, NULL, 10);
  }
  return 0;
}

int cgroup_stats__v2_io(const char *dir, cgroup_stats *out, crio_err **err)
{
  _cleanup_free_ char *text = NULL;
  int missing = 0;
  int r = cgroup_stats__read(dir, "io.stat", &text, &missing, err);
  if (r < 0 || missing)
    return r;
  /* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N", one line a
   * device, more keys with some controllers (io.latency, iocost). */
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    if (!end)
      end = line + strlen(line);
    out->blkio_read_bytes += io_field(line, end, "rbytes");
    out->blkio_write_bytes += io_field(line, end, "wbytes");
    line = *end ? end + 1 : end;
  }
  return 0;
}

int cgroup_stats_read_v2(const char *dir, cgroup_stats *out, crio_err **err)
{
  cgroup_stats__init(out);
  out->version = 2;
  struct stat st;
  if (stat(dir, &st) < 0) {
    if (errno == ENOENT)
      return crio_err_set(err, CRIO_E_NOT_FOUND, "cgroup %s does not exist", dir);
    return crio_err_errno(err, CRIO_E_IO, errno, "stat cgroup %s", dir);
  }
  if (!S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_INVALID, "cgroup %s is not a directory", dir);
  int r = read_cpu(dir, out, err);
  if (r == -CRIO_E_NOT_FOUND)
    return crio_err_wrap(err, "cgroup %s vanished or is not a cgroup v2 directory", dir);
  if (r < 0)
    return r;
  if ((r = cgroup_stats__v2_memory(dir, out, err)) < 0 ||
      (r = cgroup_stats__v2_pids(dir, out, err)) < 0 || (r = cgroup_stats__v2_io(dir, out, err)) < 0)
    return r;
  return 0;
}
