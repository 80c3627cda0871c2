#include "stats_view.h"

#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "units.h"
#include "util/cleanup.h"

#define NS_PER_SEC INT64_C(1000000000)

const kpod_column kpod_stats_columns[] = {
  { "ID", "ID" },
  { "Name", "NAME" },
  { "CPUPerc", "CPU %" },
  { "MemUsage", "MEM USAGE / LIMIT" },
  { "MemUsageBytes", "MEM USAGE / LIMIT" },
  { "MemPerc", "MEM %" },
  { "NetIO", "NET IO" },
  { "BlockIO", "BLOCK IO" },
  { "PIDS", "PIDS" },
  { "UpTime", "CPU TIME" },
  { "AVGCPU", "AVG CPU %" },
  { "ContainerID", "CONTAINER ID" },
  { "CPU", "CPU" },
  { "CPUNano", "CPU NANO" },
  { "CPUSystemNano", "CPU SYSTEM NANO" },
  { "MemLimit", "MEM LIMIT" },
  { "NetInput", "NET INPUT" },
  { "NetOutput", "NET OUTPUT" },
  { "BlockInput", "BLOCK INPUT" },
  { "BlockOutput", "BLOCK OUTPUT" },
  { "PIDs", "PIDS" },
  { NULL, NULL },
};

/* obj.a.b as an integer (a real is truncated); 0 when missing. */
static int64_t num(const json_t *obj, const char *a, const char *b)
{
  const json_t *v = json_object_get(obj, a);
  if (b)
    v = json_object_get(v, b);
  return json_is_integer(v) ? (int64_t) json_integer_value(v) : (int64_t) json_number_value(v);
}

static void set_str(json_t *row, const char *key, strbuf *b)
{
  json_object_set_new(row, key, json_string(b->data ? b->data : ""));
  strbuf_reset(b);
}

double kpod_stats_cpu_percent(const json_t *stats, const json_t *prev)
{
  double rate = json_number_value(json_object_get(json_object_get(stats, "cpu"), "rate"));
  if (!prev || strcmp(kpod_json_str(stats, "id", ""), kpod_json_str(prev, "id", "")) != 0)
    return rate * 100.0;
  int64_t t1 = 0, t0 = 0;
  if (kpod_time_parse(kpod_json_str(stats, "timestamp", NULL), &t1) < 0 ||
      kpod_time_parse(kpod_json_str(prev, "timestamp", NULL), &t0) < 0 || t1 <= t0)
    return rate * 100.0;
  int64_t u1 = num(stats, "cpu", "usage_ns"), u0 = num(prev, "cpu", "usage_ns");
  if (u1 < u0) /* another process: the counter restarted */
    return rate * 100.0;
  return (double) (u1 - u0) / (double) (t1 - t0) * 100.0;
}

void kpod_stats_percent(strbuf *out, double percent)
{
  if (percent == 0.0)
    strbuf_puts(out, "--");
  else
    strbuf_printf(out, "%.2f%%", percent);
}

void kpod_stats_pair(strbuf *out, double a, double b)
{
  if (a == 0.0 && b == 0.0) {
    strbuf_puts(out, "-- / --");
    return;
  }
  kpod_human_size(out, a, 4, 0);
  strbuf_puts(out, " / ");
  kpod_human_size(out, b, 4, 0);
}

/* go-units BytesSize: binary units with "%.4g". */
static void bytes_size(strbuf *out, double bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  size_t i = 0;
  while (bytes >= 1024.0 && i + 1 < ARRAY_SIZE(units)) {
    bytes /= 1024.0;
    i++;
  }
  strbuf_printf(out, "%.4g%s", bytes, units[i]);
}

/* v / 10^digits with the fraction's trailing zeros cut, as Go's fmtFrac. */
static void go_fraction(strbuf *out, uint64_t v, int digits)
{
  uint64_t unit = 1;
  for (int i = 0; i < digits; i++)
    unit *= 10;
  strbuf_printf(out, "%llu", (unsigned long long) (v / unit));
  uint64_t frac = v % unit;
  if (!frac)
    return;
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%0*llu", digits, (unsigned long long) frac);
  while (n > 0 && buf[n - 1] == '0')
    buf[--n] = '\0';
  strbuf_printf(out, ".%s", buf);
}

void kpod_go_duration(strbuf *out, int64_t ns)
{
  uint64_t u = ns < 0 ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns;
  if (ns < 0)
    strbuf_putc(out, '-');
  if (u == 0) {
    strbuf_puts(out, "0s");
  } else if (u < 1000) {
    strbuf_printf(out, "%lluns", (unsigned long long) u);
  } else if (u < 1000000) {
    go_fraction(out, u, 3);
    strbuf_puts(out, "\xc2\xb5s"); /* µs, as Go writes it */
  } else if (u < (uint64_t) NS_PER_SEC) {
    go_fraction(out, u, 6);
    strbuf_puts(out, "ms");
  } else {
    uint64_t hours = u / (3600 * (uint64_t) NS_PER_SEC);
    u %= 3600 * (uint64_t) NS_PER_SEC;
    uint64_t minutes = u / (60 * (uint64_t) NS_PER_SEC);
    u %= 60 * (uint64_t) NS_PER_SEC;
    if (hours)
      strbuf_printf(out, "%lluh", (unsigned long long) hours);
    if (hours || minutes)
      strbuf_printf(out, "%llum", (unsigned long long) minutes);
    go_fraction(out, u, 9);
    strbuf_putc(out, 's');
  }
}

