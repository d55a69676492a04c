/*
 * db/boot_times - the boot_times table: measured boots (template, accel,
 * seconds from spawn to ready), newest first, kept to a bounded history.
 * It owns only these statements (prepared, through db/db.c); it must not
 * turn them into estimates (tcg/boot.c does) and includes nothing above
 * db/. Callers hold lw_lock().
 */
#ifndef LW_DB_BOOT_TIMES_H
#define LW_DB_BOOT_TIMES_H

#include <stdint.h>

#include "core/base/err.h"
#include "db/db.h"

struct db_boot_time {
	char tmpl[64];
	double seconds;
};

/* db_boot_time_add - record a boot, then keep only the newest keep; 0 or -1 with e. */
int db_boot_time_add(struct db *db, const char *tmpl, const char *accel, double seconds, int64_t at,
    int keep, struct lw_err *e);
/* db_boot_time_of - the newest (at most max) boot seconds of tmpl under accel; the count, or -1. */
int db_boot_time_of(struct db *db, const char *tmpl, const char *accel, double *seconds, int max);
/* db_boot_time_recent - the newest (at most max) boots of any template under accel; count or -1. */
int db_boot_time_recent(struct db *db, const char *accel, struct db_boot_time *out, int max);

#endif
