/*
 * boot - boot-time expectations and console-typed startup configs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcg/boot.h"
#include "core/base/config.h"
#include "hv/kvm.h"
#include "core/console/console.h"
#include "core/base/log.h"
#include "db/db.h"

#define DB lw.db
#define BOOT_SAMPLES 20 /* the slowdown is the median of the last this many TCG boots */
#define TYPE_LINE_MS 60000

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* median - of the first column of the rows of sql; NAN when there are none. */
static double
median(json_t *rows, const char *col, int *n)
{
	double v[BOOT_SAMPLES];
	json_t *row;
	size_t i;

	*n = 0;
	json_array_foreach(rows, i, row) if (*n < BOOT_SAMPLES) v[(*n)++] =
	    json_number_value(json_object_get(row, col));
	if (*n == 0)
		return (NAN);
	qsort(v, (size_t)*n, sizeof(v[0]), cmp_double);
	return (*n % 2 ? v[*n / 2] : (v[*n / 2 - 1] + v[*n / 2]) / 2);
}

/*
 * The slowdown: each TCG boot of a template whose KVM boot time is known
 * gives seconds / boot_time_kvm_s; the factor is their median.
 */
static double
slowdown(int *samples, char *basis, size_t len)
{
	json_t *all = db_rows(DB, NULL,
	    "SELECT template, seconds FROM boot_times WHERE accel = 'tcg' ORDER BY id DESC LIMIT 200", "");
	json_t *ratios = json_array(), *row;
	size_t i;
	double f;

	json_array_foreach(all, i, row) {
		const struct template *t = template_find(json_string_value(json_object_get(row, "template")));

		if (t != NULL && t->boot_time_kvm_s > 0 && json_array_size(ratios) < BOOT_SAMPLES)
			json_array_append_new(ratios,
			    json_pack("{s:f}", "r",
			        json_number_value(json_object_get(row, "seconds")) / t->boot_time_kvm_s));
	}
	json_decref(all);
	f = median(ratios, "r", samples);
	json_decref(ratios);
	if (*samples == 0) {
		snprintf(basis, len, "assumed %.0fx (no translated boot measured on this host yet)",
		    BOOT_DEFAULT_SLOWDOWN);
		return (BOOT_DEFAULT_SLOWDOWN);
	}
	if (f < 1)
		f = 1;
	snprintf(basis, len, "%.1fx, the median of %d translated boot(s) measured here", f, *samples);
	return (f);
}

void
boot_estimate(const struct template *t, const char *accel, struct boot_estimate *out)
{
	bool tcg = accel == NULL || strcmp(accel, "kvm") != 0;
	json_t *own = db_rows(DB, NULL,
	    "SELECT seconds FROM boot_times WHERE template = ? AND accel = ? ORDER BY id DESC LIMIT 5",
	    "ss", t->name, tcg ? "tcg" : "kvm");
	char sb[160];
	int n, samples;
	double m = median(own, "seconds", &n);

	json_decref(own);
	if (n > 0) {
		out->expected_s = m;
		snprintf(out->basis, sizeof(out->basis), "measured: median of the last %d %s boot(s) of %s here",
		    n, tcg ? "translated" : "KVM", t->name);
	} else if (!tcg) {
		out->expected_s = t->boot_time_kvm_s;
		snprintf(out->basis, sizeof(out->basis), "the template's typical KVM boot time");
	} else {
		double f = slowdown(&samples, sb, sizeof(sb));

		out->expected_s = t->boot_time_kvm_s * f;
		snprintf(out->basis, sizeof(out->basis), "%d s under KVM x TCG slowdown %s",
		    t->boot_time_kvm_s, sb);
	}
	/* Generous: a slow boot is reported ("late"), never killed. */
	out->timeout_s = out->expected_s * 3 + 10;
}

void
boot_expect_json(json_t *node, const struct template *t)
{
	const char *accel = json_string_value(json_object_get(node, "accel_in_use"));
	struct boot_estimate b;

	if (accel == NULL)
		accel = lw.kvm->available && strcmp(json_string_value(json_object_get(node, "accel")), "tcg") != 0 &&
		            strcmp(t->arch, lw.host_arch) == 0
		    ? "kvm"
		    : "tcg";
	boot_estimate(t, accel, &b);
	json_object_set_new(node, "boot_expected_s", json_real(round(b.expected_s * 10) / 10));
	json_object_set_new(node, "boot_timeout_s", json_real(round(b.timeout_s * 10) / 10));
	json_object_set_new(node, "boot_basis", json_string(b.basis));
}

void
boot_record(const char *tmpl, const char *accel, double seconds)
{
	db_exec(DB, NULL, "INSERT INTO boot_times (template, accel, seconds, at) VALUES (?,?,?,?)",
	    "ssdi", tmpl, accel, seconds, (int64_t)time(NULL));
	db_exec(DB, NULL,
	    "DELETE FROM boot_times WHERE id NOT IN (SELECT id FROM boot_times ORDER BY id DESC LIMIT 1000)",
	    "");
}

json_t *
boot_slowdown_json(void)
{
	char basis[160];
	int samples;
	double f = slowdown(&samples, basis, sizeof(basis));

	return (json_pack("{s:f,s:i,s:s}", "factor", round(f * 10) / 10, "samples", samples, "basis", basis));
}

struct boot_typing {
	int64_t node;
	char prompt[128];
	struct strv lines;
};

struct boot_typing *
boot_typing_new(int64_t node, const struct template *t, const char *config)
{
	struct boot_typing *bt = calloc(1, sizeof(*bt));
	json_t *v;
	size_t i;
	int bad = 0;

	if (bt == NULL)
		return (NULL);
	bt->node = node;
	snprintf(bt->prompt, sizeof(bt->prompt), "%s", t->prompt);
	json_array_foreach(template_console_lines(t, false), i, v) bad |= strv_add(&bt->lines, json_string_value(v));
	for (const char *p = config; p != NULL && *p;) {
		size_t l = strcspn(p, "\r\n");

		if (l > 0)
			bad |= strv_addf(&bt->lines, "%.*s", (int)l, p);
		p += l;
		p += strspn(p, "\r\n");
	}
	json_array_foreach(template_console_lines(t, true), i, v) bad |= strv_add(&bt->lines, json_string_value(v));
	if (bad) {
		strv_free(&bt->lines);
		free(bt);
		return (NULL);
	}
	return (bt);
}

int
boot_typing_run(struct boot_typing *bt, char *msg, size_t msglen)
{
	struct lw_err e = {0};
	int r = 0;

	for (size_t i = 0; i < bt->lines.n && r == 0; i++) {
		char *out = NULL;

		if (console_exec(bt->node, bt->lines.v[i], bt->prompt, TYPE_LINE_MS, &out, &e) == -1) {
			snprintf(msg, msglen, "typing the startup config, line %zu: %s", i + 1, e.msg);
			r = -1;
		}
		free(out);
	}
	if (r == 0)
		snprintf(msg, msglen, "%zu line(s) typed", bt->lines.n);
	boot_typing_free(bt);
	return (r);
}

void
boot_typing_free(struct boot_typing *bt)
{
	if (bt == NULL)
		return;
	strv_free(&bt->lines);
	free(bt);
}
