/*
 * jail - the identities, cgroups and limits node processes start with.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/ids.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/base/spawn.h"
#include "hv/cgroup.h"
#include "hv/jail.h"

static const char *const jail_tools[] = {
    "qemu-img", "genisoimage", "mkfs.fat", "mcopy", "mmd", "tar", NULL};

static bool
jail_name_in(const char *name, const char *const *set)
{
	for (int i = 0; set[i] != NULL; i++)
		if (strcmp(name, set[i]) == 0)
			return (true);
	return (false);
}

/* jail_base - the binary's name: argv[0] after its last '/'. */
static const char *
jail_base(const char *arg0)
{
	const char *s = strrchr(arg0, '/');

	return (s != NULL ? s + 1 : arg0);
}

/* jail_has_sandbox - exactly one -sandbox, ours. */
static bool
jail_has_sandbox(char *const argv[])
{
	int n = 0;

	for (int i = 1; argv[i] != NULL; i++) {
		if (strcmp(argv[i], "-sandbox") != 0)
			continue;
		if (argv[i + 1] == NULL || strcmp(argv[i + 1], JAIL_QEMU_SANDBOX) != 0)
			return (false);
		n++;
	}
	return (n == 1);
}

int
jail_argv_ok(enum jail_kind kind, char *const argv[])
{
	const char *b;

	if (argv == NULL || argv[0] == NULL)
		return (0);
	b = jail_base(argv[0]);
	switch (kind) {
	case JAIL_QEMU:
		return (strncmp(b, "qemu-system-", 12) == 0 && jail_has_sandbox(argv));
	case JAIL_NSHOST:
		return (strcmp(argv[0], "/proc/self/exe") == 0 && argv[1] != NULL &&
		        strcmp(argv[1], "nshost") == 0);
	case JAIL_TOOL:
		return (jail_name_in(b, jail_tools));
	case JAIL_IMAGE:
		return (strcmp(b, "qemu-img") == 0);
	}
	return (0);
}

/* jail_cgroup - the node's cgroup with its limits; fills j's cgroup fds. */
static int
jail_cgroup(const struct jail_req *r, struct spawn_jail *j)
{
	struct cgroup_limits l = {
	    .mem_bytes = ((int64_t)r->ram_mb + lw.cfg.node_overhead_mb) << 20,
	    .pids = lw.cfg.node_pids,
	    .cpu_weight = 100 * (r->cpus > 0 && r->cpus <= 100 ? r->cpus : 1),
	    .cpu_max_pct = r->cpu_cap_pct,
	};
	int n;

	if ((n = cgroup_node_create(r->node, &l, j->cgroup_fds)) == -1)
		return (-1);
	j->ncgroups = n;
	return (0);
}

/* jail_fill - who the child becomes and what bounds it. */
static int
jail_fill(const struct jail_req *r, struct spawn_jail *j)
{
	memset(j, 0, sizeof(*j));
	if (r->kind == JAIL_IMAGE) {
		ids_tools(&j->uid, &j->gid);
	} else if (ids_node(r->node, &j->uid, &j->gid) == -1) {
		return (-1);
	}
	if (r->kind == JAIL_TOOL || r->kind == JAIL_IMAGE) {
		j->mem_bytes = (unsigned long)JAIL_TOOL_MEM_MB << 20;
		j->cpu_s = JAIL_TOOL_CPU_S;
		j->umask = 007;
		return (0);
	}
	/*
	 * QEMU makes its QMP and console sockets in the node's run directory,
	 * which only the daemon and the node may enter; the daemon (not the
	 * node's user) must be able to connect to them, hence no umask.
	 */
	j->umask = 0;
	j->keep_root = r->kind == JAIL_NSHOST;
	return (jail_cgroup(r, j));
}

pid_t
jail_spawn(const struct jail_req *r, char *const argv[], const int *fds, int nfds, int out_fd,
    int *pidfd)
{
	struct spawn_jail j;
	pid_t pid;

	if (!jail_argv_ok(r->kind, argv)) {
		log_warnx("jail: refused to start %s as kind %d", argv && argv[0] ? argv[0] : "?",
		    (int)r->kind);
		errno = EPERM;
		return (-1);
	}
	if (jail_fill(r, &j) == -1)
		return (-1);
	pid = spawn_start_jail(argv, fds, nfds, out_fd, &j, pidfd);
	for (int i = 0; i < j.ncgroups; i++)
		spawn_close_keep_errno(j.cgroup_fds[i]);
	return (pid);
}

int
jail_node_dir(int64_t node, const char *dir)
{
	uid_t du, nu;
	gid_t dg, ng;

	ids_daemon(&du, &dg);
	if (ids_node(node, &nu, &ng) == -1 || paths_mkdir_p(dir) == -1)
		return (-1);
	if (chown(dir, du, ng) == -1 || chmod(dir, 02770) == -1)
		return (-1);
	return (0);
}

int
jail_node_release(int64_t node)
{
	return (cgroup_node_remove(node));
}
