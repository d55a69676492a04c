/*
 * console - daemon-owned serial consoles.
 *
 * All state lives behind cs.mu. The console thread waits in epoll without
 * the lock and takes it to handle a batch of events. Consoles and clients
 * that go away are only marked dead and unhooked from epoll; the console
 * thread frees them at the end of a batch, so an event already in hand
 * never points at freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libtelnet.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/console/console.h"
#include "core/base/log.h"
#include "web/ws.h"

#define CLIENT_OUT_MAX (1 << 20) /* a client further behind than this loses output */
#define WAITER_MAX (1 << 20)
#define WS_MESSAGE_MAX 65536
#define READ_CHUNK 16384

enum watch_kind { W_WAKE, W_LISTEN, W_QEMU, W_CLIENT };
enum client_kind { C_TELNET, C_WS };

struct watch {
	enum watch_kind kind;
	void *p;
};

struct con;

struct client {
	enum client_kind kind;
	int fd;
	struct con *con;
	telnet_t *tn;
	struct ws_parser wp;
	char *out; /* bytes the socket did not take yet */
	size_t outlen;
	uint64_t dropped;
	bool cr; /* the last input byte was '\r' (telnet Enter is CR LF or CR NUL) */
	bool dead;
	void (*on_close)(void *);
	void *close_arg;
	struct watch w;
	struct client *next;
};

struct waiter {
	char *buf;
	size_t len, cap;
	uint64_t total; /* bytes ever put: len stops growing once the window is full */
	pthread_cond_t cv;
	struct waiter *next;
};

struct con {
	int64_t node;
	int port;
	int listen_fd;
	int qemu_fd;
	int log_fd;
	char log_path[512];
	off_t log_size;
	char *ring; /* scrollback: the last cfg.console_scrollback bytes */
	size_t ring_size, ring_head, ring_len;
	struct client *clients;
	struct waiter *waiters;
	bool dead;
	struct watch w_listen, w_qemu;
	struct con *next;
};

static struct {
	pthread_mutex_t mu;
	int epfd, wakefd;
	pthread_t thread;
	bool running, stop;
	struct con *cons;
	struct con *dead_cons;
	struct client *dead_clients;
	struct watch w_wake;
} cs = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1};

static const telnet_telopt_t telopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {-1, 0, 0},
};

static struct con *
con_find(int64_t node)
{
	for (struct con *c = cs.cons; c != NULL; c = c->next)
		if (c->node == node && !c->dead)
			return (c);
	return (NULL);
}

static int
watch_add(int fd, struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return (epoll_ctl(cs.epfd, EPOLL_CTL_ADD, fd, &ev));
}

