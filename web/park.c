/*
 * park - long-lived responses held without a thread each (see park.h).
 * The list and every parked flag are guarded by pk.mu; a connection is
 * suspended and resumed only under it, so a resume never races its suspend.
 * A parked socket is in an epoll set for EPOLLRDHUP: a client that hangs
 * up is resumed at the next tick, so its stream ends and its slot frees.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdlib.h>

#include "core/base/clock.h"
#include "core/base/events.h"
#include "core/base/log.h"
#include "web/park.h"

/* How often the thread asks a parked stream's ready() besides events. */
#define PARK_TICK_MS 100
/* How long park_stop waits for resumed streams to end. */
#define PARK_STOP_MS 3000

struct park {
	struct MHD_Connection *c;
	int fd; /* the client's socket: watched for a hang-up while parked */
	bool (*ready)(void *arg);
	void *arg;
	bool parked, hup, watched;
	struct park *prev, *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t gone; /* a stream left the list */
	struct park *head;
	int count;
	int epfd; /* parked sockets, for EPOLLRDHUP */
	bool stopping, started;
	pthread_t thread;
} pk = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, -1, false, false, 0};

/* Stop watching p's socket (it is resumed, or gone). Called with pk.mu held. */
static void
park_unwatch(struct park *p)
{
	if (p->watched && pk.epfd != -1)
		epoll_ctl(pk.epfd, EPOLL_CTL_DEL, p->fd, NULL);
	p->watched = false;
}

bool
park_client_gone(struct park *p)
{
	struct pollfd pf = {.fd = p->fd, .events = POLLRDHUP};

	return (
	    p->fd != -1 && poll(&pf, 1, 0) == 1 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)));
}

struct park *
park_new(struct MHD_Connection *c, bool (*ready)(void *arg), void *arg)
{
	struct park *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return (NULL);
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	p->c = c;
	p->fd = ci != NULL ? ci->connect_fd : -1;
	p->ready = ready;
	p->arg = arg;
	pthread_mutex_lock(&pk.mu);
	p->next = pk.head;
	if (pk.head != NULL)
		pk.head->prev = p;
	pk.head = p;
	pk.count++;
	pthread_mutex_unlock(&pk.mu);
	return (p);
}

void
park_hold(struct park *p)
{
	pthread_mutex_lock(&pk.mu);
	if (!pk.stopping && !p->parked && !p->hup && !p->ready(p->arg)) {
		struct epoll_event ev = {.events = EPOLLRDHUP, .data.ptr = p};

		p->parked = true;
		MHD_suspend_connection(p->c);
		p->watched = p->fd != -1 && pk.epfd != -1 &&
		    epoll_ctl(pk.epfd, EPOLL_CTL_ADD, p->fd, &ev) == 0;
	}
	pthread_mutex_unlock(&pk.mu);
}

void
park_free(struct park *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&pk.mu);
	park_unwatch(p);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		pk.head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	pk.count--;
	pthread_cond_broadcast(&pk.gone);
	pthread_mutex_unlock(&pk.mu);
	free(p);
}

bool
park_stopping(void)
{
	bool s;

	pthread_mutex_lock(&pk.mu);
	s = pk.stopping;
	pthread_mutex_unlock(&pk.mu);
	return (s);
}

int
park_count(void)
{
	int n;

	pthread_mutex_lock(&pk.mu);
	n = pk.count;
	pthread_mutex_unlock(&pk.mu);
	return (n);
}

/* Resume each parked stream that has something to do (all of them once stopping). */
static void
park_sweep(void)
{
	struct epoll_event evs[64];
	int n;

	/* Clients that hung up: resumed, their reader ends the stream. */
	while (pk.epfd != -1 && (n = epoll_wait(pk.epfd, evs, 64, 0)) > 0)
		for (int i = 0; i < n; i++) {
			struct park *p = evs[i].data.ptr;

			p->hup = true;
			park_unwatch(p);
		}
	for (struct park *p = pk.head; p != NULL; p = p->next)
		if (p->parked && (pk.stopping || p->hup || p->ready(p->arg))) {
			p->parked = false;
			park_unwatch(p);
			MHD_resume_connection(p->c);
		}
}

static void *
park_loop(void *arg)
{
	uint64_t seq = events_seq();

	(void)arg;
	for (;;) {
		seq = events_wait(seq, PARK_TICK_MS);
		pthread_mutex_lock(&pk.mu);
		if (pk.stopping) {
			pthread_mutex_unlock(&pk.mu);
			return (NULL);
		}
		park_sweep();
		pthread_mutex_unlock(&pk.mu);
	}
}

int
park_start(void)
{
	if ((pk.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    pthread_create(&pk.thread, NULL, park_loop, NULL) != 0)
		return (-1);
	pk.started = true;
	return (0);
}

void
park_stop(void)
{
	struct timespec until;

	pthread_mutex_lock(&pk.mu);
	pk.stopping = true;
	pthread_mutex_unlock(&pk.mu);
	events_wake(); /* the thread sees stopping at once */
	if (pk.started)
		pthread_join(pk.thread, NULL);
	pk.started = false;
	clock_deadline(&until, PARK_STOP_MS);
	pthread_mutex_lock(&pk.mu);
	park_sweep();
	/* Resumed readers end their streams; a suspended one would stop MHD's stop. */
	while (pk.count > 0 && pthread_cond_timedwait(&pk.gone, &pk.mu, &until) == 0)
		park_sweep();
	if (pk.count > 0)
		log_warnx("park: %d streams still open at shutdown", pk.count);
	pthread_mutex_unlock(&pk.mu);
	/* Streams that outlived the wait are no longer watched (they are resumed). */
	pthread_mutex_lock(&pk.mu);
	if (pk.epfd != -1)
		close(pk.epfd);
	pk.epfd = -1;
	pthread_mutex_unlock(&pk.mu);
}
