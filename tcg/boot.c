/*
 * boot - boot-time expectations.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "db/boot_times.h"
#include "tcg/boot.h"

#define DB db_current(lw.db)
#define BOOT_SAMPLES 20   /* the slowdown is the median of the last this many TCG boots */
#define BOOT_SCAN 200     /* TCG boots looked at for those samples */
#define BOOT_OWN 5        /* a template's own boots its estimate is the median of */
#define BOOT_HISTORY 1000 /* boots kept */

static double (*kvm_time)(const char *tmpl);

void
boot_set_kvm_time(double (*fn)(const char *tmpl))
{
	kvm_time = fn;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* median - of v[0..n) (sorted in place); NAN when n is 0. */
static double
median(double *v, int n)
{
	if (n <= 0)
		return (NAN);
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

/*
 * The slowdown: each TCG boot of a template whose KVM boot time is known
 * gives seconds / its KVM boot time; the factor is their median.
 */
static double
slowdown(int *samples, char *basis, size_t len)
{
	struct db_boot_time all[BOOT_SCAN];
	double ratios[BOOT_SAMPLES], f;
	int n = db_boot_time_recent(DB, "tcg", all, BOOT_SCAN);

	*samples = 0;
	for (int i = 0; i < n && *samples < BOOT_SAMPLES; i++) {
		double kvm = kvm_time != NULL ? kvm_time(all[i].tmpl) : 0;

		if (kvm > 0)
			ratios[(*samples)++] = all[i].seconds / kvm;
	}
	if (*samples == 0) {
		snprintf(basis, len, "assumed %.0fx (no translated boot measured on this host yet)",
		    BOOT_DEFAULT_SLOWDOWN);
		return (BOOT_DEFAULT_SLOWDOWN);
	}
	if ((f = median(ratios, *samples)) < 1)
		f = 1;
	snprintf(
	    basis, len, "%.1fx, the median of %d translated boot(s) measured here", f, *samples);
	return (f);
}

void
boot_estimate(const char *tmpl, double kvm_s, const char *accel, struct boot_estimate *out)
{
	bool tcg = accel == NULL || strcmp(accel, "kvm") != 0;
	double own[BOOT_OWN];
	int n = db_boot_time_of(DB, tmpl, tcg ? "tcg" : "kvm", own, BOOT_OWN), samples;
	char sb[160];

	if (n > 0) {
		out->expected_s = median(own, n);
		snprintf(out->basis, sizeof(out->basis),
		    "measured: median of the last %d %s boot(s) of %s here", n,
		    tcg ? "translated" : "KVM", tmpl);
	} else if (!tcg) {
		out->expected_s = kvm_s;
		snprintf(out->basis, sizeof(out->basis), "the template's typical KVM boot time");
	} else {
		double f = slowdown(&samples, sb, sizeof(sb));

		out->expected_s = kvm_s * f;
		snprintf(out->basis, sizeof(out->basis), "%.0f s under KVM x TCG slowdown %s",
		    kvm_s, sb);
	}
	/* Generous: a slow boot is reported ("late"), never killed. */
	out->timeout_s = out->expected_s * 3 + 10;
}

void
boot_record(const char *tmpl, const char *accel, double seconds)
{
	struct lw_err e = {0};

	if (db_boot_time_add(DB, tmpl, accel, seconds, (int64_t)time(NULL), BOOT_HISTORY, &e) == -1)
		log_warnx("boot time of %s (%s) not recorded: %s", tmpl, accel, e.msg);
}

json_t *
boot_slowdown_json(void)
{
	char basis[160];
	int samples;
	double f = slowdown(&samples, basis, sizeof(basis));

	return (json_pack(
	    "{s:f,s:i,s:s}", "factor", round(f * 10) / 10, "samples", samples, "basis", basis));
}
