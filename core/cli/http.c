/*
 * http - the CLI's REST calls over libcurl: the daemon's base URL, one
 * request with its answer judged (cli_http), and the pieces the streaming
 * commands (capture, image add) build their own requests from. Every error
 * is told the user here, as "labwire: ..." on stderr; nothing here exits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

static char cli_base[1024] = CLI_DEFAULT_URL;
static char cli_token[256];   /* sent as "Authorization: Bearer"; "" for none */
static char cli_cacert[1024]; /* PEM file to verify an https daemon with; "" for the system's */

int
cli_set_token(const char *token)
{
	if (token == NULL)
		token = "";
	if (strlen(token) >= sizeof(cli_token) || strpbrk(token, "\r\n") != NULL) {
		errno = EINVAL;
		return (-1);
	}
	snprintf(cli_token, sizeof(cli_token), "%s", token);
	return (0);
}

bool
cli_has_token(void)
{
	return (cli_token[0] != '\0');
}

int
cli_set_cacert(const char *path)
{
	if (path == NULL)
		path = "";
	if (strlen(path) >= sizeof(cli_cacert)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	snprintf(cli_cacert, sizeof(cli_cacert), "%s", path);
	return (0);
}

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

const char *
cli_http_base(void)
{
	return (cli_base);
}

static size_t
cli_http_collect(char *p, size_t size, size_t nmemb, void *arg)
{
	/* Returning less than given makes curl stop with a write error. */
	if (cli_buf_add(arg, p, size * nmemb) == -1)
		return (0);
	return (size * nmemb);
}

struct curl_slist *
cli_http_headers(const char *const *want, size_t n)
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
cli_http_json_headers(const char *body)
{
	const char *want[] = {
	    "Accept: application/json",
	    /* No "Expect: 100-continue" round trip for a large lab file. */
	    "Expect:",
	    body != NULL ? "Content-Type: application/json" : NULL,
	};

	return (cli_http_headers(want, sizeof(want) / sizeof(want[0])));
}

CURL *
cli_http_easy(const char *path, struct curl_slist *hdrs, struct cli_buf *resp, char *errbuf)
{
	char url[CLI_PATH_MAX + sizeof(cli_base)];
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	/* curl keeps a copy of the URL. */
	snprintf(url, sizeof(url), "%s%s", cli_base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "labwire-cli");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	if (cli_token[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, cli_token);
	}
	if (cli_cacert[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, cli_cacert);
	return (c);
}

CURL *
cli_http_handle(const char *method, const char *path, const char *body, struct curl_slist *hdrs,
    struct cli_buf *resp, char *errbuf)
{
	CURL *c;

	if ((c = cli_http_easy(path, hdrs, resp, errbuf)) == NULL)
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

int
cli_http_answer(long status, const struct cli_buf *resp, json_t **out)
{
	const char *msg;
	char clean[1024];
	json_error_t jerr;
	json_t *j = NULL;

	if (resp->n > 0)
		j = json_loadb(resp->p, resp->n, 0, &jerr);
	if (status < 200 || status > 299) {
		msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
		/* The message may quote what a user sent (a lab file's names): no escapes. */
		fprintf(stderr, "labwire: %s (HTTP %ld)\n",
		    msg != NULL ? cli_fmt_text(msg, clean, sizeof(clean))
		                : "the daemon refused the request",
		    status);
		if (status == 401)
			fprintf(stderr,
			    "labwire: log in with `labwire login` (or set $LABWIRE_TOKEN)\n");
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

const char *
cli_http_why(CURLcode rc, const char *errbuf)
{
	return (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
}

void
cli_http_unreachable(CURLcode rc, const char *errbuf)
{
	fprintf(stderr, "labwire: cannot reach the daemon at %s: %s\n", cli_base,
	    cli_http_why(rc, errbuf));
}

int
cli_http(const char *method, const char *path, const char *body, long *status, json_t **out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct cli_buf resp = {0};
	struct curl_slist *hdrs;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	*status = 0;
	if (out != NULL)
		*out = NULL;
	if ((hdrs = cli_http_json_headers(body)) == NULL) {
		fprintf(stderr, "labwire: out of memory\n");
		goto fail;
	}
	if ((c = cli_http_handle(method, path, body, hdrs, &resp, errbuf)) == NULL) {
		fprintf(stderr, "labwire: cannot set up an HTTP request\n");
		goto fail_hdrs;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		cli_http_unreachable(rc, errbuf);
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
 * LAB and NODE are names or ids, but a typo with "/" or "?" must not turn
 * into another request: both are escaped.
 */
int
cli_http_path(char *buf, size_t len, const char *lab, const char *node, const char *suffix)
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

int
cli_http_lab(const char *method, const char *lab, const char *node, const char *suffix,
    const char *body, json_t **out)
{
	char path[CLI_PATH_MAX];
	long st;

	if (cli_http_path(path, sizeof(path), lab, node, suffix) == -1)
		return (-1);
	return (cli_http(method, path, body, &st, out));
}
