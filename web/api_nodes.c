/*
 * api_nodes - the Nodes section.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/config.h"
#include "core/console/console.h"
#include "core/run/runtime.h"
#include "db/db.h"
#include "labs/lab.h"
#include "web/api.h"

/* Resolve {lab} and {node} of the path, and the node's state when st is given. */
static int
node_ref(struct api_req *r, int64_t *lab, int64_t *node, char *st, struct lw_err *e)
{
	json_t *row;

	if ((*lab = lab_resolve(r->params[0], e)) == -1)
		return (-1);
	if (r->nparams < 2)
		return (0);
	if ((*node = lab_node_resolve(*lab, r->params[1], e)) == -1)
		return (-1);
	if (st == NULL)
		return (0);
	row = db_row(lw.db, e, "SELECT state FROM nodes WHERE id = ?", "i", *node);
	snprintf(st, 16, "%s", row ? json_string_value(json_object_get(row, "state")) : "");
	json_decref(row);
	return (row == NULL ? -1 : 0);
}

int
api_nodes_list(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, NULL, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_nodes_json(lab, e), e));
}

int
api_nodes_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, node = 0;

	if (node_ref(r, &lab, &node, NULL, e) == -1 || (node = lab_node_create(lab, r->body, e)) == -1)
		return (-1);
	api_publish("node", "created", node, lab);
	api_consoles(lab, node, true);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld/nodes/%lld", (long long)lab,
	    (long long)node);
	return (api_reply(r, 201, lab_node_json(node, e), e));
}

int
api_node_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, NULL, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_node_json(node, e), e));
}

int
api_node_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;

	if (node_ref(r, &lab, &node, NULL, e) == -1 || lab_node_patch(node, r->body, e) == -1)
		return (-1);
	return (api_reply(r, 200, lab_node_json(node, e), e));
}

int
api_node_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;
	json_t *links, *row;
	size_t i;

	if (node_ref(r, &lab, &node, NULL, e) == -1 || api_wait_stopped(lab, node, e) == -1)
		return (-1);
	if (runtime_busy_count(lab, node) != 0)
		return (err_set(e, ERR_CONFLICT, "the node was started meanwhile"));
	/* Its links go with it; a running peer must not keep their bridges. */
	links = db_rows(lw.db, e,
	    "SELECT le.link_id AS id FROM link_endpoints le JOIN interfaces i"
	    " ON i.id = le.interface_id WHERE i.node_id = ?",
	    "i", node);
	if (links == NULL || lab_node_delete_rows(node, e) == -1) {
		json_decref(links);
		return (-1);
	}
	json_array_foreach(links, i, row) {
		runtime_link_unwire(json_integer_value(json_object_get(row, "id")));
		api_publish("link", "deleted", json_integer_value(json_object_get(row, "id")), lab);
	}
	json_decref(links);
	api_publish("node", "deleted", node, lab);
	console_node_remove(node);
	api_remove_tree(lab, node);
	r->status = 204;
	return (0);
}

int
api_node_start(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;
	char st[16];

	if (node_ref(r, &lab, &node, st, e) == -1)
		return (-1);
	if (strcmp(st, "stopped") != 0 && strcmp(st, "error") != 0)
		return (err_set(e, ERR_CONFLICT, "node '%s' is %s", r->params[1], st));
	if (runtime_check_node(node, e) == -1)
		return (-1);
	runtime_node_start(node);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

int
api_node_stop(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;
	char st[16];

	if (node_ref(r, &lab, &node, st, e) == -1)
		return (-1);
	if (strcmp(st, "starting") == 0 || strcmp(st, "running") == 0)
		runtime_node_stop(node, false);
	else if (strcmp(st, "stopping") == 0)
		runtime_node_stop(node, true); /* a second stop does not wait for the guest */
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

/* Reload = power-cycle: stop, then start once stopped. */
int
api_node_reload(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;
	char st[16];

	if (node_ref(r, &lab, &node, st, e) == -1)
		return (-1);
	if (strcmp(st, "running") != 0)
		return (err_set(e, ERR_CONFLICT, "node '%s' is %s; only a running node reloads",
		    r->params[1], st));
	if (runtime_check_node(node, e) == -1 || api_wait_stopped(lab, node, e) == -1)
		return (-1);
	runtime_node_start(node);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}

/* Wipe = forget the node's disk state; the next start begins fresh. */
int
api_node_wipe(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, node = 0;
	char st[16];

	if (node_ref(r, &lab, &node, st, e) == -1)
		return (-1);
	if (strcmp(st, "stopped") != 0 && strcmp(st, "error") != 0)
		return (err_set(
		    e, ERR_CONFLICT, "node '%s' is %s; stop it before wiping", r->params[1], st));
	api_remove_tree(lab, node);
	return (api_reply(r, 202, lab_node_json(node, e), e));
}
