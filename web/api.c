/*
 * api - the route table, the dispatcher and the reply helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "db/db.h"
#include "labs/access.h"
#include "labs/assign.h"
#include "labs/importir.h"
#include "labs/practice.h"
#include "web/api.h"
#include "web/httpval.h"

#define L API_LOCKED
#define B API_BODY
#define P API_PUBLIC
#define A API_ADMIN
#define R API_READ

static const struct api_route routes[] = {
    {"GET", "/api/v1/health", api_health, P},
    {"POST", "/api/v1/auth/login", api_login, P | B},
    {"POST", "/api/v1/auth/logout", api_logout, 0},
    {"GET", "/api/v1/auth/me", api_me, 0},
    {"GET", "/api/v1/auth/tokens", api_tokens_list, 0},
    {"POST", "/api/v1/auth/tokens", api_tokens_create, B},
    {"DELETE", "/api/v1/auth/tokens/{}", api_token_delete, 0},
    {"GET", "/api/v1/users", api_users_list, A},
    {"POST", "/api/v1/users", api_users_create, A | B},
    {"GET", "/api/v1/users/{}", api_user_get, 0},
    {"PATCH", "/api/v1/users/{}", api_user_patch, B},
    {"DELETE", "/api/v1/users/{}", api_user_delete, 0},
    {"GET", "/api/v1/groups", api_groups_list, L},
    {"POST", "/api/v1/groups", api_groups_create, L | A | B},
    {"GET", "/api/v1/groups/{}", api_group_get, L | A},
    {"PATCH", "/api/v1/groups/{}", api_group_patch, L | A | B},
    {"DELETE", "/api/v1/groups/{}", api_group_delete, L | A},
    {"GET", "/api/v1/audit", api_audit, L | A},
    {"GET", "/api/v1/system", api_system, L},
    {"GET", "/api/v1/templates", api_templates, R},
    {"POST", "/api/v1/templates", api_templates_create, L | A | B},
    {"GET", "/api/v1/templates/{}", api_template_get, R},
    {"PUT", "/api/v1/templates/{}", api_template_put, L | A | B},
    {"DELETE", "/api/v1/templates/{}", api_template_delete, L | A},
    {"GET", "/api/v1/images", api_images, R},
    {"GET", "/api/v1/images/{}", api_image_get, R},
    {"DELETE", "/api/v1/images/{}", api_image_delete, L | A},
    {"GET", "/api/v1/events", api_events, 0},
    {"GET", "/api/v1/openapi.json", api_openapi, 0},
    {"GET", "/api/v1/assignments", api_assignments_list, R},
    {"POST", "/api/v1/assignments", api_assignments_create, L | B},
    {"GET", "/api/v1/assignments/{}", api_assignment_get, R},
    {"DELETE", "/api/v1/assignments/{}", api_assignment_delete, L},
    {"POST", "/api/v1/assignments/{}/instance", api_assignment_instance, L},
    {"GET", "/api/v1/labs", api_labs_list, R},
    {"POST", "/api/v1/labs", api_labs_create, L | B},
    /* Before /labs/{}: "import" is no lab's name (POST /labs/{} is no route anyway). */
    {"POST", "/api/v1/labs/import", api_labs_import, L | API_RAW},
    {"GET", "/api/v1/labs/{}", api_lab_get, API_SNAPSHOT},
    {"PATCH", "/api/v1/labs/{}", api_lab_patch, L | B},
    {"DELETE", "/api/v1/labs/{}", api_lab_delete, L | API_OWN},
    {"POST", "/api/v1/labs/{}/start", api_lab_start, L},
    {"POST", "/api/v1/labs/{}/stop", api_lab_stop, L},
    {"GET", "/api/v1/labs/{}/export", api_lab_export, R},
    {"GET", "/api/v1/labs/{}/guide", api_lab_guide_get, R},
    {"PUT", "/api/v1/labs/{}/guide", api_lab_guide_put, L | B},
    {"GET", "/api/v1/labs/{}/checks", api_lab_checks_get, R},
    {"PUT", "/api/v1/labs/{}/checks", api_lab_checks_put, L | B},
    {"GET", "/api/v1/labs/{}/stages", api_lab_stages_get, R},
    {"PUT", "/api/v1/labs/{}/stages", api_lab_stages_put, L | B},
    {"POST", "/api/v1/labs/{}/stages/{}/restore", api_lab_stage_restore, L},
    /* Not under lw_lock(): grading waits on consoles (labs/grade locks to read and store). */
    {"POST", "/api/v1/labs/{}/grade", api_lab_grade, API_OPTBODY},
    {"GET", "/api/v1/labs/{}/grades", api_lab_grades, R},
    {"GET", "/api/v1/labs/{}/grades/{}", api_lab_grade_get, R},
    {"GET", "/api/v1/labs/{}/nodes", api_nodes_list, R},
    {"POST", "/api/v1/labs/{}/nodes", api_nodes_create, L | B},
    {"GET", "/api/v1/labs/{}/nodes/{}", api_node_get, R},
    {"PATCH", "/api/v1/labs/{}/nodes/{}", api_node_patch, L | B},
    {"DELETE", "/api/v1/labs/{}/nodes/{}", api_node_delete, L},
    {"POST", "/api/v1/labs/{}/nodes/{}/start", api_node_start, L},
    {"POST", "/api/v1/labs/{}/nodes/{}/stop", api_node_stop, L},
    {"POST", "/api/v1/labs/{}/nodes/{}/reload", api_node_reload, L},
    {"POST", "/api/v1/labs/{}/nodes/{}/wipe", api_node_wipe, L},
    {"POST", "/api/v1/labs/{}/nodes/{}/resume", api_node_resume, L},
    {"GET", "/api/v1/labs/{}/nodes/{}/console", api_node_console, 0},
    {"GET", "/api/v1/labs/{}/nodes/{}/console.log", api_node_console_log, 0},
    {"POST", "/api/v1/labs/{}/nodes/{}/console/exec", api_node_console_exec, B},
    {"GET", "/api/v1/labs/{}/nodes/{}/config", api_node_config, API_WRITE},
    {"GET", "/api/v1/labs/{}/links", api_links_list, R},
    {"POST", "/api/v1/labs/{}/links", api_links_create, L | B},
    {"GET", "/api/v1/labs/{}/links/{}", api_link_get, R},
    {"PATCH", "/api/v1/labs/{}/links/{}", api_link_patch, L | B},
    {"DELETE", "/api/v1/labs/{}/links/{}", api_link_delete, L},
    {"POST", "/api/v1/labs/{}/links/{}/captures", api_captures_create, L | API_OPTBODY},
    {"GET", "/api/v1/labs/{}/links/{}/captures", api_captures_list, R},
    {"GET", "/api/v1/labs/{}/links/{}/captures/{}", api_capture_get, R},
    {"DELETE", "/api/v1/labs/{}/links/{}/captures/{}", api_capture_delete, L},
    {"GET", "/api/v1/labs/{}/links/{}/captures/{}/pcap", api_capture_pcap, 0},
    {"GET", "/api/v1/labs/{}/links/{}/recent.pcap", api_link_recent, L},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Match url against pattern segment by segment; {} captures one segment. */
