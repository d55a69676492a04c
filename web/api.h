/*
 * api - the REST routes: a table of (method, pattern, handler) and the
 * helpers handlers share. Handlers fill r->status and r->out (JSON) or a raw
 * response, or return -1 with e set; the server turns e into the error shape.
 */
#ifndef LW_API_H
#define LW_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "core/base/err.h"

#define API_MAX_PARAMS 4

struct api_req {
	const char *method;
	const char *url;
	struct MHD_Connection *conn;
	char *params[API_MAX_PARAMS]; /* the {} segments of the pattern, in order */
	int nparams;
	json_t *body; /* parsed request body, or NULL when empty */
	int status;   /* response */
	json_t *out;
	struct MHD_Response *raw; /* a prepared non-JSON response (SSE, files) */
	char location[128];       /* Location header for 201 */
};

typedef int (*api_fn)(struct api_req *r, struct lw_err *e);

enum { API_LOCKED = 1, API_BODY = 2, API_OPTBODY = 4 };

struct api_route {
	const char *method;
	const char *pattern; /* "/api/v1/labs/{}/nodes/{}" */
	api_fn fn;
	int flags; /* API_LOCKED: run under lw_lock(); API_BODY: takes a JSON body */
};

/* api_dispatch - find the route for r and run it; 0, or -1 with e. */
int api_dispatch(struct api_req *r, struct lw_err *e);
/* api_route_exists_for_path - true if some method serves this path (405 vs 404). */
bool api_path_known(const char *url);

/* Handlers, by section. */
int api_health(struct api_req *r, struct lw_err *e);
int api_system(struct api_req *r, struct lw_err *e);
int api_templates(struct api_req *r, struct lw_err *e);
int api_templates_create(struct api_req *r, struct lw_err *e);
int api_template_get(struct api_req *r, struct lw_err *e);
int api_template_put(struct api_req *r, struct lw_err *e);
int api_template_delete(struct api_req *r, struct lw_err *e);
int api_images(struct api_req *r, struct lw_err *e);
int api_image_get(struct api_req *r, struct lw_err *e);
int api_image_delete(struct api_req *r, struct lw_err *e);
int api_events(struct api_req *r, struct lw_err *e);
int api_openapi(struct api_req *r, struct lw_err *e);
void api_system_init(void);
void api_events_shutdown(void);
/* api_labs_shutdown - a lab start waiting for readiness answers now. */
void api_labs_shutdown(void);

int api_labs_list(struct api_req *r, struct lw_err *e);
int api_labs_create(struct api_req *r, struct lw_err *e);
int api_lab_get(struct api_req *r, struct lw_err *e);
int api_lab_patch(struct api_req *r, struct lw_err *e);
int api_lab_delete(struct api_req *r, struct lw_err *e);
int api_lab_start(struct api_req *r, struct lw_err *e);
int api_lab_stop(struct api_req *r, struct lw_err *e);

int api_nodes_list(struct api_req *r, struct lw_err *e);
int api_nodes_create(struct api_req *r, struct lw_err *e);
int api_node_get(struct api_req *r, struct lw_err *e);
int api_node_patch(struct api_req *r, struct lw_err *e);
int api_node_delete(struct api_req *r, struct lw_err *e);
int api_node_start(struct api_req *r, struct lw_err *e);
int api_node_stop(struct api_req *r, struct lw_err *e);
int api_node_reload(struct api_req *r, struct lw_err *e);
int api_node_wipe(struct api_req *r, struct lw_err *e);

int api_node_console(struct api_req *r, struct lw_err *e);
int api_node_console_log(struct api_req *r, struct lw_err *e);
int api_node_console_exec(struct api_req *r, struct lw_err *e);
int api_node_config(struct api_req *r, struct lw_err *e);

int api_captures_create(struct api_req *r, struct lw_err *e);
int api_captures_list(struct api_req *r, struct lw_err *e);
int api_capture_get(struct api_req *r, struct lw_err *e);
int api_capture_delete(struct api_req *r, struct lw_err *e);
int api_capture_pcap(struct api_req *r, struct lw_err *e);
int api_link_recent(struct api_req *r, struct lw_err *e);

int api_links_list(struct api_req *r, struct lw_err *e);
int api_links_create(struct api_req *r, struct lw_err *e);
int api_link_get(struct api_req *r, struct lw_err *e);
int api_link_patch(struct api_req *r, struct lw_err *e);
int api_link_delete(struct api_req *r, struct lw_err *e);

/* api_reply - set status and out (stolen); returns 0 (or -1 with e when out is NULL). */
int api_reply(struct api_req *r, int status, json_t *out, struct lw_err *e);
/*
 * api_wait_stopped - with lw_lock() held on entry and on return: force-stop
 * what runs in lab (or only node when node != 0) and wait, unlocked, until it
 * has stopped; 0 or -1 with e (ERR_UNAVAILABLE on timeout).
 */
int api_wait_stopped(int64_t lab, int64_t node, struct lw_err *e);
/* api_publish - an event {"type":kind, "action":action, kind:{"id":id, "lab":lab}}. */
void api_publish(const char *kind, const char *action, int64_t id, int64_t lab);
/*
 * api_consoles - serve (add) or stop serving the telnet consoles of lab's
 * nodes (or only node when non-zero). A port that cannot be bound is logged.
 */
void api_consoles(int64_t lab, int64_t node, bool add);
/* api_remove_tree - remove data_dir/labs/<lab>[/nodes/<node>] recursively. */
void api_remove_tree(int64_t lab, int64_t node);

#endif
