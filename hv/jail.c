/*
 * jail - the identities, cgroups and limits node processes start with.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "core/base/config.h"
#include "core/base/ids.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "core/base/priv.h"
#include "core/base/spawn.h"
#include "hv/cgroup.h"
#include "hv/jail.h"

#define JAIL_PIDS_MAX 65536 /* processes started and not yet reaped */

static int jail_started_add(pid_t pid);
static bool jail_started_full(void);
static pid_t jail_spawn_nshost(
    const struct jail_req *r, char **argv, const int *fds, int nfds, int out_fd, int *pidfd);

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

/*
 * jail_has_sandbox - ours first (argv[1], argv[2]: no option before it can
 * swallow it as its value), and no other anywhere, in either spelling.
 */
static bool
jail_has_sandbox(char *const argv[])
{
	if (argv[1] == NULL || strcmp(argv[1], "-sandbox") != 0 || argv[2] == NULL ||
	    strcmp(argv[2], JAIL_QEMU_SANDBOX) != 0)
		return (false);
	for (int i = 3; argv[i] != NULL; i++) {
		/* Options that could reach the sandbox's settings by another way, too. */
		const char *o = argv[i][0] == '-' && argv[i][1] == '-' ? argv[i] + 1 : argv[i];

		if (strncmp(o, "-sandbox", 8) == 0 || strncmp(o, "-readconfig", 11) == 0 ||
		    strcmp(o, "-set") == 0 || strncmp(o, "-set=", 5) == 0)
			return (false);
	}
	return (true);
}

/* jail_root_only - owned by root and writable by nobody else (group, others). */
static bool
jail_root_only(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 && st.st_uid == 0 && (st.st_mode & 022) == 0);
}

/*
 * jail_binary_ok - a binary named (the parent finds it in its own PATH),
 * or a path to one only root could have put there (a template's own QEMU):
 * never a file the unprivileged daemon or a node wrote.
 */
static bool
jail_binary_ok(const char *s)
{
	char dir[PATH_MAX], *slash;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(dir))
		return (false);
	if (s[0] != '/')
		return (n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n &&
		    s[0] != '.' && s[0] != '-');
	memcpy(dir, s, n + 1);
	if ((slash = strrchr(dir, '/')) == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return (jail_root_only(s) && jail_root_only(dir));
}

/* jail_tar_ok - `tar -czf OUT -C DIR -- NAME...`: after "--" every word is a file. */
static bool
jail_tar_ok(char *const argv[])
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return (n >= 7 && strcmp(argv[1], "-czf") == 0 && strcmp(argv[3], "-C") == 0 &&
	    strcmp(argv[5], "--") == 0 && argv[2][0] != '-' && argv[4][0] != '-');
}

