/*
 * httpval - request header and query values (see httpval.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/names.h"
#include "web/httpval.h"

bool
httpval_host_known(const char *host, char *const *names, int port, int dflt)
{
	char name[256];
	int p;

	if (names_host_split(host, name, sizeof(name), &p, dflt) == -1 || p != port)
		return (false);
	for (char *const *n = names; n != NULL && *n != NULL; n++)
		if (strcasecmp(*n, name) == 0)
			return (true);
	return (false);
}

bool
httpval_origin_is_host(const char *origin, const char *host)
{
	const char *p = origin != NULL ? strstr(origin, "://") : NULL;

	return (p != NULL && host != NULL && strcasecmp(p + 3, host) == 0);
}

enum httpval_trust
httpval_trusted(const char *method, const char *host, const char *origin, char *const *names,
    int port, int dflt)
{
	if (!httpval_host_known(host, names, port, dflt))
		return (HTTPVAL_BAD_HOST);
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || origin == NULL ||
	    httpval_origin_is_host(origin, host))
		return (HTTPVAL_TRUSTED);
	return (HTTPVAL_BAD_ORIGIN);
}

bool
httpval_gzip(const char *ae)
{
	char buf[256], *tok, *save = NULL;

	if (ae == NULL || strlen(ae) >= sizeof(buf))
		return (false);
	snprintf(buf, sizeof(buf), "%s", ae);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *semi = strchr(tok, ';'), *q;
		size_t n;

		tok += strspn(tok, " \t");
		n = semi != NULL ? (size_t)(semi - tok) : strlen(tok);
		while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
			n--;
		if (!((n == 4 && strncasecmp(tok, "gzip", 4) == 0) || (n == 1 && tok[0] == '*')))
			continue;
		if (semi == NULL || (q = strstr(semi, "q=")) == NULL)
			return (true);
		return (strtod(q + 2, NULL) > 0);
	}
	return (false);
}

bool
httpval_etag_named(const char *inm, const char *etag)
{
	size_t n;

	if (inm == NULL || etag == NULL || (n = strlen(etag)) == 0)
		return (false);
	for (const char *p = inm; *p != '\0';) {
		p += strspn(p, " \t,");
		if (p[0] == '*' && (p[1] == '\0' || strchr(" \t,", p[1]) != NULL))
			return (true);
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || strchr(" \t,", p[n]) != NULL))
			return (true);
		p += strcspn(p, ",");
	}
	return (false);
}

/* A whole decimal number in [min, max]; -1 otherwise. */
static long long
decimal(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 19)
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	return (*end == '\0' && errno == 0 && v >= min && v <= max ? v : -1);
}

int
httpval_page(const char *limit, const char *after, int *lim, int64_t *aft, char *why, size_t whylen)
{
	long long v;

	*lim = 0;
	*aft = 0;
	if (limit != NULL) {
		if ((v = decimal(limit, 1, HTTPVAL_PAGE_MAX)) == -1) {
			snprintf(why, whylen,
			    "limit must be a whole number from 1 to %d, not '%.32s'",
			    HTTPVAL_PAGE_MAX, limit);
			return (-1);
		}
		*lim = (int)v;
	}
	if (after != NULL) {
		if ((v = decimal(after, 0, INT64_MAX)) == -1) {
			snprintf(why, whylen,
			    "after must be an id (the \"next\" of the page before), not '%.32s'",
			    after);
			return (-1);
		}
		*aft = v;
	}
	return (0);
}
