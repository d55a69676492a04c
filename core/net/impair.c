/*
 * impair - the impairment engine (see impair.h).
 *
 * Locking: eng.mu guards the link list, every queue and every counter.
 * The engine thread waits in epoll unlocked and handles a batch under the
 * lock; epoll carries link ids, looked up again under the lock, so an
 * event for a link removed meanwhile finds nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/net/impair.h"
#include "core/base/log.h"

#define FRAME_MAX 9216 + 64
#define QUEUE_MAX 1000 /* frames per direction, as netem's default limit */
#define READ_BURST 64  /* frames read from one TAP before looking at the others */
/*
 * A retired link (its endpoints redirected past the engine) stays at least
 * RETIRE_GRACE_US, for frames already on their way into its TAPs, and then
 * until its queues are empty, but no longer than RETIRE_DRAIN_US: the
 * longest delay plus jitter the API allows (60 s each). Only a
 * rate-limited backlog can be due later; it is dropped with the link.
 */
#define RETIRE_GRACE_US 50000
#define RETIRE_DRAIN_US 120000000

/* ---- parameters ---- */

static void
dir_from_json(json_t *o, struct impair_dir *d)
{
	json_t *v;

	if (!json_is_object(o))
		return;
	if ((v = json_object_get(o, "delay_ms")) != NULL)
		d->delay_us = (int64_t)(json_number_value(v) * 1000);
	if ((v = json_object_get(o, "jitter_ms")) != NULL)
		d->jitter_us = (int64_t)(json_number_value(v) * 1000);
	if ((v = json_object_get(o, "loss_pct")) != NULL)
		d->loss = json_number_value(v) / 100;
	if ((v = json_object_get(o, "loss_burst")) != NULL)
		d->loss_burst = (int)json_integer_value(v);
	if ((v = json_object_get(o, "duplicate_pct")) != NULL)
		d->duplicate = json_number_value(v) / 100;
	if ((v = json_object_get(o, "corrupt_pct")) != NULL)
		d->corrupt = json_number_value(v) / 100;
	if ((v = json_object_get(o, "reorder_pct")) != NULL)
		d->reorder = json_number_value(v) / 100;
	if ((v = json_object_get(o, "rate_kbps")) != NULL)
		d->rate_bps = (uint64_t)json_integer_value(v) * 1000;
}

int
impair_params_from_json(json_t *imp, struct impair_params *p)
{
	memset(p, 0, sizeof(*p));
	if (imp == NULL)
		return (0);
	if (!json_is_object(imp))
		return (-1);
	/* The common fields first, then each direction's own over them. */
	dir_from_json(imp, &p->dir[0]);
	p->dir[1] = p->dir[0];
	dir_from_json(json_object_get(imp, "a_to_b"), &p->dir[0]);
	dir_from_json(json_object_get(imp, "b_to_a"), &p->dir[1]);
	p->has_seed = json_object_get(imp, "seed") != NULL;
	p->seed = (uint64_t)json_integer_value(json_object_get(imp, "seed"));
	return (0);
}

bool
impair_params_active(const struct impair_params *p)
{
	for (int i = 0; i < 2; i++) {
		const struct impair_dir *d = &p->dir[i];

		if (d->delay_us || d->jitter_us || d->loss > 0 || d->duplicate > 0 ||
		    d->corrupt > 0 || d->reorder > 0 || d->rate_bps)
			return (true);
	}
	return (false);
}

/* ---- the model ---- */

/* splitmix64: small, fast, and the same sequence for the same seed everywhere. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31));
}

/* A uniform double in [0, 1). */
static double
rng_unit(uint64_t *s)
{
	return ((double)(rng_next(s) >> 11) * 0x1.0p-53);
}

void
impair_model_init(struct impair_model *m, uint64_t seed, int dir)
{
	uint64_t s = seed;

	memset(m, 0, sizeof(*m));
	/* Seed and direction mixed, so (s, 1) is not (s + 1, 0)'s stream. */
	m->rng = rng_next(&s) ^ (dir ? 0xd1b54a32d192ed03ull : 0);
}