static bool
route_match(const char *pattern, const char *url, struct api_req *r)
{
	const char *p = pattern, *u = url;
	int n = 0;

	while (*p && *u) {
		if (strncmp(p, "{}", 2) == 0) {
			const char *end = strchr(u, '/');
			size_t len = end ? (size_t)(end - u) : strlen(u);

			if (len == 0 || n == API_MAX_PARAMS)
				return (false);
			if (r != NULL)
				r->params[n] = strndup(u, len);
			n++;
			p += 2;
			u += len;
			continue;
		}
		if (*p++ != *u++)
			return (false);
	}
	if (*p != '\0' || (*u != '\0' && strcmp(u, "/") != 0))
		return (false);
	if (r != NULL)
		r->nparams = n;
	return (true);
}

bool
api_route_reads(const char *method, const char *url)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    route_match(routes[i].pattern, url, NULL))
			return ((routes[i].flags & (API_READ | API_SNAPSHOT)) != 0);
	return (false);
}

long
api_body_max(const char *method, const char *url, long max, bool *raw)
{
	*raw = false;
	for (size_t i = 0; i < NROUTES; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    route_match(routes[i].pattern, url, NULL)) {
			*raw = (routes[i].flags & API_RAW) != 0;
			break;
		}
	return (*raw ? (long)IMPORT_FILE_MAX : max);
}

bool
api_path_known(const char *url)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (route_match(routes[i].pattern, url, NULL))
			return (true);
	return (false);
}

static bool
is_lab_route(const struct api_route *rt)
{
	return (strncmp(rt->pattern, "/api/v1/labs/{}", 15) == 0);
}

/* The level a route under /labs/{lab} needs: read to look (and watch a console), else write. */
static int
lab_need(const struct api_route *rt)
{
	if (rt->flags & API_OWN)
		return (ACCESS_OWN);
	if (rt->flags & API_WRITE)
		return (ACCESS_WRITE);
	return (strcmp(rt->method, "GET") == 0 ? ACCESS_READ : ACCESS_WRITE);
}

