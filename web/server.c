/*
 * server - the embedded HTTP server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <pthread.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/base/config.h"
#include "core/base/hostnames.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/strv.h"
#include "images/store.h"
#include "labs/lifecycle.h"
#include "web/api.h"
#include "web/httpval.h"
#include "web/labcache.h"
#include "web/park.h"
#include "web/server.h"
#include "web/tls.h"
#include "web/ui.h"

struct conn_ctx {
	char *buf;
	size_t len;
	int too_large;
	long max_body; /* --max-body, or the route's own limit (api_body_max) */
	bool raw;      /* the route takes the body as bytes, not JSON */
	int refused;   /* OVER_ALL or OVER_ADDRESS: answered 503 or 429 */
	enum { JOB_NONE, JOB_QUEUED, JOB_DONE } job; /* a request handed to a worker */
	struct MHD_Connection *conn;
	const char *url, *method; /* libmicrohttpd's, valid while the request lasts */
	struct api_req r;         /* the worker's result, sent when the connection resumes */
	struct lw_err e;
	int rc;
	struct conn_ctx *qnext;
	bool is_upload;        /* POST /api/v1/images: the body streams into the image store */
	struct upload *upload; /* NULL once finished, aborted or refused */
	struct lw_err upload_err;
};

static struct MHD_Daemon *httpd;

static enum MHD_Result
send_json(struct MHD_Connection *c, int status, json_t *o, const char *location, const char *cookie,
    int retry_s, bool close_after)
{
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;

	if (text == NULL)
		return (MHD_NO);
	len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: the response owns len+1 bytes via free */
	resp = MHD_create_response_from_buffer(len + 1, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return (MHD_NO);
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (location != NULL && location[0] != '\0')
		MHD_add_response_header(resp, "Location", location);
	if (cookie != NULL && cookie[0] != '\0')
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"labwire\"");
	if (retry_s > 0) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%d", retry_s);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (close_after)
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

static enum MHD_Result
send_error_then(struct MHD_Connection *c, const struct lw_err *e, bool close_after)
{
	json_t *o =
	    json_pack("{s:{s:s,s:s}}", "error", "code", err_code_name(e->code), "message", e->msg);
	json_t *body = json_object_get(o, "error");
	enum MHD_Result ret;

	for (int i = 0; i < e->nnums && i < ERR_MAX_NUMS; i++)
		json_object_set_new(body, e->nums[i].name, json_integer(e->nums[i].value));
	ret = send_json(c, err_http_status(e->code), o, NULL, NULL, e->retry_s, close_after);

	json_decref(o);
	return (ret);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, const struct lw_err *e)
{
	return (send_error_then(c, e, false));
}

static enum MHD_Result
send_empty(struct MHD_Connection *c, int status, const char *cookie)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (cookie != NULL && cookie[0] != '\0')
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(c, (unsigned int)status, resp);

	MHD_destroy_response(resp);
	return (ret);
}

static int
parse_body(struct conn_ctx *cc, struct api_req *r, struct lw_err *e)
{
	json_error_t je;

	if (cc->raw) {
		r->raw_body = cc->buf;
		r->raw_len = cc->len;
		return (0);
	}
	if (cc->len == 0)
		return (0);
	r->body = json_loadb(cc->buf, cc->len, JSON_REJECT_DUPLICATES, &je);
	if (r->body == NULL)
		return (err_set(e, ERR_BAD_REQUEST, "malformed JSON at line %d column %d: %s",
		    je.line, je.column, je.text));
	return (0);
}

/* The names a Host header may carry (server_names_init), NULL-terminated. */
static char **server_names;
static int server_port;

static bool
server_loopback_name(const char *n)
{
	return (strcmp(n, "localhost") == 0 || strncmp(n, "127.", 4) == 0 || strcmp(n, "::1") == 0);
}

/*
 * The names clients may use: --server-names, else this host's names and
 * addresses (core/base/hostnames); a loopback daemon answers loopback names only.
 */
