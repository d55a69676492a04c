/*
 * import_cml - the Cisco Modeling Labs 2 reader (labs/importfmt.h): a lab
 * YAML of schema 0.0.x to 0.3.x as the model. The lab's fields are under
 * "lab" (title, description, notes, version) or, in older files, at the
 * top level. A node's physical interfaces carry their slot (the data-port
 * number) and label (the name); links join (node id, interface id) pairs.
 * unmanaged_switch nodes become LAN segments (labs/importlan.c);
 * external_connector nodes are dropped with their links.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importfmt.h"
#include "labs/importlan.h"

#define CML_CONFIG_MAX (256 * 1024) /* bytes of a startup config (labwire's limit) */

enum cml_role { CML_NODE, CML_LAN, CML_GONE };

struct cmlnode {
	const char *id, *name, *def;
	json_t *ifaces; /* the file's interfaces (borrowed), or NULL */
	enum cml_role role;
	int lan; /* CML_LAN: its device in c->lan */
};

struct cml {
	struct imp *im;
	struct cmlnode *nodes;
	json_t *byid; /* node id → index in nodes */
	struct implan *lan;
};

/* An interface a link names, as read. */
struct cmlend {
	struct cmlnode *n;
	const char *nid, *iid, *ifname;
	long slot;        /* -1: none */
	const char *type; /* "physical", "loopback", ... */
	char label[160];  /* "iosv-0:GigabitEthernet0/1" for the report */
};

/* cml_str - o[key]: a string (or absent: NULL); -1 with e when another type. */
static int
cml_str(json_t *o, const char *key, const char *path, const char **out, struct lw_err *e)
{
	json_t *v;

	if (imp_get(o, key, JSON_STRING, false, path, &v, e) == -1)
		return (-1);
	*out = json_string_value(v);
	return (0);
}

/* cml_text - the lab's text field key (under lab, or top-level as is or as lab_<key>). */
static int
cml_text(json_t *doc, json_t *lab, const char *key, const char **out, struct lw_err *e)
{
	char alt[32];

	*out = NULL;
	if (lab != NULL)
		return (cml_str(lab, key, "lab", out, e));
	snprintf(alt, sizeof(alt), "lab_%s", key);
	if (cml_str(doc, key, "lab", out, e) == -1)
		return (err_set(e, ERR_INVALID, "%s: expected a string", key));
	if (*out == NULL && cml_str(doc, alt, "lab", out, e) == -1)
		return (err_set(e, ERR_INVALID, "%s: expected a string", alt));
	return (0);
}

/* cml_version - report a schema version this reader does not know (it reads it as 0.3.x). */
static void
cml_version(struct cml *c, json_t *src)
{
	static const char *const known[] = {"0.0.", "0.1.", "0.2.", "0.3."};
	json_t *v = json_object_get(src, "version");
	char ver[32];
	size_t i;

	if (json_is_string(v))
		snprintf(ver, sizeof(ver), "%s.", json_string_value(v));
	else if (json_is_number(v))
		snprintf(ver, sizeof(ver), "%g.", json_number_value(v));
	else
		return;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strncmp(ver, known[i], 4) == 0)
			return;
	}
	ver[strlen(ver) - 1] = '\0';
	imp_drop(c->im, "schema version",
	    "%s is not one this reader knows (0.0.x to 0.3.x): read as 0.3.x", ver);
}

/* cml_lab - the lab's title, description, notes (the guide) and version. */
static int
cml_lab(struct cml *c, json_t *doc, struct lw_err *e)
{
	const char *title, *desc, *notes;
	json_t *lab;

	if (imp_get(doc, "lab", JSON_OBJECT, false, "file", &lab, e) == -1)
		return (err_set(e, ERR_INVALID, "lab: expected a mapping"));
	if (cml_text(doc, lab, "title", &title, e) == -1 ||
	    cml_text(doc, lab, "description", &desc, e) == -1 ||
	    cml_text(doc, lab, "notes", &notes, e) == -1)
		return (-1);
	if (title != NULL)
		snprintf(c->im->name, sizeof(c->im->name), "%s", title);
	if (desc != NULL && *desc != '\0')
		c->im->description = json_string(desc);
	if (notes != NULL && *notes != '\0')
		c->im->guide = json_string(notes);
	cml_version(c, lab ? lab : doc);
	return (0);
}

/* cml_config_files - 0.3.x: a list of {name, content}; the first is the main one. */
static int
cml_config_files(struct cml *c, struct cmlnode *n, json_t *files, const char *path, json_t *model,
    struct lw_err *e)
{
	char fpath[96], what[192];
	const char *name, *content, *main = NULL;
	json_t *f;
	size_t i;

