/*
 * server - the embedded HTTP server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/base/config.h"
#include "core/base/hostnames.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/strv.h"
#include "images/store.h"
#include "labs/lifecycle.h"
#include "web/api.h"
#include "web/server.h"
#include "web/tls.h"
#include "web/ui.h"

struct conn_ctx {
	char *buf;
	size_t len;
	int too_large;
	bool is_upload;        /* POST /api/v1/images: the body streams into the image store */
	struct upload *upload; /* NULL once finished, aborted or refused */
	struct lw_err upload_err;
};

static struct MHD_Daemon *httpd;

static enum MHD_Result
send_json(struct MHD_Connection *c, int status, json_t *o, const char *location, const char *cookie,
    int retry_s)
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
	ret = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, const struct lw_err *e)
{
	json_t *o =
	    json_pack("{s:{s:s,s:s}}", "error", "code", err_code_name(e->code), "message", e->msg);
	json_t *body = json_object_get(o, "error");
	enum MHD_Result ret;

	for (int i = 0; i < e->nnums && i < ERR_MAX_NUMS; i++)
		json_object_set_new(body, e->nums[i].name, json_integer(e->nums[i].value));
	ret = send_json(
	    c, err_http_status(e->code), o, NULL, NULL, e->code == ERR_TOO_MANY ? e->retry_s : 0);

	json_decref(o);
	return (ret);
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

/* Host "name", "name:port", "[v6]" or "[v6]:port" is one of ours, on our port. */
static bool
host_known(const char *host)
{
	char name[256];
	int port;

	if (names_host_split(host, name, sizeof(name), &port, config_tls_on(&lw.cfg) ? 443 : 80) ==
	        -1 ||
	    port != server_port)
		return (false);
	for (char **n = server_names; n != NULL && *n != NULL; n++)
		if (strcasecmp(*n, name) == 0)
			return (true);
	return (false);
}

/*
 * request_trusted - refuse what a web page elsewhere could make a browser
 * send here. The Host must be one of this daemon's names (a rebound DNS
 * name is refused, whatever the bind address); a request that changes
 * anything from a browser page must come from this daemon's own origin
 * (curl and the CLI send no Origin). 0, or -1 with e.
 */
static int
request_trusted(struct MHD_Connection *c, const char *method, struct lw_err *e)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

	if (!host_known(host))
		return (err_set(e, ERR_FORBIDDEN,
		    "Host '%.100s' is not a name of this daemon (it answers to --server-names; "
		    "listening on %s)",
		    host ? host : "", lw.cfg.listen));
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || origin == NULL ||
	    api_origin_is_host(c))
		return (0);
	return (
	    err_set(e, ERR_FORBIDDEN, "a %s from the page at '%.100s' is refused", method, origin));
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *url, const char *method, struct conn_ctx *cc)
{
	struct api_req r = {.method = method, .url = url, .conn = c};
	struct lw_err e = {0};
	enum MHD_Result ret;

	if (request_trusted(c, method, &e) == -1)
		return (send_error(c, &e));
	if (cc->too_large) {
		err_set(&e, ERR_TOO_LARGE, "request body larger than %ld bytes", lw.cfg.max_body);
		return (send_error(c, &e));
	}
	if (strncmp(url, "/api/", 5) != 0) {
		struct MHD_Response *resp = NULL;
		int st = 0, u = ui_response(method, url, &resp, &st);

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
	if (parse_body(cc, &r, &e) == -1 || api_dispatch(&r, &e) == -1) {
		ret = send_error(c, &e);
	} else if (r.raw != NULL) {
		ret = MHD_queue_response(c, (unsigned int)r.status, r.raw);
		MHD_destroy_response(r.raw);
	} else if (r.out == NULL) {
		ret = send_empty(c, r.status, r.cookie);
	} else {
		ret = send_json(c, r.status, r.out, r.location, r.cookie, 0);
	}
	json_decref(r.out);
	json_decref(r.body);
	for (int i = 0; i < r.nparams; i++)
		free(r.params[i]);
	return (ret);
}

static int
content_length_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

	return (cl != NULL && strtoull(cl, NULL, 10) > (unsigned long long)lw.cfg.max_body);
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
	ret = send_json(c, 201, img, loc, NULL, 0);
	json_decref(img);
	return (ret);
}

/* The first call for a request: its context; an upload begun or an oversized body refused. */
static enum MHD_Result
request_begin(struct MHD_Connection *c, const char *url, const char *method, void **con_cls)
{
	struct conn_ctx *cc = calloc(1, sizeof(*cc));

	if (cc == NULL)
		return (MHD_NO);
	*con_cls = cc;
	if (is_image_upload(url, method)) {
		upload_begin(c, cc);
		if (cc->upload == NULL) /* refused before a byte is read */
			return (send_error(c, &cc->upload_err));
		return (MHD_YES);
	}
	cc->too_large = content_length_too_large(c);
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
		/* Answer now rather than read the rest; where libmicrohttpd
		 * cannot answer mid-body this closes the connection. */
		return (send_error(c, &cc->upload_err));
	}
	*data_size = 0;
	return (MHD_YES);
}

/* A chunk of a request body is kept while the whole fits --max-body. */
static enum MHD_Result
body_append(struct conn_ctx *cc, const char *data, size_t *data_size)
{
	if (!cc->too_large && cc->len + *data_size <= (size_t)lw.cfg.max_body) {
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

int
server_start(const char *host, int port, struct lw_err *e)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;

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

	httpd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)lw.cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)lw.cfg.max_per_address, MHD_OPTION_ARRAY,
	    tls_cert != NULL ? tls_opts : tls_opts + 2, MHD_OPTION_END);
	if (httpd == NULL)
		return (
		    err_set(e, ERR_UNAVAILABLE, "cannot listen on %s:%d (in use?)", host, port));
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
	api_events_shutdown();
	lifecycle_shutdown();
	MHD_stop_daemon(httpd);
	httpd = NULL;
	tls_free(tls_cert, tls_key);
	tls_cert = tls_key = NULL;
	for (char **n = server_names; n != NULL && *n != NULL; n++)
		free(*n);
	free(server_names);
	server_names = NULL;
}
