/*
 * state - the runtime's SQL, in one place (see state.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/events.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/spawn.h"
#include "core/net/capture.h"
#include "core/run/state.h"
#include "db/db.h"

#define DB db_current(lw.db)

/*
 * state_write - a write whose failure is logged: the loop goes on, the log
 * says what was lost (id 0: not one node's or link's).
 */
static void
state_write(const char *what, int64_t id, struct lw_err *e)
{
	if (id != 0)
		log_warnx("runtime: cannot record %s of %lld: %s", what, (long long)id, e->msg);
	else
		log_warnx("runtime: cannot record %s: %s", what, e->msg);
}

#define STATE_EXEC(what, id, ...)                                                                  \
	do {                                                                                       \
		struct lw_err e_ = {0};                                                            \
		if (db_exec(DB, &e_, __VA_ARGS__) == -1)                                           \
			state_write(what, id, &e_);                                                \
	} while (0)

static void
state_copy(char *dst, size_t len, json_t *row, const char *col)
{
	const char *v = json_string_value(json_object_get(row, col));

	snprintf(dst, len, "%s", v ? v : "");
}

static int
state_int(json_t *row, const char *col)
{
	return ((int)json_integer_value(json_object_get(row, col)));
}

int
state_node_get(int64_t node, struct state_node *out, struct lw_err *e)
{
	json_t *row = db_row(DB, e,
	    "SELECT id, lab_id, name, template, image, cdrom, accel, cpus, cpu_cap_pct, ram_mb, "
	    "nics,"
	    " startup_config FROM nodes WHERE id = ?",
	    "i", node);
	const char *cfg;

	memset(out, 0, sizeof(*out));
	if (row == NULL)
		return (-1);
	out->id = node;
	out->lab = json_integer_value(json_object_get(row, "lab_id"));
	state_copy(out->name, sizeof(out->name), row, "name");
	state_copy(out->tmpl, sizeof(out->tmpl), row, "template");
	state_copy(out->accel, sizeof(out->accel), row, "accel");
	state_copy(out->image, sizeof(out->image), row, "image");
	state_copy(out->cdrom, sizeof(out->cdrom), row, "cdrom");
	out->has_image = json_is_string(json_object_get(row, "image"));
	out->has_cdrom = json_is_string(json_object_get(row, "cdrom"));
	out->cpus = state_int(row, "cpus");
	out->cpu_cap_pct = state_int(row, "cpu_cap_pct");
	out->ram_mb = state_int(row, "ram_mb");
	out->nics = state_int(row, "nics");
	cfg = json_string_value(json_object_get(row, "startup_config"));
	if (cfg != NULL && (out->startup_config = strdup(cfg)) == NULL) {
		json_decref(row);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	json_decref(row);
	return (0);
}

void
state_node_clear(struct state_node *n)
{
	free(n->startup_config);
	n->startup_config = NULL;
}

bool
state_node_in(int64_t node, const char *st, const char *boot)
{
	if (boot != NULL)
		return (db_int(DB, 0, "SELECT state = ? AND boot = ? FROM nodes WHERE id = ?",
		            "ssi", st, boot, node) == 1);
	return (db_int(DB, 0, "SELECT state = ? FROM nodes WHERE id = ?", "si", st, node) == 1);
}

void
state_node_publish(int64_t node)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT id, lab_id AS lab, name, state, error, ready, boot, accel_in_use, paused_reason"
	    " FROM nodes WHERE id = ?",
	    "i", node);
	const char *st;

	if (row == NULL)
		return;
	st = json_string_value(json_object_get(row, "state"));
	json_object_set_new(
	    row, "ready", json_boolean(json_integer_value(json_object_get(row, "ready"))));
	if (json_is_null(json_object_get(row, "error")))
		json_object_del(row, "error");
	if (strcmp(st, "paused") != 0 || json_is_null(json_object_get(row, "paused_reason")))
		json_object_del(row, "paused_reason");
	if (json_is_null(json_object_get(row, "boot")) ||
	    (strcmp(st, "starting") != 0 && strcmp(st, "running") != 0))
		json_object_del(row, "boot");
	events_publish("node", json_integer_value(json_object_get(row, "lab")),
	    json_pack("{s:s,s:o}", "action", "state", "node", row));
}

