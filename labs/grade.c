/*
 * grade - running a lab's checks over its consoles, and the grades table.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/events.h"
#include "core/console/console.h"
#include "db/db.h"
#include "images/template.h"
#include "labs/console.h"
#include "labs/grade.h"
#include "labs/gradeparse.h"
#include "labs/lab.h"
#include "labs/practice.h"

#define DB db_current(lw.db)

/* A node without a prompt in its template is a namespace host: its shell's PS1 is "NAME# ". */
#define GRADE_PROMPT_DEFAULT "# .{0,4}$"
#define GRADE_RECOVER_MS 2000 /* Ctrl-C after a check timed out: the prompt within this */
#define GRADE_PROBE_MS 1700   /* the prompt probe is typed again after this */
#define GRADE_DRAIN_MS 500    /* and what an earlier probe still prints is let pass */
#define GRADE_CMD_MAX 320     /* a command typed (an exec check's is at most 256 bytes) */

/* One check: its definition (borrowed from the grade's array) and its outcome. */
struct gcheck {
	json_t *c;
	struct gnode *node;
	bool passed;
	char detail[GRADE_DETAIL_MAX];
};

/* One node the checks name, and its worker. */
struct gnode {
	int64_t id; /* -1: no such node any more */
	char name[64];
	char state[16];
	char prompt[300]; /* the template's (< 128), anchored (node_find) */
	int family;
	bool stuck;   /* its console did not come back to the prompt */
	bool booting; /* running, but its template's ready pattern not seen yet */
	pthread_t th;
	bool started;
	struct grade *g;
};

struct grade {
	json_t *checks; /* from practice_checks_for */
	struct gcheck *gc;
	size_t n;
	struct gnode *nodes;
	size_t nnodes;
	int64_t deadline; /* clock_mono_ms() when the grade's time is up */
	int64_t lab;
	char lab_name[64];
};

/* The labs being graded now: one grade a lab, GRADE_CONCURRENT_MAX in all. */
static struct {
	pthread_mutex_t mu;
	int64_t labs[GRADE_CONCURRENT_MAX];
} running = {PTHREAD_MUTEX_INITIALIZER, {0}};

static int
running_enter(int64_t lab, struct lw_err *e)
{
	int free_slot = -1, rc = 0;

	pthread_mutex_lock(&running.mu);
	for (int i = 0; i < GRADE_CONCURRENT_MAX; i++) {
		if (running.labs[i] == lab)
			rc =
			    err_set(e, ERR_CONFLICT, "a grade of this lab is running: wait for it");
		else if (running.labs[i] == 0 && free_slot == -1)
			free_slot = i;
	}
	if (rc == 0 && free_slot == -1) {
		rc = err_set(e, ERR_TOO_MANY, "%d grades are running: try again in a few seconds",
		    GRADE_CONCURRENT_MAX);
		e->retry_s = 5;
	}
	if (rc == 0)
		running.labs[free_slot] = lab;
	pthread_mutex_unlock(&running.mu);
	return (rc);
}

static void
running_leave(int64_t lab)
{
	pthread_mutex_lock(&running.mu);
	for (int i = 0; i < GRADE_CONCURRENT_MAX; i++)
		if (running.labs[i] == lab)
			running.labs[i] = 0;
	pthread_mutex_unlock(&running.mu);
}

static const char *
cstr(json_t *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c, key));

	return (s != NULL ? s : "");
}

static int
cint(json_t *c, const char *key, int dflt)
{
	json_t *v = json_object_get(c, key);

	return (json_is_integer(v) ? (int)json_integer_value(v) : dflt);
}

/* ---- what is read under lw_lock() ---- */

