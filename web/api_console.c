/*
 * api_console - a node's console over HTTP: the WebSocket (RFC 6455, via
 * libmicrohttpd's upgrade), the console log, and send/expect.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/console/console.h"
#include "db/db.h"
#include "labs/lab.h"
#include "labs/validate.h"
#include "images/template.h"
#include "web/api.h"
#include "web/ws.h"

#define CONSOLE_LOG_SERVE_MAX (64L << 20)

/* Resolve {lab} and {node}, taking the lock only for that. */
static int
console_ref(struct api_req *r, int64_t *lab, int64_t *node, struct lw_err *e)
{
	int rc = 0;

	lw_lock();
	if ((*lab = lab_resolve(r->params[0], e)) == -1 ||
	    (*node = lab_node_resolve(*lab, r->params[1], e)) == -1)
		rc = -1;
	lw_unlock();
	return (rc);
}

static const char *
header(struct api_req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name));
}

static bool
header_has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	for (const char *p = v; p != NULL && *p; p++)
		if (strncasecmp(p, token, tl) == 0 && (p == v || p[-1] == ' ' || p[-1] == ',') &&
		    (p[tl] == '\0' || p[tl] == ',' || p[tl] == ' '))
			return (true);
	return (false);
}

/*
 * A browser sends Origin: only pages served from this daemon may open a
 * console. Clients that send none (CLI, scripts) are not browsers.
 */
static int
origin_ok(struct api_req *r, struct lw_err *e)
{
	const char *origin = header(r, "Origin"), *host = header(r, "Host"), *p;

	if (origin == NULL)
		return (0);
	p = strstr(origin, "://");
	if (host != NULL && p != NULL && strcasecmp(p + 3, host) == 0)
		return (0);
	return (err_set(e, ERR_FORBIDDEN, "WebSocket from origin '%.100s' refused", origin));
}

static void
ws_closed(void *arg)
{
	MHD_upgrade_action(arg, MHD_UPGRADE_ACTION_CLOSE);
}

static void
ws_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra, size_t extra_len,
    MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	int64_t node = *(int64_t *)cls;

	(void)c;
	(void)req_cls;
	free(cls);
	if (console_add_ws(node, sock, extra, extra_len, ws_closed, urh) == -1)
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

int
api_node_console(struct api_req *r, struct lw_err *e)
{
	const char *key = header(r, "Sec-WebSocket-Key"), *ver = header(r, "Sec-WebSocket-Version");
	int64_t lab, node, *ctx;
	char accept[29];

	if (console_ref(r, &lab, &node, e) == -1)
		return (-1);
	if (!header_has_token(header(r, "Upgrade"), "websocket") ||
	    !header_has_token(header(r, "Connection"), "upgrade"))
		return (err_set(
		    e, ERR_BAD_REQUEST, "this is a WebSocket endpoint: send Upgrade: websocket"));
	if (ver == NULL || strcmp(ver, "13") != 0)
		return (err_set(e, ERR_BAD_REQUEST, "Sec-WebSocket-Version must be 13"));
	if (key == NULL || ws_accept_key(key, accept) == -1)
		return (err_set(e, ERR_BAD_REQUEST, "Sec-WebSocket-Key is missing or malformed"));
	if (origin_ok(r, e) == -1)
		return (-1);
	if ((ctx = malloc(sizeof(*ctx))) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	*ctx = node;
	if ((r->raw = MHD_create_response_for_upgrade(ws_upgraded, ctx)) == NULL) {
		free(ctx);
		return (err_set(e, ERR_INTERNAL, "cannot upgrade"));
	}
	MHD_add_response_header(r->raw, "Upgrade", "websocket");
	MHD_add_response_header(r->raw, "Sec-WebSocket-Accept", accept);
	r->status = MHD_HTTP_SWITCHING_PROTOCOLS;
	return (0);
}

/* Append file path to *buf (growing it), at most max bytes in all. */
static void
slurp(const char *path, char **buf, size_t *len, size_t max)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return;
	while (*len < max && (n = read(fd, chunk, sizeof(chunk))) > 0) {
		char *nb = realloc(*buf, *len + (size_t)n);

		if (nb == NULL)
			break;
		*buf = nb;
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
	}
	close(fd);
}