static int
server_names_init(const char *host, int port)
{
	char **all = hostnames_list(host), *list, *tok, *save = NULL;
	struct strv sv = {0};

	server_port = port;
	if (all == NULL)
		return (-1);
	if (lw.cfg.server_names[0] != '\0' && (list = strdup(lw.cfg.server_names)) != NULL) {
		for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
			strv_add(&sv, tok);
		free(list);
	}
	for (char **n = all; *n != NULL; n++)
		if (!config_listen_loopback(&lw.cfg) || server_loopback_name(*n))
			strv_add(&sv, *n);
	hostnames_free(all);
	server_names = sv.v;
	return (sv.n > 0 ? 0 : -1);
}

/*
 * request_trusted - refuse what a web page elsewhere could make a browser
 * send here (httpval_trusted). 0, or -1 with e.
 */
static int
request_trusted(struct MHD_Connection *c, const char *method, struct lw_err *e)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

	switch (httpval_trusted(
	    method, host, origin, server_names, server_port, config_tls_on(&lw.cfg) ? 443 : 80)) {
	case HTTPVAL_BAD_HOST:
		return (err_set(e, ERR_FORBIDDEN,
		    "Host '%.100s' is not a name of this daemon (it answers to --server-names; "
		    "listening on %s)",
		    host ? host : "", lw.cfg.listen));
	case HTTPVAL_BAD_ORIGIN:
		return (err_set(
		    e, ERR_FORBIDDEN, "a %s from the page at '%.100s' is refused", method, origin));
	default:
		return (0);
	}
}

/* The answer to an API request the dispatcher made (r), or its error (rc -1, e). */
static enum MHD_Result
serve_result(struct MHD_Connection *c, struct api_req *r, int rc, struct lw_err *e)
{
	enum MHD_Result ret;

	if (rc == -1) {
		ret = send_error(c, e);
	} else if (r->raw != NULL) {
		ret = MHD_queue_response(c, (unsigned int)r->status, r->raw);
		MHD_destroy_response(r->raw);
		r->raw = NULL;
	} else if (r->out == NULL) {
		ret = send_empty(c, r->status, r->cookie);
	} else {
		ret = send_json(c, r->status, r->out, r->location, r->cookie, 0, false);
	}
	return (ret);
}

static void
req_free(struct api_req *r)
{
	json_decref(r->out);
	json_decref(r->body);
	if (r->raw != NULL)
		MHD_destroy_response(r->raw);
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	memset(r, 0, sizeof(*r));
}

/* Run the request's handler (a worker's thread, or inline for the trivial ones). */
static void
serve_dispatch(struct conn_ctx *cc)
{
	cc->rc = -1;
	if (parse_body(cc, &cc->r, &cc->e) == 0)
		cc->rc = api_dispatch(&cc->r, &cc->e);
}

/*
 * ---- workers: handlers run here, never on the threads that serve the sockets ----
 * Two pools: reads (routes that never take lw_lock) and the rest, so a read
 * never queues behind writes waiting for the lock a lab start holds.
 */

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conn_ctx *head, *tail;
	pthread_t *threads;
	int n;
	bool stopping;
};

static struct pool readers = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER},
                   writers = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *
worker_loop(void *arg)
{
	struct pool *wk = arg;

	pthread_mutex_lock(&wk->mu);
	for (;;) {
		struct conn_ctx *cc;

		while (wk->head == NULL && !wk->stopping)
			pthread_cond_wait(&wk->cv, &wk->mu);
		if ((cc = wk->head) == NULL)
			break;
		if ((wk->head = cc->qnext) == NULL)
			wk->tail = NULL;
		pthread_mutex_unlock(&wk->mu);
		if (wk->stopping) {
			cc->rc = err_set(&cc->e, ERR_UNAVAILABLE, "the daemon is shutting down");
		} else {
			serve_dispatch(cc);
		}
		cc->job = JOB_DONE;
		MHD_resume_connection(cc->conn);
		pthread_mutex_lock(&wk->mu);
	}
	pthread_mutex_unlock(&wk->mu);
	return (NULL);
}

