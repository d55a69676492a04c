/*
 * api - the REST routes: a table of (method, pattern, handler), the
 * dispatcher and the reply helper. A handler parses its request (path
 * references, query, JSON body), makes one labs/ (or images/) call and
 * fills r->status and r->out (JSON) or a raw response, or returns -1 with e
 * set; the server turns e into the error shape. Handlers hold no SQL and no
 * rule about which state allows what: those live in labs/. Routes flagged
 * API_LOCKED run under lw_lock(); routes flagged API_READ run without it,
 * on the thread's own read connection (db_read_begin), so a start, a slow
 * QMP call or a config-drive build holding lw_lock() never stalls them.
 */
#ifndef LW_API_H
#define LW_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "core/base/err.h"
#include "labs/auth.h"

#define API_MAX_PARAMS 4

struct api_req {
	const char *method;
	const char *url;
	struct MHD_Connection *conn;
	char *params[API_MAX_PARAMS]; /* the {} segments of the pattern, in order */
	int nparams;
	json_t *body; /* parsed request body, or NULL when empty */
	/* API_RAW routes: the body as sent (not JSON-parsed, not NUL-terminated) */
	const char *raw_body;
	size_t raw_len;
	int status; /* response */
	json_t *out;
	struct MHD_Response *raw; /* a prepared non-JSON response (SSE, files) */
	char location[128];       /* Location header for 201 */
	char cookie[256];         /* a Set-Cookie header, or "" */
	struct who who;           /* who asks (api_identify) */
	int level;                /* routes under /labs/{lab}: who's access_level on the lab */
	bool hide_solutions;      /* and they see its stage configs as node names only */
	bool fast;                /* on a socket's thread: answer only what is at hand, */
	bool defer;               /* else set this: the request goes to a worker */
};

typedef int (*api_fn)(struct api_req *r, struct lw_err *e);

enum {
	API_LOCKED = 1,
	API_BODY = 2,
	API_OPTBODY = 4,
	API_PUBLIC = 8, /* answers without credentials (health, login) */
	API_ADMIN = 16, /* the admin role only */
	API_OWN = 32,   /* under /labs/{lab}: the lab's owner (or an admin) only */
	API_WRITE = 64, /* under /labs/{lab}: write access even for a GET (it types on a console) */
	/* reads only the store and published state: no lw_lock(), a read snapshot */
	API_READ = 128,
	/* reads only, and takes its own snapshot (the lab cache) */
	API_SNAPSHOT = 256,
	/* the body is a file, kept as bytes (raw_body), up to the route's own limit (api_body_max)
	 */
	API_RAW = 512,
};

struct api_route {
	const char *method;
	const char *pattern; /* "/api/v1/labs/{}/nodes/{}" */
	api_fn fn;
	/* API_LOCKED: run under lw_lock(); API_BODY: needs a JSON body; API_OPTBODY: may
	 * have one (an empty object when it has none). Other routes refuse one (a GET's, or
	 * an empty object, is ignored). Every route but API_PUBLIC ones needs credentials;
	 * one under /api/v1/labs/{lab} needs read access to the lab for a GET, write access
	 * otherwise, ownership with API_OWN. */
	int flags;
};

/* A page of a list: ?after=ID (ids past it) and ?limit=N (at most N; 0: all). */
struct api_page {
	int64_t after;
	int limit;
};
/* api_page_args - r's ?after and ?limit; 0, or -1 with e (400) when malformed. */
int api_page_args(struct api_req *r, struct api_page *pg, struct lw_err *e);
/*
 * api_page - cut out[key] (objects with an "id", ascending) to the page, with
 * "next" (the last id given) when more follow; returns out.
 */
json_t *api_page(json_t *out, const char *key, const struct api_page *pg);

/*
 * api_route - the route serving method on url, or NULL; when r is given, its
 * params get url's {} segments (strdup'ed, r's to free) and nparams their count.
 */
const struct api_route *api_route(const char *method, const char *url, struct api_req *r);
/* api_dispatch - find the route for r and run it; 0, or -1 with e. */
int api_dispatch(struct api_req *r, struct lw_err *e);
/* api_route_reads - the route method url names only reads (API_READ, API_SNAPSHOT): a read worker
 * runs it. */
bool api_route_reads(const char *method, const char *url);
/*
 * api_body_max - the most body bytes the route for method url takes: a
 * file import's own limit (IMPORT_FILE_MAX), else max (--max-body). raw:
 * whether the route takes its body as bytes (API_RAW).
 */
long api_body_max(const char *method, const char *url, long max, bool *raw);
/* api_path_known - true if some method serves this path (405 vs 404). */
bool api_path_known(const char *url);
/*
 * api_identify - who r is (Bearer token or session cookie; under --auth
 * off the first admin) into r->who; -1 with ERR_UNAUTHORIZED, or
 * ERR_FORBIDDEN for a cookie-borne write from a foreign Origin.
 */
int api_identify(struct api_req *r, struct lw_err *e);
/*
 * api_on_access_change - fn runs (on a request's thread, without
 * lw_lock()) after a request changed who may see what (a share, a role, a
 * logout: labs/access' generation moved), and every 30 s once api_auth_start
 * ran, for what expired by the clock. The daemon hands the consoles' recheck.
 */
