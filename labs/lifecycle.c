/*
 * lifecycle - the state rules and what each change of a lab, node or link
 * sets in motion (see lifecycle.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/hostmem.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/console/console.h"
#include "core/run/runtime.h"
#include "db/db.h"
#include "images/template.h"
#include "labs/access.h"
#include "labs/audit.h"
#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "labs/practice.h"
#include "labs/users.h"

#define DB db_current(lw.db)

/* How long a resume waits for QEMU's answer and the guest to settle. */
#define RESUME_WAIT_S 10

static volatile bool lifecycle_stopping;

void
lifecycle_shutdown(void)
{
	lifecycle_stopping = true;
}

/* ---- what each state allows ---- */

enum node_op { OP_START, OP_RELOAD, OP_WIPE, OP_RESUME };

static const struct {
	const char *states[3]; /* the states that allow it */
	const char *hint;      /* appended to a refusal */
} node_rules[] = {
    [OP_START] = {{"stopped", "error"}, ""},
    [OP_RELOAD] = {{"running", "paused"}, "; only a running node reloads"},
    [OP_WIPE] = {{"stopped", "error"}, "; stop it before wiping"},
    [OP_RESUME] = {{"paused"}, "; only a paused node resumes"},
};

/* The node's state into st; 0 or -1 with e. */
static int
node_state(int64_t node, char st[16], struct lw_err *e)
{
	json_t *row = db_row(DB, e, "SELECT state FROM nodes WHERE id = ?", "i", node);

	snprintf(st, 16, "%s", row ? json_string_value(json_object_get(row, "state")) : "");
	json_decref(row);
	return (row == NULL ? -1 : 0);
}

/* 0 if the node's state allows op, else -1 with e (ERR_CONFLICT naming the node by ref). */
static int
node_allows(int64_t node, const char *ref, enum node_op op, struct lw_err *e)
{
	char st[16];

	if (node_state(node, st, e) == -1)
		return (-1);
	for (int i = 0; i < 3 && node_rules[op].states[i] != NULL; i++)
		if (strcmp(st, node_rules[op].states[i]) == 0)
			return (0);
	return (err_set(e, ERR_CONFLICT, "node '%s' is %s%s", ref, st, node_rules[op].hint));
}

/* ---- waits ---- */

/*
 * wait_stopped - force-stop what runs in lab (or only node when non-zero)
 * and wait, unlocked, until it has stopped; 0 or -1 with e (ERR_UNAVAILABLE
 * on timeout).
 */
static int
wait_stopped(int64_t lab, int64_t node, struct lw_err *e)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	json_t *rows, *row;
	size_t i;

	rows = db_rows(DB, e,
	    "SELECT id FROM nodes WHERE lab_id = ? AND (id = ? OR ? = 0)"
	    " AND state NOT IN ('stopped', 'error')",
	    "iii", lab, node, node);
	if (rows == NULL)
		return (-1);
	json_array_foreach(rows, i, row)
		runtime_node_stop(json_integer_value(json_object_get(row, "id")), true);
	json_decref(rows);
	for (int tries = 0; tries < 600; tries++) {
		if (runtime_busy_count(lab, node) == 0)
			return (0);
		lw_unlock();
		nanosleep(&ts, NULL);
		lw_lock();
	}
	return (err_set(e, ERR_UNAVAILABLE, "nodes did not stop within 60 s; try again"));
}

enum readiness { NODE_READY, NODE_WAITING, NODE_FAILED };

/*
 * Where node is on its way to ready. One that is not ready yet is noted in
 * list (len bytes, *off of them used) as "name (state or boot step: error)".
 */
