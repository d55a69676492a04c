/*
 * qmp - a QEMU Machine Protocol client. QEMU writes one JSON object per
 * line (JSON escapes any newline inside a string), so the reader frames
 * by '\n' and parses each line on its own. Calls block with a timeout;
 * between calls the socket is non-blocking so the daemon's event loop can
 * drain events with qmp_read_events.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/base/log.h"
#include "hv/qmp.h"

/* A line longer than this is not QMP (query-qmp-schema, the largest, is ~200 KiB). */
#define QMP_LINE_MAX (1024 * 1024)
#define QMP_BUF_MIN 4096
/* Events nobody drains are dropped oldest first rather than growing without bound. */
#define QMP_MAX_EVENTS 1024

struct qmp {
	int fd;
	json_int_t next_id;
	char *buf;  /* bytes read and not yet framed */
	size_t len; /* bytes in buf */
	size_t cap;
	size_t scanned; /* buf[0..scanned) holds no '\n' */
	json_t *events; /* array, oldest first */
};

json_t *
qmp_parse_line(const char *line, size_t len)
{
	json_t *msg;
	json_error_t jerr;

	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (msg == NULL)
		return (NULL);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return (NULL);
	}
	return (msg);
}

static struct timespec
qmp_deadline(int timeout_ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return (t);
}

/* qmp_remaining - milliseconds until deadline, rounded up; 0 once it passed. */
static int
qmp_remaining(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return (ms > 0 ? (int)ms : 0);
}

/* qmp_wait - poll for events until the deadline; 1 ready, 0 timed out, -1 error. */
static int
qmp_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int r;

	r = TEMP_FAILURE_RETRY(poll(&pfd, 1, deadline != NULL ? qmp_remaining(deadline) : 0));
	return (r);
}

