/*
 * holdconns - hold N idle HTTP streams open against a server, for the
 * bench's api section: each connection sends one GET (with the Host and
 * Authorization a browser would send), reads the response's headers and
 * then just stays open, reading and dropping whatever the stream sends
 * (keepalives, events). One thread, epoll; at most BATCH connects in flight
 * so the server's listen backlog never overflows into SYN retries.
 *
 * Usage: LW_TOKEN=... holdconns ADDR PORT N HOST PATH
 * Prints "held: ..." once every connection has its headers (or failed, or
 * SETUP_S passed), then holds them until SIGTERM/SIGINT and prints how many
 * were still open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 128
#define SETUP_S 60

enum { C_CONNECTING, C_WAITING, C_HELD, C_GONE };

struct hconn {
	int fd;
	int state;
	size_t len;
	char head[1024];
};

static struct {
	int answered[4]; /* 200, 429, 503, other */
	int failed;      /* refused, reset or closed before the headers */
	int dropped;     /* closed by the server while held */
	int inflight;
} st;

static volatile sig_atomic_t stop;
static char request[2048];
static size_t request_len;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
hconn_close(int ep, struct hconn *h)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	h->fd = -1;
	h->state = C_GONE;
}

/* The connection ended: while held the server dropped it, before its headers it failed. */
static void
hconn_gone(int ep, struct hconn *h)
{
	if (h->state == C_HELD)
		st.dropped++;
	else {
		st.failed++;
		st.inflight--;
	}
	hconn_close(ep, h);
}

static int
hconn_open(int ep, struct hconn *h, const struct sockaddr_in *sin)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = h};

	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd == -1)
		return (-1);
	if (connect(h->fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(h->fd);
		h->fd = -1;
		return (-1);
	}
	h->state = C_CONNECTING;
	st.inflight++;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &ev) == -1) {
		hconn_gone(ep, h);
		return (-1);
	}
	return (0);
}

/* The response's status line is complete: count it; anything but 200 is let go. */
static void
hconn_answered(int ep, struct hconn *h)
{
	int code = 0;

	sscanf(h->head, "HTTP/1.%*d %d", &code);
	st.answered[code == 200 ? 0 : code == 429 ? 1 : code == 503 ? 2 : 3]++;
	st.inflight--;
	h->state = C_HELD;
	if (code != 200)
		hconn_close(ep, h);
}

static void
hconn_event(int ep, struct hconn *h, uint32_t events)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
	char drop[4096];
	ssize_t n;
	int err = 0;
	socklen_t el = sizeof(err);

	if (h->state == C_CONNECTING) {
		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0 || write(h->fd, request, request_len) != (ssize_t)request_len) {
			hconn_gone(ep, h);
			return;
		}
		h->state = C_WAITING;
		epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &ev);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (h->state == C_HELD) {
		while ((n = read(h->fd, drop, sizeof(drop))) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			hconn_gone(ep, h);
		return;
	}
	n = read(h->fd, h->head + h->len, sizeof(h->head) - 1 - h->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			hconn_gone(ep, h);
		return;
	}
	h->len += (size_t)n;
	h->head[h->len] = '\0';
	if (strstr(h->head, "\r\n\r\n") != NULL || h->len == sizeof(h->head) - 1)
		hconn_answered(ep, h);
}

static void
raise_nofile(int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* tried: how many connections were attempted so far. */
static void
report_setup(int n, int tried, double t0)
{
	printf("held: %d of %d answered 200 (429: %d, 503: %d, other: %d, failed: %d) in %.2f s\n",
	    st.answered[0] - st.dropped, n, st.answered[1], st.answered[2], st.answered[3],
	    st.failed + (n - tried), now_s() - t0);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct epoll_event evs[256];
	struct sigaction sa = {.sa_handler = on_signal};
	struct hconn *hs;
	const char *token = getenv("LW_TOKEN");
	double t0, held_at = 0;
	int ep, n, i, k, next = 0, reported = 0;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 ||
	    (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: LW_TOKEN=... holdconns ADDR PORT N HOST PATH\n");
		return (2);
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	request_len = (size_t)snprintf(request, sizeof(request),
	    "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s%sAccept: text/event-stream\r\n\r\n", argv[5],
	    argv[4], token != NULL ? "Authorization: Bearer " : "", token != NULL ? token : "",
	    token != NULL ? "\r\n" : "");
	if (request_len >= sizeof(request))
		return (2);
	raise_nofile(n);
	/* No SA_RESTART: a signal ends epoll_wait with EINTR. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((hs = calloc((size_t)n, sizeof(*hs))) == NULL || (ep = epoll_create1(0)) == -1) {
		perror("holdconns");
		return (1);
	}
	t0 = now_s();
	while (!stop) {
		while (next < n && st.inflight < BATCH && now_s() - t0 < SETUP_S)
			if (hconn_open(ep, &hs[next++], &sin) == -1)
				st.failed++;
		if (!reported && ((next == n && st.inflight == 0) || now_s() - t0 >= SETUP_S)) {
			report_setup(n, next, t0);
			reported = 1;
			held_at = now_s();
		}
		k = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < k; i++)
			hconn_event(ep, evs[i].data.ptr, evs[i].events);
	}
	if (!reported)
		report_setup(n, next, t0);
	printf("still open: %d of %d after %.1f s held (%d closed by the server)\n",
	    st.answered[0] - st.dropped, n, held_at > 0 ? now_s() - held_at : 0.0, st.dropped);
	return (0);
}
