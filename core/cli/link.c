/*
 * link - the "link" commands: list, up, down, impair (each a PATCH of one
 * link), and the links table that "lab show" prints too. The daemon judges
 * impairment names and ranges; here a SPEC is only turned into JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli_int.h"

/* cli_link_endpoints - "r1:eth0 -- r2:eth0"; cut short if it does not fit. */
static void
cli_link_endpoints(const json_t *link, char *buf, size_t len)
{
	const json_t *ep;
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	json_array_foreach(json_object_get(link, "endpoints"), i, ep) {
		char nb[32], ib[32];

		if (json_is_string(ep))
			n = snprintf(
			    buf + off, len - off, "%s%s", i ? " -- " : "", json_string_value(ep));
		else
			n = snprintf(buf + off, len - off, "%s%s:%s", i ? " -- " : "",
			    cli_fmt_field(ep, "node", nb, sizeof(nb)),
			    cli_fmt_field(ep, "interface", ib, sizeof(ib)));
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* cli_link_impairment - the fields that are set, "delay_ms=50 loss_pct=2", or "-". */
static void
cli_link_impairment(const json_t *imp, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t off = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)imp, k, v) {
		char val[64];

		if (json_is_number(v) && json_number_value(v) == 0)
			continue;
		if (json_is_object(v)) {
			char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

			snprintf(val, sizeof(val), "%s", d ? d : "{}");
			free(d);
		} else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else
			snprintf(val, sizeof(val), "%g", json_number_value(v));
		if (off < len)
			off += (size_t)snprintf(
			    buf + off, len - off, "%s%s=%s", off ? " " : "", k, val);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

int
cli_link_table(const json_t *links)
{
	struct cli_table t = {.ncol = 6};
	const json_t *l;
	size_t i;

	cli_table_row(
	    &t, (const char *[]){"ID", "KIND", "ENDPOINTS", "STATE", "DATAPATH", "IMPAIRMENT"});
	json_array_foreach(links, i, l) {
		char id[32], kind[16], eps[512], st[16], dp[16], imp[256];

		cli_link_endpoints(l, eps, sizeof(eps));
		cli_link_impairment(json_object_get(l, "impairment"), imp, sizeof(imp));
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(l, "id", id, sizeof(id)),
		        cli_fmt_field(l, "kind", kind, sizeof(kind)), eps,
		        cli_fmt_field(l, "state", st, sizeof(st)),
		        cli_fmt_field(l, "datapath", dp, sizeof(dp)), imp});
	}
	return (cli_table_done(&t));
}

int
cli_link_list(struct cli_args *a)
{
	json_t *ans;
	int ret;

	if (cli_http_lab("GET", a->pos[0], NULL, "/links", NULL, &ans) == -1)
		return (CLI_FAIL);
	ret = cli_link_table(json_object_get(ans, "links"));
	json_decref(ans);
	return (ret == 0 ? CLI_OK : CLI_FAIL);
}

/* cli_link_patch - PATCH LAB's link LINK with body (taken); print what it now is. */
static int
cli_link_patch(struct cli_args *a, json_t *body)
{
	char suffix[64], imp[256];
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *ans;
	int r;

	json_decref(body);
	if (text == NULL || strspn(a->pos[1], "0123456789") != strlen(a->pos[1]) ||
	    strlen(a->pos[1]) > 18) {
		fprintf(stderr, "labwire: a link is named by its id (a number)\n");
		free(text);
		return (CLI_FAIL);
	}
	snprintf(suffix, sizeof(suffix), "/links/%s", a->pos[1]);
	r = cli_http_lab("PATCH", a->pos[0], NULL, suffix, text, &ans);
	free(text);
	if (r == -1)
		return (CLI_FAIL);
	cli_link_impairment(json_object_get(ans, "impairment"), imp, sizeof(imp));
	printf("link %s: %s, impairment %s\n", a->pos[1], cli_fmt_string(ans, "state"), imp);
	json_decref(ans);
	return (CLI_OK);
}

int
cli_link_up(struct cli_args *a)
{
	return (cli_link_patch(a, json_pack("{s:s}", "state", "up")));
}

int
cli_link_down(struct cli_args *a)
{
	return (cli_link_patch(a, json_pack("{s:s}", "state", "down")));
}

/* cli_link_impair_field - kv ("delay_ms=50", "a_to_b.rate_kbps=1000") into imp; 0 or -1 (told). */
static int
cli_link_impair_field(json_t *imp, char *kv)
{
	char *eq = strchr(kv, '='), *dot, *end;
	json_t *where = imp, *num;
	double v;

	if (eq == NULL || eq == kv) {
		fprintf(stderr, "labwire: impairment: '%s' is not FIELD=NUMBER\n", kv);
		return (-1);
	}
	*eq = '\0';
	v = strtod(eq + 1, &end);
	if (*end != '\0' || end == eq + 1) {
		fprintf(stderr, "labwire: impairment: %s: '%s' is not a number\n", kv, eq + 1);
		return (-1);
	}
	if ((dot = strchr(kv, '.')) != NULL) { /* a_to_b.delay_ms */
		*dot = '\0';
		if ((where = json_object_get(imp, kv)) == NULL) {
			where = json_object();
			json_object_set_new(imp, kv, where);
		}
		kv = dot + 1;
	}
	num = v == (double)(long long)v ? json_integer((long long)v) : json_real(v);
	json_object_set_new(where, kv, num);
	return (0);
}

/* cli_link_impair_spec - "FIELD=N,..." ("" or "none": nothing) as an object, or NULL (told). */
static json_t *
cli_link_impair_spec(const char *spec)
{
	json_t *imp = json_object();
	char *dup, *save = NULL;

	if ((dup = strdup(strcmp(spec, "none") == 0 ? "" : spec)) == NULL) {
		json_decref(imp);
		return (NULL);
	}
	for (char *kv = strtok_r(dup, ", ", &save); kv != NULL; kv = strtok_r(NULL, ", ", &save)) {
		if (cli_link_impair_field(imp, kv) == -1) {
			json_decref(imp);
			imp = NULL;
			break;
		}
	}
	free(dup);
	return (imp);
}

/*
 * cli_link_impair - SPEC is "delay_ms=50,loss_pct=2.5,a_to_b.rate_kbps=1000"
 * (a JSON object works too; "" or "none" clears). Values are numbers; the
 * daemon checks the names and ranges.
 */
int
cli_link_impair(struct cli_args *a)
{
	const char *spec = a->pos[2];
	json_error_t je;
	json_t *imp;

	if (spec[0] == '{') {
		if ((imp = json_loads(spec, 0, &je)) == NULL) {
			fprintf(stderr, "labwire: impairment: %s\n", je.text);
			return (CLI_FAIL);
		}
	} else if ((imp = cli_link_impair_spec(spec)) == NULL)
		return (CLI_FAIL);
	return (cli_link_patch(a, json_pack("{s:o}", "impairment", imp)));
}
