/*
 * priv - privilege separation, OpenBSD style. `labwire serve` starts as
 * root, does what needs root once (cgroups, the netlink socket, the
 * listening socket), then forks: the parent stays root and only answers
 * requests; the child drops to the --run-as user with no capabilities and
 * does everything else (HTTP, TLS, JSON, SQLite, consoles, captures'
 * consumers). They talk over a SOCK_SEQPACKET socketpair: one request,
 * one reply, each a header and a typed payload of bounded size, with fds
 * passed by SCM_RIGHTS. The set of requests is closed (enum priv_type);
 * the modules that own each operation (core/net/fabric, hv/jail,
 * core/net/capture) register a handler that validates the payload and
 * refuses, and logs, anything outside it. This module knows the framing,
 * the dispatch and the parent's loop, never what an operation does.
 */
#ifndef LW_PRIV_H
#define LW_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PRIV_MSG_MAX (60 * 1024) /* payload bytes of one request or reply */
#define PRIV_FDS_MAX 40          /* fds with one message (a node's TAPs, its log) */

/* The channels: captures' opens wait for the kernel (RCU) and must not hold up the rest. */
enum priv_chan { PRIV_MAIN, PRIV_CAPTURE, PRIV_NCHAN };

enum priv_type {
	PRIV_TAP_OPEN = 1, /* fabric: create and open a TAP -> fd */
	PRIV_BRIDGE_ADD,   /* fabric: a bridge */
	PRIV_SET_MASTER,   /* fabric: enslave an interface */
	PRIV_LINK_DEL,     /* fabric: delete an interface */
	PRIV_LINK_EXISTS,  /* fabric: 0/1 */
	PRIV_LIST_OURS,    /* fabric: interface names with our prefix, in pages */
	PRIV_BATCH,        /* fabric: veth/updown/tc operations in one netlink batch */
	PRIV_SPAWN,        /* jail: start a node's process or tool -> pid, pidfd */
	PRIV_REAP,         /* jail: the exit status of one we started */
	PRIV_SIGNAL,       /* jail: SIGTERM/SIGKILL a node's process */
	PRIV_NODE_DIR,     /* jail: a node's directory, owned for it */
	PRIV_NODE_RELEASE, /* jail: end a node's leftovers, remove its cgroup */
	PRIV_CAPTURE_OPEN, /* capture: frames of one interface -> a relay socket */
	PRIV_INSTANCE,     /* fabric: this daemon's interface mark, once */
	PRIV_LINK_MINE,    /* fabric: 0/1, does it carry our mark */
	PRIV_CLAIM,        /* fabric: mark an unmarked one of ours (start-up only) */
	PRIV_CLAIMS_END,   /* fabric: no more claims, for good */
	PRIV_TYPE_MAX
};

/* A request as the parent's handler sees it; fds are the handler's to keep or close. */
struct priv_req {
	uint32_t type;
	const void *data;
	size_t len;
	int *fds;
	int nfds;
};

/* A reply: result is the operation's return value, err its errno when -1. */
struct priv_reply {
	int32_t result;
	int32_t err;
	void *data; /* client: the caller's buffer of cap bytes; handler: PRIV_MSG_MAX bytes */
	size_t cap;
	size_t len;
	int fds[PRIV_FDS_MAX]; /* handler: sent, then closed; client: the caller's to close */
	int nfds;
};

typedef void (*priv_handler)(const struct priv_req *req, struct priv_reply *rep);

/*
 * priv_handle - in the parent, before priv_serve: type's requests go to fn
 * when their payload is min_len..max_len bytes with at most max_fds fds;
 * any other request of that type is refused (EINVAL) and logged.
 */
void priv_handle(enum priv_type type, size_t min_len, size_t max_len, int max_fds, priv_handler fn);

/*
 * priv_watch - in the parent, from a handler: call fn(arg) when fd is
 * readable (or hung up) in the loop of the handler's channel; priv_unwatch
 * stops it (from that channel's handlers and watchers only). For capture
 * relays.
 */
int priv_watch(int fd, void (*fn)(void *arg), void *arg);
void priv_unwatch(int fd);

/*
 * priv_serve - the parent's loop: answer requests on sock until the child
 * closes it or exits; SIGTERM/SIGINT are passed on to the child. Returns
 * the child's exit status.
 */
int priv_serve(const int socks[PRIV_NCHAN], pid_t child);

/* priv_client - in the child: from now on the modules send their privileged work over socks. */
void priv_client(const int socks[PRIV_NCHAN]);
/* priv_remote - whether this process is the unprivileged child. */
bool priv_remote(void);

/*
 * priv_call - send one request and wait for its reply (serialised between
 * threads); returns rep->result, with errno = rep->err when it is -1, or
 * -1 with errno EPIPE/EPROTO when the channel failed.
 */
int priv_call(enum priv_type type, const void *req, size_t len, const int *fds, int nfds,
    struct priv_reply *rep);

/* priv_refuse - log a refused request (what and why) and fill rep with -1/err. */
void priv_refuse(struct priv_reply *rep, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* priv_warn - log a refusal ("privsep: refused: ..."), control characters masked. */
void priv_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* priv_str - a NUL-terminated string field of at most size bytes; NULL when it is not. */
const char *priv_str(const char *field, size_t size);
#endif