static void
watch_mod(int fd, struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	epoll_ctl(cs.epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* ---- clients ---- */

static void
client_close(struct client *cl)
{
	if (cl->dead)
		return;
	cl->dead = true;
	epoll_ctl(cs.epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	if (cl->on_close != NULL)
		cl->on_close(cl->close_arg); /* MHD owns an upgraded socket */
	else
		close(cl->fd);
	cl->fd = -1;
}

/*
 * Write what the socket takes now and queue the rest. A client more than
 * CLIENT_OUT_MAX behind is disconnected: dropping part of a WebSocket frame
 * or a telnet escape would corrupt everything after it.
 */
static void
client_write(struct client *cl, const char *data, size_t len)
{
	ssize_t n = 0;

	if (cl->dead)
		return;
	if (cl->outlen == 0) {
		n = send(cl->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			client_close(cl);
			return;
		}
		if (n < 0)
			n = 0;
		if ((size_t)n == len)
			return;
	}
	char *nb = NULL;

	if (cl->outlen + (len - (size_t)n) > CLIENT_OUT_MAX ||
	    (nb = realloc(cl->out, cl->outlen + len - (size_t)n)) == NULL) {
		log_info("console %lld: a client fell %zu bytes behind; disconnecting it",
		    (long long)cl->con->node, cl->outlen);
		client_close(cl);
		return;
	}
	cl->out = nb;
	memcpy(cl->out + cl->outlen, data + n, len - (size_t)n);
	cl->outlen += len - (size_t)n;
	watch_mod(cl->fd, &cl->w, EPOLLIN | EPOLLOUT);
}

static void
client_flush(struct client *cl)
{
	ssize_t n = send(cl->fd, cl->out, cl->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		client_close(cl);
		return;
	}
	if (n <= 0)
		return;
	memmove(cl->out, cl->out + n, cl->outlen - (size_t)n);
	cl->outlen -= (size_t)n;
	if (cl->outlen == 0)
		watch_mod(cl->fd, &cl->w, EPOLLIN);
}

/* One write per frame, so a frame is queued whole or not at all. */
static void
ws_send(struct client *cl, int opcode, const void *data, size_t len)
{
	uint8_t hdr[WS_HEADER_MAX];
	size_t hl = ws_frame_header(hdr, opcode, len);
	char *frame = malloc(hl + len);

	if (frame == NULL || hl == 0) {
		free(frame);
		client_close(cl);
		return;
	}
	memcpy(frame, hdr, hl);
	memcpy(frame + hl, data, len);
	client_write(cl, frame, hl + len);
	free(frame);
}

/* Output for one client, in its protocol. */
static void
client_output(struct client *cl, const char *data, size_t len)
{
	if (cl->kind == C_TELNET)
		telnet_send(cl->tn, data, len);
	else
		ws_send(cl, WS_OP_BINARY, data, len);
}

/* ---- the console's output: ring, log, clients, waiters ---- */

static void
ring_put(struct con *c, const char *data, size_t len)
{
	if (c->ring_size == 0)
		return;
	if (len >= c->ring_size) {
		data += len - c->ring_size;
		len = c->ring_size;
	}
	/* At most two copies: up to the end of the buffer, then from its start. */
	size_t tail = (c->ring_head + c->ring_len) % c->ring_size;
	size_t first = c->ring_size - tail < len ? c->ring_size - tail : len;

	memcpy(c->ring + tail, data, first);
	memcpy(c->ring, data + first, len - first);
	c->ring_len += len;
	if (c->ring_len > c->ring_size) {
		c->ring_head = (c->ring_head + c->ring_len - c->ring_size) % c->ring_size;
		c->ring_len = c->ring_size;
	}
}

/* Keep the log bounded: at the limit, console.log becomes console.log.1. */
static void
log_write(struct con *c, const char *data, size_t len)
{
	char old[600];

	if (c->log_fd == -1)
		return;
	if (c->log_size + (off_t)len > (off_t)lw.cfg.console_log_max) {
		snprintf(old, sizeof(old), "%s.1", c->log_path);
		close(c->log_fd);
		rename(c->log_path, old);
		c->log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		c->log_size = 0;
		if (c->log_fd == -1)
			return;
	}
	if (write(c->log_fd, data, len) > 0)
		c->log_size += (off_t)len;
}

/* A waiter keeps the last WAITER_MAX bytes: the match is near the end. */
static void
waiter_put(struct waiter *w, const char *data, size_t len)
{
	if (len > WAITER_MAX) {
		data += len - WAITER_MAX;
		len = WAITER_MAX;
	}
	if (w->len + len > WAITER_MAX) {
		size_t drop = w->len + len - WAITER_MAX;

		memmove(w->buf, w->buf + drop, w->len - drop);
		w->len -= drop;
	}
	if (w->len + len > w->cap) {
		size_t cap = w->len + len + 4096;
		char *nb;

		cap = cap > WAITER_MAX ? WAITER_MAX : cap;
		if ((nb = realloc(w->buf, cap)) == NULL)
			return;
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->total += len;
	pthread_cond_broadcast(&w->cv);
}

/* After a daemon restart the scrollback comes back from the end of the log. */
static void
ring_load(struct con *c, const char *log_path)
{
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	off_t size, from;
	char *buf;
	ssize_t n;

	if (fd == -1 || c->ring_size == 0)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	from = size > (off_t)c->ring_size ? size - (off_t)c->ring_size : 0;
	if ((buf = malloc(c->ring_size)) == NULL)
		goto out;
	if ((n = pread(fd, buf, c->ring_size, from)) > 0)
		ring_put(c, buf, (size_t)n);
	free(buf);
out:
	if (fd != -1)
		close(fd);
}

static void
con_output(struct con *c, const char *data, size_t len)
{
	ring_put(c, data, len);
	log_write(c, data, len);
	for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
		if (!cl->dead)
			client_output(cl, data, len);
	for (struct waiter *w = c->waiters; w != NULL; w = w->next)
		waiter_put(w, data, len);
}

/* A status line of the daemon's own, in the console's output. */
static void
con_note(struct con *c, const char *msg)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "\r\n[labwire: %s]\r\n", msg);

	con_output(c, line, (size_t)n);
}

/* Keystrokes from any client go to the guest; Enter is CR alone. */
static void
con_input(struct con *c, struct client *cl, const char *data, size_t len)
{
	char buf[READ_CHUNK];
	size_t n = 0;

	for (size_t i = 0; i < len && n < sizeof(buf); i++) {
		if (cl != NULL && cl->cr && (data[i] == '\n' || data[i] == '\0')) {
			cl->cr = false;
			continue;
		}
		if (cl != NULL)
			cl->cr = data[i] == '\r';
		buf[n++] = data[i];
	}
	if (c->qemu_fd != -1 && n > 0 && write(c->qemu_fd, buf, n) == -1 && errno != EAGAIN)
		log_warn("console %lld: write", (long long)c->node);
}

/* ---- telnet ---- */

static void
telnet_event(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct client *cl = arg;

	(void)tn;
	switch (ev->type) {
	case TELNET_EV_DATA:
		con_input(cl->con, cl, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		client_write(cl, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_ERROR:
		log_debug(
		    "console %lld: telnet client: %s", (long long)cl->con->node, ev->error.msg);
		client_close(cl);
		break;
	default:
		break;
	}
}

static struct client *
client_new(struct con *c, enum client_kind kind, int fd)
{
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return (NULL);
	cl->kind = kind;
	cl->fd = fd;
	cl->con = c;
	cl->w = (struct watch){W_CLIENT, cl};
	return (cl);
}

/* Scrollback first, so a late client sees the boot and the prompt. */
static void
client_replay(struct client *cl)
{
	struct con *c = cl->con;
	/* The newest part only, within the client's budget (the prompt is at the end). */
	size_t len = c->ring_len < CLIENT_OUT_MAX / 2 ? c->ring_len : CLIENT_OUT_MAX / 2;
	size_t start = (c->ring_head + c->ring_len - len) % (c->ring_size ? c->ring_size : 1);
	size_t first = c->ring_size - start;

	if (len == 0)
		return;
	if (first >= len) {
		client_output(cl, c->ring + start, len);
	} else {
		client_output(cl, c->ring + start, first);
		client_output(cl, c->ring, len - first);
	}
}

static void
client_link(struct client *cl)
{
	cl->next = cl->con->clients;
	cl->con->clients = cl;
}

static void
telnet_accept(struct con *c)
{
	struct client *cl;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if ((cl = client_new(c, C_TELNET, fd)) == NULL ||
	    (cl->tn = telnet_init(telopts, telnet_event, 0, cl)) == NULL ||
	    watch_add(fd, &cl->w, EPOLLIN) == -1) {
		if (cl != NULL && cl->tn != NULL)
			telnet_free(cl->tn);
		free(cl);
		close(fd);
		return;
	}
	client_link(cl);
	telnet_negotiate(cl->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(cl->tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(cl->tn, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(cl->tn, TELNET_DO, TELNET_TELOPT_BINARY);
	client_replay(cl);
}

/* ---- WebSocket ---- */

static void
ws_input(struct client *cl, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len && !cl->dead) {
		struct ws_frame f;
		size_t used = 0;
		int r = ws_parse(&cl->wp, (const uint8_t *)data + off, len - off, &used, &f);

		off += used;
		if (r == WS_NEED_MORE)
			break;
		if (r < 0) {
			uint8_t payload[125];
			size_t plen = 0;

			ws_close_payload(payload, -r,
			    r == WS_ERR_TOO_BIG ? "message too big" : "protocol error", &plen);
			ws_send(cl, WS_OP_CLOSE, payload, plen);
			client_close(cl);
			break;
		}
		if (f.opcode == WS_OP_TEXT || f.opcode == WS_OP_BINARY)
			con_input(cl->con, cl, (const char *)f.data, f.len);
		else if (f.opcode == WS_OP_PING)
			ws_send(cl, WS_OP_PONG, f.data, f.len);
		else if (f.opcode == WS_OP_CLOSE) {
			uint8_t payload[125];
			size_t plen = 0;

			/* Echo the peer's code (RFC 6455 5.5.1); none when it sent none. */
			if (f.close_code != WS_CLOSE_NO_STATUS &&
			    ws_close_payload(payload, f.close_code, NULL, &plen) == -1)
				plen = 0;
			ws_send(cl, WS_OP_CLOSE, payload, plen);
			client_close(cl);
		}
	}
}

/* ---- events ---- */

static void
client_readable(struct client *cl)
{
	char buf[READ_CHUNK];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		client_close(cl);
		return;
	}
	if (n < 0)
		return;
	if (cl->kind == C_TELNET)
		telnet_recv(cl->tn, buf, (size_t)n);
	else
		ws_input(cl, buf, (size_t)n);
}

static void
qemu_detach(struct con *c)
{
	if (c->qemu_fd == -1)
		return;
	epoll_ctl(cs.epfd, EPOLL_CTL_DEL, c->qemu_fd, NULL);
	close(c->qemu_fd);
	c->qemu_fd = -1;
	con_note(c, "the node's console is gone: node stopped");
	if (c->log_fd != -1)
		close(c->log_fd);
	c->log_fd = -1;
}

static void
qemu_readable(struct con *c)
{
	char buf[READ_CHUNK];
	ssize_t n;

	for (int i = 0; i < 8; i++) { /* bounded: other consoles get their turn */
		n = read(c->qemu_fd, buf, sizeof(buf));
		if (n > 0) {
			con_output(c, buf, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			qemu_detach(c);
		return;
	}
}

static void
handle_event(struct epoll_event *ev)
{
	struct watch *w = ev->data.ptr;
	struct client *cl;
	struct con *c;
	uint64_t v;

	switch (w->kind) {
	case W_WAKE:
		if (read(cs.wakefd, &v, sizeof(v)) == -1)
			return;
		break;
	case W_LISTEN:
		if (!(c = w->p)->dead)
			telnet_accept(c);
		break;
	case W_QEMU:
		if (!(c = w->p)->dead && c->qemu_fd != -1)
			qemu_readable(c);
		break;
	case W_CLIENT:
		cl = w->p;
		if (!cl->dead && (ev->events & EPOLLOUT))
			client_flush(cl);
		if (!cl->dead && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			client_readable(cl);
		break;
	}
}

static void
client_free(struct client *cl)
{
	if (cl->tn != NULL)
		telnet_free(cl->tn);
	ws_parser_free(&cl->wp);
	free(cl->out);
	free(cl);
}

/* End of a batch: unlink and free what died. */
static void
reap(void)
{
	for (struct con **pc = &cs.cons; *pc != NULL;) {
		struct con *c = *pc;

		for (struct client **pp = &c->clients; *pp != NULL;) {
			struct client *cl = *pp;

			if (cl->dead) {
				*pp = cl->next;
				client_free(cl);
			} else {
				pp = &cl->next;
			}
		}
		if (c->dead && c->waiters == NULL) {
			*pc = c->next;
			free(c->ring);
			free(c);
		} else {
			pc = &c->next;
		}
	}
}

static void *
console_loop(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	for (;;) {
		int n = epoll_wait(cs.epfd, evs, 64, -1);

		pthread_mutex_lock(&cs.mu);
		if (cs.stop) {
			pthread_mutex_unlock(&cs.mu);
			break;
		}
		for (int i = 0; i < n; i++)
			handle_event(&evs[i]);
		reap();
		pthread_mutex_unlock(&cs.mu);
	}
	return (NULL);
}

/* ---- API ---- */

int
console_init(struct lw_err *e)
{
	cs.w_wake = (struct watch){W_WAKE, NULL};
	if ((cs.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (cs.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    watch_add(cs.wakefd, &cs.w_wake, EPOLLIN) == -1)
		return (err_set(e, ERR_INTERNAL, "console: %s", strerror(errno)));
	if (pthread_create(&cs.thread, NULL, console_loop, NULL) != 0)
		return (err_set(e, ERR_INTERNAL, "console thread: %s", strerror(errno)));
	cs.running = true;
	return (0);
}

static void
con_close(struct con *c)
{
	for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
		client_close(cl);
	if (c->listen_fd != -1) {
		epoll_ctl(cs.epfd, EPOLL_CTL_DEL, c->listen_fd, NULL);
		close(c->listen_fd);
		c->listen_fd = -1;
	}
	if (c->qemu_fd != -1) {
		epoll_ctl(cs.epfd, EPOLL_CTL_DEL, c->qemu_fd, NULL);
		close(c->qemu_fd);
		c->qemu_fd = -1;
	}
	if (c->log_fd != -1)
		close(c->log_fd);
	c->log_fd = -1;
	for (struct waiter *w = c->waiters; w != NULL; w = w->next)
		pthread_cond_broadcast(&w->cv);
	c->dead = true;
}

void
console_fini(void)
{
	uint64_t one = 1;

	if (!cs.running)
		return;
	pthread_mutex_lock(&cs.mu);
	cs.stop = true;
	pthread_mutex_unlock(&cs.mu);
	if (write(cs.wakefd, &one, sizeof(one)) == -1)
		log_warn("console: wake");
	pthread_join(cs.thread, NULL);
	pthread_mutex_lock(&cs.mu);
	for (struct con *c = cs.cons; c != NULL; c = c->next)
		con_close(c);
	reap();
	pthread_mutex_unlock(&cs.mu);
	close(cs.wakefd);
	close(cs.epfd);
	cs.running = false;
}

static int
listen_tcp(int port, struct lw_err *e)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd, one = 1;

	if (inet_pton(AF_INET, lw.cfg.console_host, &sin.sin_addr) != 1)
		return (err_set(e, ERR_INVALID, "console host '%s' is not an IPv4 address",
		    lw.cfg.console_host));
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return (err_set(e, ERR_INTERNAL, "socket: %s", strerror(errno)));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(fd, 16) == -1) {
		err_set(e, ERR_UNAVAILABLE, "console port %s:%d: %s", lw.cfg.console_host, port,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

int
console_node_add(int64_t node, int port, struct lw_err *e)
{
	struct con *c;
	int fd;

	pthread_mutex_lock(&cs.mu);
	if (con_find(node) != NULL) {
		pthread_mutex_unlock(&cs.mu);
		return (0);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	/*
	 * Without its telnet port the console still exists: the log, readiness,
	 * send/expect and the WebSocket keep working.
	 */
	fd = listen_tcp(port, e);
	c->node = node;
	c->port = port;
	c->listen_fd = fd;
	c->qemu_fd = c->log_fd = -1;
	c->ring_size = (size_t)lw.cfg.console_scrollback;
	c->ring = c->ring_size ? malloc(c->ring_size) : NULL;
	c->w_listen = (struct watch){W_LISTEN, c};
	c->w_qemu = (struct watch){W_QEMU, c};
	if (fd != -1)
		watch_add(fd, &c->w_listen, EPOLLIN);
	c->next = cs.cons;
	cs.cons = c;
	pthread_mutex_unlock(&cs.mu);
	return (fd == -1 ? -1 : 0);
}

void
console_node_remove(int64_t node)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) != NULL)
		con_close(c);
	pthread_mutex_unlock(&cs.mu);
}

void
console_node_attach(int64_t node, int fd, const char *log_path, bool fresh)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		close(fd);
		return;
	}
	if (c->qemu_fd != -1)
		qemu_detach(c);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->qemu_fd = fd;
	snprintf(c->log_path, sizeof(c->log_path), "%s", log_path);
	if (!fresh && c->ring_len == 0)
		ring_load(c, log_path);
	c->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	c->log_size = c->log_fd == -1 ? 0 : lseek(c->log_fd, 0, SEEK_END);
	con_note(c, fresh ? "node started" : "console re-attached after a daemon restart");
	watch_add(fd, &c->w_qemu, EPOLLIN);
	pthread_mutex_unlock(&cs.mu);
}

void
console_node_detach(int64_t node)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) != NULL)
		qemu_detach(c);
	pthread_mutex_unlock(&cs.mu);
}

int
console_add_ws(
    int64_t node, int fd, const char *extra, size_t extra_len, void (*on_close)(void *), void *arg)
{
	struct client *cl;
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) == NULL || (cl = client_new(c, C_WS, fd)) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		errno = ENOENT;
		return (-1);
	}
	cl->on_close = on_close;
	cl->close_arg = arg;
	ws_parser_init(&cl->wp, WS_MESSAGE_MAX);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (watch_add(fd, &cl->w, EPOLLIN) == -1) {
		pthread_mutex_unlock(&cs.mu);
		ws_parser_free(&cl->wp);
		free(cl);
		return (-1);
	}
	client_link(cl);
	client_replay(cl);
	if (extra_len > 0)
		ws_input(cl, extra, extra_len);
	pthread_mutex_unlock(&cs.mu);
	return (0);
}

int
console_clients(int64_t node)
{
	struct con *c;
	int n = 0;

	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) != NULL)
		for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
			n += !cl->dead;
	pthread_mutex_unlock(&cs.mu);
	return (n);
}

