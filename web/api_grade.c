/*
 * api_grade - grading a practice lab and its grades (labs/grade). The grade
 * route runs without lw_lock(): grading waits on consoles for seconds, and
 * labs/grade takes the lock only to read and to store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/fields.h"
#include "labs/grade.h"
#include "labs/lab.h"
#include "labs/practice.h"
#include "web/api.h"

static const struct field grade_body[] = {
    {"stage", F_INT, 0, 0, PRACTICE_STAGES_MAX, NULL, NULL, NULL},
    FIELDS_END,
};

/* A decimal id of at most 18 digits into *id; 0, or -1. */
static int
parse_num(const char *s, int64_t *id)
{
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 18)
		return (-1);
	*id = strtoll(s, &end, 10);
	return (*end == '\0' ? 0 : -1);
}

/* The stage: the body's "stage", else ?stage=N, else 0 (every check). */
static int
grade_stage(struct api_req *r, int *stage, struct lw_err *e)
{
	const char *q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "stage");
	json_t *b = json_object_get(r->body, "stage");
	int64_t n = 0;

	if (fields_check(r->body, grade_body, "grade", e) == -1)
		return (-1);
	if (b != NULL && q != NULL)
		return (err_set(
		    e, ERR_BAD_REQUEST, "give the stage in the body or the query, not both"));
	if (b != NULL)
		n = json_integer_value(b);
	else if (q != NULL && (parse_num(q, &n) == -1 || n > PRACTICE_STAGES_MAX))
		return (err_set(e, ERR_INVALID, "stage: '%.20s' is not a stage number (0..%d)", q,
		    PRACTICE_STAGES_MAX));
	*stage = (int)n;
	return (0);
}

int
api_lab_grade(struct api_req *r, struct lw_err *e)
{
	int64_t lab;
	int stage = 0;

	/* The route's access check put the lab's id in {lab}. */
	if (parse_num(r->params[0], &lab) == -1)
		return (err_set(e, ERR_NOT_FOUND, "lab '%.80s' not found", r->params[0]));
	if (grade_stage(r, &stage, e) == -1)
		return (-1);
	return (api_reply(r, 200, grade_run(&r->who, lab, stage, e), e));
}

int
api_lab_grades(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1)
		return (-1);
	return (api_reply(r, 200, grade_list(lab, e), e));
}

int
api_lab_grade_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e), id;

	if (lab == -1)
		return (-1);
	if (parse_num(r->params[1], &id) == -1)
		return (
		    err_set(e, ERR_NOT_FOUND, "grade '%.20s' not found in this lab", r->params[1]));
	return (api_reply(r, 200, grade_get(lab, id, e), e));
}
