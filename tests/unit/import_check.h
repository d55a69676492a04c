/*
 * import_check.h - helpers the import parsers' unit tests share
 * (test_import_gns3, test_import_cml): run a parser on a tree written as
 * YAML in the test, look at the model it filled (links as
 * "node:iface#index" lists, drops as "what: reason"), and check a file of
 * tests/import/ end to end through import_body against its .expect.json.
 * The clab and netlab tests keep their own model (struct imp) and look at
 * it with the ic_m* helpers, ic_ep and ic_neps.
 * Include after tests/unit/test.h.
 */
#ifndef LW_IMPORT_CHECK_H
#define LW_IMPORT_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/import.h"
#include "labs/importfmt.h"
#include "labs/importir.h"
#include "labs/importmap.h"
#include "labs/yamljson.h"

#define IC_UNUSED __attribute__((unused))

static struct imp ic_im;

typedef int (*ic_parser)(struct imp *, const char *, size_t, json_t *, struct lw_err *);

/* ic_run - a fresh model of format filled by parse from yaml (a YAML or JSON text); its rc. */
static IC_UNUSED int
ic_run(const char *format, ic_parser parse, const char *yaml, struct lw_err *e)
{
	json_t *doc;
	int rc;

	imp_free(&ic_im);
	memset(e, 0, sizeof(*e));
	if (imp_init(&ic_im, format, e) == -1)
		return (-2);
	if ((doc = yaml_to_json(yaml, strlen(yaml), 64, 100000, e)) == NULL) {
		fprintf(stderr, "test YAML: %s\n", e->msg);
		return (-2);
	}
	rc = parse(&ic_im, yaml, strlen(yaml), doc, e);
	json_decref(doc);
	return (rc);
}

/* ic_link - model link i as "node:iface#index node:iface#index ..." (index "-" when none). */
static IC_UNUSED const char *
ic_link(size_t i)
{
	static char buf[1024];
	json_t *eps = json_object_get(json_array_get(ic_im.links, i), "endpoints"), *ep;
	size_t k, used = 0;
	int n;

	buf[0] = '\0';
	json_array_foreach(eps, k, ep) {
		json_t *idx = json_object_get(ep, "index");
		char num[24] = "-";

		if (idx != NULL)
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(idx));
		n = snprintf(buf + used, sizeof(buf) - used, "%s%s:%s#%s", k ? " " : "",
		    json_string_value(json_object_get(ep, "node")),
		    json_string_value(json_object_get(ep, "interface")), num);
		used += n > 0 && (size_t)n < sizeof(buf) - used ? (size_t)n : 0;
	}
	return (buf);
}

/* ic_find_link - the index of the model link described as ic_link does, or -1. */
static IC_UNUSED long
ic_find_link(const char *desc)
{
	for (size_t i = 0; i < json_array_size(ic_im.links); i++) {
		if (strcmp(ic_link(i), desc) == 0)
			return ((long)i);
	}
	fprintf(stderr, "no link '%s'; the model has:\n", desc);
	for (size_t i = 0; i < json_array_size(ic_im.links); i++)
		fprintf(stderr, "  %s\n", ic_link(i));
	return (-1);
}

/* ic_in - some entry of list (dropped or kept) has sub in "what: reason". */
static IC_UNUSED bool
ic_in(json_t *list, const char *sub)
{
	json_t *d;
	size_t i;
	char buf[1024];

	json_array_foreach(list, i, d) {
		snprintf(buf, sizeof(buf), "%s: %s", json_string_value(json_object_get(d, "what")),
		    json_string_value(json_object_get(d, "reason")));
		if (strstr(buf, sub) != NULL)
			return (true);
	}
	fprintf(stderr, "'%s' not in:\n%s\n", sub, json_dumps(list, JSON_INDENT(1)));
	return (false);
}

static IC_UNUSED bool
ic_dropped(const char *sub)
{
	return (ic_in(ic_im.dropped, sub));
}

/* ic_node - model node name (borrowed) or NULL. */
static IC_UNUSED json_t *
ic_node(const char *name)
{
	return (imp_node_find(&ic_im, name));
}

static IC_UNUSED const char *
ic_nstr(const char *name, const char *key)
{
	return (json_string_value(json_object_get(ic_node(name), key)));
}

static IC_UNUSED long long
ic_nint(const char *name, const char *key)
{
	json_t *v = json_object_get(ic_node(name), key);

	return (v ? json_integer_value(v) : -1);
}

/* ic_mread - a fresh model im of format filled by parse from text (JSON when json, else the
 * parser reads the text itself); its rc, -2 when the test's JSON is bad. */
static IC_UNUSED int
ic_mread(struct imp *im, const char *format, ic_parser parse, const char *text, bool json,
    struct lw_err *e)
{
	json_t *doc = NULL;
	int rc;