static void stats_set_id(json_t *row, const char *id, const char *name, int no_trunc)
{
  json_object_set_new(row, "ID", json_stringn(id, no_trunc ? strlen(id) : strnlen(id, 12)));
  json_object_set_new(row, "Name", json_string(name));
  json_object_set_new(row, "ContainerID", json_string(id));
}

/* The limit podman shows: the host's memory for an unlimited container (or
 * a limit above it); 0 when that is unknown. */
static int64_t stats_memory_limit(int64_t limit, int64_t total)
{
  if (limit < 0 || (total > 0 && limit > total))
    return total;
  return limit;
}

static void stats_set_memory(json_t *row, const json_t *stats, int64_t total, strbuf *b)
{
  int64_t usage = num(stats, "memory", "usage");
  int64_t limit = stats_memory_limit(num(stats, "memory", "limit"), total);
  if (limit <= 0 && usage > 0) { /* unlimited, and the host's memory unknown */
    kpod_human_size(b, (double) usage, 4, 0);
    strbuf_puts(b, " / --");
  } else {
    kpod_stats_pair(b, (double) usage, (double) limit);
  }
  set_str(row, "MemUsage", b);
  if (usage == 0 && limit <= 0) {
    strbuf_puts(b, "-- / --");
  } else {
    bytes_size(b, (double) usage);
    strbuf_puts(b, " / ");
    if (limit > 0)
      bytes_size(b, (double) limit);
    else
      strbuf_puts(b, "--");
  }
  set_str(row, "MemUsageBytes", b);
  kpod_stats_percent(b, limit > 0 ? (double) usage / (double) limit * 100.0 : 0.0);
  set_str(row, "MemPerc", b);
  json_object_set_new(row, "MemLimit", json_integer(limit > 0 ? limit : 0));
}

static void stats_set_io(json_t *row, const json_t *stats, strbuf *b)
{
  int64_t rx = 0, tx = 0;
  size_t i;
  json_t *net;
  json_array_foreach(json_object_get(stats, "networks"), i, net) {
    rx += num(net, "rx_bytes", NULL);
    tx += num(net, "tx_bytes", NULL);
  }
  kpod_stats_pair(b, (double) rx, (double) tx);
  set_str(row, "NetIO", b);
  json_object_set_new(row, "NetInput", json_integer(rx));
  json_object_set_new(row, "NetOutput", json_integer(tx));
  int64_t rd = num(stats, "block_io", "read_bytes"), wr = num(stats, "block_io", "write_bytes");
  kpod_stats_pair(b, (double) rd, (double) wr);
  set_str(row, "BlockIO", b);
  json_object_set_new(row, "BlockInput", json_integer(rd));
  json_object_set_new(row, "BlockOutput", json_integer(wr));
}

json_t *kpod_stats_row(const json_t *stats, const kpod_stats_view *view)
{
  json_t *row = json_object();
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  stats_set_id(row, kpod_json_str(stats, "id", ""), kpod_json_str(stats, "name", ""),
               view->no_trunc);
  double cpu = kpod_stats_cpu_percent(stats, view->prev);
  kpod_stats_percent(&b, cpu);
  set_str(row, "CPUPerc", &b);
  stats_set_memory(row, stats, view->memory_total, &b);
  stats_set_io(row, stats, &b);
  int64_t pids = num(stats, "pids", "current");
  if (pids > 0)
    strbuf_printf(&b, "%lld", (long long) pids);
  else
    strbuf_puts(&b, "--");
  set_str(row, "PIDS", &b);
  json_object_set_new(row, "PIDs", json_integer(pids));
  kpod_go_duration(&b, num(stats, "cpu", "usage_ns"));
  set_str(row, "UpTime", &b);
  kpod_stats_percent(&b, view->avg_cpu);
  set_str(row, "AVGCPU", &b);
  json_object_set_new(row, "CPU", json_real(cpu));
  json_object_set_new(row, "CPUNano", json_integer(num(stats, "cpu", "usage_ns")));
  json_object_set_new(row, "CPUSystemNano", json_integer(num(stats, "cpu", "system_ns")));
  return row;
}

json_t *kpod_stats_row_idle(const char *id, const char *name, int no_trunc)
{
  _cleanup_json_ json_t *empty = json_object();
  json_object_set_new(empty, "id", json_string(id ? id : ""));
  json_object_set_new(empty, "name", json_string(name ? name : ""));
  kpod_stats_view view = { .no_trunc = no_trunc };
  return kpod_stats_row(empty, &view);
}

json_t *kpod_stats_row_json(const json_t *row)
{
  static const char *const keys[][2] = {
    { "id", "ID" },           { "name", "Name" },          { "cpu_time", "UpTime" },
    { "cpu_percent", "CPUPerc" }, { "avg_cpu", "AVGCPU" }, { "mem_usage", "MemUsage" },
    { "mem_percent", "MemPerc" }, { "net_io", "NetIO" },   { "block_io", "BlockIO" },
    { "pids", "PIDS" },
  };
  json_t *out = json_object();
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
    json_object_set_new(out, keys[i][0], json_string(kpod_json_str(row, keys[i][1], "")));
  return out;
}
