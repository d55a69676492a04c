/*
 * api_labs - the Labs section: CRUD, whole-topology POST, start and stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "db/db.h"
#include "images/template.h"

#include "core/run/runtime.h"
#include "labs/lab.h"
#include "web/api.h"

int
api_labs_list(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, lab_list_json(e), e));
}

int
api_labs_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_create(r->body, e);

	if (lab == -1)
		return (-1);
	api_publish("lab", "created", lab, lab);
	api_consoles(lab, 0, true);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld", (long long)lab);
	return (api_reply(r, 201, lab_json(lab, e), e));
}

int
api_lab_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	return (lab == -1 ? -1 : api_reply(r, 200, lab_json(lab, e), e));
}

int
api_lab_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || lab_patch(lab, r->body, e) == -1)
		return (-1);
	api_publish("lab", "updated", lab, lab);
	return (api_reply(r, 200, lab_json(lab, e), e));
}

/* Deleting a lab stops what runs in it first, then removes every trace. */
int
api_lab_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || api_wait_stopped(lab, 0, e) == -1)
		return (-1);
	/* A concurrent request may have started a node while we waited. */
	if (runtime_busy_count(lab, 0) != 0)
		return (err_set(e, ERR_CONFLICT, "a node of the lab was started meanwhile"));
	api_consoles(lab, 0, false);
	if (lab_delete_rows(lab, e) == -1) {
		api_consoles(lab, 0, true);
		return (-1);
	}
	api_publish("lab", "deleted", lab, lab);
	api_remove_tree(lab, 0);
	r->status = 204;
	return (0);
}

/* The lab's boot concurrency: its own setting, else the host's cores. */
static int
lab_concurrency(int64_t lab)
{
	int64_t c = db_int(lw.db, 0, "SELECT boot_concurrency FROM labs WHERE id = ?", "i", lab);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return (c > 0 ? (int)c : cores > 0 ? (int)cores : 1);
}

static volatile bool labs_stopping;

void
api_labs_shutdown(void)
{
	labs_stopping = true;
}

/*
 * wait_ready - with lw_lock() held (released while waiting): until each of
 * the n nodes this start queued is ready (or runs, without a readiness
 * pattern), one fails or is stopped, the daemon stops, or timeout_s passes.
 * 0, or -1 with e naming the nodes that are not ready.
 */
static int
wait_ready(const int64_t *ids, size_t n, long timeout_s, struct lw_err *e)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	int64_t deadline = clock_mono_ms() + timeout_s * 1000;

	for (;;) {
		char list[1024] = "";
		size_t off = 0;
		bool failed = false;
		int waiting = 0;

		for (size_t i = 0; i < n; i++) {
			json_t *row = db_row(lw.db, NULL,
			    "SELECT name, template, state, ready, boot, error FROM nodes WHERE id = ?", "i", ids[i]);
			const struct template *t;
			const char *st, *why;

			if (row == NULL) /* deleted meanwhile */
				continue;
			st = json_string_value(json_object_get(row, "state"));
			t = template_find(json_string_value(json_object_get(row, "template")));
			/* A node without a readiness pattern is ready once it runs. */
			if (json_integer_value(json_object_get(row, "ready")) != 0 ||
			    (strcmp(st, "running") == 0 && t != NULL && t->ready_pattern[0] == '\0')) {
				json_decref(row);
				continue;
			}
			if (strcmp(st, "starting") != 0 && strcmp(st, "running") != 0)
				failed = true;
			else
				waiting++;
			why = json_string_value(json_object_get(row, "error"));
			if (off < sizeof(list))
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s (%s%s%s)",
				    off ? ", " : "", json_string_value(json_object_get(row, "name")),
				    json_is_string(json_object_get(row, "boot")) && strcmp(st, "starting") == 0
				        ? json_string_value(json_object_get(row, "boot"))
				        : st,
				    why ? ": " : "", why ? why : "");
			json_decref(row);
		}
		if (waiting == 0 && !failed)
			return (0);
		if (failed)
			return (err_set(e, ERR_CONFLICT,
			    "not every node came up (the others go on starting): %s", list));
		if (labs_stopping)
			return (err_set(e, ERR_UNAVAILABLE, "the daemon is stopping; not ready yet: %s", list));
		if (clock_mono_ms() >= deadline)
			return (err_set(e, ERR_TIMEOUT, "not ready within %ld s (they go on starting): %s",
			    timeout_s, list));
		lw_unlock();
		nanosleep(&ts, NULL);
		lw_lock();
	}
}

/*
 * Start every stopped node, all or none: each is checked before any starts.
 * Boot is staged: at most the lab's boot concurrency at a time, in
 * boot_order. ?wait=ready answers once all are ready (or says which are not).
 */
int
api_lab_start(struct api_req *r, struct lw_err *e)
{
	const char *wait = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "wait");
	const char *tmo = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "timeout");
	int64_t lab = lab_resolve(r->params[0], e), *ids;
	long timeout_s = 900;
	size_t n, i;
	char *end;

	if (wait != NULL && strcmp(wait, "ready") != 0)
		return (err_set(e, ERR_INVALID, "wait: only wait=ready is known"));
	if (tmo != NULL && ((timeout_s = strtol(tmo, &end, 10)) < 1 || timeout_s > 7200 || *end != '\0'))
		return (err_set(e, ERR_INVALID, "timeout: seconds, 1..7200"));
	if (lab == -1 || (ids = lab_node_ids(lab, LAB_NODES_STOPPED, &n, e)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if (runtime_check_node(ids[i], e) == -1) {
			free(ids);
			return (-1);
		}
	if (n > 0 && runtime_lab_start(lab, ids, n, lab_concurrency(lab), e) == -1) {
		free(ids);
		return (-1);
	}
	free(ids);
	/* Wait for every node now on its way or running: those just queued and those already up. */
	if (wait != NULL) {
		int rc;

		if ((ids = lab_node_ids(lab, LAB_NODES_ACTIVE, &n, e)) == NULL)
			return (-1);
		rc = wait_ready(ids, n, timeout_s, e);
		free(ids);
		if (rc == -1)
			return (-1);
	}
	return (api_reply(r, wait != NULL ? 200 : 202, lab_json(lab, e), e));
}

int
api_lab_stop(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e), *ids;
	size_t n;

	if (lab == -1 || (ids = lab_node_ids(lab, LAB_NODES_ACTIVE, &n, e)) == NULL)
		return (-1);
	for (size_t i = 0; i < n; i++)
		runtime_node_stop(ids[i], false);
	free(ids);
	return (api_reply(r, 202, lab_json(lab, e), e));
}
