/* Stats from the cgroup v1 controllers, each in its own hierarchy (or a
 * comounted one such as cpu,cpuacct: cgroup_controller_dir resolves either). */
#include "cgroup_stats.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup_pod.h"
#include "util/cleanup.h"

/* memory.limit_in_bytes without a limit is PAGE_COUNTER_MAX pages in bytes
 * (9223372036854771712 with 4 KiB pages; the exact figure depends on the page
 * size): anything beyond 2^62 bytes is no limit at all. */
#define V1_UNLIMITED_MIN (INT64_C(1) << 62)

typedef enum { DIR_ABSENT, DIR_V1, DIR_V2 } dir_kind;

/* Where cgroup_path lives for controller; DIR_ABSENT when the controller is
 * not mounted or the cgroup does not exist in its hierarchy. */
static int controller_dir(const char *controller, const char *cgroup_path, char **dir,
                          dir_kind *kind, crio_err **err)
{
  crio_err *local = NULL;
  *kind = DIR_ABSENT;
  *dir = NULL;
  int r = cgroup_controller_dir(controller, cgroup_path, dir, &local);
  if (r < 0 && local->code == CRIO_E_NOT_FOUND) {
    crio_err_free(local);
    return 0;
  }
  if (r < 0) {
    r = crio_err_set(err, local->code, "stats of cgroup %s: %s", cgroup_path, local->message);
    crio_err_free(local);
    return r;
  }
  struct statfs sfs;
  if (statfs(*dir, &sfs) < 0) {
    if (errno == ENOENT)
      return 0;
    return crio_err_errno(err, CRIO_E_IO, errno, "stats of cgroup %s: statfs %s", cgroup_path,
                          *dir);
  }
  *kind = sfs.f_type == CGROUP2_SUPER_MAGIC ? DIR_V2 : DIR_V1;
  return 0;
}

static int read_u64(const char *dir, const char *file, uint64_t *out, crio_err **err)
{
  int64_t v = 0;
  int r = cgroup_read_int64(dir, file, &v, err);
  if (r == 0)
    *out = v < 0 ? 0 : (uint64_t)v;
  return r;
}

/* User and system time: cpuacct.usage_user/usage_sys (ns, Linux 4.6+), or
 * cpuacct.stat in USER_HZ ticks before that. */
static int read_cpu_split(const char *dir, cgroup_stats *out, crio_err **err)
{
  _cleanup_free_ char *user = NULL, *sys = NULL;
  int missing_user = 0, missing_sys = 0;
  int r = cgroup_stats__read(dir, "cpuacct.usage_user", &user, &missing_user, err);
  if (r == 0)
    r = cgroup_stats__read(dir, "cpuacct.usage_sys", &sys, &missing_sys, err);
  if (r < 0)
    return r;
  if (!missing_user && !missing_sys) {
    out->cpu_user_ns = strtoull(user, NULL, 10);
    out->cpu_system_ns = strtoull(sys, NULL, 10);
    return 0;
  }
  _cleanup_free_ char *stat = NULL;
  int missing = 0;
  r = cgroup_stats__read(dir, "cpuacct.stat", &stat, &missing, err);
  if (r < 0 || missing)
    return r;
  long hz = sysconf(_SC_CLK_TCK);
  uint64_t per_tick = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
  uint64_t u = 0, s = 0;
  cgroup_stats__kv(stat, "user", &u);
  cgroup_stats__kv(stat, "system", &s);
  out->cpu_user_ns = u * per_tick;
  out->cpu_system_ns = s * per_tick;
  return 0;
}

static int read_cpu(const char *cgroup_path, cgroup_stats *out, crio_err **err)
{
  _cleanup_free_ char *dir = NULL;
  dir_kind kind = DIR_ABSENT;
  int r = controller_dir("cpuacct", cgroup_path, &dir, &kind, err);
  if (r < 0)
    return r;
  if (!dir)
    return crio_err_set(err, CRIO_E_UNAVAILABLE,
                        "stats of cgroup %s: no cgroup v1 hierarchy has the cpuacct controller",
                        cgroup_path);
  if (kind == DIR_ABSENT)
    return crio_err_set(err, CRIO_E_NOT_FOUND, "cgroup %s does not exist (no %s)", cgroup_path,
                        dir);
  r = read_u64(dir, "cpuacct.usage", &out->cpu_usage_ns, err);
  if (r == -CRIO_E_NOT_FOUND)
    return crio_err_wrap(err, "cgroup %s vanished", cgroup_path);
  if (r < 0)
    return r;
  out->timestamp_ns = cgroup_stats__now_ns();
  return read_cpu_split(dir, out, err);
}

