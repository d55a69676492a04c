/*
 * capture - packet capture on links.
 *
 * Locking: cp.mu guards every tap, capture and reader. The capture thread
 * waits in epoll unlocked and handles a batch under the lock. Taps and
 * captures are freed by whoever ends them, under the lock; the epoll tag
 * is the link id, looked up again, so a stale event finds nothing.
 *
 * Limits and write errors: a capture that reaches its max_bytes or
 * max_ms, or whose file cannot be written (ENOSPC), is marked ending in
 * the middle of a batch and swept out after it (cap_sweep): its file cut
 * back to the last whole record and closed, its readers ended, its final
 * stats kept in cp.ended until capture_reap takes them, and the notify
 * callback told. Frames go to the file through a buffer of our own, not
 * stdio, so that after a failed write we know exactly what is on disk.
 *
 * Shutdown: capture_fini sets cp.stop under the lock, joins the thread,
 * ends every tap, then closes the eventfd and epoll set and sets them to -1
 * (still under the lock). The runtime goes on wiring and unwiring links
 * until it stops, later: a late call finds cp.stop, keeps no tap and wakes
 * no one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/net/capture.h"
#include "core/net/livecap.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/log.h"

#define TAP_SNAPLEN LIVECAP_SNAPLEN
#define READER_QUEUE_MAX (8 << 20)
#define CAP_WBUF (128 << 10) /* holds the largest record (16 + 65535 bytes) */

/* The standard pcap file header and record header (native byte order). */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec, ts_usec, caplen, len;
};

struct frame {
	struct pcap_rec_hdr h;
	struct frame *next;
	unsigned char data[];
};

struct capture_reader {
	int64_t id;
	int file_fd; /* the file, served first up to file_end */
	off_t file_off, file_end;
	char *q; /* then the frames that came since */
	size_t qlen;
	bool ended;
	pthread_cond_t cv;
	struct capture_reader *next;
};

struct cap {
	int64_t id;
	struct bpf_program prog;
	bool has_prog;
	int snaplen;
	int fd;     /* the pcap file, or -1 */
	char *wbuf; /* records not yet written to fd */
	size_t wlen;
	uint64_t wpackets, wbytes; /* the frames in wbuf: they count once on disk */
	off_t file_size;           /* on disk, always whole records */
	uint64_t packets, bytes, dropped, kdrop_base;
	uint64_t max_bytes; /* 0: none */
	int64_t deadline;   /* clock_mono_ms; 0: none */
	bool ending;        /* swept out after this batch: a limit or an error */
	const char *stop_reason;
	int error;
	struct capture_reader *readers;
	struct cap *next;
};

struct tap {
	int64_t link;
	char ifname[16];
	struct livecap *p;
	int fd;
	uint64_t kdrop_moved;
	bool big;       /* opened with TAP_BUFFER */
	char where[16]; /* the interface the link shows on now */
	/* What the capture thread is to open: on want_if, big or not. */
	bool pending, want_big, want_open;
	struct timeval last_ts, skip_until; /* the newest frame taken; see tap_packet */
	bool skip_set;
	char want_if[16];
	struct frame *ring_head, *ring_tail; /* oldest first */
	size_t ring_bytes;
	struct cap *caps;
	struct tap *next;
};

static struct {
	pthread_mutex_t mu;
	int epfd, wakefd;
	pthread_t thread;
	bool running, stop; /* stop: capture_fini has begun; nothing new is taken */
	struct tap *taps;
	struct livecap **dead; /* handles to close, off the lock: closing waits for RCU */
	size_t ndead;
	struct capture_stats *ended; /* ended by themselves, until capture_reap */
	int nended;
	void (*notify)(void);
} cp = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1};

static struct tap *
tap_find(int64_t link)
{
	for (struct tap *t = cp.taps; t != NULL; t = t->next)
		if (t->link == link)
			return (t);
	return (NULL);
}

static struct cap *
cap_find(int64_t id, struct tap **tp)
{
	for (struct tap *t = cp.taps; t != NULL; t = t->next)
		for (struct cap *c = t->caps; c != NULL; c = c->next)
			if (c->id == id) {
				if (tp != NULL)
					*tp = t;
				return (c);
			}
	return (NULL);
}