	imp_init(im, format, e);
	if (json && (doc = json_loads(text, 0, NULL)) == NULL) {
		fprintf(stderr, "bad JSON in the test: %s\n", text);
		return (-2);
	}
	rc = parse(im, text, strlen(text), doc, e);
	json_decref(doc);
	return (rc);
}

/* ic_mstr - string key of model im's node name, or NULL. */
static IC_UNUSED const char *
ic_mstr(struct imp *im, const char *name, const char *key)
{
	return (json_string_value(json_object_get(imp_node_find(im, name), key)));
}

/* ic_mint - integer key of model im's node name, or -999 when absent. */
static IC_UNUSED long
ic_mint(struct imp *im, const char *name, const char *key)
{
	json_t *v = json_object_get(imp_node_find(im, name), key);

	return (v ? (long)json_integer_value(v) : -999);
}

/* ic_mdrops - how many of model im's drop lines mention s (in what or reason). */
static IC_UNUSED int
ic_mdrops(struct imp *im, const char *s)
{
	json_t *d;
	size_t i;
	int n = 0;

	json_array_foreach(im->dropped, i, d) {
		if (strstr(json_string_value(json_object_get(d, "what")), s) != NULL ||
		    strstr(json_string_value(json_object_get(d, "reason")), s) != NULL)
			n++;
	}
	return (n);
}

/* ic_ep - model im's link i's endpoint j as "node:interface:index" (index -1 when none). */
static IC_UNUSED const char *
ic_ep(struct imp *im, size_t i, size_t j)
{
	static char buf[256];
	json_t *p = json_array_get(json_object_get(json_array_get(im->links, i), "endpoints"), j);
	json_t *x = json_object_get(p, "index");

	if (p == NULL)
		return ("(none)");
	snprintf(buf, sizeof(buf), "%s:%s:%lld", json_string_value(json_object_get(p, "node")),
	    json_string_value(json_object_get(p, "interface")),
	    x ? (long long)json_integer_value(x) : -1LL);
	return (buf);
}

/* ic_neps - how many endpoints model im's link i has. */
static IC_UNUSED size_t
ic_neps(struct imp *im, size_t i)
{
	return (json_array_size(json_object_get(json_array_get(im->links, i), "endpoints")));
}

/* ic_bad - e is an ERR_INVALID whose message has want (a parser's answer to a bad document). */
static IC_UNUSED void
ic_bad(const struct lw_err *e, const char *want)
{
	CHECK(e->code == ERR_INVALID);
	if (strstr(e->msg, want) == NULL)
		fprintf(stderr, "want '%s' in '%s'\n", want, e->msg);
	CHECK(strstr(e->msg, want) != NULL);
}

/* ic_read - a file's bytes (malloc'd, NUL-terminated) or NULL. */
static IC_UNUSED char *
ic_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	if (f != NULL)
		fclose(f);
	return (buf);
}

/* ic_mfile - a fresh model im of format filled by parse from the file tests/import/name (the
 * parser reads the text); its rc, -2 when the file cannot be read. */
static IC_UNUSED int
ic_mfile(struct imp *im, const char *format, ic_parser parse, const char *name, struct lw_err *e)
{
	char path[256], *buf;
	size_t len = 0;
	int rc;

	imp_init(im, format, e);
	snprintf(path, sizeof(path), "tests/import/%s", name);
	if ((buf = ic_read(path, &len)) == NULL)
		return (-2);
	rc = parse(im, buf, len, NULL, e);
	free(buf);
	return (rc);
}

/* ic_body_node - the POST /labs body's node called name. */
static IC_UNUSED json_t *
ic_body_node(json_t *body, const char *name)
{
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(body, "nodes"), i, n) {
		if (strcmp(json_string_value(json_object_get(n, "name")), name) == 0)
			return (n);
	}
	fprintf(stderr, "no node %s in the body\n", name);
	return (NULL);
}

/* ic_has_link - the body has a link whose endpoints are exactly want's (any order). */
static IC_UNUSED bool
ic_has_link(json_t *body, json_t *want)
{
	json_t *l, *eps, *w, *g;
	size_t i, k, j;

	json_array_foreach(json_object_get(body, "links"), i, l) {
		eps = json_object_get(l, "endpoints");
		if (json_array_size(eps) != json_array_size(want))
			continue;
		size_t found = 0;

		json_array_foreach(want, k, w) {
			json_array_foreach(eps, j, g) {
				if (json_equal(w, g)) {
					found++;
					break;
				}
			}
		}
		if (found == json_array_size(want))
			return (true);
	}
	fprintf(stderr, "no link %s in %s\n", json_dumps(want, JSON_COMPACT),
	    json_dumps(json_object_get(body, "links"), JSON_COMPACT));
	return (false);
}