/* The node named name in g (added, its console facts read, when new). */
static struct gnode *
node_find(struct grade *g, int64_t lab, const char *name)
{
	struct lab_console_node cn;
	const struct template *t;
	struct lw_err e = {0};
	const char *prompt;
	struct gnode *n;

	for (size_t i = 0; i < g->nnodes; i++)
		if (strcmp(g->nodes[i].name, name) == 0)
			return (&g->nodes[i]);
	n = &g->nodes[g->nnodes++];
	memset(n, 0, sizeof(*n));
	n->g = g;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if ((n->id = lab_node_resolve(lab, name, &e)) == -1 ||
	    lab_console_node(n->id, &cn, &e) == -1) {
		n->id = -1;
		snprintf(n->state, sizeof(n->state), "missing");
		return (n);
	}
	snprintf(n->state, sizeof(n->state), "%s", cn.state);
	t = template_find(cn.template);
	n->booting = t != NULL && t->ready_pattern[0] != '\0' &&
	    db_int(DB, 1, "SELECT ready FROM nodes WHERE id = ?", "i", n->id) == 0;
	n->family = practice_family(cn.template);
	/*
	 * A shell's or vtysh's prompt starts its line with one word ("r1# ",
	 * "r1(config)# ", "h1# ", "t1# "), or it is the last thing printed
	 * (after output with no newline at its end). A line of output that only
	 * ends like a prompt (" description lan # h1" in a running config) is
	 * neither, so it no longer ends the output early and cuts what a check
	 * judges.
	 */
	prompt = cn.prompt[0] ? cn.prompt : GRADE_PROMPT_DEFAULT;
	if (n->family == PRACTICE_OTHER)
		snprintf(n->prompt, sizeof(n->prompt), "%s", prompt);
	else
		snprintf(n->prompt, sizeof(n->prompt), "^\\S* ?(?:%s)|(?:%s)\\z", prompt, prompt);
	return (n);
}

/* The checks, the lab's name and its nodes into g (called with lw_lock() held); 0 or -1 with e. */
static int
grade_gather(struct grade *g, int64_t lab, int stage, struct lw_err *e)
{
	json_t *row, *c;
	size_t i;

	if ((row = db_row(DB, e, "SELECT name FROM labs WHERE id = ?", "i", lab)) == NULL)
		return (-1);
	g->lab = lab;
	snprintf(g->lab_name, sizeof(g->lab_name), "%s", cstr(row, "name"));
	json_decref(row);
	if ((g->checks = practice_checks_for(lab, stage, e)) == NULL)
		return (-1);
	if ((g->n = json_array_size(g->checks)) == 0)
		return (stage == 0 ? err_set(e, ERR_INVALID, "the lab has no checks")
		                   : err_set(e, ERR_INVALID, "stage %d has no checks", stage));
	if (db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE lab_id = ? AND state = 'running'", "i",
	        lab) == 0)
		return (err_set(
		    e, ERR_CONFLICT, "lab '%s' is not running: start it, then grade", g->lab_name));
	if ((g->gc = calloc(g->n, sizeof(*g->gc))) == NULL ||
	    (g->nodes = calloc(g->n, sizeof(*g->nodes))) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	json_array_foreach(g->checks, i, c) {
		g->gc[i].c = c;
		g->gc[i].node = node_find(g, lab, cstr(c, "node"));
	}
	return (0);
}

/* ---- a node's worker: its checks, in order, on its console ---- */

/* What check c types on a node of family (into buf). */
static void
check_command(json_t *c, int family, char *buf, size_t len)
{
	const char *kind = cstr(c, "kind");
	bool frr = family == PRACTICE_FRR;

	if (strcmp(kind, "ping") == 0)
		snprintf(buf, len, frr ? "ping %s" : "ping -c 3 -W 1 %s", cstr(c, "target"));
	else if (strcmp(kind, "route") == 0)
		snprintf(
		    buf, len, frr ? "show ip route %s json" : "ip route show", cstr(c, "prefix"));
	else if (strcmp(kind, "ospf_neighbors") == 0)
		snprintf(buf, len, "show ip ospf neighbor");
	else if (strcmp(kind, "bgp_established") == 0)
		snprintf(buf, len, "show bgp neighbors %s", cstr(c, "peer"));
	else if (strcmp(kind, "config") == 0)
		snprintf(
		    buf, len, "%s", frr ? "show running-config" : "ip -o addr show; ip route show");
	else
		snprintf(buf, len, "%s", cstr(c, "command"));
}

/* Judge check c by body, its command's output. */
static bool
check_judge(json_t *c, int family, const char *body, char *detail, size_t len)
{
	const char *kind = cstr(c, "kind");
	const char *via = json_string_value(json_object_get(c, "via"));

	if (strcmp(kind, "ping") == 0)
		return (
		    gradeparse_ping(body, strcmp(cstr(c, "expect"), "failure") != 0, detail, len));
	if (strcmp(kind, "route") == 0)
		return (family == PRACTICE_FRR
		        ? gradeparse_route_frr(body, cstr(c, "prefix"), via, detail, len)
		        : gradeparse_route_linux(body, cstr(c, "prefix"), via, detail, len));
	if (strcmp(kind, "ospf_neighbors") == 0)
		return (gradeparse_ospf(body, cint(c, "full", 0), detail, len));
	if (strcmp(kind, "bgp_established") == 0)
		return (gradeparse_bgp(body, cstr(c, "peer"), detail, len));
	return (gradeparse_match(
	    body, cstr(c, "match"), json_is_true(json_object_get(c, "absent")), detail, len));
}