/* ---- send/expect ---- */

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
 * Does re match what w saw ("\r" removed)? The text is copied under cs.mu
 * and matched without it, so a slow pattern stalls only this request, never
 * the console. Sets *end to the match's end (or the text's). Called locked.
 */
static bool
waiter_match(struct waiter *w, regex_t *re, char **text, size_t *end, int eflags)
{
	regmatch_t m;
	size_t n = 0;
	char *t = realloc(*text, w->len + 1);
	int r;

	if (t == NULL)
		return (false);
	*text = t;
	for (size_t i = 0; i < w->len; i++)
		if (w->buf[i] != '\r')
			t[n++] = w->buf[i] ? w->buf[i] : ' ';
	t[n] = '\0';
	*end = n;
	pthread_mutex_unlock(&cs.mu);
	r = regexec(re, t, 1, &m, eflags);
	pthread_mutex_lock(&cs.mu);
	if (r != 0)
		return (false);
	*end = (size_t)m.rm_eo;
	return (true);
}

#define EXEC_SETTLE_MS 200

static int
exec_wait(
    struct con *c, struct waiter *w, regex_t *re, int timeout_ms, char **out, struct lw_err *e)
{
	size_t end = 0;
	int r = 0;
	uint64_t seen = UINT64_MAX, settled = UINT64_MAX;
	int64_t stop = clock_mono_ms() + timeout_ms;
	bool quiet = false;

