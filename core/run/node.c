/*
 * node - one running node's supervision: its paths (built from ids only),
 * connecting to its console and QMP socket as they appear, a namespace
 * host's interfaces, stopping it (powerdown, quit, SIGKILL) and what its
 * exit means. Readiness is in ready.c, starting in start.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/fault.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/paths.h"
#include "core/base/spawn.h"
#include "core/console/console.h"
#include "core/net/fabric.h"
#include "core/run/run.h"
#include "core/run/state.h"
#include "hv/cgroup.h"
#include "hv/jail.h"
#include "hv/qmp.h"
#include "images/template.h"

struct rt_node *
node_new(int64_t id, int64_t lab, const struct template *t, int nics)
{
	struct rt_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return (NULL);
	n->id = id;
	n->lab = lab;
	n->nics = nics;
	n->pidfd = -1;
	n->shutdown_timeout_s = t ? t->shutdown_timeout_s : 5;
	if (t != NULL && t->ready_pattern[0] != '\0')
		n->has_re = (n->ready_re = ready_re(t->ready_pattern)) != NULL;
	n->w_pid = (struct rt_watch){W_PID, n};
	n->w_qmp = (struct rt_watch){W_QMP, n};
	n->qmp_retry_at = clock_mono_ms() + 50;
	n->qmp_giveup_at = clock_mono_ms() + QMP_CONNECT_GIVEUP_MS;
	n->ready_poll_at = clock_mono_ms() + READY_POLL_MS;
	n->started_ms = clock_mono_ms();
	if (t != NULL)
		snprintf(n->tmpl, sizeof(n->tmpl), "%s", t->name);
	return (n);
}

void
node_free(struct rt_node *n)
{
	if (n->qmp)
		qmp_close(n->qmp);
	if (n->pidfd != -1)
		close(n->pidfd);
	free(n);
}

void
node_set_link(struct rt_node *n, int idx, bool up)
{
	char id[16], err[128];
	json_t *args;

	if (n->qmp == NULL)
		return;
	snprintf(id, sizeof(id), "net%d", idx);
	args = json_pack("{s:s,s:b}", "name", id, "up", up);
	if (qmp_exec(n->qmp, "set_link", args, NULL, 2000, err, sizeof(err)) == -1)
		log_warnx("node %lld: set_link %s: %s", (long long)n->id, id, err);
	json_decref(args);
}

void
node_stop_escalate(struct rt_node *n)
{
	char err[128];

	if (n->stop_stage < 2) {
		n->stop_stage = 2;
		if (n->qmp == NULL ||
		    qmp_exec(n->qmp, "quit", NULL, NULL, 1000, err, sizeof(err)) == -1)
			jail_signal(n->id, n->pidfd, SIGTERM);
		n->stop_deadline = clock_mono_ms() + STOP_QUIT_WAIT_MS;
	} else if (n->stop_stage == 2) {
		n->stop_stage = 3;
		log_warnx(
		    "node %lld: QEMU did not quit, killing pid %d", (long long)n->id, (int)n->pid);
		jail_signal(n->id, n->pidfd, SIGKILL);
		n->stop_deadline = 0;
	}
}

void
node_stop(int64_t id, bool force)
{
	struct rt_node *n = rt_find(id);
	char err[128];

	if (n == NULL) {
		/*
		 * Never started (or failed): nothing runs, only the state to settle;
		 * one whose files are being made stays stopping until they are.
		 */
		if (state_node_in(id, "stopping", NULL) && !start_preparing(id))
			state_node_set(id, "stopped", NULL);
		return;
	}
	n->stopping = true;
	/* A paused guest cannot hear a powerdown. */
	if (force || n->qmp == NULL || n->shutdown_timeout_s == 0 || n->paused) {
		node_stop_escalate(n);
		return;
	}
	if (n->stop_stage == 0) {
		n->stop_stage = 1;
		if (qmp_exec(n->qmp, "system_powerdown", NULL, NULL, 2000, err, sizeof(err)) == -1)
			node_stop_escalate(n);
		else
			n->stop_deadline = clock_mono_ms() + (int64_t)n->shutdown_timeout_s * 1000;
	}
}

/* Last line QEMU wrote to its own log, to explain an unexpected exit. */
static void
node_log_tail(int64_t lab, int64_t node, const char *file, char *out, size_t len)
{
	char path[PATH_MAX], buf[512], *nl;
	ssize_t r;
	int fd;

	out[0] = '\0';
	if (paths_lab(path, sizeof(path), lab, node, file) == -1 ||
	    (fd = paths_open_plain(path, O_RDONLY, 0)) == -1)
		return;
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(buf) - 1)
		lseek(fd, -(off_t)sizeof(buf) + 1, SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
		buf[--r] = '\0';
	nl = strrchr(buf, '\n');
	snprintf(out, len, "%s", nl ? nl + 1 : buf);
}