static int
qmp_grow(struct qmp *q)
{
	size_t cap = q->cap != 0 ? q->cap * 2 : QMP_BUF_MIN;
	char *buf;

	if (q->len < q->cap)
		return (0);
	if (q->cap >= QMP_LINE_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	if (cap > QMP_LINE_MAX)
		cap = QMP_LINE_MAX;
	if ((buf = realloc(q->buf, cap)) == NULL)
		return (-1);
	q->buf = buf;
	q->cap = cap;
	return (0);
}

/*
 * qmp_fill - one read of what the socket has; returns bytes read, 0 when
 * nothing is there yet, -1 on error or with EPIPE when QEMU closed.
 */
static int
qmp_fill(struct qmp *q)
{
	ssize_t r;

	if (qmp_grow(q) == -1)
		return (-1);
	r = TEMP_FAILURE_RETRY(read(q->fd, q->buf + q->len, q->cap - q->len));
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	/* ECONNRESET: QEMU exited with bytes of ours unread; it is gone all the same. */
	if (r == 0 || (r == -1 && errno == ECONNRESET)) {
		errno = EPIPE;
		return (-1);
	}
	if (r == -1)
		return (-1);
	q->len += (size_t)r;
	return ((int)r);
}

/*
 * qmp_take_line - frame one line out of the buffer; returns 1 with *msg
 * (NULL when the line was not a JSON object), 0 when no line is complete.
 */
static int
qmp_take_line(struct qmp *q, json_t **msg)
{
	char *nl;
	size_t used;

	if (q->len == q->scanned)
		return (0);
	if ((nl = memchr(q->buf + q->scanned, '\n', q->len - q->scanned)) == NULL) {
		q->scanned = q->len;
		return (0);
	}
	used = (size_t)(nl - q->buf) + 1;
	*msg = qmp_parse_line(q->buf, used - 1);
	if (*msg == NULL)
		log_warnx("qmp: skipping a line that is not a JSON object (%zu bytes)", used);
	memmove(q->buf, q->buf + used, q->len - used);
	q->len -= used;
	q->scanned = 0;
	return (1);
}

/*
 * qmp_next_message - the next JSON object from QEMU, waiting until the
 * deadline; NULL with errno (ETIMEDOUT, EPIPE, EMSGSIZE) otherwise.
 */
static json_t *
qmp_next_message(struct qmp *q, const struct timespec *deadline)
{
	json_t *msg;
	int r;

	for (;;) {
		while (qmp_take_line(q, &msg) == 1)
			if (msg != NULL)
				return (msg);
		if ((r = qmp_fill(q)) == -1)
			return (NULL);
		if (r > 0)
			continue;
		if ((r = qmp_wait(q->fd, POLLIN, deadline)) == -1)
			return (NULL);
		if (r == 0) {
			errno = ETIMEDOUT;
			return (NULL);
		}
	}
}

/* qmp_queue_event - keep an event (takes the reference) for qmp_next_event. */
static void
qmp_queue_event(struct qmp *q, json_t *ev)
{
	if (json_array_size(q->events) >= QMP_MAX_EVENTS) {
		log_warnx("qmp: event queue full, dropping the oldest");
		json_array_remove(q->events, 0);
	}
	if (json_array_append_new(q->events, ev) == -1)
		log_warnx("qmp: out of memory queueing an event");
}

/*
 * qmp_dispatch - queue msg if it is an event (consumed, returns NULL);
 * otherwise hand it back.
 */
static json_t *
qmp_dispatch(struct qmp *q, json_t *msg)
{
	if (json_object_get(msg, "event") != NULL) {
		qmp_queue_event(q, msg);
		return (NULL);
	}
	return (msg);
}

static int
qmp_send_all(struct qmp *q, const char *s, size_t len, const struct timespec *deadline)
{
	while (len > 0) {
		ssize_t r = send(q->fd, s, len, MSG_NOSIGNAL);
		int w;

		if (r > 0) {
			s += r;
			len -= (size_t)r;
			continue;
		}
		if (r == -1 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if (r == -1 && errno == EINTR)
			continue;
		if ((w = qmp_wait(q->fd, POLLOUT, deadline)) <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return (-1);
		}
	}
	return (0);
}

/* qmp_send - write {"execute":cmd,"arguments":args,"id":id} and a newline. */
static int
qmp_send(
    struct qmp *q, const char *cmd, json_t *args, json_int_t id, const struct timespec *deadline)
{
	json_t *req;
	char *s, *line;
	int rc;

	req = json_pack("{s:s, s:I}", "execute", cmd, "id", id);
	if (req == NULL || (args != NULL && json_object_set(req, "arguments", args) == -1)) {
		json_decref(req);
		errno = ENOMEM;
		return (-1);
	}
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL || asprintf(&line, "%s\n", s) < 0) {
		free(s);
		errno = ENOMEM;
		return (-1);
	}
	free(s);
	/*
	 * One write: QEMU acts on the closing brace, so a newline sent apart
	 * may still be unread when "quit" exits, and we would see ECONNRESET.
	 */
	rc = qmp_send_all(q, line, strlen(line), deadline);
	free(line);
	return (rc);
}

/* qmp_reply - turn our reply into the qmp_exec result; consumes reply. */
static int
qmp_reply(json_t *reply, json_t **ret, char *errbuf, size_t errlen)
{
	json_t *r = json_object_get(reply, "return");
	json_t *err = json_object_get(reply, "error");
	const char *desc;

	if (r != NULL) {
		if (ret != NULL)
			*ret = json_incref(r);
		json_decref(reply);
		return (0);
	}
	desc = json_string_value(json_object_get(err, "desc"));
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s",
		    desc != NULL ? desc : "reply has neither return nor error");
	json_decref(reply);
	errno = EPROTO;
	return (-1);
}

/* qmp_is_reply_to - msg carries "id": id. */
static int
qmp_is_reply_to(json_t *msg, json_int_t id)
{
	json_t *mid = json_object_get(msg, "id");

	return (json_is_integer(mid) && json_integer_value(mid) == id);
}

int
qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms, char *errbuf,
    size_t errlen)
{
	struct timespec deadline = qmp_deadline(timeout_ms);
	json_int_t id = q->next_id++;
	json_t *msg;

	if (ret != NULL)
		*ret = NULL;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (qmp_send(q, cmd, args, id, &deadline) == -1)
		return (-1);
	for (;;) {
		if ((msg = qmp_next_message(q, &deadline)) == NULL)
			return (-1);
		if ((msg = qmp_dispatch(q, msg)) == NULL)
			continue;
		if (qmp_is_reply_to(msg, id))
			return (qmp_reply(msg, ret, errbuf, errlen));
		/* A late reply to a command that timed out earlier. */
		log_debug("qmp: dropping a reply that is not for id %lld", (long long)id);
		json_decref(msg);
	}
}

static int
qmp_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/* qmp_greeting - the first line must be {"QMP": {...}}. */
static int
qmp_greeting(struct qmp *q, const struct timespec *deadline)
{
	json_t *msg = qmp_next_message(q, deadline);
	int ok;

	if (msg == NULL)
		return (-1);
	ok = json_is_object(json_object_get(msg, "QMP"));
	json_decref(msg);
	if (!ok) {
		errno = EPROTO;
		return (-1);
	}
	return (0);
}

