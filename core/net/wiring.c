/*
 * wiring - reconcile each link's datapath (see wiring.h).
 *
 * Every change is computed from scratch from the link's ends and applied
 * as one netlink batch: programming an interface's ingress replaces what
 * was there, so a sync is idempotent and a retry repairs a half-done one.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/net/capture.h"
#include "core/net/fabric.h"
#include "core/net/impair.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/net/wiring.h"

#define LINK_MTU 9000

enum dp { DP_NONE, DP_IDLE, DP_DOWN, DP_KERNEL, DP_ENGINE, DP_BRIDGE };

static const char *dp_names[] = {"none", "idle", "down", "kernel", "engine", "bridge"};

struct wlink {
	int64_t id;
	enum dp dp;
	/* The interfaces it forwards for, to isolate again when it is deleted. */
	char (*ports)[16];
	int nports;
	struct wlink *next;
};

/*
 * The runtime changes links under lw_lock(); wiring_datapath is also asked
 * by API reads that do not hold it, so the list itself is guarded by mu.
 */
static struct {
	pthread_mutex_t mu;
	struct wlink *links;
	bool force_engine;
} wr = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Remember ifn as one the link forwards for. */
static void
wlink_port(struct wlink *l, const char *ifn)
{
	char(*grown)[16];

	for (int i = 0; i < l->nports; i++)
		if (strcmp(l->ports[i], ifn) == 0)
			return;
	if ((grown = realloc(l->ports, sizeof(*grown) * (size_t)(l->nports + 1))) == NULL)
		return;
	l->ports = grown;
	snprintf(l->ports[l->nports++], 16, "%s", ifn);
}

static struct wlink *
wlink_get(int64_t id, bool create)
{
	struct wlink *l;

	pthread_mutex_lock(&wr.mu);
	for (l = wr.links; l != NULL; l = l->next)
		if (l->id == id)
			break;
	if (l == NULL && create && (l = calloc(1, sizeof(*l))) != NULL) {
		l->id = id;
		l->next = wr.links;
		wr.links = l;
	}
	pthread_mutex_unlock(&wr.mu);
	return (l);
}

/* A link's datapath changes under wr.mu: wiring_datapath reads it from any thread. */
static void
dp_set(struct wlink *l, enum dp dp)
{
	pthread_mutex_lock(&wr.mu);
	l->dp = dp;
	pthread_mutex_unlock(&wr.mu);
}

void
wiring_force_engine(bool on)
{
	wr.force_engine = on;
}

const char *
wiring_datapath(int64_t link)
{
	enum dp dp = DP_NONE;

	pthread_mutex_lock(&wr.mu);
	for (struct wlink *l = wr.links; l != NULL; l = l->next)
		if (l->id == link) {
			dp = l->dp;
			break;
		}
	pthread_mutex_unlock(&wr.mu);
	return (dp_names[dp]);
}

static void
engine_off(int64_t link)
{
	char tap[16];

	if (!impair_link_has(link))
		return;
	impair_link_remove(link); /* closes the engine TAPs, which vanishes them */
	for (int s = 0; s < 2; s++)
		if (names_engine(tap, link, s) == 0)
			fabric_link_del(tap);
}

/* kernel_on - each end redirected straight to the other (b NULL: now); 0 or -1. */
static int
kernel_on(struct fabric_batch *b, const char ifs[2][16])
{
	if (fabric_tc_redirect(b, ifs[0], ifs[1]) == -1 ||
	    fabric_tc_redirect(b, ifs[1], ifs[0]) == -1)
		return (-1);
	return (0);
}

/* engine_taps - the link's two engine TAPs, made (stale ones replaced) and isolated. */
static int
engine_taps(int64_t link, const char et[2][16], int fd[2])
{
	for (int s = 0; s < 2; s++) {
		fabric_link_del(et[s]); /* a stale one */
		if ((fd[s] = fabric_tap_open(et[s], LINK_MTU)) == -1 ||
		    fabric_tc_drop(NULL, et[s]) == -1) {
			log_warn("link %lld: engine TAP %s", (long long)link, et[s]);
			for (int k = 0; k <= s; k++)
				if (fd[k] != -1)
					close(fd[k]);
			return (-1);
		}
	}
	return (0);
}