/* Ctrl-C after a command that did not return: is the prompt back? */
static void
node_recover(struct gnode *n)
{
	int64_t left = n->g->deadline - clock_mono_ms();
	struct lw_err e = {0};
	char *out = NULL;

	if (left <= 0 ||
	    console_exec(n->id, "\x03", n->prompt,
	        (int)(left < GRADE_RECOVER_MS ? left : GRADE_RECOVER_MS), &out, &e) == -1)
		n->stuck = true;
	free(out);
}

/* Why console_exec failed, as a check's detail. */
static void
exec_failed(
    struct gnode *n, const struct lw_err *e, bool capped, int timeout_s, char *detail, size_t len)
{
	if (e->code == ERR_TIMEOUT && capped)
		snprintf(detail, len, "grading time limit (%d s)", GRADE_TIME_S);
	else if (e->code == ERR_TIMEOUT)
		snprintf(detail, len, "no prompt on %s's console within %d s of the command",
		    n->name, timeout_s);
	else if (e->code == ERR_CONFLICT)
		snprintf(detail, len, "node %s stopped while grading", n->name);
	else
		snprintf(detail, len, "%s's console: %.200s", n->name, e->msg);
}

static void
check_run(struct gnode *n, struct gcheck *gc)
{
	int64_t left = n->g->deadline - clock_mono_ms();
	int timeout_s = cint(gc->c, "timeout_s", PRACTICE_TIMEOUT_DEFAULT);
	int ms = timeout_s * 1000;
	bool capped = ms > left;
	char cmd[GRADE_CMD_MAX], *out = NULL, *body;
	struct lw_err e = {0};

	if (n->stuck) {
		snprintf(gc->detail, sizeof(gc->detail),
		    "no prompt on %s's console after an earlier check", n->name);
		return;
	}
	if (left <= 0) {
		snprintf(gc->detail, sizeof(gc->detail), "grading time limit (%d s)", GRADE_TIME_S);
		return;
	}
	check_command(gc->c, n->family, cmd, sizeof(cmd));
	if (console_exec(n->id, cmd, n->prompt, capped ? (int)left : ms, &out, &e) == -1) {
		exec_failed(n, &e, capped, timeout_s, gc->detail, sizeof(gc->detail));
		if (e.code == ERR_TIMEOUT)
			node_recover(n);
		free(out);
		return;
	}
	if ((body = gradeparse_body(out, cmd)) == NULL)
		snprintf(gc->detail, sizeof(gc->detail), "out of memory");
	else
		gc->passed = check_judge(gc->c, n->family, body, gc->detail, sizeof(gc->detail));
	free(body);
	free(out);
}

/*
 * After the probe was typed more than once, the answer to an earlier one
 * may still come: let it come now (GRADE_DRAIN_MS), not into the first
 * check's output.
 */
static void
node_drain(struct gnode *n)
{
	struct lw_err e = {0};
	char *out = NULL;

	(void)console_exec(n->id, NULL, "(?!)", GRADE_DRAIN_MS, &out, &e);
	free(out);
}

/*
 * The prompt first: a line the learner left half typed is erased (^U, the
 * shells' and vtysh's kill-line), then an FRR node leaves config mode
 * ("end"), others get an Enter, again every GRADE_PROBE_MS until GRADE_PROMPT_S is up: a program
 * starting on the console (vtysh right after the node became ready) may
 * flush what was typed before it read the terminal. A console that shows
 * no prompt (a program that prints none holds it, or the node still boots)
 * fails every check of the node.
 */