/*
 * Suspend the connection and queue its request; the worker resumes it with
 * the answer. A pool that is stopping has no thread left to resume it, and a
 * connection left suspended makes MHD_stop_daemon() abort: answered now.
 */
static enum MHD_Result
worker_submit(struct conn_ctx *cc)
{
	struct pool *wk = api_route_reads(cc->method, cc->url) ? &readers : &writers;
	struct lw_err e = {0};

	pthread_mutex_lock(&wk->mu);
	if (wk->stopping) {
		pthread_mutex_unlock(&wk->mu);
		err_set(&e, ERR_UNAVAILABLE, "the daemon is shutting down");
		return (send_error_then(cc->conn, &e, true));
	}
	cc->job = JOB_QUEUED;
	MHD_suspend_connection(cc->conn);
	cc->qnext = NULL;
	if (wk->tail != NULL)
		wk->tail->qnext = cc;
	else
		wk->head = cc;
	wk->tail = cc;
	pthread_cond_signal(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
	return (MHD_YES);
}

static int
pool_start(struct pool *wk, int n)
{
	if ((wk->threads = calloc((size_t)n, sizeof(*wk->threads))) == NULL)
		return (-1);
	for (wk->n = 0; wk->n < n; wk->n++)
		if (pthread_create(&wk->threads[wk->n], NULL, worker_loop, wk) != 0)
			break;
	return (wk->n > 0 ? 0 : -1);
}

/* Answer what is queued (shutting down), let running handlers finish, join. */
static void
pool_stop(struct pool *wk)
{
	pthread_mutex_lock(&wk->mu);
	wk->stopping = true;
	pthread_cond_broadcast(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
	for (int i = 0; i < wk->n; i++)
		pthread_join(wk->threads[i], NULL);
	free(wk->threads);
	wk->threads = NULL;
	wk->n = 0;
}

static int
workers_start(int nreaders, int nwriters)
{
	return (
	    pool_start(&readers, nreaders) == -1 || pool_start(&writers, nwriters) == -1 ? -1 : 0);
}

static void
workers_stop(void)
{
	pool_stop(&readers);
	pool_stop(&writers);
}

/*
 * Requests tried on the socket's own thread, where nothing may wait: the
 * health check, and a lab's GET while its cached text is good (else the
 * handler defers it to a worker).
 */
static bool
serve_inline(const char *url, const char *method)
{
	const char *lab = url + strlen("/api/v1/labs/");

	if (strcmp(method, "GET") != 0)
		return (false);
	if (strcmp(url, "/api/v1/health") == 0)
		return (true);
	return (strncmp(url, "/api/v1/labs/", strlen("/api/v1/labs/")) == 0 && *lab != '\0' &&
	    strchr(lab, '/') == NULL);
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *url, const char *method, struct conn_ctx *cc)
{
	struct lw_err e = {0};

	if (cc->job == JOB_DONE)
		return (serve_result(c, &cc->r, cc->rc, &cc->e));
	if (request_trusted(c, method, &e) == -1)
		return (send_error(c, &e));
	if (cc->too_large) {
		err_set(&e, ERR_TOO_LARGE, "request body larger than %ld bytes", cc->max_body);
		return (send_error(c, &e));
	}
	if (strncmp(url, "/api/", 5) != 0) {
		struct MHD_Response *resp = NULL;
		int st = 0, u = ui_response(method, url, &resp, &st);
		enum MHD_Result ret;

		if (u == 1) {
			ret = MHD_queue_response(c, (unsigned int)st, resp);
			MHD_destroy_response(resp);
			return (ret);
		}
		if (u == -1) {
			if (st == 405)
				err_set(&e, ERR_METHOD, "%s is not allowed on %s", method, url);
			else
				err_set(&e, ERR_NOT_FOUND, "no such page: %.100s", url);
			return (send_error(c, &e));
		}
	}
	cc->r.method = cc->method = method;
	cc->r.url = cc->url = url;
	cc->r.conn = c;
	cc->conn = c;
	if (!serve_inline(url, method))
		return (worker_submit(cc));
	cc->r.fast = true;
	serve_dispatch(cc);
	if (cc->rc == 0 && cc->r.defer) { /* not at hand: a worker makes it */
		req_free(&cc->r);
		cc->r.method = method;
		cc->r.url = url;
		cc->r.conn = c;
		return (worker_submit(cc));
	}
	return (serve_result(c, &cc->r, cc->rc, &cc->e));
}

static int
content_length_too_large(struct MHD_Connection *c, long max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

	return (cl != NULL && strtoull(cl, NULL, 10) > (unsigned long long)max);
}

/* An image upload: the body is the image itself, streamed to disk, never held in memory. */
static bool
is_image_upload(const char *url, const char *method)
{
	return (strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/images") == 0);
}

static void
upload_begin(struct MHD_Connection *c, struct conn_ctx *cc)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	const char *tmpl = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "template");
	char *end = NULL;
	unsigned long long len = cl != NULL ? strtoull(cl, &end, 10) : 0;
	struct api_req r = {.method = "POST", .url = "/api/v1/images", .conn = c};

	cc->is_upload = true;
	if (request_trusted(c, "POST", &cc->upload_err) == -1 ||
	    api_identify(&r, &cc->upload_err) == -1)
		return;
	if (r.who.role != ROLE_ADMIN) {
		err_set(&cc->upload_err, ERR_FORBIDDEN, "POST /api/v1/images is for admins");
		return;
	}
	if (cl == NULL || end == cl || *end != '\0')
		len = 0;
	cc->upload = store_upload_begin(name, tmpl, len, &cc->upload_err);
}

static enum MHD_Result
upload_end(struct MHD_Connection *c, struct conn_ctx *cc)
{
	json_t *img = NULL;
	char loc[128];
	enum MHD_Result ret;

	if (cc->upload != NULL) {
		img = store_upload_finish(cc->upload, &cc->upload_err);
		cc->upload = NULL;
	}
	if (img == NULL)
		return (send_error(c, &cc->upload_err));
	snprintf(
	    loc, sizeof(loc), "/api/v1/images/%s", json_string_value(json_object_get(img, "name")));
	ret = send_json(c, 201, img, loc, NULL, 0, false);
	json_decref(img);
	return (ret);
}

/* ---- connection limits: past them a clear 503 (all) or 429 (one address), not a reset ---- */

/* Connections past --max-connections that are still let in to be told so. */
#define REFUSE_MARGIN 64
#define ADDR_BUCKETS 1024

struct addr_count {
	char addr[INET6_ADDRSTRLEN];
	int n;
	struct addr_count *next;
};

/* What a connection was found to be over when it came in. */
enum { OVER_NONE, OVER_ALL, OVER_ADDRESS };

struct conn_slot {
	struct addr_count *addr;
	int over;
};

static struct {
	pthread_mutex_t mu;
	int total;
	struct addr_count *bucket[ADDR_BUCKETS];
} conns = {PTHREAD_MUTEX_INITIALIZER, 0, {NULL}};

static unsigned
addr_hash(const char *a)
{
	unsigned h = 2166136261u;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	return (h % ADDR_BUCKETS);
}

/* The address's counter, made when new; called with conns.mu held. */
static struct addr_count *
addr_get(const char *addr)
{
	struct addr_count **b = &conns.bucket[addr_hash(addr)], *a;

	for (a = *b; a != NULL; a = a->next)
		if (strcmp(a->addr, addr) == 0)
			return (a);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	a->next = *b;
	*b = a;
	return (a);
}

static void
addr_put(struct addr_count *a)
{
	struct addr_count **b;

	if (a == NULL || --a->n > 0)
		return;
	for (b = &conns.bucket[addr_hash(a->addr)]; *b != NULL; b = &(*b)->next)
		if (*b == a) {
			*b = a->next;
			free(a);
			return;
		}
}

/*
 * on_accept - an address already past its limit by its margin is refused
 * when it connects: the 429 is for a client that asks, not for one that
 * holds connections open without a request (they would fill the server's
 * limit for everyone until they time out).
 */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	long cap = lw.cfg.max_per_address +
	    (lw.cfg.max_per_address < REFUSE_MARGIN ? lw.cfg.max_per_address : REFUSE_MARGIN);
	char addr[INET6_ADDRSTRLEN] = "?";
	struct addr_count *a;
	bool ok;

	(void)cls;
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in))
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
	else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6))
		inet_ntop(
		    AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
	pthread_mutex_lock(&conns.mu);
	for (a = conns.bucket[addr_hash(addr)]; a != NULL; a = a->next)
		if (strcmp(a->addr, addr) == 0)
			break;
	ok = a == NULL || a->n < cap;
	pthread_mutex_unlock(&conns.mu);
	return (ok ? MHD_YES : MHD_NO);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct conn_slot *slot = *socket_context;
	char addr[INET6_ADDRSTRLEN];

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((slot = calloc(1, sizeof(*slot))) == NULL)
			return;
		api_peer(c, addr, sizeof(addr));
		pthread_mutex_lock(&conns.mu);
		conns.total++;
		if ((slot->addr = addr_get(addr)) != NULL)
			slot->addr->n++;
		if (conns.total > lw.cfg.max_connections)
			slot->over = OVER_ALL;
		else if (slot->addr != NULL && slot->addr->n > lw.cfg.max_per_address)
			slot->over = OVER_ADDRESS;
		pthread_mutex_unlock(&conns.mu);
		*socket_context = slot;
		return;
	}
	if (slot == NULL)
		return;
	pthread_mutex_lock(&conns.mu);
	conns.total--;
	addr_put(slot->addr);
	pthread_mutex_unlock(&conns.mu);
	free(slot);
	*socket_context = NULL;
}