static uint64_t
tap_kernel_drops(struct tap *t)
{
	/* Drops of handles the link had before it moved count too. */
	if (t->p == NULL)
		return (t->kdrop_moved);
	return (t->kdrop_moved + livecap_drops(t->p));
}

/* ---- the ring of recent frames ---- */

static void
ring_add(struct tap *t, const struct pcap_pkthdr *h, const unsigned char *data)
{
	size_t limit = (size_t)lw.cfg.capture_ring;
	struct frame *f;

	if (limit == 0 || h->caplen > limit)
		return;
	if ((f = malloc(sizeof(*f) + h->caplen)) == NULL)
		return;
	f->h = (struct pcap_rec_hdr){
	    (uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len};
	f->next = NULL;
	memcpy(f->data, data, h->caplen);
	if (t->ring_tail != NULL)
		t->ring_tail->next = f;
	else
		t->ring_head = f;
	t->ring_tail = f;
	t->ring_bytes += sizeof(f->h) + h->caplen;
	while (t->ring_bytes > limit && t->ring_head != NULL) {
		struct frame *old = t->ring_head;

		t->ring_head = old->next;
		if (t->ring_head == NULL)
			t->ring_tail = NULL;
		t->ring_bytes -= sizeof(old->h) + old->h.caplen;
		free(old);
	}
}

static void
ring_free(struct tap *t)
{
	while (t->ring_head != NULL) {
		struct frame *f = t->ring_head;

		t->ring_head = f->next;
		free(f);
	}
	t->ring_tail = NULL;
	t->ring_bytes = 0;
}

/* ---- captures ---- */

static void
reader_push(
    struct cap *c, struct capture_reader *r, const void *a, size_t alen, const void *b, size_t blen)
{
	char *nq;

	if (r->qlen + alen + blen > READER_QUEUE_MAX ||
	    (nq = realloc(r->q, r->qlen + alen + blen)) == NULL) {
		c->dropped++;
		return;
	}
	r->q = nq;
	memcpy(r->q + r->qlen, a, alen);
	memcpy(r->q + r->qlen + alen, b, blen);
	r->qlen += alen + blen;
	pthread_cond_broadcast(&r->cv);
}

/* cap_fail - c ends (after this batch) for reason, or for the write error err. */
static void
cap_fail(struct cap *c, const char *reason, int err)
{
	if (c->ending)
		return;
	c->ending = true;
	c->stop_reason = reason;
	c->error = err;
}

/*
 * cap_flush - write the buffered records; 0, or -1 with errno, the file
 * cut back to the whole records it had (a short write leaves half a one).
 */
static int
cap_flush(struct cap *c)
{
	size_t done = 0;

	while (done < c->wlen) {
		/* At the end of the whole records, wherever a failed write left the offset. */
		ssize_t n = TEMP_FAILURE_RETRY(
		    pwrite(c->fd, c->wbuf + done, c->wlen - done, c->file_size + (off_t)done));

		if (n <= 0) {
			int err = n == 0 ? ENOSPC : errno;

			if (ftruncate(c->fd, c->file_size) == -1)
				log_warn("capture %lld: cutting back its file", (long long)c->id);
			c->wlen = 0;
			c->wpackets = c->wbytes = 0;
			errno = err;
			return (-1);
		}
		done += (size_t)n;
	}
	c->file_size += (off_t)c->wlen;
	c->packets += c->wpackets;
	c->bytes += c->wbytes;
	c->wlen = 0;
	c->wpackets = c->wbytes = 0;
	return (0);
}

/* cap_write - buffer one record for the file; 0, or -1 when it cannot be written (errno). */
static int
cap_write(struct cap *c, const struct pcap_rec_hdr *rh, const unsigned char *data)
{
	size_t rec = sizeof(*rh) + rh->caplen;

	if (c->wlen + rec > CAP_WBUF && cap_flush(c) == -1)
		return (-1);
	memcpy(c->wbuf + c->wlen, rh, sizeof(*rh));
	memcpy(c->wbuf + c->wlen + sizeof(*rh), data, rh->caplen);
	c->wlen += rec;
	return (0);
}

static void
cap_frame(struct cap *c, const struct pcap_pkthdr *h, const unsigned char *data)
{
	struct pcap_rec_hdr rh;
	uint32_t caplen = h->caplen < (uint32_t)c->snaplen ? h->caplen : (uint32_t)c->snaplen;
	uint64_t size;

	if (c->ending || (c->has_prog && pcap_offline_filter(&c->prog, h, data) == 0))
		return;
	rh = (struct pcap_rec_hdr){(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, caplen, h->len};
	/* The frame that would pass max_bytes is not taken: the file stays within it. */
	size = (uint64_t)c->file_size + c->wlen + sizeof(rh) + caplen;
	if (c->max_bytes != 0 && size > c->max_bytes) {
		cap_fail(c, "max_bytes", 0);
		return;
	}
	if (cap_write(c, &rh, data) == -1) {
		cap_fail(c, NULL, errno);
		return;
	}
	c->wpackets++;
	c->wbytes += h->len;
	for (struct capture_reader *r = c->readers; r != NULL; r = r->next)
		reader_push(c, r, &rh, sizeof(rh), data, caplen);
}

static void
tap_packet(unsigned char *arg, const struct pcap_pkthdr *h, const unsigned char *data)
{
	struct tap *t = (struct tap *)arg;

	/*
	 * Just after a handle swap both handles saw the same frames (the new
	 * one opens before the old closes): those the old one already gave,
	 * up to its last timestamp, are not taken twice.
	 */
	if (t->skip_set) {
		if (timercmp(&h->ts, &t->skip_until, <=))
			return;
		t->skip_set = false;
	}
	t->last_ts = h->ts;
	ring_add(t, h, data);
	for (struct cap *c = t->caps; c != NULL; c = c->next)
		cap_frame(c, h, data);
}

static void
tap_readable(struct tap *t)
{
	/* Bounded: one busy link must not starve the others. */
	if (livecap_dispatch(t->p, 4096, tap_packet, (unsigned char *)t) == -1) {
		/* The interface went away under us: stop polling it, or we would spin. */
		log_warnx("capture on %s: %s", t->ifname, livecap_error(t->p));
		epoll_ctl(cp.epfd, EPOLL_CTL_DEL, t->fd, NULL);
	}
	for (struct cap *c = t->caps; c != NULL; c = c->next)
		if (!c->ending && cap_flush(c) == -1)
			cap_fail(c, NULL, errno);
}

static struct capture_stats
cap_stats(struct tap *t, struct cap *c, bool running)
{
	return ((struct capture_stats){c->id, running, c->stop_reason, c->error, c->packets,
	    c->bytes, c->dropped, tap_kernel_drops(t) - c->kdrop_base});
}

static void
cap_end(struct tap *t, struct cap *c, struct capture_stats *st)
{
	/* What a limit left buffered fits; after a write error nothing is buffered. */
	if (c->fd != -1 && cap_flush(c) == -1) {
		c->ending = true;
		c->stop_reason = NULL;
		c->error = errno;
	}
	if (st != NULL)
		*st = cap_stats(t, c, false);
	for (struct capture_reader *r = c->readers; r != NULL; r = r->next) {
		r->ended = true;
		pthread_cond_broadcast(&r->cv);
	}
	/* Readers still attached hold no pointer to c: they only see ended. */
	if (c->fd != -1)
		close(c->fd);
	free(c->wbuf);
	if (c->has_prog)
		pcap_freecode(&c->prog);
	free(c);
}

static void tap_sync(struct tap *t);

/* cap_retire - c ended by itself: its final stats wait in cp.ended for capture_reap. */
static void
cap_retire(struct tap *t, struct cap *c)
{
	struct capture_stats *grown = realloc(cp.ended, sizeof(*grown) * (size_t)(cp.nended + 1));
	struct capture_stats st;

	cap_end(t, c, &st);
	if (st.error != 0)
		log_warnx("capture %lld failed: %s", (long long)st.id, strerror(st.error));
	else
		log_info("capture %lld stopped at its %s", (long long)st.id, st.stop_reason);
	if (grown == NULL) {
		log_warnx("capture %lld: out of memory for its final counters", (long long)st.id);
		return;
	}
	cp.ended = grown;
	cp.ended[cp.nended++] = st;
}

/*
 * cap_sweep - end every capture that is ending or past its time (called
 * locked); true when one did, for capture_reap.
 */
static bool
cap_sweep(void)
{
	int64_t now = clock_mono_ms();
	bool any = false;

	for (struct tap *t = cp.taps; t != NULL; t = t->next) {
		struct cap **pc = &t->caps;
		bool gone = false;

		while (*pc != NULL) {
			struct cap *c = *pc;

			if (!c->ending && c->deadline != 0 && now >= c->deadline)
				cap_fail(c, "max_seconds", 0);
			if (!c->ending) {
				pc = &c->next;
				continue;
			}
			*pc = c->next;
			cap_retire(t, c);
			gone = any = true;
		}
		if (gone)
			tap_sync(t);
	}
	return (any);
}

/* cap_timeout - ms until the nearest capture deadline, or -1 for none (called locked). */
static int
cap_timeout(void)
{
	int64_t next = 0, now = clock_mono_ms();

	for (struct tap *t = cp.taps; t != NULL; t = t->next)
		for (struct cap *c = t->caps; c != NULL; c = c->next)
			if (c->deadline != 0 && !c->ending && (next == 0 || c->deadline < next))
				next = c->deadline;
	if (next == 0)
		return (-1);
	return (next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now));
}

/* ---- opening and closing, on the capture thread ---- */

/* Wake the capture thread (called locked); once it is stopping, nobody listens. */
static void
cap_wake(void)
{
	uint64_t one = 1;

	if (cp.stop || cp.wakefd == -1)
		return;
	if (write(cp.wakefd, &one, sizeof(one)) == -1)
		log_warn("capture: wake");
}

/*
 * Opening a packet socket's ring and closing one each wait for an RCU
 * grace period (tens of ms): a lab of hundreds of links would wait
 * seconds for them. Whoever wants a tap marks it pending; the capture
 * thread opens it, and closes old handles, without holding cp.mu.
 */
static void
tap_bury(struct livecap *p)
{
	struct livecap **grown;

	if (p == NULL)
		return;
	if (cp.epfd != -1)
		epoll_ctl(cp.epfd, EPOLL_CTL_DEL, livecap_fd(p), NULL);
	/* No memory, or no capture thread any more (after capture_fini): close here, slowly. */
	if (!cp.running || (grown = realloc(cp.dead, sizeof(*grown) * (cp.ndead + 1))) == NULL) {
		livecap_close(p);
		return;
	}
	cp.dead = grown;
	cp.dead[cp.ndead++] = p;
	cap_wake();
}

static void
tap_want(struct tap *t, const char *ifname, bool big)
{
	snprintf(t->want_if, sizeof(t->want_if), "%s", ifname);
	t->want_big = big;
	t->pending = true;
	cap_wake();
}

/*
 * tap_sync - ask for the handle t should have: on where, with the big
 * ring while a capture runs; none at all when nothing captures and the
 * recent ring is off (--capture-ring 0), so an idle link costs nothing.
 */
static void
tap_sync(struct tap *t)
{
	/*
	 * Big once a capture ran, until the link goes: shrinking again would
	 * swap handles right after a capture, and a swap can lose the frame
	 * in flight from the recent ring.
	 */
	bool open = lw.cfg.capture_ring > 0 || t->caps != NULL,
	     big = t->caps != NULL || (t->p != NULL && t->big) || (t->pending && t->want_big);

	t->want_open = open;
	if (!open) {
		t->pending = false;
		tap_bury(t->p);
		t->p = NULL;
		t->fd = -1;
		t->ifname[0] = '\0';
		return;
	}
	if (t->pending ? strcmp(t->want_if, t->where) != 0 || t->want_big != big
	               : t->p == NULL || strcmp(t->ifname, t->where) != 0 || t->big != big)
		tap_want(t, t->where, big);
}

/* Install p, opened for what t wanted, in place of t's handle. */
static void
tap_install(struct tap *t, struct livecap *p, const char *ifname, bool big)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)t->link};
	uint64_t before = tap_kernel_drops(t) - t->kdrop_moved;

	/* What the old handle holds unread goes in first; nothing is lost in the swap. */
	if (t->p != NULL && strcmp(t->ifname, ifname) == 0) {
		while (livecap_dispatch(t->p, -1, tap_packet, (unsigned char *)t) > 0)
			;
		t->skip_until = t->last_ts;
		t->skip_set = true;
	}
	tap_bury(t->p);
	t->p = p;
	t->fd = livecap_fd(p);
	t->big = big;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	t->kdrop_moved += before;
	if (epoll_ctl(cp.epfd, EPOLL_CTL_ADD, t->fd, &ev) == -1)
		log_warn("capture on %s", ifname);
}

