/*
 * api_nodes - the Nodes section.
 */
#include <stdio.h>

#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "web/api.h"

/* Resolve {lab} and, when the path has it, {node}. */
static int
node_ref(struct api_req *r, int64_t *lab, int64_t *node, struct lw_err *e)
{
	if ((*lab = lab_resolve(r->params[0], e)) == -1)
		return (-1);
	if (r->nparams > 1 && (*node = lab_node_resolve(*lab, r->params[1], e)) == -1)
		return (-1);
	return (0);
}

int
api_nodes_list(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	struct api_page pg;

	if (node_ref(r, &lab, &node, e) == -1 || api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_nodes_page(lab, pg.after, pg.limit, e), e));
}

int
api_nodes_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 ||
	    (node = lifecycle_node_create(lab, r->body, e)) == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld/nodes/%lld", (long long)lab,
	    (long long)node);
	return (api_reply(r, 201, lab_node_json(node, e), e));
}

int
api_node_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_node_json(node, e), e));
}

int
api_node_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 || lab_node_patch(node, r->body, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_node_json(node, e), e));
}

int
api_node_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 || lifecycle_node_delete(lab, node, e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}

int
api_node_start(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 || lifecycle_node_start(node, r->params[1], e) == -1)
		return (-1);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

int
api_node_stop(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 || lifecycle_node_stop(node, e) == -1)
		return (-1);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

/* Reload = power-cycle: stop, then start once stopped. */
int
api_node_reload(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 ||
	    lifecycle_node_reload(lab, node, r->params[1], e) == -1)
		return (-1);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

/* Wipe = forget the node's disk state; the next start begins fresh. */
int
api_node_wipe(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 ||
	    lifecycle_node_wipe(lab, node, r->params[1], e) == -1)
		return (-1);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

/*
 * Resume a paused node: 200 with the node once its guest runs again, 409
 * when it is not paused or paused again at once (a disk still full).
 */
int
api_node_resume(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, e) == -1 || lifecycle_node_resume(node, r->params[1], e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_node_json(node, e), e));
}
