/*
 * The console hub without QEMU: a socketpair plays the guest's serial port,
 * real TCP clients attach to the telnet port. Fan-out, input, scrollback
 * wrap-around, send/expect and log rotation, as a client would see them;
 * then, with an authenticator set, the telnet login (prompts, refusals,
 * read-only watchers, a slow check that stalls no one, a client that hangs
 * up mid-check) and a read-only WebSocket-style client.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/console/console.h"
#include "test.h"

#define PORT 47311
#define AUTH_PORT 47313
#define PASTE_PORT 47315
#define PASTE_TELNET (16 << 20) /* more than the input queue and every socket buffer */
#define PASTE_WS (1 << 20)

static size_t last_len; /* of the last read_until or read_for */

static int
tcp_connect(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
tcp_client(void)
{
	return (tcp_connect(PORT));
}

/* Read from fd until needle shows up (telnet negotiation bytes and all) or 3 s pass. */
static size_t
read_until(int fd, const char *needle, char *buf, size_t cap)
{
	size_t len = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (len < cap - 1 && poll(&p, 1, 3000) == 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (memmem(buf, len, needle, strlen(needle)) != NULL)
			break;
	}
	buf[len] = '\0';
	last_len = len;
	return (len);
}

/* Read whatever fd sends for ms milliseconds (NUL-terminated in buf); the byte count. */
static size_t
read_for(int fd, int ms, char *buf, size_t cap)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t len = 0;
	ssize_t n;

	while (
	    len < cap - 1 && poll(&p, 1, ms) == 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	last_len = len;
	return (len);
}

struct exec_arg {
	int guest;
};

/* The "guest" prints a line in two pieces, then a prompt with no newline. */
static void *
guest_halves(void *arg)
{
	struct exec_arg *a = arg;
	char buf[256];
	ssize_t n = read(a->guest, buf, sizeof(buf) - 1);

	(void)n;
	if (write(a->guest, "\r\n4", 3) < 0)
		return (NULL);
	usleep(50000);
	if (write(a->guest, "2\r\nhost# ", 9) < 0)
		return (NULL);
	return (NULL);
}

/* The "guest" answers the exec's command after a moment. */
static void *
guest_answer(void *arg)
{
	struct exec_arg *a = arg;
	char buf[256];
	ssize_t n = read(a->guest, buf, sizeof(buf) - 1);

	(void)n;
	usleep(100000);
	if (write(a->guest, "uptime\r\nup 42 days\r\n# ", 22) < 0)
		return (NULL);
	return (NULL);
}

/* ---- send/expect's bounds: regex limits, incremental matching, waiters a node ---- */

struct drip {
	int guest;
	const char *text; /* written a byte at a time, after a moment */
};

static void *
guest_drip(void *arg)
{
	struct drip *d = arg;

	usleep(100000);
	for (const char *p = d->text; *p; p++) {
		if (write(d->guest, p, 1) != 1)
			break;
		usleep(1000);
	}
	return (NULL);
}

static void *
exec_waiting(void *arg)
{
	int *rc = arg;
	struct lw_err e = {0};
	char *out = NULL;

	/* Crowded out by the probe of the 5th: try again, so 4 end up waiting. */
	while (
	    (*rc = console_exec(1, NULL, "go4$", 5000, &out, &e)) == -1 && e.code == ERR_TOO_MANY) {
		free(out);
		out = NULL;
		usleep(20000);
	}
	free(out);
	return (NULL);
}

static void
test_exec_bounds(int guest)
{
	struct drip d = {guest, "boot noise\r\nlabwire: ready 7\r\n"};
	struct lw_err e = {0};
	int rcs[4], tries = 0;
	pthread_t th[4];
	char *out = NULL;
	int64_t t0;

	/* Output a byte at a time still matches, "$" only at the line's end. */
	pthread_create(&th[0], NULL, guest_drip, &d);
	CHECK(console_exec(1, NULL, "ready [0-9]$", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "labwire: ready 7") != NULL);
	pthread_join(th[0], NULL);
	free(out);
	/* A backtracking pattern on the output ends the exec with the limit's name, at once. */
	d.text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\r\n";
	pthread_create(&th[0], NULL, guest_drip, &d);
	t0 = clock_mono_ms();
	CHECK(console_exec(1, NULL, "(a+)+$", 3000, &out, &e) == -1 && e.code == ERR_INVALID);
	CHECK(strstr(e.msg, "regex match limit") != NULL);
	CHECK(clock_mono_ms() - t0 < 1500);
	pthread_join(th[0], NULL);
	free(out);
	/* A bomb is refused before anything waits. */
	CHECK(console_exec(1, NULL, "((a{1,200}){1,200}){1,50}", 3000, &out, &e) == -1 &&
	    e.code == ERR_INVALID && strstr(e.msg, "regex") != NULL);
	free(out);
	/* At most EXEC_WAITERS_MAX waiters a node: the next is told when to retry. */
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, exec_waiting, &rcs[i]);
	do {
		out = NULL;
		console_exec(1, NULL, "x5$", 100, &out, &e);
		free(out);
		if (e.code != ERR_TOO_MANY)
			usleep(50000); /* room for a crowded-out waiter to come back */
	} while (e.code != ERR_TOO_MANY && ++tries < 50);
	CHECK(e.code == ERR_TOO_MANY && e.retry_s > 0 && strstr(e.msg, "4 exec") != NULL);
	CHECK(write(guest, "go4\r\n", 5) == 5);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(rcs[i] == 0);
	}
}