void
state_node_set(int64_t node, const char *st, const char *error)
{
	STATE_EXEC("the state", node, "UPDATE nodes SET state = ?, error = ? WHERE id = ?", "ssi",
	    st, error, node);
	state_node_publish(node);
}

void
state_node_starting(int64_t node, bool queued)
{
	STATE_EXEC("a start", node,
	    "UPDATE nodes SET state = 'starting', error = NULL, ready = 0, boot = ? WHERE id = ?",
	    "si", queued ? "queued" : NULL, node);
	state_node_publish(node);
}

void
state_node_stopping(int64_t node)
{
	STATE_EXEC("a stop", node,
	    "UPDATE nodes SET state = 'stopping' WHERE id = ? AND state != 'stopped'", "i", node);
	state_node_publish(node);
}

bool
state_node_running(int64_t node)
{
	/* A stop recorded meanwhile wins over a late answer from the node. */
	if (db_exec(DB, NULL,
	        "UPDATE nodes SET state = 'running' WHERE id = ? AND state = 'starting'", "i",
	        node) <= 0)
		return (false);
	state_node_publish(node);
	return (true);
}

void
state_node_paused(int64_t node, const char *reason)
{
	/* Stopping, stopped or failed stays so: a pause on the way out says nothing. */
	if (db_exec(DB, NULL,
	        "UPDATE nodes SET state = 'paused', paused_reason = ? WHERE id = ?"
	        " AND state IN ('starting', 'running', 'paused')"
	        " AND (state != 'paused' OR paused_reason IS NOT ?)",
	        "sis", reason, node, reason) > 0)
		state_node_publish(node);
}

void
state_node_resumed(int64_t node)
{
	if (db_exec(DB, NULL,
	        "UPDATE nodes SET state = 'running', paused_reason = NULL WHERE id = ?"
	        " AND state = 'paused'",
	        "i", node) > 0)
		state_node_publish(node);
}

void
state_node_ready(int64_t node)
{
	STATE_EXEC("readiness", node, "UPDATE nodes SET ready = 1, boot = 'ready' WHERE id = ?",
	    "i", node);
	state_node_publish(node);
}

void
state_node_late(int64_t node)
{
	STATE_EXEC("a late boot", node, "UPDATE nodes SET boot = 'late' WHERE id = ?", "i", node);
	state_node_publish(node);
}

void
state_node_note_error(int64_t node, const char *why)
{
	STATE_EXEC("an error", node, "UPDATE nodes SET error = ? WHERE id = ?", "si", why, node);
}

bool
state_node_exited(int64_t node)
{
	STATE_EXEC("an exit", node, "DELETE FROM node_runtime WHERE node_id = ?", "i", node);
	STATE_EXEC("an exit", node, "UPDATE nodes SET ready = 0 WHERE id = ?", "i", node);
	return (db_int(DB, 0, "SELECT error IS NOT NULL FROM nodes WHERE id = ?", "i", node) == 1);
}

void
state_node_failed(int64_t node)
{
	STATE_EXEC("an error", node, "UPDATE nodes SET state = 'error' WHERE id = ?", "i", node);
	state_node_publish(node);
}

bool
state_node_is_ready(int64_t node)
{
	return (db_int(DB, 0, "SELECT ready FROM nodes WHERE id = ?", "i", node) == 1);
}

char *
state_node_startup_config(int64_t node)
{
	json_t *row = db_row(DB, NULL, "SELECT startup_config FROM nodes WHERE id = ?", "i", node);
	const char *cfg = json_string_value(json_object_get(row, "startup_config"));
	char *r = cfg != NULL && cfg[0] != '\0' ? strdup(cfg) : NULL;

	json_decref(row);
	return (r);
}

