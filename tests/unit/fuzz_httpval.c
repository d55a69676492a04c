/*
 * fuzz_httpval - libFuzzer target for the request values the server reads
 * beyond routing (web/httpval): Accept-Encoding, If-None-Match, ?limit and
 * ?after. Whatever comes in: no crash, a page within its bounds, and a
 * reason whenever a value is refused.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/httpval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *half, why[160] = "";
	int lim = -1;
	int64_t aft = -1;

	if (s == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	half = s + strlen(s) / 2;
	(void)httpval_gzip(s);
	(void)httpval_etag_named(s, half);
	if (httpval_page(s, half, &lim, &aft, why, sizeof(why)) == 0) {
		assert(lim >= 0 && lim <= HTTPVAL_PAGE_MAX);
		assert(aft >= 0);
	} else {
		assert(why[0] != '\0');
	}
	free(s);
	return (0);
}
