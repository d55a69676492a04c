/*
 * grade - `labwire grade LAB [--stage N] [--json]`: runs a practice lab's
 * checks (POST /labs/{lab}/grade) and prints one row a check (check, node,
 * points, result, detail; the hint under a failed one) and the score, or
 * with --json the API's object. Exit 0 only on full marks, so a script or
 * CI job can gate on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

#define GRADE_COLS 4 /* padded columns before the detail */

/* One row's first four cells. */
static void
grade_cells(const json_t *c, char cells[GRADE_COLS][64])
{
	snprintf(cells[0], 64, "%.63s", cli_fmt_string(c, "id"));
	snprintf(cells[1], 64, "%.63s", cli_fmt_string(c, "node"));
	snprintf(cells[2], 64, "%lld/%lld",
	    (long long)json_integer_value(json_object_get(c, "points")),
	    (long long)json_integer_value(json_object_get(c, "max_points")));
	snprintf(cells[3], 64, "%s", json_is_true(json_object_get(c, "passed")) ? "pass" : "FAIL");
}

static void
grade_row(const char cells[GRADE_COLS][64], const int *w, const char *detail)
{
	for (int i = 0; i < GRADE_COLS; i++)
		printf("%-*s  ", w[i], cells[i]);
	printf("%s\n", detail);
}

/* The table: a header, a row a check, the hint of a failed one under it. */
static void
grade_print(const json_t *ans)
{
	static const char head[GRADE_COLS][64] = {"CHECK", "NODE", "POINTS", "RESULT"};
	const json_t *checks = json_object_get(ans, "checks"), *c;
	char cells[GRADE_COLS][64];
	int w[GRADE_COLS];
	size_t i;

	for (int k = 0; k < GRADE_COLS; k++)
		w[k] = (int)strlen(head[k]);
	json_array_foreach(checks, i, c) {
		grade_cells(c, cells);
		for (int k = 0; k < GRADE_COLS; k++)
			if ((int)strlen(cells[k]) > w[k])
				w[k] = (int)strlen(cells[k]);
	}
	grade_row(head, w, "DETAIL");
	json_array_foreach(checks, i, c) {
		grade_cells(c, cells);
		grade_row(cells, w, cli_fmt_string(c, "detail"));
		if (!json_is_true(json_object_get(c, "passed")) &&
		    *cli_fmt_string(c, "hint") != '\0')
			printf("    hint: %s\n", cli_fmt_string(c, "hint"));
	}
	printf("score %lld/%lld\n", (long long)json_integer_value(json_object_get(ans, "score")),
	    (long long)json_integer_value(json_object_get(ans, "max_score")));
}

int
cli_grade(struct cli_args *a)
{
	char body[32];
	json_t *ans;
	int ret;

	if (a->stage >= 0)
		snprintf(body, sizeof(body), "{\"stage\":%d}", a->stage);
	if (cli_http_lab("POST", a->pos[0], NULL, "/grade", a->stage >= 0 ? body : NULL, &ans) ==
	    -1)
		return (CLI_FAIL);
	if (a->json) {
		char *text = json_dumps(ans, JSON_INDENT(2));

		if (text != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		grade_print(ans);
	}
	ret = json_is_true(json_object_get(ans, "passed")) ? CLI_OK : CLI_FAIL;
	json_decref(ans);
	return (ret);
}