	json_array_foreach(files, i, f) {
		snprintf(fpath, sizeof(fpath), "%s.configuration[%zu]", path, i);
		if (!json_is_object(f))
			return (err_set(
			    e, ERR_INVALID, "%s: expected a mapping with name and content", fpath));
		if (cml_str(f, "name", fpath, &name, e) == -1 ||
		    cml_str(f, "content", fpath, &content, e) == -1)
			return (-1);
		if (name == NULL)
			name = "Main";
		if (i == 0) {
			main = name;
			if (content != NULL && *content != '\0' &&
			    strlen(content) <= CML_CONFIG_MAX)
				json_object_set_new(model, "config", json_string(content));
			else if (content != NULL && *content != '\0')
				imp_drop(c->im, name,
				    "the startup config of %.64s is longer than %d KiB", n->name,
				    CML_CONFIG_MAX / 1024);
			continue;
		}
		snprintf(what, sizeof(what), "config file %.64s of %.64s", name, n->name);
		imp_drop(c->im, what,
		    "only the main configuration (%.64s) becomes the startup config", main);
	}
	return (0);
}

/* cml_config - a node's configuration: a string, or (0.3.x) a list of files. */
static int
cml_config(struct cml *c, struct cmlnode *n, json_t *node, const char *path, json_t *model,
    struct lw_err *e)
{
	json_t *v = json_object_get(node, "configuration");
	char what[96];

	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_array(v))
		return (cml_config_files(c, n, v, path, model, e));
	if (!json_is_string(v))
		return (
		    err_set(e, ERR_INVALID, "%s.configuration: expected a string or a list, not %s",
		        path, imp_type_name(json_typeof(v))));
	if (json_string_length(v) > CML_CONFIG_MAX) {
		snprintf(what, sizeof(what), "startup config of %.64s", n->name);
		imp_drop(c->im, what, "longer than %d KiB", CML_CONFIG_MAX / 1024);
	} else if (json_string_length(v) > 0) {
		json_object_set(model, "config", v);
	}
	return (0);
}