static enum readiness
node_readiness(int64_t node, char *list, size_t len, size_t *off)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT name, template, state, ready, boot, error FROM nodes WHERE id = ?", "i", node);
	const struct template *t;
	const char *st, *boot, *why;
	enum readiness r;

	if (row == NULL) /* deleted meanwhile */
		return (NODE_READY);
	st = json_string_value(json_object_get(row, "state"));
	t = template_find(json_string_value(json_object_get(row, "template")));
	/* A node without a readiness pattern is ready once it runs. */
	if (json_integer_value(json_object_get(row, "ready")) != 0 ||
	    (strcmp(st, "running") == 0 && t != NULL && t->ready_pattern[0] == '\0')) {
		json_decref(row);
		return (NODE_READY);
	}
	r = strcmp(st, "starting") == 0 || strcmp(st, "running") == 0 ? NODE_WAITING : NODE_FAILED;
	boot = json_string_value(json_object_get(row, "boot"));
	why = json_string_value(json_object_get(row, "error"));
	if (*off < len)
		*off += (size_t)snprintf(list + *off, len - *off, "%s%s (%s%s%s)", *off ? ", " : "",
		    json_string_value(json_object_get(row, "name")),
		    boot != NULL && strcmp(st, "starting") == 0 ? boot : st, why ? ": " : "",
		    why ? why : "");
	json_decref(row);
	return (r);
}

/*
 * wait_ready - until each of the n nodes is ready (or runs, without a
 * readiness pattern), one fails or is stopped, the daemon stops, or
 * timeout_s passes; lw_lock() is released while it sleeps. 0, or -1 with e
 * naming the nodes that are not ready.
 */
static int
wait_ready(const int64_t *ids, size_t n, long timeout_s, struct lw_err *e)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	int64_t deadline = clock_mono_ms() + timeout_s * 1000;

	for (;;) {
		char list[1024] = "";
		size_t off = 0;
		int count[3] = {0};

		for (size_t i = 0; i < n; i++)
			count[node_readiness(ids[i], list, sizeof(list), &off)]++;
		if (count[NODE_WAITING] == 0 && count[NODE_FAILED] == 0)
			return (0);
		if (count[NODE_FAILED] > 0)
			return (err_set(e, ERR_CONFLICT,
			    "not every node came up (the others go on starting): %s", list));
		if (lifecycle_stopping)
			return (err_set(
			    e, ERR_UNAVAILABLE, "the daemon is stopping; not ready yet: %s", list));
		if (clock_mono_ms() >= deadline)
			return (err_set(e, ERR_TIMEOUT,
			    "not ready within %ld s (they go on starting): %s", timeout_s, list));
		lw_unlock();
		nanosleep(&ts, NULL);
		lw_lock();
	}
}

/* ---- consoles and files ---- */

void
lifecycle_consoles(int64_t lab, int64_t node, bool add)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT id, console_port FROM nodes WHERE (lab_id = ? OR ? = 0) AND (id = ? OR ? = 0)",
	    "iiii", lab, lab, node, node);
	json_t *row;
	struct lw_err e;
	size_t i;

	json_array_foreach(rows, i, row) {
		int64_t id = json_integer_value(json_object_get(row, "id"));

		if (!add)
			console_node_remove(id);
		else if (console_node_add(id,
		             (int)json_integer_value(json_object_get(row, "console_port")),
		             &e) == -1)
			log_warnx("node %lld: %s", (long long)id, e.msg);
	}
	json_decref(rows);
}

/* Remove the lab's (or only node's, when non-zero) data directory recursively. */
static void
tree_remove(int64_t lab, int64_t node)
{
	char path[PATH_MAX];

	if (paths_lab(path, sizeof(path), lab, node, NULL) == 0)
		paths_rmtree(path);
}

/* ---- labs ---- */

int64_t
lifecycle_lab_create(const struct who *w, json_t *body, struct lw_err *e)
{
	int64_t lab = lab_create(body, w->id, e);

	if (lab == -1)
		return (-1);
	audit_lab(w, "lab.create", lab, true);
	lab_publish("lab", "created", lab, lab);
	lifecycle_consoles(lab, 0, true);
	return (lab);
}

