/*
 * links - each link's datapath, kept as the store and the running nodes
 * say: the ends handed to core/net's wiring, guests told of up/down over
 * QMP, a node's interfaces isolated until a link takes them.
 */
#include <stdlib.h>

#include "core/base/log.h"
#include "core/base/names.h"
#include "core/net/capture.h"
#include "core/net/fabric.h"
#include "core/net/wiring.h"
#include "core/run/run.h"
#include "core/run/state.h"

#define LINKS_MAX_ENDS 1024 /* ends of one LAN told of its up/down state */

/* links_ended - the captures the datapath ended: their final counters are kept. */
static void
links_ended(struct capture_stats *st, int n)
{
	state_captures_ended(st, n);
	free(st);
}

/*
 * links_sync - hand link's ends to wiring as they are now: an end is present
 * when its node runs with its interfaces made, and is not node skip (one
 * that is going away). A link with no endpoints left was deleted. Returns
 * 0, or -1 when its datapath could not be made as asked (logged).
 */
int
links_sync(int64_t link, int64_t skip)
{
	struct state_end se[STATE_MAX_ENDS];
	struct wire_end ends[STATE_MAX_ENDS];
	struct capture_stats *st = NULL;
	json_t *imp;
	bool up, applied = true;
	int n = state_link_ends(link, se, STATE_MAX_ENDS, &up, &imp), ended;

	for (int i = 0; i < n; i++) {
		struct rt_node *rn = se[i].id == skip ? NULL : rt_find(se[i].id);

		ends[i].node = se[i].id;
		ends[i].idx = se[i].idx;
		ends[i].present = rn != NULL && rn->wired;
		ends[i].netns = rn != NULL && rn->netns;
	}
	if (n == 0)
		ended = wiring_forget(link, &st);
	else
		ended = wiring_sync(link, ends, n, up, imp, &st, &applied);
	links_ended(st, ended);
	json_decref(imp);
	return (applied ? 0 : -1);
}

/* links_sync_node - every link of node re-reconciled (skip: the node is going away). */
void
links_sync_node(int64_t node, int64_t skip)
{
	struct state_end l[STATE_MAX_ENDS];
	int n = state_node_links(node, false, l, STATE_MAX_ENDS);

	for (int i = 0; i < n; i++)
		links_sync(l[i].id, skip);
}

void
links_unwire_node(int64_t node, int nics)
{
	char tap[16];

	links_sync_node(node, node);
	/*
	 * TAPs vanish with QEMU's fds and veths with the namespace; deleting
	 * them makes it immediate and certain.
	 */
	for (int k = 0; k < nics; k++)
		if (names_tap(tap, node, k) == 0 && fabric_link_del(tap) == -1)
			log_warn("delete %s", tap);
}

/* Until a link uses them, a node's interfaces drop what arrives: the host stack stays out. */
void
links_isolate_node(int64_t node, int nics)
{
	struct fabric_batch *b = fabric_batch_new();
	char ifn[16];

	for (int k = 0; k < nics; k++)
		if (names_tap(ifn, node, k) == 0)
			fabric_tc_drop(b, ifn);
	if (fabric_batch_run(b) != 0)
		log_warnx("node %lld: isolating its interfaces failed", (long long)node);
}

/* links_apply_down - every down link of a freshly connected node, told to its guest. */
void
links_apply_down(struct rt_node *n)
{
	struct state_end l[STATE_MAX_ENDS];
	int c = state_node_links(n->id, true, l, STATE_MAX_ENDS);

	for (int i = 0; i < c; i++)
		node_set_link(n, l[i].idx, false);
}

/* links_state - the link's up/down state, told to the guests at its ends. */
void
links_state(int64_t link)
{
	struct state_end *ends = calloc(LINKS_MAX_ENDS, sizeof(*ends));
	bool up;
	int n;

	if (ends == NULL) {
		log_warn("link %lld: state", (long long)link);
		return;
	}
	n = state_link_ends(link, ends, LINKS_MAX_ENDS, &up, NULL); /* up/down only */
	for (int i = 0; i < n; i++) {
		struct rt_node *rn = rt_find(ends[i].id);

		if (rn != NULL)
			node_set_link(rn, ends[i].idx, up);
	}
	free(ends);
}
