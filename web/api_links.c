/*
 * api_links - the Links section.
 */
#include <stdio.h>

#include "core/impair.h"
#include "core/runtime.h"
#include "core/wiring.h"
#include "labs/lab.h"
#include "web/api.h"

/*
 * The link as it runs: its datapath, and the impairment engine's counters
 * (per direction, a_to_b first) while it is in the engine.
 */
static json_t *
link_runtime(json_t *l)
{
	struct impair_stats st;
	int64_t id = json_integer_value(json_object_get(l, "id"));

	if (l == NULL)
		return (NULL);
	json_object_set_new(l, "datapath", json_string(wiring_datapath(id)));
	if (impair_link_stats(id, &st) == 0) {
		json_t *a = json_array();

		for (int d = 0; d < 2; d++)
			json_array_append_new(a,
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "in", (json_int_t)st.in[d],
			        "out", (json_int_t)st.out[d], "lost", (json_int_t)st.lost[d],
			        "duplicated", (json_int_t)st.duplicated[d], "corrupted",
			        (json_int_t)st.corrupted[d], "reordered", (json_int_t)st.reordered[d],
			        "queue_dropped", (json_int_t)st.queue_dropped[d], "queued",
			        (json_int_t)st.queued[d]));
		json_object_set_new(l, "engine", a);
	}
	return (l);
}

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

	if (link_ref(r, &lab, &link, e) == -1)
		return (-1);
	json_t *o = lab_links_json(lab, e), *l;
	size_t i;

	json_array_foreach(json_object_get(o, "links"), i, l)
		link_runtime(l);
	return (api_reply(r, 200, o, e));
}

int
api_links_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link = 0;

	if (link_ref(r, &lab, &link, e) == -1 || (link = lab_link_create(lab, r->body, e)) == -1)
		return (-1);
	runtime_link_wire(link);
	api_publish("link", "created", link, lab);
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
	return (api_reply(r, 200, link_runtime(lab_link_json(link, e)), e));
}

int
api_link_patch(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;

	if (link_ref(r, &lab, &link, e) == -1 || lab_link_patch(link, r->body, e) == -1)
		return (-1);
	if (json_object_get(r->body, "state") != NULL)
		runtime_link_state(link);
	else if (json_object_get(r->body, "impairment") != NULL)
		runtime_link_sync(link);
	api_publish("link", "updated", link, lab);
	return (api_reply(r, 200, lab_link_json(link, e), e));
}

int
api_link_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab = 0, link = 0;

	if (link_ref(r, &lab, &link, e) == -1 || lab_link_delete_rows(link, e) == -1)
		return (-1);
	runtime_link_unwire(link);
	api_publish("link", "deleted", link, lab);
	r->status = 204;
	return (0);
}
