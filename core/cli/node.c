/*
 * node - the "node" commands (list, start, stop, resume) and the nodes table that
 * "lab show" prints too. Following a node until it runs is wait.c's.
 */
#include <stdio.h>
#include <string.h>

#include "core/cli/cli_int.h"

static void
cli_node_console_cell(const json_t *node, char *buf, size_t len)
{
	const json_t *con = json_object_get(node, "console");
	const char *host = json_string_value(json_object_get(con, "host"));
	const json_t *port = json_object_get(con, "port");

	if (host != NULL && json_is_integer(port))
		snprintf(buf, len, "%s:%" JSON_INTEGER_FORMAT, host, json_integer_value(port));
	else
		snprintf(buf, len, "-");
}

int
cli_node_table(const json_t *nodes)
{
	struct cli_table t = {.ncol = 5};
	const json_t *n;
	size_t i;
	int ret;

	cli_table_row(&t, (const char *[]){"NAME", "STATE", "ACCEL", "CONSOLE", "READY"});
	json_array_foreach(nodes, i, n) {
		char b[5][64];

		cli_node_console_cell(n, b[3], sizeof(b[3]));
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(n, "name", b[0], sizeof(b[0])),
		        cli_fmt_field(n, "state", b[1], sizeof(b[1])),
		        cli_fmt_field(n, "accel_in_use", b[2], sizeof(b[2])), b[3],
		        cli_fmt_field(n, "ready", b[4], sizeof(b[4]))});
	}
	ret = cli_table_done(&t);
	/* A node in error or paused says why; that is the line a user needs. */
	json_array_foreach(nodes, i, n) {
		if (strcmp(cli_fmt_string(n, "state"), "error") == 0)
			printf("%s: error: %s\n", cli_fmt_string(n, "name"),
			    cli_fmt_string(n, "error"));
		if (strcmp(cli_fmt_string(n, "state"), "paused") == 0)
			printf("%s: paused: %s (labwire node resume LAB %s)\n",
			    cli_fmt_string(n, "name"), cli_fmt_string(n, "paused_reason"),
			    cli_fmt_string(n, "name"));
	}
	return (ret);
}

int
cli_node_list(struct cli_args *a)
{
	json_t *ans;
	int ret;

	if (cli_http_lab("GET", a->pos[0], NULL, "/nodes", NULL, &ans) == -1)
		return (CLI_FAIL);
	/* {"nodes": [...]} like /labs, but a bare array reads as well. */
	ret = cli_node_table(json_is_array(ans) ? ans : json_object_get(ans, "nodes"));
	json_decref(ans);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

static int
cli_node_startstop(struct cli_args *a, int start)
{
	char what[192];

	snprintf(what, sizeof(what), "node %s/%s", a->pos[0], a->pos[1]);
	return (cli_wait_action(a, what, a->pos[1], start));
}

int
cli_node_start(struct cli_args *a)
{
	return (cli_node_startstop(a, 1));
}

int
cli_node_stop(struct cli_args *a)
{
	return (cli_node_startstop(a, 0));
}

/* resume - the daemon answers once the guest runs, or refuses (409) saying why. */
int
cli_node_resume(struct cli_args *a)
{
	json_t *ans;

	if (cli_http_lab("POST", a->pos[0], a->pos[1], "/resume", NULL, &ans) == -1)
		return (CLI_FAIL);
	printf("node %s/%s: %s\n", a->pos[0], a->pos[1], cli_fmt_string(ans, "state"));
	json_decref(ans);
	return (CLI_OK);
}