/* Open what is pending and close what is dead; called and returns with cp.mu held. */
static void
taps_settle(void)
{
	for (;;) {
		struct tap *t;
		struct livecap **dead = cp.dead, *p;
		size_t ndead = cp.ndead;
		int64_t link = 0;
		char ifname[16];
		bool big = false;

		cp.dead = NULL;
		cp.ndead = 0;
		for (t = cp.taps; t != NULL; t = t->next)
			if (t->pending)
				break;
		if (t != NULL) {
			link = t->link;
			big = t->want_big;
			snprintf(ifname, sizeof(ifname), "%s", t->want_if);
			t->pending = false;
		}
		if (t == NULL && ndead == 0)
			return;
		pthread_mutex_unlock(&cp.mu);
		for (size_t i = 0; i < ndead; i++)
			livecap_close(dead[i]);
		free(dead);
		p = t != NULL ? livecap_open(ifname, big) : NULL;
		pthread_mutex_lock(&cp.mu);
		if (p == NULL)
			continue;
		/* Gone, or wanted otherwise (or not at all) meanwhile: of no use. */
		if ((t = tap_find(link)) == NULL || t->pending || !t->want_open ||
		    strcmp(t->want_if, ifname) != 0 || t->want_big != big)
			tap_bury(p);
		else
			tap_install(t, p, ifname, big);
	}
}

