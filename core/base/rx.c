/* rx - bounded regular expressions over PCRE2. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/base/rx.h"

/* What one pattern has allocated: PCRE2 asks this budget for all its memory. */
struct rx_budget {
	size_t used;
	size_t max;
	bool refused; /* an allocation was over the budget */
};

/* The budget lives beside the code: PCRE2 frees the code through it. */
struct rx {
	pcre2_code *code;
	struct rx_budget b;
};

static void *
rx_alloc(size_t n, void *data)
{
	struct rx_budget *b = data;
	size_t *p;

	if (n > b->max - b->used) {
		b->refused = true;
		return (NULL);
	}
	if ((p = malloc(sizeof(size_t) + n)) == NULL)
		return (NULL);
	b->used += n;
	p[0] = n;
	return (p + 1);
}

static void
rx_release(void *ptr, void *data)
{
	struct rx_budget *b = data;
	size_t *p = ptr;

	if (p == NULL)
		return;
	b->used -= p[-1];
	free(p - 1);
}

/* One match context for every match: it is only read once made. */
static pcre2_match_context *rx_mctx;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void
rx_mctx_init(void)
{
	if ((rx_mctx = pcre2_match_context_create(NULL)) == NULL)
		return;
	pcre2_set_match_limit(rx_mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(rx_mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(rx_mctx, RX_HEAP_KIB);
}

/* What the search from one slice of start positions has cost so far. */
struct rx_steps {
	unsigned long steps;
	unsigned long long read; /* bytes the match moved forward between callouts */
	PCRE2_SIZE start;        /* the start position of the latest callout */
	PCRE2_SIZE pos;          /* its subject position */
};

/*
 * PCRE2's match limit counts per start position: over a long text, a
 * pattern just under it at every position would still cost minutes. So
 * every pattern is compiled with automatic callouts, and this one counts
 * the items tried from RX_SLICE start positions and ends the search past
 * RX_STEPS_MAX (rx_match searches a slice of start positions at a time).
 * One item may read far ("[^\n]*+" over a line with no end reads the rest
 * of the text from every start position): the bytes the match moved forward
 * since the last callout count too, RX_READ_PER_STEP of them a step (reading
 * a byte costs a small part of what a callout does).
 */
static int
rx_step(pcre2_callout_block *cb, void *data)
{
	struct rx_steps *st = data;

	if (cb->start_match != st->start) {
		st->start = cb->start_match;
		st->pos = cb->start_match;
	}
	st->steps++;
	if (cb->current_position > st->pos)
		st->read += cb->current_position - st->pos;
	st->pos = cb->current_position;
	return (st->steps + st->read / RX_READ_PER_STEP > RX_STEPS_MAX ? PCRE2_ERROR_CALLOUT : 0);
}

/* Back-references: "\1".."\9", "\g", "\k" and "(?P=" name a group's text. */
static bool
rx_has_backref(const char *p)
{
	for (; *p; p++)
		if (p[0] == '(' && p[1] == '?' && p[2] == 'P' && p[3] == '=')
			return (true);
		else if (p[0] == '\\' &&
		    ((p[1] >= '1' && p[1] <= '9') || p[1] == 'g' || p[1] == 'k'))
			return (true);
		else if (p[0] == '\\' && p[1] != '\0')
			p++;
	return (false);
}

/* Compile pattern with the compile limits; NULL with e. */
static pcre2_code *
rx_compile(const char *pattern, uint32_t opts, struct rx_budget *b, struct lw_err *e)
{
	pcre2_general_context *g = pcre2_general_context_create(rx_alloc, rx_release, b);
	pcre2_compile_context *cc = g ? pcre2_compile_context_create(g) : NULL;
	pcre2_code *code = NULL;
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off = 0;
	int rc = 0;

	if (cc != NULL) {
		pcre2_set_max_pattern_length(cc, RX_PATTERN_MAX);
		pcre2_set_parens_nest_limit(cc, RX_NEST_MAX);
		code =
		    pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &rc, &off, cc);
	}
	if (code == NULL && (cc == NULL || b->refused))
		err_set(e, ERR_INVALID,
		    "the pattern needs more than the %d KiB compiling may use (regex memory limit)",
		    RX_COMPILE_MEM_MAX / 1024);
	else if (code == NULL && rc == PCRE2_ERROR_PARENTHESES_NEST_TOO_DEEP)
		err_set(e, ERR_INVALID, "parentheses nested deeper than %d (regex nesting limit)",
		    RX_NEST_MAX);
	else if (code == NULL && rc == PCRE2_ERROR_PATTERN_TOO_LARGE)
		err_set(e, ERR_INVALID,
		    "the compiled pattern is over %d KiB (regex compiled size limit)",
		    RX_COMPILED_MAX / 1024);
	else if (code == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		err_set(e, ERR_INVALID, "%s at offset %zu", (char *)msg, (size_t)off);
	}
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(g);
	return (code);
}

struct rx *
rx_new(const char *pattern, int flags, struct lw_err *e)
{
	/*
	 * Bytes, never UTF: console output is the guest's, any byte may come,
	 * and callers start and cut the text anywhere; "(*UTF)" would make one
	 * invalid byte, or a start inside a character, fail every match.
	 */
	uint32_t opts =
	    PCRE2_NEVER_BACKSLASH_C | PCRE2_AUTO_CALLOUT | PCRE2_USE_OFFSET_LIMIT | PCRE2_NEVER_UTF;
	size_t size = 0, len = strlen(pattern);
	struct rx *r;

	if (len > RX_PATTERN_MAX)
		return (err_set(e, ERR_INVALID, "the pattern is over %d bytes (regex length limit)",
		            RX_PATTERN_MAX),
		    NULL);
	if (rx_has_backref(pattern))
		return (err_set(e, ERR_INVALID, "back-references are not allowed"), NULL);
	if (flags & RX_LINES)
		opts |= PCRE2_MULTILINE;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"), NULL);
	r->b.max = RX_COMPILE_MEM_MAX;
	if ((r->code = rx_compile(pattern, opts, &r->b, e)) == NULL) {
		free(r);
		return (NULL);
	}
	pcre2_pattern_info(r->code, PCRE2_INFO_SIZE, &size);
	if (size > RX_COMPILED_MAX) {
		rx_free(r);
		return (err_set(e, ERR_INVALID,
		            "the compiled pattern is %zu bytes, over %d KiB (regex compiled size "
		            "limit)",
		            size, RX_COMPILED_MAX / 1024),
		    NULL);
	}
	return (r);
}

void
rx_free(struct rx *r)
{
	if (r == NULL)
		return;
	pcre2_code_free(r->code);
	free(r);
}

/* The error of a failed match, by PCRE2's code. */
static int
rx_fail(int rc, struct lw_err *e)
{
	PCRE2_UCHAR msg[128];

	if (rc == PCRE2_ERROR_CALLOUT)
		return (err_set(e, ERR_INVALID,
		    "the pattern took over %d steps to search this text (regex step limit)",
		    RX_STEPS_MAX));
	if (rc == PCRE2_ERROR_MATCHLIMIT)
		return (err_set(e, ERR_INVALID,
		    "the pattern took over %d backtracking steps on this text (regex match limit)",
		    RX_MATCH_LIMIT));
	if (rc == PCRE2_ERROR_DEPTHLIMIT)
		return (err_set(e, ERR_INVALID,
		    "the pattern nested over %d backtracking points on this text (regex depth "
		    "limit)",
		    RX_DEPTH_LIMIT));
	if (rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
		return (err_set(e, ERR_INVALID,
		    "the pattern needed over %d KiB to match this text (regex heap limit)",
		    RX_HEAP_KIB));
	pcre2_get_error_message(rc, msg, sizeof(msg));
	return (err_set(e, ERR_INVALID, "regex match failed: %s", (char *)msg));
}

int
rx_match(const struct rx *r, const char *s, size_t len, size_t start, bool more, size_t *so,
    size_t *eo, struct lw_err *e)
{
	pcre2_match_context *mc = NULL;
	pcre2_match_data *md = NULL;
	struct rx_steps steps = {0};
	PCRE2_SIZE *ov;
	int rc;

	pthread_once(&rx_once, rx_mctx_init);
	if (rx_mctx == NULL || (mc = pcre2_match_context_copy(rx_mctx)) == NULL ||
	    (md = pcre2_match_data_create(1, NULL)) == NULL) {
		pcre2_match_context_free(mc);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	pcre2_set_callout(mc, rx_step, &steps);
	/* RX_SLICE start positions at a time, each with RX_STEPS_MAX: linear in len. */
	for (start = start > len ? len : start;; start += RX_SLICE + 1) {
		steps = (struct rx_steps){0, 0, start, start};
		pcre2_set_offset_limit(mc, len - start > RX_SLICE ? start + RX_SLICE : len);
		rc = pcre2_match(
		    r->code, (PCRE2_SPTR)s, len, start, more ? PCRE2_PARTIAL_HARD : 0, md, mc);
		if (rc != PCRE2_ERROR_NOMATCH || len - start <= RX_SLICE)
			break;
	}
	ov = pcre2_get_ovector_pointer(md);
	if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) {
		*so = ov[0];
		*eo = ov[1];
	}
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return (RX_NOMATCH);
	if (rc == PCRE2_ERROR_PARTIAL)
		return (RX_PARTIAL);
	if (rc < 0)
		return (rx_fail(rc, e));
	return (RX_MATCH);
}
