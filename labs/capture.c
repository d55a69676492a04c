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
#include "core/run/runtime.h"
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

/* The state, stop_reason and error of an ended capture whose stats are st. */
static void
labcap_render_end(json_t *row, const struct capture_stats *st)
{
	json_object_set_new(row, "state", json_string(st->error ? "failed" : "stopped"));
	if (st->error)
		json_object_set_new(row, "error", json_string(capture_error_text(st->error)));
	else if (st->stop_reason != NULL)
		json_object_set_new(row, "stop_reason", json_string(st->stop_reason));
}

json_t *
labcap_json(int64_t cap, struct lw_err *e)
{
	json_t *row = db_row(DB, e,
	    "SELECT id, link_id AS link, filter, snaplen, state, packets, bytes, dropped,"
	    " kernel_dropped, max_bytes, max_seconds, stop_reason, error, created_at"
	    " FROM captures WHERE id = ?",
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
		/* Ended by itself a moment ago: the runtime records it next. */
		if (!st.running)
			labcap_render_end(row, &st);
	}
	if (json_is_null(json_object_get(row, "stop_reason")))
		json_object_del(row, "stop_reason");
	if (json_is_null(json_object_get(row, "error")))
		json_object_del(row, "error");
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
capture_record(int64_t lab, int64_t link, const char *filter, int snaplen,
    const struct capture_limits *lim, struct lw_err *e)
{
	char path[PATH_MAX];
	struct lw_err e2;
	int64_t cap;

	if (captures_dir(lab, e) == -1)
		return (-1);
	cap = db_insert(DB, e,
	    "INSERT INTO captures (lab_id, link_id, filter, snaplen, max_bytes, max_seconds,"
	    " created_at) VALUES (?,?,?,?,?,?,?)",
	    "iisIiii", lab, link, filter, snaplen, (int64_t)lim->max_bytes, lim->max_ms / 1000,
	    (int64_t)time(NULL));
	if (cap == -1)
		return (-1);
	labcap_path(path, sizeof(path), lab, cap);
	if (capture_start(cap, link, filter, snaplen, path, lim, e) == -1) {
		if (db_exec(DB, &e2, "DELETE FROM captures WHERE id = ?", "i", cap) == -1)
			log_warnx("capture %lld: %s", (long long)cap, e2.msg);
		return (-1);
	}
	return (cap);
}

/*
 * labcap_limits - the body's max_bytes and max_seconds, each at most the
 * daemon's --capture-max-mb and --capture-max-seconds (also the defaults);
 * 0 or -1 with ERR_INVALID.
 */
static int
labcap_limits(json_t *body, struct capture_limits *lim, struct lw_err *e)
{
	json_t *b = json_object_get(body, "max_bytes"), *s = json_object_get(body, "max_seconds");
	int64_t most_b = (int64_t)lw.cfg.capture_max_mb << 20, most_s = lw.cfg.capture_max_seconds;
	int64_t want_b = b ? (int64_t)json_integer_value(b) : most_b;
	int64_t want_s = s ? (int64_t)json_integer_value(s) : most_s;

	if (want_b > most_b) {
		err_set(e, ERR_INVALID, "max_bytes may be at most %lld (%ld MiB, --capture-max-mb)",
		    (long long)most_b, lw.cfg.capture_max_mb);
		return (err_num(e, "limit", most_b));
	}
	if (want_s > most_s) {
		err_set(e, ERR_INVALID, "max_seconds may be at most %lld (--capture-max-seconds)",
		    (long long)most_s);
		return (err_num(e, "limit", most_s));
	}
	lim->max_bytes = (uint64_t)want_b;
	lim->max_ms = want_s * 1000;
	return (0);
}

/* Captures running in lab now; at most --captures-per-lab. 0 or -1 with ERR_TOO_MANY. */
static int
labcap_room(int64_t lab, struct lw_err *e)
{
	int64_t n = db_int(DB, 0,
	    "SELECT COUNT(*) FROM captures WHERE lab_id = ? AND state = 'running'", "i", lab);

	if (n < lw.cfg.captures_per_lab)
		return (0);
	err_set(e, ERR_TOO_MANY,
	    "this lab runs %lld captures, the most at once (--captures-per-lab %ld): stop one "
	    "first",
	    (long long)n, lw.cfg.captures_per_lab);
	return (err_num(e, "limit", lw.cfg.captures_per_lab));
}

int64_t
labcap_start(int64_t lab, int64_t link, json_t *body, struct lw_err *e)
{
	json_t *f = json_object_get(body, "filter"), *s = json_object_get(body, "snaplen");
	const char *filter = f ? json_string_value(f) : "";
	int snaplen = s ? (int)json_integer_value(s) : 65535;
	struct capture_limits lim;
	int64_t cap;

	/* A bad filter is the user's to fix whatever the lab's state: say so first. */
	if (filter[0] != '\0' && capture_check_filter(filter, snaplen, e) == -1)
		return (-1);
	if (labcap_limits(body, &lim, e) == -1 || labcap_room(lab, e) == -1)
		return (-1);
	if (users_quota_capture(lab, e) == -1)
		return (-1);
	if (!capture_link_is_up(link))
		return (err_set(e, ERR_CONFLICT,
		    "link %lld is not up: start the lab (or a node on the link) first",
		    (long long)link));
	if ((cap = capture_record(lab, link, filter, snaplen, &lim, e)) == -1)
		return (-1);
	lab_publish("capture", "started", cap, lab);
	return (cap);
}

void
labcap_stop(int64_t lab, int64_t cap)
{
	struct capture_stats st;

	(void)lab;
	if (capture_stop(cap, &st) != 0)
		return; /* it had ended already (by itself: the runtime records it) */
	/* Recorded (a lost counter update is logged: it has stopped either way) and announced. */
	runtime_captures_ended(&st, 1);
}
