/*
 * priv - the privileged parent's loop and the child's side of the channel.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/priv.h"

#define PRIV_WATCH_MAX 4096
/* epoll data: what kind of fd, and the fd (a watcher is looked up again: it may be gone). */
#define PRIV_EV_SOCK (1ULL << 32)
#define PRIV_EV_SIGNAL (2ULL << 32)
#define PRIV_EV_WATCH (3ULL << 32)

struct priv_hdr {
	uint32_t type;
	int32_t result;
	int32_t err;
	uint32_t len;
};

struct priv_entry {
	priv_handler fn;
	size_t min_len, max_len;
	int max_fds;
};

struct priv_watcher {
	int fd;
	void (*fn)(void *);
	void *arg;
};

/* One channel: a socket, and (in the child) one request in flight at a time. */
struct priv_channel {
	int sock;
	pthread_mutex_t mu;
	_Alignas(16) unsigned char buf[PRIV_MSG_MAX];
};

static struct {
	struct priv_channel ch[PRIV_NCHAN]; /* the child's ends, once priv_client ran */
	struct priv_entry h[PRIV_TYPE_MAX];
	struct priv_watcher *w[PRIV_WATCH_MAX]; /* the capture channel's thread's alone */
} priv = {.ch = {{.sock = -1, .mu = PTHREAD_MUTEX_INITIALIZER},
              {.sock = -1, .mu = PTHREAD_MUTEX_INITIALIZER}}};

/* Each of the parent's loops has its own epoll: watchers join the one of the thread that adds them.
 */
static __thread int priv_epfd = -1;

static const char *const priv_names[PRIV_TYPE_MAX] = {
    [PRIV_TAP_OPEN] = "tap_open",
    [PRIV_BRIDGE_ADD] = "bridge_add",
    [PRIV_SET_MASTER] = "set_master",
    [PRIV_LINK_DEL] = "link_del",
    [PRIV_LINK_EXISTS] = "link_exists",
    [PRIV_LIST_OURS] = "list_ours",
    [PRIV_BATCH] = "batch",
    [PRIV_SPAWN] = "spawn",
    [PRIV_REAP] = "reap",
    [PRIV_SIGNAL] = "signal",
    [PRIV_NODE_DIR] = "node_dir",
    [PRIV_NODE_RELEASE] = "node_release",
    [PRIV_CAPTURE_OPEN] = "capture_open",
    [PRIV_INSTANCE] = "instance",
    [PRIV_LINK_MINE] = "link_mine",
    [PRIV_CLAIM] = "claim",
    [PRIV_CLAIMS_END] = "claims_end",
};

static void
priv_close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/* priv_send - one message: header, payload, fds; 0 or -1 with errno. */
static int
priv_send(int sock, const struct priv_hdr *h, const void *data, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PRIV_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {{(void *)h, sizeof(*h)}, {(void *)data, h->len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = h->len > 0 ? 2 : 1};
	struct cmsghdr *c;

	if (nfds < 0 || nfds > PRIV_FDS_MAX || h->len > PRIV_MSG_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return (TEMP_FAILURE_RETRY(sendmsg(sock, &m, MSG_NOSIGNAL)) == -1 ? -1 : 0);
}

/* priv_fds_take - the SCM_RIGHTS fds of m into fds; how many. */
static int
priv_fds_take(struct msghdr *m, int *fds)
{
	int n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < PRIV_FDS_MAX)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return (n);
}

/*
 * priv_recv - one message into h and data (PRIV_MSG_MAX bytes); fds into
 * fds. 1, 0 at EOF, -1 with errno (EMSGSIZE: truncated, or a header that
 * lies about its length; nothing received is kept).
 */
static int
priv_recv(int sock, struct priv_hdr *h, void *data, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PRIV_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {{h, sizeof(*h)}, {data, PRIV_MSG_MAX}};
	struct msghdr m = {
	    .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t r;

	*nfds = 0;
	r = TEMP_FAILURE_RETRY(recvmsg(sock, &m, MSG_CMSG_CLOEXEC));
	if (r <= 0)
		return (r == 0 ? 0 : -1);
	*nfds = priv_fds_take(&m, fds);
	if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)r < sizeof(*h) ||
	    h->len != (size_t)r - sizeof(*h)) {
		priv_close_all(fds, *nfds);
		*nfds = 0;
		errno = EMSGSIZE;
		return (-1);
	}
	return (1);
}

/* ---- the child ---- */

void
priv_client(const int socks[PRIV_NCHAN])
{
	for (int i = 0; i < PRIV_NCHAN; i++)
		priv.ch[i].sock = socks[i];
}

