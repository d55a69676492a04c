/*
 * lwpriv - forge requests to labwire's privileged parent, as a compromised
 * unprivileged daemon would: take the daemon's end of the privsep
 * socketpair (pidfd_getfd, as root in the test) and send one request.
 * Prints "result=R err=E" for the reply, or "closed". A test tool only: it
 * knows the wire format from the outside, not through labwire's headers.
 * Use it while no capture relay is open (the daemon's only SOCK_SEQPACKET
 * socket is then the privsep one) and the daemon is otherwise idle.
 *
 * usage: lwpriv DAEMON_PID CASE
 *   exists-lo      LINK_EXISTS "lo": a valid request (the control)
 *   tap-foreign    TAP_OPEN "eth0": a name outside labwire's
 *   del-foreign    LINK_DEL "veth9"
 *   unknown        an unknown request type
 *   short          TAP_OPEN with 3 bytes
 *   oversize       a 100 KB message
 *   spawn-shell    SPAWN /bin/sh as node 1's tool
 *   spawn-path     SPAWN a QEMU of the daemon's own making (a path, with the sandbox)
 *   signal-init    SIGNAL pid 1 (no node's)
 *   nodedir-zero   NODE_DIR of node 0
 *   batch-foreign  BATCH: drop on "eth0"
 *   del-lwbr0      LINK_DEL "lwbr0": labwire's prefix, not its mark
 *   bridge-lwbr0   BRIDGE_ADD "lwbr0" (taking over an existing bridge)
 *   batch-lwbr0    BATCH: drop on "lwbr0"
 *   claim-lwbr0    CLAIM "lwbr0" after start-up
 *   instance-other INSTANCE: another instance id than the daemon's
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
	TAP_OPEN = 1,
	BRIDGE_ADD = 2,
	LINK_DEL = 4,
	LINK_EXISTS = 5,
	BATCH = 7,
	SPAWN = 8,
	SIGNAL_ = 10,
	NODE_DIR = 11,
	INSTANCE = 14,
	CLAIM = 16
};

struct hdr {
	uint32_t type;
	int32_t result, err;
	uint32_t len;
};

struct names { /* fabric's request: two names and an MTU */
	char a[16], b[16];
	int32_t mtu;
};

struct wop { /* one batch operation */
	uint32_t kind;
	int32_t mtu, peer_mtu, up, ns;
	int64_t node;
	char a[16], b[16], mac[18];
};

struct wreq { /* a spawn request's head */
	int32_t kind, ram_mb, cpus, cpu_cap_pct;
	int64_t lab, node;
	uint32_t argc, pad;
};

struct wnode {
	int64_t lab, node;
	int32_t sig, run, pid, pad;
};

static int
find_sock(pid_t pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd == -1)
		return (-1);
	for (int fd = 3; fd < 4096; fd++) {
		int s = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0), type = 0;
		socklen_t len = sizeof(type);

		if (s == -1)
			continue;
		if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET)
			return (s);
		close(s);
	}
	return (-1);
}

