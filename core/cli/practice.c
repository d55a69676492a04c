/*
 * practice - the practice-lab commands: a lab's guide (printed as its
 * Markdown), its stages (a table) and restoring one. Each is one REST call.
 */
#include <stdio.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

int
cli_lab_guide(struct cli_args *a)
{
	const char *g;
	json_t *ans;

	if (cli_http_lab("GET", a->pos[0], NULL, "/guide", NULL, &ans) == -1)
		return (CLI_FAIL);
	g = cli_fmt_string(ans, "guide");
	if (*g == '\0')
		fprintf(stderr, "labwire: lab %s has no guide\n", a->pos[0]);
	else
		printf("%s%s", g, g[strlen(g) - 1] == '\n' ? "" : "\n");
	json_decref(ans);
	return (CLI_OK);
}

/* A stage's row: its number, name, checks, and the nodes it gives a config. */
static void
cli_stage_row(
    struct cli_table *t, size_t n, const char *name, const json_t *checks, const json_t *configs)
{
	char num[16], nchecks[16], nodes[256] = "-";
	const char *node;
	json_t *v;
	size_t off = 0;

	snprintf(num, sizeof(num), "%zu", n);
	snprintf(nchecks, sizeof(nchecks), "%zu", json_array_size(checks));
	json_object_foreach((json_t *)configs, node, v) {
		if (off < sizeof(nodes))
			off += (size_t)snprintf(
			    nodes + off, sizeof(nodes) - off, "%s%s", off ? "," : "", node);
	}
	cli_table_row(t, (const char *[]){num, name, nchecks, nodes});
}

int
cli_stage_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 4};
	json_t *lab, *s;
	size_t i;

	if (cli_http_lab("GET", a->pos[0], NULL, "", NULL, &lab) == -1)
		return (CLI_FAIL);
	cli_table_row(&t, (const char *[]){"STAGE", "NAME", "CHECKS", "CONFIGS"});
	/* Stage 0 is the lab as it starts, with the lab's own checks. */
	cli_stage_row(&t, 0, "(start)", json_object_get(lab, "checks"), NULL);
	json_array_foreach(json_object_get(lab, "stages"), i, s)
		cli_stage_row(&t, i + 1, cli_fmt_string(s, "name"), json_object_get(s, "checks"),
		    json_object_get(s, "configs"));
	json_decref(lab);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

int
cli_stage_restore(struct cli_args *a)
{
	char suffix[64];
	json_t *ans, *n;
	size_t i;

	if (strspn(a->pos[1], "0123456789") != strlen(a->pos[1]) || strlen(a->pos[1]) > 3) {
		fprintf(stderr, "labwire: stage: a number, 0 (the start) to 16\n");
		return (CLI_USAGE);
	}
	snprintf(suffix, sizeof(suffix), "/stages/%s/restore", a->pos[1]);
	if (cli_http_lab("POST", a->pos[0], NULL, suffix, NULL, &ans) == -1)
		return (CLI_FAIL);
	printf("lab %s: stage %s restored", a->pos[0], a->pos[1]);
	json_array_foreach(json_object_get(ans, "nodes"), i, n)
		printf("%s %s %s", i ? "," : ":", cli_fmt_string(n, "name"),
		    cli_fmt_string(n, "action"));
	printf("\n");
	json_array_foreach(json_object_get(ans, "nodes"), i, n)
		if (*cli_fmt_string(n, "error") != '\0')
			fprintf(stderr, "labwire: %s was not reloaded: %s\n",
			    cli_fmt_string(n, "name"), cli_fmt_string(n, "error"));
	json_decref(ans);
	return (CLI_OK);
}
