/*
 * lifecycle - what creating, starting, stopping and deleting labs, nodes
 * and links sets in motion: which node states allow start, stop, reload,
 * wipe and delete; the waits (until nodes stop, until they are ready), each
 * node's telnet console listener, the per-lab data directory, and the event
 * each change publishes. The records themselves are lab.c's; running state
 * is the runtime's, asked through core/run only. It speaks no HTTP. Every
 * function but lifecycle_shutdown runs with lw_lock() held (or, at start-up,
 * before any other thread uses the store); the waits release it while they
 * sleep and hold it again on return.
 */
#ifndef LW_LIFECYCLE_H
#define LW_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/* lifecycle_shutdown - a lab start waiting for readiness answers now (any thread). */
void lifecycle_shutdown(void);
/*
 * lifecycle_consoles - make (add) or drop the consoles of lab's nodes (lab
 * 0: every lab's), or only node's when node is non-zero. A console holds no
 * fd until its node runs: its telnet port listens only then.
 */
void lifecycle_consoles(int64_t lab, int64_t node, bool add);

/*
 * lifecycle_host_memory - the host's memory as the start check sees it
 * (new reference): memory_mb, memory_limit_mb (the daemon's memory cgroup
 * limit, or null), memory_budget_mb, memory_committed_mb, mem_overcommit.
 */
json_t *lifecycle_host_memory(void);

/* lifecycle_lab_create - create the lab (lab_create), announce it, serve its consoles; id or -1. */
int64_t lifecycle_lab_create(const struct who *w, json_t *body, struct lw_err *e);
/* lifecycle_lab_patch - edit the lab (lab_patch) and announce it; 0 or -1 with e. */
int lifecycle_lab_patch(const struct who *w, int64_t lab, json_t *body, struct lw_err *e);
/*
 * lifecycle_lab_delete - force-stop what runs in lab, wait for it, then
 * remove its records, consoles and files; 0 or -1 with e (ERR_CONFLICT when
 * a node was started meanwhile, ERR_UNAVAILABLE when they did not stop).
 */
int lifecycle_lab_delete(const struct who *w, int64_t lab, struct lw_err *e);
/*
 * lifecycle_lab_start - start every stopped node, all or none (each is
 * checked before any starts; all of them must fit the owner's quota,
 * ERR_TOO_MANY, and the host's memory, ERR_UNAVAILABLE), staged by the
 * lab's boot concurrency in boot order. wait: then wait up to timeout_s until every node on its way
 * or running is ready. 0, or -1 with e naming the nodes that are not.
 */
int lifecycle_lab_start(
    const struct who *w, int64_t lab, bool wait, long timeout_s, struct lw_err *e);
/* lifecycle_lab_stop - ask every starting or running node of lab to stop; 0 or -1 with e. */
int lifecycle_lab_stop(const struct who *w, int64_t lab, struct lw_err *e);

/* lifecycle_node_create - create the node (lab_node_create), announce it, serve its console. */
int64_t lifecycle_node_create(int64_t lab, json_t *body, struct lw_err *e);
/*
 * lifecycle_node_delete - force-stop the node, wait, then remove it, every
 * link that touches it (unwired), its console and its files; 0 or -1 with e.
 */
int lifecycle_node_delete(int64_t lab, int64_t node, struct lw_err *e);
/*
 * The node operations below refuse a state that does not allow them with
 * ERR_CONFLICT; ref is how the request named the node, for that message.
 */
/*
 * lifecycle_node_start - a stopped (or failed) node that can start is
 * queued to start (within the lab owner's quota: ERR_TOO_MANY, and the
 * host's memory: ERR_UNAVAILABLE).
 */
int lifecycle_node_start(int64_t node, const char *ref, struct lw_err *e);
/* lifecycle_node_stop - stop it (a second stop skips the guest's powerdown); any state. */
int lifecycle_node_stop(int64_t node, struct lw_err *e);
/* lifecycle_node_reload - power-cycle a running node: force-stop, wait, start. */
int lifecycle_node_reload(int64_t lab, int64_t node, const char *ref, struct lw_err *e);
/*
 * lifecycle_node_resume - let a paused node's guest go on (QMP cont), then
 * wait (bounded, unlocked) until the runtime saw whether it stays running:
 * 0 when it runs; ERR_CONFLICT when it is not paused, QEMU refused, or it
 * paused again at once (a disk still full), the message saying why.
 */
int lifecycle_node_resume(int64_t node, const char *ref, struct lw_err *e);
/* lifecycle_node_wipe - forget a stopped node's disk state; its next start begins fresh. */
int lifecycle_node_wipe(int64_t lab, int64_t node, const char *ref, struct lw_err *e);

/* lifecycle_link_create - create the link (lab_link_create), wire it, announce it; its id or -1. */
int64_t lifecycle_link_create(int64_t lab, json_t *body, struct lw_err *e);
#define LIFECYCLE_LINK_APPLY_MS 5000 /* how long a link PATCH waits for its datapath */
/*
 * lifecycle_link_patch - edit the link, apply its state or impairment,
 * announce it. The change is applied by the runtime; this waits for it
 * (lw_lock() let go meanwhile) up to LIFECYCLE_LINK_APPLY_MS. 0: applied;
 * 1: stored, still being applied; -1 with e: invalid, or it could not be
 * applied, and the stored link is back to what it was (still wired so).
 */
int lifecycle_link_patch(int64_t lab, int64_t link, json_t *body, struct lw_err *e);
/* lifecycle_link_delete - remove the link, unwire it, announce it; 0 or -1 with e. */
int lifecycle_link_delete(int64_t lab, int64_t link, struct lw_err *e);

#endif
