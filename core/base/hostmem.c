/*
 * hostmem - the host's memory and the start check's arithmetic (see hostmem.h).
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "core/base/hostmem.h"
#include "core/base/log.h"

/*
 * MemTotal in MiB, or -1. /proc/meminfo rather than sysinfo(2): a container
 * that shows its own memory (LXCFS) does so there.
 */
static int64_t
hostmem_meminfo_mb(const char *path)
{
	char line[256];
	long long kb;
	int64_t mb = -1;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return (-1);
	while (mb == -1 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1 && kb > 0)
			mb = kb / 1024;
	fclose(f);
	return (mb);
}

/* A cgroup limit file (bytes, or "max": none) in MiB, or -1 when none is set or readable. */
static int64_t
hostmem_limit_file_mb(const char *path)
{
	char buf[64];
	long long bytes;
	FILE *f = fopen(path, "re");
	bool got;

	if (f == NULL)
		return (-1);
	got = fgets(buf, sizeof(buf), f) != NULL && sscanf(buf, "%lld", &bytes) == 1 && bytes > 0;
	fclose(f);
	return (got ? bytes / (1024 * 1024) : -1);
}

/* The smaller of two limits, where -1 is none. */
static int64_t
hostmem_min(int64_t a, int64_t b)
{
	if (a == -1)
		return (b);
	if (b == -1)
		return (a);
	return (a < b ? a : b);
}

/*
 * The lowest limit in file on cgroup path and every cgroup above it, under
 * the hierarchy mounted at mnt: a parent's limit binds its children too.
 * A path the mount does not show (a container sees its own cgroup as the
 * root) finds nothing until the walk reaches the mount's own root.
 */
static int64_t
hostmem_limit_walk(const char *mnt, const char *path, const char *file)
{
	char p[PATH_MAX], f[PATH_MAX * 2];
	int64_t best = -1;
	char *slash;

	snprintf(p, sizeof(p), "%s", strcmp(path, "/") == 0 ? "" : path);
	for (;;) {
		snprintf(f, sizeof(f), "%s%s/%s", mnt, p, file);
		best = hostmem_min(best, hostmem_limit_file_mb(f));
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	return (best);
}

/* Whether the comma-separated controller list ctl names the memory controller. */
static bool
hostmem_is_memory(const char *ctl)
{
	size_t len = strlen("memory");

	for (const char *c = ctl;; c++) {
		if (strncmp(c, "memory", len) == 0 && (c[len] == ',' || c[len] == '\0'))
			return (true);
		if ((c = strchr(c, ',')) == NULL)
			return (false);
	}
}

/*
 * The daemon's memory cgroup limit in MiB, or -1: self_cgroup lines are
 * "ID:CONTROLLERS:PATH"; cgroup v1 keeps memory in its own hierarchy
 * (ROOT/memory, memory.limit_in_bytes), v2 in the unified one (ROOT, or
 * ROOT/unified on a hybrid host; memory.max).
 */
static int64_t
hostmem_cgroup_mb(const char *self_cgroup, const char *root)
{
	char line[PATH_MAX + 128], mnt[PATH_MAX];
	int64_t best = -1;
	char *ctl, *path;
	FILE *f = fopen(self_cgroup, "re");

	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL || (path = strchr(ctl + 1, ':')) == NULL)
			continue;
		*ctl++ = '\0';
		*path++ = '\0';
		if (ctl[0] == '\0') {
			best = hostmem_min(best, hostmem_limit_walk(root, path, "memory.max"));
			snprintf(mnt, sizeof(mnt), "%s/unified", root);
			best = hostmem_min(best, hostmem_limit_walk(mnt, path, "memory.max"));
		} else if (hostmem_is_memory(ctl)) {
			snprintf(mnt, sizeof(mnt), "%s/memory", root);
			best = hostmem_min(
			    best, hostmem_limit_walk(mnt, path, "memory.limit_in_bytes"));
		}
	}
	fclose(f);
	return (best);
}

void
hostmem_read_from(const char *meminfo, const char *self_cgroup, const char *cgroup_root,
    double overcommit, struct hostmem *m)
{
	static bool warned;
	struct sysinfo si;
	int64_t limit;

	memset(m, 0, sizeof(*m));
	m->overcommit = overcommit;
	if ((m->total_mb = hostmem_meminfo_mb(meminfo)) == -1) {
		m->total_mb = 0;
		if (sysinfo(&si) == 0)
			m->total_mb =
			    (int64_t)((unsigned long long)si.totalram * si.mem_unit >> 20);
		if (!warned)
			log_warnx("%s has no MemTotal; the host's memory is taken from sysinfo "
			          "(%lld MiB)",
			    meminfo, (long long)m->total_mb);
		warned = true;
	}
	limit = self_cgroup != NULL ? hostmem_cgroup_mb(self_cgroup, cgroup_root) : -1;
	if (limit > 0 && limit < m->total_mb)
		m->limit_mb = limit;
	m->budget_mb =
	    (int64_t)floor((double)(m->limit_mb ? m->limit_mb : m->total_mb) * overcommit);
}

void
hostmem_read(double overcommit, struct hostmem *m)
{
	/*
	 * Nodes run in cgroups of their own (hv/cgroup: labwire/<instance>/n<id>
	 * at the hierarchies' root), not in the daemon's: its limit is not
	 * theirs, so only the host's memory counts.
	 */
	hostmem_read_from("/proc/meminfo", NULL, "/sys/fs/cgroup", overcommit, m);
}

int
hostmem_admit(const struct hostmem *m, int64_t needed_mb, int64_t committed_mb, struct lw_err *e)
{
	char ratio[32];

	/* A start of nothing commits nothing; an unknown host is not a reason to refuse. */
	if (needed_mb <= 0 || m->total_mb <= 0 || committed_mb + needed_mb <= m->budget_mb)
		return (0);
	snprintf(ratio, sizeof(ratio), "%g", m->overcommit);
	if (strpbrk(ratio, ".e") == NULL)
		strcat(ratio, ".0"); /* "1.0", as the option is written, not "1" */
	err_set(e, ERR_UNAVAILABLE,
	    "not enough host memory: the start needs %lld MiB, %lld MiB is committed to running "
	    "and starting nodes, the host allows %lld MiB (%s %lld MiB × --mem-overcommit %s)",
	    (long long)needed_mb, (long long)committed_mb, (long long)m->budget_mb,
	    m->limit_mb ? "the daemon's memory cgroup limit" : "memory",
	    (long long)(m->limit_mb ? m->limit_mb : m->total_mb), ratio);
	err_num(e, "needed_mb", needed_mb);
	err_num(e, "committed_mb", committed_mb);
	err_num(e, "available_mb", m->budget_mb);
	return (-1);
}
