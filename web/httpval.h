/*
 * httpval - the values of request headers and query parameters the server
 * reads: Host (is it one of our names), Origin (is it our own page),
 * Accept-Encoding (does it take gzip), If-None-Match (does it name a copy),
 * ?limit and ?after (a page). Pure functions of strings, bounded, for the
 * fuzzers (tests/unit/fuzz_httpval.c, fuzz_route.c).
 */
#ifndef LW_HTTPVAL_H
#define LW_HTTPVAL_H

#include <stdbool.h>
#include <stdint.h>

/* The largest page a list gives. */
#define HTTPVAL_PAGE_MAX 10000

/*
 * httpval_host_known - Host "name", "name:port", "[v6]" or "[v6]:port" is
 * one of names (NULL-terminated; any case) on port (dflt when it names none).
 */
bool httpval_host_known(const char *host, char *const *names, int port, int dflt);
/* httpval_origin_is_host - Origin "scheme://host[:port]" names exactly Host host. */
bool httpval_origin_is_host(const char *origin, const char *host);
enum httpval_trust { HTTPVAL_TRUSTED, HTTPVAL_BAD_HOST, HTTPVAL_BAD_ORIGIN };
/*
 * httpval_trusted - what a web page elsewhere could make a browser send
 * here is refused: the Host must be one of names on port (a rebound DNS
 * name is refused, whatever the bind address), and a request other than
 * GET or HEAD that carries an Origin must come from this daemon's own page
 * (curl and the CLI send no Origin).
 */
enum httpval_trust httpval_trusted(const char *method, const char *host, const char *origin,
    char *const *names, int port, int dflt);
/* httpval_gzip - Accept-Encoding takes gzip: "gzip" (or "*") with no q, or a q above 0. */
bool httpval_gzip(const char *accept_encoding);
/*
 * httpval_etag_named - If-None-Match ("*", or a list of ETags, weak or not)
 * names etag (quotes included) exactly: weak comparison, RFC 9110 13.1.2.
 */
bool httpval_etag_named(const char *if_none_match, const char *etag);
/*
 * httpval_page - ?limit (1..HTTPVAL_PAGE_MAX; NULL: 0, all) and ?after (an id
 * >= 0; NULL: 0). 0, or -1 with what is wrong in why.
 */
int httpval_page(
    const char *limit, const char *after, int *lim, int64_t *aft, char *why, size_t whylen);

#endif