	for (;;) {
		/*
		 * Match again only when something new came. While output flows,
		 * its end is not an end of line ("^42$" must not match the "4" of
		 * a "42" still arriving); once it has been quiet for a moment, it
		 * is (a prompt ends "# " with no newline after it).
		 */
		if (w->total != seen) {
			seen = w->total;
			if (waiter_match(w, re, out, &end, REG_NOTEOL))
				break;
		} else if (quiet && settled != seen) {
			settled = seen;
			if (waiter_match(w, re, out, &end, 0))
				break;
		}
		if (c->dead || c->qemu_fd == -1 || r == ETIMEDOUT) {
			if (*out != NULL)
				(*out)[end] = '\0';
			if (c->dead || c->qemu_fd == -1)
				return (err_set(
				    e, ERR_CONFLICT, "the node stopped; its console is gone"));
			return (err_set(e, ERR_TIMEOUT,
			    "nothing matched the expect pattern within %d ms", timeout_ms));
		}
		{
			struct timespec q;
			int64_t left = stop - clock_mono_ms();

			clock_deadline(&q, left < EXEC_SETTLE_MS ? (int)(left > 0 ? left : 0)
			                                         : EXEC_SETTLE_MS);
			r = pthread_cond_timedwait(&w->cv, &cs.mu, &q);
			quiet = r == ETIMEDOUT;
			if (r == ETIMEDOUT && clock_mono_ms() < stop)
				r = 0;
		}
	}
	(*out)[end] = '\0';
	return (0);
}