/* ---- with an authenticator ---- */

/* Whether the last read_until/read_for got needle (telnet negotiation holds NULs). */
static bool
got(const char *buf, const char *needle)
{
	return (memmem(buf, last_len, needle, strlen(needle)) != NULL);
}

static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;
static char auth_peer[64];
static atomic_int auth_slow; /* a "slow" check is running */
static atomic_int auth_calls;

/* admin/pw types, viewer/pw watches, slow/pw types after 300 ms; the rest is refused. */
static enum console_access
test_auth(
    int64_t node, const char *user, const char *secret, const char *peer, struct console_who *who)
{
	enum console_access v = CONSOLE_DENY;

	(void)node;
	who->user = strcmp(user, "admin") == 0 ? 1 : 0; /* console_recheck asks about admin */
	atomic_fetch_add(&auth_calls, 1);
	pthread_mutex_lock(&auth_mu);
	snprintf(auth_peer, sizeof(auth_peer), "%s", peer);
	pthread_mutex_unlock(&auth_mu);
	if (strcmp(user, "slow") == 0) {
		atomic_store(&auth_slow, 1);
		usleep(300000);
	}
	if (strcmp(secret, "pw") == 0 && strcmp(user, "viewer") == 0)
		v = CONSOLE_WATCH;
	else if (strcmp(secret, "pw") == 0 && (strcmp(user, "admin") == 0 || !strcmp(user, "slow")))
		v = CONSOLE_FULL;
	atomic_store(&auth_slow, 0);
	return (v);
}

/* Wait (2 s at most) until a slow check is inside the authenticator. */
static bool
slow_started(void)
{
	for (int i = 0; i < 200 && !atomic_load(&auth_slow); i++)
		usleep(10000);
	return (atomic_load(&auth_slow) != 0);
}

/* A client connects and gets to the login prompt. */
static int
login_client(char *buf)
{
	int fd = tcp_connect(AUTH_PORT);

	read_until(fd, "login: ", buf, 1 << 20);
	return (fd);
}

/* One login attempt; buf gets what came back up to want. */
static void
login_as(int fd, const char *user, const char *secret, const char *want, char *buf)
{
	char line[512];

	snprintf(line, sizeof(line), "%s\r\n", user);
	if (write(fd, line, strlen(line)) < 0)
		return;
	read_until(fd, "Password: ", buf, 1 << 20);
	snprintf(line, sizeof(line), "%s\r\n", secret);
	if (write(fd, line, strlen(line)) < 0)
		return;
	read_until(fd, want, buf, 1 << 20);
}