/* state_taps - the names of node's TAPs or veths as a JSON array (malloc'd), or NULL. */
static char *
state_taps(int64_t node, int nics)
{
	json_t *taps = json_array();
	char tap[16], *s;

	for (int k = 0; k < nics; k++)
		if (names_tap(tap, node, k) == 0)
			json_array_append_new(taps, json_string(tap));
	s = json_dumps(taps, JSON_COMPACT);
	json_decref(taps);
	return (s);
}

/* state_owner - this daemon, as an intent row names it: "pid@start-ticks". */
static const char *
state_owner(void)
{
	static char owner[48];
	unsigned long long t = 0;

	if (owner[0] == '\0') {
		spawn_proc_start(getpid(), &t);
		snprintf(owner, sizeof(owner), "%d@%llu", (int)getpid(), t);
	}
	return (owner);
}

/*
 * state_runtime_row - node's runtime row: phase "starting" (an intent, no
 * pid yet) or "running" (its process and that process's start time).
 */
static int
state_runtime_row(int64_t node, pid_t pid, unsigned long long start_ticks, const char *qmp_path,
    int nics, const char *accel, const char *phase, struct lw_err *e)
{
	char *taps = state_taps(node, nics);
	int r;

	r = db_exec(DB, e,
	    "INSERT OR REPLACE INTO node_runtime (node_id, pid, qmp_path, taps, console_port,"
	    " started_at, accel, phase, owner, start_ticks) VALUES (?, ?, ?, ?,"
	    " (SELECT console_port FROM nodes WHERE id = ?), ?, ?, ?, ?, ?)",
	    "iIssiisssi", node, (int)pid, qmp_path, taps ? taps : "[]", node, (int64_t)time(NULL),
	    accel, phase, state_owner(), (int64_t)start_ticks);
	free(taps);
	return (r == -1 ? -1 : 0);
}

int
state_node_intent(int64_t node, const char *qmp_path, int nics, struct lw_err *e)
{
	return (state_runtime_row(node, 0, 0, qmp_path, nics, "", "starting", e));
}

int
state_node_started(int64_t node, pid_t pid, unsigned long long start_ticks, const char *qmp_path,
    int nics, const char *accel, const char *reason, bool booting, struct lw_err *e)
{
	int r = state_runtime_row(node, pid, start_ticks, qmp_path, nics, accel, "running", e);

	if (r == -1)
		return (-1);
	return (db_exec(DB, e,
	            "UPDATE nodes SET accel_in_use = ?, accel_reason = ?, ready = 0, error = NULL,"
	            " boot = ? WHERE id = ?",
	            "sssi", accel, reason, booting ? "booting" : NULL, node) == -1
	        ? -1
	        : 0);
}

bool
state_node_should_run(int64_t node)
{
	return (db_int(DB, 0,
	            "SELECT state IN ('starting','running','paused','stopping') FROM nodes WHERE "
	            "id = ?",
	            "i", node) == 1);
}

bool
state_node_known(int64_t node)
{
	return (db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE id = ?", "i", node) > 0);
}

/* state_ends - rows of (a, idx) into out; how many. */
static int
state_ends(json_t *rows, const char *idcol, struct state_end *out, int max)
{
	json_t *r;
	size_t i;
	int n = 0;

	json_array_foreach(rows, i, r) {
		if (n == max)
			break;
		out[n].id = json_integer_value(json_object_get(r, idcol));
		out[n].idx = state_int(r, "idx");
		n++;
	}
	return (n);
}

int
state_node_links(int64_t node, bool down_only, struct state_end *out, int max)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT i.idx, le.link_id AS link FROM interfaces i"
	    " JOIN link_endpoints le ON le.interface_id = i.id JOIN links l ON l.id = le.link_id"
	    " WHERE i.node_id = ? AND (? = 0 OR l.state = 'down')",
	    "iI", node, (int)down_only);
	int n = state_ends(rows, "link", out, max);

	json_decref(rows);
	return (n);
}

