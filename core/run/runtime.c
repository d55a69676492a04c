/*
 * runtime - the runtime loop. One thread runs an epoll loop over an
 * eventfd (queued commands), each node's pidfd and QMP socket, and a
 * timeout for the nearest deadline (QMP connect retries, readiness polls,
 * stop escalation); staged lab starts are pumped from it. Everything it
 * touches is guarded by lw_lock(). The API side only marks state and
 * queues commands here. Work that comes in bulk (a lab of 1,000 hosts
 * started, their interfaces made as they come up) is done in slices of
 * RT_SLICE_MS: between them the lock is let go, so API requests get in.
 *
 * Shutdown: runtime_fini queues RT_QUIT and joins the loop, waits for the
 * threads typing startup configs, then (under qmu) marks the queue closed,
 * drops what is left in it and closes the eventfd and epoll set (set to
 * -1): a command queued after that is dropped, and nothing is written to a
 * closed fd.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/hostmem.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/net/capture.h"
#include "core/run/run.h"
#include "core/run/runtime.h"
#include "core/run/state.h"

#define RT_SLICE_MS 100 /* the longest the loop holds lw_lock() for bulk work at a stretch */
#define RT_BUCKETS 1024 /* the table of running nodes, hashed by id: a lab may have thousands */
#define RT_RESULTS 256  /* outcomes of the latest commands kept for those who wait on them */
#define RT_LOGS_MS 2000 /* how often each node's qemu.log is held to --node-log-max */

struct rt_cmd {
	enum rt_op op;
	int64_t id;
	uint64_t seq;
	struct rt_cmd *next;
};

/* A staged lab start: at most conc of its nodes booting at once, in order. */
struct rt_stage {
	int conc;
	size_t n, next;
	int64_t *ids;
	struct rt_stage *link;
};