/* cml_model - the model node of a node that is carried over. */
static int
cml_model(struct cml *c, struct cmlnode *n, json_t *node, const char *path, struct lw_err *e)
{
	const char *image;
	long x = 0, y = 0;
	json_t *model;

	if (cml_str(node, "image_definition", path, &image, e) == -1)
		return (-1);
	if ((model = json_pack("{s:s, s:s}", "name", n->name, "kind", n->def)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (imp_get_num(node, "x", -1000000, 1000000, path, &x, e) == -1 ||
	    imp_get_num(node, "y", -1000000, 1000000, path, &y, e) == -1 ||
	    imp_model_num(node, "ram", 1L << 20, model, "ram_mb", path, e) == -1 ||
	    imp_model_num(node, "cpus", 256, model, "cpus", path, e) == -1 ||
	    cml_config(c, n, node, path, model, e) == -1) {
		json_decref(model);
		return (-1);
	}
	json_object_set_new(model, "x", json_integer(x));
	json_object_set_new(model, "y", json_integer(y));
	if (image != NULL && *image != '\0' && strlen(image) <= 256)
		json_object_set_new(model, "image", json_string(image));
	return (imp_node_add(c->im, model, path, e));
}

/* cml_ifaces - check a node's interface list: each {id, label?, slot?, type?}. */
static int
cml_ifaces(struct cmlnode *n, json_t *node, const char *path, struct lw_err *e)
{
	char ipath[96];
	const char *s;
	json_t *f, *id;
	size_t i;
	long slot;

	if (imp_get(node, "interfaces", JSON_ARRAY, false, path, &n->ifaces, e) == -1)
		return (-1);
	json_array_foreach(n->ifaces, i, f) {
		snprintf(ipath, sizeof(ipath), "%s.interfaces[%zu]", path, i);
		if (imp_get(f, "id", JSON_STRING, true, ipath, &id, e) == -1 ||
		    cml_str(f, "label", ipath, &s, e) == -1 ||
		    cml_str(f, "type", ipath, &s, e) == -1 ||
		    imp_get_num(f, "slot", 0, 1023, ipath, &slot, e) == -1)
			return (-1);
	}
	return (0);
}

/* cml_node - read node i of the file: a model node, a LAN device or a drop. */
static int
cml_node(struct cml *c, json_t *node, size_t i, struct lw_err *e)
{
	struct cmlnode *n = &c->nodes[i];
	char path[32], what[160];
	const char *conf;
	json_t *v;

	snprintf(path, sizeof(path), "nodes[%zu]", i);
	if (imp_get(node, "id", JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	n->id = json_string_value(v);
	if (imp_get(node, "node_definition", JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	n->def = json_string_value(v);
	if (cml_str(node, "label", path, &n->name, e) == -1 || cml_ifaces(n, node, path, e) == -1)
		return (-1);
	if (n->name == NULL || *n->name == '\0')
		n->name = n->id;
	if (json_object_get(c->byid, n->id) != NULL)
		return (err_set(e, ERR_INVALID, "%s.id: '%.64s' is given twice", path, n->id));
	json_object_set_new(c->byid, n->id, json_integer((json_int_t)i));
	snprintf(what, sizeof(what), "%s %.64s", n->def, n->name);
	if (strcmp(n->def, "unmanaged_switch") == 0) {
		n->role = CML_LAN;
		if ((n->lan = implan_dev(c->lan, what)) == -1)
			return (err_set(e, ERR_INTERNAL, "out of memory"));
		return (0);
	}
	if (strcmp(n->def, "external_connector") == 0) {
		conf = json_string_value(json_object_get(node, "configuration"));
		n->role = CML_GONE;
		imp_drop(c->im, what,
		    "it connects the lab to the host's network%s%.64s%s; labwire labs are isolated "
		    "(its links are dropped too)",
		    conf && *conf ? " (" : "", conf && *conf ? conf : "", conf && *conf ? ")" : "");
		return (0);
	}
	n->role = CML_NODE;
	return (cml_model(c, n, node, path, e));
}

/* cml_end - resolve end k (n1/i1 or n2/i2) of a link: its node and interface. */
static int
cml_end(struct cml *c, json_t *link, int k, const char *path, struct cmlend *end, struct lw_err *e)
{
	char nk[4], ik[4];
	json_t *v, *f;
	size_t i;

	snprintf(nk, sizeof(nk), "n%d", k);
	snprintf(ik, sizeof(ik), "i%d", k);
	memset(end, 0, sizeof(*end));
	end->slot = -1;
	if (imp_get(link, nk, JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	end->nid = json_string_value(v);
	if (imp_get(link, ik, JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	end->iid = json_string_value(v);
	v = json_object_get(c->byid, end->nid);
	end->n = v ? &c->nodes[json_integer_value(v)] : NULL;
	json_array_foreach(end->n ? end->n->ifaces : NULL, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "id")), end->iid) != 0)
			continue;
		end->ifname = json_string_value(json_object_get(f, "label"));
		end->type = json_string_value(json_object_get(f, "type"));
		if (imp_get_num(f, "slot", 0, 1023, path, &end->slot, e) != 1)
			end->slot = -1;
		if (end->type == NULL)
			end->type = "physical";
		break;
	}
	snprintf(end->label, sizeof(end->label), "%.64s:%.64s", end->n ? end->n->name : end->nid,
	    end->ifname ? end->ifname : end->iid);
	return (0);
}

/* cml_usable - why end cannot be carried over (a drop was reported), or 0 when it can. */
static int
cml_unusable(struct cml *c, struct cmlend *end, const char *what)
{
	if (end->n == NULL) {
		imp_drop(c->im, what, "no node has the id '%.64s'", end->nid);
		return (1);
	}
	if (end->n->role == CML_GONE) {
		imp_drop(c->im, what, "%.64s (%s) is not imported", end->n->name, end->n->def);
		return (1);
	}
	if (end->type == NULL) {
		imp_drop(c->im, what, "%.64s has no interface '%.64s'", end->n->name, end->iid);
		return (1);
	}
	if (strcmp(end->type, "physical") != 0) {
		imp_drop(c->im, what, "%s is a %.32s interface, not a port", end->label, end->type);
		return (1);
	}
	return (0);
}

/* cml_conditioning - report a link's conditioning (bandwidth, latency, loss, ...). */
static void
cml_conditioning(struct cml *c, json_t *link, const char *what)
{
	json_t *cond = json_object_get(link, "conditioning"), *v;
	char list[256], buf[200];
	size_t used = 0;
	const char *key;
	int k;

	list[0] = '\0';
	json_object_foreach(cond, key, v) {
		if (used >= sizeof(list) || !(json_is_number(v) || json_is_string(v)) ||
		    strcmp(key, "enabled") == 0)
			continue;
		k = json_is_number(v) ? snprintf(list + used, sizeof(list) - used, "%s%.32s %g",
		                            used ? ", " : "", key, json_number_value(v))
		                      : snprintf(list + used, sizeof(list) - used, "%s%.32s %.32s",
		                            used ? ", " : "", key, json_string_value(v));
		used += k > 0 ? (size_t)k : 0;
	}
	if (used == 0)
		return;
	snprintf(buf, sizeof(buf), "conditioning of %s", what);
	imp_drop(c->im, buf, "%s: set it again as the link's impairment", list);
}

static json_t *
cml_ep(struct cmlend *end)
{
	return (imp_ep(end->n->name, end->ifname, end->slot));
}

/* cml_link - link j: a point-to-point link, a LAN member, a join of two switches, or a drop. */
static int
cml_link(struct cml *c, json_t *link, size_t j, struct lw_err *e)
{
	char path[32], what[sizeof(((struct cmlend *)0)->label) * 2 + 16];
	struct cmlend end[2];
	int k;

	snprintf(path, sizeof(path), "links[%zu]", j);
	if (!json_is_object(link))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping", path));
	if (cml_end(c, link, 1, path, &end[0], e) == -1 ||
	    cml_end(c, link, 2, path, &end[1], e) == -1)
		return (-1);
	snprintf(what, sizeof(what), "link %s - %s", end[0].label, end[1].label);
	if (cml_unusable(c, &end[0], what) || cml_unusable(c, &end[1], what))
		return (0);
	cml_conditioning(c, link, what);
	if (end[0].n->role == CML_LAN && end[1].n->role == CML_LAN) {
		implan_join(c->lan, end[0].n->lan, end[1].n->lan);
		return (0);
	}
	for (k = 0; k < 2; k++) {
		if (end[k].n->role == CML_LAN) {
			if (implan_member(c->lan, end[k].n->lan, cml_ep(&end[1 - k])) == -1)
				return (err_set(e, ERR_INTERNAL, "out of memory"));
			return (0);
		}
	}
	return (imp_link_add(c->im,
	    json_pack(
	        "{s:[o,o], s:s}", "endpoints", cml_ep(&end[0]), cml_ep(&end[1]), "what", what),
	    path, e));
}

/* cml_lists - the node and link lists, and the annotations that are not imported. */
static int
cml_lists(struct cml *c, json_t *doc, json_t **nodes, json_t **links, struct lw_err *e)
{
	static const char *const notes[] = {"annotations", "smart_annotations"};
	json_t *v;
	size_t i;

	if (imp_get(doc, "nodes", JSON_ARRAY, true, "file", nodes, e) == -1)
		return (err_set(e, ERR_INVALID, "nodes: expected a list"));
	if (imp_get(doc, "links", JSON_ARRAY, false, "file", links, e) == -1)
		return (err_set(e, ERR_INVALID, "links: expected a list"));
	if (json_array_size(*nodes) > IMPORT_NODES_MAX)
		return (err_set(e, ERR_INVALID, "nodes: more than %d nodes", IMPORT_NODES_MAX));
	if (json_array_size(*links) > IMPORT_LINKS_MAX)
		return (err_set(e, ERR_INVALID, "links: more than %d links", IMPORT_LINKS_MAX));
	for (i = 0; i < 2; i++) {
		v = json_object_get(doc, notes[i]);
		if (json_is_array(v) && json_array_size(v) > 0)
			imp_drop(c->im, notes[i],
			    "%zu canvas annotation%s (text, shapes) are not imported",
			    json_array_size(v), json_array_size(v) == 1 ? "" : "s");
	}
	return (0);
}

int
imp_cml(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	json_t *nodes, *links = NULL, *v;
	struct cml c = {.im = im};
	int rc = -1;
	size_t i;

	(void)buf, (void)len;
	if (!json_is_object(doc))
		return (err_set(
		    e, ERR_INVALID, "a CML lab is a YAML mapping with lab, nodes and links"));
	if (cml_lab(&c, doc, e) == -1 || cml_lists(&c, doc, &nodes, &links, e) == -1)
		return (-1);
	c.nodes = calloc(json_array_size(nodes) + 1, sizeof(*c.nodes));
	c.byid = json_object();
	c.lan = implan_new();
	if (c.nodes == NULL || c.byid == NULL || c.lan == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_array_foreach(nodes, i, v) {
		if (cml_node(&c, v, i, e) == -1)
			goto out;
	}
	json_array_foreach(links, i, v) {
		if (cml_link(&c, v, i, e) == -1)
			goto out;
	}
	rc = implan_emit(c.lan, im, "links", e);
out:
	implan_free(c.lan);
	json_decref(c.byid);
	free(c.nodes);
	return (rc);
}
