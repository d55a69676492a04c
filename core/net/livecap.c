/*
 * livecap - libpcap handles, or frames relayed from the privileged parent.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/clock.h"
#include "core/base/priv.h"
#include "core/net/fabric.h"
#include "core/net/livecap.h"

#define RELAY_SNDBUF (2 << 20) /* queued frames a slow reader may owe */
#define RELAY_MAX 4096         /* relays at once: each holds a kernel ring and a buffer */
#define RELAY_BIG_MAX 128      /* of them with the 4 MiB ring of a running capture */
/*
 * Frames go in batches, one message each (a syscall a frame would cost a
 * fast link most of its capture rate): a batch is sent when the next frame
 * would take it past RELAY_BATCH, and at the end of each dispatch.
 */
#define RELAY_BATCH (64 << 10)
#define RELAY_MSG_MAX                                                                              \
	(RELAY_BATCH + 96 + LIVECAP_SNAPLEN) /* a full batch can still take one frame */

/* One relayed frame: this header, then caplen bytes; a message holds one or more. */
struct relay_hdr {
	int64_t sec;
	int32_t usec;
	uint32_t caplen, len;
	uint32_t pad;
	uint64_t drops; /* the kernel's and the relay's, so far */
};

struct relay_req {
	char ifname[16];
	int32_t big;
};

struct livecap {
	pcap_t *p; /* local */
	int fd;    /* local: pcap's; remote: the relay socket */
	uint64_t drops;
	char err[PCAP_ERRBUF_SIZE];
	unsigned char buf[RELAY_MSG_MAX];
};

static pcap_t *
livecap_pcap(const char *ifname, bool big)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(ifname, errbuf);

	if (p == NULL) {
		log_warnx("capture on %s: %s", ifname, errbuf);
		return (NULL);
	}
	/*
	 * Promiscuous: a bridge passes every frame it forwards up to its own
	 * device only then. Not immediate mode: that gives libpcap a ring of
	 * fixed slots, each as big as the snaplen (about 60 of them in 4 MiB),
	 * which overflows at a few kpps; the block ring packs frames and the
	 * timeout bounds how long a frame waits (LIVECAP_TIMEOUT_MS).
	 */
	pcap_set_snaplen(p, big ? LIVECAP_SNAPLEN : LIVECAP_SNAPLEN_IDLE);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, LIVECAP_TIMEOUT_MS);
	pcap_set_buffer_size(p, big ? LIVECAP_BUFFER : LIVECAP_BUFFER_IDLE);
	if (pcap_activate(p) < 0 || pcap_setnonblock(p, 1, errbuf) == -1 ||
	    pcap_setdirection(p, PCAP_D_INOUT) == -1) {
		log_warnx("capture on %s: %s", ifname, pcap_geterr(p));
		pcap_close(p);
		return (NULL);
	}
	return (p);
}

static struct livecap *
livecap_remote(const char *ifname, bool big)
{
	struct relay_req r = {.big = big};
	struct priv_reply rep = {0};
	struct livecap *c;

	snprintf(r.ifname, sizeof(r.ifname), "%s", ifname);
	if (priv_call(PRIV_CAPTURE_OPEN, &r, sizeof(r), NULL, 0, &rep) == -1 || rep.nfds != 1) {
		for (int i = 0; i < rep.nfds; i++)
			close(rep.fds[i]);
		log_warn("capture on %s", ifname);
		return (NULL);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(rep.fds[0]);
		return (NULL);
	}
	c->fd = rep.fds[0];
	return (c);
}

struct livecap *
livecap_open(const char *ifname, bool big)
{
	struct livecap *c;
	pcap_t *p;

	if (priv_remote())
		return (livecap_remote(ifname, big));
	if ((p = livecap_pcap(ifname, big)) == NULL)
		return (NULL);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pcap_close(p);
		return (NULL);
	}
	c->p = p;
	c->fd = pcap_get_selectable_fd(p);
	return (c);
}

int
livecap_fd(const struct livecap *c)
{
	return (c->fd);
}

/* livecap_batch - the frames of one relayed message in c->buf, to cb; how many. */
static int
livecap_batch(struct livecap *c, size_t len, pcap_handler cb, unsigned char *arg)
{
	size_t off = 0;
	int n = 0;

	while (len - off >= sizeof(struct relay_hdr)) {
		struct pcap_pkthdr h;
		struct relay_hdr rh;

		memcpy(&rh, c->buf + off, sizeof(rh));
		off += sizeof(rh);
		if (rh.caplen > len - off || rh.caplen > rh.len || rh.caplen > LIVECAP_SNAPLEN)
			break; /* not what the parent sends: the rest of the message is dropped */
		h.ts.tv_sec = (time_t)rh.sec;
		h.ts.tv_usec = (suseconds_t)rh.usec;
		h.caplen = rh.caplen;
		h.len = rh.len;
		c->drops = rh.drops;
		cb(arg, &h, c->buf + off);
		off += rh.caplen;
		n++;
	}
	return (n);
}

