/*
 * expect - send/expect on a node's console: type a line, then wait for a
 * regex (core/base/rx, bounded) to match what the console printed since.
 * Each console_exec call is a waiter on its console: the console thread
 * puts output into its inbox (expect_put), the caller takes it into text
 * of its own and matches without the console lock, incrementally: each try
 * starts where the last one said no match can start (PCRE2's partial
 * matching), and is made only once the new output is about as long as
 * what it re-reads, so the cost is linear in the output. At most
 * EXEC_WAITERS_MAX waiters a node.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/rx.h"
#include "core/console/console.h"
#include "core/console/console_int.h"

#define WAITER_MAX (1 << 20)  /* the output an exec keeps (and returns up to the match) */
#define EXEC_SPAN (64 * 1024) /* a match still open is kept this far back at most */
#define EXEC_RESCAN_MIN 4096  /* a try re-reads this much at once without waiting */
#define EXEC_SETTLE_MS 200    /* output quiet this long: its end ends a line */

struct waiter {
	char *in; /* output since the caller last took it: "\r" removed, NUL as ' ' */
	size_t inlen, incap;
	bool lost;      /* the inbox overflowed: the caller's text does not run on into it */
	uint64_t total; /* bytes ever put */
	pthread_cond_t cv;
	struct waiter *next;
};

/* What the caller matches: its own, touched without the console lock. */
struct exec_text {
	char *p; /* NUL-terminated at len */
	size_t len, cap;
	size_t from;      /* no match starts before: the last try while output flowed said so */
	size_t tried;     /* len at that try */
	int64_t tried_at; /* and when */
};