/*
 * Gilbert-Elliott with a lossless good state and a lossy bad one: the bad
 * state is left with probability 1/burst per frame, entered with the
 * probability that makes its long-run share equal to the loss rate.
 */
static bool
model_lost(struct impair_model *m, const struct impair_dir *p)
{
	double r, enter;

	if (p->loss <= 0)
		return (false);
	if (p->loss_burst <= 1)
		return (rng_unit(&m->rng) < p->loss);
	if (p->loss >= 1)
		return (true);
	r = 1.0 / p->loss_burst;
	enter = p->loss * r / (1 - p->loss);
	if (m->bad)
		m->bad = rng_unit(&m->rng) >= r;
	else
		m->bad = rng_unit(&m->rng) < enter;
	return (m->bad);
}

void
impair_model_frame(struct impair_model *m, const struct impair_dir *p, int64_t now_us, size_t len,
    struct impair_fate *f)
{
	memset(f, 0, sizeof(*f));
	if (model_lost(m, p))
		return;
	f->copies = p->duplicate > 0 && rng_unit(&m->rng) < p->duplicate ? 2 : 1;
	f->reordered = p->reorder > 0 && p->delay_us > 0 && rng_unit(&m->rng) < p->reorder;
	for (int c = 0; c < f->copies; c++) {
		int64_t t = now_us;

		f->corrupt_bit[c] = -1;
		if (p->corrupt > 0 && rng_unit(&m->rng) < p->corrupt && len > 0) {
			/* Past the Ethernet header, so the frame still reaches its peer. */
			size_t first = len > 14 ? 14 : 0;

			f->corrupt_bit[c] = (int64_t)(first * 8 +
			    rng_next(&m->rng) % (uint64_t)((len - first) * 8));
		}
		if (f->reordered) {
			f->depart_us[c] = now_us; /* jumps the queue, as netem's reorder */
			continue;
		}
		t += p->delay_us;
		if (p->jitter_us > 0)
			t += (int64_t)((rng_unit(&m->rng) * 2 - 1) * (double)p->jitter_us);
		if (t < now_us)
			t = now_us;
		/* Jitter never reorders by itself: a frame never leaves before its elder. */
		if (t < m->last_us)
			t = m->last_us;
		if (p->rate_bps > 0) {
			int64_t start = t > m->rate_free_us ? t : m->rate_free_us;

			t = start + (int64_t)((double)len * 8 * 1e6 / (double)p->rate_bps);
			m->rate_free_us = t;
		}
		m->last_us = t;
		f->depart_us[c] = t;
	}
}

/* ---- the engine ---- */

struct qframe {
	int64_t depart_us;
	struct qframe *next;
	size_t len;
	unsigned char data[];
};

struct elink {
	int64_t id;
	int fd[2]; /* engine TAP facing endpoint a, endpoint b */
	struct impair_params p;
	struct impair_model m[2];
	struct qframe *qhead[2], *qtail[2]; /* direction d leaves by fd[1 - d] */
	struct impair_stats st;
	int64_t retired_us; /* 0: in use; else when it was retired */
	struct elink *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_t thread;
	bool running, quit;
	int epfd, evfd, tfd;
	struct elink *links;
} eng = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .evfd = -1, .tfd = -1};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static struct elink *
elink_find(int64_t id)
{
	for (struct elink *l = eng.links; l != NULL; l = l->next)
		if (l->id == id)
			return (l);
	return (NULL);
}

static void
queue_flush(struct elink *l, int d)
{
	struct qframe *q;

	while ((q = l->qhead[d]) != NULL) {
		l->qhead[d] = q->next;
		free(q);
	}
	l->qtail[d] = NULL;
	l->st.queued[d] = 0;
}

static void
frame_send(struct elink *l, int d, const unsigned char *data, size_t len)
{
	/* A TAP write injects the frame as received there; tc sends it on to the endpoint. */
	if (write(l->fd[1 - d], data, len) == (ssize_t)len)
		l->st.out[d]++;
	else
		l->st.queue_dropped[d]++;
}