/* ---- the thread ---- */

static void *
capture_loop(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	for (;;) {
		int n, timeout;
		bool ended;

		pthread_mutex_lock(&cp.mu);
		timeout = cap_timeout();
		pthread_mutex_unlock(&cp.mu);
		n = epoll_wait(cp.epfd, evs, 64, timeout);
		pthread_mutex_lock(&cp.mu);
		if (cp.stop) {
			pthread_mutex_unlock(&cp.mu);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct tap *t;
			uint64_t v;

			if (evs[i].data.u64 == 0) {
				if (read(cp.wakefd, &v, sizeof(v)) == -1)
					continue;
			} else if ((t = tap_find((int64_t)evs[i].data.u64)) != NULL &&
			    t->p != NULL) {
				tap_readable(t);
			}
		}
		taps_settle();
		ended = cap_sweep();
		pthread_mutex_unlock(&cp.mu);
		if (ended && cp.notify != NULL)
			cp.notify();
	}
	return (NULL);
}

int
capture_init(struct lw_err *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};

	cp.stop = false;
	if ((cp.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (cp.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    epoll_ctl(cp.epfd, EPOLL_CTL_ADD, cp.wakefd, &ev) == -1)
		return (err_set(e, ERR_INTERNAL, "capture: %s", strerror(errno)));
	if (pthread_create(&cp.thread, NULL, capture_loop, NULL) != 0)
		return (err_set(e, ERR_INTERNAL, "capture thread: %s", strerror(errno)));
	cp.running = true;
	return (0);
}

void
capture_set_notify(void (*fn)(void))
{
	cp.notify = fn;
}

int
capture_reap(struct capture_stats **out)
{
	int n;

	pthread_mutex_lock(&cp.mu);
	*out = cp.ended;
	n = cp.nended;
	cp.ended = NULL;
	cp.nended = 0;
	pthread_mutex_unlock(&cp.mu);
	return (n);
}

/* Close t, appending its captures' final stats to the growing array *out. */
static void
tap_close(struct tap *t, struct capture_stats **out, int *n)
{
	struct capture_stats *grown;
	struct cap *c;

	while ((c = t->caps) != NULL) {
		t->caps = c->next;
		if ((grown = realloc(*out, sizeof(**out) * (size_t)(*n + 1))) != NULL) {
			*out = grown;
			cap_end(t, c, &(*out)[(*n)++]);
		} else {
			cap_end(t, c, NULL);
		}
	}
	tap_bury(t->p);
	ring_free(t);
	free(t);
}

int
capture_fini(struct capture_stats **out)
{
	uint64_t one = 1;
	int n = 0;

	*out = NULL;
	if (!cp.running)
		return (0);
	pthread_mutex_lock(&cp.mu);
	cp.stop = true;
	pthread_mutex_unlock(&cp.mu);
	/* cp.stop is set: no one else writes it now, and it stays open until the join. */
	if (write(cp.wakefd, &one, sizeof(one)) == -1)
		log_warn("capture: wake");
	pthread_join(cp.thread, NULL);
	pthread_mutex_lock(&cp.mu);
	cp.running = false; /* from here on a handle is closed where it is dropped */
	/* Those that ended by themselves and were not reaped yet come first. */
	*out = cp.ended;
	n = cp.nended;
	cp.ended = NULL;
	cp.nended = 0;
	while (cp.taps != NULL) {
		struct tap *t = cp.taps;

		cp.taps = t->next;
		tap_close(t, out, &n);
	}
	for (size_t i = 0; i < cp.ndead; i++)
		livecap_close(cp.dead[i]);
	free(cp.dead);
	cp.dead = NULL;
	cp.ndead = 0;
	close(cp.wakefd);
	close(cp.epfd);
	cp.wakefd = cp.epfd = -1;
	pthread_mutex_unlock(&cp.mu);
	return (n);
}

void
capture_link_up(int64_t link, const char *ifname)
{
	struct tap *t;

	pthread_mutex_lock(&cp.mu);
	if (cp.stop) { /* after capture_fini: the link is not watched any more */
		pthread_mutex_unlock(&cp.mu);
		return;
	}
	if ((t = tap_find(link)) == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			pthread_mutex_unlock(&cp.mu);
			return;
		}
		t->link = link;
		t->fd = -1;
		t->next = cp.taps;
		cp.taps = t;
	}
	/* New, or the link now shows on another interface (a p2p endpoint stopped): (re)open. */
	snprintf(t->where, sizeof(t->where), "%s", ifname);
	tap_sync(t);
	pthread_mutex_unlock(&cp.mu);
}

