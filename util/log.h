/* Leveled logging to stderr: "time level message". The level is the daemon's
 * configuration; log_set_level() is called by main at start and on SIGHUP. */
#ifndef CRIO_UTIL_LOG_H
#define CRIO_UTIL_LOG_H

typedef enum { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE } log_level;

/* "error", "warn" (or "warning"), "info", "debug", "trace"; -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(log_level level);
void log_set_level(log_level level);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
