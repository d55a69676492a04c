/*
 * test_rx - the bounded regexes: bombs are refused fast and by name, a
 * catastrophic backtracker stops on the match limit (and one just under it
 * at every position on the step limit), ordinary patterns
 * match with the line semantics send/expect had (POSIX REG_NEWLINE), and
 * partial matching lets a caller match output as it arrives.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/base/err.h"
#include "core/base/rx.h"
#include "tests/unit/test.h"

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6);
}

/* Peak resident set, KiB. */
static long
peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

/* Does pattern fail to compile, within 100 ms, with a message that holds want? */
static int
refused(const char *pattern, const char *want)
{
	struct lw_err e = {0};
	double t0 = now_ms();
	struct rx *r = rx_new(pattern, RX_LINES, &e);
	double ms = now_ms() - t0;

	if (r != NULL) {
		rx_free(r);
		fprintf(stderr, "  /%.40s/ compiled\n", pattern);
		return (0);
	}
	if (e.code != ERR_INVALID || strstr(e.msg, want) == NULL || ms > 100) {
		fprintf(stderr, "  /%.40s/: %.1f ms, %d '%s'\n", pattern, ms, e.code, e.msg);
		return (0);
	}
	return (1);
}

/* One search of text from start; so and eo (may be NULL) get the match. */
static int
search(const char *pattern, const char *text, size_t start, bool more, size_t *so, size_t *eo)
{
	struct lw_err e = {0};
	struct rx *r = rx_new(pattern, RX_LINES, &e);
	size_t s = 0, x = 0;
	int rc;

	if (r == NULL) {
		fprintf(stderr, "  /%s/: %s\n", pattern, e.msg);
		return (-2);
	}
	rc = rx_match(r, text, strlen(text), start, more, &s, &x, &e);
	if (so)
		*so = s;
	if (eo)
		*eo = x;
	rx_free(r);
	return (rc);
}