int
server_connections(void)
{
	int n;

	pthread_mutex_lock(&conns.mu);
	n = conns.total;
	pthread_mutex_unlock(&conns.mu);
	return (n);
}

/* A connection let in past a limit gets its answer at once, and is closed. */
static enum MHD_Result
refuse_over(struct MHD_Connection *c, int over)
{
	struct lw_err e = {0};

	if (over == OVER_ALL)
		err_set(&e, ERR_UNAVAILABLE,
		    "the server holds %ld connections, its limit (--max-connections): try again",
		    lw.cfg.max_connections);
	else
		err_set(&e, ERR_TOO_MANY,
		    "your address holds %ld connections, the limit for one address "
		    "(--max-connections-per-address): close some and try again",
		    lw.cfg.max_per_address);
	e.retry_s = 1;
	return (send_error_then(c, &e, true));
}

static int
conn_over(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_slot *slot = ci != NULL ? ci->socket_context : NULL;

	return (slot != NULL ? slot->over : OVER_NONE);
}

/* The first call for a request: its context; an upload begun or an oversized body refused. */
static enum MHD_Result
request_begin(struct MHD_Connection *c, const char *url, const char *method, void **con_cls)
{
	struct conn_ctx *cc = calloc(1, sizeof(*cc));
	struct lw_err e = {0};
	int over = conn_over(c);

	if (cc == NULL)
		return (MHD_NO);
	*con_cls = cc;
	cc->max_body = api_body_max(method, url, lw.cfg.max_body, &cc->raw);
	if (over != OVER_NONE) {
		cc->too_large = 1; /* whatever body it sends is not kept */
		cc->refused = over;
		return (MHD_YES);
	}
	if (is_image_upload(url, method)) {
		upload_begin(c, cc);
		if (cc->upload == NULL) /* refused before a byte is read */
			return (send_error(c, &cc->upload_err));
		return (MHD_YES);
	}
	/*
	 * A route that takes a file (up to IMPORT_FILE_MAX, past --max-body)
	 * keeps it in memory only for a caller who is let in: anyone else is
	 * answered before a byte of the body is read, as an image upload is.
	 */
	if (cc->raw &&
	    (request_trusted(c, method, &e) == -1 ||
	        api_identify(&(struct api_req){.method = method, .url = url, .conn = c}, &e) == -1))
		return (send_error_then(c, &e, true));
	cc->too_large = content_length_too_large(c, cc->max_body);
	/* Refuse an oversized body before reading it. */
	if (cc->too_large)
		return (serve(c, url, method, cc));
	return (MHD_YES);
}