static void
frame_arrived(struct elink *l, int d, unsigned char *data, size_t len, int64_t now)
{
	struct impair_fate f;

	l->st.in[d]++;
	/*
	 * A full queue drops the frame before the model sees it: a frame that
	 * never leaves must not book time on the rate-limited line (room for
	 * a duplicate included).
	 */
	if (l->st.queued[d] + IMPAIR_MAX_COPIES > QUEUE_MAX) {
		l->st.queue_dropped[d]++;
		return;
	}
	impair_model_frame(&l->m[d], &l->p.dir[d], now, len, &f);
	if (f.copies == 0) {
		l->st.lost[d]++;
		return;
	}
	if (f.copies > 1)
		l->st.duplicated[d]++;
	if (f.reordered)
		l->st.reordered[d]++;
	for (int c = 0; c < f.copies; c++) {
		struct qframe *q;

		if (f.corrupt_bit[c] >= 0) {
			/* A private copy per corrupted copy: the duplicate stays intact. */
			l->st.corrupted[d]++;
		}
		/* Due now and nothing ahead of it: the fast path, no copy, no queue. */
		if ((f.reordered || l->qhead[d] == NULL) && f.depart_us[c] <= now &&
		    f.corrupt_bit[c] < 0) {
			frame_send(l, d, data, len);
			continue;
		}
		if ((q = malloc(sizeof(*q) + len)) == NULL) {
			l->st.queue_dropped[d]++;
			continue;
		}
		q->depart_us = f.depart_us[c];
		q->len = len;
		memcpy(q->data, data, len);
		if (f.corrupt_bit[c] >= 0)
			q->data[f.corrupt_bit[c] / 8] ^=
			    (unsigned char)(1u << (f.corrupt_bit[c] % 8));
		if (q->depart_us <= now && f.reordered) {
			frame_send(l, d, q->data, q->len);
			free(q);
			continue;
		}
		/* Departures are kept in order (impair_model_frame), so the tail is the place. */
		q->next = NULL;
		if (l->qtail[d])
			l->qtail[d]->next = q;
		else
			l->qhead[d] = q;
		l->qtail[d] = q;
		l->st.queued[d]++;
	}
}

/* The earlier of two wake-up times, 0 meaning none. */
static int64_t
earliest(int64_t a, int64_t b)
{
	return (a == 0 || (b != 0 && b < a) ? b : a);
}

/* Send every frame that is due; returns the earliest departure still queued (or 0). */
static int64_t
queues_run(int64_t now)
{
	int64_t next = 0;

	for (struct elink *l = eng.links; l != NULL; l = l->next)
		for (int d = 0; d < 2; d++) {
			struct qframe *q;

			while ((q = l->qhead[d]) != NULL && q->depart_us <= now) {
				l->qhead[d] = q->next;
				if (l->qhead[d] == NULL)
					l->qtail[d] = NULL;
				l->st.queued[d]--;
				frame_send(l, d, q->data, q->len);
				free(q);
			}
			if (q != NULL)
				next = earliest(next, q->depart_us);
		}
	return (next);
}

/*
 * retired_take - unlink every retired link that is done (see
 * RETIRE_GRACE_US) into *gone, to be freed unlocked; returns when the next
 * retired one may be (or 0).
 */
static int64_t
retired_take(int64_t now, struct elink **gone)
{
	int64_t next = 0, until;

	for (struct elink **pl = &eng.links, *l; (l = *pl) != NULL;) {
		until = l->retired_us +
		    (l->st.queued[0] + l->st.queued[1] > 0 ? RETIRE_DRAIN_US : RETIRE_GRACE_US);
		if (l->retired_us == 0 || until > now) {
			if (l->retired_us != 0)
				next = earliest(next, until);
			pl = &l->next;
			continue;
		}
		*pl = l->next;
		for (int s = 0; s < 2; s++)
			epoll_ctl(eng.epfd, EPOLL_CTL_DEL, l->fd[s], NULL);
		l->next = *gone;
		*gone = l;
	}
	return (next);
}

