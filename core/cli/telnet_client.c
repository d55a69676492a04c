/* telnet_client - the CLI's telnet client session on libtelnet (see telnet_client.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <libtelnet.h>

#include "core/base/clock.h"
#include "core/cli/telnet_client.h"

/* One socket read; also the most data bytes a read can yield (see below). */
#define TELNET_CLIENT_RAW 4096

struct telnet_client {
	int fd;
	telnet_t *tn;
	char *out;        /* the caller's buffer during telnet_client_read */
	size_t outlen;    /* its size */
	size_t outn;      /* data bytes put there so far */
	int err;          /* sticky: errno of a failed write, or EPROTO */
	const char *skip; /* data to drop if it comes next (the CR LF after a password) */
};

/*
 * Everything not listed is refused by libtelnet: WILL x answered DONT x,
 * DO x answered WONT x (RFC 1143 state kept, so no negotiation loops).
 */
static const telnet_telopt_t telnet_client_opts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {-1, 0, 0},
};

/* telnet_client_write - write all of p; a failure sticks in tc->err. */
static void
telnet_client_write(struct telnet_client *tc, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && tc->err == 0) {
		/* MSG_NOSIGNAL: a console that went away is an error, not a SIGPIPE. */
		w = send(tc->fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno != EINTR)
				tc->err = errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * telnet_client_data - keep data bytes for the reader. They never outnumber
 * the raw bytes read, so they fit, unless the server switched on MCCP
 * compression we never agreed to, which is refused before this is reached.
 */
static void
telnet_client_data(struct telnet_client *tc, const char *p, size_t n)
{
	if (tc->err != 0 || tc->out == NULL)
		return;
	for (; tc->skip != NULL && n > 0; p++, n--) {
		if (*p != *tc->skip) {
			tc->skip = NULL;
			break;
		}
		if (*++tc->skip == '\0')
			tc->skip = NULL;
	}
	if (n > tc->outlen - tc->outn) {
		tc->err = EPROTO;
		return;
	}
	memcpy(tc->out + tc->outn, p, n);
	tc->outn += n;
}

static void
telnet_client_event(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct telnet_client *tc = arg;

	(void)tn;
	switch (ev->type) {
	case TELNET_EV_DATA:
		telnet_client_data(tc, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		telnet_client_write(tc, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_COMPRESS:
		/* libtelnet starts MCCP on the server's word alone; we never asked. */
		if (ev->compress.state)
			tc->err = EPROTO;
		break;
	case TELNET_EV_ERROR:
		tc->err = EPROTO;
		break;
	default:
		/* Negotiation is answered from telnet_client_opts by libtelnet. */
		break;
	}
}

/* telnet_client_try - connect one address by the deadline; returns the fd or -1. */
static int
telnet_client_try(const struct addrinfo *ai, long long deadline)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, soerr = 0, left, r;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return (-1);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return (fd);
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		left = (int)(deadline - clock_mono_ms());
		r = poll(&pfd, 1, left > 0 ? left : 0);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		goto fail;
	if (r == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return (fd);
fail:
	r = errno;
	close(fd);
	errno = r;
	return (-1);
}

/* telnet_client_tcp - a connected, blocking TCP socket to host:port; -1 + errno. */
static int
telnet_client_tcp(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints, *res, *ai;
	long long deadline = clock_mono_ms() + timeout_ms;
	char serv[16];
	int fd = -1, one = 1;

	if (port <= 0 || port > 65535) {
		errno = EINVAL;
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%d", port);
	if (getaddrinfo(host, serv, &hints, &res) != 0) {
		errno = ENXIO;
		return (-1);
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = telnet_client_try(ai, deadline);
	freeaddrinfo(res);
	if (fd == -1)
		return (-1);
	/* Blocking from here: callers poll before reading, and writes are tiny. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		close(fd);
		return (-1);
	}
	/* Keystrokes go one by one; Nagle would make typing lag. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (fd);
}

struct telnet_client *
telnet_client_connect(const char *host, int port, int timeout_ms)
{
	struct telnet_client *tc;
	int saved;

	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return (NULL);
	if ((tc->fd = telnet_client_tcp(host, port, timeout_ms)) == -1)
		goto fail_free;
	if ((tc->tn = telnet_init(telnet_client_opts, telnet_client_event, 0, tc)) == NULL) {
		errno = ENOMEM;
		goto fail_close;
	}
	return (tc);
fail_close:
	saved = errno;
	close(tc->fd);
	errno = saved;
fail_free:
	free(tc);
	return (NULL);
}

int
telnet_client_fd(const struct telnet_client *tc)
{
	return (tc->fd);
}

ssize_t
telnet_client_read(struct telnet_client *tc, char *buf, size_t len)
{
	char raw[TELNET_CLIENT_RAW];
	ssize_t n;

	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (tc->err != 0) {
		errno = tc->err;
		return (-1);
	}
	/* Read no more raw bytes than buf holds: the data in them then fits. */
	n = TEMP_FAILURE_RETRY(recv(tc->fd, raw, len < sizeof(raw) ? len : sizeof(raw), 0));
	if (n <= 0)
		return (n);
	tc->out = buf;
	tc->outlen = len;
	tc->outn = 0;
	telnet_recv(tc->tn, raw, (size_t)n);
	tc->out = NULL;
	if (tc->err != 0) {
		errno = tc->err;
		return (-1);
	}
	if (tc->outn == 0) {
		errno = EAGAIN;
		return (-1);
	}
	return ((ssize_t)tc->outn);
}

/*
 * telnet_client_prompt - read data until it holds want, by deadline; what
 * came before it is dropped. 0, or -1 with errno: ETIMEDOUT, ECONNRESET
 * when the server hung up first, or a read's.
 */
static int
telnet_client_prompt(struct telnet_client *tc, const char *want, long long deadline)
{
	struct pollfd p = {.fd = tc->fd, .events = POLLIN};
	char seen[TELNET_CLIENT_RAW + 64];
	size_t n = 0, keep = strlen(want) - 1;
	long long left;
	ssize_t r;

	for (;;) {
		left = deadline - clock_mono_ms();
		r = TEMP_FAILURE_RETRY(poll(&p, 1, left > 0 ? (int)left : 0));
		if (r <= 0) {
			errno = r == 0 ? ETIMEDOUT : errno;
			return (-1);
		}
		if ((r = telnet_client_read(tc, seen + n, sizeof(seen) - 1 - n)) <= 0) {
			if (r == -1 && errno == EAGAIN)
				continue;
			errno = r == 0 ? ECONNRESET : errno;
			return (-1);
		}
		n += (size_t)r;
		seen[n] = '\0';
		if (memmem(seen, n, want, keep + 1) != NULL)
			return (0);
		/* Keep only a tail that could start the prompt. */
		if (n > keep) {
			memmove(seen, seen + n - keep, keep);
			n = keep;
		}
	}
}

int
telnet_client_login(struct telnet_client *tc, const char *user, const char *secret, int timeout_ms)
{
	long long deadline = clock_mono_ms() + timeout_ms;

	if (telnet_client_prompt(tc, "login: ", deadline) == -1 ||
	    telnet_client_send(tc, user, strlen(user)) == -1 ||
	    telnet_client_send(tc, "\r", 1) == -1 ||
	    telnet_client_prompt(tc, "Password: ", deadline) == -1 ||
	    telnet_client_send(tc, secret, strlen(secret)) == -1 ||
	    telnet_client_send(tc, "\r", 1) == -1)
		return (-1);
	tc->skip = "\r\n"; /* the server ends the password's line; the console starts after */
	return (0);
}

int
telnet_client_send(struct telnet_client *tc, const char *buf, size_t len)
{
	if (tc->err == 0)
		telnet_send(tc->tn, buf, len);
	if (tc->err != 0) {
		errno = tc->err;
		return (-1);
	}
	return (0);
}

void
telnet_client_close(struct telnet_client *tc)
{
	if (tc == NULL)
		return;
	telnet_free(tc->tn);
	close(tc->fd);
	free(tc);
}
