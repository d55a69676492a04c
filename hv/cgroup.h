/*
 * cgroup - one cgroup per running node, under a parent of this daemon's
 * own (labwire/<instance>), so a node's processes share its memory, pids
 * and CPU limits and can be counted, measured and ended together. It
 * works on a cgroup v2 host and on a hybrid one (v1 memory, pids and cpu
 * controllers, plus the v2 "unified" mount, used for membership and
 * cgroup.kill). It creates and removes only directories under its parent,
 * named from node ids; it never moves a process itself: the spawner joins
 * its child through the cgroup.procs fds handed out here.
 */
#ifndef LW_CGROUP_H
#define LW_CGROUP_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/base/err.h"

#define CGROUP_MAX_FDS 4 /* memory, pids, cpu, unified */

struct cgroup_limits {
	int64_t mem_bytes; /* memory limit */
	int64_t pids;      /* processes and threads */
	int cpu_weight;    /* relative share, 1..10000 (v2 terms; 100 is the default) */
	int cpu_max_pct;   /* cap in percent of one CPU (100 = one CPU); 0: none */
};

/*
 * cgroup_init - find the hierarchies and make this daemon's parent, named
 * from instance (e.g. a hash of the data directory); 0, or -1 with e set.
 * Without a usable cgroup hierarchy it fails: nodes must not run unlimited.
 */
int cgroup_init(const char *instance, struct lw_err *e);
/* cgroup_mode - "v2", "hybrid" (v1 controllers + unified), or "none" before init. */
const char *cgroup_mode(void);
/*
 * cgroup_node_create - make (or reuse) node's cgroup with limits l (node 0:
 * the one every tool run shares); fills
 * fds with its cgroup.procs files (O_WRONLY, close-on-exec; the caller
 * closes them) and returns how many, or -1 with errno.
 */
int cgroup_node_create(int64_t node, const struct cgroup_limits *l, int *fds);
/* cgroup_node_memory - bytes node's processes use now, or -1 (no cgroup). */
int64_t cgroup_node_memory(int64_t node);
/* cgroup_node_limits - read back the memory and pids limits in force; 0 or -1. */
int cgroup_node_limits(int64_t node, int64_t *mem_bytes, int64_t *pids);
/* cgroup_node_holds - whether pid is a member of node's cgroup. */
bool cgroup_node_holds(int64_t node, pid_t pid);
/*
 * cgroup_node_list - the node ids (0: the tools' cgroup) that have a
 * cgroup under this daemon's parent, in any hierarchy, up to max; how
 * many there are (may exceed max), or -1 with errno.
 */
int cgroup_node_list(int64_t *ids, int max);
/* cgroup_node_procs - the pids in node's cgroup, up to max; how many were read (0: none/no cgroup).
 */
int cgroup_node_procs(int64_t node, pid_t *pids, int max);
/* cgroup_node_remove - SIGKILL whatever is left in node's cgroup and remove it; 0 or -1. */
int cgroup_node_remove(int64_t node);
/*
 * cgroup_fini - at the daemon's end: remove the tools' cgroup (ending any
 * tool still running) and this daemon's parent when no node is left in it.
 */
void cgroup_fini(void);
#endif
