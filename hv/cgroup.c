/*
 * cgroup - per-node cgroups on v2 and hybrid hosts.
 *
 * A v2 host has one hierarchy that holds every controller; the parent's
 * cgroup.subtree_control hands memory, pids and cpu down to the nodes. A
 * hybrid host (v1 controllers plus a v2 "unified" mount, this build host)
 * has one hierarchy per controller: a node gets a directory in each, and
 * one in the unified mount for membership and cgroup.kill.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/log.h"
#include "hv/cgroup.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_REMOVE_WAIT_MS 3000

enum cg_kind { CG_V2, CG_MEMORY, CG_PIDS, CG_CPU, CG_UNIFIED };

struct cg_hier {
	enum cg_kind kind;
	char parent[PATH_MAX / 2]; /* this daemon's directory in the hierarchy */
	char rel[256];             /* the same, as /proc/PID/cgroup shows it */
};

static struct {
	const char *mode;
	struct cg_hier h[CGROUP_MAX_FDS];
	int n;
} cg = {.mode = "none"};

static int
cg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = TEMP_FAILURE_RETRY(write(fd, val, strlen(val)));
	if (n == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return (-1);
	}
	return (close(fd));
}

static int64_t
cg_read_int(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = TEMP_FAILURE_RETRY(read(fd, buf, sizeof(buf) - 1));
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if (strncmp(buf, "max", 3) == 0)
		return (INT64_MAX);
	return (strtoll(buf, NULL, 10));
}

/* No CPU cap in dir: cpu.max "max …" (v2) or cpu.cfs_quota_us -1 (v1), or unreadable. */
static bool
cg_cpu_uncapped(const char *dir, const char *file)
{
	int64_t v = cg_read_int(dir, file);

	return (v == -1 || v == INT64_MAX);
}

static bool
cg_exists(const char *path)
{
	return (access(path, F_OK) == 0);
}

static int
cg_mkdir(const char *path)
{
	return (mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0);
}

