/*
 * log - daemon logging to stderr, in the OpenBSD style: log_warn appends
 * strerror(errno), log_warnx does not; fatal exits (start-up code only).
 * It writes lines and nothing else: it opens no file, keeps no history and
 * tells no user anything; a request path reports through core/base/err and
 * must never call fatal.
 */
#ifndef LW_LOG_H
#define LW_LOG_H

enum { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(int level);
/* log_level_parse - "error|warn|info|debug" to a level; -1 if unknown. */
int log_level_parse(const char *s);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