/* A chunk of an upload goes to the store; the last call finishes it. */
static enum MHD_Result
upload_data(struct MHD_Connection *c, struct conn_ctx *cc, const char *data, size_t *data_size)
{
	if (*data_size == 0)
		return (upload_end(c, cc));
	if (cc->upload != NULL &&
	    store_upload_write(cc->upload, data, *data_size, &cc->upload_err) == -1) {
		store_upload_abort(cc->upload);
		cc->upload = NULL;
		*data_size = 0;
		/*
		 * No room (507): the file is gone at once, and the rest of the
		 * body is read and dropped so that the client hears why: this
		 * libmicrohttpd cannot answer mid-body, it would only close.
		 */
		if (cc->upload_err.code == ERR_NO_SPACE)
			return (MHD_YES);
		/* Answer now rather than read the rest; where libmicrohttpd
		 * cannot answer mid-body this closes the connection. */
		return (send_error(c, &cc->upload_err));
	}
	*data_size = 0;
	return (MHD_YES);
}

/* A chunk of a request body is kept while the whole fits --max-body (or the route's own limit). */
static enum MHD_Result
body_append(struct conn_ctx *cc, const char *data, size_t *data_size)
{
	if (!cc->too_large && cc->len + *data_size <= (size_t)cc->max_body) {
		char *nb = realloc(cc->buf, cc->len + *data_size);

		if (nb == NULL)
			return (MHD_NO);
		cc->buf = nb;
		memcpy(cc->buf + cc->len, data, *data_size);
		cc->len += *data_size;
	} else {
		cc->too_large = 1;
	}
	*data_size = 0;
	return (MHD_YES);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct conn_ctx *cc = *con_cls;

	(void)cls;
	(void)version;
	if (cc == NULL)
		return (request_begin(c, url, method, con_cls));
	if (cc->is_upload)
		return (upload_data(c, cc, data, data_size));
	if (*data_size > 0)
		return (body_append(cc, data, data_size));
	if (cc->refused != OVER_NONE)
		return (refuse_over(c, cc->refused));
	return (serve(c, url, method, cc));
}