/* livecap_relayed - frames from the relay socket, as pcap_dispatch would give them. */
static int
livecap_relayed(struct livecap *c, int max, pcap_handler cb, unsigned char *arg)
{
	int n = 0;

	while (max < 0 || n < max) {
		ssize_t r = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);

		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (r <= 0) {
			snprintf(c->err, sizeof(c->err), "%s",
			    r == -1 ? strerror(errno) : "the interface disappeared");
			return (-1);
		}
		n += livecap_batch(c, (size_t)r, cb, arg);
	}
	return (n);
}

int
livecap_dispatch(struct livecap *c, int max, pcap_handler cb, unsigned char *arg)
{
	int r;

	if (c->p == NULL)
		return (livecap_relayed(c, max, cb, arg));
	if ((r = pcap_dispatch(c->p, max, cb, arg)) == PCAP_ERROR) {
		snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->p));
		return (-1);
	}
	return (r);
}

uint64_t
livecap_drops(struct livecap *c)
{
	struct pcap_stat ps;

	if (c->p != NULL && pcap_stats(c->p, &ps) == 0)
		c->drops = ps.ps_drop;
	return (c->drops);
}

const char *
livecap_error(struct livecap *c)
{
	return (c->err);
}

void
livecap_close(struct livecap *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	else
		close(c->fd);
	free(c);
}

/* ---- the privileged parent's relays ---- */

struct relay {
	struct livecap *c;
	int sock;            /* our end; the child holds the other */
	int big;             /* counted in relays_big */
	uint64_t kdrops;     /* the kernel's, read once a dispatch */
	uint64_t sent_lost;  /* frames the child's end had no room for */
	size_t len, nframes; /* the batch being filled */
	unsigned char batch[RELAY_MSG_MAX];
};

static int relays, relays_big;     /* open now */
static struct relay **open_relays; /* the capture thread's, or after it ended */
static int nopen, capopen;

/* ---- packet sockets closed on several threads: each close waits for RCU ---- */

#define CLOSERS 32
#define CLOSE_WAIT_MS 30000

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	pcap_t **q;
	size_t n, cap;
	int threads, busy;
} cl = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0,
    0, 0};

static void *
closer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cl.mu);
	for (;;) {
		pcap_t *p;

		while (cl.n == 0)
			pthread_cond_wait(&cl.work, &cl.mu);
		p = cl.q[--cl.n];
		cl.busy++;
		pthread_mutex_unlock(&cl.mu);
		pcap_close(p);
		pthread_mutex_lock(&cl.mu);
		if (--cl.busy == 0 && cl.n == 0)
			pthread_cond_broadcast(&cl.idle);
	}
	return (NULL);
}

/* Close c's packet socket on a closer thread (here when none can be had), and free c. */
static void
close_later(struct livecap *c)
{
	pthread_t t;
	pcap_t **grown;

	if (c->p == NULL) {
		livecap_close(c);
		return;
	}
	pthread_mutex_lock(&cl.mu);
	if (cl.threads < CLOSERS && pthread_create(&t, NULL, closer, NULL) == 0) {
		pthread_detach(t);
		cl.threads++;
	}
	if (cl.n == cl.cap &&
	    (grown = realloc(cl.q, sizeof(*grown) * (cl.cap ? cl.cap * 2 : 64))) != NULL) {
		cl.q = grown;
		cl.cap = cl.cap ? cl.cap * 2 : 64;
	}
	if (cl.threads == 0 || cl.n == cl.cap) {
		pthread_mutex_unlock(&cl.mu);
		livecap_close(c);
		return;
	}
	cl.q[cl.n++] = c->p;
	pthread_cond_signal(&cl.work);
	pthread_mutex_unlock(&cl.mu);
	free(c);
}

static void
relay_end(struct relay *r)
{
	relays--;
	relays_big -= r->big;
	for (int i = 0; i < nopen; i++)
		if (open_relays[i] == r) {
			open_relays[i] = open_relays[--nopen];
			break;
		}
	priv_unwatch(livecap_fd(r->c));
	priv_unwatch(r->sock);
	close(r->sock);
	close_later(r->c);
	free(r);
}