/* Before logging in: the banner and prompt, no scrollback, no output, typing goes nowhere. */
static int
test_login_gate(int guest, char *buf)
{
	int fd = login_client(buf);

	CHECK(got(buf, "labwire console: log in with your labwire user and password"));
	CHECK(got(buf, "login: "));
	CHECK(!got(buf, "before login") && !got(buf, "node started"));
	CHECK(console_clients(3) == 0); /* at the prompt is not attached */
	CHECK(write(guest, "while at the prompt\r\n", 21) == 21);
	read_for(fd, 300, buf, 1 << 20);
	CHECK(!got(buf, "while at the prompt"));
	/* Wrong password: refused, asked again; the password is not echoed, the login is. */
	login_as(fd, "admin", "nope", "login: ", buf);
	CHECK(got(buf, "Login incorrect\r\n") && !got(buf, "nope"));
	CHECK(read_for(guest, 200, buf, 1 << 20) == 0); /* nothing typed reached the guest */
	/* Right password: the scrollback, then typing reaches the guest (CR LF as CR). */
	login_as(fd, "admin", "pw", "while at the prompt", buf);
	CHECK(got(buf, "before login") && got(buf, "while at the prompt"));
	CHECK(!got(buf, "read-only"));
	pthread_mutex_lock(&auth_mu);
	CHECK_STR(auth_peer, "127.0.0.1");
	pthread_mutex_unlock(&auth_mu);
	CHECK(console_clients(3) == 1);
	CHECK(write(fd, "ls\r\n", 4) == 4);
	CHECK(read_for(guest, 300, buf, 1 << 20) == 3 && memcmp(buf, "ls\r", 3) == 0);
	return (fd);
}

/* Three refusals (one a login too long to take) and the client is closed. */
static void
test_login_failures(char *buf)
{
	char longname[80];
	int fd = login_client(buf), calls = atomic_load(&auth_calls);

	memset(longname, 'x', 70);
	memcpy(longname + 70, "\r\n", 3);
	CHECK(write(fd, longname, 72) == 72);
	read_until(fd, "login: ", buf, 1 << 20);
	CHECK(got(buf, "Login incorrect") && !got(buf, "Password"));
	login_as(fd, "admin", "bad1", "login: ", buf);
	CHECK(got(buf, "Login incorrect"));
	login_as(fd, "admin", "bad2", "Too many failures", buf);
	CHECK(got(buf, "Login incorrect\r\nToo many failures\r\n"));
	CHECK(read_for(fd, 1000, buf, 1 << 20) == 0); /* closed */
	CHECK(atomic_load(&auth_calls) == calls + 2); /* the long login never reached it */
	close(fd);
}

/* CONSOLE_WATCH: told so, sees the output, its typing is dropped. */
static int
test_login_watch(int guest, int full, char *buf)
{
	int fd = login_client(buf);

	login_as(fd, "viewer", "pw", "while at the prompt", buf); /* the notice, the scrollback */
	CHECK(got(buf, "(read-only: you can watch this console, not type)\r\n"));
	CHECK(got(buf, "while at the prompt"));
	CHECK(write(guest, "for the watcher\r\n", 17) == 17);
	read_until(fd, "for the watcher", buf, 1 << 20);
	CHECK(got(buf, "for the watcher"));
	read_until(full, "for the watcher", buf, 1 << 20);
	CHECK(write(fd, "reboot\r\n", 8) == 8);
	CHECK(read_for(guest, 300, buf, 1 << 20) == 0);
	CHECK(console_clients(3) == 2);
	return (fd);
}

