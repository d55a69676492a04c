/*
 * db/boot_times - the boot_times table.
 */
#include <stdio.h>

#include "db/boot_times.h"

int
db_boot_time_add(struct db *db, const char *tmpl, const char *accel, double seconds, int64_t at,
    int keep, struct lw_err *e)
{
	if (db_exec(db, e, "INSERT INTO boot_times (template, accel, seconds, at) VALUES (?,?,?,?)",
	        "ssdi", tmpl, accel, seconds, at) == -1)
		return (-1);
	if (db_exec(db, e,
	        "DELETE FROM boot_times WHERE id NOT IN"
	        " (SELECT id FROM boot_times ORDER BY id DESC LIMIT ?)",
	        "I", keep) == -1)
		return (-1);
	return (0);
}

int
db_boot_time_of(struct db *db, const char *tmpl, const char *accel, double *seconds, int max)
{
	json_t *rows = db_rows(db, NULL,
	    "SELECT seconds FROM boot_times WHERE template = ? AND accel = ? ORDER BY id DESC "
	    "LIMIT ?",
	    "ssI", tmpl, accel, max);
	json_t *row;
	size_t i;
	int n = 0;

	if (rows == NULL)
		return (-1);
	json_array_foreach(rows, i, row)
		if (n < max)
			seconds[n++] = json_number_value(json_object_get(row, "seconds"));
	json_decref(rows);
	return (n);
}

int
db_boot_time_recent(struct db *db, const char *accel, struct db_boot_time *out, int max)
{
	json_t *rows = db_rows(db, NULL,
	    "SELECT template, seconds FROM boot_times WHERE accel = ? ORDER BY id DESC LIMIT ?",
	    "sI", accel, max);
	json_t *row;
	size_t i;
	int n = 0;

	if (rows == NULL)
		return (-1);
	json_array_foreach(rows, i, row) {
		const char *t = json_string_value(json_object_get(row, "template"));

		if (n == max)
			break;
		snprintf(out[n].tmpl, sizeof(out[n].tmpl), "%s", t != NULL ? t : "");
		out[n++].seconds = json_number_value(json_object_get(row, "seconds"));
	}
	json_decref(rows);
	return (n);
}
