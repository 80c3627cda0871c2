#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC INT64_C(1000000000)

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "b", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

void kpod_human_size(strbuf *out, double bytes, int precision, int space)
{
  size_t i = 0;
  while (bytes >= 1000.0 && i + 1 < sizeof decimal_units / sizeof *decimal_units) {
    bytes /= 1000.0;
    i++;
  }
  strbuf_printf(out, "%.*g%s%s", precision, bytes, space ? " " : "", decimal_units[i]);
}

void kpod_size_iec(strbuf *out, double bytes)
{
  size_t i = 0;
  while (bytes >= 1024.0 && i + 1 < sizeof binary_units / sizeof *binary_units) {
    bytes /= 1024.0;
    i++;
  }
  strbuf_printf(out, "%.1f%s", bytes, binary_units[i]);
}

void kpod_human_duration(strbuf *out, int64_t ns)
{
  int64_t seconds = ns / NS_PER_SEC;
  int64_t minutes = seconds / 60;
  /* go-units rounds the hours: int(d.Hours() + 0.5) */
  int64_t hours = (ns + 1800 * NS_PER_SEC) / (3600 * NS_PER_SEC);
  if (seconds < 1)
    strbuf_puts(out, "Less than a second");
  else if (seconds == 1)
    strbuf_puts(out, "1 second");
  else if (seconds < 60)
    strbuf_printf(out, "%lld seconds", (long long) seconds);
  else if (minutes == 1)
    strbuf_puts(out, "About a minute");
  else if (minutes < 60)
    strbuf_printf(out, "%lld minutes", (long long) minutes);
  else if (hours == 1)
    strbuf_puts(out, "About an hour");
  else if (hours < 48)
    strbuf_printf(out, "%lld hours", (long long) hours);
  else if (hours < 24 * 7 * 2)
    strbuf_printf(out, "%lld days", (long long) (hours / 24));
  else if (hours < 24 * 30 * 2)
    strbuf_printf(out, "%lld weeks", (long long) (hours / 24 / 7));
  else if (hours < 24 * 365 * 2)
    strbuf_printf(out, "%lld months", (long long) (hours / 24 / 30));
  else
    strbuf_printf(out, "%lld years", (long long) (ns / (3600 * NS_PER_SEC) / 24 / 365));
}

void kpod_time_ago(strbuf *out, int64_t created_ns, int64_t now_ns)
{
  kpod_human_duration(out, now_ns - created_ns);
  strbuf_puts(out, " ago");
}

/* n digits at *p into *v. */
static int parse_digits(const char **p, int n, int *v)
{
  *v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (!isdigit((unsigned char) **p))
      return -1;
    *v = *v * 10 + (**p - '0');
  }
  return 0;
}

static int parse_char(const char **p, const char *accepted)
{
  if (!**p || !strchr(accepted, **p))
    return -1;
  (*p)++;
  return 0;
}

static int parse_fraction(const char **p, int64_t *ns)
{
  *ns = 0;
  if (**p != '.')
    return 0;
  (*p)++;
  int64_t scale = NS_PER_SEC / 10;
  if (!isdigit((unsigned char) **p))
    return -1;
  for (; isdigit((unsigned char) **p); (*p)++, scale /= 10)
    *ns += (**p - '0') * scale;
  return 0;
}

static int parse_offset(const char **p, int *offset_sec)
{
  *offset_sec = 0;
  if (**p == 'Z' || **p == 'z') {
    (*p)++;
    return 0;
  }
  int sign = **p == '-' ? -1 : 1;
  int oh, om;
  if (parse_char(p, "+-") < 0 || parse_digits(p, 2, &oh) < 0 || parse_char(p, ":") < 0 ||
      parse_digits(p, 2, &om) < 0 || oh > 23 || om > 59)
    return -1;
  *offset_sec = sign * (oh * 3600 + om * 60);
  return 0;
}

int kpod_time_parse(const char *s, int64_t *ns_out)
{
  if (!s)
    return -1;
  const char *p = s;
  int y, mo, d, h, mi, sec, offset;
  int64_t frac;
  if (parse_digits(&p, 4, &y) < 0 || parse_char(&p, "-") < 0 || parse_digits(&p, 2, &mo) < 0 ||
      parse_char(&p, "-") < 0 || parse_digits(&p, 2, &d) < 0 || parse_char(&p, "Tt ") < 0 ||
      parse_digits(&p, 2, &h) < 0 || parse_char(&p, ":") < 0 || parse_digits(&p, 2, &mi) < 0 ||
      parse_char(&p, ":") < 0 || parse_digits(&p, 2, &sec) < 0 || parse_fraction(&p, &frac) < 0 ||
      parse_offset(&p, &offset) < 0 || *p)
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return -1;
  struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                   .tm_hour = h, .tm_min = mi, .tm_sec = sec };
  time_t t = timegm(&tm);
  *ns_out = ((int64_t) t - offset) * NS_PER_SEC + frac;
  return 0;
}

int64_t kpod_time_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static time_t ns_seconds(int64_t ns)
{
  int64_t s = ns / NS_PER_SEC;
  if (ns < 0 && ns % NS_PER_SEC)
    s--; /* floor, for times before 1970 */
  return (time_t) s;
}

void kpod_time_go_utc(strbuf *out, int64_t ns)
{
  time_t t = ns_seconds(ns);
  struct tm tm;
  char buf[64];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  strbuf_puts(out, buf);
}

void kpod_time_rfc3339_local(strbuf *out, int64_t ns)
{
  time_t t = ns_seconds(ns);
  struct tm tm;
  char buf[64];
  localtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  strbuf_puts(out, buf);
  long off = tm.tm_gmtoff;
  if (off == 0) {
    strbuf_putc(out, 'Z');
    return;
  }
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  strbuf_printf(out, "%c%02ld:%02ld", sign, off / 3600, (off / 60) % 60);
}

void kpod_time_go_utc_nano(strbuf *out, int64_t ns)
{
  time_t t = ns_seconds(ns);
  int64_t frac = ns - (int64_t) t * NS_PER_SEC;
  struct tm tm;
  char buf[64];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  strbuf_puts(out, buf);
  if (frac) {
    snprintf(buf, sizeof buf, ".%09lld", (long long) frac);
    size_t n = strlen(buf);
    while (buf[n - 1] == '0')
      buf[--n] = '\0';
    strbuf_puts(out, buf);
  }
  strbuf_puts(out, " +0000 UTC");
}

int kpod_time_log_format(strbuf *out, const char *s)
{
  int64_t ns;
  if (kpod_time_parse(s, &ns) < 0)
    return -1;
  /* "YYYY-MM-DDTHH:MM:SS" then [.digits] then the offset, as parsed above */
  const char *p = s + 19;
  int64_t frac = 0;
  const char *q = p;
  if (*q == '.')
    parse_fraction(&q, &frac);
  strbuf_append(out, s, 10);
  strbuf_putc(out, 'T');
  strbuf_append(out, s + 11, 8);
  strbuf_printf(out, ".%09lld", (long long) frac);
  if (*q == 'Z' || *q == 'z' || strcmp(q, "+00:00") == 0 || strcmp(q, "-00:00") == 0)
    strbuf_putc(out, 'Z');
  else
    strbuf_puts(out, q);
  return 0;
}