/* A slow check stalls no one: the attached client gets output while it runs. */
static int
test_login_slow(int guest, int full, char *buf)
{
	int fd = login_client(buf);
	char paste[20001];
	size_t n;

	CHECK(write(fd, "slow\r\n", 6) == 6);
	read_until(fd, "Password: ", buf, 1 << 20);
	/* Typeahead: a line sent with the password and all sent during the check are kept. */
	CHECK(write(fd, "pw\r\nahead1\r\n", 12) == 12);
	CHECK(slow_started());
	CHECK(write(fd, "ahead2\r\n", 8) == 8);
	memset(paste, 'y', sizeof(paste) - 1);
	paste[sizeof(paste) - 1] = '\r';
	CHECK(write(fd, paste, sizeof(paste)) == (ssize_t)sizeof(paste)); /* a paste, too */
	CHECK(write(guest, "during the check\r\n", 18) == 18);
	read_until(full, "during the check", buf, 1 << 20);
	CHECK(got(buf, "during the check"));
	CHECK(atomic_load(&auth_slow) == 1); /* the output came while the check still ran */
	read_until(fd, "during the check", buf, 1 << 20); /* then it is let in */
	CHECK(got(buf, "during the check"));
	CHECK(console_clients(3) == 3);
	n = read_until(guest, "y\r", buf, 1 << 20); /* and what it typed reaches the guest */
	CHECK(n == 14 + sizeof(paste) && memcmp(buf, "ahead1\rahead2\r", 14) == 0 &&
	    memcmp(buf + 14, paste, sizeof(paste)) == 0);
	return (fd);
}

/* A client that hangs up while its check runs: the verdict finds no one. */
static void
test_login_hangup(char *buf)
{
	int fd = login_client(buf);

	CHECK(write(fd, "slow\r\npw\r\n", 10) == 10);
	CHECK(slow_started());
	close(fd);
	for (int i = 0; i < 100 && atomic_load(&auth_slow); i++)
		usleep(10000);
	usleep(100000);
	CHECK(console_clients(3) == 3);
}

static enum console_access recheck_verdict;
static atomic_int recheck_calls;

static enum console_access
test_recheck_fn(int64_t node, const struct console_who *who)
{
	(void)node;
	atomic_fetch_add(&recheck_calls, 1);
	return (who->user == 1 ? recheck_verdict : CONSOLE_FULL);
}

/* console_recheck: admin (who.user 1) is made a watcher, then dropped; others untouched. */
static void
test_recheck(int guest, int full, char *buf)
{
	int n;

	read_for(full, 200, buf, 1 << 20);
	recheck_verdict = CONSOLE_WATCH;
	console_recheck(test_recheck_fn);
	CHECK(atomic_load(&recheck_calls) == 1); /* only the client with a who was asked */
	CHECK(write(full, "halt\r\n", 6) == 6);
	CHECK(read_for(guest, 300, buf, 1 << 20) == 0); /* a watcher now: nothing typed */
	recheck_verdict = CONSOLE_FULL;
	console_recheck(test_recheck_fn);
	CHECK(write(full, "id\r\n", 4) == 4);
	CHECK(read_for(guest, 300, buf, 1 << 20) == 3 && memcmp(buf, "id\r", 3) == 0);
	n = console_clients(3);
	recheck_verdict = CONSOLE_DENY;
	console_recheck(test_recheck_fn);
	read_until(full, "access to this console ended", buf, 1 << 20);
	CHECK(got(buf, "[labwire: your access to this console ended]"));
	CHECK(read_for(full, 1000, buf, 1 << 20) == 0); /* closed */
	CHECK(console_clients(3) == n - 1);             /* the others stay */
}

/* A codec client: every byte in is input, output goes out as it is. */
static void
raw_parse(void *arg, const char *in, size_t len, size_t *used, struct console_msg *m)
{
	(void)arg;
	*used = len;
	*m = (struct console_msg){len > 0 ? CONSOLE_MSG_INPUT : CONSOLE_MSG_NONE, in, len};
}

static char *
raw_frame(void *arg, const char *data, size_t len, size_t *framed_len)
{
	char *f = malloc(len);

	(void)arg;
	if (f != NULL)
		memcpy(f, data, len);
	*framed_len = len;
	return (f);
}

static void
raw_close(void *arg)
{
	close(*(int *)arg);
}

static const struct console_codec raw_codec = {raw_parse, raw_frame, raw_close, 0};