static int
cg_node_dir(const struct cg_hier *h, int64_t node, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/n%lld", h->parent, (long long)node) >= (int)len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* cg_add - make mount/labwire/instance and remember it. */
static int
cg_add(enum cg_kind kind, const char *mount, const char *instance)
{
	struct cg_hier *h = &cg.h[cg.n];
	char top[PATH_MAX];

	snprintf(top, sizeof(top), "%s/labwire", mount);
	snprintf(h->parent, sizeof(h->parent), "%s/%s", top, instance);
	snprintf(h->rel, sizeof(h->rel), "/labwire/%s", instance);
	if (cg_mkdir(top) == -1 || cg_mkdir(h->parent) == -1)
		return (-1);
	if (kind == CG_V2) {
		/* Hand the controllers down: root -> labwire -> instance -> nodes. */
		char root_ctl[PATH_MAX];

		snprintf(root_ctl, sizeof(root_ctl), "%s", mount);
		if (cg_write(root_ctl, "cgroup.subtree_control", "+memory +pids +cpu") == -1 ||
		    cg_write(top, "cgroup.subtree_control", "+memory +pids +cpu") == -1 ||
		    cg_write(h->parent, "cgroup.subtree_control", "+memory +pids +cpu") == -1)
			return (-1);
	}
	h->kind = kind;
	cg.n++;
	return (0);
}

static int
cg_init_hybrid(const char *instance)
{
	if (cg_add(CG_MEMORY, CG_ROOT "/memory", instance) == -1 ||
	    cg_add(CG_PIDS, CG_ROOT "/pids", instance) == -1 ||
	    cg_add(CG_CPU, CG_ROOT "/cpu", instance) == -1)
		return (-1);
	if (cg_exists(CG_ROOT "/unified/cgroup.procs") &&
	    cg_add(CG_UNIFIED, CG_ROOT "/unified", instance) == -1)
		return (-1);
	return (0);
}

int
cgroup_init(const char *instance, struct lw_err *e)
{
	cg.n = 0;
	if (cg_exists(CG_ROOT "/cgroup.controllers")) {
		if (cg_add(CG_V2, CG_ROOT, instance) == -1)
			return (err_set(e, ERR_UNAVAILABLE, "cgroup v2 under %s: %s", CG_ROOT,
			    strerror(errno)));
		cg.mode = "v2";
	} else if (cg_exists(CG_ROOT "/memory/memory.limit_in_bytes") &&
	    cg_exists(CG_ROOT "/pids/cgroup.procs") && cg_exists(CG_ROOT "/cpu/cgroup.procs")) {
		if (cg_init_hybrid(instance) == -1)
			return (err_set(
			    e, ERR_UNAVAILABLE, "cgroups under %s: %s", CG_ROOT, strerror(errno)));
		cg.mode = "hybrid";
	} else {
		return (err_set(e, ERR_UNAVAILABLE,
		    "no cgroup hierarchy with the memory, pids and cpu controllers under %s "
		    "(`ip netns exec` hides it: start the daemon with `nsenter "
		    "--net=/run/netns/NAME`)",
		    CG_ROOT));
	}
	log_info("cgroups: %s, nodes under %s", cg.mode, cg.h[0].parent);
	return (0);
}

const char *
cgroup_mode(void)
{
	return (cg.mode);
}

/* cg_limits - write l into node directory dir of a hierarchy of kind k. */
static int
cg_limits(enum cg_kind k, const char *dir, const struct cgroup_limits *l)
{
	char v[64];
	int r = 0;

	if (k == CG_V2 || k == CG_MEMORY) {
		snprintf(v, sizeof(v), "%lld", (long long)l->mem_bytes);
		r |= cg_write(dir, k == CG_V2 ? "memory.max" : "memory.limit_in_bytes", v);
		/* Swap is not a way around the limit (absent without swap accounting). */
		if (k == CG_V2)
			cg_write(dir, "memory.swap.max", "0");
		else
			cg_write(dir, "memory.memsw.limit_in_bytes", v);
	}
	if (k == CG_V2 || k == CG_PIDS) {
		snprintf(v, sizeof(v), "%lld", (long long)l->pids);
		r |= cg_write(dir, "pids.max", v);
	}
	if (k == CG_V2) {
		snprintf(v, sizeof(v), "%d", l->cpu_weight);
		r |= cg_write(dir, "cpu.weight", v);
		/*
		 * The cap only when there is one (or one to undo): each write walks
		 * every cgroup of the host's CPU controller, so 1,000 nodes started
		 * spent seconds there for nothing.
		 */
		if (l->cpu_max_pct > 0) {
			snprintf(v, sizeof(v), "%d 100000", l->cpu_max_pct * 1000);
			r |= cg_write(dir, "cpu.max", v);
		} else if (!cg_cpu_uncapped(dir, "cpu.max")) {
			r |= cg_write(dir, "cpu.max", "max 100000");
		}
	}
	if (k == CG_CPU) {
		/* v1 shares: 1024 is the default, as weight 100 is in v2. */
		snprintf(v, sizeof(v), "%d", l->cpu_weight * 1024 / 100);
		r |= cg_write(dir, "cpu.shares", v);
		if (l->cpu_max_pct > 0) {
			r |= cg_write(dir, "cpu.cfs_period_us", "100000");
			snprintf(v, sizeof(v), "%d", l->cpu_max_pct * 1000);
			r |= cg_write(dir, "cpu.cfs_quota_us", v);
		} else if (!cg_cpu_uncapped(dir, "cpu.cfs_quota_us")) {
			r |= cg_write(dir, "cpu.cfs_quota_us", "-1");
		}
	}
	return (r ? -1 : 0);
}

static bool
cg_limits_valid(const struct cgroup_limits *l)
{
	return (l->mem_bytes >= (16 << 20) && l->pids >= 1 && l->cpu_weight >= 1 &&
	    l->cpu_weight <= 10000 && l->cpu_max_pct >= 0 && l->cpu_max_pct <= 100 * 1024);
}

int
cgroup_node_create(int64_t node, const struct cgroup_limits *l, int *fds)
{
	char dir[PATH_MAX], procs[PATH_MAX + 16];
	int n = 0;

	if (cg.n == 0 || node < 0 || !cg_limits_valid(l)) {
		errno = cg.n == 0 ? ENOSYS : EINVAL;
		return (-1);
	}
	for (int i = 0; i < cg.n; i++) {
		if (cg_node_dir(&cg.h[i], node, dir, sizeof(dir)) == -1 || cg_mkdir(dir) == -1 ||
		    cg_limits(cg.h[i].kind, dir, l) == -1)
			goto fail;
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		if ((fds[n] = open(procs, O_WRONLY | O_CLOEXEC)) == -1)
			goto fail;
		n++;
	}
	return (n);
fail:
	log_warn("cgroup of node %lld", (long long)node);
	while (n > 0)
		close(fds[--n]);
	return (-1);
}

int64_t
cgroup_node_memory(int64_t node)
{
	char dir[PATH_MAX];

	for (int i = 0; i < cg.n; i++) {
		enum cg_kind k = cg.h[i].kind;

		if (k != CG_V2 && k != CG_MEMORY)
			continue;
		if (cg_node_dir(&cg.h[i], node, dir, sizeof(dir)) == -1)
			return (-1);
		return (cg_read_int(dir, k == CG_V2 ? "memory.current" : "memory.usage_in_bytes"));
	}
	return (-1);
}

int
cgroup_node_limits(int64_t node, int64_t *mem_bytes, int64_t *pids)
{
	char dir[PATH_MAX];

	*mem_bytes = *pids = -1;
	for (int i = 0; i < cg.n; i++) {
		enum cg_kind k = cg.h[i].kind;

		if (cg_node_dir(&cg.h[i], node, dir, sizeof(dir)) == -1)
			return (-1);
		if (k == CG_V2 || k == CG_MEMORY)
			*mem_bytes =
			    cg_read_int(dir, k == CG_V2 ? "memory.max" : "memory.limit_in_bytes");
		if (k == CG_V2 || k == CG_PIDS)
			*pids = cg_read_int(dir, "pids.max");
	}
	return (*mem_bytes > 0 && *pids > 0 ? 0 : -1);
}

/* cg_member_line - whether a /proc/PID/cgroup line puts the process in want of hierarchy h. */
static bool
cg_member_line(const struct cg_hier *h, const char *line, const char *want)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *ctl = h->kind == CG_MEMORY ? "memory" : h->kind == CG_PIDS ? "pids" : NULL;
	size_t n;

	if (c2 == NULL)
		return (false);
	if (h->kind == CG_V2 || h->kind == CG_UNIFIED) {
		if (c2 != c1 + 1) /* the v2 line is "0::/path" */
			return (false);
	} else if (ctl == NULL || (size_t)(c2 - c1 - 1) != strlen(ctl) ||
	    strncmp(c1 + 1, ctl, strlen(ctl)) != 0) {
		return (false);
	}
	n = strcspn(c2 + 1, "\n");
	return (n == strlen(want) && strncmp(c2 + 1, want, n) == 0);
}

