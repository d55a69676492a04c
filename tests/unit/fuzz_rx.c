/*
 * fuzz_rx - libFuzzer target for the bounded regexes (core/base/rx.c), the
 * patterns users give: an exec's expect, a template's ready_pattern and
 * prompt. The input is FLAGS (1 byte) PATTERN NUL SUBJECT. Besides ASan's
 * checks: a pattern either compiles or is refused with a message; a match
 * lies inside the text searched, after its start; a partial match starts
 * inside it too; and searching the text in two steps (a partial first, as
 * exec does while output arrives) never finds a match that starts before
 * where the partial said none could start.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/base/rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_err e = {0};
	const char *nul;
	char *pat;
	const char *subj;
	size_t plen, slen, so = 0, eo = 0, half, so_full, eo_full;
	struct rx *r;
	int flags, m, full;

	if (size < 1)
		return (0);
	flags = data[0] & 1 ? RX_LINES : 0;
	data++;
	size--;
	if ((nul = memchr(data, '\0', size)) == NULL)
		return (0);
	plen = (size_t)(nul - (const char *)data);
	if ((pat = malloc(plen + 1)) == NULL)
		return (0);
	memcpy(pat, data, plen + 1);
	subj = nul + 1;
	slen = size - plen - 1;
	r = rx_new(pat, flags, &e);
	free(pat);
	if (r == NULL) {
		if (e.msg[0] == '\0')
			abort(); /* a refusal always says why */
		return (0);
	}
	m = rx_match(r, subj, slen, 0, false, &so, &eo, &e);
	if (m == RX_MATCH && (so > eo || eo > slen))
		abort();
	if (m == -1 && e.msg[0] == '\0')
		abort();
	full = m;
	so_full = so;
	eo_full = eo;
	/* In two steps: the first half with more to come, then the rest from the partial's start.
	 */
	half = slen / 2;
	memset(&e, 0, sizeof(e));
	m = rx_match(r, subj, half, 0, true, &so, &eo, &e);
	if ((m == RX_MATCH && (so > eo || eo > half)) || (m == RX_PARTIAL && so > half))
		abort();
	/* A match reaching past the half was a partial there, no later than its start. */
	if (full == RX_MATCH && eo_full > half && m == RX_PARTIAL && so > so_full)
		abort();
	if (m == RX_PARTIAL) {
		size_t so2 = 0, eo2 = 0;

		m = rx_match(r, subj, slen, so, false, &so2, &eo2, &e);
		if (m == RX_MATCH && (so2 < so || so2 > eo2 || eo2 > slen))
			abort();
	}
	rx_free(r);
	return (0);
}