/* Who r is, and whether they may use rt (on {lab}, when rt has one); 0 or -1 with e. */
static int
route_allowed(const struct api_route *rt, struct api_req *r, struct lw_err *e)
{
	int64_t lab;
	char *id, num[24];

	if (rt->flags & API_PUBLIC)
		return (0);
	if (api_identify(r, e) == -1)
		return (-1);
	if ((rt->flags & API_ADMIN) && r->who.role != ROLE_ADMIN)
		return (err_set(e, ERR_FORBIDDEN, "%s %s is for admins", r->method, rt->pattern));
	if (!is_lab_route(rt))
		return (0);
	if (db_read_begin(lw.db, e) == -1)
		return (-1);
	lab = access_lab_resolve(&r->who, r->params[0], lab_need(rt), &r->level, e);
	/* A member's copy of an assignment's lab: the stages' solutions stay server-side. */
	r->hide_solutions = lab != -1 && assign_hides_solutions(&r->who, lab);
	db_read_end();
	if (lab == -1)
		return (-1);
	/* The handler finds the lab that was checked: by its id, not its name again. */
	snprintf(num, sizeof(num), "%lld", (long long)lab);
	if ((id = strdup(num)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	free(r->params[0]);
	r->params[0] = id;
	return (0);
}

const struct api_route *
api_route(const char *method, const char *url, struct api_req *r)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    route_match(routes[i].pattern, url, NULL)) {
			if (r != NULL)
				route_match(routes[i].pattern, url, r);
			return (&routes[i]);
		}
	return (NULL);
}

int
api_dispatch(struct api_req *r, struct lw_err *e)
{
	const struct api_route *rt;
	unsigned gen;
	int ret;

	if ((rt = api_route(r->method, r->url, NULL)) == NULL) {
		if (api_path_known(r->url))
			return (
			    err_set(e, ERR_METHOD, "%s is not allowed on %s", r->method, r->url));
		return (err_set(e, ERR_NOT_FOUND, "no such endpoint: %s %s", r->method, r->url));
	}
	gen = access_generation();
	route_match(rt->pattern, r->url, r);
	/* Who asks and what they may see: one read snapshot for both. */
	if (db_read_begin(lw.db, e) == -1)
		return (-1);
	ret = route_allowed(rt, r, e);
	db_read_end();
	if (ret == -1)
		return (-1);
	if ((rt->flags & API_BODY) && r->body == NULL)
		return (err_set(e, ERR_BAD_REQUEST, "this request needs a JSON body"));
	if ((rt->flags & API_OPTBODY) && r->body == NULL)
		r->body = json_object(); /* freed with the request, like a parsed body */
	if (!(rt->flags & (API_BODY | API_OPTBODY)) && r->body != NULL &&
	    strcmp(r->method, "GET") != 0 &&
	    !(json_is_object(r->body) && json_object_size(r->body) == 0))
		return (err_set(e, ERR_BAD_REQUEST, "this request takes no body"));
	if (rt->flags & API_LOCKED)
		lw_lock();
	else if ((rt->flags & API_READ) && db_read_begin(lw.db, e) == -1)
		return (-1);
	ret = rt->fn(r, e);
	if (rt->flags & API_LOCKED)
		lw_unlock();
	else if (rt->flags & API_READ)
		db_read_end();
	if (ret == 0 && r->out != NULL && is_lab_route(rt)) {
		access_redact(r->out, r->level, r->nparams == 1);
		if (r->hide_solutions)
			practice_hide_configs(r->out);
	}
	api_access_maybe_changed(gen); /* consoles let in under the old rules ask again */
	return (ret);
}

int
api_page_args(struct api_req *r, struct api_page *pg, struct lw_err *e)
{
	char why[160];

	if (httpval_page(MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit"),
	        MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after"), &pg->limit,
	        &pg->after, why, sizeof(why)) == -1)
		return (err_set(e, ERR_BAD_REQUEST, "%s", why));
	return (0);
}

json_t *
api_page(json_t *out, const char *key, const struct api_page *pg)
{
	json_t *list = json_object_get(out, key), *kept, *v;
	size_t i;

	if (out == NULL || (pg->after == 0 && pg->limit == 0) || !json_is_array(list))
		return (out);
	kept = json_array();
	json_array_foreach(list, i, v) {
		if (json_integer_value(json_object_get(v, "id")) <= pg->after)
			continue;
		if (pg->limit > 0 && json_array_size(kept) == (size_t)pg->limit) {
			json_object_set_new(out, "next",
			    json_integer(json_integer_value(json_object_get(
			        json_array_get(kept, (size_t)pg->limit - 1), "id"))));
			break;
		}
		json_array_append(kept, v);
	}
	json_object_set_new(out, key, kept);
	return (out);
}

int
api_reply(struct api_req *r, int status, json_t *out, struct lw_err *e)
{
	if (out == NULL) {
		if (e->code == ERR_NONE)
			err_set(e, ERR_INTERNAL, "out of memory");
		return (-1);
	}
	r->status = status;
	r->out = out;
	return (0);
}