void api_on_access_change(void (*fn)(void));
/* api_access_maybe_changed - run that fn when the generation is not before any more. */
void api_access_maybe_changed(unsigned before);
/* api_auth_start, api_auth_stop - the 30 s recheck thread. */
void api_auth_start(void);
void api_auth_stop(void);
/*
 * A long-lived answer (the event stream, a pcap that follows a capture)
 * outlives the request that opened it: its guard asks again, at once after
 * an access change and every few seconds otherwise, whether who may still
 * have it (token live, user there, role as it is now, and with a lab, read
 * access to it).
 */
struct api_guard {
	struct who who;
	int64_t lab; /* 0: no lab of its own */
	unsigned gen;
	int64_t checked_ms;
};
void api_guard_init(struct api_guard *g, const struct api_req *r, int64_t lab);
/* api_guard_due - whether api_guard_ok would ask again now (a parked stream wakes for it). */
bool api_guard_due(const struct api_guard *g);
/* api_guard_ok - whether the stream may go on (who refreshed); false: end it. */
bool api_guard_ok(struct api_guard *g);
/* api_origin_is_host - the request carries an Origin whose host:port is its Host's. */
bool api_origin_is_host(struct MHD_Connection *c);
/* api_peer - the client's address as text. */
void api_peer(struct MHD_Connection *c, char *buf, size_t len);

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
/* api_system_init - probe the QEMU binaries and netem once, for api_system. */
void api_system_init(void);

int api_labs_list(struct api_req *r, struct lw_err *e);
int api_labs_create(struct api_req *r, struct lw_err *e);
int api_labs_import(struct api_req *r, struct lw_err *e);
int api_lab_get(struct api_req *r, struct lw_err *e);
int api_lab_patch(struct api_req *r, struct lw_err *e);
int api_lab_delete(struct api_req *r, struct lw_err *e);
int api_lab_start(struct api_req *r, struct lw_err *e);
int api_lab_stop(struct api_req *r, struct lw_err *e);

int api_lab_export(struct api_req *r, struct lw_err *e);
int api_lab_guide_get(struct api_req *r, struct lw_err *e);
int api_lab_guide_put(struct api_req *r, struct lw_err *e);
int api_lab_checks_get(struct api_req *r, struct lw_err *e);
int api_lab_checks_put(struct api_req *r, struct lw_err *e);
int api_lab_stages_get(struct api_req *r, struct lw_err *e);
int api_lab_stages_put(struct api_req *r, struct lw_err *e);
int api_lab_stage_restore(struct api_req *r, struct lw_err *e);
int api_lab_grade(struct api_req *r, struct lw_err *e);
int api_lab_grades(struct api_req *r, struct lw_err *e);
int api_lab_grade_get(struct api_req *r, struct lw_err *e);

int api_nodes_list(struct api_req *r, struct lw_err *e);
int api_nodes_create(struct api_req *r, struct lw_err *e);
int api_node_get(struct api_req *r, struct lw_err *e);
int api_node_patch(struct api_req *r, struct lw_err *e);
int api_node_delete(struct api_req *r, struct lw_err *e);
int api_node_start(struct api_req *r, struct lw_err *e);
int api_node_stop(struct api_req *r, struct lw_err *e);
int api_node_reload(struct api_req *r, struct lw_err *e);
int api_node_wipe(struct api_req *r, struct lw_err *e);
int api_node_resume(struct api_req *r, struct lw_err *e);

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

int api_login(struct api_req *r, struct lw_err *e);
int api_logout(struct api_req *r, struct lw_err *e);
int api_me(struct api_req *r, struct lw_err *e);
int api_tokens_list(struct api_req *r, struct lw_err *e);
int api_tokens_create(struct api_req *r, struct lw_err *e);
int api_token_delete(struct api_req *r, struct lw_err *e);
int api_users_list(struct api_req *r, struct lw_err *e);
int api_users_create(struct api_req *r, struct lw_err *e);
int api_user_get(struct api_req *r, struct lw_err *e);
int api_user_patch(struct api_req *r, struct lw_err *e);
int api_user_delete(struct api_req *r, struct lw_err *e);
int api_groups_list(struct api_req *r, struct lw_err *e);
int api_groups_create(struct api_req *r, struct lw_err *e);
int api_group_get(struct api_req *r, struct lw_err *e);
int api_group_patch(struct api_req *r, struct lw_err *e);
int api_group_delete(struct api_req *r, struct lw_err *e);
int api_audit(struct api_req *r, struct lw_err *e);

int api_assignments_list(struct api_req *r, struct lw_err *e);
int api_assignments_create(struct api_req *r, struct lw_err *e);
int api_assignment_get(struct api_req *r, struct lw_err *e);
int api_assignment_delete(struct api_req *r, struct lw_err *e);
int api_assignment_instance(struct api_req *r, struct lw_err *e);

int api_links_list(struct api_req *r, struct lw_err *e);
int api_links_create(struct api_req *r, struct lw_err *e);
int api_link_get(struct api_req *r, struct lw_err *e);
int api_link_patch(struct api_req *r, struct lw_err *e);
int api_link_delete(struct api_req *r, struct lw_err *e);

/* api_reply - set status and out (stolen); returns 0 (or -1 with e when out is NULL). */
int api_reply(struct api_req *r, int status, json_t *out, struct lw_err *e);

#endif