struct qmp *
qmp_connect(const char *path, int timeout_ms)
{
	int fd = qmp_socket(path);

	if (fd == -1)
		return (NULL);
	return (qmp_connect_fd(fd, path, timeout_ms));
}

struct qmp *
qmp_connect_fd(int fd, const char *path, int timeout_ms)
{
	struct timespec deadline = qmp_deadline(timeout_ms);
	struct qmp *q;
	char errbuf[128];

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		close(fd);
		return (NULL);
	}
	q->fd = fd;
	q->next_id = 1;
	if ((q->events = json_array()) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (qmp_greeting(q, &deadline) == -1)
		goto fail;
	if (qmp_exec(q, "qmp_capabilities", NULL, NULL, qmp_remaining(&deadline), errbuf,
	        sizeof(errbuf)) == -1) {
		if (errno == EPROTO)
			log_warnx("qmp: %s: qmp_capabilities: %s", path, errbuf);
		goto fail;
	}
	return (q);

fail:
	qmp_close(q);
	return (NULL);
}

int
qmp_fd(const struct qmp *q)
{
	return (q->fd);
}

int
qmp_read_events(struct qmp *q)
{
	json_t *msg;
	int r;

	do {
		r = qmp_fill(q);
		while (qmp_take_line(q, &msg) == 1) {
			if (msg != NULL && (msg = qmp_dispatch(q, msg)) != NULL)
				json_decref(msg); /* a late reply: nobody waits for it */
		}
	} while (r > 0);
	return (r == -1 ? -1 : 0);
}

json_t *
qmp_next_event(struct qmp *q)
{
	json_t *ev;

	if (json_array_size(q->events) == 0)
		return (NULL);
	ev = json_incref(json_array_get(q->events, 0));
	json_array_remove(q->events, 0);
	return (ev);
}

void
qmp_close(struct qmp *q)
{
	int saved = errno;

	if (q == NULL)
		return;
	if (q->fd != -1)
		close(q->fd);
	free(q->buf);
	json_decref(q->events);
	free(q);
	errno = saved;
}

/* qmp_block_nospace - does a device in query-block's answer say io-status "nospace"? */
static bool
qmp_block_nospace(const json_t *blocks)
{
	const json_t *b;
	size_t i;

	json_array_foreach(blocks, i, b) {
		const char *st = json_string_value(json_object_get(b, "io-status"));

		if (st != NULL && strcmp(st, "nospace") == 0)
			return (true);
	}
	return (false);
}

enum qmp_run
qmp_event_run(const json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const json_t *data = json_object_get(ev, "data");
	const char *action;

	if (name == NULL)
		return (QMP_RUN_NONE);
	if (strcmp(name, "STOP") == 0)
		return (QMP_RUN_STOPPED);
	if (strcmp(name, "RESUME") == 0)
		return (QMP_RUN_RUNNING);
	if (strcmp(name, "GUEST_PANICKED") == 0)
		return (QMP_RUN_PANICKED);
	if (strcmp(name, "BLOCK_IO_ERROR") != 0)
		return (QMP_RUN_NONE);
	/* "report" and "ignore" hand the error to the guest: it goes on running. */
	action = json_string_value(json_object_get(data, "action"));
	if (action == NULL || strcmp(action, "stop") != 0)
		return (QMP_RUN_NONE);
	return (
	    json_is_true(json_object_get(data, "nospace")) ? QMP_RUN_NOSPACE : QMP_RUN_IO_ERROR);
}

enum qmp_run
qmp_status_run(const json_t *status, const json_t *blocks)
{
	static const char *const passing[] = {"prelaunch", "inmigrate", "shutdown", "postmigrate",
	    "finish-migrate", "save-vm", "restore-vm", "suspended", "colo"};
	const char *st = json_string_value(json_object_get(status, "status"));

	if (st == NULL)
		return (QMP_RUN_NONE);
	if (strcmp(st, "running") == 0)
		return (QMP_RUN_RUNNING);
	if (strcmp(st, "io-error") == 0)
		return (qmp_block_nospace(blocks) ? QMP_RUN_NOSPACE : QMP_RUN_IO_ERROR);
	if (strcmp(st, "guest-panicked") == 0)
		return (QMP_RUN_PANICKED);
	for (size_t i = 0; i < sizeof(passing) / sizeof(passing[0]); i++)
		if (strcmp(st, passing[i]) == 0)
			return (QMP_RUN_NONE);
	return (QMP_RUN_PAUSED); /* paused, debug, watchdog, internal-error, ... */
}
