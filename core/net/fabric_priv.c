/*
 * fabric_priv - fabric's operations across the privilege boundary.
 *
 * The child sends names and numbers only; the parent's handlers call the
 * same fabric functions a single process would, and those refuse any name
 * outside labwire's ("lw" prefix, IFNAMSIZ), any interface without this
 * daemon's mark, and any bad MTU or MAC. The mark's instance id is the
 * first one the child names (at start-up, before it reads any request from
 * the network) and stays for the life of the parent; so does the end of
 * start-up claims, after which no unmarked interface can become ours. The
 * one object that is not a name, a node's network namespace, is named by
 * the node's id and a pidfd of its namespace host; the parent opens
 * /proc/PID/ns/net only for a process inside that node's cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/priv.h"
#include "core/base/spawn.h"
#include "core/net/fabric.h"
#include "core/net/fabric_priv.h"
#include "hv/cgroup.h"

#define FW_OPS_MAX ((PRIV_MSG_MAX - 8) / sizeof(struct fabric_wop))
#define FW_NS_MAX 32 /* namespaces in one batch message (PRIV_FDS_MAX bounds it) */
#define FW_LIST_PAGE (PRIV_MSG_MAX / FW_NAME)

struct fabric_wname {
	char a[FW_NAME], b[FW_NAME];
	int32_t mtu;
};

struct fabric_winstance {
	char id[FABRIC_INSTANCE_MAX + 8]; /* NUL-terminated, [0-9a-z] */
};

struct fabric_rbatch {
	struct fabric_wop *ops;
	size_t n, cap;
	int64_t nodes[FW_NS_MAX]; /* whose namespace fds[i] holds */
	int fds[FW_NS_MAX];
	int nfds;
	bool failed;
};

/* ---- the child ---- */

static int
fw_name(char dst[FW_NAME], const char *src)
{
	if (src == NULL || strlen(src) >= FW_NAME) {
		errno = EINVAL;
		return (-1);
	}
	memset(dst, 0, FW_NAME);
	memcpy(dst, src, strlen(src));
	return (0);
}

static int
fw_call_names(enum priv_type t, const char *a, const char *b, int mtu, int *fd_out)
{
	struct fabric_wname w = {.mtu = mtu};
	struct priv_reply rep = {0};
	int r;

	if (fw_name(w.a, a) == -1 || (b != NULL && fw_name(w.b, b) == -1))
		return (-1);
	r = priv_call(t, &w, sizeof(w), NULL, 0, &rep);
	if (fd_out != NULL) {
		*fd_out = rep.nfds > 0 ? rep.fds[0] : -1;
		if (r >= 0 && *fd_out == -1) {
			errno = EPROTO;
			return (-1);
		}
	}
	for (int i = fd_out != NULL ? 1 : 0; i < rep.nfds; i++)
		close(rep.fds[i]);
	return (r);
}

int
fabric_priv_tap_open(const char *name, int mtu)
{
	int fd = -1;

	if (fw_call_names(PRIV_TAP_OPEN, name, NULL, mtu, &fd) == -1)
		return (-1);
	return (fd);
}

int
fabric_priv_bridge_add(const char *name, int mtu)
{
	return (fw_call_names(PRIV_BRIDGE_ADD, name, NULL, mtu, NULL));
}

int
fabric_priv_set_master(const char *ifname, const char *bridge)
{
	return (fw_call_names(PRIV_SET_MASTER, ifname, bridge, 0, NULL));
}

int
fabric_priv_link_del(const char *name)
{
	return (fw_call_names(PRIV_LINK_DEL, name, NULL, 0, NULL));
}

int
fabric_priv_link_exists(const char *name)
{
	return (fw_call_names(PRIV_LINK_EXISTS, name, NULL, 0, NULL));
}

int
fabric_priv_link_mine(const char *name)
{
	return (fw_call_names(PRIV_LINK_MINE, name, NULL, 0, NULL));
}

int
fabric_priv_claim(const char *name)
{
	return (fw_call_names(PRIV_CLAIM, name, NULL, 0, NULL));
}

int
fabric_priv_instance_set(const char *id)
{
	struct fabric_winstance w;
	struct priv_reply rep = {0};

	memset(&w, 0, sizeof(w));
	if (strlen(id) > FABRIC_INSTANCE_MAX) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(w.id, id, strlen(id));
	return (priv_call(PRIV_INSTANCE, &w, sizeof(w), NULL, 0, &rep));
}

int
fabric_priv_claims_end(void)
{
	uint32_t zero = 0;
	struct priv_reply rep = {0};

	return (priv_call(PRIV_CLAIMS_END, &zero, sizeof(zero), NULL, 0, &rep));
}

