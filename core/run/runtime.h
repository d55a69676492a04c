/*
 * runtime - the one loop that owns running state: it spawns each node,
 * QEMU (its argv from hv/qemu) or a namespace host, wires its interfaces
 * into each link's datapath (through core/net), supervises it by pidfd and
 * QMP, watches its console for readiness, stops it (powerdown, quit,
 * SIGKILL), and re-adopts nodes a previous daemon left running. Request
 * paths (labs/lifecycle), holding lw_lock(), only mark state and queue work
 * here. It holds no rule about which state allows what (labs/ does), speaks
 * no HTTP, and runs no SQL outside core/run/state.c.
 */
#ifndef LW_RUNTIME_H
#define LW_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/* runtime_init - re-adopt or clean up what a previous daemon left, start the loop thread. */
int runtime_init(struct lw_err *e);
/* runtime_fini - stop the loop thread; running QEMU processes are left to a later daemon. */
void runtime_fini(void);
/*
 * runtime_check_node - can this node start (QEMU binary, guest files, accelerator)?
 * 0, or -1 with ERR_UNAVAILABLE/ERR_INVALID in e. Caller holds lw_lock().
 */
int runtime_check_node(int64_t node, struct lw_err *e);
/*
 * runtime_admit - host admission: does a start that needs needed_mb of
 * guest RAM fit beside what is committed (every node starting, queued,
 * running or stopping, in every lab, but node; 0: none) within the host's
 * memory times --mem-overcommit? 0, or -1 with ERR_UNAVAILABLE and the
 * numbers in e. The runtime asks it again when a node's turn to boot comes.
 * Caller holds lw_lock().
 */
int runtime_admit(int64_t node, int64_t needed_mb, struct lw_err *e);
/* runtime_ram_committed - the guest RAM committed to nodes now, in MiB. Caller holds lw_lock(). */
int64_t runtime_ram_committed(void);
/* runtime_node_start - mark the node starting and queue its start. Caller holds lw_lock(). */
void runtime_node_start(int64_t node);
/*
 * runtime_lab_start - a staged start: mark the n nodes (in boot order)
 * queued and start them at most conc at a time, the next when one is ready
 * or past its boot timeout. Caller holds lw_lock(); 0 or -1 with e.
 */
int runtime_lab_start(int64_t lab, const int64_t *ids, size_t n, int conc, struct lw_err *e);
/* runtime_node_stop - mark it stopping and queue the stop; force skips the guest powerdown. */
void runtime_node_stop(int64_t node, bool force);
/*
 * runtime_node_resume - queue a resume (QMP cont) of a paused node; a ticket
 * for runtime_node_resumed, or 0 when no process runs for it. Caller holds lw_lock().
 */
uint64_t runtime_node_resume(int64_t node);
/*
 * runtime_node_resumed - has the resume with ticket been tried, and the
 * guest given a moment to stop again (a retried write failing)? 1 when so
 * (err: why QEMU refused, "" when it did not; the node's state says the
 * rest), 0 not yet. Caller holds lw_lock().
 */
int runtime_node_resumed(int64_t node, uint64_t ticket, char *err, size_t len);
/* runtime_link_wire - attach a new link's running endpoints to its bridge. */
void runtime_link_wire(int64_t link);
/* runtime_link_unwire - remove a deleted link's bridge. */
void runtime_link_unwire(int64_t link);
/*
 * runtime_link_state - apply the link's stored up/down state to its
 * datapath and running guests (QMP set_link). Returns a ticket for
 * runtime_wait (0: not queued, the daemon is stopping).
 */
uint64_t runtime_link_state(int64_t link);
/* runtime_link_sync - apply the link's stored impairment (or any change) to its datapath;
 * a ticket as runtime_link_state. */
uint64_t runtime_link_sync(int64_t link);
/*
 * runtime_wait - wait up to timeout_ms for the loop to have run the
 * command of ticket. 1: done as asked; 0: done, but not as asked (logged);
 * -1: not done yet (or never will be: the daemon is stopping). The caller
 * must not hold lw_lock(), which the loop needs.
 */
int runtime_wait(uint64_t ticket, int timeout_ms);
struct capture_stats;
/* runtime_captures_ended - record the final stats of n ended captures. Caller holds lw_lock(). */
void runtime_captures_ended(const struct capture_stats *st, int n);
/* runtime_busy_count - how many nodes of lab (or just node; 0 = any) run or are on their way.
 * Caller holds lw_lock(). */
int runtime_busy_count(int64_t lab, int64_t node);

#endif