static void
test_bombs(void)
{
	char deep[400], big[RX_PATTERN_MAX + 2];
	long before = peak_kib();

	CHECK(refused("((a{1,200}){1,200}){1,50}", "regex"));
	CHECK(refused("(((a{1,65535}){1,65535}){1,65535})", "limit"));
	CHECK(refused("((((x{1,1000}){1,1000}){1,1000}){1,1000})", "limit"));
	CHECK(refused("(abcdefghij{1,30}|klmnopqrstu{2,40}){1,300}", "compiled size limit"));
	memset(deep, '(', 100);
	strcpy(deep + 100, "a");
	memset(deep + 101, ')', 100);
	deep[201] = '\0';
	CHECK(refused(deep, "nesting limit"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(refused(big, "length limit"));
	CHECK(refused("(a)\\1", "back-references"));
	CHECK(refused("(?<n>a)\\k<n>", "back-references"));
	CHECK(refused("(a", "missing closing parenthesis"));
	/* UTF mode: one invalid byte of a guest's, or a start inside a character, failed matching.
	 */
	CHECK(refused("(*UTF)# $", "UTF"));
	/* All of the above together grew the process by a few MiB at most. */
	CHECK(peak_kib() - before < 16 * 1024);
}

static void
test_backtracking(void)
{
	struct lw_err e = {0};
	struct rx *r = rx_new("(a+)+$", RX_LINES, &e);
	char text[64];
	size_t so, eo;
	double t0;
	int rc;

	CHECK(r != NULL);
	if (r == NULL)
		return;
	memset(text, 'a', 30);
	strcpy(text + 30, "b");
	t0 = now_ms();
	rc = rx_match(r, text, strlen(text), 0, false, &so, &eo, &e);
	CHECK(rc == -1);
	CHECK(strstr(e.msg, "regex match limit") != NULL);
	CHECK(now_ms() - t0 < 1000);
	/* The same pattern on a text it matches is fine. */
	CHECK(rx_match(r, "aaa", 3, 0, false, &so, &eo, &e) == RX_MATCH);
	rx_free(r);
}

static void
test_semantics(void)
{
	size_t so = 0, eo = 0;

	CHECK(search("labwire: ready", "boot\nlabwire: ready\n", 0, false, &so, &eo) == RX_MATCH);
	CHECK(so == 5 && eo == 19);
	CHECK(search("^ok14$", "echo ok14\nok14\n# ", 0, false, &so, &eo) == RX_MATCH);
	CHECK(so == 10 && eo == 14);
	CHECK(search("^ok$", "okay\n", 0, false, NULL, NULL) == RX_NOMATCH);
	/* "." does not cross a line (REG_NEWLINE); "\n" does. */
	CHECK(search("a.b", "a\nb", 0, false, NULL, NULL) == RX_NOMATCH);
	CHECK(search("a\nb", "a\nb", 0, false, NULL, NULL) == RX_MATCH);
	CHECK(search("^PING-(OK|FAIL)", "x\nPING-FAIL\n", 0, false, NULL, NULL) == RX_MATCH);
	CHECK(search("[1-5] packets", "3 packets", 0, false, NULL, NULL) == RX_MATCH);
	CHECK(search("[[:digit:]]+ received", "6 received", 0, false, NULL, NULL) == RX_MATCH);
	/* A prompt without a newline after it ends the text once it settled. */
	CHECK(search("# .{0,4}$", "ls\n/ # ", 0, false, NULL, NULL) == RX_MATCH);
	/* "^" after start only where a line starts. */
	CHECK(search("^b", "ab\nb", 1, false, &so, NULL) == RX_MATCH && so == 3);
	CHECK(search("^b", "ab", 1, false, NULL, NULL) == RX_NOMATCH);
}

static void
test_partial(void)
{
	size_t so = 0, eo = 0;

	/* While output flows its end is no end of line: "4" of "42" is not "^4$". */
	CHECK(search("^4$", "x\n4", 0, true, &so, NULL) == RX_PARTIAL && so == 2);
	CHECK(search("^4$", "x\n4", 0, false, NULL, NULL) == RX_MATCH);
	CHECK(search("^4$", "x\n4\n", 0, true, &so, &eo) == RX_MATCH && so == 2 && eo == 3);
	CHECK(search("ready", "all is rea", 0, true, &so, NULL) == RX_PARTIAL && so == 7);
	CHECK(search("ready", "all is well", 0, true, NULL, NULL) == RX_NOMATCH);
	/* Fed piece by piece from where the last try left off, it still matches. */
	{
		const char *full = "noise noise lab labwi labwire: ready\n";
		struct lw_err e = {0};
		struct rx *r = rx_new("labwire: ready$", RX_LINES, &e);
		size_t from = 0, n, found = 0;

		for (n = 1; r != NULL && n <= strlen(full) && !found; n++) {
			int rc = rx_match(r, full, n, from, true, &so, &eo, &e);

			if (rc == RX_MATCH)
				found = eo;
			else if (rc == RX_PARTIAL)
				from = so;
			else
				from = n;
		}
		CHECK(found == strlen(full) - 1);
		rx_free(r);
	}
}

/* Over a long text: each slice of start positions has its step budget; the search is linear. */
static void
test_long_text(void)
{
	size_t n = 1 << 20, so = 0, eo = 0;
	char *s = malloc(n + 1);
	struct lw_err e = {0};
	struct rx *r;
	double t0;

	for (size_t i = 0; i < n; i++)
		s[i] = "xabcdefghijklmnop rs\n"[i % 21]; /* no "q", no "end" */
	memcpy(s + n - 4, "azq\n", 4);
	s[n] = '\0';
	/* A plain pattern is found at the end of 1 MiB, past many slices. */
	CHECK((r = rx_new("a\\w+q", RX_LINES, &e)) != NULL);
	CHECK(r && rx_match(r, s, n, 0, false, &so, &eo, &e) == RX_MATCH && so == n - 4);
	rx_free(r);
	/* A match that starts in one slice and ends in the next. */
	memcpy(s + 65530, "start", 5);
	memcpy(s + 65560, "end", 3);
	CHECK((r = rx_new("start[\\s\\S]*?end", RX_LINES, &e)) != NULL);
	CHECK(r && rx_match(r, s, n, 0, false, &so, &eo, &e) == RX_MATCH && so == 65530);
	rx_free(r);
	/* Under the match limit at each position, but not in all: the step limit stops it. */
	s[n - 2] = '#';
	CHECK((r = rx_new("(\\w\\w?)*#", RX_LINES, &e)) != NULL);
	t0 = now_ms();
	CHECK(r && rx_match(r, s, n, 0, false, &so, &eo, &e) == -1);
	CHECK(strstr(e.msg, "regex step limit") != NULL);
	CHECK(now_ms() - t0 < 1000);
	rx_free(r);
	free(s);
}

/*
 * One pattern item may scan far: a possessive repeat over a line with no end
 * is one step, yet reads the rest of the text from every start position
 * (quadratic). What the items read counts toward the step limit too.
 */
static void
test_long_scan(void)
{
	static const char *const pats[] = {"[^\\n]*+(?:z|y)", "(?=a*z)", "a*+(?:z|y)"};
	size_t n = 1 << 20, so = 0, eo = 0;
	char *s = malloc(n + 1);
	struct lw_err e = {0};

	memset(s, 'a', n);
	s[n] = '\0';
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct rx *r = rx_new(pats[i], RX_LINES, &e);
		double t0 = now_ms();
		int rc;

		CHECK(r != NULL);
		if (r == NULL)
			continue;
		rc = rx_match(r, s, n, 0, false, &so, &eo, &e);
		CHECK(rc == -1 && strstr(e.msg, "regex step limit") != NULL);
		if (now_ms() - t0 >= 2000)
			fprintf(stderr, "  /%s/ over 1 MiB: %.0f ms\n", pats[i], now_ms() - t0);
		CHECK(now_ms() - t0 < 2000);
		rx_free(r);
	}
	/* A line-sized scan is still fine: a prompt after long lines is found. */
	for (size_t i = 0; i < n; i++)
		s[i] = i % 100 == 99 ? '\n' : 'a';
	memcpy(s + n - 3, "z# ", 3);
	{
		struct rx *r = rx_new("[^\\n#]*+# $", RX_LINES, &e);

		CHECK(r && rx_match(r, s, n, 0, false, &so, &eo, &e) == RX_MATCH && eo == n);
		rx_free(r);
	}
	free(s);
}

int
main(void)
{
	test_bombs();
	test_backtracking();
	test_semantics();
	test_partial();
	test_long_text();
	test_long_scan();
	TEST_DONE();
}
