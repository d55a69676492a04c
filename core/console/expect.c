/*
 * expect - send/expect on a node's console: type a line, then wait for a
 * POSIX extended regex to match what the console printed since. Each
 * console_exec call is a waiter on its console; the console thread feeds
 * it output (expect_put) and the caller matches without the console lock.
 */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/console/console.h"
#include "core/console/console_int.h"

#define WAITER_MAX (1 << 20)
#define EXEC_SETTLE_MS 200

struct waiter {
	char *buf;
	size_t len, cap;
	uint64_t total; /* bytes ever put: len stops growing once the window is full */
	pthread_cond_t cv;
	struct waiter *next;
};

/* A waiter keeps the last WAITER_MAX bytes: the match is near the end. */
static void
waiter_put(struct waiter *w, const char *data, size_t len)
{
	if (len > WAITER_MAX) {
		data += len - WAITER_MAX;
		len = WAITER_MAX;
	}
	if (w->len + len > WAITER_MAX) {
		size_t drop = w->len + len - WAITER_MAX;

		memmove(w->buf, w->buf + drop, w->len - drop);
		w->len -= drop;
	}
	if (w->len + len > w->cap) {
		size_t cap = w->len + len + 4096;
		char *nb;

		cap = cap > WAITER_MAX ? WAITER_MAX : cap;
		if ((nb = realloc(w->buf, cap)) == NULL)
			return;
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->total += len;
	pthread_cond_broadcast(&w->cv);
}

void
expect_put(struct con *c, const char *data, size_t len)
{
	for (struct waiter *w = c->waiters; w != NULL; w = w->next)
		waiter_put(w, data, len);
}

void
expect_wake(struct con *c)
{
	for (struct waiter *w = c->waiters; w != NULL; w = w->next)
		pthread_cond_broadcast(&w->cv);
}

static void
waiter_unlink(struct con *c, struct waiter *w)
{
	for (struct waiter **pw = &c->waiters; *pw != NULL; pw = &(*pw)->next)
		if (*pw == w) {
			*pw = w->next;
			return;
		}
}

/*
 * Does re match what w saw ("\r" removed)? The text is copied under the
 * console lock and matched without it, so a slow pattern stalls only this
 * request, never the console. Sets *end to the match's end (or the text's).
 * Called locked.
 */
static bool
waiter_match(struct waiter *w, regex_t *re, char **text, size_t *end, int eflags)
{
	regmatch_t m;
	size_t n = 0;
	char *t = realloc(*text, w->len + 1);
	int r;

	if (t == NULL)
		return (false);
	*text = t;
	for (size_t i = 0; i < w->len; i++)
		if (w->buf[i] != '\r')
			t[n++] = w->buf[i] ? w->buf[i] : ' ';
	t[n] = '\0';
	*end = n;
	console_unlock();
	r = regexec(re, t, 1, &m, eflags);
	console_lock();
	if (r != 0)
		return (false);
	*end = (size_t)m.rm_eo;
	return (true);
}

/*
 * Wait for more output, at most until stop and at most EXEC_SETTLE_MS.
 * *quiet: nothing came for that long. Returns ETIMEDOUT once stop has passed.
 */
static int
waiter_sleep(struct waiter *w, int64_t stop, bool *quiet)
{
	struct timespec q;
	int64_t left = stop - clock_mono_ms();
	int r;

	clock_deadline(&q, left < EXEC_SETTLE_MS ? (int)(left > 0 ? left : 0) : EXEC_SETTLE_MS);
	r = console_wait(&w->cv, &q);
	*quiet = r == ETIMEDOUT;
	if (r == ETIMEDOUT && clock_mono_ms() < stop)
		r = 0;
	return (r);
}

static int
exec_wait(
    struct con *c, struct waiter *w, regex_t *re, int timeout_ms, char **out, struct lw_err *e)
{
	size_t end = 0;
	int r = 0;
	uint64_t seen = UINT64_MAX, settled = UINT64_MAX;
	int64_t stop = clock_mono_ms() + timeout_ms;
	bool quiet = false;

	for (;;) {
		/*
		 * Match again only when something new came. While output flows,
		 * its end is not an end of line ("^42$" must not match the "4" of
		 * a "42" still arriving); once it has been quiet for a moment, it
		 * is (a prompt ends "# " with no newline after it).
		 */
		if (w->total != seen) {
			seen = w->total;
			if (waiter_match(w, re, out, &end, REG_NOTEOL))
				break;
		} else if (quiet && settled != seen) {
			settled = seen;
			if (waiter_match(w, re, out, &end, 0))
				break;
		}
		if (c->dead || c->qemu_fd == -1 || r == ETIMEDOUT) {
			if (*out != NULL)
				(*out)[end] = '\0';
			if (c->dead || c->qemu_fd == -1)
				return (err_set(
				    e, ERR_CONFLICT, "the node stopped; its console is gone"));
			return (err_set(e, ERR_TIMEOUT,
			    "nothing matched the expect pattern within %d ms", timeout_ms));
		}
		r = waiter_sleep(w, stop, &quiet);
	}
	(*out)[end] = '\0';
	return (0);
}

/* Compile expect; back-references are refused (their matching can take exponential time). */
static int
expect_compile(regex_t *re, const char *expect, struct lw_err *e)
{
	char errbuf[128];
	int rc;

	for (const char *p = expect; *p; p++)
		if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9')
			return (err_set(e, ERR_INVALID, "expect: back-references are not allowed"));
		else if (p[0] == '\\' && p[1] != '\0')
			p++;
	if ((rc = regcomp(re, expect, REG_EXTENDED | REG_NEWLINE)) != 0) {
		regerror(rc, re, errbuf, sizeof(errbuf));
		return (err_set(e, ERR_INVALID, "expect: %s", errbuf));
	}
	return (0);
}

int
console_exec(int64_t node, const char *send, const char *expect, int timeout_ms, char **out,
    struct lw_err *e)
{
	struct waiter w = {.next = NULL};
	struct con *c;
	regex_t re;
	int rc;

	*out = NULL;
	if (expect_compile(&re, expect, e) == -1)
		return (-1);
	pthread_cond_init(&w.cv, NULL);
	console_lock();
	if ((c = console_find(node)) == NULL || c->qemu_fd == -1) {
		rc = err_set(
		    e, ERR_CONFLICT, "the node is not running: its console is not attached");
		goto out;
	}
	w.next = c->waiters;
	c->waiters = &w;
	/* Through the console's input queue: never interleaved with a client's paste. */
	rc = send != NULL ? console_send(c, send, clock_mono_ms() + timeout_ms, e) : 0;
	if (rc == 0)
		rc = exec_wait(c, &w, &re, timeout_ms, out, e);
	waiter_unlink(c, &w);
out:
	console_unlock();
	regfree(&re);
	pthread_cond_destroy(&w.cv);
	free(w.buf);
	return (rc);
}
