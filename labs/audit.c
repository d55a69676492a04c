/*
 * audit - the audit log's rows.
 */
#include <stdio.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "db/db.h"
#include "labs/audit.h"

#define DB db_current(lw.db)

void
audit_add(const struct who *w, const char *action, const char *target, bool ok, const char *detail)
{
	struct lw_err e = {0};
	int64_t id;

	id = db_insert(DB, &e,
	    "INSERT INTO audit (at, user, addr, action, target, ok, detail) VALUES (?,?,?,?,?,?,?)",
	    "issssIs", (int64_t)time(NULL), w ? w->name : "", w ? w->addr : "", action,
	    target ? target : "", (int)ok, detail ? detail : "");
	if (id == -1) {
		log_warn("audit: %s %s not recorded: %s", action, target ? target : "", e.msg);
		return;
	}
	if (id % 1000 == 0) /* keep the newest AUDIT_MAX */
		db_exec(DB, NULL, "DELETE FROM audit WHERE id <= ?", "i", id - AUDIT_MAX);
}

void
audit_lab(const struct who *w, const char *action, int64_t lab, bool ok)
{
	json_t *row = db_row(DB, NULL, "SELECT name FROM labs WHERE id = ?", "i", lab);
	char target[96];

	snprintf(target, sizeof(target), "%s",
	    row ? json_string_value(json_object_get(row, "name")) : "?");
	json_decref(row);
	audit_add(w, action, target, ok, "");
}

json_t *
audit_json(int64_t before, int limit, struct lw_err *e)
{
	json_t *rows, *r;
	size_t i;

	rows = db_rows(DB, e,
	    "SELECT id, at, user, addr, action, target, ok, detail FROM audit"
	    " WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	    "iiI", before, before, limit);
	if (rows == NULL)
		return (NULL);
	json_array_foreach(rows, i, r)
		json_object_set_new(
		    r, "ok", json_boolean(json_integer_value(json_object_get(r, "ok"))));
	return (json_pack("{s:o}", "entries", rows));
}
