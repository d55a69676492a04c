/*
 * api_practice - a practice lab's guide, checks and stages, and restoring
 * a stage (labs/practice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/lab.h"
#include "labs/practice.h"
#include "web/api.h"

static int
practice_get_reply(struct api_req *r, const char *what, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1)
		return (-1);
	return (api_reply(r, 200, practice_get(lab, what, e), e));
}

static int
practice_put_reply(struct api_req *r, const char *what, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || practice_put(lab, what, r->body, e) == -1)
		return (-1);
	return (api_reply(r, 200, practice_get(lab, what, e), e));
}

int
api_lab_guide_get(struct api_req *r, struct lw_err *e)
{
	return (practice_get_reply(r, "guide", e));
}

int
api_lab_guide_put(struct api_req *r, struct lw_err *e)
{
	return (practice_put_reply(r, "guide", e));
}

int
api_lab_checks_get(struct api_req *r, struct lw_err *e)
{
	return (practice_get_reply(r, "checks", e));
}

int
api_lab_checks_put(struct api_req *r, struct lw_err *e)
{
	return (practice_put_reply(r, "checks", e));
}

int
api_lab_stages_get(struct api_req *r, struct lw_err *e)
{
	return (practice_get_reply(r, "stages", e));
}

int
api_lab_stages_put(struct api_req *r, struct lw_err *e)
{
	return (practice_put_reply(r, "stages", e));
}

/* {n}: 0 (the start) .. PRACTICE_STAGES_MAX; anything else names no stage. */
int
api_lab_stage_restore(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);
	const char *s = r->params[1];
	char *end;
	long n;

	if (lab == -1)
		return (-1);
	n = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || strlen(s) > 3)
		return (err_set(e, ERR_NOT_FOUND, "stage '%.20s' not found: stages are 0..%d", s,
		    PRACTICE_STAGES_MAX));
	return (api_reply(r, 202, practice_restore(lab, (int)n, e), e));
}
