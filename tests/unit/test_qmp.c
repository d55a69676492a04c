/*
 * test_qmp - the QMP client: line parsing, framing and id matching against
 * a scripted server, and a real QEMU session from spawn to quit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/base/spawn.h"
#include "hv/qemu.h"
#include "hv/qmp.h"
#include "tests/unit/test.h"

static void
test_parse_line(void)
{
	static const char nul[] = "{\"a\":\"x\\u0000\"}";
	json_t *j;

	j = qmp_parse_line("{\"return\": {}, \"id\": 1}", 23);
	CHECK(json_is_object(j) && json_integer_value(json_object_get(j, "id")) == 1);
	json_decref(j);
	j = qmp_parse_line("{\"event\": \"STOP\"}\r", 18); /* CRLF framing leaves a '\r' */
	CHECK(json_is_object(j));
	json_decref(j);
	CHECK(qmp_parse_line("[1, 2]", 6) == NULL);
	CHECK(qmp_parse_line("\"QMP\"", 5) == NULL);
	CHECK(qmp_parse_line("garbage", 7) == NULL);
	CHECK(qmp_parse_line("", 0) == NULL);
	CHECK(qmp_parse_line("{} {}", 5) == NULL);
	CHECK(qmp_parse_line("{\"a\":1,\"a\":2}", 13) == NULL);
	CHECK(qmp_parse_line(nul, sizeof(nul) - 1) == NULL);
	/* The length is honoured: what follows it is not read. */
	j = qmp_parse_line("{\"a\":1}GARBAGE", 7);
	CHECK(json_is_object(j));
	json_decref(j);
}

static void
sock_path(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/tmp/labwire-test-qmp-%d-%s.sock", (int)getpid(), what);
	unlink(buf);
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 4) == -1)
		return (-1);
	return (fd);
}

/* Scripted server side: blocking helpers, run in a forked child. */
static void
srv_send(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) == -1)
		_exit(2);
}