/* ic_expect_nodes - templates, configs (startup_config or origin.config) and positions. */
static IC_UNUSED void
ic_expect_nodes(json_t *body, json_t *want)
{
	const char *name, *cfg, *orig;
	json_t *v, *n;

	json_object_foreach(json_object_get(want, "templates"), name, v) {
		n = ic_body_node(body, name);
		CHECK_STR(json_string_value(json_object_get(n, "template")), json_string_value(v));
	}
	json_object_foreach(json_object_get(want, "configs"), name, v) {
		n = ic_body_node(body, name);
		cfg = json_string_value(json_object_get(n, "startup_config"));
		orig = json_string_value(json_object_get(json_object_get(n, "origin"), "config"));
		CHECK((cfg && strstr(cfg, json_string_value(v))) ||
		    (orig && strstr(orig, json_string_value(v))));
	}
	json_object_foreach(json_object_get(want, "positions"), name, v) {
		n = ic_body_node(body, name);
		CHECK(json_integer_value(json_object_get(n, "x")) ==
		    json_integer_value(json_array_get(v, 0)));
		CHECK(json_integer_value(json_object_get(n, "y")) ==
		    json_integer_value(json_array_get(v, 1)));
	}
}

/*
 * ic_expect - tests/import/<name><ext> through import_body (format NULL:
 * detected) against tests/import/<name>.expect.json, as the integration
 * test checks it through the API.
 */
static IC_UNUSED void
ic_expect(const char *name, const char *ext, const char *format)
{
	char path[256];
	char *buf;
	size_t len;
	json_t *want, *body, *report = NULL, *v;
	struct lw_err e = {0};
	json_error_t je;
	size_t i;

	snprintf(path, sizeof(path), "tests/import/%s.expect.json", name);
	want = json_load_file(path, 0, &je);
	snprintf(path, sizeof(path), "tests/import/%s%s", name, ext);
	buf = ic_read(path, &len);
	CHECK(want != NULL && buf != NULL);
	if (want == NULL || buf == NULL)
		return;
	body = import_body(format, NULL, buf, len, &report, &e);
	if (body == NULL)
		fprintf(stderr, "%s: %s\n", path, e.msg);
	CHECK(body != NULL);
	if (body != NULL) {
		CHECK_STR(json_string_value(json_object_get(report, "format")),
		    json_string_value(json_object_get(want, "format")));
		CHECK(json_equal(json_object_get(report, "nodes"), json_object_get(want, "nodes")));
		CHECK(json_equal(json_object_get(report, "links"), json_object_get(want, "links")));
		CHECK(json_equal(json_object_get(report, "lans"), json_object_get(want, "lans")));
		CHECK(json_array_size(json_object_get(body, "links")) ==
		    (size_t)json_integer_value(json_object_get(want, "links")));
		json_array_foreach(json_object_get(want, "link_endpoints"), i, v)
			CHECK(ic_has_link(body, v));
		json_array_foreach(json_object_get(want, "interfaces"), i, v) {
			bool found = false;
			json_t *g;
			size_t k;

			json_array_foreach(json_object_get(report, "interfaces"), k, g)
				found = found || json_equal(g, v);
			if (!found)
				fprintf(stderr, "%s: no interface entry %s\n", path,
				    json_dumps(v, JSON_COMPACT));
			CHECK(found);
		}
		json_array_foreach(json_object_get(want, "dropped"), i, v)
			CHECK(ic_in(json_object_get(report, "dropped"), json_string_value(v)));
		json_array_foreach(json_object_get(want, "kept"), i, v)
			CHECK(ic_in(json_object_get(report, "kept"), json_string_value(v)));
		ic_expect_nodes(body, want);
	}
	json_decref(body);
	json_decref(report);
	json_decref(want);
	free(buf);
}

/* ic_no_image - the image probe of a fresh appliance: nothing uploaded, vendor templates are
 * substituted. */
static IC_UNUSED bool
ic_no_image(const char *tmpl, bool iso)
{
	(void)tmpl, (void)iso;
	return (false);
}

/* ic_setup - load images/templates and make no image uploaded (ic_no_image); -1 (said) when the
 * templates do not load. */
static IC_UNUSED int
ic_setup(void)
{
	struct lw_err e = {0};

	if (template_load_dir("images/templates", &e) < 0) {
		fprintf(stderr, "templates: %s\n", e.msg);
		return (-1);
	}
	importmap_set_image_probe(ic_no_image);
	return (0);
}

/* ic_done - free the shared model and the templates. */
static IC_UNUSED void
ic_done(void)
{
	imp_free(&ic_im);
	template_free_all();
}

#endif
