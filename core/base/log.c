/* log - daemon logging to stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/log.h"

static int log_level = LOG_LVL_INFO;

void
log_set_level(int level)
{
	log_level = level;
}

int
log_level_parse(const char *s)
{
	static const char *names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return (i);
	return (-1);
}

static void
log_vemit(int level, const char *tag, int with_errno, const char *fmt, va_list ap)
{
	char msg[1024], stamp[32];
	int saved = errno;
	time_t now = time(NULL);
	struct tm tm;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (with_errno)
		fprintf(stderr, "%s labwire %s: %s: %s\n", stamp, tag, msg, strerror(saved));
	else
		fprintf(stderr, "%s labwire %s: %s\n", stamp, tag, msg);
	errno = saved;
}

#define LOG_FN(fn, level, tag, with_errno)                                                         \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(level, tag, with_errno, fmt, ap);                                        \
		va_end(ap);                                                                        \
	}

LOG_FN(log_warn, LOG_LVL_WARN, "warn", 1)
LOG_FN(log_warnx, LOG_LVL_WARN, "warn", 0)
LOG_FN(log_info, LOG_LVL_INFO, "info", 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, "debug", 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERR, "fatal", 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERR, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