int
lifecycle_lab_patch(const struct who *w, int64_t lab, json_t *body, struct lw_err *e)
{
	if (lab_patch(w, lab, body, e) == -1)
		return (-1);
	if (json_object_get(body, "owner") != NULL || json_object_get(body, "shared_with") != NULL)
		audit_lab(w, "lab.share", lab, true);
	lab_publish("lab", "updated", lab, lab);
	return (0);
}

int
lifecycle_lab_delete(const struct who *w, int64_t lab, struct lw_err *e)
{
	audit_lab(w, "lab.delete", lab, true);
	if (wait_stopped(lab, 0, e) == -1)
		return (-1);
	/* A concurrent request may have started a node while we waited. */
	if (runtime_busy_count(lab, 0) != 0)
		return (err_set(e, ERR_CONFLICT, "a node of the lab was started meanwhile"));
	lifecycle_consoles(lab, 0, false);
	if (lab_delete_rows(lab, e) == -1) {
		lifecycle_consoles(lab, 0, true);
		return (-1);
	}
	lab_publish("lab", "deleted", lab, lab);
	access_changed(); /* its id may be given to the next lab: no stream may remember it */
	tree_remove(lab, 0);
	return (0);
}

/* The lab's boot concurrency: its own setting, else the host's cores. */
static int
lab_concurrency(int64_t lab)
{
	int64_t c = db_int(DB, 0, "SELECT boot_concurrency FROM labs WHERE id = ?", "i", lab);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return (c > 0 ? (int)c : cores > 0 ? (int)cores : 1);
}

/* The RAM n nodes ask for, in MiB. */
static int64_t
nodes_ram(const int64_t *ids, size_t n)
{
	int64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += db_int(DB, 0, "SELECT ram_mb FROM nodes WHERE id = ?", "i", ids[i]);
	return (sum);
}

json_t *
lifecycle_host_memory(void)
{
	struct hostmem m;

	hostmem_read(lw.cfg.mem_overcommit, &m);
	return (json_pack("{s:I,s:o,s:I,s:I,s:f}", "memory_mb", (json_int_t)m.total_mb,
	    "memory_limit_mb", m.limit_mb ? json_integer(m.limit_mb) : json_null(),
	    "memory_budget_mb", (json_int_t)m.budget_mb, "memory_committed_mb",
	    (json_int_t)runtime_ram_committed(), "mem_overcommit", m.overcommit));
}

/* Queue every stopped node of lab, all or none: each is checked before any starts. */
static int
lab_start_stopped(int64_t lab, struct lw_err *e)
{
	int64_t *ids, ram;
	size_t n;
	int rc = 0;

	if ((ids = lab_node_ids(lab, LAB_NODES_STOPPED, &n, e)) == NULL)
		return (-1);
	ram = nodes_ram(ids, n);
	rc = users_quota_start(lab, (int)n, ram, e);
	if (rc == 0)
		rc = runtime_admit(0, ram, e);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = runtime_check_node(ids[i], e);
	if (rc == 0 && n > 0)
		rc = runtime_lab_start(lab, ids, n, lab_concurrency(lab), e);
	free(ids);
	return (rc);
}

int
lifecycle_lab_start(const struct who *w, int64_t lab, bool wait, long timeout_s, struct lw_err *e)
{
	int64_t *ids;
	size_t n;
	int rc;

	rc = lab_start_stopped(lab, e);
	audit_lab(w, "lab.start", lab, rc == 0);
	if (rc == -1)
		return (-1);
	if (!wait)
		return (0);
	/* Every node now on its way or running: those just queued and those already up. */
	if ((ids = lab_node_ids(lab, LAB_NODES_ACTIVE, &n, e)) == NULL)
		return (-1);
	rc = wait_ready(ids, n, timeout_s, e);
	free(ids);
	return (rc);
}

