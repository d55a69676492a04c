/*
 * httpval - the values of request headers and query parameters the server
 * reads beyond routing: Accept-Encoding (does it take gzip), If-None-Match
 * (does it name a copy), ?limit and ?after (a page). Pure functions of
 * strings, bounded, for the fuzzer (tests/unit/fuzz_httpval.c).
 */
#ifndef LW_HTTPVAL_H
#define LW_HTTPVAL_H

#include <stdbool.h>
#include <stdint.h>

/* The largest page a list gives. */
#define HTTPVAL_PAGE_MAX 10000

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