static void
timer_arm(int64_t at_us)
{
	struct itimerspec its = {0};

	/* Zero disarms; an absolute time in the past fires at once. */
	if (at_us > 0) {
		its.it_value.tv_sec = at_us / 1000000;
		its.it_value.tv_nsec = (at_us % 1000000) * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(eng.tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("impair: timerfd");
}

static void
link_readable(struct elink *l, int side)
{
	unsigned char buf[FRAME_MAX];

	for (int i = 0; i < READ_BURST; i++) {
		ssize_t r = read(l->fd[side], buf, sizeof(buf));

		if (r == -1 && errno != EAGAIN && errno != EINTR) {
			/* The TAP went away under us: stop polling it, or we would spin. */
			log_warn("impair: link %lld side %d", (long long)l->id, side);
			epoll_ctl(eng.epfd, EPOLL_CTL_DEL, l->fd[side], NULL);
			break;
		}
		if (r <= 0)
			break;
		frame_arrived(l, side, buf, (size_t)r, now_us());
	}
}

static void elink_free(struct elink *l);

static void *
eng_loop(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	for (;;) {
		int n = epoll_wait(eng.epfd, evs, 64, -1);
		struct elink *gone = NULL;
		int64_t now, next;
		uint64_t v;

		if (n == -1 && errno != EINTR) {
			log_warn("impair: epoll_wait");
			continue;
		}
		pthread_mutex_lock(&eng.mu);
		if (eng.quit) {
			pthread_mutex_unlock(&eng.mu);
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			struct elink *l;

			if (tag == 0) {
				if (read(eng.tfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
					log_warn("impair: timerfd read");
			} else if (tag == 1) {
				if (read(eng.evfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
					log_warn("impair: eventfd read");
			} else if ((l = elink_find((int64_t)(tag >> 1) - 1)) != NULL) {
				link_readable(l, (int)(tag & 1));
			}
		}
		now = now_us();
		next = queues_run(now); /* first: what it sends may empty a retired link */
		timer_arm(earliest(next, retired_take(now, &gone)));
		pthread_mutex_unlock(&eng.mu);
		/* Closing a TAP waits for the kernel: not under the lock (see impair_link_remove).
		 */
		while (gone != NULL) {
			struct elink *l = gone;

			gone = l->next;
			elink_free(l);
		}
	}
	return (NULL);
}

/* Wake the engine (called locked); once it is quitting, nobody listens. */
static void
eng_wake(void)
{
	uint64_t one = 1;

	if (eng.quit || eng.evfd == -1)
		return;
	if (write(eng.evfd, &one, sizeof(one)) == -1)
		log_warn("impair: eventfd");
}

int
impair_init(void)
{
	struct epoll_event ev = {.events = EPOLLIN};

	eng.quit = false;
	if ((eng.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (eng.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    (eng.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) == -1)
		return (-1);
	ev.data.u64 = 0;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, eng.tfd, &ev) == -1)
		return (-1);
	ev.data.u64 = 1;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, eng.evfd, &ev) == -1)
		return (-1);
	if (pthread_create(&eng.thread, NULL, eng_loop, NULL) != 0)
		return (-1);
	eng.running = true;
	return (0);
}

static void
elink_free(struct elink *l)
{
	for (int s = 0; s < 2; s++) {
		queue_flush(l, s);
		if (l->fd[s] != -1)
			close(l->fd[s]); /* the engine TAP vanishes with its fd */
	}
	free(l);
}

/*
 * impair_fini - stop the engine thread, then, under the lock, free every
 * link and close the engine's fds (set to -1). eng.quit stays set: a late
 * impair_link_set is refused, eng_wake writes nothing.
 */
void
impair_fini(void)
{
	struct elink *l;
	uint64_t one = 1;

	pthread_mutex_lock(&eng.mu);
	eng.quit = true;
	pthread_mutex_unlock(&eng.mu);
	if (eng.running) {
		/* eng.quit is set: no one else writes evfd now, and only we close it. */
		if (write(eng.evfd, &one, sizeof(one)) == -1)
			log_warn("impair: eventfd");
		pthread_join(eng.thread, NULL);
		eng.running = false;
	}
	pthread_mutex_lock(&eng.mu);
	while ((l = eng.links) != NULL) {
		eng.links = l->next;
		elink_free(l);
	}
	for (int *fd = &eng.epfd; fd <= &eng.tfd; fd++)
		if (*fd != -1) {
			close(*fd);
			*fd = -1;
		}
	pthread_mutex_unlock(&eng.mu);
}

/* Without a seed of its own, a link's choices are its own: seeded by its id. */
static uint64_t
eff_seed(int64_t link, const struct impair_params *p)
{
	return (p->has_seed ? p->seed : 0x6c77000000000000ull ^ (uint64_t)link);
}

int
impair_link_set(int64_t link, int fd_a, int fd_b, const struct impair_params *p)
{
	struct elink *l;
	int ret = 0;

	pthread_mutex_lock(&eng.mu);
	if ((l = elink_find(link)) != NULL) {
		if (fd_a != -1)
			close(fd_a);
		if (fd_b != -1)
			close(fd_b);
		/* A new seed restarts the model; otherwise its state carries on. */
		if (eff_seed(link, &l->p) != eff_seed(link, p))
			for (int d = 0; d < 2; d++)
				impair_model_init(&l->m[d], eff_seed(link, p), d);
		l->p = *p;
		l->retired_us = 0; /* back in use before it was gone */
		eng_wake();
		pthread_mutex_unlock(&eng.mu);
		return (0);
	}
	if (eng.quit || (l = calloc(1, sizeof(*l))) == NULL) { /* quit: after impair_fini */
		close(fd_a);
		close(fd_b);
		pthread_mutex_unlock(&eng.mu);
		return (-1);
	}
	l->id = link;
	l->fd[0] = fd_a;
	l->fd[1] = fd_b;
	l->p = *p;
	for (int d = 0; d < 2; d++)
		impair_model_init(&l->m[d], eff_seed(link, p), d);
	for (int s = 0; s < 2 && ret == 0; s++) {
		struct epoll_event ev = {
		    .events = EPOLLIN, .data.u64 = ((uint64_t)(link + 1) << 1) | (uint64_t)s};

		if (fcntl(l->fd[s], F_SETFL, fcntl(l->fd[s], F_GETFL) | O_NONBLOCK) == -1 ||
		    epoll_ctl(eng.epfd, EPOLL_CTL_ADD, l->fd[s], &ev) == -1)
			ret = -1;
	}
	if (ret == -1)
		elink_free(l);
	else {
		l->next = eng.links;
		eng.links = l;
	}
	pthread_mutex_unlock(&eng.mu);
	return (ret);
}

bool
impair_link_has(int64_t link)
{
	bool has;

	pthread_mutex_lock(&eng.mu);
	has = elink_find(link) != NULL;
	pthread_mutex_unlock(&eng.mu);
	return (has);
}

bool
impair_link_reclaim(int64_t link)
{
	struct elink *l;

	pthread_mutex_lock(&eng.mu);
	if ((l = elink_find(link)) != NULL)
		l->retired_us = 0;
	pthread_mutex_unlock(&eng.mu);
	return (l != NULL);
}

void
impair_link_retire(int64_t link)
{
	struct elink *l;

	pthread_mutex_lock(&eng.mu);
	if ((l = elink_find(link)) != NULL && l->retired_us == 0) {
		l->retired_us = now_us();
		eng_wake(); /* its timer is armed from the loop */
	}
	pthread_mutex_unlock(&eng.mu);
}

void
impair_link_remove(int64_t link)
{
	struct elink *l = NULL;

	pthread_mutex_lock(&eng.mu);
	for (struct elink **pl = &eng.links; *pl != NULL; pl = &(*pl)->next)
		if ((*pl)->id == link) {
			l = *pl;
			*pl = l->next;
			for (int s = 0; s < 2; s++)
				epoll_ctl(eng.epfd, EPOLL_CTL_DEL, l->fd[s], NULL);
			break;
		}
	pthread_mutex_unlock(&eng.mu);
	/* Closing a TAP waits for the kernel to tear it down: not while the others wait. */
	if (l != NULL)
		elink_free(l);
}

int
impair_link_stats(int64_t link, struct impair_stats *st)
{
	struct elink *l;
	int ret = -1;

	pthread_mutex_lock(&eng.mu);
	if ((l = elink_find(link)) != NULL && l->retired_us == 0) {
		*st = l->st;
		ret = 0;
	}
	pthread_mutex_unlock(&eng.mu);
	return (ret);
}
