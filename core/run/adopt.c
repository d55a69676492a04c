/*
 * adopt - taking over from a previous daemon: nodes whose process still
 * runs (checked by its command line, not just its pid) are supervised
 * again, dead ones are cleaned up, links of live ones re-wired, and our
 * marked interfaces nothing explains any more are removed (core/run/ifown).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/net/fabric.h"
#include "hv/cgroup.h"
#include "hv/jail.h"
#include "core/run/run.h"
#include "core/run/state.h"
#include "images/template.h"

/* adopt_is_ours - is pid a process of ours: does its command line name our socket? */
static bool
adopt_is_ours(pid_t pid, const char *qmp_path, const char *con_path)
{
	char path[64], buf[8192];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (false);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return (false);
	for (ssize_t i = 0; i < r; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[r] = '\0';
	if (qmp_path[0] == '\0') /* a namespace host: `labwire nshost --console PATH` */
		return (strstr(buf, " nshost ") != NULL && strstr(buf, con_path) != NULL);
	return (strstr(buf, "qemu-system") != NULL && strstr(buf, qmp_path) != NULL);
}

/* adopt_one - true when the node's process was adopted; dead ones are left for adopt_dead. */
static bool
adopt_one(const struct state_running *r)
{
	const struct template *t = template_find(r->tmpl);
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	struct rt_node *n;
	char con[108];

	if (pidfd == -1 || paths_sock(con, sizeof(con), r->node, "con") == -1 ||
	    !adopt_is_ours(r->pid, r->qmp_path, con) || !cgroup_node_holds(r->node, r->pid) ||
	    (n = node_new(r->node, r->lab, t, r->nics)) == NULL) {
		if (pidfd != -1)
			close(pidfd);
		return (false);
	}
	n->pid = r->pid;
	n->pidfd = pidfd;
	n->wired = true; /* its TAPs or veths live on with it */
	n->netns = r->qmp_path[0] == '\0';
	if (t != NULL)
		snprintf(n->ifpattern, sizeof(n->ifpattern), "%s", t->interface_pattern);
	snprintf(n->qmp_path, sizeof(n->qmp_path), "%s", r->qmp_path);
	snprintf(n->con_path, sizeof(n->con_path), "%s", con);
	paths_lab(n->log_path, sizeof(n->log_path), n->lab, r->node, "/console.log");
	n->ready = state_node_is_ready(r->node);
	/* log_off stays 0: a node not yet ready re-scans this boot's log from the start. */
	n->stopping = state_node_in(r->node, "stopping", NULL);
	rt_watch_add(pidfd, &n->w_pid);
	rt_add(n);
	log_info("node %lld: re-adopted running QEMU pid %d", (long long)r->node, (int)r->pid);
	return (true);
}

/* adopt_dead - after every live node was adopted, so shared bridges of live peers stay. */
static void
adopt_dead(const struct state_running *r)
{
	log_info("node %lld: its QEMU (pid %lld) is gone; cleaning up", (long long)r->node,
	    (long long)r->pid);
	links_unwire_node(r->node, r->nics);
	jail_node_release(r->node);
	node_remove_sockets(r->node);
	state_running_dead(r->node);
}

/*
 * adopt_links - re-reconcile every link a re-adopted node uses: the engine
 * TAPs and captures of the previous daemon went with it.
 */
static void
adopt_links(void)
{
	int64_t *ids;
	int n = state_links_of_running(&ids);

	for (int i = 0; i < n; i++)
		links_sync(ids[i], 0);
	free(ids);
}

void
adopt_all(void)
{
	struct state_running *rows;
	int n = state_running_all(&rows), removed = 0;

	for (int i = 0; i < n; i++)
		rows[i].adopted = adopt_one(&rows[i]);
	ifown_claim(rows, n); /* before anything touches an interface */
	for (int i = 0; i < n; i++)
		if (!rows[i].adopted)
			adopt_dead(&rows[i]);
	free(rows);
	state_after_restart();
	/* Without the records, running nodes' interfaces would look like orphans. */
	if (n >= 0)
		removed = ifown_sweep();
	else
		log_warnx("runtime: cannot read what a previous daemon left running");
	adopt_links();
	state_captures_restarted();
	if (removed > 0)
		log_info("removed %d leftover interface(s)", removed);
}
