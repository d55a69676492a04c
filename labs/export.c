/*
 * export - a lab as a file (labs/import.h export_lab): labwire's own
 * format (the POST /labs body of the lab, JSON or YAML) and containerlab's
 * YAML. Both are read from the lab's API object (lab_json), so the export
 * shows what GET /labs/{lab} shows and nothing the store invents (ids,
 * ports, MACs, tokens, owner, runtime state). Importing a labwire export
 * and exporting again gives the same bytes: keys are sorted, nodes and
 * links come in id order, and a field's value is only what POST /labs
 * takes back.
 */
#include "labs/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/assign.h"
#include "labs/importmap.h"
#include "labs/lab.h"
#include "labs/yamljson.h"

/* The node fields a POST /labs body takes, as GET /labs/{lab} shows them. */
static const char *const export_node_keys[] = {"name", "template", "image", "cdrom", "arch",
    "accel", "cpus", "cpu_cap_pct", "ram_mb", "nics", "startup_config", "x", "y", "boot_order",
    "origin", NULL};

/* export_node - node's POST body (new reference); absent and null fields left out. */
static json_t *
export_node(json_t *node)
{
	json_t *out = json_object(), *v;

	for (const char *const *k = export_node_keys; *k != NULL; k++)
		if ((v = json_object_get(node, *k)) != NULL && !json_is_null(v) &&
		    !(strcmp(*k, "origin") == 0 && json_object_size(v) == 0))
			json_object_set(out, *k, v);
	return (out);
}

/* export_impairment - imp (rendered with every field) without the fields at 0: what was set. */
static json_t *
export_impairment(json_t *imp)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(imp, k, v)
		if (!(json_is_number(v) && json_number_value(v) == 0))
			json_object_set(out, k, v);
	return (out);
}

/* export_link - link's POST body: endpoints "node:iface" in order, state, impairment. */
static json_t *
export_link(json_t *link)
{
	json_t *eps = json_array(), *ep;
	char buf[160];
	size_t i;

	json_array_foreach(json_object_get(link, "endpoints"), i, ep) {
		snprintf(buf, sizeof(buf), "%s:%s", json_string_value(json_object_get(ep, "node")),
		    json_string_value(json_object_get(ep, "interface")));
		json_array_append_new(eps, json_string(buf));
	}
	return (
	    json_pack("{s:o,s:O,s:o}", "endpoints", eps, "state", json_object_get(link, "state"),
	        "impairment", export_impairment(json_object_get(link, "impairment"))));
}

/* export_stages - stages, without their configs when hide (the caller may not see them). */
static json_t *
export_stages(json_t *stages, bool hide)
{
	json_t *out = json_deep_copy(stages), *s;
	size_t i;

	if (hide)
		json_array_foreach(out, i, s)
			json_object_del(s, "configs");
	return (out);
}

/* export_labwire_tree - the labwire file's tree (new reference) of lab (lab_json's). */
static json_t *
export_labwire_tree(json_t *lab, bool hide)
{
	json_t *out, *nodes = json_array(), *links = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(lab, "nodes"), i, v)
		json_array_append_new(nodes, export_node(v));
	json_array_foreach(json_object_get(lab, "links"), i, v)
		json_array_append_new(links, export_link(v));
	out = json_pack("{s:s,s:i,s:O,s:o,s:o}", "format", "labwire", "version", 1, "name",
	    json_object_get(lab, "name"), "nodes", nodes, "links", links);
	for (const char **k = (const char *[]){"description", "guide", "checks", NULL}; *k; k++)
		if ((v = json_object_get(lab, *k)) != NULL && !json_is_null(v))
			json_object_set(out, *k, v);
	if ((v = json_object_get(lab, "stages")) != NULL && !json_is_null(v))
		json_object_set_new(out, "stages", export_stages(v, hide));
	return (out);
}

/*
 * export_offsets - {node: 0 or 1}, what a node's interface index is shifted
 * by to make its clab name ethN. containerlab keeps eth0 for management,
 * so a node names its first data port eth1 (offset 1); a node whose own
 * names are eth0, eth1, ... and that does not use eth0 keeps them (offset
 * 0), so its exec lines ("ip addr add ... dev eth1") still fit.
 */