void
livecap_priv_fini(void)
{
	struct timespec until;

	while (nopen > 0)
		relay_end(open_relays[nopen - 1]);
	free(open_relays);
	open_relays = NULL;
	capopen = 0;
	clock_deadline(&until, CLOSE_WAIT_MS);
	pthread_mutex_lock(&cl.mu);
	while ((cl.n > 0 || cl.busy > 0) && pthread_cond_timedwait(&cl.idle, &cl.mu, &until) == 0)
		;
	pthread_mutex_unlock(&cl.mu);
}

static void
relay_flush(struct relay *r)
{
	if (r->len == 0)
		return;
	if (send(r->sock, r->batch, r->len, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		r->sent_lost += r->nframes; /* a slow consumer: counted, never waited for */
	r->len = r->nframes = 0;
}

static void
relay_frame(unsigned char *arg, const struct pcap_pkthdr *h, const unsigned char *data)
{
	struct relay *r = (struct relay *)arg;
	struct relay_hdr rh = {(int64_t)h->ts.tv_sec, (int32_t)h->ts.tv_usec, 0, h->len, 0, 0};

	rh.caplen = h->caplen < LIVECAP_SNAPLEN ? h->caplen : LIVECAP_SNAPLEN;
	if (r->len > 0 && r->len + sizeof(rh) + rh.caplen > RELAY_BATCH)
		relay_flush(r);
	rh.drops = r->kdrops + r->sent_lost;
	memcpy(r->batch + r->len, &rh, sizeof(rh));
	memcpy(r->batch + r->len + sizeof(rh), data, rh.caplen);
	r->len += sizeof(rh) + rh.caplen;
	r->nframes++;
}

static void
relay_readable(void *arg)
{
	struct relay *r = arg;
	int n;

	r->kdrops = livecap_drops(r->c);
	n = livecap_dispatch(r->c, 4096, relay_frame, (unsigned char *)r);
	relay_flush(r);
	if (n == -1)
		relay_end(r); /* the child reads EOF: "the interface disappeared" */
}

/* relay_hangup - the child closed its end (or wrote, which it never does): done. */
static void
relay_hangup(void *arg)
{
	relay_end(arg);
}

static void
relay_open(const struct priv_req *req, struct priv_reply *rep)
{
	const struct relay_req *q = req->data;
	int sv[2], sndbuf = RELAY_SNDBUF;
	struct relay *r;

	/* Another's traffic is not the child's to read: the name and our mark. */
	if (priv_str(q->ifname, sizeof(q->ifname)) == NULL || !names_ours(q->ifname) ||
	    fabric_link_mine(q->ifname) != 1) {
		priv_refuse(rep, EPERM, "capture on an interface not this daemon's");
		return;
	}
	if (relays >= RELAY_MAX || (q->big && relays_big >= RELAY_BIG_MAX)) {
		priv_refuse(rep, EMFILE, "capture on %s: %d relays are open (%d capturing)",
		    q->ifname, relays, relays_big);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->c = livecap_open(q->ifname, q->big)) == NULL) {
		free(r);
		rep->result = -1;
		rep->err = errno ? errno : ENODEV;
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		livecap_close(r->c);
		free(r);
		rep->result = -1;
		rep->err = errno;
		return;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	r->sock = sv[0];
	r->big = q->big != 0;
	if (nopen == capopen) {
		struct relay **grown =
		    realloc(open_relays, sizeof(*grown) * (size_t)(capopen ? capopen * 2 : 64));

		if (grown == NULL) {
			close(sv[0]);
			close(sv[1]);
			livecap_close(r->c);
			free(r);
			rep->result = -1;
			rep->err = ENOMEM;
			return;
		}
		open_relays = grown;
		capopen = capopen ? capopen * 2 : 64;
	}
	open_relays[nopen++] = r;
	relays++; /* relay_end, from here on, counts it out */
	relays_big += r->big;
	if (priv_watch(livecap_fd(r->c), relay_readable, r) == -1 ||
	    priv_watch(r->sock, relay_hangup, r) == -1) {
		close(sv[1]);
		relay_end(r);
		rep->result = -1;
		rep->err = EMFILE;
		return;
	}
	rep->fds[rep->nfds++] = sv[1];
	rep->result = 0;
}

void
livecap_priv_register(void)
{
	priv_handle(
	    PRIV_CAPTURE_OPEN, sizeof(struct relay_req), sizeof(struct relay_req), 0, relay_open);
}
