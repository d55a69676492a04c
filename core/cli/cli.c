/*
 * cli - the labwire command-line client. Every subcommand is a few calls
 * through cli_http to the REST API; "console" adds a telnet client.
 * Output is for people (tables, one line per state change); errors go to
 * stderr as "labwire: ..." and set the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/base/clock.h"
#include "core/cli/cli.h"
#include "core/base/names.h"
#include "core/base/strv.h"
#include "core/cli/telnet.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

#define CLI_API "/api/v1"
#define CLI_PATH_MAX 1024
#define CLI_MAX_POS 3
#define CLI_MAX_STEPS 32
#define CLI_BUF_MAX (64u << 20) /* an answer or a transcript larger than this is a fault */
#define CLI_POLL_MS 500         /* how often --wait asks */
#define CLI_WAIT_S 300          /* --wait default: a TCG guest boots slowly */
#define CLI_CONSOLE_S 30        /* console --timeout default */
#define CLI_CONNECT_MS 5000
#define CLI_QUIET_MS 500  /* console output is over after this much silence */
#define CLI_SETTLE_MS 300 /* console output has paused: its end ends a line */
#define CLI_ESC 0x1d      /* Ctrl-], as in telnet(1) */

static char cli_base[1024] = CLI_DEFAULT_URL;

/* ---- small helpers ---- */

struct cli_buf {
	char *p; /* NUL-terminated once anything was added */
	size_t n;
	size_t cap;
};

static int
cli_buf_add(struct cli_buf *b, const void *p, size_t n)
{
	size_t cap;
	char *np;

	if (n > CLI_BUF_MAX - b->n) {
		errno = EFBIG;
		return (-1);
	}
	if (b->n + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->n + n + 1; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL)
			return (-1);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return (0);
}

static void
cli_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
cli_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* cli_jfmt - obj[key] as table text: strings as is, numbers, yes/no, "-" if absent. */
static const char *
cli_jfmt(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		return (json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return (buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%g", json_real_value(v));
		return (buf);
	}
	if (json_is_boolean(v))
		return (json_is_true(v) ? "yes" : "no");
	return ("-");
}

static const char *
cli_jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return (s != NULL ? s : "");
}

/* ---- HTTP ---- */

int
cli_set_url(const char *url)
{
	size_t n = strlen(url);

	/* Paths are appended as "/api/v1/...": a trailing slash would double. */
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= sizeof(cli_base)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(cli_base, url, n);
	cli_base[n] = '\0';
	return (0);
}

static size_t
cli_http_collect(char *p, size_t size, size_t nmemb, void *arg)
{
	/* Returning less than given makes curl stop with a write error. */
	if (cli_buf_add(arg, p, size * nmemb) == -1)
		return (0);
	return (size * nmemb);
}

/* cli_headers - a curl list of the n headers in want (NULLs skipped), or NULL. */
static struct curl_slist *
cli_headers(const char *const *want, size_t n)
{
	struct curl_slist *h = NULL, *t;

	for (size_t i = 0; i < n; i++) {
		if (want[i] == NULL)
			continue;
		if ((t = curl_slist_append(h, want[i])) == NULL) {
			curl_slist_free_all(h);
			return (NULL);
		}
		h = t;
	}
	return (h);
}

static struct curl_slist *
cli_http_headers(const char *body)
{
	const char *want[] = {
	    "Accept: application/json",
	    /* No "Expect: 100-continue" round trip for a large lab file. */
	    "Expect:",
	    body != NULL ? "Content-Type: application/json" : NULL,
	};

	return (cli_headers(want, sizeof(want) / sizeof(want[0])));
}

/* cli_http_easy - a handle for url with what every request shares: no method, no body yet. */
static CURL *
cli_http_easy(const char *url, struct curl_slist *hdrs, struct cli_buf *resp, char *errbuf)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "labwire-cli");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	return (c);
}

static CURL *
cli_http_handle(const char *method, const char *url, const char *body, struct curl_slist *hdrs,
    struct cli_buf *resp, char *errbuf)
{
	CURL *c;

	if ((c = cli_http_easy(url, hdrs, resp, errbuf)) == NULL)
		return (NULL);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	/* A POST without a body still says Content-Length: 0. */
	if (body != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body != NULL ? strlen(body) : 0));
	}
	/* Creating a large lab is synchronous on the daemon's side. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	return (c);
}

/* cli_http_answer - judge a complete answer; 0 or -1 having told the user. */
static int
cli_http_answer(long status, const struct cli_buf *resp, json_t **out)
{
	const char *msg;
	json_error_t jerr;
	json_t *j = NULL;

	if (resp->n > 0)
		j = json_loadb(resp->p, resp->n, 0, &jerr);
	if (status < 200 || status > 299) {
		msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
		fprintf(stderr, "labwire: %s (HTTP %ld)\n",
		    msg != NULL ? msg : "the daemon refused the request", status);
		json_decref(j);
		return (-1);
	}
	if (resp->n > 0 && j == NULL) {
		fprintf(stderr, "labwire: the daemon's answer is not JSON: %s (HTTP %ld)\n",
		    jerr.text, status);
		return (-1);
	}
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (0);
}

int
cli_http(const char *method, const char *path, const char *body, long *status, json_t **out)
{
	char url[CLI_PATH_MAX + sizeof(cli_base)], errbuf[CURL_ERROR_SIZE] = "";
	struct cli_buf resp = {0};
	struct curl_slist *hdrs;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	*status = 0;
	if (out != NULL)
		*out = NULL;
	snprintf(url, sizeof(url), "%s%s", cli_base, path);
	if ((hdrs = cli_http_headers(body)) == NULL) {
		fprintf(stderr, "labwire: out of memory\n");
		goto fail;
	}
	if ((c = cli_http_handle(method, url, body, hdrs, &resp, errbuf)) == NULL) {
		fprintf(stderr, "labwire: cannot set up an HTTP request\n");
		goto fail_hdrs;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		fprintf(stderr, "labwire: cannot reach the daemon at %s: %s\n", cli_base,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		goto fail_curl;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	ret = cli_http_answer(*status, &resp, out);
fail_curl:
	curl_easy_cleanup(c);
fail_hdrs:
	curl_slist_free_all(hdrs);
fail:
	free(resp.p);
	return (ret);
}

/*
 * cli_path - CLI_API "/labs/LAB[/nodes/NODE]SUFFIX" into buf, LAB and NODE
 * escaped: they are names or ids, but a typo with "/" or "?" must not turn
 * into another request. Returns 0, or -1 having told the user.
 */
static int
cli_path(char *buf, size_t len, const char *lab, const char *node, const char *suffix)
{
	char *el, *en = NULL;
	int n = -1;

	if (*lab == '\0' || (node != NULL && *node == '\0')) {
		fprintf(stderr, "labwire: empty lab or node name\n");
		return (-1);
	}
	/* curl ignores the handle argument (curl_escape() passes NULL too). */
	el = curl_easy_escape(NULL, lab, 0);
	if (node != NULL)
		en = curl_easy_escape(NULL, node, 0);
	if (el != NULL && node == NULL)
		n = snprintf(buf, len, CLI_API "/labs/%s%s", el, suffix);
	else if (el != NULL && en != NULL)
		n = snprintf(buf, len, CLI_API "/labs/%s/nodes/%s%s", el, en, suffix);
	curl_free(el);
	curl_free(en);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: lab or node name too long\n");
		return (-1);
	}
	return (0);
}

/* ---- tables ---- */

struct cli_table {
	size_t ncol;
	size_t rows; /* complete rows in cells */
	int failed;  /* a row was lost for want of memory */
	struct strv cells;
};

static void
cli_table_row(struct cli_table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncol && !t->failed; i++)
		if (strv_add(&t->cells, cells[i]) == -1)
			t->failed = 1;
	if (!t->failed)
		t->rows++;
}

/* cli_table_done - print the table, columns padded to fit, and free it; 0 or -1. */
static int
cli_table_done(struct cli_table *t)
{
	size_t w[8] = {0}, r, c, l;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->ncol && c < 8; c++)
			if ((l = strlen(t->cells.v[r * t->ncol + c])) > w[c])
				w[c] = l;
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c + 1 < t->ncol; c++)
			printf("%-*s  ", (int)w[c], t->cells.v[r * t->ncol + c]);
		printf("%s\n", t->cells.v[r * t->ncol + c]);
	}
	strv_free(&t->cells);
	if (t->failed)
		fprintf(stderr, "labwire: out of memory\n");
	return (t->failed ? -1 : 0);
}

static void
cli_console_cell(const json_t *node, char *buf, size_t len)
{
	const json_t *con = json_object_get(node, "console");
	const char *host = json_string_value(json_object_get(con, "host"));
	const json_t *port = json_object_get(con, "port");

	if (host != NULL && json_is_integer(port))
		snprintf(buf, len, "%s:%" JSON_INTEGER_FORMAT, host, json_integer_value(port));
	else
		snprintf(buf, len, "-");
}

static int
cli_nodes_table(const json_t *nodes)
{
	struct cli_table t = {.ncol = 5};
	const json_t *n;
	size_t i;
	int ret;

	cli_table_row(&t, (const char *[]){"NAME", "STATE", "ACCEL", "CONSOLE", "READY"});
	json_array_foreach(nodes, i, n) {
		char b[5][64];

		cli_console_cell(n, b[3], sizeof(b[3]));
		cli_table_row(&t,
		    (const char *[]){cli_jfmt(n, "name", b[0], sizeof(b[0])),
		        cli_jfmt(n, "state", b[1], sizeof(b[1])),
		        cli_jfmt(n, "accel_in_use", b[2], sizeof(b[2])), b[3],
		        cli_jfmt(n, "ready", b[4], sizeof(b[4]))});
	}
	ret = cli_table_done(&t);
	/* A node in error says why; that is the line a user needs. */
	json_array_foreach(nodes, i, n) {
		if (strcmp(cli_jstr(n, "state"), "error") == 0)
			printf("%s: error: %s\n", cli_jstr(n, "name"), cli_jstr(n, "error"));
	}
	return (ret);
}