int
capture_link_down(int64_t link, struct capture_stats **out)
{
	int n = 0;

	*out = NULL;
	pthread_mutex_lock(&cp.mu);
	for (struct tap **pt = &cp.taps; *pt != NULL; pt = &(*pt)->next)
		if ((*pt)->link == link) {
			struct tap *t = *pt;

			*pt = t->next;
			tap_close(t, out, &n);
			break;
		}
	pthread_mutex_unlock(&cp.mu);
	return (n);
}

bool
capture_link_is_up(int64_t link)
{
	bool up;

	pthread_mutex_lock(&cp.mu);
	up = tap_find(link) != NULL;
	pthread_mutex_unlock(&cp.mu);
	return (up);
}

int
capture_check_filter(const char *filter, int snaplen, struct lw_err *e)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, snaplen);
	struct bpf_program prog;
	int r = 0;

	if (dead == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1)
		r = err_set(e, ERR_INVALID, "filter: %s", pcap_geterr(dead));
	else
		pcap_freecode(&prog);
	pcap_close(dead);
	return (r);
}

/* cap_file - the pcap file at path with its header written; its fd, or -1 with errno. */
static int
cap_file(const char *path, int snaplen)
{
	struct pcap_file_hdr fh = {0xa1b2c3d4, 2, 4, 0, 0, (uint32_t)snaplen, DLT_EN10MB};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), err;
	ssize_t n;

	if (fd == -1)
		return (-1);
	if ((n = TEMP_FAILURE_RETRY(write(fd, &fh, sizeof(fh)))) != (ssize_t)sizeof(fh)) {
		err = n == -1 ? errno : ENOSPC;
		close(fd);
		unlink(path);
		errno = err;
		return (-1);
	}
	return (fd);
}

