/*
 * fuzz_validate - libFuzzer target for request bodies: any bytes are parsed
 * as JSON the way the server does (web/server.c) and checked against every
 * body's table in labs/validate.c (labs, nodes, links, impairments, console
 * exec, captures, login, tokens, quotas, users, groups), then as the labs/
 * code goes on to check what passed: a lab's nodes and links one by one, a
 * link's endpoints (validate_endpoint) and impairment
 * (validate_impairment_check). Besides ASan's and UBSan's checks: each
 * refusal says why, with a 4xx code; an endpoint accepted names a node and
 * a valid interface.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/base/names.h"
#include "labs/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A check's outcome: 0, or -1 with a reason and a code the API answers 4xx. */
static int
fuzz_said(int r, const struct lw_err *e)
{
	if (r == -1 &&
	    (e->msg[0] == '\0' || (e->code != ERR_INVALID && e->code != ERR_BAD_REQUEST)))
		__builtin_trap();
	return (r);
}

static void
fuzz_endpoints(json_t *eps)
{
	char iface[64], nodebuf[64];
	const char *node;
	struct lw_err e;
	json_t *ep;
	size_t i;

	json_array_foreach(eps, i, ep) {
		e = (struct lw_err){.code = ERR_NONE};
		if (fuzz_said(validate_endpoint(
		                  ep, &node, iface, sizeof(iface), nodebuf, sizeof(nodebuf), &e),
		        &e) == 0 &&
		    (node == NULL || !names_valid(node) || !validate_iface(iface)))
			__builtin_trap();
	}
}

/* A link body that passed its table: what link_insert checks next. */
static void
fuzz_link(json_t *link)
{
	struct lw_err e = {.code = ERR_NONE};
	json_t *eps = json_object_get(link, "endpoints");

	fuzz_endpoints(eps);
	fuzz_said(validate_impairment_check(
	              json_object_get(link, "impairment"), (int)json_array_size(eps), &e),
	    &e);
}

/* Check body against table; 0 when it passed. */
static int
fuzz_table(json_t *body, const struct field *table)
{
	struct lw_err e = {.code = ERR_NONE};

	return (fuzz_said(fields_check(body, table, "body", &e), &e));
}

static void
fuzz_lab(json_t *lab)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(lab, "nodes"), i, v)
		fuzz_table(v, validate_node_create);
	json_array_foreach(json_object_get(lab, "links"), i, v)
		if (fuzz_table(v, validate_link_create) == 0)
			fuzz_link(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct field *tables[] = {validate_lab_patch, validate_node_create,
	    validate_node_patch, validate_impairment, validate_impairment_dir,
	    validate_console_exec, validate_capture, validate_login, validate_token_create,
	    validate_quota, validate_user_create, validate_user_patch, validate_group,
	    validate_group_patch};
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct lw_err e = {.code = ERR_NONE};

	if (o == NULL)
		return (0);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		fuzz_table(o, tables[i]);
	if (fuzz_table(o, validate_lab_create) == 0)
		fuzz_lab(o);
	if (fuzz_table(o, validate_link_create) == 0 || fuzz_table(o, validate_link_patch) == 0)
		fuzz_link(o);
	fuzz_said(validate_impairment_check(o, 2, &e), &e);
	fuzz_endpoints(o);
	json_decref(o);
	return (0);
}