static json_int_t
srv_read_id(int fd)
{
	char line[4096];
	size_t n = 0;
	json_t *j;
	json_int_t id;

	while (n < sizeof(line) - 1 && read(fd, &line[n], 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	if ((j = json_loads(line, 0, NULL)) == NULL)
		_exit(3);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return (id);
}

/*
 * srv_script - greeting, capabilities, then for the one command: an
 * event, a stale reply, and the real reply split mid-line.
 */
static void
srv_script(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	char buf[256];
	json_int_t id;

	srv_send(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
	snprintf(
	    buf, sizeof(buf), "{\"return\": {}, \"id\": %lld}\r\n", (long long)srv_read_id(fd));
	srv_send(fd, buf);
	id = srv_read_id(fd);
	srv_send(fd, "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n");
	srv_send(fd, "not json at all\r\n");
	srv_send(fd, "{\"return\": 42, \"id\": 999}\r\n");
	snprintf(buf, sizeof(buf), "{\"return\": {\"ok\": true}, \"id\": %lld}\r\n", (long long)id);
	srv_send(fd, "{\"return\": {\"o");
	usleep(50000);
	srv_send(fd, buf + strlen("{\"return\": {\"o"));
	srv_send(fd, "{\"event\": \"STOP\", \"timestamp\": {}}\r\n");
	close(fd);
	_exit(0);
}

static pid_t
serve(const char *path, void (*script)(int))
{
	int lfd = listen_unix(path);
	pid_t pid;

	if (lfd == -1)
		return (-1);
	if ((pid = fork()) == 0)
		script(lfd);
	close(lfd);
	return (pid);
}

static int
wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return (poll(&p, 1, ms));
}

static void
test_scripted(void)
{
	char path[108], errbuf[128];
	struct qmp *q;
	json_t *ret = NULL, *ev;
	pid_t pid;
	int rc, status;

	sock_path(path, sizeof(path), "script");
	pid = serve(path, srv_script);
	CHECK(pid > 0);
	q = qmp_connect(path, 5000);
	unlink(path); /* connected: the name is no longer needed */
	CHECK(q != NULL);
	if (q == NULL)
		return;
	CHECK(qmp_exec(q, "query-status", NULL, &ret, 5000, errbuf, sizeof(errbuf)) == 0);
	CHECK(json_is_true(json_object_get(ret, "ok")));
	json_decref(ret);
	ev = qmp_next_event(q);
	CHECK_STR(json_string_value(json_object_get(ev, "event")), "RESUME");
	json_decref(ev);
	CHECK(qmp_next_event(q) == NULL);
	/* The server closes after STOP: drain until EOF, STOP queued first. */
	do {
		CHECK(wait_readable(qmp_fd(q), 5000) == 1);
		rc = qmp_read_events(q);
	} while (rc == 0);
	CHECK(rc == -1 && errno == EPIPE);
	ev = qmp_next_event(q);
	CHECK_STR(json_string_value(json_object_get(ev, "event")), "STOP");
	json_decref(ev);
	qmp_close(q);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* srv_flood - a greeting that never ends: 2 MiB without a newline. */
static void
srv_flood(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	srv_send(fd, "{\"QMP\": \"");
	for (int i = 0; i < 32; i++)
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) == -1)
			break;
	_exit(0);
}

static void
test_limits(void)
{
	char path[108];
	struct qmp *q;
	pid_t pid;
	int lfd;

	sock_path(path, sizeof(path), "flood");
	pid = serve(path, srv_flood);
	errno = 0;
	q = qmp_connect(path, 5000);
	CHECK(q == NULL && errno == EMSGSIZE);
	waitpid(pid, NULL, 0);
	unlink(path);

	/* Connected, but nobody ever speaks: the timeout holds. */
	sock_path(path, sizeof(path), "mute");
	lfd = listen_unix(path);
	errno = 0;
	q = qmp_connect(path, 200);
	CHECK(q == NULL && errno == ETIMEDOUT);
	close(lfd);
	unlink(path);

	errno = 0;
	CHECK(qmp_connect("/tmp/labwire-test-qmp-no-such.sock", 200) == NULL);
	CHECK(errno == ENOENT);
}

/* qemu_start - QEMU paused (-S) with QMP on path; the pid, or -1. */
static pid_t
qemu_start(const char *path, const char *log, int *pidfd)
{
	char qmp_arg[160];
	char *argv[] = {"qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
	    "-machine", "q35", "-accel", "tcg", "-m", "64", "-S", "-qmp", qmp_arg, NULL};

	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off", path);
	return (spawn_start(argv, NULL, 0, log, pidfd));
}

/* qmp_connect_retry - QEMU creates the socket a moment after it starts. */
static struct qmp *
qmp_connect_retry(const char *path, int total_ms)
{
	struct timespec pause = {0, 20 * 1000000};
	struct qmp *q = NULL;

	for (int waited = 0; q == NULL && waited < total_ms; waited += 20) {
		q = qmp_connect(path, 2000);
		if (q == NULL && errno != ENOENT && errno != ECONNREFUSED)
			break;
		if (q == NULL)
			nanosleep(&pause, NULL);
	}
	return (q);
}

static void
check_status(struct qmp *q, const char *want)
{
	json_t *ret = NULL;
	char errbuf[128];

	CHECK(qmp_exec(q, "query-status", NULL, &ret, 5000, errbuf, sizeof(errbuf)) == 0);
	CHECK_STR(json_string_value(json_object_get(ret, "status")), want);
	json_decref(ret);
}

static void
check_version_and_args(struct qmp *q)
{
	json_t *ret = NULL, *args;
	char errbuf[128];

	CHECK(qmp_exec(q, "query-version", NULL, &ret, 5000, errbuf, sizeof(errbuf)) == 0);
	CHECK(json_integer_value(json_object_get(json_object_get(ret, "qemu"), "major")) >= 7);
	json_decref(ret);

	args = json_pack("{s:s, s:s}", "path", "/machine", "property", "type");
	CHECK(qmp_exec(q, "qom-get", args, &ret, 5000, errbuf, sizeof(errbuf)) == 0);
	CHECK(json_string_value(ret) != NULL && strstr(json_string_value(ret), "q35") != NULL);
	json_decref(ret);
	json_decref(args);

	errno = 0;
	CHECK(qmp_exec(q, "labwire-nope", NULL, &ret, 5000, errbuf, sizeof(errbuf)) == -1);
	CHECK(errno == EPROTO);
	CHECK(strstr(errbuf, "labwire-nope") != NULL);
	CHECK(ret == NULL);
}

static bool
has_event(struct qmp *q, const char *name)
{
	bool found = false;
	json_t *ev;

	while ((ev = qmp_next_event(q)) != NULL) {
		if (strcmp(json_string_value(json_object_get(ev, "event")), name) == 0)
			found = true;
		json_decref(ev);
	}
	return (found);
}

/* event_run - qmp_event_run on one event line as QEMU 7.2 writes it. */
static enum qmp_run
event_run(const char *line)
{
	json_t *ev = qmp_parse_line(line, strlen(line));
	enum qmp_run r;

	CHECK(ev != NULL);
	r = qmp_event_run(ev);
	json_decref(ev);
	return (r);
}

/* status_run - qmp_status_run on a query-status answer and a query-block answer (or NULL). */
static enum qmp_run
status_run(const char *status, const char *blocks)
{
	json_t *st = json_loads(status, 0, NULL), *bl = blocks ? json_loads(blocks, 0, NULL) : NULL;
	enum qmp_run r = qmp_status_run(st, bl);

	json_decref(st);
	json_decref(bl);
	return (r);
}

/* test_run_state - what events and query-status say of the guest's run state. */
static void
test_run_state(void)
{
#define IOERR(rest)                                                                                \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"BLOCK_IO_ERROR\","    \
	" \"data\": {\"device\": \"disk0\", \"node-name\": \"#block158\", \"operation\": "         \
	"\"write\"," rest "}}"

	CHECK(event_run(IOERR("\"action\": \"stop\", \"nospace\": true,"
	                      " \"reason\": \"No space left on device\"")) == QMP_RUN_NOSPACE);
	CHECK(event_run(IOERR("\"action\": \"stop\", \"nospace\": false,"
	                      " \"reason\": \"Input/output error\"")) == QMP_RUN_IO_ERROR);
	CHECK(event_run(IOERR("\"action\": \"stop\", \"reason\": \"x\"")) == QMP_RUN_IO_ERROR);
	/* The guest was told of the error and goes on: nothing stops. */
	CHECK(event_run(IOERR("\"action\": \"report\", \"nospace\": true, \"reason\": \"x\"")) ==
	    QMP_RUN_NONE);
	CHECK(event_run(IOERR("\"action\": \"ignore\", \"nospace\": false, \"reason\": \"x\"")) ==
	    QMP_RUN_NONE);
	CHECK(event_run("{\"event\": \"BLOCK_IO_ERROR\"}") == QMP_RUN_NONE);
	CHECK(event_run("{\"event\": \"STOP\", \"timestamp\": {}}") == QMP_RUN_STOPPED);
	CHECK(event_run("{\"event\": \"RESUME\", \"timestamp\": {}}") == QMP_RUN_RUNNING);
	CHECK(event_run("{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}") ==
	    QMP_RUN_PANICKED);
	CHECK(event_run("{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}") == QMP_RUN_NONE);
	CHECK(event_run("{\"event\": 7}") == QMP_RUN_NONE);
	CHECK(event_run("{\"return\": {}}") == QMP_RUN_NONE);
	CHECK(qmp_event_run(NULL) == QMP_RUN_NONE);

	CHECK(status_run("{\"status\": \"running\", \"running\": true}", NULL) == QMP_RUN_RUNNING);
	CHECK(status_run("{\"status\": \"io-error\", \"running\": false}",
	          "[{\"device\": \"cfg\", \"io-status\": \"ok\"},"
	          " {\"device\": \"disk0\", \"io-status\": \"nospace\"}]") == QMP_RUN_NOSPACE);
	CHECK(status_run("{\"status\": \"io-error\"}",
	          "[{\"device\": \"disk0\", \"io-status\": \"failed\"}]") == QMP_RUN_IO_ERROR);
	CHECK(status_run("{\"status\": \"io-error\"}", NULL) == QMP_RUN_IO_ERROR);
	CHECK(status_run("{\"status\": \"io-error\"}", "{\"not\": \"an array\"}") ==
	    QMP_RUN_IO_ERROR);
	CHECK(status_run("{\"status\": \"paused\"}", NULL) == QMP_RUN_PAUSED);
	CHECK(status_run("{\"status\": \"internal-error\"}", NULL) == QMP_RUN_PAUSED);
	CHECK(status_run("{\"status\": \"guest-panicked\"}", NULL) == QMP_RUN_PANICKED);
	CHECK(status_run("{\"status\": \"shutdown\"}", NULL) == QMP_RUN_NONE);
	CHECK(status_run("{\"status\": \"prelaunch\"}", NULL) == QMP_RUN_NONE);
	CHECK(status_run("{\"running\": true}", NULL) == QMP_RUN_NONE);
	CHECK(qmp_status_run(NULL, NULL) == QMP_RUN_NONE);
#undef IOERR
}

/* check_run - query-status on q, read by qmp_status_run, is want. */
static void
check_run(struct qmp *q, enum qmp_run want)
{
	json_t *ret = NULL;
	char errbuf[128];

	CHECK(qmp_exec(q, "query-status", NULL, &ret, 5000, errbuf, sizeof(errbuf)) == 0);
	CHECK(qmp_status_run(ret, NULL) == want);
	json_decref(ret);
}

/* has_run_event - a queued event reads as want (the queue is drained). */
static bool
has_run_event(struct qmp *q, enum qmp_run want)
{
	json_t *ev;
	bool found = false;

	while ((ev = qmp_next_event(q)) != NULL) {
		found = found || qmp_event_run(ev) == want;
		json_decref(ev);
	}
	return (found);
}

static void
test_real_qemu(void)
{
	char path[108], log[108], errbuf[128];
	struct qmp *q;
	int pidfd = -1, status = 0;
	pid_t pid;

	sock_path(path, sizeof(path), "real");
	snprintf(log, sizeof(log), "/tmp/labwire-test-qmp-%d.log", (int)getpid());
	pid = qemu_start(path, log, &pidfd);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	q = qmp_connect_retry(path, 5000);
	CHECK(q != NULL);
	if (q != NULL) {
		/* QEMU 7.2 calls the -S state "prelaunch". */
		check_status(q, "prelaunch");
		check_version_and_args(q);
		CHECK(qmp_exec(q, "cont", NULL, NULL, 5000, errbuf, sizeof(errbuf)) == 0);
		check_status(q, "running");
		CHECK(qmp_read_events(q) == 0);
		CHECK(has_event(q, "RESUME"));
		check_run(q, QMP_RUN_RUNNING);
		/* A stop by hand: STOP, and query-status says paused (not an error). */
		CHECK(qmp_exec(q, "stop", NULL, NULL, 5000, errbuf, sizeof(errbuf)) == 0);
		CHECK(qmp_read_events(q) == 0);
		CHECK(has_run_event(q, QMP_RUN_STOPPED));
		check_run(q, QMP_RUN_PAUSED);
		CHECK(qmp_exec(q, "cont", NULL, NULL, 5000, errbuf, sizeof(errbuf)) == 0);
		CHECK(qmp_read_events(q) == 0);
		CHECK(has_run_event(q, QMP_RUN_RUNNING));
		/* QEMU sends SHUTDOWN before quit's reply: it must be queued. */
		CHECK(qmp_exec(q, "quit", NULL, NULL, 5000, errbuf, sizeof(errbuf)) == 0);
		CHECK(has_event(q, "SHUTDOWN"));
	} else {
		kill(pid, SIGKILL);
	}
	CHECK(wait_readable(pidfd, 10000) == 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (q != NULL) {
		CHECK(qmp_read_events(q) == -1 && errno == EPIPE);
		qmp_close(q);
	}
	CHECK(kill(pid, 0) == -1 && errno == ESRCH);
	close(pidfd);
	unlink(path);
	unlink(log);
}

int
main(void)
{
	test_parse_line();
	test_scripted();
	test_limits();
	test_run_state();
	test_real_qemu();
	TEST_DONE();
}