/* Output into w's inbox, cleaned; past WAITER_MAX the oldest goes. */
static void
waiter_put(struct waiter *w, const char *data, size_t len)
{
	if (len > WAITER_MAX) {
		data += len - WAITER_MAX;
		len = WAITER_MAX;
		w->inlen = 0;
		w->lost = true;
	}
	if (w->inlen + len > WAITER_MAX) {
		size_t drop = w->inlen + len - WAITER_MAX;

		memmove(w->in, w->in + drop, w->inlen - drop);
		w->inlen -= drop;
		w->lost = true;
	}
	if (w->inlen + len > w->incap) {
		size_t cap = w->inlen + len + 4096;
		char *nb;

		cap = cap > WAITER_MAX ? WAITER_MAX : cap;
		if ((nb = realloc(w->in, cap)) == NULL)
			return;
		w->in = nb;
		w->incap = cap;
	}
	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r')
			w->in[w->inlen++] = data[i] ? data[i] : ' ';
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
 * Move w's inbox to the end of t (called locked). Past WAITER_MAX, t drops
 * at least a quarter of itself at once, so the moves stay linear.
 */
static void
exec_take(struct waiter *w, struct exec_text *t)
{
	if (w->lost) {
		t->len = t->from = t->tried = 0;
		w->lost = false;
	}
	if (t->len + w->inlen > WAITER_MAX) {
		size_t drop = t->len + w->inlen - WAITER_MAX;

		drop = drop < WAITER_MAX / 4 ? WAITER_MAX / 4 : drop;
		drop = drop > t->len ? t->len : drop;
		memmove(t->p, t->p + drop, t->len - drop);
		t->len -= drop;
		t->from = t->from > drop ? t->from - drop : 0;
		t->tried = t->tried > drop ? t->tried - drop : 0;
		t->p[t->len] = '\0';
	}
	if (t->p == NULL || t->len + w->inlen + 1 > t->cap) {
		size_t cap = (t->len + w->inlen + 1) * 2;
		char *np;

		cap = cap > WAITER_MAX + 1 ? WAITER_MAX + 1 : cap;
		if ((np = realloc(t->p, cap)) == NULL)
			return; /* taken at the next look */
		t->p = np;
		t->cap = cap;
	}
	if (w->inlen > 0)
		memcpy(t->p + t->len, w->in, w->inlen);
	t->len += w->inlen;
	t->p[t->len] = '\0';
	w->inlen = 0;
}

/*
 * Is a try due while output flows? When it re-reads little, when the new
 * output is at least half of what it re-reads, or EXEC_SETTLE_MS after the
 * last one: each try costs about what came since the one before.
 */
static bool
exec_due(const struct exec_text *t)
{
	size_t rescan = t->len - t->from, fresh = t->len - t->tried;

	return (t->len > t->tried &&
	    (rescan <= EXEC_RESCAN_MIN || fresh * 2 >= rescan ||
	        clock_mono_ms() - t->tried_at >= EXEC_SETTLE_MS));
}

/*
 * Match re on t from t->from (without the console lock). settled: the
 * output paused, so its end ends a line ("# $" matches a prompt); else it
 * goes on ("^42$" must not match the "4" of a "42" still arriving), and
 * the try moves t->from past where no match can start. RX_MATCH with *end
 * its end, RX_NOMATCH, or -1 with e (a regex limit).
 */
static int
exec_try(const struct rx *re, struct exec_text *t, bool settled, size_t *end, struct lw_err *e)
{
	struct lw_err re_e = {0};
	size_t so = 0, eo = 0;
	int rc;

	rc = rx_match(re, t->p, t->len, t->from, !settled, &so, &eo, &re_e);
	if (rc == -1)
		return (err_set(e, ERR_INVALID, "expect: %s", re_e.msg));
	if (rc == RX_MATCH) {
		*end = eo;
		return (RX_MATCH);
	}
	if (!settled) {
		/* A match still open: from its start, but at most EXEC_SPAN back. */
		t->from = rc == RX_PARTIAL ? (so > t->from ? so : t->from) : t->len;
		if (t->len > EXEC_SPAN && t->from < t->len - EXEC_SPAN)
			t->from = t->len - EXEC_SPAN;
		t->tried = t->len;
		t->tried_at = clock_mono_ms();
	}
	return (RX_NOMATCH);
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

	*quiet = false;
	if (w->inlen > 0 || w->lost) /* came while the caller matched */
		return (left > 0 ? 0 : ETIMEDOUT);
	clock_deadline(&q, left < EXEC_SETTLE_MS ? (int)(left > 0 ? left : 0) : EXEC_SETTLE_MS);
	r = console_wait(&w->cv, &q);
	*quiet = r == ETIMEDOUT;
	if (r == ETIMEDOUT && clock_mono_ms() < stop)
		r = 0;
	return (r);
}

/* One look (called locked): take the new output and, when due, match it unlocked. */
static int
exec_look(struct waiter *w, const struct rx *re, struct exec_text *t, bool quiet, uint64_t *settled,
    size_t *end, struct lw_err *e)
{
	int rc = RX_NOMATCH;

	exec_take(w, t);
	if (t->p == NULL)
		return (RX_NOMATCH);
	if (exec_due(t)) {
		console_unlock();
		rc = exec_try(re, t, false, end, e);
		console_lock();
	} else if (quiet && *settled != w->total) {
		*settled = w->total;
		console_unlock();
		rc = exec_try(re, t, true, end, e);
		console_lock();
	}
	return (rc);
}

static int
exec_wait(struct con *c, struct waiter *w, const struct rx *re, int timeout_ms, char **out,
    struct lw_err *e)
{
	struct exec_text t = {.p = NULL, .tried_at = clock_mono_ms()};
	uint64_t settled = UINT64_MAX;
	int64_t stop = clock_mono_ms() + timeout_ms;
	size_t end = 0;
	bool quiet = false;
	int r = 0, rc;

	for (;;) {
		if ((rc = exec_look(w, re, &t, quiet, &settled, &end, e)) != RX_NOMATCH)
			break;
		if (c->dead || c->qemu_fd == -1 || r == ETIMEDOUT) {
			*out = t.p;
			if (c->dead || c->qemu_fd == -1)
				return (err_set(
				    e, ERR_CONFLICT, "the node stopped; its console is gone"));
			return (err_set(e, ERR_TIMEOUT,
			    "nothing matched the expect pattern within %d ms", timeout_ms));
		}
		r = waiter_sleep(w, stop, &quiet);
	}
	*out = t.p;
	if (rc == -1)
		return (-1);
	(*out)[end] = '\0';
	return (0);
}

/* Count c's waiters; past EXEC_WAITERS_MAX a new one is turned away. */
static int
exec_admit(struct con *c, struct lw_err *e)
{
	int n = 0;

	for (struct waiter *w = c->waiters; w != NULL; w = w->next)
		n++;
	if (n < EXEC_WAITERS_MAX)
		return (0);
	err_set(e, ERR_TOO_MANY,
	    "the node's console already has %d exec calls waiting, the most it takes; "
	    "retry when one ends",
	    EXEC_WAITERS_MAX);
	e->retry_s = 1;
	return (err_num(e, "limit", EXEC_WAITERS_MAX));
}

int
console_exec(int64_t node, const char *send, const char *expect, int timeout_ms, char **out,
    struct lw_err *e)
{
	struct waiter w = {.next = NULL};
	struct lw_err re_e = {0};
	struct con *c;
	struct rx *re;
	int rc;

	*out = NULL;
	if ((re = rx_new(expect, RX_LINES, &re_e)) == NULL)
		return (err_set(e, ERR_INVALID, "expect: %s", re_e.msg));
	pthread_cond_init(&w.cv, NULL);
	console_lock();
	if ((c = console_find(node)) == NULL || c->qemu_fd == -1) {
		rc = err_set(
		    e, ERR_CONFLICT, "the node is not running: its console is not attached");
		goto out;
	}
	if ((rc = exec_admit(c, e)) == -1)
		goto out;
	w.next = c->waiters;
	c->waiters = &w;
	/* Through the console's input queue: never interleaved with a client's paste. */
	rc = send != NULL ? console_send(c, send, clock_mono_ms() + timeout_ms, e) : 0;
	if (rc == 0)
		rc = exec_wait(c, &w, re, timeout_ms, out, e);
	waiter_unlink(c, &w);
out:
	console_unlock();
	rx_free(re);
	pthread_cond_destroy(&w.cv);
	free(w.in);
	return (rc);
}
