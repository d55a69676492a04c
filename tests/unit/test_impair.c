/*
 * test_impair - the impairment model: the same seed gives the same fates,
 * loss rates and burst lengths come out as asked, delays and the rate
 * limit set departures, frames keep their order unless reordering is
 * asked for, and parameters parse from the API's JSON. The engine itself,
 * between socketpairs standing in for its TAPs: a retired link still
 * delivers the frames it holds, then goes; a reclaimed one stays.
 */
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/net/impair.h"
#include "tests/unit/test.h"

#define N 100000

static void
test_json(void)
{
	struct impair_params p;
	json_t *o = json_loads("{\"delay_ms\":50,\"jitter_ms\":5,\"loss_pct\":2.5,\"loss_burst\":4,"
	                       "\"rate_kbps\":1000,\"seed\":7,\"b_to_a\":{\"delay_ms\":10,"
	                       "\"loss_pct\":0}}",
	    0, NULL);

	CHECK(impair_params_from_json(o, &p) == 0);
	CHECK(p.dir[0].delay_us == 50000 && p.dir[1].delay_us == 10000);
	CHECK(p.dir[0].jitter_us == 5000 && p.dir[1].jitter_us == 5000);
	CHECK(fabs(p.dir[0].loss - 0.025) < 1e-9 && p.dir[1].loss == 0);
	CHECK(p.dir[0].loss_burst == 4);
	CHECK(p.dir[0].rate_bps == 1000000 && p.dir[1].rate_bps == 1000000);
	CHECK(p.seed == 7);
	CHECK(impair_params_active(&p));
	json_decref(o);
	o = json_loads("{\"delay_ms\":0,\"loss_pct\":0}", 0, NULL);
	CHECK(impair_params_from_json(o, &p) == 0 && !impair_params_active(&p));
	json_decref(o);
	CHECK(impair_params_from_json(NULL, &p) == 0 && !impair_params_active(&p));
}

static void
test_deterministic(void)
{
	struct impair_dir d = {.delay_us = 1000,
	    .jitter_us = 500,
	    .loss = 0.1,
	    .duplicate = 0.05,
	    .corrupt = 0.05,
	    .reorder = 0.1};
	struct impair_model a, b;
	struct impair_fate fa, fb;
	int same = 0, diff = 0;

	impair_model_init(&a, 42, 0);
	impair_model_init(&b, 42, 0);
	for (int i = 0; i < 1000; i++) {
		impair_model_frame(&a, &d, i * 100, 100, &fa);
		impair_model_frame(&b, &d, i * 100, 100, &fb);
		same += memcmp(&fa, &fb, sizeof(fa)) == 0;
	}
	CHECK(same == 1000);
	/* Another seed, another sequence. */
	impair_model_init(&a, 42, 0);
	impair_model_init(&b, 43, 0);
	for (int i = 0; i < 1000; i++) {
		impair_model_frame(&a, &d, i * 100, 100, &fa);
		impair_model_frame(&b, &d, i * 100, 100, &fb);
		diff += memcmp(&fa, &fb, sizeof(fa)) != 0;
	}
	CHECK(diff > 100);
}

/* Share lost, and the mean length of runs of consecutive losses. */
static void
loss_run(double loss, int burst, double *rate, double *mean_run)
{
	struct impair_dir d = {.loss = loss, .loss_burst = burst};
	struct impair_model m;
	struct impair_fate f;
	int lost = 0, runs = 0;
	bool prev = false;

	impair_model_init(&m, 1, 0);
	for (int i = 0; i < N; i++) {
		impair_model_frame(&m, &d, i, 64, &f);
		if (f.copies == 0) {
			lost++;
			if (!prev)
				runs++;
		}
		prev = f.copies == 0;
	}
	*rate = (double)lost / N;
	*mean_run = runs ? (double)lost / runs : 0;
}

static void
test_loss(void)
{
	double rate, run;

	loss_run(0.2, 0, &rate, &run);
	CHECK(fabs(rate - 0.2) < 0.01);
	CHECK(run < 1.5); /* independent: runs are short */
	loss_run(0.2, 5, &rate, &run);
	CHECK(fabs(rate - 0.2) < 0.02);
	CHECK(fabs(run - 5) < 0.5);
	loss_run(0, 0, &rate, &run);
	CHECK(rate == 0);
	loss_run(1, 0, &rate, &run);
	CHECK(rate == 1);
}