static void
on_completed(
    void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *cc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cc != NULL) {
		store_upload_abort(cc->upload); /* the client went away mid-upload */
		req_free(&cc->r);
		free(cc->buf);
		free(cc);
	}
	*con_cls = NULL;
}

static int
server_addr(const char *host, int port, struct sockaddr_storage *ss, struct lw_err *e)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return (0);
	}
	return (
	    err_set(e, ERR_INVALID, "listen address '%s' is not an IPv4 or IPv6 address", host));
}

static char *tls_cert, *tls_key;

/* TLS: the certificate and key (given, or our own self-signed pair) for MHD. */
static int
server_tls(struct lw_err *e)
{
	if (!config_tls_on(&lw.cfg) || tls_cert != NULL)
		return (0);
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		return (err_set(e, ERR_UNAVAILABLE, "this libmicrohttpd has no TLS"));
	return (tls_load(lw.cfg.data_dir, lw.cfg.tls_cert[0] ? lw.cfg.tls_cert : NULL,
	    lw.cfg.tls_key[0] ? lw.cfg.tls_key : NULL, server_names, &tls_cert, &tls_key, e));
}

int
server_tls_given(struct lw_err *e)
{
	if (lw.cfg.tls_cert[0] == '\0' || !config_tls_on(&lw.cfg))
		return (0);
	return (server_tls(e));
}

