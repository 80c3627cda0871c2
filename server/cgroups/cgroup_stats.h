/* Resource statistics of one cgroup (a container's or a pod's), as the CRI's
 * ContainerStats/PodSandboxStats and the REST API report them.
 *
 * cgroup v1 (one hierarchy per controller):
 *   cpuacct.usage (ns), cpuacct.usage_user/usage_sys (ns; else cpuacct.stat
 *   in USER_HZ ticks), memory.usage_in_bytes, memory.limit_in_bytes,
 *   memory.failcnt, memory.stat (total_rss, total_inactive_file),
 *   pids.current, pids.max, and blkio's io_service_bytes ("MAJ:MIN
 *   Read|Write|... N" lines) from the BFQ, CFQ or throttle policy, whichever
 *   lists a device (recent kernels count throttle bytes only on devices
 *   that have a throttle limit).
 * cgroup v2 (one directory):
 *   cpu.stat (usage_usec, user_usec, system_usec: present with or without the
 *   cpu controller), memory.current, memory.max, memory.events (max),
 *   memory.stat (anon, inactive_file), pids.current, pids.max, io.stat
 *   ("MAJ:MIN rbytes=N wbytes=N ..." lines).
 *
 * The working set is computed as the kubelet (cAdvisor) does: usage minus
 * inactive file pages, floored at 0. A controller that is not mounted, or
 * not enabled for the cgroup (v2 files absent), leaves its fields at their
 * defaults: 0 for usage, -1 (unlimited) for limits — without the controller
 * nothing limits the cgroup. */
#ifndef CRIO_CGROUPS_STATS_H
#define CRIO_CGROUPS_STATS_H

#include <stdint.h>

#include "util/err.h"

typedef struct cgroup_stats {
  int64_t timestamp_ns;         /* CLOCK_REALTIME when the CPU usage was read */
  uint64_t cpu_usage_ns;        /* cumulative, all CPUs */
  uint64_t cpu_user_ns, cpu_system_ns;
  uint64_t memory_usage;        /* bytes, page cache included */
  uint64_t memory_working_set;  /* usage - inactive_file, floored at 0 */
  uint64_t memory_rss;          /* anonymous memory (v1 total_rss, v2 anon) */
  int64_t memory_limit;         /* bytes; -1: unlimited */
  uint64_t memory_failcnt;      /* times the limit was hit (v1 failcnt, v2 events "max") */
  uint64_t pids_current;
  int64_t pids_limit;           /* -1: max */
  uint64_t blkio_read_bytes, blkio_write_bytes;  /* summed over devices */
  int version;                  /* 1 or 2: the hierarchy the CPU usage came from */
} cgroup_stats;

/* Stats of cgroup_path ("/crio-c/pod-x/ctr-y", as the OCI cgroupsPath) from
 * what the host has: the v1 controllers on a v1 or hybrid host, the unified
 * tree on a pure v2 host. A cgroup that does not exist → CRIO_E_NOT_FOUND
 * naming the path. */
int cgroup_stats_read(const char *cgroup_path, cgroup_stats *out, crio_err **err);

/* From the v1 controllers (each found with cgroup_controller_dir; on a
 * hybrid host a controller bound to the unified tree is read in v2 format).
 * The cgroup must exist in the cpuacct hierarchy. */
int cgroup_stats_read_v1(const char *cgroup_path, cgroup_stats *out, crio_err **err);

/* From dir, an absolute directory of a cgroup2 mount (or any directory laid
 * out like one: tests use fixture files). dir missing → CRIO_E_NOT_FOUND;
 * cpu.stat is required, the other files are read when present. */
int cgroup_stats_read_v2(const char *dir, cgroup_stats *out, crio_err **err);

/* Cores used between two samples of the same cgroup: CPU ns over wall ns
 * (nanocores / 1e9). 0 when the samples are not in order or the counter went
 * back (the cgroup was recreated). */
double cgroup_cpu_rate(const cgroup_stats *prev, const cgroup_stats *now);

/* ---- internals shared by cgroup_stats*.c (not for other modules) ---- */

/* Fills the defaults described above (limits -1, the rest 0). */
void cgroup_stats__init(cgroup_stats *out);
int64_t cgroup_stats__now_ns(void);
/* The whole file at dir/file; *missing (optional) is set and 0 returned when
 * the file does not exist (ENOENT). */
int cgroup_stats__read(const char *dir, const char *file, char **out, int *missing,
                       crio_err **err);
/* The value of `key` in a flat-keyed file ("key value" lines); 0 when found,
 * -1 when absent or not a number. */
int cgroup_stats__kv(const char *text, const char *key, uint64_t *out);
/* The v2 readers for one controller, used by both readers: a hybrid host may
 * bind a controller to its unified tree. A file missing is not an error. */
int cgroup_stats__v2_memory(const char *dir, cgroup_stats *out, crio_err **err);
int cgroup_stats__v2_pids(const char *dir, cgroup_stats *out, crio_err **err);
int cgroup_stats__v2_io(const char *dir, cgroup_stats *out, crio_err **err);

#endif