static struct {
	int epfd, evfd;
	pthread_t thread;
	bool started;
	bool closed; /* under qmu: runtime_fini is done, commands are dropped */
	pthread_mutex_t qmu;
	struct rt_cmd *head, *tail;
	struct rt_node *nodes;
	struct rt_node *by_id[RT_BUCKETS];
	struct rt_stage *stages, *pending; /* pending: queued by API threads, under qmu */
	int64_t slice_end;                 /* when the loop's current slice of work ends */
	int64_t logs_at;                   /* when node logs are checked next */
	bool more;                         /* work was left for the next slice */
	bool cmds_left;                    /* of it, queued commands */
	/* Under qmu: commands numbered as queued, and how the latest ones went. */
	uint64_t seq_last, seq_done;
	struct {
		uint64_t seq;
		bool ok;
	} results[RT_RESULTS];
	pthread_cond_t done; /* seq_done moved, or the queue closed */
} rt = {.epfd = -1, .evfd = -1, .qmu = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

/* rt_slice_over - the current slice is spent: what is left waits for the next one. */
static bool
rt_slice_over(void)
{
	if (clock_mono_ms() < rt.slice_end)
		return (false);
	rt.more = true;
	return (true);
}

static struct rt_node **
rt_bucket(int64_t id)
{
	return (&rt.by_id[(uint64_t)id % RT_BUCKETS]);
}

struct rt_node *
rt_find(int64_t id)
{
	for (struct rt_node *n = *rt_bucket(id); n != NULL; n = n->hnext)
		if (n->id == id)
			return (n);
	return (NULL);
}

uint64_t
rt_enqueue(enum rt_op op, int64_t id)
{
	struct rt_cmd *c = calloc(1, sizeof(*c));
	uint64_t one = 1, seq;

	if (c == NULL) {
		log_warn("runtime: queue");
		return (0);
	}
	c->op = op;
	c->id = id;
	pthread_mutex_lock(&rt.qmu);
	if (rt.closed) { /* after runtime_fini: nobody would run it */
		pthread_mutex_unlock(&rt.qmu);
		free(c);
		return (0);
	}
	seq = c->seq = ++rt.seq_last;
	if (rt.tail)
		rt.tail->next = c;
	else
		rt.head = c;
	rt.tail = c;
	/* Under qmu: runtime_fini closes evfd under it too. */
	if (write(rt.evfd, &one, sizeof(one)) == -1)
		log_warn("runtime: eventfd");
	pthread_mutex_unlock(&rt.qmu);
	return (seq);
}

/* rt_done - command seq is done (ok: as asked); those waiting on it are woken. */
static void
rt_done(uint64_t seq, bool ok)
{
	pthread_mutex_lock(&rt.qmu);
	rt.results[seq % RT_RESULTS].seq = seq;
	rt.results[seq % RT_RESULTS].ok = ok;
	rt.seq_done = seq;
	pthread_cond_broadcast(&rt.done);
	pthread_mutex_unlock(&rt.qmu);
}

int
runtime_wait(uint64_t ticket, int timeout_ms)
{
	struct timespec until;
	int ret = -1;

	if (ticket == 0)
		return (-1);
	clock_deadline(&until, timeout_ms);
	pthread_mutex_lock(&rt.qmu);
	while (rt.seq_done < ticket && !rt.closed &&
	    pthread_cond_timedwait(&rt.done, &rt.qmu, &until) == 0)
		;
	/* Commands run in order; one whose outcome was overwritten since went well enough. */
	if (rt.seq_done >= ticket)
		ret = rt.results[ticket % RT_RESULTS].seq != ticket ||
		    rt.results[ticket % RT_RESULTS].ok;
	pthread_mutex_unlock(&rt.qmu);
	return (ret);
}

int
rt_watch_add(int fd, struct rt_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

	return (epoll_ctl(rt.epfd, EPOLL_CTL_ADD, fd, &ev));
}

void
rt_add(struct rt_node *n)
{
	struct rt_node **b = rt_bucket(n->id);

	n->next = rt.nodes;
	rt.nodes = n;
	n->hnext = *b;
	*b = n;
}

void
rt_watch_del(int fd)
{
	epoll_ctl(rt.epfd, EPOLL_CTL_DEL, fd, NULL);
}

void
rt_unlink(struct rt_node *n)
{
	for (struct rt_node **pp = rt_bucket(n->id); *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	for (struct rt_node **pp = &rt.nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

static void
rt_timers(void)
{
	int64_t now = clock_mono_ms();
	struct rt_node *n, *next;

	for (n = rt.nodes; n != NULL; n = next) {
		next = n->next;
		if (n->qmp_retry_at && now >= n->qmp_retry_at && !rt_slice_over())
			node_try_connect(n, now);
		if (n->stop_deadline && now >= n->stop_deadline)
			node_stop_escalate(n);
		if (n->resume_settle_at && now >= n->resume_settle_at)
			node_resume_settled(n);
		if (n->has_re && !n->ready && !n->typing && !n->stopping &&
		    now >= n->ready_poll_at && ready_due(n))
			n->ready_poll_at = now + READY_POLL_MS;
		if (now >= rt.logs_at)
			node_log_trim(n);
		if (n->boot_deadline && !n->ready && !n->stopping && now >= n->boot_deadline) {
			/* Reported, not killed: a translated boot may just be slow. */
			n->boot_deadline = 0;
			log_warnx("node %lld: not ready within its boot timeout; still waiting",
			    (long long)n->id);
			state_node_late(n->id);
		}
	}
	if (now >= rt.logs_at)
		rt.logs_at = now + RT_LOGS_MS;
	stage_pump();
}

static int
rt_timeout(void)
{
	int64_t now = clock_mono_ms(), next = now + 1000;

	if (rt.more)
		return (1); /* the rest: after a breath, in which API threads take the lock */
	for (struct rt_node *n = rt.nodes; n != NULL; n = n->next) {
		if (n->qmp_retry_at && n->qmp_retry_at < next)
			next = n->qmp_retry_at;
		if (n->stop_deadline && n->stop_deadline < next)
			next = n->stop_deadline;
		if (n->resume_settle_at && n->resume_settle_at < next)
			next = n->resume_settle_at;
		if (n->has_re && !n->ready && !n->typing && !n->stopping && n->ready_poll_at < next)
			next = n->ready_poll_at;
		if (n->boot_deadline && n->boot_deadline < next)
			next = n->boot_deadline;
	}
	return (next <= now ? 0 : (int)(next - now));
}

static struct rt_cmd *
rt_dequeue(void)
{
	struct rt_cmd *c;

	pthread_mutex_lock(&rt.qmu);
	if ((c = rt.head) != NULL) {
		rt.head = c->next;
		if (rt.head == NULL)
			rt.tail = NULL;
	}
	pthread_mutex_unlock(&rt.qmu);
	return (c);
}

/* stage_take - move the stages API threads queued into the loop's list. */
static void
stage_take(void)
{
	struct rt_stage *p;

	pthread_mutex_lock(&rt.qmu);
	p = rt.pending;
	rt.pending = NULL;
	pthread_mutex_unlock(&rt.qmu);
	while (p != NULL) {
		struct rt_stage *next = p->link;

		p->link = rt.stages;
		rt.stages = p;
		p = next;
	}
	stage_pump();
}

/*
 * stage_pump - start queued nodes while fewer than conc of a stage's
 * started nodes are still booting (not ready, not past their boot
 * timeout, not stopped or failed).
 */
void
stage_pump(void)
{
	struct rt_stage **pp = &rt.stages;

	while (*pp != NULL) {
		struct rt_stage *st = *pp;
		int booting = 0;

		for (size_t i = 0; i < st->next; i++) {
			struct rt_node *n = rt_find(st->ids[i]);

			if ((n != NULL && !n->ready && !n->stopping && n->boot_deadline != 0) ||
			    (n == NULL && start_preparing(st->ids[i])))
				booting++;
		}
		while (booting < st->conc && st->next < st->n && !rt_slice_over()) {
			int64_t id = st->ids[st->next++];

			/* Still waiting for its turn (not stopped or deleted meanwhile)? */
			if (!state_node_in(id, "starting", "queued"))
				continue;
			start_node(id);
			if ((rt_find(id) != NULL && rt_find(id)->boot_deadline != 0) ||
			    start_preparing(id))
				booting++;
		}
		if (st->next == st->n) {
			*pp = st->link;
			free(st->ids);
			free(st);
		} else {
			pp = &st->link;
		}
	}
}

/* rt_captures_reap - record and announce the captures that ended by themselves. */
static void
rt_captures_reap(void)
{
	struct capture_stats *st;
	int n = capture_reap(&st);

	state_captures_ended(st, n);
	free(st);
}

static bool
rt_commands(void)
{
	struct rt_cmd *c;
	struct rt_node *n;
	uint64_t v;
	bool go = true;

	if (read(rt.evfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("runtime: eventfd read");
	rt.cmds_left = false;
	while ((c = rt_dequeue()) != NULL) {
		bool ok = true;

		switch (c->op) {
		case RT_NODE_START:
			start_node(c->id);
			break;
		case RT_NODE_PREPARED:
			start_prepared();
			break;
		case RT_NODE_STOP:
		case RT_NODE_KILL:
			node_stop(c->id, c->op == RT_NODE_KILL);
			break;
		case RT_LINK_WIRE:
		case RT_LINK_STATE:
			ok = links_sync(c->id, 0) == 0;
			links_state(c->id);
			break;
		case RT_LINK_UNWIRE:
		case RT_LINK_SYNC:
			/* A deleted link has no ends: it is forgotten. */
			ok = links_sync(c->id, 0) == 0;
			break;
		case RT_NODE_TYPED:
		case RT_NODE_TYPE_FAILED:
			if ((n = rt_find(c->id)) != NULL && n->typing && !n->stopping)
				ready_mark(n,
				    c->op == RT_NODE_TYPED
				        ? "startup config typed"
				        : "but typing its startup config failed");
			break;
		case RT_STAGE:
			stage_take();
			break;
		case RT_CAPTURES_REAP:
			rt_captures_reap();
			break;
		case RT_NODE_RESUME:
			node_resume(c->id);
			break;
		case RT_QUIT:
			go = false;
			break;
		}
		rt_done(c->seq, ok);
		free(c);
		if (go && rt_slice_over()) {
			rt.cmds_left = true;
			break;
		}
	}
	return (go);
}

/* Told from the capture thread: captures ended by themselves wait to be recorded. */
static void
rt_captures_notify(void)
{
	rt_enqueue(RT_CAPTURES_REAP, 0);
}

static void *
rt_loop(void *arg)
{
	struct epoll_event evs[32];
	bool go = true;

	(void)arg;
	while (go) {
		int n;

		lw_lock();
		int timeout = rt_timeout();
		lw_unlock();
		n = epoll_wait(rt.epfd, evs, 32, timeout);
		if (n == -1 && errno != EINTR) {
			log_warn("runtime: epoll_wait");
			continue;
		}
		lw_lock();
		rt.more = false;
		rt.slice_end = clock_mono_ms() + RT_SLICE_MS;
		/* Exits last: node_exited frees the node other events may name. */
		for (int i = 0; i < n; i++) {
			struct rt_watch *w = evs[i].data.ptr;

			if (w == NULL)
				rt.cmds_left = true;
			else if (w->kind == W_QMP && w->n->qmp != NULL)
				node_qmp_readable(w->n);
		}
		if (rt.cmds_left)
			go = rt_commands() && go;
		for (int i = 0; i < n; i++) {
			struct rt_watch *w = evs[i].data.ptr;

			if (w != NULL && w->kind == W_PID)
				node_exited(w->n);
		}
		rt_timers();
		ready_poll_due(); /* lw_lock is released while it matches */
		lw_unlock();
	}
	return (NULL);
}

/* What starts may commit, said once at start-up. */
static void
runtime_log_memory(void)
{
	struct hostmem m;

	hostmem_read(lw.cfg.mem_overcommit, &m);
	if (m.limit_mb)
		log_info("host memory %lld MiB, the daemon's cgroup limit %lld MiB: starts may "
		         "commit %lld MiB of guest RAM (--mem-overcommit %g)",
		    (long long)m.total_mb, (long long)m.limit_mb, (long long)m.budget_mb,
		    m.overcommit);
	else
		log_info("host memory %lld MiB: starts may commit %lld MiB of guest RAM "
		         "(--mem-overcommit %g)",
		    (long long)m.total_mb, (long long)m.budget_mb, m.overcommit);
}

int
runtime_init(struct lw_err *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	char run[PATH_MAX];

	snprintf(run, sizeof(run), "%s/run", lw.cfg.data_dir);
	if (paths_mkdir_p(run) == -1)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", run, strerror(errno)));
	if ((rt.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (rt.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    epoll_ctl(rt.epfd, EPOLL_CTL_ADD, rt.evfd, &ev) == -1)
		return (err_set(e, ERR_INTERNAL, "runtime: %s", strerror(errno)));
	runtime_log_memory();
	capture_set_notify(rt_captures_notify);
	if (ifown_init(e) == -1)
		return (-1);
	lw_lock();
	adopt_all();
	lw_unlock();
	if (pthread_create(&rt.thread, NULL, rt_loop, NULL) != 0)
		return (err_set(e, ERR_INTERNAL, "runtime thread: %s", strerror(errno)));
	rt.started = true;
	return (0);
}

void
runtime_fini(void)
{
	struct rt_node *n;
	struct rt_cmd *c;

	if (rt.started) {
		rt_enqueue(RT_QUIT, 0);
		pthread_join(rt.thread, NULL);
		rt.started = false;
	}
	ready_typing_wait(); /* they queue a command when done: before the queue closes */
	start_fini();
	pthread_mutex_lock(&rt.qmu);
	rt.closed = true;
	pthread_cond_broadcast(&rt.done); /* what is still queued is not done: say so */
	while ((c = rt.head) != NULL) {
		rt.head = c->next;
		free(c);
	}
	rt.tail = NULL;
	if (rt.evfd != -1)
		close(rt.evfd);
	if (rt.epfd != -1)
		close(rt.epfd);
	rt.evfd = rt.epfd = -1;
	pthread_mutex_unlock(&rt.qmu);
	while ((n = rt.nodes) != NULL) {
		rt.nodes = n->next;
		node_free(n);
	}
	memset(rt.by_id, 0, sizeof(rt.by_id));
	ready_re_free_all();
	for (struct rt_stage **l = (struct rt_stage *[]){rt.stages, rt.pending, NULL}, *st; *l; l++)
		while ((st = *l) != NULL) {
			*l = st->link;
			free(st->ids);
			free(st);
		}
	rt.stages = rt.pending = NULL;
}

int
runtime_admit(int64_t node, int64_t needed_mb, struct lw_err *e)
{
	struct hostmem m;

	hostmem_read(lw.cfg.mem_overcommit, &m);
	return (hostmem_admit(&m, needed_mb, state_ram_committed(node), e));
}

int
rt_admit(int64_t node, struct lw_err *e)
{
	return (runtime_admit(node, state_node_ram(node), e));
}

int64_t
runtime_ram_committed(void)
{
	return (state_ram_committed(0));
}

void
runtime_node_start(int64_t node)
{
	state_node_starting(node, false);
	rt_enqueue(RT_NODE_START, node);
}

int
runtime_lab_start(int64_t lab, const int64_t *ids, size_t n, int conc, struct lw_err *e)
{
	struct rt_stage *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->ids = calloc(n + 1, sizeof(*ids))) == NULL) {
		free(st);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	memcpy(st->ids, ids, n * sizeof(*ids));
	st->n = n;
	st->conc = conc;
	for (size_t i = 0; i < n; i++)
		state_node_starting(ids[i], true);
	pthread_mutex_lock(&rt.qmu);
	st->link = rt.pending;
	rt.pending = st;
	pthread_mutex_unlock(&rt.qmu);
	rt_enqueue(RT_STAGE, lab);
	return (0);
}

void
runtime_node_stop(int64_t node, bool force)
{
	state_node_stopping(node);
	rt_enqueue(force ? RT_NODE_KILL : RT_NODE_STOP, node);
}

uint64_t
runtime_node_resume(int64_t node)
{
	struct rt_node *n = rt_find(node);

	if (n == NULL)
		return (0);
	rt_enqueue(RT_NODE_RESUME, node);
	return (++n->resume_asked);
}

int
runtime_node_resumed(int64_t node, uint64_t ticket, char *err, size_t len)
{
	struct rt_node *n = rt_find(node);

	if (n == NULL) {
		snprintf(err, len, "its process is gone");
		return (1);
	}
	if (n->resume_done < ticket)
		return (0);
	snprintf(err, len, "%s", n->resume_err);
	return (1);
}

void
runtime_link_wire(int64_t link)
{
	rt_enqueue(RT_LINK_WIRE, link);
}

void
runtime_link_unwire(int64_t link)
{
	rt_enqueue(RT_LINK_UNWIRE, link);
}

uint64_t
runtime_link_state(int64_t link)
{
	return (rt_enqueue(RT_LINK_STATE, link));
}

uint64_t
runtime_link_sync(int64_t link)
{
	return (rt_enqueue(RT_LINK_SYNC, link));
}

int
runtime_busy_count(int64_t lab, int64_t node)
{
	int c = 0;

	for (struct rt_node *n = rt.nodes; n != NULL; n = n->next)
		if ((lab == 0 || n->lab == lab) && (node == 0 || n->id == node))
			c++;
	/* Queued starts and stops not yet in the loop's table count too. */
	return (c + state_busy_count(lab, node));
}

void
runtime_captures_ended(const struct capture_stats *st, int n)
{
	state_captures_ended(st, n);
}