int
jail_argv_ok(enum jail_kind kind, char *const argv[])
{
	const char *b;

	if (argv == NULL || argv[0] == NULL)
		return (0);
	if (kind != JAIL_NSHOST && !jail_binary_ok(argv[0]))
		return (0);
	b = jail_base(argv[0]);
	switch (kind) {
	case JAIL_QEMU:
		return (strncmp(b, "qemu-system-", 12) == 0 && jail_has_sandbox(argv));
	case JAIL_NSHOST:
		return (strcmp(argv[0], "/proc/self/exe") == 0 && argv[1] != NULL &&
		    strcmp(argv[1], "nshost") == 0);
	case JAIL_TOOL:
		/* tar can run programs (-I, --to-command ...): only the one shape configdrive uses.
		 */
		if (strcmp(b, "tar") == 0)
			return (jail_tar_ok(argv));
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

/*
 * jail_tools_cgroup - every tool run shares one cgroup (n0): processes can
 * neither outlive nor outnumber what it allows, whoever's user they run as.
 */
static int
jail_tools_cgroup(struct spawn_jail *j)
{
	struct cgroup_limits l = {.mem_bytes = (int64_t)JAIL_TOOLS_CG_MB << 20,
	    .pids = JAIL_TOOLS_PIDS,
	    .cpu_weight = 100};
	int n;

	if ((n = cgroup_node_create(0, &l, j->cgroup_fds)) == -1)
		return (-1);
	j->ncgroups = n;
	return (0);
}

/* jail_kvm_group - the group /dev/kvm is opened through (root:kvm 0660 on Debian). */
static int
jail_kvm_group(gid_t *g)
{
	struct stat st;

	if (stat("/dev/kvm", &st) == -1)
		return (-1);
	if (st.st_gid == 0 || (st.st_mode & (S_IRGRP | S_IWGRP)) != (S_IRGRP | S_IWGRP)) {
		errno = EACCES; /* a node's uid is never given root's group */
		return (-1);
	}
	*g = st.st_gid;
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
		j->pinned = true;
		return (jail_tools_cgroup(j));
	}
	/*
	 * QEMU makes its QMP and console sockets in the node's run directory,
	 * which only the daemon and the node may enter; the daemon (not the
	 * node's user) must be able to connect to them, hence no umask.
	 */
	j->umask = 0;
	j->keep_root = r->kind == JAIL_NSHOST;
	j->pinned = r->kind != JAIL_NSHOST; /* nshost is this very binary (/proc/self/exe) */
	if (r->kind == JAIL_QEMU && r->kvm && jail_kvm_group(&j->group) == -1)
		return (-1);
	return (jail_cgroup(r, j));
}

/* jail_spawn_local - the spawn itself (the privileged side's). */
static pid_t
jail_spawn_local(
    const struct jail_req *r, char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd)
{
	struct spawn_jail j;
	pid_t pid;

	if (!jail_argv_ok(r->kind, argv)) {
		log_warnx("jail: refused to start %s as kind %d", argv && argv[0] ? argv[0] : "?",
		    (int)r->kind);
		errno = EPERM;
		return (-1);
	}
	if (jail_started_full()) {
		log_warnx(
		    "jail: %d processes started and not reaped: refusing more", JAIL_PIDS_MAX);
		errno = EAGAIN;
		return (-1);
	}
	if (jail_fill(r, &j) == -1)
		return (-1);
	pid = spawn_start_jail(argv, fds, nfds, out_fd, &j, pidfd);
	for (int i = 0; i < j.ncgroups; i++)
		spawn_close_keep_errno(j.cgroup_fds[i]);
	if (pid == -1 && (r->kind == JAIL_QEMU || r->kind == JAIL_NSHOST)) {
		int saved = errno;

		cgroup_node_remove(r->node); /* made for a process that never ran */
		errno = saved;
	}
	if (pid != -1)
		jail_started_add(pid); /* room checked above */
	return (pid);
}

static int
jail_node_path(int64_t lab, int64_t node, bool run, char *dir, size_t len)
{
	if (lab <= 0 ||
	    (run ? paths_sock(dir, len, node, NULL) : paths_lab(dir, len, lab, node, NULL)) == -1) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/*
 * jail_beneath - open path (relative to the data directory) as a
 * directory, refusing any symbolic link on the way: the directories above
 * a node's are the unprivileged daemon's, which could have swapped one for
 * a link to make root chown something else.
 */
static int
jail_beneath(const char *rel)
{
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH};
	int data, fd;

	if ((data = open(lw.cfg.data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	fd = (int)syscall(SYS_openat2, data, rel, &how, sizeof(how));
	spawn_close_keep_errno(data);
	return (fd);
}

/* jail_node_dir_local - the node's directory itself; its parents are the caller's (the daemon's).
 */
static int
jail_node_dir_local(int64_t lab, int64_t node, bool run)
{
	char dir[PATH_MAX], *rel, *leaf;
	size_t dl = strlen(lw.cfg.data_dir);
	int pfd, fd, r = -1;
	struct stat st;
	bool made;
	uid_t du, nu;
	gid_t dg, ng;

	ids_daemon(&du, &dg);
	if (ids_node(node, &nu, &ng) == -1 ||
	    jail_node_path(lab, node, run, dir, sizeof(dir)) == -1)
		return (-1);
	rel = dir + dl + 1; /* paths_* put the data directory first */
	if ((leaf = strrchr(rel, '/')) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	*leaf++ = '\0';
	if ((pfd = jail_beneath(rel)) == -1)
		return (-1);
	made = mkdirat(pfd, leaf, 02770) == 0;
	if (!made && errno != EEXIST)
		goto out;
	if ((fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto out;
	/* Ours to hand over: one just made, or the daemon's own; not a directory moved in. */
	if (fstat(fd, &st) == -1 || (!made && st.st_uid != du)) {
		priv_warn(
		    "node %lld's directory %s/%s is not the daemon's", (long long)node, rel, leaf);
		errno = EPERM;
	} else {
		r = fchown(fd, du, ng) == -1 || fchmod(fd, 02770) == -1 ? -1 : 0;
	}
	spawn_close_keep_errno(fd);
out:
	spawn_close_keep_errno(pfd);
	return (r);
}

/* ---- what the privileged parent started: only those may be reaped or signalled by pid ---- */

static struct {
	pid_t *v;
	size_t n, cap;
} started;

static int
jail_started_add(pid_t pid)
{
	if (started.n == started.cap) {
		size_t cap = started.cap ? started.cap * 2 : 64;
		pid_t *v;

		if (cap > JAIL_PIDS_MAX || (v = realloc(started.v, cap * sizeof(*v))) == NULL)
			return (-1);
		started.v = v;
		started.cap = cap;
	}
	started.v[started.n++] = pid;
	return (0);
}

static bool
jail_started_full(void)
{
	return (started.n >= JAIL_PIDS_MAX);
}

static bool
jail_started_has(pid_t pid, bool remove)
{
	for (size_t i = 0; i < started.n; i++) {
		if (started.v[i] != pid)
			continue;
		if (remove)
			started.v[i] = started.v[--started.n];
		return (true);
	}
	return (false);
}

static int
jail_reap_local(pid_t pid, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG) == -1)
		return (-1);
	if (si->si_pid == pid)
		jail_started_has(pid, true);
	return (0);
}

static int
jail_signal_local(int64_t node, int pidfd, int sig)
{
	pid_t pid = spawn_pidfd_pid(pidfd);

	if (sig != SIGTERM && sig != SIGKILL) {
		errno = EINVAL;
		return (-1);
	}
	if (pid <= 0 && errno == ESRCH)
		return (
		    -1); /* gone already (a stop racing an exit), or no pidfd: nothing is sent */
	/* Any other doubt (no fdinfo, no fd left to read it with) refuses. */
	if (pid <= 0 || (!jail_started_has(pid, false) && !cgroup_node_holds(node, pid))) {
		priv_warn("signal %d to pid %d, neither ours nor in node %lld's "
		          "cgroup",
		    sig, (int)pid, (long long)node);
		errno = EPERM;
		return (-1);
	}
	return ((int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
}

/* ---- the unprivileged daemon's side ---- */

struct jail_wreq {
	int32_t kind;
	int32_t ram_mb, cpus, cpu_cap_pct;
	int64_t lab, node;
	uint32_t argc;
	uint32_t kvm;
};

struct jail_wnode {
	int64_t lab, node;
	int32_t sig, run;
	int32_t pid;
	int32_t pad;
};

static pid_t
jail_spawn_remote(
    const struct jail_req *r, char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd)
{
	static __thread _Alignas(16) char msg[PRIV_MSG_MAX];
	struct jail_wreq w = {
	    r->kind, r->ram_mb, r->cpus, r->cpu_cap_pct, r->lab, r->node, 0, r->kvm ? 1 : 0};
	struct priv_reply rep = {0};
	int sfds[SPAWN_MAX_FDS + 1];
	size_t off = sizeof(w);
	int pid;

	if (nfds < 0 || nfds > SPAWN_MAX_FDS || out_fd < 0) {
		errno = EINVAL;
		return (-1);
	}
	for (; argv[w.argc] != NULL; w.argc++) {
		size_t n = strlen(argv[w.argc]) + 1;

		if (w.argc >= JAIL_ARGC_MAX || off + n > sizeof(msg)) {
			errno = E2BIG;
			return (-1);
		}
		memcpy(msg + off, argv[w.argc], n);
		off += n;
	}
	memcpy(msg, &w, sizeof(w));
	sfds[0] = out_fd;
	if (nfds > 0)
		memcpy(sfds + 1, fds, sizeof(int) * (size_t)nfds);
	if ((pid = priv_call(PRIV_SPAWN, msg, off, sfds, nfds + 1, &rep)) == -1)
		return (-1);
	if (rep.nfds != 1) {
		for (int i = 0; i < rep.nfds; i++)
			close(rep.fds[i]);
		errno = EPROTO;
		return (-1);
	}
	*pidfd = rep.fds[0];
	return ((pid_t)pid);
}

static int
jail_node_call(enum priv_type t, int64_t lab, int64_t node, int sig, int run, pid_t pid, int fd,
    void *out, size_t outlen)
{
	struct jail_wnode w = {lab, node, sig, run, (int32_t)pid, 0};
	struct priv_reply rep = {.data = out, .cap = outlen};
	int r = priv_call(t, &w, sizeof(w), fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0, &rep);

	for (int i = 0; i < rep.nfds; i++)
		close(rep.fds[i]);
	if (r >= 0 && rep.len != outlen) {
		errno = EPROTO;
		return (-1);
	}
	return (r);
}

pid_t
jail_spawn(
    const struct jail_req *r, char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd)
{
	if (priv_remote())
		return (jail_spawn_remote(r, argv, fds, nfds, out_fd, pidfd));
	if (r->kind == JAIL_NSHOST)
		return (jail_spawn_nshost(r, (char **)argv, fds, nfds, out_fd, pidfd));
	return (jail_spawn_local(r, argv, fds, nfds, out_fd, pidfd));
}

int
jail_reap(pid_t pid, int pidfd, siginfo_t *si)
{
	struct {
		int32_t code, status;
	} w;

	(void)pidfd;
	/*
	 * One reaper for both modes, so the table of what was started empties
	 * with --privsep off too. Adopted processes are not our children:
	 * ECHILD, si zeroed, nothing to reap.
	 */
	if (!priv_remote())
		return (jail_reap_local(pid, si));
	memset(si, 0, sizeof(*si));
	if (jail_node_call(PRIV_REAP, 0, 0, 0, 0, pid, -1, &w, sizeof(w)) == -1)
		return (-1);
	si->si_pid = pid;
	si->si_code = w.code;
	si->si_status = w.status;
	return (0);
}

int
jail_signal(int64_t node, int pidfd, int sig)
{
	if (!priv_remote())
		return (jail_signal_local(node, pidfd, sig));
	return (jail_node_call(PRIV_SIGNAL, 0, node, sig, 0, 0, pidfd, NULL, 0));
}

int
jail_wait(pid_t pid, int pidfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	siginfo_t si;
	int r = 1, err = 0;

	if ((r = TEMP_FAILURE_RETRY(poll(&pfd, 1, timeout_ms))) == 0) {
		jail_signal(0, pidfd, SIGKILL);
		TEMP_FAILURE_RETRY(poll(&pfd, 1, -1));
	}
	err = r == -1 ? errno : 0;
	if (r == -1)
		TEMP_FAILURE_RETRY(poll(&pfd, 1, -1));
	if (jail_reap(pid, pidfd, &si) == -1) {
		close(pidfd);
		return (-1);
	}
	close(pidfd);
	errno = r == 0 ? ETIMEDOUT : err;
	if (r <= 0 || si.si_code != CLD_EXITED)
		return (-1);
	return (si.si_status);
}

int
jail_node_dir(int64_t lab, int64_t node, bool run)
{
	char dir[PATH_MAX], *slash;

	/* The directories above are the daemon's own: it makes them, and may remove them. */
	if (jail_node_path(lab, node, run, dir, sizeof(dir)) == -1)
		return (-1);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (paths_mkdir_p(dir) == -1)
		return (-1);
	if (!priv_remote())
		return (jail_node_dir_local(lab, node, run));
	return (jail_node_call(PRIV_NODE_DIR, lab, node, 0, run, 0, -1, NULL, 0));
}

int
jail_node_release(int64_t node)
{
	if (!priv_remote())
		return (cgroup_node_remove(node));
	return (jail_node_call(PRIV_NODE_RELEASE, 0, node, 0, 0, 0, -1, NULL, 0));
}

/* ---- the privileged parent's handlers ---- */

static bool
jail_wreq_ok(const struct jail_wreq *w)
{
	uid_t u;
	gid_t g;

	if (w->kind < JAIL_QEMU || w->kind > JAIL_IMAGE || w->argc < 1 || w->argc > JAIL_ARGC_MAX ||
	    w->kvm > 1 || (w->kvm && w->kind != JAIL_QEMU))
		return (false);
	if (w->kind == JAIL_IMAGE)
		return (w->node == 0);
	return (ids_node(w->node, &u, &g) == 0 && w->ram_mb >= 0 && w->ram_mb <= (1 << 20) &&
	    w->cpus >= 0 && w->cpus <= 1024 && w->cpu_cap_pct >= 0 &&
	    w->cpu_cap_pct <= 100 * 1024 && w->lab >= 0);
}

/* jail_argv_parse - exactly argc NUL-terminated strings filling [p, end). */
static int
jail_argv_parse(const char *p, const char *end, uint32_t argc, char **argv)
{
	for (uint32_t i = 0; i < argc; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			return (-1);
		argv[i] = (char *)p;
		p = nul + 1;
	}
	argv[argc] = NULL;
	return (p == end ? 0 : -1);
}

/*
 * jail_nshost_ok - the namespace host's supervisor stays root, so its argv
 * is held to the one shape start.c builds: --console the socket this
 * node's id gives (made through --console-dir-fd 3, the run directory the
 * parent opens itself), --config-fd 4 only the fd passed with it (read,
 * never reopened, as root), --id the node's uid. Its other values are
 * checked by nshost itself.
 */
static bool
jail_nshost_ok(const struct jail_wreq *w, char **argv, int nfds)
{
	char con[PATH_MAX], id[32];
	uid_t u;
	gid_t g;
	uint32_t n = w->argc;

	if (ids_node(w->node, &u, &g) == -1 || paths_sock(con, sizeof(con), w->node, "con") == -1)
		return (false);
	snprintf(id, sizeof(id), "%u", (unsigned)u);
	if ((n != 14 && n != 16) || strcmp(argv[2], "--console") != 0 ||
	    strcmp(argv[3], con) != 0 || strcmp(argv[4], "--hostname") != 0 ||
	    strcmp(argv[6], "--nics") != 0 || strcmp(argv[8], "--ifpattern") != 0 ||
	    strcmp(argv[10], "--id") != 0 || strcmp(argv[11], id) != 0 ||
	    strcmp(argv[12], "--console-dir-fd") != 0 || strcmp(argv[13], "3") != 0)
		return (false);
	if (n == 14)
		return (nfds == 0);
	return (strcmp(argv[14], "--config-fd") == 0 && strcmp(argv[15], "4") == 0 && nfds == 1);
}

int
jail_spawn_decode(const void *data, size_t len, int nfds, struct jail_req *r, char **argv)
{
	const char *p = data;
	struct jail_wreq w;

	if (len < sizeof(w) + 2 || len > PRIV_MSG_MAX) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(&w, p, sizeof(w));
	if (!jail_wreq_ok(&w) || nfds < 1 || nfds > SPAWN_MAX_FDS + 1 ||
	    jail_argv_parse(p + sizeof(w), p + len, w.argc, argv) == -1) {
		priv_warn("spawn: a malformed request (kind %d, node %lld)", (int)w.kind,
		    (long long)w.node);
		errno = EINVAL;
		return (-1);
	}
	if (w.kind == JAIL_NSHOST && !jail_nshost_ok(&w, argv, nfds - 1)) {
		priv_warn(
		    "spawn: a namespace host's argv not of node %lld's shape", (long long)w.node);
		errno = EPERM;
		return (-1);
	}
	*r = (struct jail_req){
	    (enum jail_kind)w.kind, w.lab, w.node, w.ram_mb, w.cpus, w.cpu_cap_pct, w.kvm != 0};
	if (!jail_argv_ok(r->kind, argv)) {
		priv_warn("spawn: %s is not a binary of kind %d", argv[0], (int)r->kind);
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/* jail_spawn_nshost - a namespace host, its run directory (opened here, no links) at fd 3. */
static pid_t
jail_spawn_nshost(
    const struct jail_req *r, char **argv, const int *fds, int nfds, int out_fd, int *pidfd)
{
	int all[SPAWN_MAX_FDS], dfd;
	char rel[64];
	pid_t pid;

	snprintf(rel, sizeof(rel), "run/n%lld", (long long)r->node);
	if (nfds + 1 > SPAWN_MAX_FDS || (dfd = jail_beneath(rel)) == -1)
		return (-1);
	all[0] = dfd;
	if (nfds > 0)
		memcpy(all + 1, fds, sizeof(int) * (size_t)nfds);
	pid = jail_spawn_local(r, argv, all, nfds + 1, out_fd, pidfd);
	spawn_close_keep_errno(dfd);
	return (pid);
}

static void
jail_h_spawn(const struct priv_req *req, struct priv_reply *rep)
{
	char *argv[JAIL_ARGC_MAX + 1];
	struct jail_req r;
	int pidfd;
	pid_t pid;

	if (jail_spawn_decode(req->data, req->len, req->nfds, &r, argv) == -1) {
		rep->result = -1;
		rep->err = errno;
		return;
	}
	if (r.kind == JAIL_NSHOST) {
		pid = jail_spawn_nshost(&r, argv, req->fds + 1, req->nfds - 1, req->fds[0], &pidfd);
	} else {
		pid = jail_spawn_local(&r, argv, req->fds + 1, req->nfds - 1, req->fds[0], &pidfd);
	}
	if (pid == -1) {
		rep->result = -1;
		rep->err = errno;
		return;
	}
	rep->result = (int32_t)pid;
	rep->fds[rep->nfds++] = pidfd;
}

static void
jail_h_node(const struct priv_req *req, struct priv_reply *rep)
{
	struct jail_wnode w;
	uid_t u;
	gid_t g;

	memcpy(&w, req->data, sizeof(w));
	if (req->type == PRIV_REAP) {
		siginfo_t si;
		struct {
			int32_t code, status;
		} out;

		if (!jail_started_has(w.pid, false)) {
			priv_refuse(rep, ECHILD, "reap: pid %d was not started here", (int)w.pid);
			return;
		}
		rep->result = jail_reap_local(w.pid, &si);
		rep->err = errno;
		out.code = si.si_code;
		out.status = si.si_status;
		memcpy(rep->data, &out, sizeof(out));
		rep->len = sizeof(out);
		return;
	}
	if (req->type != PRIV_SIGNAL && ids_node(w.node, &u, &g) == -1) {
		priv_refuse(rep, EINVAL, "node id %lld is out of range", (long long)w.node);
		return;
	}
	switch (req->type) {
	case PRIV_SIGNAL:
		rep->result = req->nfds == 1 ? jail_signal_local(w.node, req->fds[0], w.sig) : -1;
		break;
	case PRIV_NODE_DIR:
		rep->result = jail_node_dir_local(w.lab, w.node, w.run != 0);
		break;
	default:
		rep->result = cgroup_node_remove(w.node);
		break;
	}
	rep->err = rep->result == -1 ? errno : 0;
}

void
jail_priv_register(void)
{
	size_t n = sizeof(struct jail_wnode);

	priv_handle(PRIV_SPAWN, sizeof(struct jail_wreq) + 2, PRIV_MSG_MAX, SPAWN_MAX_FDS + 1,
	    jail_h_spawn);
	priv_handle(PRIV_REAP, n, n, 0, jail_h_node);
	priv_handle(PRIV_SIGNAL, n, n, 1, jail_h_node);
	priv_handle(PRIV_NODE_DIR, n, n, 0, jail_h_node);
	priv_handle(PRIV_NODE_RELEASE, n, n, 0, jail_h_node);
}
