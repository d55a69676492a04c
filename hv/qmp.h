/*
 * qmp - a QEMU Machine Protocol client over a UNIX socket: greeting,
 * qmp_capabilities, commands with ids, asynchronous events. It speaks QMP
 * over one socket and nothing else: it knows no node, no lab, no store, and
 * never blocks past the timeout it is given. It has no lock: one thread at
 * a time uses a client.
 */
#ifndef LW_QMP_H
#define LW_QMP_H

#include <jansson.h>

struct qmp;

/*
 * qmp_connect - connect to path, read the greeting and negotiate
 * capabilities within timeout_ms; returns a client or NULL with errno
 * (ENOENT/ECONNREFUSED while QEMU is still starting: try again later).
 */
struct qmp *qmp_connect(const char *path, int timeout_ms);
/*
 * qmp_connect_fd - qmp_connect on fd, a socket already connected to path
 * (named for messages); takes fd, whatever the outcome.
 */
struct qmp *qmp_connect_fd(int fd, const char *path, int timeout_ms);
/*
 * qmp_exec - run cmd with args (borrowed, may be NULL); waits up to
 * timeout_ms for the reply with our id; events seen meanwhile are queued.
 * On success *ret (may be NULL) gets a new reference to "return"; returns 0.
 * On a QMP error returns -1 with errno EPROTO and the error's desc in errbuf.
 */
int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms,
    char *errbuf, size_t errlen);
/* qmp_fd - the socket, to poll for events. */
int qmp_fd(const struct qmp *q);
/*
 * qmp_read_events - read what is available without blocking and queue events;
 * returns 0, or -1 when the peer closed (EPIPE) or errored.
 */
int qmp_read_events(struct qmp *q);
/* qmp_next_event - the oldest queued event (new reference) or NULL. */
json_t *qmp_next_event(struct qmp *q);
/*
 * qmp_parse_line - parse one QMP line into a new json object; NULL if it is not
 * a JSON object (exported for the fuzzer and unit tests).
 */
json_t *qmp_parse_line(const char *line, size_t len);
void qmp_close(struct qmp *q);

/*
 * What an event or a query-status answer says about the guest's run state
 * (what it means for a node is the runtime's to decide).
 */
enum qmp_run {
	QMP_RUN_NONE,     /* nothing about it (or a passing state: prelaunch, shutdown) */
	QMP_RUN_RUNNING,  /* RESUME; status running */
	QMP_RUN_STOPPED,  /* STOP: stopped, ask query-status why */
	QMP_RUN_PAUSED,   /* status paused (or debug, watchdog...): stopped, not by an error */
	QMP_RUN_IO_ERROR, /* BLOCK_IO_ERROR that stops the guest; status io-error */
	QMP_RUN_NOSPACE,  /* the same for want of space on the host (ENOSPC) */
	QMP_RUN_PANICKED, /* GUEST_PANICKED; status guest-panicked */
};
/* qmp_event_run - what event ev ({"event": NAME, "data": {...}}) says. */
enum qmp_run qmp_event_run(const json_t *ev);
/*
 * qmp_status_run - what a query-status answer says; for io-error, blocks
 * (query-block's answer, may be NULL) tells whether a disk ran out of space.
 */
enum qmp_run qmp_status_run(const json_t *status, const json_t *blocks);

#endif