bool
priv_remote(void)
{
	return (priv.ch[PRIV_MAIN].sock != -1);
}

/*
 * priv_chan_of - captures have a channel (and a thread in the parent) of
 * their own: opening and closing a packet socket's ring waits for RCU,
 * and a start must not wait behind it.
 */
static struct priv_channel *
priv_chan_of(enum priv_type type)
{
	return (&priv.ch[type == PRIV_CAPTURE_OPEN ? PRIV_CAPTURE : PRIV_MAIN]);
}

static int
priv_call_locked(struct priv_channel *c, struct priv_hdr *h, const void *req, const int *fds,
    int nfds, struct priv_reply *rep)
{
	struct priv_hdr r;

	if (priv_send(c->sock, h, req, fds, nfds) == -1)
		return (-1);
	switch (priv_recv(c->sock, &r, c->buf, rep->fds, &rep->nfds)) {
	case 0:
		errno = EPIPE;
		return (-1);
	case -1:
		return (-1);
	}
	if (r.type != h->type || r.len > rep->cap) {
		priv_close_all(rep->fds, rep->nfds);
		rep->nfds = 0;
		errno = EPROTO;
		return (-1);
	}
	if (r.len > 0)
		memcpy(rep->data, c->buf, r.len);
	rep->len = r.len;
	rep->result = r.result;
	rep->err = r.err;
	return (0);
}

int
priv_call(enum priv_type type, const void *req, size_t len, const int *fds, int nfds,
    struct priv_reply *rep)
{
	struct priv_hdr h = {.type = type, .len = (uint32_t)len};
	struct priv_channel *c = priv_chan_of(type);
	int r;

	rep->nfds = 0;
	rep->len = 0;
	if (c->sock == -1 || len > PRIV_MSG_MAX) {
		errno = c->sock == -1 ? ENOTCONN : EMSGSIZE;
		return (-1);
	}
	pthread_mutex_lock(&c->mu);
	r = priv_call_locked(c, &h, req, fds, nfds, rep);
	pthread_mutex_unlock(&c->mu);
	if (r == -1) {
		log_warn("privsep: %s", priv_names[type]);
		if (errno == EPIPE)
			fatalx("privsep: the privileged parent is gone");
		return (-1);
	}
	if (rep->result == -1)
		errno = rep->err;
	return (rep->result);
}

/* ---- the parent ---- */

void
priv_handle(enum priv_type type, size_t min_len, size_t max_len, int max_fds, priv_handler fn)
{
	priv.h[type] = (struct priv_entry){fn, min_len, max_len, max_fds};
}

/* priv_vwarn - log a refusal; what the child wrote in it cannot forge a log line. */
static void
priv_vwarn(const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	log_warnx("privsep: refused: %s", msg);
}

void
priv_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	priv_vwarn(fmt, ap);
	va_end(ap);
}

void
priv_refuse(struct priv_reply *rep, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	priv_vwarn(fmt, ap);
	va_end(ap);
	rep->result = -1;
	rep->err = err;
	rep->len = 0;
}

const char *
priv_str(const char *field, size_t size)
{
	return (memchr(field, '\0', size) != NULL ? field : NULL);
}

/* priv_answer - dispatch one request, reply, and close what is left of both sides' fds. */
static int
priv_answer(int sock, struct priv_hdr *h, unsigned char *in, int *fds, int nfds)
{
	/* Aligned: requests and replies are read in place as structs. */
	static __thread _Alignas(16) unsigned char out[PRIV_MSG_MAX];
	struct priv_reply rep = {.data = out, .cap = sizeof(out)};
	struct priv_req req = {h->type, in, h->len, fds, nfds};
	const struct priv_entry *e = h->type < PRIV_TYPE_MAX ? &priv.h[h->type] : NULL;
	struct priv_hdr rh;
	int r;

	if (e == NULL || e->fn == NULL)
		priv_refuse(&rep, EPERM, "unknown request type %u", (unsigned)h->type);
	else if (h->len < e->min_len || h->len > e->max_len || nfds > e->max_fds)
		priv_refuse(&rep, EINVAL, "%s: %u bytes and %d fds", priv_names[h->type],
		    (unsigned)h->len, nfds);
	else
		e->fn(&req, &rep);
	priv_close_all(fds, nfds); /* those the handler did not keep (set to -1) */
	rh = (struct priv_hdr){h->type, rep.result, rep.err, (uint32_t)rep.len};
	r = priv_send(sock, &rh, out, rep.fds, rep.nfds);
	priv_close_all(rep.fds, rep.nfds);
	return (r);
}

