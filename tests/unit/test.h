/*
 * test.h - the unit-test harness: CHECK records a failure and goes on;
 * each test program prints "N passed, N failed" and exits non-zero on failure.
 */
#ifndef LW_TEST_H
#define LW_TEST_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			t_pass++;                                                                  \
		} else {                                                                           \
			t_fail++;                                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0) {                             \
			t_pass++;                                                                  \
		} else {                                                                           \
			t_fail++;                                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__,      \
			    __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                 \
		}                                                                                  \
	} while (0)

#define TEST_DONE()                                                                                \
	do {                                                                                       \
		printf("%d passed, %d failed\n", t_pass, t_fail);                                  \
		return (t_fail ? 1 : 0);                                                           \
	} while (0)

#endif
