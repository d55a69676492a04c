/*
 * wiring - each link's datapath, reconciled from what should be (the
 * link's endpoints, state and impairment) and what exists (which endpoint
 * interfaces are up now):
 *
 *   point-to-point, both ends there, up, no impairment:
 *       tc mirred redirect between the two host-side interfaces ("kernel").
 *       Every frame crosses unchanged, LACP and jumbo frames included.
 *   point-to-point with an impairment: each end redirected into an engine
 *       TAP that the impairment engine reads and writes ("engine").
 *   point-to-point, down or with one end only: frames dropped at ingress
 *       ("down" / "idle").
 *   three or more endpoints: a Linux bridge ("bridge"), which forwards
 *       what the kernel lets a bridge forward (not LACP, 01:80:c2:00:00:02).
 *
 * Captures follow: a p2p link is captured on its first present endpoint
 * (both directions), a LAN on its bridge. It reads no store and knows no
 * lab or running node: the runtime (core/run/links.c) hands it each link's
 * ends, and it returns the captures a change ended instead of calling up.
 * Callers hold lw_lock(); links change only on the runtime's thread.
 */
#ifndef LW_WIRING_H
#define LW_WIRING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct wire_end {
	int64_t node;
	int idx;
	bool present; /* the node runs and this interface exists */
	bool netns;   /* a veth of a lightweight host (else a QEMU TAP) */
};

struct capture_stats;

/*
 * wiring_sync - make link's datapath what ends/up/impairment call for.
 * Captures the link can no longer be seen on end: their final stats go to
 * *ended (malloc'd, caller frees, may be NULL); returns how many. *applied
 * says whether it is now wired as asked: when not (logged), a p2p link is
 * left on the kernel path (an impairment the engine could not take) or
 * in the engine (the kernel path could not be put back).
 */
int wiring_sync(int64_t link, const struct wire_end *ends, int n, bool up, json_t *impairment,
    struct capture_stats **ended, bool *applied);
/* wiring_forget - the link is gone: undo everything it had; its captures end (as wiring_sync). */
int wiring_forget(int64_t link, struct capture_stats **ended);
/* wiring_datapath - "kernel", "engine", "bridge", "down", "idle" or "none" (any thread). */
const char *wiring_datapath(int64_t link);
/* wiring_force_engine - route every p2p link through the engine (benchmarks). */
void wiring_force_engine(bool on);

#endif