/*
 * Threads serving sockets: one per core. Workers running handlers: more,
 * since handlers wait (writers for lw_lock, console commands for output).
 */
static int
server_threads(int *nreaders, int *nwriters)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	if (cpus > 64)
		cpus = 64;
	*nreaders = (int)(cpus * 2 < 4 ? 4 : cpus * 2);
	*nwriters = (int)(cpus * 4 < 8 ? 8 : cpus * 4);
	return ((int)cpus);
}

/* Connections may take at most half the open-file limit: nodes, consoles and captures need the
 * rest. */
static void
server_fit_fds(void)
{
	struct rlimit rl;
	long fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = (long)(rl.rlim_cur / 2) - REFUSE_MARGIN;
	if (fit < 16)
		fit = 16;
	if (lw.cfg.max_connections > fit) {
		log_warnx("http: --max-connections %ld lowered to %ld: the open-file limit is %llu",
		    lw.cfg.max_connections, fit, (unsigned long long)rl.rlim_cur);
		lw.cfg.max_connections = fit;
	}
}

int
server_start(const char *host, int port, struct lw_err *e)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE |
	    MHD_ALLOW_SUSPEND_RESUME;
	int nreaders, nwriters, pool = server_threads(&nreaders, &nwriters);

	if (server_addr(host, port, &ss, e) == -1)
		return (-1);
	if (server_names_init(host, port) == -1)
		return (err_set(e, ERR_INTERNAL, "cannot list this host's names"));
	if (server_tls(e) == -1)
		return (-1);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls_cert != NULL)
		flags |= MHD_USE_TLS;
	/* MHD keeps (does not copy) the PEM text: it lives until server_stop. */
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key},
	    {MHD_OPTION_END, 0, NULL},
	};

	server_fit_fds();
	if (workers_start(nreaders, nwriters) == -1 || park_start() == -1)
		return (err_set(e, ERR_INTERNAL, "cannot start the server's threads"));
	/* MHD's own limit only stops what our 503 could not answer in time. */
	httpd = MHD_start_daemon(flags, (uint16_t)port, on_accept, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)pool, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(lw.cfg.max_connections + REFUSE_MARGIN),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_ARRAY,
	    tls_cert != NULL ? tls_opts : tls_opts + 2, MHD_OPTION_END);
	if (httpd == NULL) {
		park_stop();
		workers_stop();
		return (
		    err_set(e, ERR_UNAVAILABLE, "cannot listen on %s:%d (in use?)", host, port));
	}
	log_info("http: %d threads on the sockets (epoll), %d for reads and %d for other "
	         "handlers; at most %ld connections, %ld from one address",
	    pool, nreaders, nwriters, lw.cfg.max_connections, lw.cfg.max_per_address);
	api_auth_start();
	return (0);
}

const char *
server_scheme(void)
{
	return (tls_cert != NULL ? "https" : "http");
}

void
server_stop(void)
{
	if (httpd == NULL)
		return;
	api_auth_stop();
	lifecycle_shutdown();
	/* Streams end and handlers finish first: MHD must find no connection suspended. */
	park_stop();
	workers_stop();
	MHD_stop_daemon(httpd);
	httpd = NULL;
	labcache_fini();
	tls_free(tls_cert, tls_key);
	tls_cert = tls_key = NULL;
	for (char **n = server_names; n != NULL && *n != NULL; n++)
		free(*n);
	free(server_names);
	server_names = NULL;
}