int
console_exec(int64_t node, const char *send, const char *expect, int timeout_ms, char **out,
    struct lw_err *e)
{
	struct waiter w = {.next = NULL};
	struct con *c;
	regex_t re;
	char errbuf[128];
	int rc;

	*out = NULL;
	for (const char *p = expect; *p; p++)
		if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9')
			return (err_set(e, ERR_INVALID, "expect: back-references are not allowed"));
		else if (p[0] == '\\' && p[1] != '\0')
			p++;
	if ((rc = regcomp(&re, expect, REG_EXTENDED | REG_NEWLINE)) != 0) {
		regerror(rc, &re, errbuf, sizeof(errbuf));
		return (err_set(e, ERR_INVALID, "expect: %s", errbuf));
	}
	pthread_cond_init(&w.cv, NULL);
	pthread_mutex_lock(&cs.mu);
	if ((c = con_find(node)) == NULL || c->qemu_fd == -1) {
		rc = err_set(
		    e, ERR_CONFLICT, "the node is not running: its console is not attached");
		goto out;
	}
	w.next = c->waiters;
	c->waiters = &w;
	if (send != NULL) {
		con_input(c, NULL, send, strlen(send));
		con_input(c, NULL, "\r", 1);
	}
	rc = exec_wait(c, &w, &re, timeout_ms, out, e);
	waiter_unlink(c, &w);
out:
	pthread_mutex_unlock(&cs.mu);
	regfree(&re);
	pthread_cond_destroy(&w.cv);
	free(w.buf);
	return (rc);
}
