/*
 * impair - the impairment engine: delay, jitter, loss (random or in
 * bursts), duplication, corruption, reordering and a rate limit on a
 * point-to-point link, in user space, without the kernel's sch_netem.
 * It moves frames between the engine TAP fds it is given: it creates no
 * interface and sets no tc rule (core/net/wiring does, through fabric),
 * and knows no lab. Its thread takes only the engine's own lock, never
 * lw_lock().
 *
 * An impaired link is redirected by tc mirred from each endpoint into an
 * engine TAP (lwe<link>a / lwe<link>b) that the daemon reads; each frame's
 * fate and departure time are decided on arrival by a seeded model, and
 * frames wait in a per-direction queue ordered by departure, released by a
 * timerfd. The forwarding thread never sleeps per frame.
 *
 * Direction 0 is endpoint a -> b (the link's first endpoint to its second),
 * direction 1 is b -> a.
 */
#ifndef LW_IMPAIR_H
#define LW_IMPAIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct impair_dir {
	int64_t delay_us, jitter_us;
	double loss, duplicate, corrupt, reorder; /* probabilities 0..1 */
	int loss_burst;    /* mean frames per loss burst; <= 1: independent */
	uint64_t rate_bps; /* 0: unlimited */
};

struct impair_params {
	struct impair_dir dir[2];
	uint64_t seed;
	bool has_seed; /* else the engine seeds a link by its id */
};

/* impair_params_from_json - the stored impairment object (API fields) into p; 0 or -1. */
int impair_params_from_json(json_t *imp, struct impair_params *p);
/* impair_params_active - does p change anything at all? */
bool impair_params_active(const struct impair_params *p);

/* ---- the model, pure and deterministic (unit-tested) ---- */

struct impair_model {
	uint64_t rng;
	bool bad;             /* Gilbert-Elliott loss state */
	int64_t last_us;      /* departure of the last frame kept in order */
	int64_t rate_free_us; /* when the rate-limited line is free again */
};

#define IMPAIR_MAX_COPIES 2

struct impair_fate {
	int copies;                             /* 0: lost */
	bool reordered;                         /* sent at once, ahead of queued frames */
	int64_t depart_us[IMPAIR_MAX_COPIES];   /* absolute, same clock as now_us */
	int64_t corrupt_bit[IMPAIR_MAX_COPIES]; /* bit to flip, or -1 */
};

void impair_model_init(struct impair_model *m, uint64_t seed, int dir);
/* impair_model_frame - decide the fate of one frame of len bytes arriving at now_us. */
void impair_model_frame(struct impair_model *m, const struct impair_dir *p, int64_t now_us,
    size_t len, struct impair_fate *f);

/* ---- the engine ---- */

struct impair_stats {
	uint64_t in[2], out[2], lost[2], duplicated[2], corrupted[2], reordered[2],
	    queue_dropped[2];
	uint32_t queued[2];
};

int impair_init(void);
void impair_fini(void);
/*
 * impair_link_set - impair link with p between engine TAP fds fd_a (facing
 * endpoint a) and fd_b; the engine owns the fds from then on, even on
 * failure. On a link already in the engine, fd_a/fd_b are -1 and only the
 * parameters change (queued frames keep their departure times).
 * Returns 0 or -1.
 */
int impair_link_set(int64_t link, int fd_a, int fd_b, const struct impair_params *p);
/* impair_link_has - is link in the engine (retired but not yet gone included)? */
bool impair_link_has(int64_t link);
/*
 * impair_link_retire - link's endpoints now bypass the engine: what it
 * still holds leaves as due (frames still on their way in included; for
 * at most 120 s), then the link goes, its TAPs closed, on the engine's
 * thread. An impair_link_set or impair_link_reclaim before then takes it
 * back into use.
 */
void impair_link_retire(int64_t link);
/* impair_link_reclaim - impair_link_has, and a retired link is back in use (not freed). */
bool impair_link_reclaim(int64_t link);
/* impair_link_remove - take link out of the engine; queued frames are dropped, its TAPs closed. */
void impair_link_remove(int64_t link);
/* impair_link_stats - counters since the link entered the engine; 0 or -1 if it is not there
 * (or retired). */
int impair_link_stats(int64_t link, struct impair_stats *st);

#endif