int
priv_watch(int fd, void (*fn)(void *arg), void *arg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct priv_watcher *w;

	if (fd < 0 || fd >= PRIV_WATCH_MAX || priv_epfd == -1) {
		errno = EMFILE;
		return (-1);
	}
	if ((w = malloc(sizeof(*w))) == NULL)
		return (-1);
	*w = (struct priv_watcher){fd, fn, arg};
	ev.data.u64 = PRIV_EV_WATCH | (uint32_t)fd;
	if (epoll_ctl(priv_epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		free(w);
		return (-1);
	}
	priv.w[fd] = w;
	return (0);
}

void
priv_unwatch(int fd)
{
	if (fd < 0 || fd >= PRIV_WATCH_MAX || priv.w[fd] == NULL)
		return;
	epoll_ctl(priv_epfd, EPOLL_CTL_DEL, fd, NULL);
	free(priv.w[fd]);
	priv.w[fd] = NULL;
}

/* priv_signal - a signal for the parent: pass TERM/INT on; 1 when the child has exited. */
static int
priv_signal_in(int sfd, pid_t child, int *status)
{
	struct signalfd_siginfo si;

	if (TEMP_FAILURE_RETRY(read(sfd, &si, sizeof(si))) != (ssize_t)sizeof(si))
		return (0);
	if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
		kill(child, (int)si.ssi_signo);
	return (waitpid(child, status, WNOHANG) == child);
}

/* priv_request_in - answer one request; -1 once the child's end is closed. */
static int
priv_request_in(int sock)
{
	static __thread _Alignas(16) unsigned char in[PRIV_MSG_MAX];
	struct priv_hdr h;
	int fds[PRIV_FDS_MAX], nfds, r;

	r = priv_recv(sock, &h, in, fds, &nfds);
	if (r == 0)
		return (-1);
	if (r == -1) {
		if (errno != EMSGSIZE)
			return (-1);
		log_warnx("privsep: refused an oversized or malformed message");
		h = (struct priv_hdr){.type = PRIV_TYPE_MAX, .len = 0};
		nfds = 0;
	}
	if (priv_answer(sock, &h, in, fds, nfds) == -1 && errno != EMSGSIZE)
		return (-1);
	return (0);
}

/*
 * priv_loop - answer requests on sock and run the watchers this thread
 * added, until sock closes (-1); with sfd, also the parent's signals (the
 * child's exit status in *status, returning 1).
 */
static int
priv_loop(int sock, int sfd, pid_t child, int *status)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if ((priv_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("privsep");
	ev.data.u64 = PRIV_EV_SOCK;
	epoll_ctl(priv_epfd, EPOLL_CTL_ADD, sock, &ev);
	ev.data.u64 = PRIV_EV_SIGNAL;
	if (sfd != -1)
		epoll_ctl(priv_epfd, EPOLL_CTL_ADD, sfd, &ev);
	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(priv_epfd, evs, 32, -1);

		for (int i = 0; i < n; i++) {
			uint64_t kind = evs[i].data.u64 & ~0xffffffffULL;
			int fd = (int)(evs[i].data.u64 & 0xffffffffULL);

			if (kind == PRIV_EV_SIGNAL) {
				if (priv_signal_in(sfd, child, status))
					return (1);
			} else if (kind == PRIV_EV_SOCK) {
				if (priv_request_in(sock) == -1)
					return (-1);
			} else if (fd >= 0 && fd < PRIV_WATCH_MAX && priv.w[fd] != NULL) {
				priv.w[fd]->fn(priv.w[fd]->arg);
			}
		}
	}
}

static void *
priv_capture_thread(void *arg)
{
	int status;

	priv_loop(*(int *)arg, -1, 0, &status);
	return (NULL);
}

int
priv_serve(const int socks[PRIV_NCHAN], pid_t child)
{
	static int cap_sock;
	int sfd, status = 1;
	struct timespec until;
	pthread_t t;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the thread: it inherits the mask */
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		fatal("privsep");
	cap_sock = socks[PRIV_CAPTURE];
	if (pthread_create(&t, NULL, priv_capture_thread, &cap_sock) != 0)
		fatalx("privsep: cannot start the capture thread");
	if (priv_loop(socks[PRIV_MAIN], sfd, child, &status) == -1)
		/* The child closed its end: it is exiting or gone. */
		TEMP_FAILURE_RETRY(waitpid(child, &status, 0));
	/* Its capture channel ends with it: what that thread served is the caller's to close. */
	clock_deadline(&until, 5000);
	if (pthread_timedjoin_np(t, NULL, &until) != 0)
		log_warnx("privsep: the capture thread did not end");
	return (status);
}
