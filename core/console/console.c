/*
 * console - the fan-out core: one console per node, its clients, the
 * scrollback ring, the console log, and the thread that runs them.
 *
 * All state lives behind cs.mu. The console thread waits in epoll without
 * the lock and takes it to handle a batch of events. Consoles and clients
 * that go away are only marked dead and unhooked from epoll; the console
 * thread frees them at the end of a batch, so an event already in hand
 * never points at freed memory.
 *
 * Shutdown: console_fini sets cs.stop under the lock, joins the thread,
 * closes every console, lets send/expect waiters leave, then closes the
 * epoll set and eventfd (set to -1). The runtime and request threads may
 * still call in after that: with cs.stop set, no console is made, found or
 * watched.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/paths.h"
#include "core/base/config.h"
#include "core/base/log.h"
#include "core/console/console.h"
#include "core/console/console_int.h"

static struct {
	pthread_mutex_t mu;
	int epfd, wakefd;
	pthread_t thread;
	bool running, stop; /* stop: console_fini has begun; nothing new is taken */
	struct con *cons;
	struct watch w_wake;
	uint64_t next_client; /* client ids */
} cs = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1};

void
console_lock(void)
{
	pthread_mutex_lock(&cs.mu);
}

void
console_unlock(void)
{
	pthread_mutex_unlock(&cs.mu);
}

int
console_wait(pthread_cond_t *cv, const struct timespec *deadline)
{
	return (pthread_cond_timedwait(cv, &cs.mu, deadline));
}

struct con *
console_find(int64_t node)
{
	if (cs.stop)
		return (NULL);
	for (struct con *c = cs.cons; c != NULL; c = c->next)
		if (c->node == node && !c->dead)
			return (c);
	return (NULL);
}

struct con *
console_first(void)
{
	return (cs.cons);
}

int
console_watch_add(int fd, struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return (epoll_ctl(cs.epfd, EPOLL_CTL_ADD, fd, &ev));
}

