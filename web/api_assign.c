/*
 * api_assign - the Assignments section: an instructor hands a lab to a
 * group, the table of its members, and each member's own copy.
 */
#include <stdio.h>

#include "labs/access.h"
#include "labs/assign.h"
#include "labs/lab.h"
#include "labs/practice.h"
#include "web/api.h"

int
api_assignments_list(struct api_req *r, struct lw_err *e)
{
	struct api_page pg;

	if (api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, api_page(assign_list_json(&r->who, e), "assignments", &pg), e));
}

int
api_assignments_create(struct api_req *r, struct lw_err *e)
{
	json_t *out = assign_create(&r->who, r->body, e);

	if (out == NULL)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/assignments/%lld",
	    (long long)json_integer_value(json_object_get(out, "id")));
	return (api_reply(r, 201, out, e));
}

int
api_assignment_get(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, assign_json(&r->who, r->params[0], e), e));
}

int
api_assignment_delete(struct api_req *r, struct lw_err *e)
{
	if (assign_delete(&r->who, r->params[0], e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}

/* The caller's copy: 201 when made now, 200 when it was made before; the lab as GET shows it. */
int
api_assignment_instance(struct api_req *r, struct lw_err *e)
{
	bool made;
	int64_t lab = assign_instance(&r->who, r->params[0], &made, e);
	json_t *out;

	if (lab == -1 || (out = lab_json(lab, e)) == NULL)
		return (-1);
	/* Its owner, as a rule; not when an admin gave the copy to someone else. */
	access_redact(out, access_lab(&r->who, lab), true);
	if (assign_hides_solutions(&r->who, lab))
		practice_hide_configs(out);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld", (long long)lab);
	return (api_reply(r, made ? 201 : 200, out, e));
}