/* A read-only framed client watches; what it sends (even with the connection) is dropped. */
static void
test_ws_read_only(int guest, char *buf)
{
	static int wsfd;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	wsfd = sv[0];
	CHECK(console_add_ws(3, sv[0], "early\r", 6, &raw_codec, &wsfd, true, NULL) == 0);
	read_until(sv[1], "for the watcher", buf, 1 << 20);
	CHECK(got(buf, "for the watcher"));
	CHECK(write(sv[1], "halt\r", 5) == 5);
	CHECK(read_for(guest, 300, buf, 1 << 20) == 0);
	read_for(sv[1], 100, buf, 1 << 20);
	CHECK(!got(buf, "halt") && !got(buf, "early")); /* nor is it sent back */
	close(sv[1]);
}

/* ---- pastes: the input queue, back-pressure, sources never interleaved ---- */

struct paste {
	int fd;
	size_t len;
	char base; /* 'a': bytes a..z, 'A': A..Z */
	atomic_bool done;
};

/* A client pasting len bytes in blocking writes, as fast as the daemon reads them. */
static void *
paste_write(void *arg)
{
	struct paste *p = arg;
	char chunk[65536];
	size_t off = 0;

	while (off < p->len) {
		size_t n = p->len - off < sizeof(chunk) ? p->len - off : sizeof(chunk);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)(p->base + (off + i) % 26);
		if ((w = write(p->fd, chunk, n)) <= 0)
			break;
		off += (size_t)w;
	}
	atomic_store(&p->done, true);
	return (NULL);
}

struct paste_exec {
	int rc;
	int code;
};

static void *
paste_exec(void *arg)
{
	struct paste_exec *pe = arg;
	struct lw_err e = {0};
	char *out = NULL;

	pe->rc = console_exec(4, "0123456789", "all read", 20000, &out, &e);
	pe->code = e.code;
	free(out);
	return (NULL);
}

/*
 * What the guest read, sorted by source: each paste in order with nothing
 * lost, and the send/expect line whole ("0123456789\r" in one piece).
 */
struct paste_seen {
	size_t lower, upper, digits;
	bool bad;
};

static void
paste_check(struct paste_seen *ps, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (ps->digits > 0 && ps->digits < 11) /* inside the exec's line */
			ps->bad |= c != "0123456789\r"[ps->digits++];
		else if (c >= 'a' && c <= 'z')
			ps->bad |= c != (char)('a' + ps->lower++ % 26);
		else if (c >= 'A' && c <= 'Z')
			ps->bad |= c != (char)('A' + ps->upper++ % 26);
		else if (c == '0' && ps->digits == 0)
			ps->digits = 1;
		else
			ps->bad = true;
	}
}

/*
 * A 16 MiB telnet paste and a 1 MiB framed one into a guest that does not
 * read: the daemon queues at most CONSOLE_INPUT_MAX and stops reading the
 * clients (their writes block), a send/expect line waits its turn; once the
 * guest reads, every byte of each arrives, in order, none interleaved
 * inside another's piece.
 */
