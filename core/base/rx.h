/*
 * rx - bounded regular expressions (PCRE2) for patterns users give: an
 * exec's expect, a template's ready_pattern and prompt, the CLI's --expect.
 * Every pattern is bounded before and while it compiles (length, nesting,
 * memory, compiled size) and every match by PCRE2's match, depth and heap
 * limits, so a hostile pattern costs a clear error, never the daemon's
 * memory or a thread. It only compiles and matches: it keeps no text, reads
 * nothing and logs nothing; its callers decide what to match and when.
 */
#ifndef LW_RX_H
#define LW_RX_H

#include <stdbool.h>
#include <stddef.h>

struct lw_err;

/* The limits (README "Regular expressions"); a pattern past one is refused with its name. */
#define RX_PATTERN_MAX 1024             /* bytes of pattern */
#define RX_NEST_MAX 32                  /* parentheses nested */
#define RX_COMPILED_MAX (16 * 1024)     /* bytes of the compiled pattern */
#define RX_COMPILE_MEM_MAX (512 * 1024) /* bytes compiling may allocate */
#define RX_MATCH_LIMIT 100000           /* backtracking steps at one start position */
#define RX_STEPS_MAX 2000000            /* pattern items tried from RX_SLICE start positions */
#define RX_SLICE (64 * 1024)            /* start positions searched with one RX_STEPS_MAX */
#define RX_READ_PER_STEP 32             /* bytes read between two items count as a step */
#define RX_DEPTH_LIMIT 100000           /* nested backtracking points of one match */
#define RX_HEAP_KIB 8192                /* KiB of backtracking memory of one match */

/* rx_new flags. */
#define RX_LINES 0x1 /* "^"/"$" at every line, "." not across one (POSIX REG_NEWLINE) */

/* rx_match results (-1: an error, e.g. a limit, in e). */
#define RX_NOMATCH 0
#define RX_MATCH 1
#define RX_PARTIAL 2 /* a match may start at *so once more text comes */

struct rx;

/*
 * rx_new - compile pattern within the limits above; back-references are
 * refused too (their matching is exponential beyond any step count).
 * Returns the compiled pattern (rx_free), or NULL with e (ERR_INVALID, the
 * message names the limit or the syntax error and where it is).
 */
struct rx *rx_new(const char *pattern, int flags, struct lw_err *e);
/* rx_free - r and all it holds; NULL is fine. */
void rx_free(struct rx *r);
/*
 * rx_match - search s[start..len) (s before start is context: "^", "\b" and
 * lookbehinds see it) for r. more: the text goes on past len, so its end is
 * no end of line, and a match that may still complete is RX_PARTIAL with
 * *so its start: no match can start before it. On RX_MATCH, [*so, *eo) is
 * the match. Thread-safe; r is only read. -1 with e (ERR_INVALID) when the
 * match hit a limit.
 */
int rx_match(const struct rx *r, const char *s, size_t len, size_t start, bool more, size_t *so,
    size_t *eo, struct lw_err *e);

#endif
