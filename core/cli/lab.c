/*
 * lab - the "lab" commands: list, create from a topology file, show, start,
 * stop, delete. Each is one or two REST calls; what a lab's nodes and links
 * look like in a table is node.c's and link.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

int
cli_lab_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 5};
	const json_t *lab;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/labs", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t, (const char *[]){"ID", "NAME", "STATE", "NODES", "LINKS"});
	json_array_foreach(json_object_get(ans, "labs"), i, lab) {
		char b[5][64];

		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(lab, "id", b[0], sizeof(b[0])),
		        cli_fmt_field(lab, "name", b[1], sizeof(b[1])),
		        cli_fmt_field(lab, "state", b[2], sizeof(b[2])),
		        cli_fmt_field(lab, "node_count", b[3], sizeof(b[3])),
		        cli_fmt_field(lab, "link_count", b[4], sizeof(b[4]))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

/* lab_checks_count - a lab's checks: its own and every stage's. */
static size_t
lab_checks_count(json_t *lab)
{
	json_t *st;
	size_t i, n = json_array_size(json_object_get(lab, "checks"));

	json_array_foreach(json_object_get(lab, "stages"), i, st)
		n += json_array_size(json_object_get(st, "checks"));
	return (n);
}

int
cli_lab_create(struct cli_args *a)
{
	const char *name = strcmp(a->pos[0], "-") == 0 ? "<stdin>" : a->pos[0];
	struct cli_buf file = {0};
	json_error_t jerr;
	json_t *ans, *check;
	char id[32];
	long st;
	int ret = CLI_FAIL;

	if (cli_buf_load(a->pos[0], &file) == -1)
		goto out;
	/* Posted as is; parsed here only to point at a syntax error by line. */
	if ((check = json_loadb(file.p, file.n, 0, &jerr)) == NULL) {
		fprintf(stderr, "labwire: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	json_decref(check);
	if (cli_http("POST", CLI_API "/labs", file.p, &st, &ans) == 0) {
		printf("created lab %s (id %s)", cli_fmt_string(ans, "name"),
		    cli_fmt_field(ans, "id", id, sizeof(id)));
		/* A practice lab's parts, as the daemon kept them: every check, the stages' too. */
		if (json_array_size(json_object_get(ans, "checks")) > 0 ||
		    json_array_size(json_object_get(ans, "stages")) > 0)
			printf(": %zu checks, %zu stages", lab_checks_count(ans),
			    json_array_size(json_object_get(ans, "stages")));
		printf("\n");
		json_decref(ans);
		ret = CLI_OK;
	}
out:
	free(file.p);
	return (ret);
}

int
cli_lab_show(struct cli_args *a)
{
	char id[32], state[32];
	json_t *lab;
	int ret;

	if (cli_http_lab("GET", a->pos[0], NULL, "", NULL, &lab) == -1)
		return (CLI_FAIL);
	printf("lab %s (id %s): %s\n", cli_fmt_string(lab, "name"),
	    cli_fmt_field(lab, "id", id, sizeof(id)),
	    cli_fmt_field(lab, "state", state, sizeof(state)));
	if (*cli_fmt_string(lab, "description") != '\0')
		printf("%s\n", cli_fmt_string(lab, "description"));
	printf("\nnodes:\n");
	ret = cli_node_table(json_object_get(lab, "nodes"));
	printf("\nlinks:\n");
	ret |= cli_link_table(json_object_get(lab, "links"));
	json_decref(lab);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

static int
cli_lab_startstop(struct cli_args *a, int start)
{
	char what[128];

	snprintf(what, sizeof(what), "lab %s", a->pos[0]);
	return (cli_wait_action(a, what, NULL, start));
}

int
cli_lab_start(struct cli_args *a)
{
	return (cli_lab_startstop(a, 1));
}

int
cli_lab_stop(struct cli_args *a)
{
	return (cli_lab_startstop(a, 0));
}

int
cli_lab_delete(struct cli_args *a)
{
	if (cli_http_lab("DELETE", a->pos[0], NULL, "", NULL, NULL) == -1)
		return (CLI_FAIL);
	printf("deleted lab %s\n", a->pos[0]);
	return (CLI_OK);
}