static json_t *
export_offsets(json_t *lab)
{
	json_t *out = json_object(), *n, *l, *ep;
	const struct template *t;
	size_t i, j;

	json_array_foreach(json_object_get(lab, "nodes"), i, n) {
		t = template_find(json_string_value(json_object_get(n, "template")));
		json_object_set_new(out, json_string_value(json_object_get(n, "name")),
		    json_integer(t != NULL && strcmp(t->interface_pattern, "eth{n}") == 0 &&
		                t->nlead == 0 && t->interface_first == 0
		            ? 0
		            : 1));
	}
	json_array_foreach(json_object_get(lab, "links"), i, l) {
		json_array_foreach(json_object_get(l, "endpoints"), j, ep) {
			const char *node = json_string_value(json_object_get(ep, "node"));
			const char *iface = json_string_value(json_object_get(ep, "interface"));

			if (node != NULL && iface != NULL && strcmp(iface, "eth0") == 0 &&
			    json_object_get(out, node) != NULL)
				json_object_set_new(out, node, json_integer(1));
		}
	}
	return (out);
}

/* export_ifnum - the clab interface number (index + offset) of iface on a node of template tpl (0:
 * unknown). */
static int
export_ifnum(const char *tpl, const char *iface, int offset)
{
	const struct template *t = tpl != NULL ? template_find(tpl) : NULL;
	int idx = t != NULL ? template_ifindex(t, iface) : -1;

	return (idx >= 0 ? idx + offset : 0);
}

/* export_exec - a linux-host's startup script as clab exec lines (blank lines left out). */
static json_t *
export_exec(const char *script)
{
	json_t *out = json_array();
	const char *s = script, *nl;

	for (; *s != '\0'; s = *nl ? nl + 1 : nl) {
		nl = s + strcspn(s, "\n");
		if (nl > s)
			json_array_append_new(out, json_stringn(s, (size_t)(nl - s)));
	}
	return (out);
}

static json_t *
export_clab_node(json_t *node, int offset)
{
	const char *tpl = json_string_value(json_object_get(node, "template"));
	const char *img = NULL, *kind = importmap_clab_kind(tpl, &img);
	const char *own = json_string_value(json_object_get(node, "image"));
	const char *cfg = json_string_value(json_object_get(node, "startup_config"));
	json_t *out = json_object();
	char x[24], y[24];

	snprintf(x, sizeof(x), "%lld", (long long)json_integer_value(json_object_get(node, "x")));
	snprintf(y, sizeof(y), "%lld", (long long)json_integer_value(json_object_get(node, "y")));
	json_object_set_new(out, "kind", json_string(kind != NULL ? kind : "linux"));
	if ((own != NULL && own[0] != '\0') || img != NULL)
		json_object_set_new(out, "image", json_string(own != NULL && own[0] ? own : img));
	json_object_set_new(out, "labels",
	    json_pack("{s:s,s:s,s:s,s:s}", "labwire.template", tpl, "labwire.eth-offset",
	        offset ? "1" : "0", "graph-posX", x, "graph-posY", y));
	if (cfg != NULL && cfg[0] != '\0') {
		if (strcmp(tpl, "linux-host") == 0)
			json_object_set_new(out, "exec", export_exec(cfg));
		else
			json_object_set_new(out, "startup-config", json_string(cfg));
	}
	return (out);
}

/* export_lan_name - "lanN" for the n-th LAN (from 1), skipping the lab's node names. */
static void
export_lan_name(json_t *cnodes, int *n, char *buf, size_t len)
{
	do
		snprintf(buf, len, "lan%d", (*n)++);
	while (json_object_get(cnodes, buf) != NULL);
}

/* export_clab_ep - "node:ethN" of ep; tpls: {node name: template}; offs: export_offsets. */
static json_t *
export_clab_ep(json_t *tpls, json_t *offs, json_t *ep)
{
	const char *node = json_string_value(json_object_get(ep, "node"));
	char buf[160];

	snprintf(buf, sizeof(buf), "%s:eth%d", node,
	    export_ifnum(json_string_value(json_object_get(tpls, node)),
	        json_string_value(json_object_get(ep, "interface")),
	        (int)json_integer_value(json_object_get(offs, node))));
	return (json_string(buf));
}

