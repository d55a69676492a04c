/*
 * fuzz_grade - libFuzzer target for labs/gradeparse: what a guest prints on
 * its console is the learner's to shape, so every parser grading reads it
 * with gets whatever bytes came. The input is "COMMAND\n" then the output
 * as a console gave it (echo, text, prompt). Besides ASan's checks: every
 * detail is a NUL-terminated string of less than GRADE_DETAIL_MAX bytes
 * without control characters but the tab, and the body is no longer than
 * the output it came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labs/gradeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
detail_ok(const char *d)
{
	size_t n = strnlen(d, GRADE_DETAIL_MAX);

	if (n >= GRADE_DETAIL_MAX)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)d[i] < 0x20 && d[i] != '\t')
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *nl, *body, d[GRADE_DETAIL_MAX];

	if (in == NULL)
		return (0);
	memcpy(in, data, size);
	in[size] = '\0';
	nl = strchr(in, '\n');
	if (nl != NULL)
		*nl = '\0';
	body = gradeparse_body(nl != NULL ? nl + 1 : "", in);
	if (body == NULL || strlen(body) > size)
		__builtin_trap();
	gradeparse_ping(body, size & 1, d, sizeof(d));
	detail_ok(d);
	gradeparse_route_frr(body, "10.0.3.0/24", (size & 2) ? "10.0.13.3" : NULL, d, sizeof(d));
	detail_ok(d);
	gradeparse_route_linux(body, (size & 4) ? "0.0.0.0/0" : "10.0.4.9/32",
	    (size & 2) ? "10.0.1.1" : NULL, d, sizeof(d));
	detail_ok(d);
	gradeparse_ospf(body, 2, d, sizeof(d));
	detail_ok(d);
	gradeparse_bgp(body, "10.0.0.2", d, sizeof(d));
	detail_ok(d);
	gradeparse_match(body, "^ ?ip address [0-9.]+/24$", size & 8, d, sizeof(d));
	detail_ok(d);
	free(body);
	free(in);
	return (0);
}
