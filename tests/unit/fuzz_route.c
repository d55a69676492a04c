/*
 * fuzz_route - libFuzzer target for what decides who answers a request
 * before any handler runs: the route table's matcher (web/api.c api_route,
 * api_route_reads, api_path_known) and the Host and Origin checks
 * (web/httpval.c httpval_trusted). The input is "METHOD\nURL\nHOST\nORIGIN"
 * (no ORIGIN line: no Origin header). Besides ASan's checks: a route found
 * is the method's and its pattern with the captured segments put back is
 * the URL (so a segment never holds a '/'); a Host accepted names one of the
 * daemon's names on its port; an Origin accepted ends with the Host; a
 * write from a page elsewhere is refused. The HOST line is also taken as a
 * console's Sec-WebSocket-Key (web/ws.c ws_accept_key): one accepted is 24
 * characters and gets a 28-character answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/api.h"
#include "web/httpval.h"
#include "web/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pattern with r's segments for its {}: the URL the route was found for. */
static void
fuzz_rebuild(const char *pattern, const struct api_req *r, const char *url)
{
	size_t cap = strlen(url) + 2, n = 0;
	char *out = calloc(1, cap), *sl;
	int k = 0;

	if (out == NULL)
		return;
	for (const char *p = pattern; *p != '\0';) {
		if (strncmp(p, "{}", 2) == 0) {
			if (k >= r->nparams || r->params[k][0] == '\0' ||
			    (sl = strchr(r->params[k], '/')) != NULL)
				__builtin_trap();
			if (n + strlen(r->params[k]) >= cap)
				__builtin_trap();
			memcpy(out + n, r->params[k], strlen(r->params[k]));
			n += strlen(r->params[k++]);
			p += 2;
		} else {
			if (n + 1 >= cap)
				__builtin_trap();
			out[n++] = *p++;
		}
	}
	/* One trailing '/' is the same path. */
	if (k != r->nparams ||
	    (strcmp(out, url) != 0 &&
	        !(strlen(url) == n + 1 && strncmp(out, url, n) == 0 && url[n] == '/')))
		__builtin_trap();
	free(out);
}

static void
fuzz_routes(const char *method, const char *url)
{
	struct api_req r = {.nparams = 0};
	const struct api_route *rt = api_route(method, url, &r);

	if (rt == NULL) {
		if (api_route_reads(method, url))
			__builtin_trap();
		return;
	}
	if (strcmp(rt->method, method) != 0 || !api_path_known(url) || r.nparams > API_MAX_PARAMS)
		__builtin_trap();
	fuzz_rebuild(rt->pattern, &r, url);
	for (int i = 0; i < r.nparams; i++)
		free(r.params[i]);
}

static void
fuzz_host_origin(const char *method, const char *host, const char *origin)
{
	static char *const names[] = {"localhost", "lab.example", "::1", "192.0.2.7", NULL};
	bool known = httpval_host_known(host, names, 8080, 80), found = false;
	enum httpval_trust tr = httpval_trusted(method, host, origin, names, 8080, 80);
	bool reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	for (int i = 0; known && names[i] != NULL; i++)
		found = found || strcasestr(host, names[i]) != NULL;
	if (known && (!found || strstr(host, "8080") == NULL))
		__builtin_trap();
	if (httpval_origin_is_host(origin, host)) {
		size_t ol = strlen(origin), hl = strlen(host);

		if (strstr(origin, "://") == NULL || ol < hl + 3 ||
		    strcasecmp(origin + ol - hl, host) != 0)
			__builtin_trap();
	}
	if ((tr == HTTPVAL_BAD_HOST) != !known)
		__builtin_trap();
	if (tr == HTTPVAL_TRUSTED && !reads && origin != NULL &&
	    !httpval_origin_is_host(origin, host))
		__builtin_trap();
	if (tr == HTTPVAL_BAD_ORIGIN && (reads || origin == NULL))
		__builtin_trap();
	/* The bare server names: the default port is not ours, so never known. */
	if (httpval_host_known("localhost", names, 8080, 80))
		__builtin_trap();
}

static void
fuzz_ws_key(const char *key)
{
	char out[29];

	if (ws_accept_key(key, out) == 0 && (strlen(key) != 24 || strlen(out) != 28))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *part[4] = {"", "", "", NULL}, *p, *nl;

	if (s == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	p = s;
	/* Three lines, and the Origin the rest. */
	for (int i = 0; i < 4 && p != NULL; i++) {
		part[i] = p;
		if (i < 3 && (nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = NULL;
		p = nl;
	}
	fuzz_routes(part[0], part[1]);
	fuzz_host_origin(part[0], part[2], part[3]);
	fuzz_ws_key(part[2]);
	free(s);
	return (0);
}
