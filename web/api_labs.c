/*
 * api_labs - the Labs section: CRUD, whole-topology POST, start and stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "web/api.h"
#include "web/labcache.h"

int
api_labs_list(struct api_req *r, struct lw_err *e)
{
	struct api_page pg;

	if (api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, api_page(lab_list_json(&r->who, e), "labs", &pg), e));
}

int
api_labs_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lifecycle_lab_create(&r->who, r->body, e);

	if (lab == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld", (long long)lab);
	return (api_reply(r, 201, lab_json(lab, e), e));
}

int
api_lab_get(struct api_req *r, struct lw_err *e)
{
	/* The access check put the lab's id in params[0]. */
	return (labcache_answer(r, strtoll(r->params[0], NULL, 10), r->fast, e));
}

int
api_lab_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || lifecycle_lab_patch(&r->who, lab, r->body, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_json(lab, e), e));
}

/* Deleting a lab stops what runs in it first, then removes every trace. */
int
api_lab_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || lifecycle_lab_delete(&r->who, lab, e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}

/*
 * Start every stopped node (lifecycle_lab_start). ?wait=ready answers once
 * all are ready (or says which are not), within ?timeout= seconds.
 */
int
api_lab_start(struct api_req *r, struct lw_err *e)
{
	const char *wait = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "wait");
	const char *tmo = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "timeout");
	int64_t lab = lab_resolve(r->params[0], e);
	long timeout_s = 900;
	char *end;

	if (wait != NULL && strcmp(wait, "ready") != 0)
		return (err_set(e, ERR_INVALID, "wait: only wait=ready is known"));
	if (tmo != NULL &&
	    ((timeout_s = strtol(tmo, &end, 10)) < 1 || timeout_s > 7200 || *end != '\0'))
		return (err_set(e, ERR_INVALID, "timeout: seconds, 1..7200"));
	if (lab == -1 || lifecycle_lab_start(&r->who, lab, wait != NULL, timeout_s, e) == -1)
		return (-1);
	return (api_reply(r, wait != NULL ? 200 : 202, lab_json(lab, e), e));
}

int
api_lab_stop(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || lifecycle_lab_stop(&r->who, lab, e) == -1)
		return (-1);
	return (api_reply(r, 202, lab_json(lab, e), e));
}
