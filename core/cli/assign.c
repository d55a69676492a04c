/*
 * assign - the "assignment" commands: an instructor hands a lab to a group
 * (create), lists and deletes assignments and reads the table of the
 * group's members (show); a member makes their own copy and starts it
 * (start). Each is one or two REST calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

/* CLI_API "/assignments/ID" + suffix into buf; 0, or -1 having told the user. */
static int
assign_path(char *buf, size_t len, const char *id, const char *suffix)
{
	char *en = curl_easy_escape(NULL, id, 0);
	int n = en != NULL ? snprintf(buf, len, CLI_API "/assignments/%s%s", en, suffix) : -1;

	curl_free(en);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: assignment '%.40s': too long\n", id);
		return (-1);
	}
	return (0);
}

int
cli_assign_create(struct cli_args *a)
{
	json_t *body = json_pack("{s:s,s:s}", "lab", a->pos[0], "group", a->pos[1]), *ans;
	char *text, id[32];
	long st;
	int rc;

	if (a->name != NULL)
		json_object_set_new(body, "name", json_string(a->name));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = text != NULL ? cli_http("POST", CLI_API "/assignments", text, &st, &ans) : -1;
	free(text);
	if (rc == -1)
		return (CLI_FAIL);
	printf("assigned lab %s to group %s: assignment %s (id %s)\n", a->pos[0], a->pos[1],
	    cli_fmt_string(ans, "name"), cli_fmt_field(ans, "id", id, sizeof(id)));
	json_decref(ans);
	return (CLI_OK);
}

int
cli_assign_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 6};
	const json_t *as, *inst;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/assignments", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t, (const char *[]){"ID", "NAME", "LAB", "GROUP", "ROLE", "MY-COPY"});
	json_array_foreach(json_object_get(ans, "assignments"), i, as) {
		char b[5][64];

		inst = json_object_get(as, "instance");
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(as, "id", b[0], sizeof(b[0])),
		        cli_fmt_field(as, "name", b[1], sizeof(b[1])),
		        cli_fmt_field(as, "lab", b[2], sizeof(b[2])),
		        cli_fmt_field(as, "group", b[3], sizeof(b[3])),
		        cli_fmt_field(as, "role", b[4], sizeof(b[4])),
		        json_is_object(inst) ? cli_fmt_string(inst, "name") : "-"});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

/* A member's last grade as "7/10 passed 2026-12-06 17:02Z", or "-". */
static const char *
grade_text(const json_t *g, char *buf, size_t len)
{
	time_t at = (time_t)json_integer_value(json_object_get(g, "at"));
	char when[32] = "";
	struct tm tm;

	if (!json_is_object(g))
		return ("-");
	if (gmtime_r(&at, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%MZ", &tm);
	snprintf(buf, len, "%lld/%lld %s %s",
	    (long long)json_integer_value(json_object_get(g, "score")),
	    (long long)json_integer_value(json_object_get(g, "max_score")),
	    json_is_true(json_object_get(g, "passed")) ? "passed" : "not passed", when);
	return (buf);
}

int
cli_assign_show(struct cli_args *a)
{
	struct cli_table t = {.ncol = 4};
	char path[CLI_PATH_MAX], id[32];
	const json_t *m, *inst;
	json_t *ans;
	size_t i;
	long st;

	if (assign_path(path, sizeof(path), a->pos[0], "") == -1 ||
	    cli_http("GET", path, NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	printf("assignment %s (id %s): lab %s, group %s, instructor %s\n\n",
	    cli_fmt_string(ans, "name"), cli_fmt_field(ans, "id", id, sizeof(id)),
	    json_is_string(json_object_get(ans, "lab")) ? cli_fmt_string(ans, "lab") : "(deleted)",
	    cli_fmt_string(ans, "group"),
	    json_is_string(json_object_get(ans, "instructor")) ? cli_fmt_string(ans, "instructor")
	                                                       : "-");
	cli_table_row(&t, (const char *[]){"MEMBER", "COPY", "STATE", "LAST-GRADE"});
	json_array_foreach(json_object_get(ans, "members"), i, m) {
		char g[96];

		inst = json_object_get(m, "instance");
		cli_table_row(&t,
		    (const char *[]){cli_fmt_string(m, "user"),
		        json_is_object(inst) ? cli_fmt_string(inst, "name") : "-",
		        json_is_object(inst) ? cli_fmt_string(inst, "state") : "-",
		        grade_text(json_object_get(m, "last_grade"), g, sizeof(g))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

int
cli_assign_start(struct cli_args *a)
{
	char path[CLI_PATH_MAX], lab[32], what[128];
	struct cli_args b = *a;
	json_t *ans;
	long st;

	if (assign_path(path, sizeof(path), a->pos[0], "/instance") == -1 ||
	    cli_http("POST", path, NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_fmt_field(ans, "id", lab, sizeof(lab));
	printf("%s lab %s (id %s)\n",
	    st == 201 ? "made your copy:" : "your copy:", cli_fmt_string(ans, "name"), lab);
	snprintf(what, sizeof(what), "lab %s", cli_fmt_string(ans, "name"));
	json_decref(ans);
	b.pos[0] = lab;
	return (cli_wait_action(&b, what, NULL, 1));
}

int
cli_assign_delete(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	long st;

	if (assign_path(path, sizeof(path), a->pos[0], "") == -1 ||
	    cli_http("DELETE", path, NULL, &st, NULL) == -1)
		return (CLI_FAIL);
	printf("deleted assignment %s (the members' copies stay theirs)\n", a->pos[0]);
	return (CLI_OK);
}