static int read_memory_v1(const char *dir, cgroup_stats *out, crio_err **err)
{
  int64_t limit = 0;
  int r = read_u64(dir, "memory.usage_in_bytes", &out->memory_usage, err);
  if (r == 0)
    r = cgroup_read_int64(dir, "memory.limit_in_bytes", &limit, err);
  if (r == 0)
    r = read_u64(dir, "memory.failcnt", &out->memory_failcnt, err);
  if (r < 0)
    return r;
  out->memory_limit = (limit < 0 || limit >= V1_UNLIMITED_MIN) ? -1 : limit;

  _cleanup_free_ char *stat = NULL;
  r = cgroup_stats__read(dir, "memory.stat", &stat, NULL, err);
  if (r < 0)
    return r;
  /* total_* include the descendants (always so since Linux 5.x; with
   * use_hierarchy=0 on older kernels the plain keys would do as well). */
  uint64_t inactive_file = 0, rss = 0;
  if (cgroup_stats__kv(stat, "total_inactive_file", &inactive_file) < 0)
    cgroup_stats__kv(stat, "inactive_file", &inactive_file);
  if (cgroup_stats__kv(stat, "total_rss", &rss) < 0)
    cgroup_stats__kv(stat, "rss", &rss);
  out->memory_rss = rss;
  out->memory_working_set =
      out->memory_usage > inactive_file ? out->memory_usage - inactive_file : 0;
  return 0;
}

static int read_pids_v1(const char *dir, cgroup_stats *out, crio_err **err)
{
  int r = read_u64(dir, "pids.current", &out->pids_current, err);
  if (r == 0)
    r = cgroup_read_int64(dir, "pids.max", &out->pids_limit, err);
  return r;
}

/* Sums "MAJ:MIN Read N" and "MAJ:MIN Write N" over devices; the Sync,
 * Async, Discard and Total lines and the final "Total N" are skipped.
 * Whether any device line was seen goes to *devices. */
static void sum_io_service_bytes(char *text, cgroup_stats *out, bool *devices)
{
  *devices = false;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char dev[64], op[16];
    unsigned long long n = 0;
    if (sscanf(line, "%63s %15s %llu", dev, op, &n) != 3 || !strchr(dev, ':'))
      continue;
    *devices = true;
    if (strcmp(op, "Read") == 0)
      out->blkio_read_bytes += n;
    else if (strcmp(op, "Write") == 0)
      out->blkio_write_bytes += n;
  }
}

/* Which files count depends on the kernel, as runc's reader knows: the BFQ
 * scheduler's (when it drives the disk), CFQ's (before Linux 5.0), else the
 * throttle policy's (on recent kernels counted only for devices that have a
 * throttle limit). The first that lists a device wins. */
static int read_blkio_v1(const char *dir, cgroup_stats *out, crio_err **err)
{
  static const char *const files[] = {
      "blkio.bfq.io_service_bytes_recursive", "blkio.io_service_bytes_recursive",
      "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    _cleanup_free_ char *text = NULL;
    int missing = 0;
    int r = cgroup_stats__read(dir, files[i], &text, &missing, err);
    if (r < 0)
      return r;
    bool devices = false;
    if (!missing)
      sum_io_service_bytes(text, out, &devices);
    if (devices)
      return 0;
  }
  return 0;
}

typedef struct v1_reader {
  const char *controller;
  const char *v2_name; /* the controller's name in a unified tree */
  int (*v1)(const char *dir, cgroup_stats *out, crio_err **err);
  int (*v2)(const char *dir, cgroup_stats *out, crio_err **err);
} v1_reader;

static const v1_reader readers[] = {
    {"memory", "memory", read_memory_v1, cgroup_stats__v2_memory},
    {"pids", "pids", read_pids_v1, cgroup_stats__v2_pids},
    {"blkio", "io", read_blkio_v1, cgroup_stats__v2_io},
};

int cgroup_stats_read_v1(const char *cgroup_path, cgroup_stats *out, crio_err **err)
{
  cgroup_stats__init(out);
  out->version = 1;
  int r = read_cpu(cgroup_path, out, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
    _cleanup_free_ char *dir = NULL;
    dir_kind kind = DIR_ABSENT;
    r = controller_dir(readers[i].controller, cgroup_path, &dir, &kind, err);
    if (r == 0 && !dir && strcmp(readers[i].controller, readers[i].v2_name) != 0)
      r = controller_dir(readers[i].v2_name, cgroup_path, &dir, &kind, err);
    if (r < 0)
      return r;
    /* a controller runc did not join, or the cgroup went away meanwhile:
     * the fields keep their defaults */
    if (kind == DIR_ABSENT)
      continue;
    r = kind == DIR_V2 ? readers[i].v2(dir, out, err) : readers[i].v1(dir, out, err);
    if (r == -CRIO_E_NOT_FOUND)
      return crio_err_wrap(err, "cgroup %s vanished", cgroup_path);
    if (r < 0)
      return r;
  }
  return 0;
}
