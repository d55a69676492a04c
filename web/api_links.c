/*
 * api_links - the Links section.
 */
#include <stdio.h>

#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "web/api.h"

static int
link_ref(struct api_req *r, int64_t *lab, int64_t *link, struct lw_err *e)
{
	if ((*lab = lab_resolve(r->params[0], e)) == -1)
		return (-1);
	if (r->nparams > 1 && (*link = lab_link_resolve(*lab, r->params[1], e)) == -1)
		return (-1);
	return (0);
}

int
api_links_list(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;

	struct api_page pg;

	if (link_ref(r, &lab, &link, e) == -1 || api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_links_page(lab, pg.after, pg.limit, e), e));
}

int
api_links_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link = 0;

	if (link_ref(r, &lab, &link, e) == -1 ||
	    (link = lifecycle_link_create(lab, r->body, e)) == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld/links/%lld", (long long)lab,
	    (long long)link);
	return (api_reply(r, 201, lab_link_json(link, e), e));
}

int
api_link_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;

	if (link_ref(r, &lab, &link, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_link_json(link, e), e));
}

int
api_link_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;
	json_t *out;
	int applied;

	if (link_ref(r, &lab, &link, e) == -1 ||
	    (applied = lifecycle_link_patch(lab, link, r->body, e)) == -1)
		return (-1);
	/* Not applied within the wait: 202, the link as it is so far, and "pending". */
	if ((out = lab_link_json(link, e)) != NULL && applied == 1)
		json_object_set_new(out, "pending", json_true());
	return (api_reply(r, applied == 1 ? 202 : 200, out, e));
}

int
api_link_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;

	if (link_ref(r, &lab, &link, e) == -1 || lifecycle_link_delete(lab, link, e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}