/*
 * engine_on - both ends into the engine: a -> lwe<link>a, which the engine
 * reads; what it writes to lwe<link>b arrives there and goes on to b.
 * Hitless: the engine's way out is in place and it reads its TAPs before
 * either end is moved into it, and each move replaces the end's redirect
 * in place. On failure an end may lead into the engine: the caller puts
 * it back (kernel_on) and retires the engine.
 */
static int
engine_on(int64_t link, const char ifs[2][16], json_t *imp)
{
	struct impair_params p;
	char et[2][16];
	int fd[2] = {-1, -1};

	if (impair_params_from_json(imp, &p) == -1)
		return (-1);
	for (int s = 0; s < 2; s++)
		if (names_engine(et[s], link, s) == -1)
			return (-1);
	if (!impair_link_reclaim(link) && engine_taps(link, (const char(*)[16])et, fd) == -1)
		return (-1);
	for (int s = 0; s < 2; s++)
		if (fabric_tc_redirect(NULL, et[s], ifs[s]) == -1) {
			log_warn("link %lld: redirect %s", (long long)link, et[s]);
			if (fd[0] != -1) {
				close(fd[0]);
				close(fd[1]);
			}
			return (-1);
		}
	/* Owns the fds from here, even on failure; -1s: the link is in it already. */
	if (impair_link_set(link, fd[0], fd[1], &p) == -1)
		return (-1);
	for (int s = 0; s < 2; s++)
		if (fabric_tc_redirect(NULL, ifs[s], et[s]) == -1) {
			log_warn("link %lld: redirect %s", (long long)link, ifs[s]);
			return (-1);
		}
	return (0);
}

/*
 * engine_leave - the link's ends straight to each other again, then the
 * engine lets go: frames it still holds leave as they are due. Until the
 * kernel path is in place, the engine keeps the link; if it cannot be,
 * each end is pointed back into the engine. 0, or -1 (still in the engine).
 */
static int
engine_leave(int64_t link, const char ifs[2][16])
{
	char et[16];

	if (kernel_on(NULL, ifs) == 0) {
		impair_link_retire(link);
		return (0);
	}
	log_warn("link %lld: redirect %s <> %s", (long long)link, ifs[0], ifs[1]);
	for (int s = 0; s < 2; s++)
		if (names_engine(et, link, s) == -1 || fabric_tc_redirect(NULL, ifs[s], et) == -1)
			log_warn("link %lld: back into the engine %s", (long long)link, ifs[s]);
	return (-1);
}

/* sync_p2p - a point-to-point link's datapath as asked; 0, or -1 when it could not be. */
static int
sync_p2p(struct fabric_batch *b, struct wlink *l, const struct wire_end *ends, bool up, json_t *imp)
{
	char ifs[2][16];
	struct impair_params p;
	int ret = 0;

	for (int s = 0; s < 2; s++)
		names_tap(ifs[s], ends[s].node, ends[s].idx);
	if (!ends[0].present || !ends[1].present || !up) {
		engine_off(l->id);
		for (int s = 0; s < 2; s++)
			if (ends[s].present && fabric_tc_drop(b, ifs[s]) == -1)
				log_warn("link %lld: drop on %s", (long long)l->id, ifs[s]);
		dp_set(l,
		    !ends[0].present && !ends[1].present       ? DP_NONE
		        : !ends[0].present || !ends[1].present ? DP_IDLE
		                                               : DP_DOWN);
		return (0);
	}
	for (int s = 0; s < 2; s++)
		wlink_port(l, ifs[s]);
	if (wr.force_engine ||
	    (impair_params_from_json(imp, &p) == 0 && impair_params_active(&p))) {
		if (engine_on(l->id, (const char(*)[16])ifs, imp) == 0) {
			dp_set(l, DP_ENGINE);
			return (0);
		}
		ret = -1; /* logged: the kernel's fast path instead, unimpaired */
	}
	if (impair_link_has(l->id)) {
		if (engine_leave(l->id, (const char(*)[16])ifs) == -1) {
			dp_set(l, DP_ENGINE);
			return (-1);
		}
	} else if (kernel_on(b, (const char(*)[16])ifs) == -1)
		log_warn("link %lld: redirect %s <> %s", (long long)l->id, ifs[0], ifs[1]);
	dp_set(l, DP_KERNEL);
	return (ret);
}

