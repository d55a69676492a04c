/*
 * api_console - a node's console over HTTP: the WebSocket (RFC 6455, via
 * libmicrohttpd's upgrade), the console log, send/expect and the config
 * export. It gives core/console a codec made of web/ws's framing, so the
 * console floor never sees WebSocket; the node's record and the log's path
 * come from labs/console. No SQL and no paths of its own here.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/paths.h"
#include "core/base/config.h"
#include "core/console/console.h"
#include "labs/access.h"
#include "labs/audit.h"
#include "labs/console.h"
#include "labs/lab.h"
#include "labs/validate.h"
#include "web/api.h"
#include "web/ws.h"

#define CONSOLE_LOG_SERVE_MAX (64L << 20)
#define WS_MESSAGE_MAX 65536

/*
 * Resolve {lab} and {node}, taking the lock only for that; with n, the
 * node's console facts too, under the same lock.
 */
static int
console_ref(
    struct api_req *r, int64_t *lab, int64_t *node, struct lab_console_node *n, struct lw_err *e)
{
	int rc = 0;

	lw_lock();
	if ((*lab = lab_resolve(r->params[0], e)) == -1 ||
	    (*node = lab_node_resolve(*lab, r->params[1], e)) == -1 ||
	    (n != NULL && lab_console_node(*node, n, e) == -1))
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
 * A browser sends Origin: only pages served from this daemon may type on a
 * console. Clients that send none (CLI, scripts) are not browsers.
 */
static bool
origin_same(struct api_req *r)
{
	return (header(r, "Origin") == NULL || api_origin_is_host(r->conn));
}

/* Answer 200 text/plain with len bytes at buf; mode says whether MHD frees or copies them. */
static int
reply_text(
    struct api_req *r, size_t len, void *buf, enum MHD_ResponseMemoryMode mode, struct lw_err *e)
{
	if ((r->raw = MHD_create_response_from_buffer(len, buf, mode)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	MHD_add_response_header(r->raw, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}

/* ---- the WebSocket: the console's codec for it ---- */

/* One WebSocket client: its parser, MHD's handle on the socket, the reply being sent. */
struct ws_client {
	struct ws_parser wp;
	struct MHD_UpgradeResponseHandle *urh;
	uint8_t reply[WS_HEADER_MAX + WS_CONTROL_MAX];
};

/* A control frame back to the peer, as m; one that cannot be framed is a bare close. */
static void
wsc_reply(struct ws_client *w, int opcode, const uint8_t *payload, size_t plen,
    enum console_msg_kind kind, struct console_msg *m)
{
	size_t hl = ws_frame_header(w->reply, opcode, plen);

	if (hl != 0)
		memcpy(w->reply + hl, payload, plen);
	m->kind = hl != 0 ? kind : CONSOLE_MSG_CLOSE;
	m->data = (const char *)w->reply;
	m->len = hl != 0 ? hl + plen : 0;
}

/* A close frame with code and reason (none for WS_CLOSE_NO_STATUS), then the end. */
static void
wsc_bye(struct ws_client *w, int code, const char *reason, struct console_msg *m)
{
	uint8_t payload[WS_CONTROL_MAX];
	size_t plen = 0;

	if (code != WS_CLOSE_NO_STATUS && ws_close_payload(payload, code, reason, &plen) == -1)
		plen = 0;
	wsc_reply(w, WS_OP_CLOSE, payload, plen, CONSOLE_MSG_CLOSE, m);
}

static void
wsc_parse(void *arg, const char *in, size_t len, size_t *used, struct console_msg *m)
{
	struct ws_client *w = arg;
	struct ws_frame f;
	int r;

	*used = 0;
	m->kind = CONSOLE_MSG_NONE;
	do { /* a pong asks for nothing: read on */
		size_t n = 0;

		r = ws_parse(&w->wp, (const uint8_t *)in + *used, len - *used, &n, &f);
		*used += n;
	} while (r == WS_FRAME && f.opcode == WS_OP_PONG && *used < len);
	if (r < 0) {
		wsc_bye(w, -r, r == WS_ERR_TOO_BIG ? "message too big" : "protocol error", m);
	} else if (r == WS_NEED_MORE) {
		return;
	} else if (f.opcode == WS_OP_TEXT || f.opcode == WS_OP_BINARY) {
		m->kind = CONSOLE_MSG_INPUT;
		m->data = (const char *)f.data;
		m->len = f.len;
	} else if (f.opcode == WS_OP_PING) {
		wsc_reply(w, WS_OP_PONG, f.data, f.len, CONSOLE_MSG_REPLY, m);
	} else if (f.opcode == WS_OP_CLOSE) {
		/* Echo the peer's code (RFC 6455 5.5.1); none when it sent none. */
		wsc_bye(w, f.close_code, NULL, m);
	}
}

/* Console output goes out as one binary message per chunk. */
static char *
wsc_frame(void *arg, const char *data, size_t len, size_t *framed_len)
{
	char *frame = malloc(WS_HEADER_MAX + len);
	size_t hl;

	(void)arg;
	if (frame == NULL)
		return (NULL);
	if ((hl = ws_frame_header((uint8_t *)frame, WS_OP_BINARY, len)) == 0) {
		free(frame);
		return (NULL);
	}
	memcpy(frame + hl, data, len);
	*framed_len = hl + len;
	return (frame);
}

static void
wsc_free(struct ws_client *w)
{
	ws_parser_free(&w->wp);
	free(w);
}

/* MHD owns an upgraded socket: it closes it. */
static void
wsc_close(void *arg)
{
	struct ws_client *w = arg;

	MHD_upgrade_action(w->urh, MHD_UPGRADE_ACTION_CLOSE);
	wsc_free(w);
}

/* A message is read only when it fits in the console's input queue whole: none is cut. */
static const struct console_codec wsc_codec = {wsc_parse, wsc_frame, wsc_close, WS_MESSAGE_MAX};

/* What an upgraded WebSocket is attached to, and how. */
struct ws_attach {
	int64_t node;
	bool read_only;         /* the user may watch the console, not type on it */
	struct console_who who; /* rechecked when shares, roles or sessions change */
};

static void
ws_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra, size_t extra_len,
    MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct ws_attach at = *(struct ws_attach *)cls;
	struct ws_client *w = calloc(1, sizeof(*w));

	(void)c;
	(void)req_cls;
	free(cls);
	if (w != NULL) {
		ws_parser_init(&w->wp, WS_MESSAGE_MAX);
		w->urh = urh;
		if (console_add_ws(
		        at.node, sock, extra, extra_len, &wsc_codec, w, at.read_only, &at.who) == 0)
			return;
		wsc_free(w);
	}
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

int
api_node_console(struct api_req *r, struct lw_err *e)
{
	const char *key = header(r, "Sec-WebSocket-Key"), *ver = header(r, "Sec-WebSocket-Version");
	int64_t lab, node;
	struct ws_attach *ctx;
	char accept[29], target[128];

	if (console_ref(r, &lab, &node, NULL, e) == -1)
		return (-1);
	if (!header_has_token(header(r, "Upgrade"), "websocket") ||
	    !header_has_token(header(r, "Connection"), "upgrade"))
		return (err_set(
		    e, ERR_BAD_REQUEST, "this is a WebSocket endpoint: send Upgrade: websocket"));
	if (ver == NULL || strcmp(ver, "13") != 0)
		return (err_set(e, ERR_BAD_REQUEST, "Sec-WebSocket-Version must be 13"));
	if (key == NULL || ws_accept_key(key, accept) == -1)
		return (err_set(e, ERR_BAD_REQUEST, "Sec-WebSocket-Key is missing or malformed"));
	if (!origin_same(r))
		return (err_set(e, ERR_FORBIDDEN, "WebSocket from origin '%.100s' refused",
		    header(r, "Origin")));
	if ((ctx = malloc(sizeof(*ctx))) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	ctx->node = node;
	ctx->read_only = r->level < ACCESS_WRITE;
	ctx->who = (struct console_who){r->who.id, r->who.token};
	snprintf(target, sizeof(target), "%.60s/%.60s", r->params[0], r->params[1]);
	lw_lock();
	audit_add(&r->who, "console.ws", target, true, ctx->read_only ? "watching" : "attached");
	lw_unlock();
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
	int fd = paths_open_plain(path, O_RDONLY, 0);

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

	if (console_ref(r, &lab, &node, NULL, e) == -1 ||
	    lab_console_log_path(lab, node, path, sizeof(path), e) == -1)
		return (-1);
	snprintf(old, sizeof(old), "%s.1", path);
	slurp(old, &buf, &len, CONSOLE_LOG_SERVE_MAX);
	slurp(path, &buf, &len, CONSOLE_LOG_SERVE_MAX);
	if (reply_text(r, len, buf ? buf : "", buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT,
	        e) == -1) {
		free(buf);
		return (-1);
	}
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

	if (fields_check(r->body, validate_console_exec, "exec", e) == -1 ||
	    console_ref(r, &lab, &node, NULL, e) == -1)
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
 * Type the template's export command, line by line ("terminal length 0\n
 * show running-config"), each up to the prompt; *raw gets the last line's
 * output (caller frees).
 */
static int
config_run(int64_t node, struct lab_console_node *n, char **raw, struct lw_err *e)
{
	*raw = NULL;
	for (char *line = n->config_export, *nl; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		free(*raw);
		*raw = NULL;
		if (console_exec(node, line, n->prompt, 30000, raw, e) == -1) {
			free(*raw);
			*raw = NULL;
			return (-1);
		}
	}
	return (0);
}

/*
 * The running config, printed by the template's export command on the
 * console: text/plain without the echoed command and the closing prompt.
 */
int
api_node_config(struct api_req *r, struct lw_err *e)
{
	struct lab_console_node n;
	char *raw = NULL, *out, *body;
	int64_t lab, node;
	size_t len;
	int rc;

	/* A GET, but it types on the console: a page elsewhere may not make a browser send it. */
	if (!origin_same(r))
		return (err_set(e, ERR_FORBIDDEN,
		    "the config export from the page at '%.100s' is refused", header(r, "Origin")));
	if (console_ref(r, &lab, &node, &n, e) == -1)
		return (-1);
	if (n.config_export[0] == '\0' || n.prompt[0] == '\0')
		return (err_set(
		    e, ERR_INVALID, "the node's template has no config_export command and prompt"));
	if (config_run(node, &n, &raw, e) == -1)
		return (-1);
	out = utf8_clean(raw);
	free(raw);
	if (out == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	/* Drop the echoed command line and the prompt the output ends with. */
	body = strchr(out, '\n') ? strchr(out, '\n') + 1 : out + strlen(out);
	len = strlen(body);
	while (len > 0 && body[len - 1] != '\n')
		len--;
	rc = reply_text(r, len, body, MHD_RESPMEM_MUST_COPY, e);
	free(out);
	return (rc);
}