int
lifecycle_lab_stop(const struct who *w, int64_t lab, struct lw_err *e)
{
	int64_t *ids;
	size_t n;

	audit_lab(w, "lab.stop", lab, true);
	if ((ids = lab_node_ids(lab, LAB_NODES_ACTIVE, &n, e)) == NULL)
		return (-1);
	for (size_t i = 0; i < n; i++)
		runtime_node_stop(ids[i], false);
	free(ids);
	return (0);
}

/* ---- nodes ---- */

int64_t
lifecycle_node_create(int64_t lab, json_t *body, struct lw_err *e)
{
	int64_t node = lab_node_create(lab, body, e);

	if (node == -1)
		return (-1);
	lab_publish("node", "created", node, lab);
	lifecycle_consoles(lab, node, true);
	return (node);
}

int
lifecycle_node_delete(int64_t lab, int64_t node, struct lw_err *e)
{
	json_t *links, *row;
	size_t i;

	if (practice_node_unnamed(node, "deleted", e) == -1 || wait_stopped(lab, node, e) == -1)
		return (-1);
	if (runtime_busy_count(lab, node) != 0)
		return (err_set(e, ERR_CONFLICT, "the node was started meanwhile"));
	/* Its links go with it; a running peer must not keep their bridges. */
	links = db_rows(DB, e,
	    "SELECT le.link_id AS id FROM link_endpoints le JOIN interfaces i"
	    " ON i.id = le.interface_id WHERE i.node_id = ?",
	    "i", node);
	if (links == NULL || lab_node_delete_rows(node, e) == -1) {
		json_decref(links);
		return (-1);
	}
	json_array_foreach(links, i, row) {
		int64_t link = json_integer_value(json_object_get(row, "id"));

		runtime_link_unwire(link);
		lab_publish("link", "deleted", link, lab);
	}
	json_decref(links);
	lab_publish("node", "deleted", node, lab);
	console_node_remove(node);
	tree_remove(lab, node);
	return (0);
}

int
lifecycle_node_start(int64_t node, const char *ref, struct lw_err *e)
{
	if (node_allows(node, ref, OP_START, e) == -1 ||
	    users_quota_start(db_int(DB, 0, "SELECT lab_id FROM nodes WHERE id = ?", "i", node), 1,
	        nodes_ram(&node, 1), e) == -1 ||
	    runtime_admit(node, nodes_ram(&node, 1), e) == -1 || runtime_check_node(node, e) == -1)
		return (-1);
	runtime_node_start(node);
	return (0);
}

int
lifecycle_node_stop(int64_t node, struct lw_err *e)
{
	char st[16];

	if (node_state(node, st, e) == -1)
		return (-1);
	if (strcmp(st, "starting") == 0 || strcmp(st, "running") == 0 || strcmp(st, "paused") == 0)
		runtime_node_stop(node, false);
	else if (strcmp(st, "stopping") == 0)
		runtime_node_stop(node, true); /* a second stop does not wait for the guest */
	return (0);
}

int
lifecycle_node_reload(int64_t lab, int64_t node, const char *ref, struct lw_err *e)
{
	if (node_allows(node, ref, OP_RELOAD, e) == -1 || runtime_check_node(node, e) == -1 ||
	    wait_stopped(lab, node, e) == -1)
		return (-1);
	/* Stopped meanwhile, its quota or host room may have gone (or its RAM changed). */
	if (users_quota_start(lab, 1, nodes_ram(&node, 1), e) == -1 ||
	    runtime_admit(node, nodes_ram(&node, 1), e) == -1)
		return (-1);
	runtime_node_start(node);
	return (0);
}

/* resume_wait - until the runtime has tried resume ticket and seen it settle; lw_lock() is let go.
 */