int
state_link_ends(int64_t link, struct state_end *out, int max, bool *up, json_t **impairment)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT i.node_id AS node, i.idx, l.state, l.impairment FROM link_endpoints le"
	    " JOIN interfaces i ON i.id = le.interface_id JOIN links l ON l.id = le.link_id"
	    " WHERE le.link_id = ? ORDER BY le.pos",
	    "i", link);
	json_t *first = json_array_get(rows, 0);
	int n = state_ends(rows, "node", out, max);

	*up = true;
	if (impairment != NULL)
		*impairment = NULL;
	if (first != NULL) {
		*up = strcmp(json_string_value(json_object_get(first, "state")), "up") == 0;
		if (impairment != NULL)
			*impairment = json_loads(
			    json_string_value(json_object_get(first, "impairment")), 0, NULL);
	}
	json_decref(rows);
	return (n);
}

bool
state_link_known(int64_t link)
{
	return (db_int(DB, 0, "SELECT COUNT(*) FROM links WHERE id = ?", "i", link) > 0);
}

bool
state_link_has_running_end(int64_t link)
{
	return (db_int(DB, 0,
	            "SELECT COUNT(*) FROM link_endpoints le JOIN interfaces i ON i.id ="
	            " le.interface_id JOIN node_runtime r ON r.node_id = i.node_id"
	            " WHERE le.link_id = ?",
	            "i", link) > 0);
}

int
state_links_of_running(int64_t **ids)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT DISTINCT le.link_id AS id FROM link_endpoints le JOIN interfaces i"
	    " ON i.id = le.interface_id JOIN node_runtime r ON r.node_id = i.node_id",
	    "");
	size_t n = json_array_size(rows);

	*ids = calloc(n + 1, sizeof(**ids));
	for (size_t i = 0; *ids != NULL && i < n; i++)
		(*ids)[i] = json_integer_value(json_object_get(json_array_get(rows, i), "id"));
	json_decref(rows);
	return (*ids == NULL ? 0 : (int)n);
}

/* The capture event of st: {"action":"stopped"|"failed","capture":{id,lab,stop_reason|error}}. */
static void
state_capture_publish(const struct capture_stats *st)
{
	int64_t lab = db_int(DB, 0, "SELECT lab_id FROM captures WHERE id = ?", "i", st->id);
	json_t *c = json_pack("{s:I,s:I}", "id", (json_int_t)st->id, "lab", (json_int_t)lab);

	if (st->error != 0)
		json_object_set_new(c, "error", json_string(capture_error_text(st->error)));
	else if (st->stop_reason != NULL)
		json_object_set_new(c, "stop_reason", json_string(st->stop_reason));
	events_publish("capture", lab,
	    json_pack("{s:s,s:o}", "action", st->error ? "failed" : "stopped", "capture", c));
}

void
state_captures_ended(const struct capture_stats *st, int n)
{
	for (int i = 0; i < n; i++) {
		STATE_EXEC("capture stats", st[i].id,
		    "UPDATE captures SET state = ?, stop_reason = ?, error = ?, packets = ?,"
		    " bytes = ?, dropped = ?, kernel_dropped = ? WHERE id = ?",
		    "sssiiiii", st[i].error ? "failed" : "stopped",
		    st[i].error ? NULL : st[i].stop_reason,
		    st[i].error ? capture_error_text(st[i].error) : NULL, (int64_t)st[i].packets,
		    (int64_t)st[i].bytes, (int64_t)st[i].dropped, (int64_t)st[i].kernel_dropped,
		    st[i].id);
		state_capture_publish(&st[i]);
	}
}