bool
cgroup_node_holds(int64_t node, pid_t pid)
{
	char path[64], line[512], want[300];
	const struct cg_hier *h;
	bool found = false;
	FILE *f;

	if (cg.n == 0 || pid <= 0)
		return (false);
	h = &cg.h[0]; /* v2, or the memory hierarchy of a hybrid host */
	snprintf(want, sizeof(want), "%s/n%lld", h->rel, (long long)node);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (false);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = cg_member_line(h, line, want);
	fclose(f);
	return (found);
}

/* cg_list_add - id into ids[0..*n) unless there already; *n counts past max too. */
static void
cg_list_add(int64_t id, int64_t *ids, int max, int *n)
{
	for (int i = 0; i < *n && i < max; i++)
		if (ids[i] == id)
			return;
	if (*n < max)
		ids[*n] = id;
	(*n)++;
}

int
cgroup_node_list(int64_t *ids, int max)
{
	int n = 0;

	for (int i = 0; i < cg.n; i++) {
		DIR *d = opendir(cg.h[i].parent);
		struct dirent *de;

		if (d == NULL) {
			if (errno == ENOENT)
				continue;
			return (-1);
		}
		while ((de = readdir(d)) != NULL) {
			char *end;
			long long id;

			if (de->d_name[0] != 'n' || de->d_name[1] < '0' || de->d_name[1] > '9')
				continue;
			errno = 0;
			id = strtoll(de->d_name + 1, &end, 10);
			if (*end == '\0' && errno == 0 && id >= 0)
				cg_list_add((int64_t)id, ids, max, &n);
		}
		closedir(d);
	}
	return (n);
}

int
cgroup_node_procs(int64_t node, pid_t *pids, int max)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int n = 0;
	long pid;
	FILE *f;

	if (cg.n == 0 || cg_node_dir(&cg.h[0], node, dir, sizeof(dir)) == -1)
		return (0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			pids[n++] = (pid_t)pid;
	fclose(f);
	return (n);
}

/* cg_kill_procs - SIGKILL every process listed in dir/cgroup.procs; how many were listed. */
static int
cg_kill_procs(const char *dir)
{
	char path[PATH_MAX + 16];
	int n = 0;
	long pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		n++;
	}
	fclose(f);
	return (n);
}

static void
cg_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* cg_remove_dir - empty dir of processes and remove it, within CG_REMOVE_WAIT_MS. */
static int
cg_remove_dir(const char *dir)
{
	if (!cg_exists(dir))
		return (0);
	cg_write(dir, "cgroup.kill", "1"); /* v2 and unified: the kernel ends them all */
	for (int waited = 0; waited < CG_REMOVE_WAIT_MS; waited += 10) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return (0);
		if (errno != EBUSY)
			break;
		cg_kill_procs(dir);
		cg_sleep_ms(10);
	}
	log_warn("cgroup %s", dir);
	return (-1);
}

int
cgroup_node_remove(int64_t node)
{
	char dir[PATH_MAX];
	int r = 0;

	for (int i = cg.n - 1; i >= 0; i--) {
		if (cg_node_dir(&cg.h[i], node, dir, sizeof(dir)) == -1 || cg_remove_dir(dir) == -1)
			r = -1;
	}
	return (r);
}

void
cgroup_fini(void)
{
	cgroup_node_remove(0);
	/* The parent goes too when no node runs on (running nodes outlive the daemon). */
	for (int i = 0; i < cg.n; i++)
		rmdir(cg.h[i].parent);
}