static bool
node_prompt(struct gnode *n)
{
	int64_t stop = clock_mono_ms() + GRADE_PROMPT_S * 1000, left;
	struct lw_err e = {0};

	if (stop > n->g->deadline)
		stop = n->g->deadline;
	for (int tries = 1; (left = stop - clock_mono_ms()) > 0; tries++) {
		char *out = NULL;
		/* ^U is "\025": what an octal escape ends, a hex one would run on into "end". */
		int rc = console_exec(n->id, n->family == PRACTICE_FRR ? "\025end" : "\025",
		    n->prompt, (int)(left < GRADE_PROBE_MS ? left : GRADE_PROBE_MS), &out, &e);

		free(out);
		if (rc == 0 && tries > 1)
			node_drain(n);
		if (rc == 0)
			return (true);
		if (e.code != ERR_TIMEOUT)
			return (false);
	}
	return (false);
}

static void *
node_main(void *arg)
{
	struct gnode *n = arg;
	struct grade *g = n->g;
	bool ok = node_prompt(n);

	for (size_t i = 0; i < g->n; i++) {
		if (g->gc[i].node != n)
			continue;
		if (ok)
			check_run(n, &g->gc[i]);
		else
			snprintf(g->gc[i].detail, sizeof(g->gc[i].detail),
			    "no prompt on %s's console within %d s%s", n->name, GRADE_PROMPT_S,
			    n->booting ? " (it is still booting)" : "");
	}
	return (NULL);
}

/* A node that is not running fails its checks at once, saying what it is. */
static void
node_fail(struct grade *g, struct gnode *n)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->gc[i].node == n) {
			if (n->id == -1)
				snprintf(g->gc[i].detail, sizeof(g->gc[i].detail),
				    "node %s is not in the lab", n->name);
			else
				snprintf(g->gc[i].detail, sizeof(g->gc[i].detail), "node %s is %s",
				    n->name, n->state);
		}
}

/* Every running node's worker, then wait for them all (each ends by the deadline). */
static void
grade_workers(struct grade *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		struct gnode *n = &g->nodes[i];

		if (n->id == -1 || strcmp(n->state, "running") != 0)
			node_fail(g, n);
		else if (pthread_create(&n->th, NULL, node_main, n) == 0)
			n->started = true;
		else
			node_main(n); /* no thread to be had: in turn, still bounded */
	}
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].started)
			pthread_join(g->nodes[i].th, NULL);
}

/* ---- the result ---- */

static json_t *
check_result(const struct gcheck *gc)
{
	int max = cint(gc->c, "points", 1);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:s}", "id", cstr(gc->c, "id"),
	    "description", cstr(gc->c, "description"), "node", cstr(gc->c, "node"), "kind",
	    cstr(gc->c, "kind"), "passed", gc->passed, "points", gc->passed ? max : 0, "max_points",
	    max, "detail", gc->detail);

	if (o != NULL && !gc->passed && json_object_get(gc->c, "hint") != NULL)
		json_object_set(o, "hint", json_object_get(gc->c, "hint"));
	return (o);
}

static json_t *
grade_result(const struct grade *g, const struct who *w, int stage, time_t at)
{
	json_t *checks = json_array();
	int score = 0, max = 0;

	for (size_t i = 0; i < g->n; i++) {
		int p = cint(g->gc[i].c, "points", 1);

		max += p;
		score += g->gc[i].passed ? p : 0;
		json_array_append_new(checks, check_result(&g->gc[i]));
	}
	return (json_pack("{s:I,s:i,s:i,s:i,s:b,s:I,s:s?,s:o}", "lab", (json_int_t)g->lab, "stage",
	    stage, "score", score, "max_score", max, "passed", score == max, "at", (json_int_t)at,
	    "by", w != NULL && w->id != 0 ? w->name : NULL, "checks", checks));
}