/* export_clab_links - p2p links as clab links; a LAN as a bridge node and a link per member. */
static json_t *
export_clab_links(json_t *lab, json_t *offs, json_t *cnodes)
{
	json_t *tpls = json_object(), *out = json_array(), *l, *ep, *eps;
	char lan[32], bep[48];
	int nlan = 1;
	size_t i, j;

	json_array_foreach(json_object_get(lab, "nodes"), i, l)
		json_object_set(tpls, json_string_value(json_object_get(l, "name")),
		    json_object_get(l, "template"));

	json_array_foreach(json_object_get(lab, "links"), i, l) {
		eps = json_object_get(l, "endpoints");
		if (json_array_size(eps) == 2) {
			json_array_append_new(out,
			    json_pack("{s:[o,o]}", "endpoints",
			        export_clab_ep(tpls, offs, json_array_get(eps, 0)),
			        export_clab_ep(tpls, offs, json_array_get(eps, 1))));
			continue;
		}
		export_lan_name(cnodes, &nlan, lan, sizeof(lan));
		json_object_set_new(cnodes, lan, json_pack("{s:s}", "kind", "bridge"));
		json_array_foreach(eps, j, ep) {
			snprintf(bep, sizeof(bep), "%s:eth%zu", lan, j + 1);
			json_array_append_new(out,
			    json_pack(
			        "{s:[o,s]}", "endpoints", export_clab_ep(tpls, offs, ep), bep));
		}
	}
	json_decref(tpls);
	return (out);
}

static json_t *
export_clab_tree(json_t *lab)
{
	json_t *cnodes = json_object(), *offs = export_offsets(lab), *links, *n;
	const char *name;
	size_t i;

	json_array_foreach(json_object_get(lab, "nodes"), i, n) {
		name = json_string_value(json_object_get(n, "name"));
		json_object_set_new(cnodes, name,
		    export_clab_node(n, (int)json_integer_value(json_object_get(offs, name))));
	}
	links = export_clab_links(lab, offs, cnodes);
	json_decref(offs);
	return (json_pack("{s:O,s:{s:o,s:o}}", "name", json_object_get(lab, "name"), "topology",
	    "nodes", cnodes, "links", links));
}

/* export_text - tree as the file: sorted, indented JSON, or YAML in that order. */
static char *
export_text(json_t *tree, bool yaml, bool sorted, size_t *len, struct lw_err *e)
{
	char *json = json_dumps(tree, (sorted ? JSON_SORT_KEYS : 0) | JSON_INDENT(2)), *out;
	json_t *ordered;

	if (json == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	if (!yaml) {
		*len = strlen(json) + 1;
		if ((out = realloc(json, *len + 1)) == NULL) {
			free(json);
			err_set(e, ERR_INTERNAL, "out of memory");
			return (NULL);
		}
		memcpy(out + *len - 1, "\n", 2);
		return (out);
	}
	/* Read back, the objects keep the sorted order for the YAML writer. */
	ordered = json_loads(json, 0, NULL);
	free(json);
	out = ordered != NULL ? json_to_yaml(ordered, len, e) : NULL;
	if (ordered == NULL)
		err_set(e, ERR_INTERNAL, "out of memory");
	json_decref(ordered);
	return (out);
}

char *
export_lab(const struct who *w, int64_t lab, const char *format, const char *as,
    struct export_file *f, struct lw_err *e)
{
	bool clab, yaml;
	json_t *l, *tree;
	char *out;

	if (format == NULL || strcmp(format, "labwire") == 0)
		clab = false;
	else if (strcmp(format, "clab") == 0)
		clab = true;
	else
		return (err_set(e, ERR_INVALID, "format: expected labwire or clab, not '%.32s'",
		            format),
		    NULL);
	if (as != NULL && strcmp(as, "json") != 0 && strcmp(as, "yaml") != 0)
		return (
		    err_set(e, ERR_INVALID, "as: expected json or yaml, not '%.32s'", as), NULL);
	if (clab && as != NULL && strcmp(as, "json") == 0)
		return (err_set(e, ERR_INVALID, "as: a containerlab file is YAML"), NULL);
	yaml = clab || (as != NULL && strcmp(as, "yaml") == 0);
	if ((l = lab_json(lab, e)) == NULL)
		return (NULL);
	tree = clab ? export_clab_tree(l)
	            : export_labwire_tree(l, w != NULL && assign_hides_solutions(w, lab));
	snprintf(f->name, sizeof(f->name), "%s%s", json_string_value(json_object_get(l, "name")),
	    clab       ? ".clab.yml"
	        : yaml ? ".labwire.yaml"
	               : ".labwire.json");
	json_decref(l);
	out = export_text(tree, yaml, !clab, &f->len, e);
	json_decref(tree);
	f->ctype = yaml ? "application/yaml" : "application/json";
	return (out);
}