static void
sync_lan(struct fabric_batch *b, struct wlink *l, const struct wire_end *ends, int n)
{
	char br[16], ifn[16];
	int present = 0;

	if (names_bridge(br, l->id) == -1)
		return;
	for (int i = 0; i < n; i++)
		present += ends[i].present;
	if (present == 0) {
		if (fabric_link_del(br) == -1)
			log_warn("delete bridge %s", br);
		dp_set(l, DP_NONE);
		return;
	}
	if (fabric_bridge_add(br, LINK_MTU) == -1) {
		log_warn("bridge %s", br);
		return;
	}
	/* Frames the bridge passes up to itself stop there: the host stack is not on the LAN. */
	if (fabric_tc_drop(NULL, br) == -1)
		log_warn("bridge %s: not isolated from the host", br);
	for (int i = 0; i < n; i++) {
		if (!ends[i].present || names_tap(ifn, ends[i].node, ends[i].idx) == -1)
			continue;
		/* The port drops until it is enslaved; then its frames go to the bridge. */
		if (fabric_set_master(ifn, br) == -1) {
			log_warn("attach %s to %s", ifn, br);
			continue;
		}
		if (fabric_tc_lanport(b, ifn) == -1)
			log_warn("bridge port %s", ifn);
		wlink_port(l, ifn);
	}
	dp_set(l, DP_BRIDGE);
}

int
wiring_sync(int64_t link, const struct wire_end *in, int n, bool up, json_t *imp,
    struct capture_stats **ended, bool *applied)
{
	struct wlink *l = wlink_get(link, true);
	struct fabric_batch *b = fabric_batch_new();
	char ifn[16], capif[16] = "";
	struct wire_end ends[64];

	/*
	 * An interface can vanish before its node's exit is handled (QEMU
	 * gone, its TAP with it): only what exists now is present.
	 */
	n = n > 64 ? 64 : n;
	for (int i = 0; i < n; i++) {
		ends[i] = in[i];
		if (ends[i].present &&
		    (names_tap(ifn, ends[i].node, ends[i].idx) == -1 || if_nametoindex(ifn) == 0))
			ends[i].present = false;
	}

	*applied = true;
	if (l == NULL || b == NULL) {
		log_warnx("link %lld: out of memory", (long long)link);
		fabric_batch_run(b);
		*ended = NULL;
		*applied = false;
		return (0);
	}
	if (n >= 3) {
		sync_lan(b, l, ends, n);
		if (l->dp == DP_BRIDGE)
			names_bridge(capif, link);
	} else if (n == 2) {
		if (sync_p2p(b, l, ends, up, imp) == -1)
			*applied = false;
		for (int s = 0; s < 2 && capif[0] == '\0'; s++)
			if (ends[s].present)
				names_tap(capif, ends[s].node, ends[s].idx);
	}
	/* A veth peer's carrier follows its host side: that is how a namespace host sees down. */
	for (int i = 0; i < n; i++)
		if (ends[i].present && ends[i].netns &&
		    names_tap(ifn, ends[i].node, ends[i].idx) == 0)
			fabric_set_updown(b, ifn, up);
	if (fabric_batch_run(b) != 0) {
		log_warnx("link %lld: some of its wiring failed (see above)", (long long)link);
		*applied = false;
	}
	*ended = NULL;
	if (capif[0] == '\0')
		return (capture_link_down(link, ended));
	capture_link_up(link, capif);
	return (0);
}

int
wiring_forget(int64_t link, struct capture_stats **ended)
{
	struct wlink *l = NULL;
	char br[16];
	int n;

	pthread_mutex_lock(&wr.mu);
	for (struct wlink **pl = &wr.links; *pl != NULL; pl = &(*pl)->next)
		if ((*pl)->id == link) {
			l = *pl;
			*pl = l->next;
			break;
		}
	pthread_mutex_unlock(&wr.mu);
	/* Ports still running stop forwarding before anything they led to goes. */
	for (int i = 0; l != NULL && i < l->nports; i++)
		if (if_nametoindex(l->ports[i]) != 0 && fabric_tc_drop(NULL, l->ports[i]) == -1)
			log_warn("link %lld: isolating %s", (long long)link, l->ports[i]);
	engine_off(link);
	n = capture_link_down(link, ended);
	if (names_bridge(br, link) == 0)
		fabric_link_del(br);
	if (l != NULL) {
		free(l->ports);
		free(l);
	}
	return (n);
}