int
capture_start(int64_t id, int64_t link, const char *filter, int snaplen, const char *path,
    const struct capture_limits *lim, struct lw_err *e)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, snaplen);
	struct tap *t;
	struct cap *c = NULL;

	pthread_mutex_lock(&cp.mu);
	if (cp.stop) {
		err_set(e, ERR_UNAVAILABLE, "the daemon is stopping");
		goto fail;
	}
	if ((t = tap_find(link)) == NULL) {
		err_set(
		    e, ERR_CONFLICT, "link %lld is not up: start its lab first", (long long)link);
		goto fail;
	}
	if (dead == NULL || (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->wbuf = malloc(CAP_WBUF)) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	c->fd = -1;
	if (filter != NULL && filter[0] != '\0') {
		if (pcap_compile(dead, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
			err_set(e, ERR_INVALID, "filter: %s", pcap_geterr(dead));
			goto fail;
		}
		c->has_prog = true;
	}
	if ((c->fd = cap_file(path, snaplen)) == -1) {
		if (errno == ENOSPC || errno == EDQUOT)
			err_set(
			    e, ERR_NO_SPACE, "no room for the capture's file: %s", strerror(errno));
		else
			err_set(e, ERR_INTERNAL, "%s: %s", path, strerror(errno));
		goto fail;
	}
	c->file_size = sizeof(struct pcap_file_hdr);
	if (lim != NULL) {
		c->max_bytes = lim->max_bytes;
		c->deadline = lim->max_ms > 0 ? clock_mono_ms() + lim->max_ms : 0;
	}
	c->id = id;
	c->snaplen = snaplen;
	c->kdrop_base = tap_kernel_drops(t);
	c->next = t->caps;
	t->caps = c;
	/* A capture deserves the big kernel ring and whole frames; idle taps do not. */
	tap_sync(t);
	if (c->deadline != 0)
		cap_wake(); /* the thread may be waiting with no timeout */
	pthread_mutex_unlock(&cp.mu);
	pcap_close(dead);
	return (0);
fail:
	if (c != NULL && c->has_prog)
		pcap_freecode(&c->prog);
	if (c != NULL)
		free(c->wbuf);
	free(c);
	pthread_mutex_unlock(&cp.mu);
	if (dead != NULL)
		pcap_close(dead);
	return (-1);
}

int
capture_stop(int64_t id, struct capture_stats *st)
{
	struct tap *t;
	struct cap *c;

	pthread_mutex_lock(&cp.mu);
	if ((c = cap_find(id, &t)) == NULL) {
		pthread_mutex_unlock(&cp.mu);
		return (-1);
	}
	for (struct cap **pc = &t->caps; *pc != NULL; pc = &(*pc)->next)
		if (*pc == c) {
			*pc = c->next;
			break;
		}
	cap_end(t, c, st);
	/* The last capture gone: back to the small idle ring. */
	tap_sync(t);
	pthread_mutex_unlock(&cp.mu);
	return (0);
}

const char *
capture_error_text(int err)
{
	return (err == ENOSPC || err == EDQUOT ? "disk full" : strerror(err));
}

int
capture_get(int64_t id, struct capture_stats *st)
{
	struct tap *t;
	struct cap *c;

	pthread_mutex_lock(&cp.mu);
	if ((c = cap_find(id, &t)) == NULL) {
		for (int i = 0; i < cp.nended; i++)
			if (cp.ended[i].id == id) {
				*st = cp.ended[i];
				pthread_mutex_unlock(&cp.mu);
				return (0);
			}
		pthread_mutex_unlock(&cp.mu);
		return (-1);
	}
	*st = cap_stats(t, c, true);
	pthread_mutex_unlock(&cp.mu);
	return (0);
}

/* ---- readers ---- */

struct capture_reader *
capture_reader_open(int64_t id, const char *path)
{
	struct capture_reader *r = calloc(1, sizeof(*r));
	struct cap *c;

	if (r == NULL)
		return (NULL);
	pthread_cond_init(&r->cv, NULL);
	r->id = id;
	pthread_mutex_lock(&cp.mu);
	if ((c = cap_find(id, NULL)) == NULL ||
	    (r->file_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		pthread_mutex_unlock(&cp.mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		errno = ENOENT;
		return (NULL);
	}
	/* Everything up to here comes from the file, everything after from the queue. */
	if (!c->ending && cap_flush(c) == -1) {
		cap_fail(c, NULL, errno);
		cap_wake();
	}
	r->file_end = c->file_size;
	r->next = c->readers;
	c->readers = r;
	pthread_mutex_unlock(&cp.mu);
	return (r);
}

ssize_t
capture_reader_read(struct capture_reader *r, char *buf, size_t len, int timeout_ms)
{
	struct timespec until;
	ssize_t n;

	if (r->file_off < r->file_end) {
		size_t want = (size_t)(r->file_end - r->file_off) < len
		    ? (size_t)(r->file_end - r->file_off)
		    : len;

		if ((n = pread(r->file_fd, buf, want, r->file_off)) > 0) {
			r->file_off += n;
			return (n);
		}
		r->file_off = r->file_end;
	}
	clock_deadline(&until, timeout_ms);
	pthread_mutex_lock(&cp.mu);
	while (r->qlen == 0 && !r->ended &&
	    pthread_cond_timedwait(&r->cv, &cp.mu, &until) != ETIMEDOUT)
		;
	if (r->qlen == 0) {
		n = r->ended ? -1 : 0;
	} else {
		n = (ssize_t)(r->qlen < len ? r->qlen : len);
		memcpy(buf, r->q, (size_t)n);
		memmove(r->q, r->q + n, r->qlen - (size_t)n);
		r->qlen -= (size_t)n;
	}
	pthread_mutex_unlock(&cp.mu);
	return (n);
}

bool
capture_reader_pending(struct capture_reader *r)
{
	bool p;

	pthread_mutex_lock(&cp.mu);
	p = r->file_off < r->file_end || r->qlen > 0 || r->ended;
	pthread_mutex_unlock(&cp.mu);
	return (p);
}

void
capture_reader_close(struct capture_reader *r)
{
	struct cap *c;

	pthread_mutex_lock(&cp.mu);
	if (!r->ended && (c = cap_find(r->id, NULL)) != NULL)
		for (struct capture_reader **pr = &c->readers; *pr != NULL; pr = &(*pr)->next)
			if (*pr == r) {
				*pr = r->next;
				break;
			}
	pthread_mutex_unlock(&cp.mu);
	close(r->file_fd);
	free(r->q);
	pthread_cond_destroy(&r->cv);
	free(r);
}

int
capture_recent(int64_t link, char **buf, size_t *len, struct lw_err *e)
{
	struct pcap_file_hdr fh = {0xa1b2c3d4, 2, 4, 0, 0, TAP_SNAPLEN, DLT_EN10MB};
	struct tap *t;
	char *out, *p;

	pthread_mutex_lock(&cp.mu);
	if ((t = tap_find(link)) == NULL) {
		pthread_mutex_unlock(&cp.mu);
		return (err_set(
		    e, ERR_CONFLICT, "link %lld is not up: start its lab first", (long long)link));
	}
	if ((out = malloc(sizeof(fh) + t->ring_bytes)) == NULL) {
		pthread_mutex_unlock(&cp.mu);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	memcpy(out, &fh, sizeof(fh));
	p = out + sizeof(fh);
	for (struct frame *f = t->ring_head; f != NULL; f = f->next) {
		memcpy(p, &f->h, sizeof(f->h));
		memcpy(p + sizeof(f->h), f->data, f->h.caplen);
		p += sizeof(f->h) + f->h.caplen;
	}
	*len = (size_t)(p - out);
	*buf = out;
	pthread_mutex_unlock(&cp.mu);
	return (0);
}