static void
test_paste(const char *logp, char *buf)
{
	struct paste tn = {.len = PASTE_TELNET, .base = 'a'}, ws = {.len = PASTE_WS, .base = 'A'};
	struct paste_seen ps = {0};
	struct paste_exec pe = {0};
	struct lw_err e = {0};
	pthread_t t1, t2, t3;
	int sp[2], sv[2], wsfd;
	size_t total = 0;
	ssize_t n;
	struct pollfd gp;

	CHECK(console_node_add(4, PASTE_PORT, &e) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	gp = (struct pollfd){.fd = sp[1], .events = POLLIN};
	console_node_attach(4, sp[0], logp, true);
	CHECK((tn.fd = tcp_connect(PASTE_PORT)) != -1);
	read_until(tn.fd, "node started]", buf, 1 << 20);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	wsfd = sv[0];
	CHECK(console_add_ws(4, sv[0], NULL, 0, &raw_codec, &wsfd, false, NULL) == 0);
	ws.fd = sv[1];
	pthread_create(&t1, NULL, paste_write, &tn);
	pthread_create(&t2, NULL, paste_write, &ws);
	usleep(300000);
	pthread_create(&t3, NULL, paste_exec, &pe);
	usleep(500000);
	CHECK(!atomic_load(&tn.done)); /* back-pressure reached the sender */
	while (total < PASTE_TELNET + PASTE_WS + 11 && poll(&gp, 1, 5000) == 1 &&
	    (n = read(sp[1], buf, 1 << 16)) > 0) {
		paste_check(&ps, buf, (size_t)n);
		total += (size_t)n;
	}
	CHECK(write(sp[1], "all read\r\n", 10) == 10);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	CHECK(!ps.bad);
	CHECK(ps.lower == PASTE_TELNET && ps.upper == PASTE_WS && ps.digits == 11);
	CHECK(pe.rc == 0);
	CHECK(console_clients(4) == 2); /* nobody was dropped */
	console_node_remove(4);
	close(tn.fd);
	close(sv[1]);
	close(sp[1]);
}

/*
 * Node 2 shares node 1's port: started while node 1 runs, it gets no telnet
 * port, yet its console (send/expect) works; stopped, node 1's port stays.
 */
static void
test_port_taken(const char *logp, char *buf)
{
	struct exec_arg ea;
	pthread_t th;
	char *out = NULL;
	struct lw_err e = {0};
	int sp[2], cl;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	console_node_attach(2, sp[0], logp, true);
	ea.guest = sp[1];
	pthread_create(&th, NULL, guest_answer, &ea);
	CHECK(console_exec(2, "uptime", "up [0-9]+ days", 3000, &out, &e) == 0);
	pthread_join(th, NULL);
	free(out);
	console_node_detach(2);
	close(sp[1]);
	CHECK((cl = tcp_client()) != -1); /* node 1's, still */
	CHECK(got((read_until(cl, "node started]", buf, 1 << 20), buf), "node started]"));
	close(cl);
}

static void
test_login(void)
{
	char *buf = malloc(1 << 20);
	struct lw_err e = {0};
	int sp[2], full, watch, slow, pending;

	console_set_auth(test_auth);
	CHECK(console_node_add(3, AUTH_PORT, &e) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	console_node_attach(3, sp[0], "/dev/null", true);
	CHECK(write(sp[1], "before login\r\n", 14) == 14);
	full = test_login_gate(sp[1], buf);
	test_login_failures(buf);
	watch = test_login_watch(sp[1], full, buf);
	slow = test_login_slow(sp[1], full, buf);
	test_login_hangup(buf);
	test_ws_read_only(sp[1], buf);
	test_recheck(sp[1], full, buf);
	/* The console goes (and then the daemon) while a check is in flight. */
	pending = login_client(buf);
	CHECK(write(pending, "slow\r\npw\r\n", 10) == 10);
	CHECK(slow_started());
	console_node_remove(3);
	read_for(pending, 1000, buf, 1 << 20);
	CHECK(read(pending, buf, 1) == 0);
	close(pending);
	close(full);
	close(watch);
	close(slow);
	close(sp[1]);
	console_set_auth(NULL);
	free(buf);
}

int
main(void)
{
	char dir[] = "/tmp/lwcontest.XXXXXX", logp[128], old[140], *buf = malloc(1 << 20);
	struct lw_err e = {0};
	int sp[2], a, b, c;
	char *out = NULL, big[100000];
	struct stat st;
	pthread_t th;
	struct exec_arg ea;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	console_set_auth(NULL); /* the default: no login, as before */
	config_defaults(&lw.cfg, "/nonexistent");
	lw.cfg.console_scrollback = 65536;
	lw.cfg.console_log_max = 200000;
	snprintf(logp, sizeof(logp), "%s/console.log", dir);
	CHECK(console_init(&e) == 0);
	CHECK(console_node_add(1, PORT, &e) == 0);
	CHECK(console_node_add(2, PORT, &e) == 0); /* nothing is bound while the node is stopped */
	CHECK(tcp_client() == -1);                 /* a stopped node's port refuses */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	console_node_attach(1, sp[0], logp, true);
	test_port_taken(logp, buf);
	test_paste(logp, buf);

	/* Two clients: output reaches both; what either types reaches the guest. */
	a = tcp_client();
	b = tcp_client();
	CHECK(a != -1 && b != -1);
	read_until(a, "node started]", buf, 1 << 20);
	read_until(b, "node started]", buf, 1 << 20);
	CHECK(write(sp[1], "hello both\r\n", 12) == 12);
	CHECK(strstr((read_until(a, "hello both", buf, 1 << 20), buf), "hello both") != NULL);
	CHECK(strstr((read_until(b, "hello both", buf, 1 << 20), buf), "hello both") != NULL);
	CHECK(write(b, "ls\r\n", 4) == 4); /* telnet Enter is CR LF: the guest gets CR */
	n = (size_t)read(sp[1], buf, 100);
	CHECK(n == 3 && memcmp(buf, "ls\r", 3) == 0);
	CHECK(console_clients(1) == 2);

	/* Scrollback wraps: a late client gets exactly the last 64 KiB, in order. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big + sizeof(big) - 4, "END\n", 4);
	for (size_t off = 0; off < sizeof(big);)
		off += (size_t)write(sp[1], big + off, sizeof(big) - off);
	c = tcp_client();
	n = read_until(c, "END\n", buf, 1 << 20);
	CHECK(n >= 65536 && memcmp(buf + n - 65536, big + sizeof(big) - 65536, 65536) == 0);
	read_until(a, "END\n", buf, 1 << 20);

	/* send/expect: the typed line reaches the guest, the match ends the wait. */
	ea.guest = sp[1];
	pthread_create(&th, NULL, guest_answer, &ea);
	CHECK(console_exec(1, "uptime", "up [0-9]+ days", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "up 42 days") != NULL && strchr(out, '\r') == NULL);
	pthread_join(th, NULL);
	free(out);
	/* "$" is an end of line, not the end of what has come so far. */
	pthread_create(&th, NULL, guest_halves, &ea);
	CHECK(console_exec(1, "echo 42", "^[0-9]+$", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "\n42") != NULL);
	pthread_join(th, NULL);
	free(out);
	/* A prompt is matched once the output has settled. */
	pthread_create(&th, NULL, guest_halves, &ea);
	CHECK(console_exec(1, "echo 42", "# $", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "host# ") != NULL);
	pthread_join(th, NULL);
	free(out);
	CHECK(console_exec(1, NULL, "never", 300, &out, &e) == -1 && e.code == ERR_TIMEOUT);
	free(out);
	CHECK(console_exec(1, NULL, "([", 300, &out, &e) == -1 && e.code == ERR_INVALID);
	free(out);
	CHECK(console_exec(9, "x", "x", 300, &out, &e) == -1 && e.code == ERR_CONFLICT);
	free(out);
	test_exec_bounds(sp[1]);

	/* The log holds the output and rotated at 200000 bytes. */
	snprintf(old, sizeof(old), "%s.1", logp);
	CHECK(stat(logp, &st) == 0 && st.st_size > 0 && st.st_size <= 200000);
	for (int i = 0; i < 3; i++)
		for (size_t off = 0; off < sizeof(big);)
			off += (size_t)write(sp[1], big + off, sizeof(big) - off);
	read_until(a, "END\n", buf, 1 << 20);
	usleep(200000);
	CHECK(stat(old, &st) == 0 && st.st_size > 0);
	CHECK(stat(logp, &st) == 0 && st.st_size <= 200000);

	/* The guest goes away: clients stay and are told; the port stops listening. */
	close(sp[1]);
	CHECK(strstr((read_until(a, "node stopped]", buf, 1 << 20), buf), "node stopped]") != NULL);
	CHECK(console_clients(1) == 3);
	CHECK(tcp_client() == -1);
	console_node_remove(1);
	n = read_until(a, "\xff\xff\xff", buf, 1 << 20); /* reads until the close */
	CHECK(read(a, buf, 1) == 0);
	close(a);
	close(b);
	close(c);
	test_login();
	console_fini();
	unlink(logp);
	unlink(old);
	rmdir(dir);
	free(buf);
	TEST_DONE();
}
