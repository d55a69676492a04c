/*
 * ready - when a node counts as ready: its console printed the template's
 * readiness pattern (scanned from its console log, never under a regex
 * the template did not give, and never under lw_lock: the loop queues the
 * nodes due and scans them with the lock released), and a console-typed
 * startup config, if any, was typed. A boot's length is recorded to
 * measure the TCG slowdown.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/paths.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/err.h"
#include "core/base/log.h"
#include "core/base/rx.h"
#include "core/run/run.h"
#include "core/run/state.h"
#include "images/template.h"
#include "core/run/typing.h"
#include "tcg/boot.h"

/* The patterns compiled so far: a few, one per template that gives one. */
struct ready_pattern {
	char *text;
	struct rx *re;
	struct ready_pattern *next;
};

static struct ready_pattern *ready_patterns;

/*
 * The nodes due for a look at their console (ready_due), scanned with
 * lw_lock released (ready_poll_due): a pattern's cost stalls the loop's
 * own thread at most, never an API thread waiting for the lock.
 */
struct ready_job {
	struct rt_node *n; /* only the loop's thread frees a node: still there after */
	int64_t id;
	off_t off;
	char carry[sizeof(((struct rt_node *)0)->carry)];
	bool hit;
	char fail[256]; /* the match's error (a regex limit), or "" */
};

static struct {
	struct ready_job *v;
	size_t n, cap;
} ready_jobs;

const struct rx *
ready_re(const char *pattern)
{
	struct ready_pattern *p;
	struct lw_err e = {0};

	for (p = ready_patterns; p != NULL; p = p->next)
		if (strcmp(p->text, pattern) == 0)
			return (p->re);
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->text = strdup(pattern)) == NULL) {
		free(p);
		return (NULL);
	}
	if ((p->re = rx_new(pattern, RX_LINES, &e)) == NULL) {
		log_warnx("ready_pattern '%s': %s", pattern, e.msg);
		free(p->text);
		free(p);
		return (NULL);
	}
	p->next = ready_patterns;
	ready_patterns = p;
	return (p->re);
}

void
ready_re_free_all(void)
{
	struct ready_pattern *p;

	while ((p = ready_patterns) != NULL) {
		ready_patterns = p->next;
		rx_free(p->re);
		free(p->text);
		free(p);
	}
	free(ready_jobs.v);
	ready_jobs.v = NULL;
	ready_jobs.n = ready_jobs.cap = 0;
}

void
ready_mark(struct rt_node *n, const char *note)
{
	n->ready = true;
	n->typing = false;
	n->boot_deadline = 0;
	log_info("node %lld: ready%s%s", (long long)n->id, note ? ", " : "", note ? note : "");
	state_node_ready(n->id);
}

struct ready_typing {
	struct typing *bt;
	int64_t id;
};

/* The typing threads still running: runtime_fini waits for them. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
} typists = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void
ready_typing_wait(void)
{
	struct timespec until;

	clock_deadline(&until, 5000);
	pthread_mutex_lock(&typists.mu);
	while (typists.n > 0 && pthread_cond_timedwait(&typists.cv, &typists.mu, &until) == 0)
		;
	if (typists.n > 0)
		log_warnx("runtime: %d startup config(s) still being typed at shutdown", typists.n);
	pthread_mutex_unlock(&typists.mu);
}

/* ready_typing_thread - types the startup config off the loop's thread; the loop hears when done.
 */
static void *
ready_typing_thread(void *arg)
{
	struct ready_typing *ta = arg;
	char msg[256];
	int r = typing_run(ta->bt, msg, sizeof(msg));

	log_info("node %lld: startup config on the console: %s", (long long)ta->id, msg);
	rt_enqueue(r == 0 ? RT_NODE_TYPED : RT_NODE_TYPE_FAILED, ta->id);
	free(ta);
	pthread_mutex_lock(&typists.mu);
	if (--typists.n == 0)
		pthread_cond_broadcast(&typists.cv);
	pthread_mutex_unlock(&typists.mu);
	return (NULL);
}

/* ready_type - start typing cfg on n's console; true when the typing is under way. */
static bool
ready_type(struct rt_node *n, const struct template *t, const char *cfg)
{
	struct ready_typing *ta = malloc(sizeof(*ta));
	pthread_t th;

	if (ta != NULL && (ta->bt = typing_new(n->id, t, cfg)) != NULL) {
		ta->id = n->id;
		pthread_mutex_lock(&typists.mu);
		if (pthread_create(&th, NULL, ready_typing_thread, ta) == 0) {
			typists.n++;
			pthread_mutex_unlock(&typists.mu);
			pthread_detach(th);
			return (true);
		}
		pthread_mutex_unlock(&typists.mu);
		typing_free(ta->bt);
	}
	free(ta);
	log_warnx("node %lld: cannot type its startup config", (long long)n->id);
	return (false);
}