/* cli_endpoints - "r1:eth0 -- r2:eth0"; cut short if it does not fit. */
static void
cli_endpoints(const json_t *link, char *buf, size_t len)
{
	const json_t *ep;
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	json_array_foreach(json_object_get(link, "endpoints"), i, ep) {
		char nb[32], ib[32];

		if (json_is_string(ep))
			n = snprintf(
			    buf + off, len - off, "%s%s", i ? " -- " : "", json_string_value(ep));
		else
			n = snprintf(buf + off, len - off, "%s%s:%s", i ? " -- " : "",
			    cli_jfmt(ep, "node", nb, sizeof(nb)),
			    cli_jfmt(ep, "interface", ib, sizeof(ib)));
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* cli_impairment - the fields that are set, "delay_ms=50 loss_pct=2", or "-". */
static void
cli_impairment(const json_t *imp, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t off = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)imp, k, v) {
		char val[64];

		if (json_is_number(v) && json_number_value(v) == 0)
			continue;
		if (json_is_object(v)) {
			char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

			snprintf(val, sizeof(val), "%s", d ? d : "{}");
			free(d);
		} else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else
			snprintf(val, sizeof(val), "%g", json_number_value(v));
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", k, val);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static int
cli_links_table(const json_t *links)
{
	struct cli_table t = {.ncol = 6};
	const json_t *l;
	size_t i;

	cli_table_row(&t, (const char *[]){"ID", "KIND", "ENDPOINTS", "STATE", "DATAPATH",
	                      "IMPAIRMENT"});
	json_array_foreach(links, i, l) {
		char id[32], kind[16], eps[512], st[16], dp[16], imp[256];

		cli_endpoints(l, eps, sizeof(eps));
		cli_impairment(json_object_get(l, "impairment"), imp, sizeof(imp));
		cli_table_row(&t,
		    (const char *[]){cli_jfmt(l, "id", id, sizeof(id)),
		        cli_jfmt(l, "kind", kind, sizeof(kind)), eps,
		        cli_jfmt(l, "state", st, sizeof(st)), cli_jfmt(l, "datapath", dp, sizeof(dp)),
		        imp});
	}
	return (cli_table_done(&t));
}

/* ---- arguments ---- */

enum {
	CLI_O_WAIT = 1 << 0, /* --wait, --timeout */
	CLI_O_CONSOLE =
	    1 << 1, /* --print, --wait-ready, --ready-timeout, --send, --expect, --timeout */
	CLI_O_CAPTURE = 1 << 2, /* -f, -s, -w */
	CLI_O_IMAGE = 1 << 3,   /* --name, --template */
};

struct cli_step {
	int expect; /* wait for re to match; else send text and "\r" */
	const char *text;
	regex_t re;
	int compiled;
};

struct cli_args {
	const char *pos[CLI_MAX_POS];
	int npos;
	int wait, print, wait_ready;
	double timeout, ready_timeout; /* seconds; < 0 when not given */
	struct cli_step steps[CLI_MAX_STEPS];
	int nsteps;
	const char *filter; /* capture -f; NULL when not given */
	long snaplen;       /* capture -s; 0 when not given */
	const char *wfile;  /* capture -w; NULL when not given */
	const char *name;   /* image add --name; NULL when not given */
	const char *tmpl;   /* image add --template; NULL when not given */
};

struct cli_cmd {
	const char *group; /* "lab", "node", "link", "image", or NULL */
	const char *name;
	const char *args;
	int npos;
	int opts;
	int (*run)(struct cli_args *);
	const char *help;
};

static const struct option cli_longopts[] = {
    {"wait", no_argument, NULL, 'W'},
    {"timeout", required_argument, NULL, 't'},
    {"print", no_argument, NULL, 'p'},
    {"wait-ready", no_argument, NULL, 'r'},
    {"ready-timeout", required_argument, NULL, 'R'},
    /* Not 's' and 'e': those are short options of their own. */
    {"send", required_argument, NULL, 'S'},
    {"expect", required_argument, NULL, 'E'},
    {"filter", required_argument, NULL, 'f'},
    {"snaplen", required_argument, NULL, 's'},
    {"write", required_argument, NULL, 'w'},
    {"name", required_argument, NULL, 'N'},
    {"template", required_argument, NULL, 'T'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int
cli_opt_allowed(int c, int opts)
{
	switch (c) {
	case 'W':
		return (opts & CLI_O_WAIT);
	case 't':
		return (opts & (CLI_O_WAIT | CLI_O_CONSOLE));
	case 'p':
	case 'r':
	case 'R':
	case 'S':
	case 'E':
		return (opts & CLI_O_CONSOLE);
	case 'f':
	case 's':
	case 'w':
		return (opts & CLI_O_CAPTURE);
	case 'N':
	case 'T':
		return (opts & CLI_O_IMAGE);
	default:
		return (0);
	}
}

static int
cli_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e6) {
		fprintf(stderr, "labwire: '%s' is not a number of seconds\n", s);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * cli_snaplen - -s N. 0, what tcpdump users type for "all of it", leaves it
 * to the daemon, whose default is whole frames; the daemon judges the range.
 */
static int
cli_snaplen(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX) {
		fprintf(stderr, "labwire: '%s' is not a snapshot length in bytes\n", s);
		return (-1);
	}
	*out = v;
	return (0);
}

static int
cli_opt_set(struct cli_args *a, int c, const char *arg)
{
	switch (c) {
	case 'W':
		a->wait = 1;
		return (0);
	case 't':
		return (cli_seconds(arg, &a->timeout));
	case 'R':
		return (cli_seconds(arg, &a->ready_timeout));
	case 'p':
		a->print = 1;
		return (0);
	case 'r':
		a->wait_ready = 1;
		return (0);
	case 'f':
		a->filter = arg;
		return (0);
	case 's':
		return (cli_snaplen(arg, &a->snaplen));
	case 'w':
		a->wfile = arg;
		return (0);
	case 'N':
		a->name = arg;
		return (0);
	case 'T':
		a->tmpl = arg;
		return (0);
	default: /* 'S', 'E': steps keep command-line order */
		if (a->nsteps == CLI_MAX_STEPS) {
			fprintf(stderr, "labwire: at most %d --send/--expect\n", CLI_MAX_STEPS);
			return (-1);
		}
		a->steps[a->nsteps].expect = (c == 'E');
		a->steps[a->nsteps++].text = arg;
		return (0);
	}
}

static void
cli_cmd_usage(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "usage: labwire %s%s%s%s%s\n", cmd->group ? cmd->group : "",
	    cmd->group ? " " : "", cmd->name, *cmd->args ? " " : "", cmd->args);
}

/* cli_parse - argv[0] is the command's name; 0, or -1 having told the user. */
static int
cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->timeout = a->ready_timeout = -1;
	optind = 0; /* GNU getopt: start afresh, cli_main may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf:s:w:", cli_longopts, NULL)) != -1) {
		if (c == 'h') {
			cli_cmd_usage(stdout, cmd);
			return (-1);
		}
		if (c == '?' || !cli_opt_allowed(c, cmd->opts)) {
			fprintf(
			    stderr, "labwire: bad option or missing value: %s\n", argv[optind - 1]);
			cli_cmd_usage(stderr, cmd);
			return (-1);
		}
		if (cli_opt_set(a, c, optarg) == -1)
			return (-1);
	}
	while (optind < argc && a->npos < cmd->npos)
		a->pos[a->npos++] = argv[optind++];
	if (optind < argc || a->npos != cmd->npos) {
		cli_cmd_usage(stderr, cmd);
		return (-1);
	}
	return (0);
}

/* ---- waiting for nodes ---- */

struct cli_wait {
	const char *what; /* "lab demo", "node demo/r1" */
	char path[CLI_PATH_MAX];
	int one_node;     /* path is a node, not a lab */
	int want_running; /* else stopped */
	FILE *out;        /* progress lines */
	json_t *seen;     /* node name -> phase last printed */
};

/* cli_node_done - whether a node reached what we wait for. */
static int
cli_node_done(const json_t *node, int want_running)
{
	const char *state = cli_jstr(node, "state");
	const json_t *ready = json_object_get(node, "ready");

	if (!want_running)
		return (strcmp(state, "stopped") == 0);
	/* Only templates with a readiness pattern report "ready". */
	return (strcmp(state, "running") == 0 && (ready == NULL || json_is_true(ready)));
}

static const char *
cli_node_phase(const json_t *node)
{
	const char *state = cli_jstr(node, "state");
	const json_t *ready = json_object_get(node, "ready");

	if (strcmp(state, "running") == 0 && json_is_boolean(ready))
		return (json_is_true(ready) ? "running, ready" : "running, not ready yet");
	return (*state != '\0' ? state : "unknown");
}

/* cli_wait_node - print the node's phase if it changed; 1 done, 0 not yet, -1 in error. */
static int
cli_wait_node(struct cli_wait *w, const json_t *node)
{
	char nb[32];
	const char *name = cli_jfmt(node, "name", nb, sizeof(nb));
	const char *phase = cli_node_phase(node);
	const char *prev = json_string_value(json_object_get(w->seen, name));

	if (prev == NULL || strcmp(prev, phase) != 0) {
		fprintf(w->out, "%s: %s\n", name, phase);
		fflush(w->out);
		json_object_set_new(w->seen, name, json_string(phase));
	}
	if (strcmp(cli_jstr(node, "state"), "error") == 0) {
		fprintf(stderr, "labwire: node %s failed: %s\n", name,
		    *cli_jstr(node, "error") ? cli_jstr(node, "error") : "no reason given");
		return (-1);
	}
	return (cli_node_done(node, w->want_running));
}

/* cli_wait_poll - one look; 1 all done, 0 not yet, -1 failed (told). */
static int
cli_wait_poll(struct cli_wait *w)
{
	const json_t *node, *nodes;
	json_t *ans;
	size_t i;
	long st;
	int r, done = 1;

	if (cli_http("GET", w->path, NULL, &st, &ans) == -1)
		return (-1);
	nodes = json_object_get(ans, "nodes");
	for (i = 0; w->one_node ? i < 1 : i < json_array_size(nodes); i++) {
		node = w->one_node ? ans : json_array_get(nodes, i);
		if ((r = cli_wait_node(w, node)) == -1) {
			done = -1;
			break;
		}
		done &= r;
	}
	json_decref(ans);
	return (done);
}

/* cli_wait - poll until every node got there; exit status. */
static int
cli_wait(struct cli_wait *w, double timeout)
{
	long long deadline = clock_mono_ms() + (long long)(timeout * 1000);
	int r;

	if ((w->seen = json_object()) == NULL)
		return (CLI_FAIL);
	while ((r = cli_wait_poll(w)) == 0) {
		if (clock_mono_ms() >= deadline) {
			fprintf(stderr, "labwire: timed out after %g s waiting for %s to be %s\n",
			    timeout, w->what, w->want_running ? "running" : "stopped");
			break;
		}
		cli_sleep_ms(CLI_POLL_MS);
	}
	if (r == 1)
		fprintf(w->out, "%s: %s\n", w->what, w->want_running ? "running" : "stopped");
	json_decref(w->seen);
	return (r == 1 ? CLI_OK : CLI_FAIL);
}

/* ---- lab and node commands ---- */

static int
cli_lab_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 5};
	const json_t *lab;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/labs", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t, (const char *[]){"ID", "NAME", "STATE", "NODES", "LINKS"});
	json_array_foreach(json_object_get(ans, "labs"), i, lab) {
		char b[5][64];

		cli_table_row(&t,
		    (const char *[]){cli_jfmt(lab, "id", b[0], sizeof(b[0])),
		        cli_jfmt(lab, "name", b[1], sizeof(b[1])),
		        cli_jfmt(lab, "state", b[2], sizeof(b[2])),
		        cli_jfmt(lab, "node_count", b[3], sizeof(b[3])),
		        cli_jfmt(lab, "link_count", b[4], sizeof(b[4]))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

static int
cli_read_file(const char *name, struct cli_buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd, saved;

	if (strcmp(name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || cli_buf_add(b, chunk, (size_t)n) == -1)
			break;
	}
	saved = n == 0 && b->n == 0 ? ENODATA : errno;
	if (fd != STDIN_FILENO)
		close(fd);
	errno = saved;
	return (n == 0 && b->n > 0 ? 0 : -1);
}

static int
cli_lab_create(struct cli_args *a)
{
	const char *name = strcmp(a->pos[0], "-") == 0 ? "<stdin>" : a->pos[0];
	struct cli_buf file = {0};
	json_error_t jerr;
	json_t *ans, *check;
	char id[32];
	long st;
	int ret = CLI_FAIL;

	if (cli_read_file(a->pos[0], &file) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", name,
		    errno == ENODATA ? "empty file" : strerror(errno));
		goto out;
	}
	/* Posted as is; parsed here only to point at a syntax error by line. */
	if ((check = json_loadb(file.p, file.n, 0, &jerr)) == NULL) {
		fprintf(stderr, "labwire: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	json_decref(check);
	if (cli_http("POST", CLI_API "/labs", file.p, &st, &ans) == 0) {
		printf("created lab %s (id %s)\n", cli_jstr(ans, "name"),
		    cli_jfmt(ans, "id", id, sizeof(id)));
		json_decref(ans);
		ret = CLI_OK;
	}
out:
	free(file.p);
	return (ret);
}

static int
cli_lab_show(struct cli_args *a)
{
	char path[CLI_PATH_MAX], id[32], state[32];
	json_t *lab;
	long st;
	int ret;

	if (cli_path(path, sizeof(path), a->pos[0], NULL, "") == -1)
		return (CLI_FAIL);
	if (cli_http("GET", path, NULL, &st, &lab) == -1)
		return (CLI_FAIL);
	printf("lab %s (id %s): %s\n", cli_jstr(lab, "name"), cli_jfmt(lab, "id", id, sizeof(id)),
	    cli_jfmt(lab, "state", state, sizeof(state)));
	if (*cli_jstr(lab, "description") != '\0')
		printf("%s\n", cli_jstr(lab, "description"));
	printf("\nnodes:\n");
	ret = cli_nodes_table(json_object_get(lab, "nodes"));
	printf("\nlinks:\n");
	ret |= cli_links_table(json_object_get(lab, "links"));
	json_decref(lab);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

/* cli_action - POST path (start/stop), say what the daemon did, --wait if asked. */
static int
cli_action(struct cli_args *a, struct cli_wait *w, const char *path, const char *verb)
{
	json_t *ans;
	long st;
	int ret;

	if (cli_http("POST", path, NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	printf(
	    "%s: %s\n", w->what, *cli_jstr(ans, "state") != '\0' ? cli_jstr(ans, "state") : verb);
	fflush(stdout);
	json_decref(ans);
	if (!a->wait)
		return (CLI_OK);
	w->out = stdout;
	ret = cli_wait(w, a->timeout > 0 ? a->timeout : CLI_WAIT_S);
	return (ret);
}

static int
cli_lab_startstop(struct cli_args *a, int start)
{
	char path[CLI_PATH_MAX], what[128];
	struct cli_wait w = {.what = what, .want_running = start};

	snprintf(what, sizeof(what), "lab %s", a->pos[0]);
	if (cli_path(path, sizeof(path), a->pos[0], NULL, start ? "/start" : "/stop") == -1 ||
	    cli_path(w.path, sizeof(w.path), a->pos[0], NULL, "") == -1)
		return (CLI_FAIL);
	return (cli_action(a, &w, path, start ? "start requested" : "stop requested"));
}

static int
cli_lab_start(struct cli_args *a)
{
	return (cli_lab_startstop(a, 1));
}

static int
cli_lab_stop(struct cli_args *a)
{
	return (cli_lab_startstop(a, 0));
}

static int
cli_lab_delete(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	long st;

	if (cli_path(path, sizeof(path), a->pos[0], NULL, "") == -1)
		return (CLI_FAIL);
	if (cli_http("DELETE", path, NULL, &st, NULL) == -1)
		return (CLI_FAIL);
	printf("deleted lab %s\n", a->pos[0]);
	return (CLI_OK);
}

static int
cli_node_list(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	json_t *ans;
	long st;
	int ret;

	if (cli_path(path, sizeof(path), a->pos[0], NULL, "/nodes") == -1)
		return (CLI_FAIL);
	if (cli_http("GET", path, NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	/* {"nodes": [...]} like /labs, but a bare array reads as well. */
	ret = cli_nodes_table(json_is_array(ans) ? ans : json_object_get(ans, "nodes"));
	json_decref(ans);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

static int
cli_node_startstop(struct cli_args *a, int start)
{
	char path[CLI_PATH_MAX], what[192];
	struct cli_wait w = {.what = what, .one_node = 1, .want_running = start};

	snprintf(what, sizeof(what), "node %s/%s", a->pos[0], a->pos[1]);
	if (cli_path(path, sizeof(path), a->pos[0], a->pos[1], start ? "/start" : "/stop") == -1 ||
	    cli_path(w.path, sizeof(w.path), a->pos[0], a->pos[1], "") == -1)
		return (CLI_FAIL);
	return (cli_action(a, &w, path, start ? "start requested" : "stop requested"));
}

static int
cli_node_start(struct cli_args *a)
{
	return (cli_node_startstop(a, 1));
}

static int
cli_node_stop(struct cli_args *a)
{
	return (cli_node_startstop(a, 0));
}

/* ---- console: finding it ---- */

/*
 * cli_console_host - where to connect for a console the daemon reports on
 * host. A console listening on every address reports the wildcard, which is
 * nowhere to connect to: the daemon's own host is where it is.
 */
static void
cli_console_host(const char *host, char *out, size_t len)
{
	CURLU *u;
	char *uh = NULL;
	size_t n;

	if (*host != '\0' && strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0) {
		snprintf(out, len, "%s", host);
		return;
	}
	snprintf(out, len, "127.0.0.1");
	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, cli_base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &uh, 0) == CURLUE_OK) {
		/* "[::1]" in a URL, "::1" to getaddrinfo */
		n = strlen(uh);
		if (n > 2 && uh[0] == '[' && uh[n - 1] == ']')
			snprintf(out, len, "%.*s", (int)(n - 2), uh + 1);
		else
			snprintf(out, len, "%s", uh);
	}
	curl_free(uh);
	curl_url_cleanup(u);
}

/* cli_console_target - the node's console host and port; 0, or -1 having told the user. */
static int
cli_console_target(struct cli_args *a, char *host, size_t len, int *port)
{
	char path[CLI_PATH_MAX], state[32];
	const json_t *con;
	json_t *node;
	const char *type;
	long st;
	int ret = -1;

	if (cli_path(path, sizeof(path), a->pos[0], a->pos[1], "") == -1)
		return (-1);
	if (cli_http("GET", path, NULL, &st, &node) == -1)
		return (-1);
	con = json_object_get(node, "console");
	type = json_string_value(json_object_get(con, "type"));
	*port = (int)json_integer_value(json_object_get(con, "port"));
	if (json_string_value(json_object_get(con, "host")) == NULL || *port <= 0 || *port > 65535)
		fprintf(stderr, "labwire: node %s/%s has no console (state: %s)\n", a->pos[0],
		    a->pos[1], cli_jfmt(node, "state", state, sizeof(state)));
	else if (type != NULL && strcmp(type, "telnet") != 0)
		fprintf(stderr, "labwire: node %s/%s has a %s console, not telnet\n", a->pos[0],
		    a->pos[1], type);
	else {
		cli_console_host(json_string_value(json_object_get(con, "host")), host, len);
		ret = 0;
	}
	json_decref(node);
	return (ret);
}

static int
cli_console_ready(struct cli_args *a)
{
	char what[192];
	struct cli_wait w = {.what = what, .one_node = 1, .want_running = 1, .out = stderr};

	snprintf(what, sizeof(what), "node %s/%s", a->pos[0], a->pos[1]);
	if (cli_path(w.path, sizeof(w.path), a->pos[0], a->pos[1], "") == -1)
		return (CLI_FAIL);
	return (cli_wait(&w, a->ready_timeout > 0 ? a->ready_timeout : CLI_WAIT_S));
}

/* ---- console: scripted ---- */

/*
 * cli_script_pump - wait until deadline for console bytes and add them to
 * t without "\r" (so "$" works on "\r\n" lines) or NUL (regexec stops at
 * one). Returns 1 when something arrived, 0 at the deadline, -1 when the
 * console closed (errno 0) or failed.
 */
static int
cli_script_pump(struct telnet_client *tc, struct cli_buf *t, long long deadline)
{
	struct pollfd p = {.fd = telnet_client_fd(tc), .events = POLLIN};
	char buf[4096], clean[4096];
	long long left = deadline - clock_mono_ms();
	ssize_t n, i, k = 0;
	int r;

	r = poll(&p, 1, left > 0 ? (int)left : 0);
	if (r <= 0)
		return (r == -1 && errno == EINTR ? 1 : r);
	if ((n = telnet_client_read(tc, buf, sizeof(buf))) == -1)
		return (errno == EAGAIN ? 1 : -1);
	if (n == 0) {
		errno = 0;
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (buf[i] != '\r' && buf[i] != '\0')
			clean[k++] = buf[i];
	return (cli_buf_add(t, clean, (size_t)k) == -1 ? -1 : 1);
}

/*
 * cli_script_match - whether s->re matches after *pos, moving *pos past it.
 * The end of what has arrived is the end of a line ("$") only once output
 * has paused (settled): "^ok$" must not match the "ok" of "okay" arriving
 * in two pieces, but "# $" must match a prompt that ends without "\n".
 */
static int
cli_script_match(const struct cli_step *s, const struct cli_buf *t, size_t *pos, int settled)
{
	regmatch_t m;
	int flags;

	/* "^" matches where the last match ended only if a line starts there. */
	flags = *pos > 0 && t->p[*pos - 1] != '\n' ? REG_NOTBOL : 0;
	if (regexec(&s->re, t->p + *pos, 1, &m, flags | (settled ? 0 : REG_NOTEOL)) != 0)
		return (0);
	*pos += (size_t)m.rm_eo;
	return (1);
}

/* cli_script_expect - wait for s->re after *pos; moves *pos past the match. 0 or -1 (told). */
static int
cli_script_expect(struct telnet_client *tc, struct cli_buf *t, size_t *pos,
    const struct cli_step *s, long long deadline)
{
	long long settle;
	int r, settled = 0;

	while (!cli_script_match(s, t, pos, settled)) {
		settle = clock_mono_ms() + CLI_SETTLE_MS;
		r = cli_script_pump(tc, t, settle < deadline ? settle : deadline);
		if (r == 1 || (r == 0 && clock_mono_ms() < deadline)) {
			settled = (r == 0);
			continue;
		}
		if (r == 0)
			fprintf(stderr, "labwire: timed out waiting for /%s/\n", s->text);
		else
			fprintf(stderr, "labwire: console %s before /%s/ matched\n",
			    errno ? strerror(errno) : "closed", s->text);
		return (-1);
	}
	return (0);
}

static int
cli_script_send(struct telnet_client *tc, const char *text)
{
	if (telnet_client_send(tc, text, strlen(text)) == -1 ||
	    telnet_client_send(tc, "\r", 1) == -1) {
		fprintf(stderr, "labwire: cannot send to the console: %s\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/* cli_script_drain - with nothing to expect, take output until it goes quiet. */
static void
cli_script_drain(struct telnet_client *tc, struct cli_buf *t, long long deadline)
{
	long long quiet;

	do
		quiet = clock_mono_ms() + CLI_QUIET_MS;
	while (cli_script_pump(tc, t, quiet < deadline ? quiet : deadline) == 1);
}

/* cli_script - run the --send/--expect steps in order, then print what was received. */
static int
cli_script(struct cli_args *a, struct telnet_client *tc)
{
	double timeout = a->timeout > 0 ? a->timeout : CLI_CONSOLE_S;
	long long deadline = clock_mono_ms() + (long long)(timeout * 1000);
	struct cli_buf t = {0};
	size_t pos = 0;
	int i, r, expects = 0, ret = CLI_OK;

	if (cli_buf_add(&t, "", 0) == -1)
		return (CLI_FAIL);
	for (i = 0; i < a->nsteps && ret == CLI_OK; i++) {
		if (a->steps[i].expect) {
			expects++;
			r = cli_script_expect(tc, &t, &pos, &a->steps[i], deadline);
		} else
			r = cli_script_send(tc, a->steps[i].text);
		ret = r == -1 ? CLI_FAIL : CLI_OK;
	}
	if (ret == CLI_OK && expects == 0)
		cli_script_drain(tc, &t, deadline);
	fwrite(t.p, 1, t.n, stdout);
	fflush(stdout);
	free(t.p);
	return (ret);
}

static int
cli_script_compile(struct cli_args *a)
{
	char msg[256];
	int r;

	for (int i = 0; i < a->nsteps; i++) {
		if (!a->steps[i].expect)
			continue;
		r = regcomp(&a->steps[i].re, a->steps[i].text, REG_EXTENDED | REG_NEWLINE);
		if (r != 0) {
			regerror(r, &a->steps[i].re, msg, sizeof(msg));
			fprintf(stderr, "labwire: --expect '%s': %s\n", a->steps[i].text, msg);
			return (-1);
		}
		a->steps[i].compiled = 1;
	}
	return (0);
}

static void
cli_script_free(struct cli_args *a)
{
	for (int i = 0; i < a->nsteps; i++)
		if (a->steps[i].compiled)
			regfree(&a->steps[i].re);
}

/* ---- console: interactive ---- */

static volatile sig_atomic_t cli_signalled;

static const int cli_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
#define CLI_NSIGS (sizeof(cli_sigs) / sizeof(cli_sigs[0]))

static void
cli_on_signal(int sig)
{
	cli_signalled = sig;
}

/*
 * cli_signals_catch - note the signals that would end us, so the terminal
 * is restored first. They stay blocked but inside ppoll, so one cannot slip
 * in between looking at cli_signalled and waiting. SIGPIPE too: a closed
 * stdout ends the session like any other error.
 */
static void
cli_signals_catch(struct sigaction *old, sigset_t *orig)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < CLI_NSIGS; i++) {
		sigaddset(&block, cli_sigs[i]);
		sigaction(cli_sigs[i], &sa, &old[i]);
	}
	cli_signalled = 0;
	sigprocmask(SIG_BLOCK, &block, orig);
}

static void
cli_signals_restore(const struct sigaction *old, const sigset_t *orig)
{
	sigprocmask(SIG_SETMASK, orig, NULL);
	for (size_t i = 0; i < CLI_NSIGS; i++)
		sigaction(cli_sigs[i], &old[i], NULL);
}

struct cli_session {
	struct telnet_client *tc;
	int tty; /* stdin is a terminal: raw mode and the escape key */
	int esc; /* Ctrl-] typed, the next key decides */
	int quit;
	int idle_ms; /* -1; after stdin ended, this much console silence ends the session */
};

/*
 * cli_session_keys - forward typed bytes. Ctrl-] then q (or .) quits,
 * Ctrl-] Ctrl-] sends one Ctrl-], Ctrl-] then anything else sends both.
 */
static int
cli_session_keys(struct cli_session *s, const char *in, size_t n)
{
	char out[2 * 4096];
	size_t o = 0;

	for (size_t i = 0; i < n && !s->quit && o + 2 <= sizeof(out); i++) {
		unsigned char c = (unsigned char)in[i];

		if (!s->tty) {
			out[o++] = (char)c;
		} else if (s->esc) {
			s->esc = 0;
			if (c == 'q' || c == 'Q' || c == '.')
				s->quit = 1;
			else if (c == CLI_ESC)
				out[o++] = (char)c;
			else {
				out[o++] = CLI_ESC;
				out[o++] = (char)c;
			}
		} else if (c == CLI_ESC)
			s->esc = 1;
		else
			out[o++] = (char)c;
	}
	return (o > 0 ? telnet_client_send(s->tc, out, o) : 0);
}

/* cli_session_stdin - 0 go on, 1 the session is over, -1 failed (told). */
static int
cli_session_stdin(struct cli_session *s, struct pollfd *p)
{
	char buf[4096];
	ssize_t n;

	if ((n = read(STDIN_FILENO, buf, sizeof(buf))) == -1)
		return (errno == EINTR || errno == EAGAIN ? 0 : -1);
	if (n == 0 && s->tty)
		return (1);
	if (n == 0) {
		/* Piped input ended: let the console answer it, then stop. */
		p->fd = -1;
		s->idle_ms = 1000;
		return (0);
	}
	if (cli_session_keys(s, buf, (size_t)n) == -1) {
		fprintf(stderr, "labwire: cannot send to the console: %s\r\n", strerror(errno));
		return (-1);
	}
	return (s->quit);
}

static int
cli_session_console(struct cli_session *s)
{
	char buf[4096];
	ssize_t n;

	if ((n = telnet_client_read(s->tc, buf, sizeof(buf))) == -1 && errno == EAGAIN)
		return (0);
	if (n == 0) {
		fprintf(stderr, "\r\nlabwire: the console closed the connection\r\n");
		return (1);
	}
	if (n == -1 || cli_write_all(STDOUT_FILENO, buf, (size_t)n) == -1) {
		fprintf(stderr, "\r\nlabwire: console: %s\r\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/* cli_session_loop - copy both ways until quit, EOF, or a signal; 0 or -1. */
static int
cli_session_loop(struct cli_session *s, const sigset_t *unblocked)
{
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
	    {.fd = telnet_client_fd(s->tc), .events = POLLIN}};
	struct timespec ts;
	int r = 0;

	while (r == 0 && !cli_signalled) {
		ts.tv_sec = s->idle_ms / 1000;
		ts.tv_nsec = 0;
		if ((r = ppoll(p, 2, s->idle_ms >= 0 ? &ts : NULL, unblocked)) <= 0) {
			r = r == 0 ? 1 : errno == EINTR ? 0 : -1;
			continue;
		}
		r = 0;
		if (p[1].revents != 0)
			r = cli_session_console(s);
		if (r == 0 && p[0].revents != 0)
			r = cli_session_stdin(s, &p[0]);
	}
	return (r == -1 ? -1 : 0);
}

static int
cli_interactive(struct cli_args *a, const char *host, int port, struct telnet_client *tc)
{
	struct cli_session s = {.tc = tc, .tty = isatty(STDIN_FILENO), .idle_ms = -1};
	struct sigaction old[CLI_NSIGS];
	struct termios saved, raw;
	sigset_t orig;
	int r;

	if (s.tty) {
		fprintf(stderr, "Connected to %s/%s console at %s:%d. Escape: Ctrl-] then q.\n",
		    a->pos[0], a->pos[1], host, port);
		if (tcgetattr(STDIN_FILENO, &saved) == -1)
			return (CLI_FAIL);
		raw = saved;
		cfmakeraw(&raw);
	}
	cli_signals_catch(old, &orig);
	if (s.tty && tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == -1) {
		fprintf(
		    stderr, "labwire: cannot put the terminal in raw mode: %s\n", strerror(errno));
		cli_signals_restore(old, &orig);
		return (CLI_FAIL);
	}
	r = cli_session_loop(&s, &orig);
	if (s.tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\nDisconnected from %s/%s.\n", a->pos[0], a->pos[1]);
	}
	cli_signals_restore(old, &orig);
	return (r == 0 && !cli_signalled ? CLI_OK : CLI_FAIL);
}

static int
cli_console(struct cli_args *a)
{
	struct telnet_client *tc;
	char host[256];
	int port, ret = CLI_FAIL;

	if (a->print && a->nsteps > 0) {
		fprintf(stderr, "labwire: --print does not go with --send/--expect\n");
		return (CLI_USAGE);
	}
	if (cli_script_compile(a) == -1) {
		ret = CLI_USAGE;
		goto out;
	}
	if (a->wait_ready && cli_console_ready(a) != CLI_OK)
		goto out;
	if (cli_console_target(a, host, sizeof(host), &port) == -1)
		goto out;
	if (a->print) {
		printf("%s %d\n", host, port);
		ret = CLI_OK;
		goto out;
	}
	if ((tc = telnet_client_connect(host, port, CLI_CONNECT_MS)) == NULL) {
		fprintf(stderr, "labwire: cannot connect to the console of %s/%s at %s:%d: %s\n",
		    a->pos[0], a->pos[1], host, port, strerror(errno));
		goto out;
	}
	ret = a->nsteps > 0 ? cli_script(a, tc) : cli_interactive(a, host, port, tc);
	telnet_client_close(tc);
out:
	cli_script_free(a);
	return (ret);
}

/* ---- capture ---- */

#define CLI_PCAP_GLOBAL 24          /* the pcap file header */
#define CLI_PCAP_RECORD 16          /* each record's header */
#define CLI_PCAP_MAXCAP (16u << 20) /* a longer record is not pcap as we know it */
#define CLI_PROGRESS_MS 1000        /* between lines of "captured N packets" */

enum { CLI_PC_GLOBAL, CLI_PC_RECORD, CLI_PC_DATA, CLI_PC_OPAQUE };

/*
 * cli_pcap - a pcap stream's framing, followed as the bytes pass: it counts
 * packets without asking the daemon, and says where records end, so that
 * what is written stops at one (a file cut inside a record reads as damaged).
 * A stream that is not pcap (CLI_PC_OPAQUE) passes through uncounted.
 */
struct cli_pcap {
	int phase;
	int big; /* the stream's integers are big-endian */
	unsigned char h[CLI_PCAP_GLOBAL];
	size_t have;    /* bytes of the header in h so far */
	size_t left;    /* CLI_PC_DATA: packet bytes still to come */
	uint32_t orig;  /* the packet's length on the wire */
	size_t partial; /* bytes since the last record boundary */
	unsigned long long packets, bytes;
};

static uint32_t
cli_pcap_u32(const unsigned char *p, int big)
{
	if (big)
		return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	return ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

static void
cli_pcap_packet(struct cli_pcap *pc)
{
	pc->packets++;
	pc->bytes += pc->orig; /* like the daemon's "bytes": lengths on the wire */
	pc->partial = 0;
	pc->phase = CLI_PC_RECORD;
}

/* cli_pcap_step - the header in h, or the packet, is complete: what comes next. */
static void
cli_pcap_step(struct cli_pcap *pc)
{
	uint32_t magic;

	pc->have = 0;
	if (pc->phase == CLI_PC_DATA) {
		cli_pcap_packet(pc);
		return;
	}
	if (pc->phase == CLI_PC_GLOBAL) {
		/* Microsecond or nanosecond timestamps, written either way round. */
		magic = cli_pcap_u32(pc->h, 0);
		pc->big = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
		pc->phase = pc->big || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d ? CLI_PC_RECORD
		                                                                  : CLI_PC_OPAQUE;
		pc->partial = 0;
		return;
	}
	pc->left = cli_pcap_u32(pc->h + 8, pc->big);
	pc->orig = cli_pcap_u32(pc->h + 12, pc->big);
	pc->phase = pc->left > CLI_PCAP_MAXCAP ? CLI_PC_OPAQUE : CLI_PC_DATA;
	if (pc->phase == CLI_PC_DATA && pc->left == 0)
		cli_pcap_packet(pc);
}

static void
cli_pcap_feed(struct cli_pcap *pc, const unsigned char *p, size_t n)
{
	size_t want, k;

	while (n > 0 && pc->phase != CLI_PC_OPAQUE) {
		if (pc->phase == CLI_PC_DATA) {
			k = n < pc->left ? n : pc->left;
			pc->left -= k;
			want = pc->left;
		} else {
			want = (pc->phase == CLI_PC_GLOBAL ? CLI_PCAP_GLOBAL : CLI_PCAP_RECORD) -
			    pc->have;
			k = n < want ? n : want;
			memcpy(pc->h + pc->have, p, k);
			pc->have += k;
			want -= k;
		}
		p += k;
		n -= k;
		pc->partial += k;
		if (want == 0)
			cli_pcap_step(pc);
	}
	if (pc->phase == CLI_PC_OPAQUE)
		pc->partial = 0;
}

/* cli_stream - following a capture's pcap into fd. */
struct cli_stream {
	CURL *c;
	int fd;
	int progress;        /* a count on stderr every second */
	long status;         /* of the answer, once it began */
	int werr;            /* errno of the write (or memory) that failed */
	struct cli_buf held; /* the start of a record not yet whole */
	struct cli_buf refusal;
	struct cli_pcap pcap;
	long long next_ms; /* of the progress line */
};

static int
cli_stream_ok(const struct cli_stream *s)
{
	return (s->status >= 200 && s->status <= 299);
}

/* cli_stream_out - all of p to s->fd; 0, or -1 with s->werr. */
static int
cli_stream_out(struct cli_stream *s, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(s->fd, p, n)) == -1) {
			/* A reader that stopped reading must not make Ctrl-C wait for it. */
			if (errno == EINTR && !cli_signalled)
				continue;
			s->werr = errno;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/*
 * cli_stream_write - curl's write callback: the pcap up to its last record
 * boundary goes out at once (no buffering: a live reader sees each packet
 * as it comes); the rest is held until its record is whole.
 */
static size_t
cli_stream_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cli_stream *s = arg;
	size_t n = size * nmemb, held = s->held.n, out;

	if (s->status == 0)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	if (!cli_stream_ok(s))
		return (cli_buf_add(&s->refusal, p, n) == -1 ? 0 : n);
	cli_pcap_feed(&s->pcap, (const unsigned char *)p, n);
	out = held + n - s->pcap.partial; /* >= held when > 0: a boundary is in p */
	if (out > 0) {
		if (cli_stream_out(s, s->held.p, held) == -1 ||
		    cli_stream_out(s, p, out - held) == -1)
			return (0);
		s->held.n = 0;
		p += out - held;
		n -= out - held;
	}
	if (cli_buf_add(&s->held, p, n) == -1) {
		s->werr = errno;
		return (0);
	}
	return (size * nmemb);
}

static void
cli_stream_progress(struct cli_stream *s)
{
	fprintf(stderr, "\rcaptured %llu packets (%llu bytes)", s->pcap.packets, s->pcap.bytes);
}

/* cli_stream_tick - curl calls it at least once a second, and when a signal woke it. */
static int
cli_stream_tick(
    void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct cli_stream *s = arg;
	long long now;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (cli_signalled)
		return (1);
	if (s->progress && cli_stream_ok(s) && (now = clock_mono_ms()) >= s->next_ms) {
		cli_stream_progress(s);
		s->next_ms = now + CLI_PROGRESS_MS;
	}
	return (0);
}

/* cli_stream_run - GET path into s->fd until the stream ends or we are stopped. */
static CURLcode
cli_stream_run(struct cli_stream *s, const char *path, char *errbuf)
{
	char url[CLI_PATH_MAX + sizeof(cli_base)];
	struct curl_slist *hdrs;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	snprintf(url, sizeof(url), "%s%s", cli_base, path);
	if ((hdrs = curl_slist_append(NULL, "Accept: application/vnd.tcpdump.pcap")) == NULL)
		return (rc);
	if ((s->c = cli_http_handle("GET", url, NULL, hdrs, NULL, errbuf)) != NULL) {
		curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, cli_stream_write);
		curl_easy_setopt(s->c, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(s->c, CURLOPT_XFERINFOFUNCTION, cli_stream_tick);
		curl_easy_setopt(s->c, CURLOPT_XFERINFODATA, s);
		/* A capture lasts as long as it lasts, and a quiet link sends nothing. */
		curl_easy_setopt(s->c, CURLOPT_TIMEOUT, 0L);
		curl_easy_setopt(s->c, CURLOPT_TCP_KEEPALIVE, 1L);
		s->next_ms = clock_mono_ms() + CLI_PROGRESS_MS;
		rc = curl_easy_perform(s->c);
		if (s->status == 0)
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
		curl_easy_cleanup(s->c);
		s->c = NULL;
	}
	curl_slist_free_all(hdrs);
	return (rc);
}

enum {
	CLI_CAP_STOP,   /* we stop it: a signal, or stdout's reader went away */
	CLI_CAP_ENDED,  /* the stream ended: the capture ended on the appliance */
	CLI_CAP_FAILED, /* told the user */
};

/* cli_stream_judge - why the stream is over. */
static int
cli_stream_judge(struct cli_stream *s, CURLcode rc, const char *errbuf)
{
	if (s->progress && cli_stream_ok(s)) {
		cli_stream_progress(s); /* the final count, and the line ended */
		fputc('\n', stderr);
	}
	if (rc == CURLE_OK && cli_stream_ok(s))
		return (CLI_CAP_ENDED);
	if (cli_signalled || s->werr == EPIPE)
		return (CLI_CAP_STOP);
	if (s->werr != 0)
		fprintf(stderr, "labwire: cannot write the capture: %s\n", strerror(s->werr));
	else if (s->status != 0 && !cli_stream_ok(s))
		cli_http_answer(s->status, &s->refusal, NULL);
	else if (s->status == 0)
		fprintf(stderr, "labwire: cannot reach the daemon at %s: %s\n", cli_base,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	else
		fprintf(stderr, "labwire: the capture stream broke: %s\n",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return (CLI_CAP_FAILED);
}

/* cli_capture_path - CLI_API "/labs/LAB/links/LINK/captures[/ID]TAIL", LINK and ID escaped. */
static int
cli_capture_path(
    char *buf, size_t len, const char *lab, const char *link, const char *id, const char *tail)
{
	char suffix[CLI_PATH_MAX], *el, *ei = NULL;
	int n = -1;

	if (*link == '\0') {
		fprintf(stderr, "labwire: empty link id\n");
		return (-1);
	}
	el = curl_easy_escape(NULL, link, 0);
	if (id != NULL)
		ei = curl_easy_escape(NULL, id, 0);
	if (el != NULL && (id == NULL || ei != NULL))
		n = snprintf(suffix, sizeof(suffix), "/links/%s/captures%s%s%s", el,
		    id != NULL ? "/" : "", id != NULL ? ei : "", tail);
	curl_free(el);
	curl_free(ei);
	if (n < 0 || (size_t)n >= sizeof(suffix)) {
		fprintf(stderr, "labwire: link id too long\n");
		return (-1);
	}
	return (cli_path(buf, len, lab, NULL, suffix));
}

/* cli_capture_body - the POST's JSON (caller frees), or NULL having told the user. */
static char *
cli_capture_body(const struct cli_args *a)
{
	json_t *req;
	char *body = NULL;

	if ((req = json_object()) == NULL)
		goto oom;
	if (a->filter != NULL && json_object_set_new(req, "filter", json_string(a->filter)) == -1) {
		fprintf(stderr, "labwire: the filter is not UTF-8 text\n");
		json_decref(req);
		return (NULL);
	}
	if (a->snaplen > 0 && json_object_set_new(req, "snaplen", json_integer(a->snaplen)) == -1)
		goto oom_req;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto oom_req;
	json_decref(req);
	return (body);
oom_req:
	json_decref(req);
oom:
	fprintf(stderr, "labwire: out of memory\n");
	return (NULL);
}

/* cli_capture_start - POST the capture, its id into id; 0, or -1 having told the user. */
static int
cli_capture_start(const struct cli_args *a, const char *path, char *id, size_t len)
{
	const json_t *jid;
	json_t *ans;
	char *body, b[64];
	long st;
	int ret = -1;

	if ((body = cli_capture_body(a)) == NULL)
		return (-1);
	if (cli_http("POST", path, body, &st, &ans) == 0) {
		jid = json_object_get(ans, "id");
		if (json_is_integer(jid) || (json_is_string(jid) && json_string_length(jid) > 0)) {
			snprintf(id, len, "%s", cli_jfmt(ans, "id", b, sizeof(b)));
			ret = 0;
		} else
			fprintf(stderr, "labwire: the daemon's answer has no capture id\n");
		json_decref(ans);
	}
	free(body);
	return (ret);
}

/*
 * cli_capture_finish - the capture stopped (DELETE) if it still runs, and
 * its final counts on stderr; the exit status.
 */
static int
cli_capture_finish(const char *path, const char *id, int how)
{
	int stop = (how == CLI_CAP_STOP);
	char b[3][32];
	json_t *cap = NULL;
	long st;

	/* Ended on the appliance (the lab stopped), or the stream broke while it runs on. */
	if (!stop) {
		if (cli_http("GET", path, NULL, &st, &cap) == -1)
			return (CLI_FAIL);
		if ((stop = strcmp(cli_jstr(cap, "state"), "running") == 0)) {
			json_decref(cap);
			cap = NULL;
		}
	}
	/* Stopped, its file stays on the appliance; the answer is the final object. */
	if (stop && cli_http("DELETE", path, NULL, &st, &cap) == -1)
		return (CLI_FAIL);
	fprintf(stderr, "capture %s: %s packets, %s bytes, %s dropped\n", id,
	    cli_jfmt(cap, "packets", b[0], sizeof(b[0])),
	    cli_jfmt(cap, "bytes", b[1], sizeof(b[1])),
	    cli_jfmt(cap, "dropped", b[2], sizeof(b[2])));
	json_decref(cap);
	return (how == CLI_CAP_FAILED ? CLI_FAIL : CLI_OK);
}

/*
 * cli_capture_output - where the pcap goes: stdout, or file, opened but not
 * yet truncated (an old file survives a capture that cannot start);
 * *created if it is new. The fd, or -1 having told the user.
 */
static int
cli_capture_output(const char *file, int *created)
{
	int fd;

	*created = 0;
	if (file == NULL || strcmp(file, "-") == 0)
		return (STDOUT_FILENO);
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) != -1)
		*created = 1;
	else if (errno == EEXIST)
		fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
	return (fd);
}

static int
cli_capture_truncate(int fd, const char *file)
{
	struct stat sb;

	/* A FIFO (wireshark -k -i FIFO) has nothing to cut. */
	if (fd == STDOUT_FILENO || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return (0);
	if (ftruncate(fd, 0) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	return (0);
}

static const int cli_cap_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define CLI_CAP_NSIGS (sizeof(cli_cap_sigs) / sizeof(cli_cap_sigs[0]))

/*
 * cli_capture_signals - a signal that would end us stops the capture first.
 * No SA_RESTART and nothing blocked: the signal wakes curl's wait, which then
 * asks cli_stream_tick. SIGPIPE is ignored: a gone reader shows as EPIPE.
 * A signal ignored on entry (nohup, a background job) stays ignored.
 */
static void
cli_capture_signals(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	cli_signalled = 0;
	for (size_t i = 0; i < CLI_CAP_NSIGS; i++) {
		sigaction(cli_cap_sigs[i], NULL, &old[i]);
		if (cli_cap_sigs[i] != SIGPIPE && old[i].sa_handler == SIG_IGN)
			continue;
		sa.sa_handler = cli_cap_sigs[i] == SIGPIPE ? SIG_IGN : cli_on_signal;
		sigaction(cli_cap_sigs[i], &sa, NULL);
	}
}

static void
cli_capture_signals_restore(const struct sigaction *old)
{
	for (size_t i = 0; i < CLI_CAP_NSIGS; i++)
		sigaction(cli_cap_sigs[i], &old[i], NULL);
}

/* cli_capture_follow - stream the running capture at cpath into s; how it ended. */
static int
cli_capture_follow(struct cli_stream *s, const char *cpath)
{
	char path[CLI_PATH_MAX], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (cli_signalled)
		return (CLI_CAP_STOP);
	if (snprintf(path, sizeof(path), "%s/pcap?follow=1", cpath) >= (int)sizeof(path)) {
		fprintf(stderr, "labwire: capture id too long\n");
		return (CLI_CAP_FAILED);
	}
	rc = cli_stream_run(s, path, errbuf);
	return (cli_stream_judge(s, rc, errbuf));
}

static int
cli_capture(struct cli_args *a)
{
	struct sigaction old[CLI_CAP_NSIGS];
	struct cli_stream s = {.fd = -1};
	char base[CLI_PATH_MAX], cpath[CLI_PATH_MAX], id[64];
	int created, how, ret = CLI_FAIL;

	if (a->wfile == NULL && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		    "labwire: not writing pcap to a terminal: add -w file.pcap, or pipe it:\n"
		    "  labwire capture %s %s | wireshark -k -i -\n",
		    a->pos[0], a->pos[1]);
		return (CLI_USAGE);
	}
	if (cli_capture_path(base, sizeof(base), a->pos[0], a->pos[1], NULL, "") == -1 ||
	    (s.fd = cli_capture_output(a->wfile, &created)) == -1)
		return (CLI_FAIL);
	s.progress = s.fd != STDOUT_FILENO;
	cli_capture_signals(old);
	if (cli_capture_start(a, base, id, sizeof(id)) == -1) {
		if (created)
			unlink(a->wfile);
		cli_capture_signals_restore(old);
		goto out;
	}
	fprintf(
	    stderr, "capture %s on lab %s link %s; Ctrl-C stops it\n", id, a->pos[0], a->pos[1]);
	if (cli_capture_path(cpath, sizeof(cpath), a->pos[0], a->pos[1], id, "") == -1) {
		cli_capture_signals_restore(old);
		goto out;
	}
	how = CLI_CAP_FAILED;
	if (cli_capture_truncate(s.fd, a->wfile) == 0)
		how = cli_capture_follow(&s, cpath);
	/* From here a second Ctrl-C ends us at once. */
	cli_capture_signals_restore(old);
	ret = cli_capture_finish(cpath, id, how);
out:
	if (s.fd != STDOUT_FILENO && close(s.fd) == -1 && ret == CLI_OK) {
		fprintf(stderr, "labwire: %s: %s\n", a->wfile, strerror(errno));
		ret = CLI_FAIL;
	}
	free(s.held.p);
	free(s.refusal.p);
	return (ret);
}

/* ---- links ---- */

static int
cli_link_list(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	json_t *ans;
	long st;
	int ret;

	if (cli_path(path, sizeof(path), a->pos[0], NULL, "/links") == -1 ||
	    cli_http("GET", path, NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	ret = cli_links_table(json_object_get(ans, "links"));
	json_decref(ans);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

/* cli_link_patch - PATCH LAB's link LINK with body; print what it now is. */
static int
cli_link_patch(struct cli_args *a, json_t *body)
{
	char path[CLI_PATH_MAX], suffix[64], imp[256];
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *ans;
	long st;
	int r;

	json_decref(body);
	if (text == NULL || strspn(a->pos[1], "0123456789") != strlen(a->pos[1]) ||
	    strlen(a->pos[1]) > 18) {
		fprintf(stderr, "labwire: a link is named by its id (a number)\n");
		free(text);
		return (CLI_FAIL);
	}
	snprintf(suffix, sizeof(suffix), "/links/%s", a->pos[1]);
	r = cli_path(path, sizeof(path), a->pos[0], NULL, suffix) == -1 ? -1
	    : cli_http("PATCH", path, text, &st, &ans);
	free(text);
	if (r == -1)
		return (CLI_FAIL);
	cli_impairment(json_object_get(ans, "impairment"), imp, sizeof(imp));
	printf("link %s: %s, impairment %s\n", a->pos[1], cli_jstr(ans, "state"), imp);
	json_decref(ans);
	return (CLI_OK);
}

static int
cli_link_up(struct cli_args *a)
{
	return (cli_link_patch(a, json_pack("{s:s}", "state", "up")));
}

static int
cli_link_down(struct cli_args *a)
{
	return (cli_link_patch(a, json_pack("{s:s}", "state", "down")));
}

/*
 * cli_link_impair - SPEC is "delay_ms=50,loss_pct=2.5,a_to_b.rate_kbps=1000"
 * (a JSON object works too; "" or "none" clears). Values are numbers; the
 * daemon checks the names and ranges.
 */
static int
cli_link_impair(struct cli_args *a)
{
	const char *spec = a->pos[2];
	json_t *imp;
	char *dup, *save = NULL;

	if (spec[0] == '{') {
		json_error_t je;

		if ((imp = json_loads(spec, 0, &je)) == NULL) {
			fprintf(stderr, "labwire: impairment: %s\n", je.text);
			return (CLI_FAIL);
		}
		return (cli_link_patch(a, json_pack("{s:o}", "impairment", imp)));
	}
	imp = json_object();
	if ((dup = strdup(strcmp(spec, "none") == 0 ? "" : spec)) == NULL) {
		json_decref(imp);
		return (CLI_FAIL);
	}
	for (char *kv = strtok_r(dup, ", ", &save); kv != NULL; kv = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(kv, '='), *dot, *end;
		json_t *where = imp, *num;
		double v;

		if (eq == NULL || eq == kv) {
			fprintf(stderr, "labwire: impairment: '%s' is not FIELD=NUMBER\n", kv);
			goto fail;
		}
		*eq = '\0';
		v = strtod(eq + 1, &end);
		if (*end != '\0' || end == eq + 1) {
			fprintf(stderr, "labwire: impairment: %s: '%s' is not a number\n", kv, eq + 1);
			goto fail;
		}
		if ((dot = strchr(kv, '.')) != NULL) { /* a_to_b.delay_ms */
			*dot = '\0';
			if ((where = json_object_get(imp, kv)) == NULL) {
				where = json_object();
				json_object_set_new(imp, kv, where);
			}
			kv = dot + 1;
		}
		num = v == (double)(long long)v ? json_integer((long long)v) : json_real(v);
		json_object_set_new(where, kv, num);
	}
	free(dup);
	return (cli_link_patch(a, json_pack("{s:o}", "impairment", imp)));
fail:
	free(dup);
	json_decref(imp);
	return (CLI_FAIL);
}

/* ---- images ---- */

#define CLI_UPLOAD_TICK_MS 250 /* between redraws of the upload's progress line */
/*
 * An upload gives up when nothing moved for this long. There is no limit on
 * the whole: a large image over a slow link takes what it takes, and the
 * daemon checks the image (qemu-img check) before it answers.
 */
#define CLI_UPLOAD_STALL_S 1900L /* the daemon may check a big image for up to 1800 s */

/* cli_size - n bytes for people: "512 B", "3.0 MiB", "266 MiB", "1.5 GiB". */
static void
cli_size(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u > 0 && v < 10)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%.0f %s", v, unit[u]);
}

/* cli_jsize - obj[key], a byte count, as cli_size writes it; "-" if absent. */
static const char *
cli_jsize(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ("-");
	cli_size((uint64_t)json_integer_value(v), buf, len);
	return (buf);
}

static int
cli_image_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 8};
	const json_t *img;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/images", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t,
	    (const char *[]){
	        "NAME", "FORMAT", "VIRTUAL", "SIZE", "TEMPLATE", "USED-BY", "SHA256", "STATE"});
	json_array_foreach(json_object_get(ans, "images"), i, img) {
		char b[8][64], sha[13];

		/* Twelve digits tell images apart; `image add` printed the whole sum. */
		snprintf(sha, sizeof(sha), "%s", cli_jfmt(img, "sha256", b[6], sizeof(b[6])));
		cli_table_row(&t,
		    (const char *[]){cli_jfmt(img, "name", b[0], sizeof(b[0])),
		        cli_jfmt(img, "format", b[1], sizeof(b[1])),
		        cli_jsize(img, "virtual_size", b[2], sizeof(b[2])),
		        cli_jsize(img, "size", b[3], sizeof(b[3])),
		        cli_jfmt(img, "template", b[4], sizeof(b[4])),
		        cli_jfmt(img, "used_by", b[5], sizeof(b[5])), sha,
		        cli_jfmt(img, "state", b[7], sizeof(b[7]))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

/* cli_image_path - CLI_API "/images/NAME", NAME escaped; 0, or -1 having told the user. */
static int
cli_image_path(char *buf, size_t len, const char *name)
{
	char *en;
	int n = -1;

	if (*name == '\0') {
		fprintf(stderr, "labwire: empty image name\n");
		return (-1);
	}
	if ((en = curl_easy_escape(NULL, name, 0)) != NULL)
		n = snprintf(buf, len, CLI_API "/images/%s", en);
	curl_free(en);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: image name too long\n");
		return (-1);
	}
	return (0);
}

static int
cli_image_rm(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	long st;

	if (cli_image_path(path, sizeof(path), a->pos[0]) == -1)
		return (CLI_FAIL);
	/* A 409 (a node still uses it) is told by cli_http, in the daemon's words. */
	if (cli_http("DELETE", path, NULL, &st, NULL) == -1)
		return (CLI_FAIL);
	printf("deleted image %s\n", a->pos[0]);
	return (CLI_OK);
}

/* cli_upload - a file streaming into the image store, never held in memory. */
struct cli_upload {
	const char *file;  /* as given, for messages */
	const char *label; /* its base name, for the progress line */
	int fd;
	uint64_t size;     /* when opened: the Content-Length promised */
	uint64_t read;     /* handed to curl so far */
	uint64_t sent;     /* on the wire, once the request is over */
	int rerr;          /* errno of a read that failed; ENODATA: the file shrank */
	int tty;           /* stderr is a terminal: a progress line, redrawn */
	int width;         /* of the progress line drawn and not yet ended; 0 when none */
	long long next_ms; /* of the next redraw */
};

/* cli_upload_open - FILE, a non-empty regular file, opened; 0, or -1 having told the user. */
static int
cli_upload_open(struct cli_upload *u, const char *file)
{
	const char *why = NULL, *slash = strrchr(file, '/');
	struct stat sb;

	if ((u->fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	if (fstat(u->fd, &sb) == -1)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode)) /* a pipe has no length to promise */
		why = "not a regular file";
	else if (sb.st_size == 0)
		why = "empty file";
	if (why != NULL) {
		fprintf(stderr, "labwire: %s: %s\n", file, why);
		close(u->fd);
		u->fd = -1;
		return (-1);
	}
	u->file = file;
	u->label = slash != NULL ? slash + 1 : file;
	u->size = (uint64_t)sb.st_size;
	return (0);
}

/*
 * cli_image_name - --name, else FILE's base name. The daemon judges an
 * explicit name itself; a base name it would refuse is better explained here.
 */
static const char *
cli_image_name(const struct cli_args *a, const struct cli_upload *u)
{
	if (a->name != NULL)
		return (a->name);
	if (!names_valid(u->label)) {
		fprintf(stderr,
		    "labwire: '%s' cannot be an image name (1-63 of A-Z a-z 0-9 _ . -, starting "
		    "with a letter or digit, no '..', not all digits); pass --name NAME\n",
		    u->label);
		return (NULL);
	}
	return (u->label);
}

/* cli_upload_path - CLI_API "/images?name=N[&template=T]", both escaped; 0 or -1 (told). */
static int
cli_upload_path(char *buf, size_t len, const char *name, const char *tmpl)
{
	char *en = curl_easy_escape(NULL, name, 0), *et = NULL;
	int n = -1;

	if (tmpl != NULL)
		et = curl_easy_escape(NULL, tmpl, 0);
	if (en != NULL && (tmpl == NULL || et != NULL))
		n = snprintf(buf, len, CLI_API "/images?name=%s%s%s", en, et ? "&template=" : "",
		    et ? et : "");
	curl_free(en);
	curl_free(et);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: image or template name too long\n");
		return (-1);
	}
	return (0);
}

/* cli_upload_read - curl's read callback: the next piece of the file, never past its size. */
static size_t
cli_upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct cli_upload *u = arg;
	size_t want = size * nitems;
	ssize_t n;

	if (want > u->size - u->read)
		want = (size_t)(u->size - u->read);
	if (want == 0)
		return (0);
	while ((n = read(u->fd, buf, want)) == -1 && errno == EINTR)
		;
	if (n <= 0) {
		/* The Content-Length is promised: a file that shrank cannot keep it. */
		u->rerr = n == 0 ? ENODATA : errno;
		return (CURL_READFUNC_ABORT);
	}
	u->read += (uint64_t)n;
	return ((size_t)n);
}

/* cli_upload_seek - curl rewinds the body when it must send it again. */
static int
cli_upload_seek(void *arg, curl_off_t offset, int origin)
{
	struct cli_upload *u = arg;

	if (origin != SEEK_SET || offset < 0 || lseek(u->fd, (off_t)offset, SEEK_SET) == -1)
		return (CURL_SEEKFUNC_CANTSEEK);
	u->read = (uint64_t)offset;
	return (CURL_SEEKFUNC_OK);
}

/* cli_upload_draw - line on stderr; on a terminal over the one before, padded to cover it. */
static void
cli_upload_draw(struct cli_upload *u, const char *line, int final)
{
	int n = (int)strlen(line);

	fprintf(stderr, "%s%-*s%s", u->width > 0 ? "\r" : "", u->width, line, final ? "\n" : "");
	fflush(stderr);
	u->width = final ? 0 : n > u->width ? n : u->width;
}

/* cli_upload_show - "uploading F: 45% (120 MiB of 266 MiB)", sent bytes so far. */
static void
cli_upload_show(struct cli_upload *u, uint64_t sent, int final)
{
	char line[512], a[32], b[32];

	cli_size(sent, a, sizeof(a));
	cli_size(u->size, b, sizeof(b));
	snprintf(line, sizeof(line), "uploading %s: %s%d%% (%s of %s)%s", u->label,
	    final ? "stopped at " : "", (int)(sent * 100 / u->size), a, b,
	    !final && sent == u->size ? ", the daemon checks it" : "");
	cli_upload_draw(u, line, final);
}

/*
 * cli_upload_end - the last line, always. Whole only when the daemon
 * answered: curl counts as sent what the kernel took, and a connection
 * that broke can have taken it all.
 */
static void
cli_upload_end(struct cli_upload *u, int answered)
{
	char line[512], b[32];

	if (!answered || u->sent != u->size) {
		cli_upload_show(u, u->sent, 1);
		return;
	}
	cli_size(u->size, b, sizeof(b));
	snprintf(line, sizeof(line), "uploaded %s (%s)", u->label, b);
	cli_upload_draw(u, line, 1);
}

/* cli_upload_tick - curl's progress callback, installed when stderr is a terminal. */
static int
cli_upload_tick(
    void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct cli_upload *u = arg;
	long long now = clock_mono_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (now >= u->next_ms) {
		cli_upload_show(u, (uint64_t)ulnow, 0);
		u->next_ms = now + CLI_UPLOAD_TICK_MS;
	}
	return (0);
}

static void
cli_upload_setopt(CURL *c, struct cli_upload *u)
{
	/* A POST with a Content-Length (not chunked): the body read from the file as it goes. */
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, cli_upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, u);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, cli_upload_seek);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, u);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, CLI_UPLOAD_STALL_S);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (u->tty) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, cli_upload_tick);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, u);
	}
}

/* cli_upload_run - POST the file to path: the answer into resp, its status *st; curl's code. */
static CURLcode
cli_upload_run(struct cli_upload *u, const char *path, struct cli_buf *resp, long *st, char *errbuf)
{
	char url[CLI_PATH_MAX + sizeof(cli_base)];
	/* 100-continue: a taken name or a size over the limit is refused before the
	 * first byte of the image goes out, not after the last. */
	const char *want[] = {"Accept: application/json", "Content-Type: application/octet-stream",
	    "Expect: 100-continue"};
	struct curl_slist *hdrs;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	curl_off_t sent = 0;
	CURL *c;

	snprintf(url, sizeof(url), "%s%s", cli_base, path);
	if ((hdrs = cli_headers(want, sizeof(want) / sizeof(want[0]))) == NULL)
		return (rc);
	if ((c = cli_http_easy(url, hdrs, resp, errbuf)) != NULL) {
		cli_upload_setopt(c, u);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, st);
		curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hdrs);
	u->sent = (uint64_t)sent;
	return (rc);
}

/* cli_upload_judge - the image the daemon made into *img; 0, or -1 having told the user. */
static int
cli_upload_judge(const struct cli_upload *u, CURLcode rc, long st, const struct cli_buf *resp,
    const char *errbuf, json_t **img)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);

	if (u->rerr != 0)
		fprintf(stderr, "labwire: %s: %s\n", u->file,
		    u->rerr == ENODATA ? "the file got shorter while it was sent"
		                       : strerror(u->rerr));
	/* A refusal may come before the body was all sent; it ends the upload too. */
	else if (st >= 200 && (rc == CURLE_OK || st >= 300))
		return (cli_http_answer(st, resp, img));
	else if (st == 0 && u->sent == 0)
		fprintf(stderr, "labwire: cannot reach the daemon at %s: %s\n", cli_base, why);
	else
		fprintf(stderr, "labwire: the upload broke off: %s\n", why);
	return (-1);
}

static int
cli_image_add(struct cli_args *a)
{
	char path[CLI_PATH_MAX], errbuf[CURL_ERROR_SIZE] = "", vs[32], fmt[32], sha[80];
	struct cli_upload u = {.fd = -1, .tty = isatty(STDERR_FILENO)};
	struct cli_buf resp = {0};
	const char *name;
	json_t *img = NULL;
	CURLcode rc;
	long st = 0;
	int ret = CLI_FAIL;

	if (cli_upload_open(&u, a->pos[0]) == -1)
		return (CLI_FAIL);
	if ((name = cli_image_name(a, &u)) == NULL) {
		ret = CLI_USAGE;
		goto out;
	}
	if (cli_upload_path(path, sizeof(path), name, a->tmpl) == -1)
		goto out;
	rc = cli_upload_run(&u, path, &resp, &st, errbuf);
	cli_upload_end(&u, st >= 200);
	if (cli_upload_judge(&u, rc, st, &resp, errbuf, &img) == 0) {
		printf("added image %s: %s, virtual size %s, sha256 %s\n", cli_jstr(img, "name"),
		    cli_jfmt(img, "format", fmt, sizeof(fmt)),
		    cli_jsize(img, "virtual_size", vs, sizeof(vs)),
		    cli_jfmt(img, "sha256", sha, sizeof(sha)));
		ret = CLI_OK;
	}
	json_decref(img);
out:
	free(resp.p);
	close(u.fd);
	return (ret);
}

/* ---- dispatch ---- */

static const struct cli_cmd cli_cmds[] = {
    {"lab", "list", "", 0, 0, cli_lab_list, "list labs"},
    {"lab", "create", "FILE", 1, 0, cli_lab_create,
        "create a lab from a JSON topology file (- reads stdin)"},
    {"lab", "show", "LAB", 1, 0, cli_lab_show, "a lab's nodes and links"},
    {"lab", "start", "LAB [--wait [--timeout S]]", 1, CLI_O_WAIT, cli_lab_start,
        "start every node; --wait until all run (and are ready)"},
    {"lab", "stop", "LAB [--wait [--timeout S]]", 1, CLI_O_WAIT, cli_lab_stop,
        "stop every node; --wait until all are stopped"},
    {"lab", "delete", "LAB", 1, 0, cli_lab_delete, "stop a lab and remove all it made"},
    {"node", "list", "LAB", 1, 0, cli_node_list, "a lab's nodes"},
    {"node", "start", "LAB NODE [--wait [--timeout S]]", 2, CLI_O_WAIT, cli_node_start,
        "start one node"},
    {"node", "stop", "LAB NODE [--wait [--timeout S]]", 2, CLI_O_WAIT, cli_node_stop,
        "stop one node"},
    {"link", "list", "LAB", 1, 0, cli_link_list, "a lab's links: state, datapath, impairment"},
    {"link", "up", "LAB LINK", 2, 0, cli_link_up, "bring a link up"},
    {"link", "down", "LAB LINK", 2, 0, cli_link_down,
        "take a link down (the guests see carrier loss)"},
    {"link", "impair", "LAB LINK SPEC", 3, 0, cli_link_impair,
        "set a link's impairment: delay_ms=50,loss_pct=2,a_to_b.rate_kbps=1000 (none clears)"},
    {"image", "list", "", 0, 0, cli_image_list, "the image store: disk images nodes boot"},
    {"image", "add", "FILE [--name NAME] [--template T]", 1, CLI_O_IMAGE, cli_image_add,
        "upload a disk image: qcow2, raw, vmdk, vdi, vhdx, vpc (see below)"},
    {"image", "rm", "NAME", 1, 0, cli_image_rm, "delete an image no node uses"},
    {NULL, "console", "LAB NODE [OPTIONS]", 2, CLI_O_CONSOLE, cli_console,
        "a node's serial console (see below)"},
    {NULL, "capture", "LAB LINK [-f FILTER] [-s SNAPLEN] [-w FILE|-]", 2, CLI_O_CAPTURE,
        cli_capture, "capture a link's packets as pcap (see below)"},
};
#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static const char cli_usage_tail[] =
    "\n"
    "console options:\n"
    "  (none)             interactive; leave with Ctrl-] then q\n"
    "  --print            print the console's \"HOST PORT\" and exit\n"
    "  --wait-ready       first wait until the node runs and is ready\n"
    "                     (--ready-timeout S, default 300)\n"
    "  --send TEXT        send TEXT and a carriage return\n"
    "  --expect REGEX     wait until REGEX (POSIX extended; ^ and $ match at line\n"
    "                     ends, $ also at the end of output paused for 0.3 s)\n"
    "                     matches what arrived since the previous match, \"\\r\" removed\n"
    "  --timeout S        give up after S seconds (default 30), exit 1\n"
    "  --send and --expect repeat and run in command-line order; then everything\n"
    "  received is printed. Without --expect, output is taken until 0.5 s of quiet.\n"
    "\n"
    "capture options:\n"
    "  -f, --filter FILTER   capture only what FILTER (tcpdump syntax) matches\n"
    "  -s, --snaplen N       keep at most N bytes of each packet (0: whole packets)\n"
    "  -w, --write FILE      write the pcap to FILE, with a count on stderr each second;\n"
    "                        -w - writes it to stdout, as does no -w where stdout is\n"
    "                        not a terminal: labwire capture LAB LINK | wireshark -k -i -\n"
    "  Ctrl-C (or the reader of stdout going away) stops the capture; so does the\n"
    "  lab stopping. Its final counts go to stderr; its file stays on the daemon.\n"
    "\n"
    "image add options:\n"
    "  --name NAME        the image's name (default: FILE's base name)\n"
    "  --template T       the template it is for: T's nodes that name no image boot\n"
    "                     the newest one added for T\n"
    "  The file streams to the daemon, with its progress on stderr when that is a\n"
    "  terminal; the daemon checks it (qemu-img) before it answers.\n"
    "\n"
    "The daemon is at --url URL, else $LABWIRE_URL, else " CLI_DEFAULT_URL ".\n"
    "LAB and NODE are names or ids, LINK is an id. Exit status: 0 done, 1 failed,\n"
    "2 usage.\n";

static void
cli_usage(FILE *f)
{
	char left[64];

	fprintf(f, "usage: labwire [--url URL] COMMAND [ARGS]\n\ncommands:\n");
	fprintf(f, "  %-36s%s\n", "serve [OPTIONS]", "run the daemon");
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		snprintf(left, sizeof(left), "%s%s%s%s%s", c->group ? c->group : "",
		    c->group ? " " : "", c->name, *c->args ? " " : "", c->args);
		if (strlen(left) < 35)
			fprintf(f, "  %-36s%s\n", left, c->help);
		else
			fprintf(f, "  %s\n  %-36s%s\n", left, "", c->help);
	}
	fputs(cli_usage_tail, f);
}

/* cli_find - the command argv names; *used is how many words named it. */
static const struct cli_cmd *
cli_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		if (c->group == NULL && strcmp(argv[0], c->name) == 0) {
			*used = 0;
			return (c);
		}
		if (c->group != NULL && argc > 1 && strcmp(argv[0], c->group) == 0 &&
		    strcmp(argv[1], c->name) == 0) {
			*used = 1;
			return (c);
		}
	}
	fprintf(stderr, "labwire: unknown command '%s%s%s'\n", argv[0], argc > 1 ? " " : "",
	    argc > 1 ? argv[1] : "");
	return (NULL);
}

/* cli_global - --url and --help before the command; index of the command, or -1. */
static int
cli_global(int argc, char **argv, const char **url)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			*url = argv[++i];
		else if (strncmp(argv[i], "--url=", 6) == 0)
			*url = argv[i] + 6;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage(stdout);
			return (-1);
		} else {
			fprintf(stderr, "labwire: unknown option '%s'\n", argv[i]);
			cli_usage(stderr);
			return (-1);
		}
	}
	if (i == argc || strcmp(argv[i], "help") == 0) {
		cli_usage(i == argc ? stderr : stdout);
		return (-1);
	}
	return (i);
}

int
cli_main(int argc, char **argv)
{
	const char *url = getenv("LABWIRE_URL");
	const struct cli_cmd *cmd;
	struct cli_args a;
	int i, used, ret;

	if ((i = cli_global(argc, argv, &url)) == -1)
		return (CLI_USAGE);
	if (cli_set_url(url != NULL && *url != '\0' ? url : CLI_DEFAULT_URL) == -1) {
		fprintf(stderr, "labwire: --url too long\n");
		return (CLI_USAGE);
	}
	if ((cmd = cli_find(argc - i, argv + i, &used)) == NULL) {
		cli_usage(stderr);
		return (CLI_USAGE);
	}
	if (cli_parse(cmd, argc - i - used, argv + i + used, &a) == -1)
		return (CLI_USAGE);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmd->run(&a);
	curl_global_cleanup();
	fflush(stdout);
	return (ret);
}
