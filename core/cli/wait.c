/*
 * wait - following a lab's nodes (or one node) by polling until they got
 * where start or stop sends them, one line per phase a node passes. It
 * only reads: the start or stop it follows is one POST made by
 * cli_wait_action, and a node in error ends the wait as a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

#define CLI_POLL_MS 500 /* how often --wait asks */
#define CLI_WAIT_S 300  /* --wait default: a TCG guest boots slowly */

struct cli_wait {
	const char *what; /* "lab demo", "node demo/r1" */
	char path[CLI_PATH_MAX];
	int one_node;     /* path is a node, not a lab */
	int want_running; /* else stopped */
	FILE *out;        /* progress lines */
	json_t *seen;     /* node name -> phase last printed */
};

static void
cli_wait_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	TEMP_FAILURE_RETRY(nanosleep(&ts, &ts));
}

/* cli_wait_done - whether a node reached what we wait for. */
static int
cli_wait_done(const json_t *node, int want_running)
{
	const char *state = cli_fmt_string(node, "state");
	const json_t *ready = json_object_get(node, "ready");

	if (!want_running)
		return (strcmp(state, "stopped") == 0);
	/* Only templates with a readiness pattern report "ready". */
	return (strcmp(state, "running") == 0 && (ready == NULL || json_is_true(ready)));
}

static const char *
cli_wait_phase(const json_t *node)
{
	const char *state = cli_fmt_string(node, "state");
	const json_t *ready = json_object_get(node, "ready");

	static char paused[96]; /* the CLI has one thread */

	if (strcmp(state, "running") == 0 && json_is_boolean(ready))
		return (json_is_true(ready) ? "running, ready" : "running, not ready yet");
	/* It waits there for `labwire node resume`: say why. */
	if (strcmp(state, "paused") == 0 && *cli_fmt_string(node, "paused_reason") != '\0') {
		snprintf(paused, sizeof(paused), "paused: %s (labwire node resume)",
		    cli_fmt_string(node, "paused_reason"));
		return (paused);
	}
	return (*state != '\0' ? state : "unknown");
}

/* cli_wait_node - print the node's phase if it changed; 1 done, 0 not yet, -1 in error. */
static int
cli_wait_node(struct cli_wait *w, const json_t *node)
{
	char nb[32];
	const char *name = cli_fmt_field(node, "name", nb, sizeof(nb));
	const char *phase = cli_wait_phase(node);
	const char *prev = json_string_value(json_object_get(w->seen, name));

	if (prev == NULL || strcmp(prev, phase) != 0) {
		fprintf(w->out, "%s: %s\n", name, phase);
		fflush(w->out);
		json_object_set_new(w->seen, name, json_string(phase));
	}
	if (strcmp(cli_fmt_string(node, "state"), "error") == 0) {
		fprintf(stderr, "labwire: node %s failed: %s\n", name,
		    *cli_fmt_string(node, "error") ? cli_fmt_string(node, "error")
		                                   : "no reason given");
		return (-1);
	}
	return (cli_wait_done(node, w->want_running));
}

/* cli_wait_poll - one look; 1 all done, 0 not yet, -1 failed (told). */
static int
cli_wait_poll(struct cli_wait *w)
{
	const json_t *node, *nodes;
	json_t *ans;
	size_t i;
	long st;
	int r, done = 1;

	if (cli_http("GET", w->path, NULL, &st, &ans) == -1)
		return (-1);
	nodes = json_object_get(ans, "nodes");
	for (i = 0; w->one_node ? i < 1 : i < json_array_size(nodes); i++) {
		node = w->one_node ? ans : json_array_get(nodes, i);
		if ((r = cli_wait_node(w, node)) == -1) {
			done = -1;
			break;
		}
		done &= r;
	}
	json_decref(ans);
	return (done);
}

/* cli_wait_until - poll until every node got there, or timeout seconds passed; exit status. */
static int
cli_wait_until(struct cli_wait *w, double timeout)
{
	long long deadline = clock_mono_ms() + (long long)(timeout * 1000);
	int r;

	if ((w->seen = json_object()) == NULL)
		return (CLI_FAIL);
	while ((r = cli_wait_poll(w)) == 0) {
		if (clock_mono_ms() >= deadline) {
			fprintf(stderr, "labwire: timed out after %g s waiting for %s to be %s\n",
			    timeout, w->what, w->want_running ? "running" : "stopped");
			break;
		}
		cli_wait_sleep_ms(CLI_POLL_MS);
	}
	if (r == 1)
		fprintf(w->out, "%s: %s\n", w->what, w->want_running ? "running" : "stopped");
	json_decref(w->seen);
	return (r == 1 ? CLI_OK : CLI_FAIL);
}

/* cli_wait_init - w to follow lab, or its node, to running or stopped; 0 or -1 (told). */
static int
cli_wait_init(struct cli_wait *w, const char *what, const char *lab, const char *node, int run)
{
	memset(w, 0, sizeof(*w));
	w->what = what;
	w->one_node = node != NULL;
	w->want_running = run;
	return (cli_http_path(w->path, sizeof(w->path), lab, node, ""));
}

int
cli_wait_action(const struct cli_args *a, const char *what, const char *node, int start)
{
	struct cli_wait w;
	json_t *ans;
	const char *verb = start ? "start requested" : "stop requested";

	if (cli_wait_init(&w, what, a->pos[0], node, start) == -1 ||
	    cli_http_lab("POST", a->pos[0], node, start ? "/start" : "/stop", NULL, &ans) == -1)
		return (CLI_FAIL);
	printf("%s: %s\n", what,
	    *cli_fmt_string(ans, "state") != '\0' ? cli_fmt_string(ans, "state") : verb);
	fflush(stdout);
	json_decref(ans);
	if (!a->wait)
		return (CLI_OK);
	w.out = stdout;
	return (cli_wait_until(&w, a->timeout > 0 ? a->timeout : CLI_WAIT_S));
}

int
cli_wait_ready(const char *what, const char *lab, const char *node, double timeout)
{
	struct cli_wait w;

	if (cli_wait_init(&w, what, lab, node, 1) == -1)
		return (CLI_FAIL);
	w.out = stderr;
	return (cli_wait_until(&w, timeout > 0 ? timeout : CLI_WAIT_S));
}