static int
resume_wait(int64_t node, uint64_t ticket, struct lw_err *e)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	char why[128];

	for (int tries = 0; tries < RESUME_WAIT_S * 20; tries++) {
		int r = runtime_node_resumed(node, ticket, why, sizeof(why));

		if (r == 1 && why[0] != '\0')
			return (err_set(e, ERR_CONFLICT, "the node did not resume: %s", why));
		if (r == 1)
			return (0);
		lw_unlock();
		nanosleep(&ts, NULL);
		lw_lock();
	}
	return (err_set(
	    e, ERR_TIMEOUT, "the node did not answer within %d s; see its state", RESUME_WAIT_S));
}

int
lifecycle_node_resume(int64_t node, const char *ref, struct lw_err *e)
{
	json_t *row;
	uint64_t ticket;
	int r = 0;

	if (node_allows(node, ref, OP_RESUME, e) == -1)
		return (-1);
	if ((ticket = runtime_node_resume(node)) == 0)
		return (err_set(e, ERR_CONFLICT, "node '%s' is not running", ref));
	if (resume_wait(node, ticket, e) == -1)
		return (-1);
	/* Resumed, the guest retries what failed: a disk still full pauses it again at once. */
	if ((row = db_row(
	         DB, e, "SELECT state, paused_reason FROM nodes WHERE id = ?", "i", node)) == NULL)
		return (-1);
	if (strcmp(json_string_value(json_object_get(row, "state")), "paused") == 0)
		r = err_set(e, ERR_CONFLICT, "node '%s' paused again: %s", ref,
		    json_is_string(json_object_get(row, "paused_reason"))
		        ? json_string_value(json_object_get(row, "paused_reason"))
		        : "paused");
	json_decref(row);
	return (r);
}

int
lifecycle_node_wipe(int64_t lab, int64_t node, const char *ref, struct lw_err *e)
{
	if (node_allows(node, ref, OP_WIPE, e) == -1)
		return (-1);
	tree_remove(lab, node);
	return (0);
}

/* ---- links ---- */

int64_t
lifecycle_link_create(int64_t lab, json_t *body, struct lw_err *e)
{
	int64_t link = lab_link_create(lab, body, e);

	if (link == -1)
		return (-1);
	runtime_link_wire(link);
	lab_publish("link", "created", link, lab);
	return (link);
}

/* link_apply - queue the stored link's change to the runtime; its ticket (0: nothing to wait). */
static uint64_t
link_apply(int64_t link, json_t *body)
{
	if (json_object_get(body, "state") != NULL)
		return (runtime_link_state(link));
	if (json_object_get(body, "impairment") != NULL)
		return (runtime_link_sync(link));
	return (0);
}

int
lifecycle_link_patch(int64_t lab, int64_t link, json_t *body, struct lw_err *e)
{
	json_t *was = lab_link_saved(link, e), *wrote;
	uint64_t ticket;
	int r;

	if (was == NULL || lab_link_patch(link, body, e) == -1 ||
	    (wrote = lab_link_saved(link, e)) == NULL) {
		json_decref(was);
		return (-1);
	}
	ticket = link_apply(link, body);
	r = 1;
	if (ticket != 0) {
		/* The runtime applies it under lw_lock(). */
		lw_unlock();
		r = runtime_wait(ticket, LIFECYCLE_LINK_APPLY_MS);
		lw_lock();
	}
	/* What is wired is what was asked before: so is the stored link again. */
	if (r == 0 && lab_link_restore(link, was, wrote, e) == 0)
		link_apply(link, body);
	json_decref(wrote);
	lab_publish("link", "updated", link, lab);
	if (r == 0) {
		json_decref(was);
		return (err_set(e, ERR_INTERNAL,
		    "the link's datapath could not be changed (see the daemon's log); "
		    "the link is left as it was"));
	}
	json_decref(was);
	return (r == 1 ? 0 : 1);
}

int
lifecycle_link_delete(int64_t lab, int64_t link, struct lw_err *e)
{
	if (lab_link_delete_rows(link, e) == -1)
		return (-1);
	runtime_link_unwire(link);
	lab_publish("link", "deleted", link, lab);
	return (0);
}