void
node_log_trim(struct rt_node *n)
{
	char path[PATH_MAX];

	if (paths_lab(path, sizeof(path), n->lab, n->id, n->netns ? "/nshost.log" : "/qemu.log") ==
	    -1)
		return;
	switch (spawn_log_trim(path, (off_t)lw.cfg.node_log_max)) {
	case 1:
		log_info("node %lld: %s passed %ld bytes: rotated to %s.1", (long long)n->id, path,
		    lw.cfg.node_log_max, path);
		break;
	case -1:
		log_warn("node %lld: rotating %s", (long long)n->id, path);
		break;
	}
}

void
node_remove_sockets(int64_t node)
{
	char dir[PATH_MAX];

	if (paths_sock(dir, sizeof(dir), node, NULL) == 0)
		paths_rmtree(dir);
}

void
node_exited(struct rt_node *n)
{
	char msg[256], tail[200];
	siginfo_t si = {0};
	bool was_stopping, noted;

	/* What QEMU said last (a GUEST_PANICKED before it powered off) decides what its exit means.
	 */
	if (n->qmp != NULL && !n->stopping)
		node_qmp_readable(n);
	was_stopping = n->stopping;
	/* Adopted processes are a former daemon's children, not ours to reap: si stays zeroed. */
	if (n->fresh)
		jail_reap(n->pid, n->pidfd, &si);
	rt_watch_del(n->pidfd);
	if (n->qmp)
		rt_watch_del(qmp_fd(n->qmp));
	rt_unlink(n);
	console_node_detach(n->id);
	links_unwire_node(n->id, n->nics);
	jail_node_release(n->id); /* a namespace host's last processes, then its cgroup */
	node_remove_sockets(n->id);
	noted = state_node_exited(n->id);
	if (was_stopping && noted) {
		/* Stopped because something went wrong (e.g. QMP never answered): say so. */
		state_node_failed(n->id);
	} else if (was_stopping || (si.si_code == CLD_EXITED && si.si_status == 0)) {
		/* Asked to stop, or the guest powered itself off: QEMU exits 0. */
		log_info("node %lld: stopped", (long long)n->id);
		state_node_set(n->id, "stopped", NULL);
	} else {
		node_log_tail(
		    n->lab, n->id, n->netns ? "/nshost.log" : "/qemu.log", tail, sizeof(tail));
		snprintf(msg, sizeof(msg), "%s exited unexpectedly (status %d)%s%s",
		    n->netns ? "the namespace host" : "QEMU", si.si_status, tail[0] ? ": " : "",
		    tail);
		log_warnx("node %lld: %s", (long long)n->id, msg);
		state_node_set(n->id, "error", msg);
	}
	node_free(n);
}

/*
 * node_peer_ours - whether the process at the other end of fd is one of
 * node's (in its cgroup): the sockets sit in a directory the node's user
 * may write, and a link there to another node's socket must not pass for
 * this node's console or QMP.
 */
static bool
node_peer_ours(int fd, int64_t node)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    !cgroup_node_holds(node, cr.pid)) {
		log_warnx(
		    "node %lld: its socket answers from pid %d, not one of the node's: refused",
		    (long long)node, (int)cr.pid);
		return (false);
	}
	return (true);
}

static int
node_unix_connect(const char *path, int64_t node)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || !node_peer_ours(fd, node)) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The serial socket first: QEMU (wait=on) boots the guest only once we are there. */
static bool
node_console_attach(struct rt_node *n)
{
	int fd;

	if (n->con_attached)
		return (true);
	if ((fd = node_unix_connect(n->con_path, n->id)) == -1)
		return (false);
	console_node_attach(n->id, fd, n->log_path, n->fresh);
	n->con_attached = true;
	return (true);
}

bool
node_netns_wired(const struct rt_node *n)
{
	char host[16];

	for (int k = 0; k < n->nics; k++)
		if (names_tap(host, n->id, k) == -1 || fabric_link_mine(host) != 1)
			return (false);
	return (true);
}

/*
 * A namespace host's interfaces: veth pairs, the host side ours, the peer
 * made inside the node's namespace (its nshost process lives there, and
 * only listens on its console once it does). A re-adopted one has them.
 */
