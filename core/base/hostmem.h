/*
 * hostmem - the memory this host lets guests have, and the arithmetic of
 * the start check (admission): MemTotal from /proc/meminfo (or, for a
 * caller that names one, lowered to a memory cgroup's limit set below it),
 * times --mem-overcommit. Both checks, the one a start request makes and the one
 * a staged boot makes at its turn, go through hostmem_admit, so they
 * cannot disagree. It reads files and counts: the RAM committed to nodes
 * comes from the caller (the store is not this floor's), and it keeps no
 * state between calls, so a host whose memory changes is seen at once.
 */
#ifndef LW_HOSTMEM_H
#define LW_HOSTMEM_H

#include <stdint.h>

#include "core/base/err.h"

struct hostmem {
	int64_t total_mb;  /* MemTotal (0: unknown, the check then lets every start pass) */
	int64_t limit_mb;  /* the daemon's memory cgroup limit when below total_mb, else 0 */
	double overcommit; /* --mem-overcommit */
	int64_t budget_mb; /* (limit_mb, else total_mb) × overcommit, rounded down */
};

/* hostmem_read - the host's memory now, with the given overcommit; fills m. */
void hostmem_read(double overcommit, struct hostmem *m);
/*
 * hostmem_read_from - hostmem_read with the files named: meminfo (as
 * /proc/meminfo), self_cgroup (as /proc/self/cgroup: whose memory cgroup
 * limit lowers the total; NULL: none) and cgroup_root (where the cgroup
 * hierarchies are mounted, as /sys/fs/cgroup). For tests.
 */
void hostmem_read_from(const char *meminfo, const char *self_cgroup, const char *cgroup_root,
    double overcommit, struct hostmem *m);
/*
 * hostmem_admit - may a start that needs needed_mb more begin while
 * committed_mb is committed to nodes? 0, or -1 with ERR_UNAVAILABLE in e:
 * a message with the numbers and, as the error's fields, needed_mb,
 * committed_mb and available_mb (the budget).
 */
int hostmem_admit(
    const struct hostmem *m, int64_t needed_mb, int64_t committed_mb, struct lw_err *e);

#endif
