/*
 * adopt - taking over from a previous daemon, before the loop runs. In
 * this order: (1) each runtime row whose process is still the one
 * recorded (a pidfd to it, its start time as read at spawn, its argv
 * naming this node's socket under this data directory, its membership of
 * the node's cgroup) and whose node should run is supervised again; (2)
 * every other row's node is ended: the processes in its cgroup (SIGKILL
 * by pidfd, then cgroup.kill), the cgroup, its TAPs/veths and sockets; its
 * row goes, and a start the previous daemon did not finish (an intent row,
 * never confirmed) marks the node error; (3) so are node cgroups no row
 * explains: every process of this data directory lives in a node cgroup
 * under this daemon's own cgroup parent (the spawner puts it there before
 * exec), so none escapes; tools still running in the shared tools' cgroup
 * are ended too; (4) our marked interfaces nothing explains any more are
 * removed (core/run/ifown claims those of running records first) and the
 * links of adopted nodes re-wired.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/base/spawn.h"
#include "core/net/fabric.h"
#include "hv/cgroup.h"
#include "hv/jail.h"
#include "core/run/run.h"
#include "core/run/state.h"
#include "images/template.h"

#define ADOPT_ARGV_MAX (64 * 1024) /* bytes of a process's argv looked at */
#define ADOPT_CGROUPS_MAX 100000   /* node cgroups looked at in one start-up (more: logged) */
/* Processes of one node ended by pidfd (cgroup.kill does the rest). */
#define ADOPT_PROCS_MAX 4096

/*
 * adopt_argv_names - whether argv (len bytes, NUL-separated) is node's
 * process: a namespace host's `nshost --console CON`, or a QEMU whose QMP
 * chardev has path=QMP, both socket paths under this data directory.
 */
static bool
adopt_argv_names(const char *argv, size_t len, const char *qmp_path, const char *con_path)
{
	const char *a[4] = {NULL};
	char want[160];
	size_t off = 0;
	int i = 0;

	for (; off < len && i < 4; i++) {
		a[i] = argv + off;
		off += strlen(argv + off) + 1;
	}
	if (qmp_path[0] == '\0') /* a namespace host: `labwire nshost --console PATH ...` */
		return (i == 4 && strcmp(a[1], "nshost") == 0 && strcmp(a[2], "--console") == 0 &&
		    strcmp(a[3], con_path) == 0);
	if (a[0] == NULL ||
	    strncmp(strrchr(a[0], '/') ? strrchr(a[0], '/') + 1 : a[0], "qemu-system", 11) != 0)
		return (false);
	snprintf(want, sizeof(want), ",path=%s,", qmp_path);
	for (off = 0; off < len; off += strlen(argv + off) + 1)
		if (strncmp(argv + off, "socket,id=qmp0", 14) == 0 &&
		    strstr(argv + off, want) != NULL)
			return (true);
	return (false);
}

/*
 * adopt_identify - a pidfd to r's process when it still is the one
 * recorded, or -1: the pidfd pins the process, so the checks after it are
 * of that one process as long as it has not exited (checked last).
 */
static int
adopt_identify(const struct state_running *r, const char *con)
{
	unsigned long long ticks;
	char *argv = malloc(ADOPT_ARGV_MAX);
	ssize_t len;
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	const char *why = NULL;

	if (pidfd == -1 || argv == NULL)
		why = "it is gone";
	else if (r->start_ticks != 0 &&
	    (spawn_proc_start(r->pid, &ticks) == -1 || ticks != r->start_ticks))
		why = "its pid now names a process started at another time";
	else if ((len = spawn_proc_argv(r->pid, argv, ADOPT_ARGV_MAX)) <= 0 ||
	    !adopt_argv_names(argv, (size_t)len, r->qmp_path, con))
		why = "its pid now names another program";
	else if (!cgroup_node_holds(r->node, r->pid))
		why = "its pid is not in the node's cgroup";
	else if (!spawn_pidfd_alive(pidfd))
		why = "it has just exited";
	free(argv);
	if (why == NULL)
		return (pidfd);
	log_warnx("node %lld: pid %d is not its process any more: %s", (long long)r->node,
	    (int)r->pid, why);
	if (pidfd != -1)
		close(pidfd);
	return (-1);
}

/*
 * adopt_should - does the store still want r's node to run? (Its sockets
 * may not be there yet: a QEMU just spawned makes them a moment later, and
 * the loop gives it the same 30 s a fresh start has.)
 */
static bool
adopt_should(const struct state_running *r)
{
	if (state_node_should_run(r->node))
		return (true);
	log_warnx("node %lld: not re-adopting pid %d: the store says it is not running",
	    (long long)r->node, (int)r->pid);
	return (false);
}