void
console_watch_del(int fd)
{
	epoll_ctl(cs.epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void
watch_mod(int fd, struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	epoll_ctl(cs.epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* ---- clients ---- */

/* Read cl unless it is paused; write to it while output waits. */
static void
client_watch(struct client *cl)
{
	watch_mod(cl->fd, &cl->w, (cl->paused ? 0 : EPOLLIN) | (cl->outlen > 0 ? EPOLLOUT : 0));
}

void
console_client_close(struct client *cl)
{
	if (cl->dead)
		return;
	cl->dead = true;
	console_watch_del(cl->fd);
	if (cl->codec != NULL)
		cl->codec->close(cl->arg); /* MHD owns an upgraded socket */
	else
		close(cl->fd);
	cl->fd = -1;
}

void
console_client_resume(struct client *cl)
{
	if (!cl->paused || cl->dead)
		return;
	cl->paused = false;
	client_watch(cl);
}

/*
 * Write what the socket takes now and queue the rest. A client more than
 * CONSOLE_CLIENT_OUT_MAX behind is disconnected: dropping part of a frame
 * or a telnet escape would corrupt everything after it.
 */
void
console_client_write(struct client *cl, const char *data, size_t len)
{
	ssize_t n = 0;
	char *nb = NULL;

	if (cl->dead)
		return;
	if (cl->outlen == 0) {
		n = send(cl->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			console_client_close(cl);
			return;
		}
		if (n < 0)
			n = 0;
		if ((size_t)n == len)
			return;
	}
	if (cl->outlen + (len - (size_t)n) > CONSOLE_CLIENT_OUT_MAX ||
	    (nb = realloc(cl->out, cl->outlen + len - (size_t)n)) == NULL) {
		log_info("console %lld: a client fell %zu bytes behind; disconnecting it",
		    (long long)cl->con->node, cl->outlen);
		console_client_close(cl);
		return;
	}
	cl->out = nb;
	memcpy(cl->out + cl->outlen, data + n, len - (size_t)n);
	cl->outlen += len - (size_t)n;
	client_watch(cl);
}

static void
client_flush(struct client *cl)
{
	ssize_t n = send(cl->fd, cl->out, cl->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		console_client_close(cl);
		return;
	}
	if (n <= 0)
		return;
	memmove(cl->out, cl->out + n, cl->outlen - (size_t)n);
	cl->outlen -= (size_t)n;
	if (cl->outlen == 0)
		client_watch(cl);
}

/* Output for one client, in its protocol; one write per frame, so it is queued whole. */
static void
client_output(struct client *cl, const char *data, size_t len)
{
	size_t flen = 0;
	char *frame;

	if (cl->dead)
		return;
	if (cl->kind == C_TELNET) {
		telnetd_send(cl, data, len);
		return;
	}
	if ((frame = cl->codec->frame(cl->arg, data, len, &flen)) == NULL) {
		console_client_close(cl);
		return;
	}
	console_client_write(cl, frame, flen);
	free(frame);
}

/* Bytes from a codec client: keystrokes go to the guest, replies back to it. */
static void
codec_input(struct client *cl, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len && !cl->dead) {
		struct console_msg m = {.kind = CONSOLE_MSG_NONE};
		size_t used = 0;

		cl->codec->parse(cl->arg, data + off, len - off, &used, &m);
		off += used;
		if (m.kind == CONSOLE_MSG_NONE)
			break;
		if (m.kind == CONSOLE_MSG_INPUT) {
			if (!cl->read_only) /* a watcher's keystrokes go nowhere */
				console_input(cl->con, cl, m.data, m.len);
		} else if (m.len > 0) {
			console_client_write(cl, m.data, m.len);
		}
		if (m.kind == CONSOLE_MSG_CLOSE)
			console_client_close(cl);
	}
}

struct client *
console_client_new(struct con *c, enum client_kind kind, int fd)
{
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return (NULL);
	cl->kind = kind;
	cl->fd = fd;
	cl->con = c;
	cl->id = ++cs.next_client;
	cl->w = (struct watch){W_CLIENT, cl};
	return (cl);
}

/* Scrollback first, so a late client sees the boot and the prompt. */
void
console_client_join(struct client *cl)
{
	struct con *c = cl->con;
	/* The newest part only, within the client's budget (the prompt is at the end). */
	size_t len =
	    c->ring_len < CONSOLE_CLIENT_OUT_MAX / 2 ? c->ring_len : CONSOLE_CLIENT_OUT_MAX / 2;
	size_t start = (c->ring_head + c->ring_len - len) % (c->ring_size ? c->ring_size : 1);
	size_t first = c->ring_size - start;

	cl->next = c->clients;
	c->clients = cl;
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
client_free(struct client *cl)
{
	if (cl->kind == C_TELNET)
		telnetd_free(cl);
	login_free(cl);
	free(cl->out);
	free(cl);
}

/* ---- the console's output: ring, log, clients, waiters ---- */

static void
ring_put(struct con *c, const char *data, size_t len)
{
	/* Allocated on first output: a stopped node's console costs no scrollback. */
	if (c->ring == NULL && (c->ring_size == 0 || (c->ring = malloc(c->ring_size)) == NULL))
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

/* After a daemon restart the scrollback comes back from the end of the log. */
static void
ring_load(struct con *c, const char *log_path)
{
	int fd = paths_open_plain(log_path, O_RDONLY, 0);
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
		c->log_fd = paths_open_plain(c->log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
		c->log_size = 0;
		if (c->log_fd == -1)
			return;
	}
	if (write(c->log_fd, data, len) > 0)
		c->log_size += (off_t)len;
}

static void
log_open(struct con *c, const char *log_path)
{
	snprintf(c->log_path, sizeof(c->log_path), "%s", log_path);
	c->log_fd = paths_open_plain(log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	c->log_size = c->log_fd == -1 ? 0 : lseek(c->log_fd, 0, SEEK_END);
}

static void
log_close(struct con *c)
{
	if (c->log_fd != -1)
		close(c->log_fd);
	c->log_fd = -1;
}

static void
con_output(struct con *c, const char *data, size_t len)
{
	ring_put(c, data, len);
	log_write(c, data, len);
	for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
		client_output(cl, data, len);
	expect_put(c, data, len);
}

/* A status line of the daemon's own, in the console's output. */
static void
con_note(struct con *c, const char *msg)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "\r\n[labwire: %s]\r\n", msg);

	con_output(c, line, (size_t)n);
}

/* ---- the console's input: one queue, written as the guest takes it ---- */

static size_t
in_room(const struct con *c)
{
	return (CONSOLE_INPUT_MAX - c->in_len);
}

/* What must be free before cl is read: one read, and what its codec may hold back. */
static size_t
client_need(const struct client *cl)
{
	return (CONSOLE_READ_CHUNK + (cl->codec != NULL ? cl->codec->max_message : 0));
}

/* Watch qemu_fd for room to write only while bytes wait: no busy loop. */
static void
in_arm(struct con *c, bool arm)
{
	if (c->in_armed == arm)
		return;
	c->in_armed = arm;
	watch_mod(c->qemu_fd, &c->w_qemu, EPOLLIN | (arm ? EPOLLOUT : 0));
}

/* The queue shrank (or the guest went): read paused clients that fit again, wake senders. */
static void
in_shrunk(struct con *c)
{
	bool still = false;

	pthread_cond_broadcast(&c->room);
	if (!c->in_paused)
		return;
	for (struct client *cl = c->clients; cl != NULL; cl = cl->next) {
		if (!cl->paused || cl->dead)
			continue;
		if (c->qemu_fd != -1 && in_room(c) < client_need(cl)) {
			still = true;
			continue;
		}
		cl->paused = false;
		client_watch(cl);
	}
	c->in_paused = still;
}

/* Forget what the guest did not take (it went away). */
static void
in_clear(struct con *c)
{
	free(c->in);
	c->in = NULL;
	c->in_off = c->in_len = c->in_cap = 0;
	c->in_armed = false;
	in_shrunk(c);
}

/* Write what the guest's socket takes now; watch for room when it is full. */
static void
in_flush(struct con *c)
{
	size_t before = c->in_len;
	ssize_t n;

	while (c->in_len > 0) {
		n = send(c->qemu_fd, c->in + c->in_off, c->in_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->in_off += (size_t)n;
			c->in_len -= (size_t)n;
		} else if (n == -1 && errno == EAGAIN) {
			in_arm(c, true);
			break;
		} else if (n == -1 && errno != EINTR) {
			if (errno != EPIPE && errno != ECONNRESET) /* else QEMU just stopped */
				log_warn("console %lld: write", (long long)c->node);
			in_arm(c, false);
			in_clear(c); /* QEMU is going: the read side sees it and detaches */
			return;
		}
	}
	if (c->in_len == 0) {
		in_arm(c, false);
		free(c->in);
		c->in = NULL;
		c->in_off = c->in_cap = 0;
	}
	if (c->in_len < before)
		in_shrunk(c);
}

/* Room at the end of the queue for len more bytes (len <= in_room); -1 when out of memory. */
static int
in_reserve(struct con *c, size_t len)
{
	size_t need = c->in_len + len, cap = c->in_cap ? c->in_cap : 4096;
	char *nb;

	if (c->in_off > 0 && c->in_off + need > c->in_cap) {
		memmove(c->in, c->in + c->in_off, c->in_len);
		c->in_off = 0;
	}
	if (c->in_off + need <= c->in_cap)
		return (0);
	while (cap < need)
		cap *= 2;
	cap = cap > CONSOLE_INPUT_MAX ? CONSOLE_INPUT_MAX : cap;
	if ((nb = realloc(c->in, cap)) == NULL)
		return (-1);
	c->in = nb;
	c->in_cap = cap;
	return (0);
}

/* Append keystrokes (room reserved); Enter is CR alone, so cl's CR LF / CR NUL lose the LF/NUL. */
static void
in_put(struct con *c, struct client *cl, const char *data, size_t len)
{
	char *q = c->in + c->in_off + c->in_len;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (cl != NULL && cl->cr && (data[i] == '\n' || data[i] == '\0')) {
			cl->cr = false;
			continue;
		}
		if (cl != NULL)
			cl->cr = data[i] == '\r';
		q[n++] = data[i];
	}
	c->in_len += n;
}

void
console_input(struct con *c, struct client *cl, const char *data, size_t len)
{
	static const char full[] =
	    "\r\n[labwire: the console's input queue is full (the guest has "
	    "not taken 1 MiB yet); your input was refused, disconnecting]\r\n";

	if (c->qemu_fd == -1 || len == 0) /* the node is not running: keystrokes go nowhere */
		return;
	if (len > in_room(c) || in_reserve(c, len) == -1) {
		log_info(
		    "console %lld: input queue full; a client's %zu bytes refused, client dropped",
		    (long long)c->node, len);
		client_output(cl, full, sizeof(full) - 1);
		console_client_close(cl);
		return;
	}
	in_put(c, cl, data, len);
	if (!c->in_armed)
		in_flush(c);
}

int
console_send(struct con *c, const char *line, int64_t stop_ms, struct lw_err *e)
{
	size_t len = strlen(line);
	struct timespec ts;
	int64_t left;

	if (len + 1 > CONSOLE_INPUT_MAX)
		return (err_set(e, ERR_INVALID, "send: longer than the console's input queue"));
	while (!c->dead && c->qemu_fd != -1 && len + 1 > in_room(c)) {
		if ((left = stop_ms - clock_mono_ms()) <= 0)
			return (err_set(e, ERR_TIMEOUT,
			    "the console's input queue stayed full: the guest is not reading"));
		clock_deadline(&ts, left > INT32_MAX ? INT32_MAX : (int)left);
		console_wait(&c->room, &ts);
	}
	if (c->dead || c->qemu_fd == -1 || in_reserve(c, len + 1) == -1)
		return (err_set(e, c->dead || c->qemu_fd == -1 ? ERR_CONFLICT : ERR_INTERNAL,
		    c->dead || c->qemu_fd == -1 ? "the node stopped; its console is gone"
		                                : "out of memory"));
	in_put(c, NULL, line, len);
	in_put(c, NULL, "\r", 1);
	if (!c->in_armed)
		in_flush(c);
	return (0);
}

/* ---- events ---- */

/*
 * Back-pressure: a client whose input may not fit in its console's queue
 * is not read (its socket fills, then its sender waits) until the guest has
 * taken enough; a client that hung up meanwhile is dropped. Only clients
 * whose keystrokes go to the guest wait.
 */
static bool
client_hold(struct client *cl, uint32_t events)
{
	struct con *c = cl->con;
	bool hold;

	if (cl->login != NULL) /* at the login prompt: held while its password is checked */
		hold = login_checking(cl);
	else
		hold = !cl->read_only && c->qemu_fd != -1 && in_room(c) < client_need(cl);
	if (!hold)
		return (false);
	if (events & (EPOLLHUP | EPOLLERR)) {
		console_client_close(cl);
	} else if (!cl->paused) {
		cl->paused = true;
		c->in_paused = true;
		client_watch(cl);
	}
	return (true);
}

static void
client_readable(struct client *cl, uint32_t events)
{
	char buf[CONSOLE_READ_CHUNK];
	ssize_t n;

	if (client_hold(cl, events))
		return;
	n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		console_client_close(cl);
		return;
	}
	if (n < 0)
		return;
	if (cl->kind == C_TELNET)
		telnetd_recv(cl, buf, (size_t)n);
	else
		codec_input(cl, buf, (size_t)n);
}

static void
qemu_close(struct con *c)
{
	console_watch_del(c->qemu_fd);
	close(c->qemu_fd);
	c->qemu_fd = -1;
	in_clear(c); /* unsent keystrokes were for this boot; paused clients read again */
}

static void
qemu_detach(struct con *c)
{
	if (c->qemu_fd == -1)
		return;
	qemu_close(c);
	con_note(c, "the node's console is gone: node stopped");
	log_close(c);
}

/*
 * The telnet port listens only while the node's console is attached: a lab
 * of a thousand stopped nodes holds no socket for them. A client that is
 * attached stays when the node stops (it sees the next boot).
 */
static void
con_listen(struct con *c)
{
	struct lw_err e = {0};

	if (c->listen_fd == -1 && telnetd_start(c, &e) == -1)
		log_warnx("console %lld: %s; the console works without its telnet port",
		    (long long)c->node, e.msg);
}

/* The node's QEMU went away: its serial socket and its telnet port close. */
static void
con_unplug(struct con *c)
{
	qemu_detach(c);
	telnetd_stop(c);
}

static void
qemu_readable(struct con *c)
{
	char buf[CONSOLE_READ_CHUNK];
	ssize_t n;

	for (int i = 0; i < 8; i++) { /* bounded: other consoles get their turn */
		n = read(c->qemu_fd, buf, sizeof(buf));
		if (n > 0) {
			con_output(c, buf, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			con_unplug(c);
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
		login_results(); /* a worker may have woken us with a verdict */
		break;
	case W_LISTEN:
		if (!(c = w->p)->dead)
			telnetd_accept(c);
		break;
	case W_QEMU:
		if (!(c = w->p)->dead && c->qemu_fd != -1 && (ev->events & EPOLLOUT))
			in_flush(c);
		if (!c->dead && c->qemu_fd != -1 && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			qemu_readable(c);
		break;
	case W_CLIENT:
		cl = w->p;
		if (!cl->dead && (ev->events & EPOLLOUT))
			client_flush(cl);
		if (!cl->dead && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			client_readable(cl, ev->events);
		break;
	}
}

static void
reap_clients(struct client **pp)
{
	while (*pp != NULL) {
		struct client *cl = *pp;

		if (cl->dead) {
			*pp = cl->next;
			client_free(cl);
		} else {
			pp = &cl->next;
		}
	}
}

/* End of a batch: unlink and free what died. */
static void
reap(void)
{
	for (struct con **pc = &cs.cons; *pc != NULL;) {
		struct con *c = *pc;

		reap_clients(&c->clients);
		reap_clients(&c->pending);
		if (c->dead && c->waiters == NULL) {
			*pc = c->next;
			free(c->ring);
			free(c->in);
			pthread_cond_destroy(&c->room);
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
	int timeout = -1; /* until the next login deadline, if a client is logging in */

	(void)arg;
	for (;;) {
		int n = epoll_wait(cs.epfd, evs, 64, timeout);

		pthread_mutex_lock(&cs.mu);
		if (cs.stop) {
			pthread_mutex_unlock(&cs.mu);
			break;
		}
		for (int i = 0; i < n; i++)
			handle_event(&evs[i]);
		timeout = login_expire();
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
	cs.stop = false;
	if ((cs.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (cs.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    console_watch_add(cs.wakefd, &cs.w_wake, EPOLLIN) == -1)
		return (err_set(e, ERR_INTERNAL, "console: %s", strerror(errno)));
	if (login_init(cs.wakefd, e) == -1)
		return (-1);
	if (pthread_create(&cs.thread, NULL, console_loop, NULL) != 0) {
		login_fini();
		return (err_set(e, ERR_INTERNAL, "console thread: %s", strerror(errno)));
	}
	cs.running = true;
	return (0);
}

static void
con_close(struct con *c)
{
	for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
		console_client_close(cl);
	for (struct client *cl = c->pending; cl != NULL; cl = cl->next)
		console_client_close(cl);
	telnetd_stop(c);
	if (c->qemu_fd != -1)
		qemu_close(c);
	log_close(c);
	c->dead = true;
	expect_wake(c);
	pthread_cond_broadcast(&c->room); /* send/expect waiting for room returns */
}

/*
 * Send/expect waiters were woken by con_close and return at once: let them
 * leave (bounded) so that their consoles can be freed. Called locked.
 */
static void
con_drain_waiters(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	reap();
	for (int i = 0; i < 200 && cs.cons != NULL; i++) {
		pthread_mutex_unlock(&cs.mu);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&cs.mu);
		reap();
	}
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
	login_fini(); /* after the console thread: no verdict is applied, nobody wakes it */
	pthread_mutex_lock(&cs.mu);
	for (struct con *c = cs.cons; c != NULL; c = c->next)
		con_close(c);
	con_drain_waiters();
	close(cs.wakefd);
	close(cs.epfd);
	cs.wakefd = cs.epfd = -1;
	cs.running = false;
	pthread_mutex_unlock(&cs.mu);
}

static struct con *
con_new(int64_t node, int port)
{
	struct con *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return (NULL);
	c->node = node;
	c->port = port;
	c->listen_fd = c->qemu_fd = c->log_fd = -1;
	c->ring_size = (size_t)lw.cfg.console_scrollback;
	c->w_listen = (struct watch){W_LISTEN, c};
	c->w_qemu = (struct watch){W_QEMU, c};
	pthread_cond_init(&c->room, NULL);
	return (c);
}

int
console_node_add(int64_t node, int port, struct lw_err *e)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if (cs.stop || console_find(node) != NULL) {
		pthread_mutex_unlock(&cs.mu);
		return (0);
	}
	if ((c = con_new(node, port)) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	c->next = cs.cons;
	cs.cons = c;
	pthread_mutex_unlock(&cs.mu);
	return (0);
}

void
console_node_remove(int64_t node)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = console_find(node)) != NULL)
		con_close(c);
	pthread_mutex_unlock(&cs.mu);
}

void
console_node_attach(int64_t node, int fd, const char *log_path, bool fresh)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = console_find(node)) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		close(fd);
		return;
	}
	if (c->qemu_fd != -1)
		qemu_detach(c);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->qemu_fd = fd;
	if (!fresh && c->ring_len == 0)
		ring_load(c, log_path);
	log_open(c, log_path);
	con_note(c, fresh ? "node started" : "console re-attached after a daemon restart");
	console_watch_add(fd, &c->w_qemu, EPOLLIN);
	con_listen(c);
	pthread_mutex_unlock(&cs.mu);
}

void
console_node_detach(int64_t node)
{
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = console_find(node)) != NULL)
		con_unplug(c);
	pthread_mutex_unlock(&cs.mu);
}

int
console_add_ws(int64_t node, int fd, const char *extra, size_t extra_len,
    const struct console_codec *codec, void *arg, bool read_only, const struct console_who *who)
{
	struct client *cl;
	struct con *c;

	pthread_mutex_lock(&cs.mu);
	if ((c = console_find(node)) == NULL || (cl = console_client_new(c, C_CODEC, fd)) == NULL) {
		pthread_mutex_unlock(&cs.mu);
		errno = ENOENT;
		return (-1);
	}
	cl->codec = codec;
	cl->arg = arg;
	cl->read_only = read_only;
	if (who != NULL)
		cl->who = *who;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (console_watch_add(fd, &cl->w, EPOLLIN) == -1) {
		pthread_mutex_unlock(&cs.mu);
		free(cl);
		return (-1);
	}
	console_client_join(cl);
	if (extra_len > 0)
		codec_input(cl, extra, extra_len);
	pthread_mutex_unlock(&cs.mu);
	return (0);
}

/* ---- rechecking who may stay ---- */

struct recheck {
	int64_t node;
	uint64_t id;
	struct console_who who;
	enum console_access verdict;
};

/* Every live client with a who, as it is now; *n of them (caller frees). */
static struct recheck *
recheck_snapshot(size_t *n)
{
	struct recheck *r = NULL, *nr;
	size_t cap = 0;

	*n = 0;
	pthread_mutex_lock(&cs.mu);
	for (struct con *c = cs.cons; c != NULL; c = c->next)
		for (struct client *cl = c->clients; cl != NULL && !c->dead; cl = cl->next) {
			if (cl->dead || (cl->who.user == 0 && cl->who.token == 0))
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				if ((nr = realloc(r, cap * sizeof(*r))) == NULL)
					goto out;
				r = nr;
			}
			r[(*n)++] = (struct recheck){c->node, cl->id, cl->who, CONSOLE_FULL};
		}
out:
	pthread_mutex_unlock(&cs.mu);
	return (r);
}

static struct client *
recheck_find(const struct recheck *r)
{
	struct con *c = console_find(r->node);

	for (struct client *cl = c ? c->clients : NULL; cl != NULL; cl = cl->next)
		if (cl->id == r->id && !cl->dead)
			return (cl);
	return (NULL);
}

void
console_recheck(console_recheck_fn fn)
{
	static const char gone[] = "\r\n[labwire: your access to this console ended]\r\n";
	size_t n;
	struct recheck *r = recheck_snapshot(&n);
	struct client *cl;

	for (size_t i = 0; i < n; i++)
		r[i].verdict = fn(r[i].node, &r[i].who);
	pthread_mutex_lock(&cs.mu);
	for (size_t i = 0; i < n; i++) {
		if ((cl = recheck_find(&r[i])) == NULL)
			continue;
		if (r[i].verdict == CONSOLE_DENY) {
			client_output(cl, gone, sizeof(gone) - 1);
			log_info(
			    "console %lld: a client's access ended; dropped", (long long)r[i].node);
			console_client_close(cl);
		} else {
			cl->read_only = r[i].verdict == CONSOLE_WATCH;
		}
	}
	pthread_mutex_unlock(&cs.mu);
	free(r);
}

int
console_clients(int64_t node)
{
	struct con *c;
	int n = 0;

	pthread_mutex_lock(&cs.mu);
	if ((c = console_find(node)) != NULL)
		for (struct client *cl = c->clients; cl != NULL; cl = cl->next)
			n += !cl->dead;
	pthread_mutex_unlock(&cs.mu);
	return (n);
}