int
state_running_all(struct state_running **out)
{
	json_t *rows = db_rows(DB, NULL,
	           "SELECT r.node_id, r.pid, r.qmp_path, r.phase, r.owner, r.start_ticks, n.lab_id,"
	           " n.template, n.nics FROM node_runtime r"
	           " JOIN nodes n ON n.id = r.node_id",
	           ""),
	       *r;
	size_t i;

	*out = calloc(json_array_size(rows) + 1, sizeof(**out));
	if (rows == NULL || *out == NULL) {
		json_decref(rows);
		return (-1);
	}
	json_array_foreach(rows, i, r) {
		struct state_running *s = &(*out)[i];

		s->node = json_integer_value(json_object_get(r, "node_id"));
		s->lab = json_integer_value(json_object_get(r, "lab_id"));
		s->pid = (pid_t)json_integer_value(json_object_get(r, "pid"));
		s->nics = state_int(r, "nics");
		state_copy(s->qmp_path, sizeof(s->qmp_path), r, "qmp_path");
		state_copy(s->tmpl, sizeof(s->tmpl), r, "template");
		state_copy(s->owner, sizeof(s->owner), r, "owner");
		s->start_ticks =
		    (unsigned long long)json_integer_value(json_object_get(r, "start_ticks"));
		s->intent =
		    strcmp(json_string_value(json_object_get(r, "phase")) ?: "", "running") != 0;
	}
	i = json_array_size(rows);
	json_decref(rows);
	return ((int)i);
}

int
state_instance(char *out, size_t len)
{
	json_t *row = db_row(DB, NULL, "SELECT value FROM meta WHERE key = 'instance'", "");

	out[0] = '\0';
	if (row == NULL)
		return (-1);
	state_copy(out, len, row, "value");
	json_decref(row);
	return (out[0] == '\0' ? -1 : 0);
}

void
state_running_dead(int64_t node)
{
	STATE_EXEC("a dead node", node, "DELETE FROM node_runtime WHERE node_id = ?", "i", node);
	STATE_EXEC("a dead node", node,
	    "UPDATE nodes SET state = 'stopped', ready = 0 WHERE id = ?", "i", node);
}

void
state_running_interrupted(int64_t node)
{
	STATE_EXEC(
	    "an interrupted start", node, "DELETE FROM node_runtime WHERE node_id = ?", "i", node);
	STATE_EXEC("an interrupted start", node,
	    "UPDATE nodes SET state = 'error', ready = 0, error = 'the daemon stopped while"
	    " starting it; start it again' WHERE id = ?",
	    "i", node);
}

void
state_after_restart(void)
{
	/* Nodes a previous daemon had queued for a staged start never started: say so. */
	STATE_EXEC("queued nodes", 0,
	    "UPDATE nodes SET state = 'error', error = 'the daemon restarted before its turn to "
	    "boot;"
	    " start it again' WHERE state = 'starting' AND boot = 'queued'"
	    " AND id NOT IN (SELECT node_id FROM node_runtime)",
	    "");
	STATE_EXEC("stopped nodes", 0,
	    "UPDATE nodes SET state = 'stopped', ready = 0 WHERE state != 'stopped'"
	    " AND state != 'error' AND id NOT IN (SELECT node_id FROM node_runtime)",
	    "");
}

void
state_captures_restarted(void)
{
	STATE_EXEC(
	    "captures", 0, "UPDATE captures SET state = 'stopped' WHERE state = 'running'", "");
}

int
state_busy_count(int64_t lab, int64_t node)
{
	return ((int)db_int(DB, 0,
	    "SELECT COUNT(*) FROM nodes WHERE (lab_id = ? OR ? = 0)"
	    " AND (id = ? OR ? = 0) AND state IN ('starting','stopping')",
	    "iiii", lab, lab, node, node));
}

int64_t
state_node_nics(int64_t node)
{
	return (db_int(DB, 0, "SELECT nics FROM nodes WHERE id = ?", "i", node));
}

int64_t
state_node_ram(int64_t node)
{
	return (db_int(DB, 0, "SELECT ram_mb FROM nodes WHERE id = ?", "i", node));
}

int64_t
state_ram_committed(int64_t except)
{
	return (db_int(DB, 0,
	    "SELECT COALESCE(SUM(ram_mb), 0) FROM nodes"
	    " WHERE state IN ('starting','running','paused','stopping') AND id != ?",
	    "i", except));
}
