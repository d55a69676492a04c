/*
 * ifown - which interfaces are this daemon's, at start-up. Ownership is
 * core/net/fabric's mark (IFLA_IFALIAS "labwire:<instance>", the id made
 * once by this store's migration), never a name: another daemon's lab in
 * the same namespace and the host's own lw* interfaces carry no mark of
 * ours and are never touched. Two exceptions are claimed, only here and
 * only for names the running records give: interfaces of nodes a daemon
 * before marks left running (an upgrade), and a bridge or veth a crash
 * left between its creation and its mark (the kernel takes no alias in
 * the request that creates a link). A TAP needs no claim: until marked it
 * is held only by the fd of the process making it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/net/fabric.h"
#include "core/run/run.h"
#include "core/run/state.h"

int
ifown_init(struct lw_err *e)
{
	char id[FABRIC_INSTANCE_MAX + 1];

	if (state_instance(id, sizeof(id)) == -1)
		return (err_set(e, ERR_INTERNAL, "the store has no instance id"));
	if (fabric_instance_set(id) == -1)
		return (err_set(e, ERR_INTERNAL, "interface mark '%s': %s", id, strerror(errno)));
	log_info("interfaces made here carry the mark " FABRIC_MARK_PREFIX "%s", id);
	return (0);
}

static void
ifown_claim_one(const char *name, int *claimed)
{
	if (fabric_claim(name) == 1)
		(*claimed)++;
}

/*
 * ifown_claim_node - a running record's interfaces: its TAPs or veths if its
 * process was adopted (a dead one's went with it), and the bridges of its
 * LAN links (three ends or more: a point-to-point link has none), which
 * outlive their nodes.
 */
static void
ifown_claim_node(const struct state_running *r, int *claimed)
{
	struct state_end l[STATE_MAX_ENDS], ends[3];
	char name[16];
	bool up;
	int n = state_node_links(r->node, false, l, STATE_MAX_ENDS);

	for (int k = 0; r->adopted && k < r->nics; k++)
		if (names_tap(name, r->node, k) == 0)
			ifown_claim_one(name, claimed);
	for (int i = 0; i < n; i++)
		if (state_link_ends(l[i].id, ends, 3, &up, NULL) >= 3 &&
		    names_bridge(name, l[i].id) == 0)
			ifown_claim_one(name, claimed);
}

void
ifown_claim(const struct state_running *rows, int n)
{
	int claimed = 0;

	for (int i = 0; i < n; i++)
		ifown_claim_node(&rows[i], &claimed);
	fabric_claims_end();
	if (claimed > 0)
		log_info("marked %d interface(s) of running nodes that had no mark", claimed);
}

/*
 * ifown_orphan - delete one of our marked interfaces unless an adopted node
 * (its TAP or veth) or a link with a running end (its bridge) explains it.
 * Engine TAPs die with the daemon that held them: one left is stale.
 */
static void
ifown_orphan(const char *ifname, void *arg)
{
	int *count = arg;
	long long a = -1, b = -1;
	bool keep = false;

	if (sscanf(ifname, "lwt%lldn%lld", &a, &b) == 2)
		keep = rt_find(a) != NULL;
	else if (sscanf(ifname, "lwb%lld", &a) == 1)
		keep = state_link_has_running_end(a);
	if (!keep && fabric_link_del(ifname) == 0)
		(*count)++;
}

int
ifown_sweep(void)
{
	int removed = 0;

	if (fabric_list_ours(ifown_orphan, &removed) == -1)
		log_warn("listing this daemon's interfaces");
	return (removed);
}