static int
node_netns_wire(struct rt_node *n)
{
	struct fabric_batch *b;
	char host[16], peer[32], mac[18], pattern[32];
	int fd, r = 0;

	if (node_netns_wired(n)) {
		n->wired = true;
		return (0);
	}
	if ((b = fabric_batch_new()) == NULL)
		return (-1);
	if ((fd = fabric_batch_netns(b, n->id, n->pidfd)) == -1) {
		fabric_batch_run(b);
		return (-1);
	}
	snprintf(pattern, sizeof(pattern), "%s", n->ifpattern[0] ? n->ifpattern : "eth{n}");
	for (int k = 0; k < n->nics && r == 0; k++) {
		const char *p = strstr(pattern, "{n}");

		snprintf(peer, sizeof(peer), "%.*s%d%s", (int)(p ? p - pattern : 0), pattern, k,
		    p ? p + 3 : "");
		names_mac(mac, n->id, k);
		if (names_tap(host, n->id, k) == 0 && fabric_link_mine(host) == 1)
			continue; /* made before a daemon restart cut the wiring short */
		if (names_tap(host, n->id, k) == -1 ||
		    fabric_veth_add(b, host, LINK_MTU, fd, peer, mac, 1500) == -1)
			r = -1;
	}
	/* Run even after a failure: it frees the batch, and what was made is undone at stop. */
	if (fabric_batch_run(b) != 0) /* closes the namespace handle too */
		r = -1;
	if (r == -1)
		return (-1);
	FAULT_POINT("nshost.wired");
	n->wired = true;
	links_isolate_node(n->id, n->nics);
	return (0);
}

/* node_give_up - the node cannot come up: say why (its state becomes error) and stop it. */
static void
node_give_up(struct rt_node *n, const char *why)
{
	log_warnx("node %lld: %s; stopping it", (long long)n->id, why);
	state_node_note_error(n->id, why);
	n->qmp_retry_at = 0;
	n->stopping = true;
	node_stop_escalate(n);
}

/* node_query_run - how QEMU says the guest is: query-status, and query-block for an I/O error. */
static enum qmp_run
node_query_run(struct rt_node *n)
{
	json_t *st = NULL, *blocks = NULL;
	const char *status;
	enum qmp_run r;
	char err[128];

	if (n->qmp == NULL ||
	    qmp_exec(n->qmp, "query-status", NULL, &st, 2000, err, sizeof(err)) == -1)
		return (QMP_RUN_NONE);
	status = json_string_value(json_object_get(st, "status"));
	log_debug("node %lld: QMP status %s", (long long)n->id, status ? status : "?");
	if (status != NULL && strcmp(status, "io-error") == 0 &&
	    qmp_exec(n->qmp, "query-block", NULL, &blocks, 2000, err, sizeof(err)) == -1)
		log_warnx("node %lld: query-block: %s", (long long)n->id, err);
	r = qmp_status_run(st, blocks);
	json_decref(st);
	json_decref(blocks);
	return (r);
}

static const char *
node_pause_reason(enum qmp_run r)
{
	return (r == QMP_RUN_NOSPACE ? "disk full" : r == QMP_RUN_IO_ERROR ? "io error" : "paused");
}

/*
 * node_apply_run - what QEMU said of the guest, into the node's state:
 * paused (with why) or running again; a panicked guest's node is stopped
 * and ends in error. Nothing changes for a node on its way out.
 */
static void
node_apply_run(struct rt_node *n, enum qmp_run r)
{
	if (n->stopping)
		return;
	switch (r) {
	case QMP_RUN_STOPPED:
		node_apply_run(n, node_query_run(n)); /* never STOPPED again */
		break;
	case QMP_RUN_RUNNING:
		if (n->paused)
			log_info("node %lld: the guest runs again", (long long)n->id);
		n->paused = false;
		state_node_resumed(n->id);
		break;
	case QMP_RUN_PAUSED:
	case QMP_RUN_IO_ERROR:
	case QMP_RUN_NOSPACE:
		if (!n->paused)
			log_warnx("node %lld: the guest is paused: %s", (long long)n->id,
			    node_pause_reason(r));
		n->paused = true;
		state_node_paused(n->id, node_pause_reason(r));
		break;
	case QMP_RUN_PANICKED:
		n->paused = false;
		node_give_up(n, "guest panicked");
		break;
	case QMP_RUN_NONE:
		break;
	}
}

