/* Request header and query values: Accept-Encoding, If-None-Match, ?limit and ?after. */
#include <string.h>

#include "test.h"
#include "web/httpval.h"

int
main(void)
{
	char why[160], big[600];
	int lim;
	int64_t aft;

	/* gzip taken: listed, with or without a q above 0, any case, or "*". */
	CHECK(httpval_gzip("gzip"));
	CHECK(httpval_gzip("gzip, deflate, br"));
	CHECK(httpval_gzip("br, GZip"));
	CHECK(httpval_gzip("deflate, gzip;q=0.5"));
	CHECK(httpval_gzip(" gzip ; q=1"));
	CHECK(httpval_gzip("*"));
	/* Refused: q=0, absent, a look-alike, nothing, or a header too long to read. */
	CHECK(!httpval_gzip("gzip;q=0"));
	CHECK(!httpval_gzip("gzip;q=0.000, identity"));
	CHECK(!httpval_gzip("identity"));
	CHECK(!httpval_gzip("x-gzip2"));
	CHECK(!httpval_gzip("gzipx"));
	CHECK(!httpval_gzip(""));
	CHECK(!httpval_gzip(NULL));
	memset(big, ' ', sizeof(big) - 6);
	strcpy(big + sizeof(big) - 6, "gzip");
	CHECK(!httpval_gzip(big));

	/* If-None-Match: the exact ETag in a list, weak or not, or "*". */
	CHECK(httpval_etag_named("\"0123abcd\"", "\"0123abcd\""));
	CHECK(httpval_etag_named("\"x\", W/\"0123abcd\"", "\"0123abcd\""));
	CHECK(httpval_etag_named("\"x\",\"0123abcd-gz\"", "\"0123abcd-gz\""));
	CHECK(httpval_etag_named("*", "\"0123abcd\""));
	/* Not another form's ETag, nor one that merely holds it. */
	CHECK(!httpval_etag_named("\"0123abcd-gz\"", "\"0123abcd\""));
	CHECK(!httpval_etag_named("\"0123abcd\"", "\"0123abcd-gz\""));
	CHECK(!httpval_etag_named("\"0123abce\"", "\"0123abcd\""));
	CHECK(!httpval_etag_named("**", "\"0123abcd\""));
	CHECK(!httpval_etag_named(NULL, "\"0123abcd\""));
	CHECK(!httpval_etag_named("\"\"", ""));

	/* Pages. */
	CHECK(httpval_page(NULL, NULL, &lim, &aft, why, sizeof(why)) == 0 && lim == 0 && aft == 0);
	CHECK(
	    httpval_page("20", "41", &lim, &aft, why, sizeof(why)) == 0 && lim == 20 && aft == 41);
	CHECK(httpval_page("10000", "0", &lim, &aft, why, sizeof(why)) == 0 && lim == 10000);
	CHECK(httpval_page(NULL, "9223372036854775807", &lim, &aft, why, sizeof(why)) == 0 &&
	    aft == INT64_MAX);
	for (const char **bad = (const char *[]){"0", "-1", "10001", "x", "1x", " 1", "+1", "",
	         "99999999999999999999", NULL};
	     *bad; bad++) {
		CHECK(httpval_page(*bad, NULL, &lim, &aft, why, sizeof(why)) == -1);
		CHECK(strstr(why, "limit") != NULL);
	}
	for (const char **bad = (const char *[]){"-1", "x", "1.5", "", "9223372036854775808", NULL};
	     *bad; bad++) {
		CHECK(httpval_page(NULL, *bad, &lim, &aft, why, sizeof(why)) == -1);
		CHECK(strstr(why, "after") != NULL);
	}
	TEST_DONE();
}