/*
 * ready_seen - the console showed the readiness pattern: record the boot
 * time (it measures the TCG slowdown), and type the startup config first
 * when the template delivers it that way; the node is ready after that.
 */
static void
ready_seen(struct rt_node *n)
{
	const struct template *t = template_find(n->tmpl);
	char *cfg = NULL;

	n->ready = false;
	if (n->fresh && n->accel[0] != '\0' && t != NULL)
		boot_record(n->tmpl, n->accel, (double)(clock_mono_ms() - n->started_ms) / 1000.0);
	if (t != NULL && strcmp(t->config_method, "console") == 0 &&
	    (cfg = state_node_startup_config(n->id)) != NULL && ready_type(n, t, cfg))
		n->typing = true;
	else
		ready_mark(n, NULL);
	free(cfg);
}

bool
ready_due(struct rt_node *n)
{
	struct ready_job *j;

	if (ready_jobs.n == ready_jobs.cap) {
		size_t cap = ready_jobs.cap ? ready_jobs.cap * 2 : 16;

		if ((j = reallocarray(ready_jobs.v, cap, sizeof(*j))) == NULL)
			return (false);
		ready_jobs.v = j;
		ready_jobs.cap = cap;
	}
	j = &ready_jobs.v[ready_jobs.n++];
	memset(j, 0, sizeof(*j));
	j->n = n;
	j->id = n->id;
	j->off = n->log_off;
	memcpy(j->carry, n->carry, sizeof(j->carry));
	return (true);
}

/* Clean buf for matching: NUL becomes a space, "\r" goes ("$" on "\r\n" lines). New length. */
static size_t
ready_clean(char *buf, size_t from, size_t len)
{
	size_t k = from;

	for (size_t i = from; i < len; i++)
		if (buf[i] != '\r')
			buf[k++] = buf[i] ? buf[i] : ' ';
	return (k);
}

/*
 * ready_scan - read j's node's console log from j->off (at most
 * READY_SCAN_MAX a poll) and match its pattern on each piece with the
 * tail of the one before (carry): linear in the output. Without lw_lock:
 * it reads only what the loop's thread alone writes (log_path, ready_re).
 */
static void
ready_scan(struct ready_job *j)
{
	char buf[4096 + sizeof(j->carry)];
	size_t cl = strlen(j->carry), total = 0, so, eo;
	struct lw_err e = {0};
	ssize_t r;
	int fd, rc;

	if ((fd = paths_open_plain(j->n->log_path, O_RDONLY, 0)) == -1)
		return;
	if (lseek(fd, 0, SEEK_END) < j->off)
		j->off = 0; /* rotated */
	memcpy(buf, j->carry, cl);
	while (
	    total < READY_SCAN_MAX && (r = pread(fd, buf + cl, sizeof(buf) - cl - 1, j->off)) > 0) {
		size_t len = ready_clean(buf, cl, cl + (size_t)r);

		j->off += r;
		total += (size_t)r;
		if ((rc = rx_match(j->n->ready_re, buf, len, 0, false, &so, &eo, &e)) !=
		    RX_NOMATCH) {
			j->hit = rc == RX_MATCH;
			if (rc == -1)
				snprintf(j->fail, sizeof(j->fail), "%s", e.msg);
			break;
		}
		cl = len < sizeof(j->carry) - 1 ? len : sizeof(j->carry) - 1;
		memmove(buf, buf + len - cl, cl);
	}
	memcpy(j->carry, buf, cl);
	j->carry[cl] = '\0';
	close(fd);
}

/* ready_apply - j's outcome onto its node, if the node is still there and waiting. */
static void
ready_apply(struct ready_job *j)
{
	struct rt_node *n = j->n;

	if (rt_find(j->id) != n || n->ready || n->typing || n->stopping)
		return;
	n->log_off = j->off;
	memcpy(n->carry, j->carry, sizeof(n->carry));
	if (j->fail[0] != '\0') {
		char why[320];

		/* Matching on would fail the same way: say so once and stop judging. */
		snprintf(why, sizeof(why), "ready_pattern: %s", j->fail);
		log_warnx("node %lld: %s; readiness is no longer judged", (long long)n->id, why);
		n->has_re = false;
		n->boot_deadline = 0;
		state_node_note_error(n->id, why);
		state_node_late(n->id);
	} else if (j->hit) {
		n->ready = true;
		ready_seen(n);
	}
}

void
ready_poll_due(void)
{
	if (ready_jobs.n == 0)
		return;
	lw_unlock();
	for (size_t i = 0; i < ready_jobs.n; i++)
		ready_scan(&ready_jobs.v[i]);
	lw_lock();
	for (size_t i = 0; i < ready_jobs.n; i++)
		ready_apply(&ready_jobs.v[i]);
	ready_jobs.n = 0;
}