void
node_resume(int64_t id)
{
	struct rt_node *n = rt_find(id);

	if (n == NULL)
		return;
	n->resume_taken = n->resume_asked;
	n->resume_err[0] = '\0';
	if (n->qmp == NULL || n->stopping) {
		snprintf(n->resume_err, sizeof(n->resume_err), "%s",
		    n->stopping ? "it is stopping" : "QEMU does not answer");
	} else if (qmp_exec(n->qmp, "cont", NULL, NULL, 2000, n->resume_err,
	               sizeof(n->resume_err)) == -1) {
		if (n->resume_err[0] == '\0')
			snprintf(
			    n->resume_err, sizeof(n->resume_err), "QMP cont: %s", strerror(errno));
	} else {
		log_info("node %lld: resumed", (long long)n->id);
		n->resume_settle_at = clock_mono_ms() + RESUME_SETTLE_MS;
		return;
	}
	log_warnx("node %lld: resume: %s", (long long)n->id, n->resume_err);
	n->resume_done = n->resume_taken;
}

void
node_resume_settled(struct rt_node *n)
{
	n->resume_settle_at = 0;
	/* The events told it already; asking settles it even if one was missed. */
	node_apply_run(n, node_query_run(n));
	n->resume_done = n->resume_taken;
}

static void
node_netns_attach(struct rt_node *n, int64_t now)
{
	if (!node_console_attach(n)) {
		if (now > n->qmp_giveup_at) {
			node_give_up(n, "the namespace host did not start within 30 s");
			return;
		}
		n->qmp_retry_at = now + 10;
		return;
	}
	n->qmp_retry_at = 0;
	if (n->stopping)
		return;
	if (node_netns_wire(n) == -1) {
		log_warn("node %lld: interfaces", (long long)n->id);
		node_give_up(n, "cannot make the node's interfaces (see the daemon log)");
		return;
	}
	links_sync_node(n->id, 0);
	state_node_running(n->id);
}

void
node_try_connect(struct rt_node *n, int64_t now)
{
	int fd;

	if (n->netns) {
		node_netns_attach(n, now);
		return;
	}
	/* The peer is checked (node_unix_connect) before a word is said to it. */
	if (n->qmp == NULL && node_console_attach(n) &&
	    (fd = node_unix_connect(n->qmp_path, n->id)) != -1) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
			n->qmp = qmp_connect_fd(fd, n->qmp_path, 1000);
		else
			close(fd);
	}
	if (!n->con_attached || n->qmp == NULL) {
		if (now > n->qmp_giveup_at) {
			node_give_up(n, "QMP did not answer within 30 s");
			return;
		}
		n->qmp_retry_at = now + (n->con_attached ? 100 : 20);
		return;
	}
	n->qmp_retry_at = 0;
	rt_watch_add(qmp_fd(n->qmp), &n->w_qmp);
	if (n->stopping) {
		if (n->stop_stage < 2)
			node_stop_escalate(n);
		return;
	}
	links_apply_down(n);
	state_node_running(n->id); /* a stop recorded meanwhile wins over the late QMP answer */
	/* A re-adopted QEMU may have stopped while no daemon listened (a disk filled): say so. */
	node_apply_run(n, node_query_run(n));
}

/* node_log_io_error - a disk error that stops the guest, told in the daemon log. */
static void
node_log_io_error(struct rt_node *n, json_t *ev)
{
	json_t *d = json_object_get(ev, "data");
	const char *op = json_string_value(json_object_get(d, "operation"));
	const char *dev = json_string_value(json_object_get(d, "device"));
	const char *why = json_string_value(json_object_get(d, "reason"));

	log_warnx("node %lld: %s error on disk %s: %s%s", (long long)n->id, op ? op : "I/O",
	    dev ? dev : "?", why ? why : "?",
	    json_is_true(json_object_get(d, "nospace")) ? " (no space left on the host)" : "");
}

void
node_qmp_readable(struct rt_node *n)
{
	/* QEMU may have closed right after its last words (GUEST_PANICKED, then power off). */
	bool gone = qmp_read_events(n->qmp) == -1;
	json_t *ev;

	while ((ev = qmp_next_event(n->qmp)) != NULL) {
		enum qmp_run r = qmp_event_run(ev);

		log_debug("node %lld: QMP event %s", (long long)n->id,
		    json_string_value(json_object_get(ev, "event")));
		if (r == QMP_RUN_IO_ERROR || r == QMP_RUN_NOSPACE)
			node_log_io_error(n, ev);
		json_decref(ev);
		node_apply_run(n, r);
	}
	if (gone) {
		rt_watch_del(qmp_fd(n->qmp));
		qmp_close(n->qmp);
		n->qmp = NULL;
	}
}
