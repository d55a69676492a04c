/*
 * fuzz_import - libFuzzer target for a lab file import (labs/import.c
 * import_body): the first byte picks the format ('c' clab, 'n' netlab, 'm'
 * cml, 'g' gns3, 'u' unl, 'l' labwire, anything else: detected), the rest
 * is the file. The shipped templates are loaded; the image store is a
 * stand-in (an image uploaded for iosv only), so both a kind's own template
 * and a substitute are reached. 'M' reads the rest as a parser's model in
 * JSON ({"format", "nodes", "links", "drops"}, importir.h) and maps it
 * (import_map), so the mapping is reached whatever the parsers accept. Besides ASan's and UBSan's
 * checks: a file refused says why with 422 (413 for size); a file of a foreign format accepted
 * gives a body POST /labs's checks pass (valid, unique node names, templates that exist, endpoints
 * that name them and a valid interface) and a report of every section.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/fields.h"
#include "images/template.h"
#include "labs/import.h"
#include "labs/importir.h"
#include "labs/importmap.h"
#include "labs/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static bool
fuzz_uploaded(const char *tmpl, bool iso)
{
	return (!iso && strcmp(tmpl, "iosv") == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir =
	    getenv("LW_TEMPLATE_DIR") ? getenv("LW_TEMPLATE_DIR") : "images/templates";
	struct lw_err e = {0};

	(void)argc, (void)argv;
	if (template_load_dir(dir, &e) < 1)
		abort(); /* run from the source tree, or give LW_TEMPLATE_DIR */
	importmap_set_image_probe(fuzz_uploaded);
	return (0);
}

static const char *
fuzz_format(uint8_t b)
{
	switch (b) {
	case 'c':
		return ("clab");
	case 'n':
		return ("netlab");
	case 'm':
		return ("cml");
	case 'g':
		return ("gns3");
	case 'u':
		return ("unl");
	case 'l':
		return ("labwire");
	default:
		return (NULL);
	}
}

/* What POST /labs checks of the body, short of the store: it must all pass. */
static void
fuzz_body(json_t *body)
{
	struct lw_err e = {0};
	json_t *seen = json_object(), *n, *l, *ep;
	size_t i, k;

	if (fields_check(body, validate_lab_create, "lab", &e) == -1)
		__builtin_trap();
	json_array_foreach(json_object_get(body, "nodes"), i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));

		if (fields_check(n, validate_node_create, "node", &e) == -1 ||
		    template_find(json_string_value(json_object_get(n, "template"))) == NULL ||
		    json_object_get(seen, name) != NULL)
			__builtin_trap();
		json_object_set_new(seen, name, json_true());
	}
	json_array_foreach(json_object_get(body, "links"), i, l) {
		if (fields_check(l, validate_link_create, "link", &e) == -1)
			__builtin_trap();
		json_array_foreach(json_object_get(l, "endpoints"), k, ep) {
			char iface[64], nodebuf[64];
			const char *node;

			if (validate_endpoint(ep, &node, iface, sizeof(iface), nodebuf,
			        sizeof(nodebuf), &e) == -1 ||
			    json_object_get(seen, node) == NULL)
				__builtin_trap();
		}
	}
	json_decref(seen);
}

/* 'M': a model from JSON through the builders, then the mapping. */
static json_t *
fuzz_model(const char *buf, size_t len, json_t **report, struct lw_err *e)
{
	static const char *const fmts[] = {"clab", "unl", "gns3", "cml", "netlab"};
	json_t *doc = json_loadb(buf, len, 0, NULL), *v, *body = NULL;
	const char *fmt = "clab", *f = json_string_value(json_object_get(doc, "format"));
	struct imp im;
	size_t i;

	for (i = 0; f != NULL && i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (strcmp(f, fmts[i]) == 0)
			fmt = fmts[i];
	if (imp_init(&im, fmt, e) == -1) {
		json_decref(doc);
		return (NULL);
	}
	json_array_foreach(json_object_get(doc, "nodes"), i, v) {
		if (imp_node_add(&im, json_incref(v), "nodes", e) == -1)
			goto out;
	}
	json_array_foreach(json_object_get(doc, "links"), i, v) {
		if (imp_link_add(&im, json_incref(v), "links", e) == -1)
			goto out;
	}
	json_array_foreach(json_object_get(doc, "drops"), i, v)
		imp_drop(&im, "x", "%s", json_string_value(v) ? json_string_value(v) : "");
	body = import_map(&im, NULL, report, e);
out:
	imp_free(&im);
	json_decref(doc);
	return (body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = {"format", "nodes", "links", "lans", "mapped",
	    "interfaces", "renamed", "dropped", "kept"};
	const char *fmt = size > 0 ? fuzz_format(data[0]) : NULL;
	struct lw_err e = {0};
	json_t *report = NULL, *body;

	if (size == 0)
		return (0);
	if (data[0] == 'M')
		body = fuzz_model((const char *)data + 1, size - 1, &report, &e);
	else
		body = import_body(fmt, NULL, (const char *)data + 1, size - 1, &report, &e);
	if (body == NULL) {
		if (report != NULL || e.msg[0] == '\0' ||
		    (e.code != ERR_INVALID && e.code != ERR_TOO_LARGE))
			__builtin_trap();
		return (0);
	}
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (json_object_get(report, sections[i]) == NULL)
			__builtin_trap();
	if (strcmp(json_string_value(json_object_get(report, "format")), "labwire") != 0)
		fuzz_body(body);
	json_decref(body);
	json_decref(report);
	return (0);
}
