/* The rows of `kpod stats`, built from the API's Stats objects the way
 * podman's stats command presents its ContainerStats: CPU % from two samples,
 * sizes as go-units' HumanSize ("1.5MB / 67.11MB"), "--" for what is zero.
 * Pure functions (the samples and the host's memory are arguments), so unit
 * tests check them without a daemon. */
#ifndef KPOD_STATS_VIEW_H
#define KPOD_STATS_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "report.h"
#include "util/strbuf.h"

/* The CPU use of stats in percent of one core (200.00 for two busy cores),
 * as podman computes it: the CPU time used between prev and stats over the
 * wall time between their timestamps. Without a usable prev (NULL, another
 * container, no time between them) the daemon's cpu.rate * 100. */
double kpod_stats_cpu_percent(const json_t *stats, const json_t *prev);

/* What a row needs beside its sample. */
typedef struct kpod_stats_view {
  const json_t *prev;     /* the previous sample of the container, or NULL */
  int64_t memory_total;   /* the host's memory (GET /v1/info); 0 when unknown */
  double avg_cpu;         /* the mean CPU % of the samples so far (AVGCPU) */
  int no_trunc;           /* ID not cut to 12 characters */
} kpod_stats_view;

/* The row of one Stats object, with podman's template fields: ID, Name,
 * CPUPerc ("12.34%" or "--"), MemUsage ("1.5MB / 67.11MB"; an unlimited
 * container's limit is the host's memory, as podman shows it, and "--"
 * when that is unknown), MemUsageBytes (binary units), MemPerc, NetIO (rx /
 * tx summed over the interfaces), BlockIO (read / write), PIDS ("--" for
 * none), UpTime (the CPU time as Go prints a Duration), AVGCPU, and the raw
 * numbers ContainerID, CPU, CPUNano, CPUSystemNano, MemLimit, NetInput,
 * NetOutput, BlockInput, BlockOutput, PIDs. */
json_t *kpod_stats_row(const json_t *stats, const kpod_stats_view *view);

/* The row of a container that is not running (stats --all): its ID and
 * Name, and "--" for every measure, as podman shows one. */
json_t *kpod_stats_row_idle(const char *id, const char *name, int no_trunc);

/* A row as `podman stats --format json` prints it: {"id", "name",
 * "cpu_time", "cpu_percent", "avg_cpu", "mem_usage", "mem_percent",
 * "net_io", "block_io", "pids"}, all strings. */
json_t *kpod_stats_row_json(const json_t *row);

/* The default table: ID NAME CPU % MEM USAGE / LIMIT MEM % NET IO BLOCK IO PIDS. */
#define KPOD_STATS_FORMAT                                                                   \
  "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t" \
  "{{.PIDS}}\n"
extern const kpod_column kpod_stats_columns[];

/* "a / b" as podman's combineHumanValues: go-units HumanSize of each (4
 * significant digits), "-- / --" when both are zero. */
void kpod_stats_pair(strbuf *out, double a, double b);

/* A percentage as podman's floatToPercentString: "12.34%", or "--" for 0. */
void kpod_stats_percent(strbuf *out, double percent);

/* Go's time.Duration.String(): "0s", "850ns", "1.5µs", "12.345ms",
 * "4.933s", "4m39.028579s", "2h0m3s". */
void kpod_go_duration(strbuf *out, int64_t ns);

#endif
