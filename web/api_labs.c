/*
 * api_labs - the Labs section: CRUD, whole-topology POST, start and stop.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/runtime.h"
#include "labs/lab.h"
#include "web/api.h"

int
api_labs_list(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, lab_list_json(e), e));
}

int
api_labs_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_create(r->body, e);

	if (lab == -1)
		return (-1);
	api_publish("lab", "created", lab, lab);
	api_consoles(lab, 0, true);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld", (long long)lab);
	return (api_reply(r, 201, lab_json(lab, e), e));
}

int
api_lab_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	return (lab == -1 ? -1 : api_reply(r, 200, lab_json(lab, e), e));
}

int
api_lab_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || lab_patch(lab, r->body, e) == -1)
		return (-1);
	api_publish("lab", "updated", lab, lab);
	return (api_reply(r, 200, lab_json(lab, e), e));
}

/* Deleting a lab stops what runs in it first, then removes every trace. */
int
api_lab_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e);

	if (lab == -1 || api_wait_stopped(lab, 0, e) == -1)
		return (-1);
	/* A concurrent request may have started a node while we waited. */
	if (runtime_busy_count(lab, 0) != 0)
		return (err_set(e, ERR_CONFLICT, "a node of the lab was started meanwhile"));
	api_consoles(lab, 0, false);
	if (lab_delete_rows(lab, e) == -1) {
		api_consoles(lab, 0, true);
		return (-1);
	}
	api_publish("lab", "deleted", lab, lab);
	api_remove_tree(lab, 0);
	r->status = 204;
	return (0);
}

/* Start every stopped node, all or none: each is checked before any starts. */
int
api_lab_start(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e), *ids;
	size_t n, i;

	if (lab == -1 || (ids = lab_node_ids(lab, LAB_NODES_STOPPED, &n, e)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if (runtime_check_node(ids[i], e) == -1) {
			free(ids);
			return (-1);
		}
	for (i = 0; i < n; i++)
		runtime_node_start(ids[i]);
	free(ids);
	return (api_reply(r, 202, lab_json(lab, e), e));
}

int
api_lab_stop(struct api_req *r, struct lw_err *e)
{
	int64_t lab = lab_resolve(r->params[0], e), *ids;
	size_t n;

	if (lab == -1 || (ids = lab_node_ids(lab, LAB_NODES_ACTIVE, &n, e)) == NULL)
		return (-1);
	for (size_t i = 0; i < n; i++)
		runtime_node_stop(ids[i], false);
	free(ids);
	return (api_reply(r, 202, lab_json(lab, e), e));
}