/* Store r (its "id" set here) and keep the newest GRADE_KEEP of lab; lw_lock() held. */
static int
grade_store(int64_t lab, const struct who *w, json_t *r, struct lw_err *e)
{
	char *text = json_dumps(r, JSON_COMPACT);
	int64_t id = -1;

	if (text == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (db_begin(DB, e) == -1)
		goto out;
	id = db_insert(DB, e,
	    "INSERT INTO grades (lab_id, stage, score, max_score, passed, result, user_id, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "iiiiisii", lab, json_integer_value(json_object_get(r, "stage")),
	    json_integer_value(json_object_get(r, "score")),
	    json_integer_value(json_object_get(r, "max_score")),
	    (int64_t)json_is_true(json_object_get(r, "passed")), text,
	    (int64_t)(w != NULL ? w->id : 0), json_integer_value(json_object_get(r, "at")));
	if (id == -1 ||
	    db_exec(DB, e,
	        "DELETE FROM grades WHERE lab_id = ? AND id NOT IN (SELECT id FROM "
	        "grades WHERE lab_id = ? ORDER BY id DESC LIMIT ?)",
	        "iiI", lab, lab, GRADE_KEEP) == -1 ||
	    db_commit(DB, e) == -1) {
		db_rollback(DB);
		id = -1;
		if (e->code == ERR_CONFLICT)
			err_set(e, ERR_NOT_FOUND, "the lab was deleted while it was graded");
	}
out:
	free(text);
	if (id != -1)
		json_object_set_new(r, "id", json_integer((json_int_t)id));
	return (id == -1 ? -1 : 0);
}

static void
grade_free(struct grade *g)
{
	free(g->gc);
	free(g->nodes);
	json_decref(g->checks);
}

json_t *
grade_run(const struct who *w, int64_t lab, int stage, struct lw_err *e)
{
	struct grade g = {0};
	json_t *r = NULL;
	int rc;

	if (running_enter(lab, e) == -1)
		return (NULL);
	lw_lock();
	rc = grade_gather(&g, lab, stage, e);
	lw_unlock();
	if (rc == -1)
		goto out;
	g.deadline = clock_mono_ms() + GRADE_TIME_S * 1000;
	grade_workers(&g);
	if ((r = grade_result(&g, w, stage, time(NULL))) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	lw_lock();
	rc = grade_store(lab, w, r, e);
	lw_unlock();
	if (rc == -1) {
		json_decref(r);
		r = NULL;
		goto out;
	}
	events_publish("grade", lab,
	    json_pack("{s:s,s:{s:O,s:I,s:O,s:O,s:O,s:O}}", "action", "graded", "grade", "id",
	        json_object_get(r, "id"), "lab", (json_int_t)lab, "stage",
	        json_object_get(r, "stage"), "score", json_object_get(r, "score"), "max_score",
	        json_object_get(r, "max_score"), "passed", json_object_get(r, "passed")));
out:
	grade_free(&g);
	running_leave(lab);
	return (r);
}

/* ---- the grades table ---- */

#define GRADE_SUMMARY_SQL                                                                          \
	"SELECT g.id AS id, g.stage AS stage, g.score AS score, g.max_score AS max_score, "        \
	"g.passed AS passed, g.created_at AS at, u.name AS by FROM grades g "                      \
	"LEFT JOIN users u ON u.id = g.user_id WHERE g.lab_id = ? ORDER BY g.id DESC LIMIT ?"

/* A row's 0/1 "passed" as true/false. */
static void
summary_fix(json_t *row)
{
	json_object_set_new(
	    row, "passed", json_boolean(json_integer_value(json_object_get(row, "passed")) != 0));
}

json_t *
grade_list(int64_t lab, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e, GRADE_SUMMARY_SQL, "iI", lab, GRADE_LIST_MAX), *row;
	size_t i;

	if (rows == NULL)
		return (NULL);
	json_array_foreach(rows, i, row)
		summary_fix(row);
	return (json_pack("{s:o}", "grades", rows));
}

json_t *
grade_get(int64_t lab, int64_t id, struct lw_err *e)
{
	json_t *row = db_row(
	           DB, e, "SELECT result FROM grades WHERE id = ? AND lab_id = ?", "ii", id, lab),
	       *r;

	if (row == NULL) {
		if (e->code == ERR_NOT_FOUND)
			err_set(
			    e, ERR_NOT_FOUND, "grade %lld not found in this lab", (long long)id);
		return (NULL);
	}
	r = json_loads(cstr(row, "result"), 0, NULL);
	json_decref(row);
	if (!json_is_object(r)) {
		json_decref(r);
		err_set(e, ERR_INTERNAL, "grade %lld is unreadable", (long long)id);
		return (NULL);
	}
	json_object_set_new(r, "id", json_integer((json_int_t)id));
	return (r);
}

json_t *
grade_last(int64_t lab)
{
	struct lw_err e = {0};
	json_t *rows = db_rows(DB, &e, GRADE_SUMMARY_SQL, "iI", lab, 1), *row;

	row = json_array_get(rows, 0);
	if (row != NULL) {
		json_incref(row);
		summary_fix(row);
	}
	json_decref(rows);
	return (row);
}
