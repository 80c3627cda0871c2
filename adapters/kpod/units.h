/* Sizes and times as podman prints them (docker/go-units and mpb), and the
 * RFC 3339 times of the API. Pure functions: the current time is an argument. */
#ifndef KPOD_UNITS_H
#define KPOD_UNITS_H

#include <stdint.h>
#include <time.h>

#include "util/strbuf.h"

/* go-units HumanSizeWithPrecision: decimal units (B, kB, MB, GB, ...) and
 * Go's "%.*g", so 1234567 is "1.23MB" with precision 3. With space, a space
 * goes between the number and the unit as podman images prints it ("1.23 MB"). */
void kpod_human_size(strbuf *out, double bytes, int precision, int space);

/* go-units HumanDuration: "Less than a second", "1 second", "47 seconds",
 * "About a minute", "3 minutes", "About an hour", "2 hours", "3 days",
 * "2 weeks", "3 months", "2 years". */
void kpod_human_duration(strbuf *out, int64_t ns);

/* "<duration> ago" for a time of created_ns (nanoseconds since the epoch)
 * seen at now_ns, as podman's CREATED column. */
void kpod_time_ago(strbuf *out, int64_t created_ns, int64_t now_ns);

/* A byte count as mpb's progress counters print it: binary units with one
 * decimal, "512.0b", "10.0MiB". */
void kpod_size_iec(strbuf *out, double bytes);

/* Parse an RFC 3339 time ("2024-01-02T03:04:05Z", with an optional fraction
 * and a Z or +hh:mm offset) into nanoseconds since the epoch. -1 when s is
 * not one. */
int kpod_time_parse(const char *s, int64_t *ns_out);

/* The current time in nanoseconds since the epoch. */
int64_t kpod_time_now(void);

/* Go's time.String() of a UTC time: "2024-01-02 03:04:05 +0000 UTC". */
void kpod_time_go_utc(strbuf *out, int64_t ns);

/* Go's Format(time.RFC3339) in the local time zone:
 * "2024-01-02T04:04:05+01:00", or "...Z" where the offset is zero. */
void kpod_time_rfc3339_local(strbuf *out, int64_t ns);

/* Go's time.String() of a UTC time with its fraction, trailing zeros cut:
 * "2024-01-02 03:04:05.1234 +0000 UTC" (no fraction when it is zero). */
void kpod_time_go_utc_nano(strbuf *out, int64_t ns);

/* An RFC 3339 time (s) as podman's log timestamps print it (Go's
 * "2006-01-02T15:04:05.000000000Z07:00"): nine fraction digits, in the
 * time's own offset, "Z" for a zero one. -1 when s is not an RFC 3339 time. */
int kpod_time_log_format(strbuf *out, const char *s);

#endif