/* The rotated part first, then the current log: oldest output first. */
int
api_node_console_log(struct api_req *r, struct lw_err *e)
{
	char path[PATH_MAX], old[PATH_MAX + 2];
	int64_t lab, node;
	char *buf = NULL;
	size_t len = 0;

	if (console_ref(r, &lab, &node, e) == -1)
		return (-1);
	snprintf(path, sizeof(path), "%s/labs/%lld/nodes/%lld/console.log", lw.cfg.data_dir,
	    (long long)lab, (long long)node);
	snprintf(old, sizeof(old), "%s.1", path);
	slurp(old, &buf, &len, CONSOLE_LOG_SERVE_MAX);
	slurp(path, &buf, &len, CONSOLE_LOG_SERVE_MAX);
	r->raw = MHD_create_response_from_buffer(
	    len, buf ? buf : "", buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r->raw == NULL) {
		free(buf);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	MHD_add_response_header(r->raw, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}

/*
 * Console output is bytes, JSON strings are UTF-8: replace what is not
 * valid UTF-8 with U+FFFD (caller frees).
 */
static char *
utf8_clean(const char *s)
{
	size_t n = strlen(s), o = 0;
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(n * 3 + 1);

	if (out == NULL)
		return (NULL);
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1
		    : (p[i] >> 5) == 6   ? 2
		    : (p[i] >> 4) == 14  ? 3
		    : (p[i] >> 3) == 30  ? 4
		                         : 0;
		bool ok = len > 0 && i + len <= n && (len != 2 || p[i] >= 0xc2) &&
		    (len != 4 || p[i] <= 0xf4);

		for (size_t k = 1; ok && k < len; k++)
			ok = (p[i + k] & 0xc0) == 0x80;
		/* overlong 3-byte forms, UTF-16 surrogates, overlong 4-byte forms, > U+10FFFF */
		if (ok && len == 3)
			ok = !(p[i] == 0xe0 && p[i + 1] < 0xa0) &&
			    !(p[i] == 0xed && p[i + 1] >= 0xa0);
		if (ok && len == 4)
			ok = !(p[i] == 0xf0 && p[i + 1] < 0x90) &&
			    !(p[i] == 0xf4 && p[i + 1] >= 0x90);
		if (ok) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return (out);
}

/* Send a line, wait for a regex: what automation and grading use. */
int
api_node_console_exec(struct api_req *r, struct lw_err *e)
{
	json_t *t = json_object_get(r->body, "timeout_s");
	int64_t lab, node;
	char *out = NULL, *raw = NULL;
	int rc;

	if (validate_object(r->body, validate_console_exec, "exec", e) == -1 ||
	    console_ref(r, &lab, &node, e) == -1)
		return (-1);
	rc = console_exec(node, json_string_value(json_object_get(r->body, "send")),
	    json_string_value(json_object_get(r->body, "expect")),
	    (int)(t ? json_integer_value(t) : 10) * 1000, &raw, e);
	out = raw ? utf8_clean(raw) : NULL;
	free(raw);
	if (rc == 0) {
		r->status = 200;
		r->out = json_pack("{s:s,s:b}", "output", out ? out : "", "matched", 1);
	} else if (e->code == ERR_TIMEOUT) {
		/* 408 still says what was seen: the caller can tell a typo from a dead link. */
		r->status = 408;
		r->out = json_pack("{s:{s:s,s:s},s:s,s:b}", "error", "code", "timeout", "message",
		    e->msg, "output", out ? out : "", "matched", 0);
		rc = 0;
	}
	free(out);
	return (rc);
}

/*
 * The running config, printed by the template's export command on the
 * console: text/plain without the echoed command and the closing prompt.
 */
int
api_node_config(struct api_req *r, struct lw_err *e)
{
	const struct template *t;
	char cmd[128], prompt[128], *raw = NULL, *out, *body;
	const char *origin, *host;
	int64_t lab, node;
	json_t *row;
	size_t len;

	/* A GET, but it types on the console: a page elsewhere may not make a browser send it. */
	origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
	if (origin != NULL && (host == NULL || strstr(origin, "://") == NULL ||
	                          strcasecmp(strstr(origin, "://") + 3, host) != 0))
		return (err_set(e, ERR_FORBIDDEN, "the config export from the page at '%.100s' is refused", origin));
	lw_lock();
	row = (lab = lab_resolve(r->params[0], e)) == -1 ||
	        (node = lab_node_resolve(lab, r->params[1], e)) == -1
	    ? NULL
	    : db_row(lw.db, e, "SELECT template, state FROM nodes WHERE id = ?", "i", node);
	t = row ? template_find(json_string_value(json_object_get(row, "template"))) : NULL;
	if (t != NULL) {
		snprintf(cmd, sizeof(cmd), "%s", t->config_export);
		snprintf(prompt, sizeof(prompt), "%s", t->prompt);
	}
	lw_unlock();
	if (row == NULL)
		return (-1);
	json_decref(row);
	if (t == NULL || cmd[0] == '\0' || prompt[0] == '\0')
		return (err_set(e, ERR_INVALID, "the node's template has no config_export command and prompt"));
	/* Several lines ("terminal length 0\nshow running-config"): the last one's output. */
	for (char *line = cmd, *nl; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		free(raw);
		raw = NULL;
		if (console_exec(node, line, prompt, 30000, &raw, e) == -1) {
			free(raw);
			return (-1);
		}
	}
	out = utf8_clean(raw);
	free(raw);
	if (out == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	/* Drop the echoed command line and the prompt the output ends with. */
	body = strchr(out, '\n') ? strchr(out, '\n') + 1 : out + strlen(out);
	len = strlen(body);
	while (len > 0 && body[len - 1] != '\n')
		len--;
	r->raw = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
	free(out);
	if (r->raw == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	MHD_add_response_header(r->raw, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}