static int
send_req(int s, uint32_t type, const void *data, size_t len, int fd)
{
	struct hdr h = {type, 0, 0, (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return (sendmsg(s, &m, 0) == -1 ? -1 : 0);
}

static void
build(const char *c, uint32_t *type, unsigned char *buf, size_t *len, int *fd)
{
	struct names n = {.mtu = 1500};
	struct wop op = {.kind = 4 /* drop */, .ns = -1};
	struct wreq w = {
	    .kind = 2 /* tool */, .ram_mb = 0, .cpus = 1, .node = 1, .lab = 1, .argc = 3};
	struct wnode wn = {0};

	*fd = -1;
	if (strcmp(c, "exists-lo") == 0 || strcmp(c, "tap-foreign") == 0 ||
	    strcmp(c, "del-foreign") == 0 || strcmp(c, "short") == 0) {
		strcpy(n.a, c[0] == 'e' ? "lo" : c[0] == 'd' ? "veth9" : "eth0");
		*type = c[0] == 'e' ? LINK_EXISTS : c[0] == 'd' ? LINK_DEL : TAP_OPEN;
		memcpy(buf, &n, sizeof(n));
		*len = c[0] == 's' ? 3 : sizeof(n);
	} else if (strcmp(c, "unknown") == 0) {
		*type = 99;
		*len = 0;
	} else if (strcmp(c, "oversize") == 0) {
		*type = TAP_OPEN;
		*len = 100000;
		memset(buf, 'x', *len);
	} else if (strcmp(c, "spawn-shell") == 0) {
		static const char args[] = "/bin/sh\0-c\0id";

		*type = SPAWN;
		memcpy(buf, &w, sizeof(w));
		memcpy(buf + sizeof(w), args, sizeof(args));
		*len = sizeof(w) + sizeof(args);
		*fd = open("/dev/null", O_WRONLY);
	} else if (strcmp(c, "spawn-path") == 0) {
		static const char args[] = "/tmp/qemu-system-x86_64\0-sandbox\0"
		                           "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
		                           "resourcecontrol=deny";

		w.kind = 0; /* QEMU */
		*type = SPAWN;
		memcpy(buf, &w, sizeof(w));
		memcpy(buf + sizeof(w), args, sizeof(args));
		*len = sizeof(w) + sizeof(args);
		*fd = open("/dev/null", O_WRONLY);
	} else if (strcmp(c, "signal-init") == 0) {
		*type = SIGNAL_;
		wn.node = 1;
		wn.sig = SIGKILL;
		memcpy(buf, &wn, sizeof(wn));
		*len = sizeof(wn);
		*fd = (int)syscall(SYS_pidfd_open, 1, 0);
	} else if (strcmp(c, "nodedir-zero") == 0) {
		*type = NODE_DIR;
		wn.lab = 1;
		memcpy(buf, &wn, sizeof(wn));
		*len = sizeof(wn);
	} else if (strcmp(c, "del-lwbr0") == 0 || strcmp(c, "bridge-lwbr0") == 0 ||
	    strcmp(c, "claim-lwbr0") == 0) {
		strcpy(n.a, "lwbr0");
		*type = c[0] == 'd' ? LINK_DEL : c[0] == 'b' ? BRIDGE_ADD : CLAIM;
		memcpy(buf, &n, sizeof(n));
		*len = sizeof(n);
	} else if (strcmp(c, "instance-other") == 0) {
		char id[40] = "0123456789abcdef"; /* fabric's instance request */

		*type = INSTANCE;
		memcpy(buf, id, sizeof(id));
		*len = sizeof(id);
	} else if (strcmp(c, "batch-foreign") == 0 || strcmp(c, "batch-lwbr0") == 0) {
		uint32_t one = 1;

		strcpy(op.a, c[6] == 'f' ? "eth0" : "lwbr0");
		*type = BATCH;
		memset(buf, 0, 8);
		memcpy(buf, &one, sizeof(one));
		memcpy(buf + 8, &op, sizeof(op));
		*len = 8 + sizeof(op);
	} else {
		fprintf(stderr, "lwpriv: unknown case %s\n", c);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	static unsigned char buf[128 * 1024];
	struct hdr r;
	uint32_t type;
	size_t len;
	ssize_t n;
	int s, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: lwpriv DAEMON_PID CASE\n");
		return (2);
	}
	if ((s = find_sock((pid_t)atoi(argv[1]))) == -1) {
		fprintf(stderr, "lwpriv: no privsep socket in pid %s\n", argv[1]);
		return (1);
	}
	build(argv[2], &type, buf, &len, &fd);
	if (send_req(s, type, buf, len, fd) == -1) {
		printf("send failed: %s\n", strerror(errno));
		return (0);
	}
	if ((n = recv(s, buf, sizeof(buf), 0)) <= 0) {
		printf("closed\n");
		return (0);
	}
	memcpy(&r, buf, sizeof(r));
	printf("result=%d err=%d\n", r.result, r.err);
	return (0);
}