int
fabric_priv_list_ours(void (*fn)(const char *ifname, void *arg), void *arg)
{
	static __thread _Alignas(16) char page[PRIV_MSG_MAX];
	uint32_t start = 0;
	int total;

	do {
		struct priv_reply rep = {.data = page, .cap = sizeof(page)};
		size_t n;

		if ((total = priv_call(PRIV_LIST_OURS, &start, sizeof(start), NULL, 0, &rep)) == -1)
			return (-1);
		n = rep.len / FW_NAME;
		for (size_t i = 0; i < n; i++) {
			page[i * FW_NAME + FW_NAME - 1] = '\0';
			fn(page + i * FW_NAME, arg);
		}
		start += (uint32_t)n;
		if (n == 0)
			break;
	} while ((int)start < total);
	return (0);
}

struct fabric_rbatch *
fabric_priv_batch_new(void)
{
	return (calloc(1, sizeof(struct fabric_rbatch)));
}

int
fabric_priv_batch_netns(struct fabric_rbatch *rb, int64_t node, int pidfd)
{
	if (rb == NULL || rb->nfds >= FW_NS_MAX) {
		errno = rb == NULL ? EINVAL : E2BIG;
		return (-1);
	}
	if ((rb->fds[rb->nfds] = fcntl(pidfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (-1);
	rb->nodes[rb->nfds] = node;
	return (FW_NETNS_TAG | rb->nfds++);
}

/* fw_send - one PRIV_BATCH of ops[0..n) with rb's fds; failed operations, or -1. */
static int
fw_send(const struct fabric_wop *ops, size_t n, const int *fds, int nfds)
{
	static __thread _Alignas(16) unsigned char msg[PRIV_MSG_MAX];
	struct priv_reply rep = {0};
	uint32_t k = (uint32_t)n;

	memcpy(msg, &k, sizeof(k));
	memcpy(msg + 8, ops, n * sizeof(*ops));
	return (priv_call(PRIV_BATCH, msg, 8 + n * sizeof(*ops), fds, nfds, &rep));
}

int
fabric_priv_queue(struct fabric_rbatch *rb, const struct fabric_wop *op)
{
	if (rb == NULL)
		return (fw_send(op, 1, NULL, 0) == 0 ? 0 : -1);
	if (rb->n == rb->cap) {
		size_t cap = rb->cap ? rb->cap * 2 : 64;
		struct fabric_wop *o = realloc(rb->ops, cap * sizeof(*o));

		if (o == NULL) {
			rb->failed = true;
			return (-1);
		}
		rb->ops = o;
		rb->cap = cap;
	}
	rb->ops[rb->n] = *op;
	if (op->kind == FW_VETH) {
		if (op->ns < 0 || op->ns >= rb->nfds) {
			errno = EINVAL;
			return (-1);
		}
		rb->ops[rb->n].node = rb->nodes[op->ns];
	}
	rb->n++;
	return (0);
}

/*
 * fabric_priv_batch_run - in messages of FW_OPS_MAX; every message carries
 * all of the batch's namespace fds (at most FW_NS_MAX), so an operation's
 * index means the same in each.
 */
int
fabric_priv_batch_run(struct fabric_rbatch *rb)
{
	int failed = 0, r;

	if (rb == NULL)
		return (-1);
	for (size_t i = 0; i < rb->n && !rb->failed; i += FW_OPS_MAX) {
		size_t n = rb->n - i < FW_OPS_MAX ? rb->n - i : FW_OPS_MAX;

		if ((r = fw_send(rb->ops + i, n, rb->fds, rb->nfds)) == -1)
			rb->failed = true;
		else
			failed += r;
	}
	for (int i = 0; i < rb->nfds; i++)
		close(rb->fds[i]);
	r = rb->failed ? -1 : failed;
	free(rb->ops);
	free(rb);
	return (r);
}

/* ---- the parent ---- */

static void
fw_result(struct priv_reply *rep, int r)
{
	rep->result = r;
	rep->err = r == -1 ? errno : 0;
}

/* fw_names - the request's names, NUL-terminated, or a refusal. */
static const struct fabric_wname *
fw_names(const struct priv_req *req, struct priv_reply *rep)
{
	const struct fabric_wname *w = req->data;

	if (priv_str(w->a, FW_NAME) == NULL || priv_str(w->b, FW_NAME) == NULL) {
		priv_refuse(rep, EINVAL, "an interface name without its end");
		return (NULL);
	}
	/* Only looking may name a foreign interface; every change is to labwire's. */
	if ((req->type != PRIV_LINK_EXISTS && req->type != PRIV_LINK_MINE && !names_ours(w->a)) ||
	    (w->b[0] != '\0' && !names_ours(w->b))) {
		priv_refuse(rep, EPERM, "%s on '%s' '%s': not labwire's interfaces",
		    req->type == PRIV_TAP_OPEN ? "tap_open" : "a fabric change", w->a, w->b);
		return (NULL);
	}
	return (w);
}

static void
fw_tap_open(const struct priv_req *req, struct priv_reply *rep)
{
	const struct fabric_wname *w = fw_names(req, rep);
	int fd;

	if (w == NULL)
		return;
	if ((fd = fabric_tap_open(w->a, w->mtu)) == -1) {
		fw_result(rep, -1);
		return;
	}
	rep->fds[rep->nfds++] = fd; /* sent, then closed: QEMU will hold it */
	rep->result = 0;
}

static void
fw_simple(const struct priv_req *req, struct priv_reply *rep)
{
	const struct fabric_wname *w = fw_names(req, rep);

	if (w == NULL)
		return;
	switch (req->type) {
	case PRIV_BRIDGE_ADD:
		fw_result(rep, fabric_bridge_add(w->a, w->mtu));
		break;
	case PRIV_SET_MASTER:
		fw_result(rep, fabric_set_master(w->a, w->b));
		break;
	case PRIV_LINK_DEL:
		fw_result(rep, fabric_link_del(w->a));
		break;
	case PRIV_LINK_MINE:
		fw_result(rep, fabric_link_mine(w->a));
		break;
	case PRIV_CLAIM:
		fw_result(rep, fabric_claim(w->a));
		break;
	default:
		fw_result(rep, fabric_link_exists(w->a));
		break;
	}
}

/* fw_instance - the child names the instance; fabric keeps the first for good. */
static void
fw_instance(const struct priv_req *req, struct priv_reply *rep)
{
	const struct fabric_winstance *w = req->data;

	if (priv_str(w->id, sizeof(w->id)) == NULL) {
		priv_refuse(rep, EINVAL, "an instance id without its end");
		return;
	}
	if (fabric_instance_set(w->id) == -1) {
		priv_refuse(rep, errno, "instance '%.32s': %s", w->id,
		    errno == EPERM ? "the instance is set already" : "not an instance id");
		return;
	}
	rep->result = 0;
}

static void
fw_claims_end(const struct priv_req *req, struct priv_reply *rep)
{
	(void)req;
	fabric_claims_end();
	rep->result = 0;
}

struct fw_list {
	char *out;
	uint32_t start, i, n;
};

static void
fw_list_one(const char *ifname, void *arg)
{
	struct fw_list *l = arg;

	if (l->i++ < l->start || l->n >= FW_LIST_PAGE)
		return;
	memset(l->out + (size_t)l->n * FW_NAME, 0, FW_NAME);
	snprintf(l->out + (size_t)l->n * FW_NAME, FW_NAME, "%s", ifname);
	l->n++;
}

static void
fw_list_ours(const struct priv_req *req, struct priv_reply *rep)
{
	struct fw_list l = {.out = rep->data};

	memcpy(&l.start, req->data, sizeof(l.start));
	if (fabric_list_ours(fw_list_one, &l) == -1) {
		fw_result(rep, -1);
		return;
	}
	rep->len = (size_t)l.n * FW_NAME;
	rep->result = (int32_t)l.i;
}

/*
 * fw_netns - the namespace of the node's process behind pidfd, opened for
 * IFLA_NET_NS_FD: only for a live process inside that node's cgroup.
 */
static int
fw_netns(int64_t node, int pidfd)
{
	char path[64];
	pid_t pid = spawn_pidfd_pid(pidfd);
	struct stat a, b;
	int fd;

	if (pid <= 0 || !cgroup_node_holds(node, pid)) {
		priv_warn(
		    "a namespace of pid %d, not in node %lld's cgroup", (int)pid, (long long)node);
		errno = EPERM;
		return (-1);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	/*
	 * Only a namespace of the node's own: a process of the node still in
	 * ours (QEMU always is) would put the peer, a name of the child's
	 * choosing, among the host's interfaces.
	 */
	if (fstat(fd, &a) == -1 || stat("/proc/self/ns/net", &b) == -1 ||
	    (a.st_dev == b.st_dev && a.st_ino == b.st_ino) || spawn_pidfd_pid(pidfd) != pid) {
		priv_warn("a veth peer into pid %d's namespace, not node %lld's "
		          "own",
		    (int)pid, (long long)node);
		close(fd);
		errno = EPERM;
		return (-1);
	}
	return (fd);
}

/* fw_queue - one checked operation into the parent's own batch. */
static int
fw_queue(struct fabric_batch *b, const struct fabric_wop *op, const int *ns, int nns)
{
	if (priv_str(op->a, FW_NAME) == NULL || priv_str(op->b, FW_NAME) == NULL ||
	    priv_str(op->mac, sizeof(op->mac)) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (!names_ours(op->a)) {
		priv_warn("a batch operation on '%s', not labwire's", op->a);
		errno = EPERM;
		return (-1);
	}
	switch (op->kind) {
	case FW_VETH:
		if (op->ns < 0 || op->ns >= nns || ns[op->ns] == -1) {
			errno = EPERM;
			return (-1);
		}
		return (
		    fabric_veth_add(b, op->a, op->mtu, ns[op->ns], op->b, op->mac, op->peer_mtu));
	case FW_UPDOWN:
		return (fabric_set_updown(b, op->a, op->up != 0));
	case FW_REDIRECT:
		return (fabric_tc_redirect(b, op->a, op->b));
	case FW_DROP:
		return (fabric_tc_drop(b, op->a));
	case FW_LANPORT:
		return (fabric_tc_lanport(b, op->a));
	}
	errno = EINVAL;
	return (-1);
}

/* fw_batch_ns - open each namespace an FW_VETH op names (its node checked per op). */
static void
fw_batch_ns(const struct fabric_wop *ops, uint32_t n, const struct priv_req *req, int *ns)
{
	for (int i = 0; i < req->nfds; i++)
		ns[i] = -1;
	for (uint32_t i = 0; i < n; i++) {
		int k = ops[i].ns;

		if (ops[i].kind != FW_VETH || k < 0 || k >= req->nfds || ns[k] != -1)
			continue;
		ns[k] = fw_netns(ops[i].node, req->fds[k]);
	}
}

struct fabric_wop *
fabric_priv_decode(const void *data, size_t len, uint32_t *n)
{
	const unsigned char *p = data;
	struct fabric_wop *ops;

	if (len < 8) {
		errno = EINVAL;
		return (NULL);
	}
	memcpy(n, p, sizeof(*n));
	if (*n == 0 || *n > FW_OPS_MAX || len != 8 + *n * sizeof(*ops)) {
		priv_warn("a batch of %u operations in %zu bytes", (unsigned)*n, len);
		errno = EINVAL;
		return (NULL);
	}
	if ((ops = malloc(*n * sizeof(*ops))) == NULL)
		return (NULL);
	memcpy(ops, p + 8, *n * sizeof(*ops));
	for (uint32_t i = 0; i < *n; i++) {
		/* Strings end inside their fields, whatever the child wrote after them. */
		ops[i].a[FW_NAME - 1] = ops[i].b[FW_NAME - 1] = '\0';
		ops[i].mac[sizeof(ops[i].mac) - 1] = '\0';
	}
	return (ops);
}

static void
fw_batch(const struct priv_req *req, struct priv_reply *rep)
{
	struct fabric_wop *ops;
	struct fabric_batch *b;
	int ns[PRIV_FDS_MAX], failed = 0, r;
	uint32_t n;

	if ((ops = fabric_priv_decode(req->data, req->len, &n)) == NULL) {
		fw_result(rep, -1);
		return;
	}
	if ((b = fabric_batch_new()) == NULL) {
		free(ops);
		fw_result(rep, -1);
		return;
	}
	fw_batch_ns(ops, n, req, ns);
	for (uint32_t i = 0; i < n; i++)
		if (fw_queue(b, &ops[i], ns, req->nfds) == -1) {
			log_warn("privsep: batch operation %u (kind %u, %.15s)", (unsigned)i,
			    (unsigned)ops[i].kind, ops[i].a);
			failed++;
		}
	r = fabric_batch_run(b);
	for (int i = 0; i < req->nfds; i++)
		if (ns[i] != -1)
			close(ns[i]);
	free(ops);
	fw_result(rep, r == -1 ? -1 : r + failed);
}

void
fabric_priv_register(void)
{
	size_t w = sizeof(struct fabric_wname);

	priv_handle(PRIV_TAP_OPEN, w, w, 0, fw_tap_open);
	priv_handle(PRIV_BRIDGE_ADD, w, w, 0, fw_simple);
	priv_handle(PRIV_SET_MASTER, w, w, 0, fw_simple);
	priv_handle(PRIV_LINK_DEL, w, w, 0, fw_simple);
	priv_handle(PRIV_LINK_EXISTS, w, w, 0, fw_simple);
	priv_handle(PRIV_LINK_MINE, w, w, 0, fw_simple);
	priv_handle(PRIV_CLAIM, w, w, 0, fw_simple);
	priv_handle(PRIV_INSTANCE, sizeof(struct fabric_winstance), sizeof(struct fabric_winstance),
	    0, fw_instance);
	priv_handle(PRIV_CLAIMS_END, sizeof(uint32_t), sizeof(uint32_t), 0, fw_claims_end);
	priv_handle(PRIV_LIST_OURS, sizeof(uint32_t), sizeof(uint32_t), 0, fw_list_ours);
	priv_handle(PRIV_BATCH, 8 + sizeof(struct fabric_wop), PRIV_MSG_MAX, FW_NS_MAX, fw_batch);
}
