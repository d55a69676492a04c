/*
 * capture (labcap_*) - a link's capture records (see capture.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/net/capture.h"
#include "db/db.h"
#include "labs/capture.h"
#include "labs/users.h"
#include "labs/lab.h"

#define DB db_current(lw.db)

int64_t
labcap_resolve(int64_t link, const char *ref, struct lw_err *e)
{
	char *end;
	int64_t cap = strtoll(ref, &end, 10);

	if (*end != '\0' || cap <= 0 ||
	    db_int(DB, 0, "SELECT COUNT(*) FROM captures WHERE id = ? AND link_id = ?", "ii", cap,
	        link) != 1)
		return (err_set(e, ERR_NOT_FOUND, "capture '%.40s' not found on this link", ref));
	return (cap);
}

void
labcap_path(char *buf, size_t len, int64_t lab, int64_t cap)
{
	char file[64];

	snprintf(file, sizeof(file), "/captures/%lld.pcap", (long long)cap);
	paths_lab(buf, len, lab, 0, file);
}

json_t *
labcap_json(int64_t cap, struct lw_err *e)
{
	json_t *row = db_row(DB, e,
	    "SELECT id, link_id AS link, filter, snaplen, state, packets, bytes, dropped,"
	    " kernel_dropped, created_at FROM captures WHERE id = ?",
	    "i", cap);
	struct capture_stats st;

	if (row == NULL)
		return (NULL);
	if (capture_get(cap, &st) == 0) {
		json_object_set_new(row, "packets", json_integer((json_int_t)st.packets));
		json_object_set_new(row, "bytes", json_integer((json_int_t)st.bytes));
		json_object_set_new(row, "dropped", json_integer((json_int_t)st.dropped));
		json_object_set_new(
		    row, "kernel_dropped", json_integer((json_int_t)st.kernel_dropped));
	}
	return (row);
}

json_t *
labcap_list_json(int64_t link, struct lw_err *e)
{
	json_t *ids, *row, *out;
	size_t i;

	if ((ids = db_rows(DB, e, "SELECT id FROM captures WHERE link_id = ? ORDER BY id", "i",
	         link)) == NULL)
		return (NULL);
	out = json_array();
	json_array_foreach(ids, i, row) {
		json_t *c = labcap_json(json_integer_value(json_object_get(row, "id")), NULL);

		if (c != NULL)
			json_array_append_new(out, c);
	}
	json_decref(ids);
	return (json_pack("{s:o}", "captures", out));
}

/* The lab's captures directory, made (with the lab's) when missing; 0 or -1 with e. */
static int
captures_dir(int64_t lab, struct lw_err *e)
{
	char dir[PATH_MAX];

	if (paths_lab(dir, sizeof(dir), lab, 0, "/captures") == -1)
		return (err_set(
		    e, ERR_INTERNAL, "data dir path too long for lab %lld", (long long)lab));
	if (paths_mkdir_p(dir) == -1)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", dir, strerror(errno)));
	return (0);
}

/* Record the capture and start it; its id, or -1 with e (and no record). */
static int64_t
capture_record(int64_t lab, int64_t link, const char *filter, int snaplen, struct lw_err *e)
{
	char path[PATH_MAX];
	struct lw_err e2;
	int64_t cap;

	if (captures_dir(lab, e) == -1)
		return (-1);
	cap = db_insert(DB, e,
	    "INSERT INTO captures (lab_id, link_id, filter, snaplen, created_at) VALUES "
	    "(?,?,?,?,?)",
	    "iisIi", lab, link, filter, snaplen, (int64_t)time(NULL));
	if (cap == -1)
		return (-1);
	labcap_path(path, sizeof(path), lab, cap);
	if (capture_start(cap, link, filter, snaplen, path, e) == -1) {
		if (db_exec(DB, &e2, "DELETE FROM captures WHERE id = ?", "i", cap) == -1)
			log_warnx("capture %lld: %s", (long long)cap, e2.msg);
		return (-1);
	}
	return (cap);
}

int64_t
labcap_start(int64_t lab, int64_t link, json_t *body, struct lw_err *e)
{
	json_t *f = json_object_get(body, "filter"), *s = json_object_get(body, "snaplen");
	const char *filter = f ? json_string_value(f) : "";
	int snaplen = s ? (int)json_integer_value(s) : 65535;
	int64_t cap;

	/* A bad filter is the user's to fix whatever the lab's state: say so first. */
	if (filter[0] != '\0' && capture_check_filter(filter, snaplen, e) == -1)
		return (-1);
	if (users_quota_capture(lab, e) == -1)
		return (-1);
	if (!capture_link_is_up(link))
		return (err_set(e, ERR_CONFLICT,
		    "link %lld is not up: start the lab (or a node on the link) first",
		    (long long)link));
	if ((cap = capture_record(lab, link, filter, snaplen, e)) == -1)
		return (-1);
	lab_publish("capture", "started", cap, lab);
	return (cap);
}

void
labcap_stop(int64_t lab, int64_t cap)
{
	struct capture_stats st;
	struct lw_err we = {0};

	if (capture_stop(cap, &st) != 0)
		return; /* it had ended already */
	/* The capture has stopped either way: a lost counter update is logged, not answered. */
	if (db_exec(DB, &we,
	        "UPDATE captures SET state = 'stopped', packets = ?, bytes = ?, dropped = ?,"
	        " kernel_dropped = ? WHERE id = ?",
	        "iiiii", (int64_t)st.packets, (int64_t)st.bytes, (int64_t)st.dropped,
	        (int64_t)st.kernel_dropped, cap) == -1)
		log_warnx(
		    "capture %lld: cannot record its final counters: %s", (long long)cap, we.msg);
	lab_publish("capture", "stopped", cap, lab);
}
