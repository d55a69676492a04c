/*
 * console - the "console" command: find a node's telnet console through
 * the daemon, then print where it is (--print), drive it with --send and
 * --expect (script.c), or hand the terminal to it (session.c). The console
 * itself is reached over telnet directly, never through the REST API.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/cli/cli_int.h"
#include "core/cli/telnet_client.h"

#define CLI_CONNECT_MS 5000
#define CLI_LOGIN_MS 10000 /* for the console's login prompts */
#define CLI_TOKEN_MAX 256  /* the longest secret the console's login takes */

/* Where a node's console is, and the token that logs in to it ("" when there is none). */
struct cli_console {
	char host[256];
	int port;
	char token[CLI_TOKEN_MAX + 1];
};

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
	if (curl_url_set(u, CURLUPART_URL, cli_http_base(), 0) == CURLUE_OK &&
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

/* cli_console_token - the console's login token, if the daemon showed us one. */
static void
cli_console_token(const json_t *con, struct cli_console *t)
{
	const char *token = json_string_value(json_object_get(con, "token"));

	snprintf(t->token, sizeof(t->token), "%s", token != NULL ? token : "");
}

/* cli_console_target - the node's console host, port and token; 0, or -1 having told the user. */
static int
cli_console_target(struct cli_args *a, struct cli_console *t)
{
	char state[32];
	const json_t *con;
	json_t *node;
	const char *type;
	int ret = -1;

	if (cli_http_lab("GET", a->pos[0], a->pos[1], "", NULL, &node) == -1)
		return (-1);
	con = json_object_get(node, "console");
	type = json_string_value(json_object_get(con, "type"));
	t->port = (int)json_integer_value(json_object_get(con, "port"));
	if (json_string_value(json_object_get(con, "host")) == NULL || t->port <= 0 ||
	    t->port > 65535)
		fprintf(stderr, "labwire: node %s/%s has no console (state: %s)\n", a->pos[0],
		    a->pos[1], cli_fmt_field(node, "state", state, sizeof(state)));
	else if (type != NULL && strcmp(type, "telnet") != 0)
		fprintf(stderr, "labwire: node %s/%s has a %s console, not telnet\n", a->pos[0],
		    a->pos[1], type);
	else {
		cli_console_host(
		    json_string_value(json_object_get(con, "host")), t->host, sizeof(t->host));
		cli_console_token(con, t);
		ret = 0;
	}
	json_decref(node);
	return (ret);
}

static int
cli_console_ready(struct cli_args *a)
{
	char what[192];

	snprintf(what, sizeof(what), "node %s/%s", a->pos[0], a->pos[1]);
	return (cli_wait_ready(what, a->pos[0], a->pos[1], a->ready_timeout));
}

/*
 * cli_console_open - connect to the console and, when it takes a token,
 * log in with it; the session or NULL having told the user.
 */
static struct telnet_client *
cli_console_open(const struct cli_args *a, const struct cli_console *t)
{
	struct telnet_client *tc = telnet_client_connect(t->host, t->port, CLI_CONNECT_MS);

	if (tc == NULL) {
		fprintf(stderr, "labwire: cannot connect to the console of %s/%s at %s:%d: %s\n",
		    a->pos[0], a->pos[1], t->host, t->port, strerror(errno));
		return (NULL);
	}
	if (t->token[0] != '\0' && telnet_client_login(tc, "token", t->token, CLI_LOGIN_MS) == -1) {
		fprintf(stderr, "labwire: cannot log in to the console of %s/%s: %s\n", a->pos[0],
		    a->pos[1], strerror(errno));
		telnet_client_close(tc);
		return (NULL);
	}
	return (tc);
}

int
cli_console(struct cli_args *a)
{
	struct telnet_client *tc;
	struct cli_console t;
	int ret = CLI_FAIL;

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
	if (cli_console_target(a, &t) == -1)
		goto out;
	if (a->print) {
		printf("%s %d\n", t.host, t.port);
		ret = CLI_OK;
		goto out;
	}
	tc = cli_console_open(a, &t);
	explicit_bzero(t.token, sizeof(t.token));
	if (tc == NULL)
		goto out;
	ret = a->nsteps > 0 ? cli_script(a, tc) : cli_session(a, t.host, t.port, tc);
	telnet_client_close(tc);
out:
	cli_script_free(a);
	return (ret);
}