/* adopt_one - true when the node's process was adopted; the others are ended by adopt_end. */
static bool
adopt_one(const struct state_running *r)
{
	const struct template *t = template_find(r->tmpl);
	struct rt_node *n;
	char con[108];
	int pidfd;

	if (r->intent || r->pid <= 0 || paths_sock(con, sizeof(con), r->node, "con") == -1 ||
	    (pidfd = adopt_identify(r, con)) == -1)
		return (false);
	if (!adopt_should(r) || (n = node_new(r->node, r->lab, t, r->nics)) == NULL) {
		close(pidfd);
		return (false);
	}
	n->pid = r->pid;
	n->pidfd = pidfd;
	n->netns = r->qmp_path[0] == '\0';
	n->wired = true; /* its TAPs or veths live on with it (adopt_wired checks a host's) */
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
	log_info("node %lld: re-adopted running %s pid %d", (long long)r->node,
	    n->netns ? "namespace host" : "QEMU", (int)r->pid);
	return (true);
}

/* adopt_kill - SIGKILL, each through a pidfd, the processes in node's cgroup. */
static void
adopt_kill(int64_t node)
{
	pid_t *pids = calloc(ADOPT_PROCS_MAX, sizeof(*pids));
	int n = pids ? cgroup_node_procs(node, pids, ADOPT_PROCS_MAX) : 0;

	for (int i = 0; i < n; i++) {
		int pidfd = (int)syscall(SYS_pidfd_open, pids[i], 0);

		if (pidfd == -1)
			continue;
		log_info("%s %lld: ending pid %d, left by a previous daemon",
		    node == 0 ? "tools of node" : "node", (long long)node, (int)pids[i]);
		jail_signal(node, pidfd, SIGKILL);
		close(pidfd);
	}
	free(pids);
}

/*
 * adopt_end - end whatever of node runs (not adopted): its processes, then
 * its cgroup (cgroup.kill for what the pidfds missed); its interfaces
 * (nics: as the store knows it) and sockets go.
 */
static void
adopt_end(int64_t node, int nics)
{
	adopt_kill(node);
	links_unwire_node(node, nics);
	jail_node_release(node);
	node_remove_sockets(node);
}

/*
 * adopt_wired - an adopted namespace host whose veths are not all there
 * (the previous daemon died while making them) is not wired: its links
 * leave it alone until node_netns_wire makes the missing ones. After
 * ifown_claim, so that interfaces a daemon before marks made count.
 */
static void
adopt_wired(const struct state_running *rows, int nrows)
{
	for (int i = 0; i < nrows; i++) {
		struct rt_node *n = rows[i].adopted ? rt_find(rows[i].node) : NULL;

		if (n != NULL && n->netns && !node_netns_wired(n))
			n->wired = false;
	}
}

/* adopt_dead - r's node was not adopted: end what is left of it and settle its state. */
static void
adopt_dead(const struct state_running *r)
{
	if (r->intent)
		log_warnx("node %lld: the previous daemon (%s) died while starting it; ending what "
		          "it started",
		    (long long)r->node, r->owner[0] ? r->owner : "?");
	else
		log_info("node %lld: its process (pid %lld) is not adopted; cleaning up",
		    (long long)r->node, (long long)r->pid);
	adopt_end(r->node, r->nics);
	if (r->intent)
		state_running_interrupted(r->node);
	else
		state_running_dead(r->node);
}

/*
 * adopt_cgroups - node cgroups of this data directory with no row: a
 * process whose row never got written (a store that failed) or whose
 * node's row is gone. In node 0's, the tools' (shared, so it stays), a
 * previous daemon's qemu-img or genisoimage may still write a node's
 * files: nothing of this daemon runs yet, so all of them end.
 */
static void
adopt_cgroups(const struct state_running *rows, int nrows)
{
	int64_t *ids = calloc(ADOPT_CGROUPS_MAX, sizeof(*ids));
	int n = ids ? cgroup_node_list(ids, ADOPT_CGROUPS_MAX) : -1;

	if (n > ADOPT_CGROUPS_MAX) {
		log_warnx("%d node cgroups: only the first %d are looked at", n, ADOPT_CGROUPS_MAX);
		n = ADOPT_CGROUPS_MAX;
	}
	for (int i = 0; i < n; i++) {
		bool has_row = false;

		for (int k = 0; k < nrows && !has_row; k++)
			has_row = rows[k].node == ids[i];
		if (ids[i] == 0)
			adopt_kill(0);
		if (ids[i] == 0 || has_row || rt_find(ids[i]) != NULL)
			continue;
		log_warnx("node %lld: a cgroup with no runtime record; ending what is in it",
		    (long long)ids[i]);
		adopt_end(ids[i], (int)state_node_nics(ids[i]));
	}
	free(ids);
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
	adopt_wired(rows, n);
	/* Dead ones after every live node was adopted, so shared bridges of live peers stay. */
	for (int i = 0; i < n; i++)
		if (!rows[i].adopted)
			adopt_dead(&rows[i]);
	if (n >= 0)
		adopt_cgroups(rows, n);
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