static void
test_delay_order_rate(void)
{
	struct impair_dir d = {.delay_us = 50000, .jitter_us = 20000};
	struct impair_model m;
	struct impair_fate f;
	int64_t last = 0, min = INT64_MAX, max = 0;
	int inorder = 1;

	impair_model_init(&m, 3, 0);
	for (int i = 0; i < 1000; i++) {
		int64_t now = (int64_t)i * 1000;

		impair_model_frame(&m, &d, now, 100, &f);
		inorder &= f.depart_us[0] >= last;
		last = f.depart_us[0];
		min = f.depart_us[0] - now < min ? f.depart_us[0] - now : min;
		max = f.depart_us[0] - now > max ? f.depart_us[0] - now : max;
	}
	CHECK(inorder);              /* jitter alone never reorders */
	CHECK(min >= 30000);         /* delay - jitter */
	CHECK(max <= 70000 + 20000); /* delay + jitter, plus waiting for an elder */

	/* 1 Mbit/s: a 1250-byte frame takes 10 ms on the line; a burst queues behind it. */
	struct impair_dir r = {.rate_bps = 1000000};

	impair_model_init(&m, 3, 0);
	for (int i = 0; i < 10; i++)
		impair_model_frame(&m, &r, 0, 1250, &f);
	CHECK(f.depart_us[0] == 100000);
	impair_model_frame(&m, &r, 500000, 1250, &f); /* idle line: no backlog */
	CHECK(f.depart_us[0] == 510000);
}

static void
test_dup_corrupt_reorder(void)
{
	struct impair_dir d = {
	    .delay_us = 10000, .duplicate = 0.1, .corrupt = 0.1, .reorder = 0.25};
	struct impair_model m;
	struct impair_fate f;
	int dups = 0, corrupt = 0, reord = 0, badbit = 0;

	impair_model_init(&m, 9, 1);
	for (int i = 0; i < N; i++) {
		impair_model_frame(&m, &d, i * 10, 100, &f);
		dups += f.copies == 2;
		reord += f.reordered;
		for (int c = 0; c < f.copies; c++)
			if (f.corrupt_bit[c] >= 0) {
				corrupt++;
				badbit += f.corrupt_bit[c] < 14 * 8 || f.corrupt_bit[c] >= 800;
			}
		badbit += f.reordered && f.depart_us[0] != i * 10; /* sent at once */
	}
	CHECK(fabs((double)dups / N - 0.1) < 0.01);
	CHECK(fabs((double)reord / N - 0.25) < 0.01);
	CHECK(fabs((double)corrupt / (N * 1.1) - 0.1) < 0.01);
	CHECK(badbit ==
	    0); /* never in the Ethernet header, never past the frame; reordered at once */
	/* No delay: nothing to reorder against, so no reordering. */
	struct impair_dir z = {.reorder = 0.5};

	impair_model_init(&m, 9, 1);
	impair_model_frame(&m, &z, 0, 100, &f);
	CHECK(!f.reordered && f.depart_us[0] == 0);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* gone_within - has link left the engine within ms? */
static bool
gone_within(int64_t link, int ms)
{
	for (int i = 0; i < ms / 10 && impair_link_has(link); i++)
		sleep_ms(10);
	return (!impair_link_has(link));
}

static void
test_retire(void)
{
	struct impair_params p;
	struct impair_stats st;
	unsigned char frame[64] = {0};
	int a[2], b[2], c[2], d[2], got = 0;
	struct pollfd pfd;

	CHECK(impair_init() == 0);
	memset(&p, 0, sizeof(p));
	p.dir[0].delay_us = p.dir[1].delay_us = 100000;
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, a) == 0 &&
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, b) == 0);
	CHECK(impair_link_set(7, a[0], b[0], &p) == 0);
	for (int i = 0; i < 5; i++)
		CHECK(write(a[1], frame, sizeof(frame)) == (ssize_t)sizeof(frame));
	sleep_ms(20); /* read and queued, 100 ms to go */
	impair_link_retire(7);
	CHECK(impair_link_has(7));
	CHECK(impair_link_stats(7, &st) == -1); /* no longer the link's datapath */
	pfd = (struct pollfd){.fd = b[1], .events = POLLIN};
	while (got < 5 && poll(&pfd, 1, 2000) == 1 && read(b[1], frame, sizeof(frame)) > 0)
		got++;
	CHECK(got == 5); /* what it held still left, as due */
	CHECK(gone_within(7, 2000));

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, c) == 0 &&
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, d) == 0);
	CHECK(impair_link_set(8, c[0], d[0], &p) == 0);
	impair_link_retire(8);
	CHECK(impair_link_reclaim(8));
	CHECK(!gone_within(8, 300)); /* back in use: kept */
	CHECK(impair_link_stats(8, &st) == 0);
	impair_link_remove(8);
	CHECK(!impair_link_has(8));
	impair_fini();
	close(a[1]);
	close(b[1]);
	close(c[1]);
	close(d[1]);
}

int
main(void)
{
	test_json();
	test_deterministic();
	test_loss();
	test_delay_order_rate();
	test_dup_corrupt_reorder();
	test_retire();
	TEST_DONE();
}
