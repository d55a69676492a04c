/*
 * import_netlab - the netlab reader (labs/importfmt.h): nodes (a list of
 * names or a mapping), each node's device (its own, else its first group's
 * in file order, else defaults.device, else netlab's own default iosv), and
 * links in every form netlab takes ("r1-r2", [r1, r2, r3], {r1: {...}, r2:
 * {...}, prefix: ...}, {interfaces: [...]}). netlab numbers a node's
 * interfaces in link order, so this does too. Configuration modules (bgp,
 * ospf, vlans, ...) are not carried: netlab generates device configs from
 * them, labwire does not.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importfmt.h"
#include "labs/yamljson.h"

#define NETLAB_DEFAULT_DEVICE "iosv" /* netlab's own default device */
#define NETLAB_GROUP_DEPTH 8         /* groups inside groups */
#define NETLAB_NAME_MAX 127

struct netlab {
	struct imp *im;
	const char *defdev; /* defaults.device or NULL */
	json_t *own;        /* node name -> its own attributes (a mapping), file order */
	json_t *gattr;      /* node name -> attributes its groups give it */
	json_t *ingroup;    /* group name -> [node names that name the group in "group"] */
	json_t *groups;     /* the groups mapping (borrowed) or NULL */
	json_t *modules;    /* settings not carried: name -> true */
	json_t *modnodes;   /* nodes carrying them: name -> true */
	json_t *ifcount;    /* node name -> interfaces used so far */
};

/* Node attributes labwire reads; the others are netlab modules and settings. */
static const char *const netlab_node_keys[] = {
    "device", "box", "cpu", "memory", "group", "id", "name", NULL};
/* The node_data keys a group gives its members (the other node_data are modules). */
static const char *const netlab_data_keys[] = {"box", "cpu", "memory", NULL};
/* Devices whose interfaces netlab names like Linux: eth1, eth2, ... */
static const char *const netlab_linux[] = {"frr", "linux", "cumulus", "cumulus_nvue", NULL};

static bool
netlab_in(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return (true);
	}
	return (false);
}

static void
netlab_module(struct netlab *n, const char *key, json_t *v, const char *node)
{
	const char *k;
	json_t *x;
	char name[160];
	size_t i;

	if (strcmp(key, "module") == 0 && json_is_array(v) && json_array_size(v) > 0) {
		json_array_foreach(v, i, x) {
			snprintf(name, sizeof(name), "module %.64s",
			    json_is_string(x) ? json_string_value(x) : "?");
			json_object_set_new(n->modules, name, json_true());
		}
	} else if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach(v, k, x) {
			snprintf(name, sizeof(name), "%.64s.%.64s", key, k);
			json_object_set_new(n->modules, name, json_true());
		}
	} else {
		json_object_set_new(n->modules, key, json_true());
	}
	if (node != NULL)
		json_object_set_new(n->modnodes, node, json_true());
}

/* netlab_attrs_check - a node's (or group node_data's) attributes labwire reads, shape-checked. */
static int
netlab_attrs_check(json_t *a, const char *path, struct lw_err *e)
{
	json_t *v;
	long x;

	if (imp_get(a, "device", JSON_STRING, false, path, &v, e) == -1 ||
	    imp_get(a, "box", JSON_STRING, false, path, &v, e) == -1 ||
	    imp_get_int(a, "cpu", 1, 1024, path, &x, e) == -1 ||
	    imp_get_int(a, "memory", 1, 1048576, path, &x, e) == -1)
		return (-1);
	v = json_object_get(a, "group");
	if (v != NULL && !json_is_null(v) && !json_is_string(v) && !json_is_array(v))
		return (err_set(e, ERR_INVALID, "%s.group: expected a string or a list, not %s",
		    path, imp_type_name(json_typeof(v))));
	return (0);
}

/* netlab_node_group - remember that node names groups in its "group" attribute. */
static int
netlab_node_group(struct netlab *n, const char *name, json_t *g, const char *path, struct lw_err *e)
{
	json_t *list, *x;
	size_t i;

	if (json_is_string(g)) {
		g = json_pack("[O]", g);
	} else {
		json_incref(g);
	}
	json_array_foreach(g, i, x) {
		if (!json_is_string(x)) {
			json_decref(g);
			return (err_set(e, ERR_INVALID, "%s.group[%zu]: expected a string, not %s",
			    path, i, imp_type_name(json_typeof(x))));
		}
		if ((list = json_object_get(n->ingroup, json_string_value(x))) == NULL) {
			list = json_array();
			json_object_set_new(n->ingroup, json_string_value(x), list);
		}
		json_array_append_new(list, json_string(name));
	}
	json_decref(g);
	return (0);
}

static int
netlab_node_read(struct netlab *n, const char *name, json_t *a, const char *path, struct lw_err *e)
{
	const char *k;
	json_t *v, *own;

	if (strlen(name) > NETLAB_NAME_MAX)
		return (err_set(
		    e, ERR_INVALID, "%s: a node name longer than %d bytes", path, NETLAB_NAME_MAX));
	if (json_object_get(n->own, name) != NULL)
		return (err_set(e, ERR_INVALID, "%s: a second node named '%.64s'", path, name));
	if (a != NULL && !json_is_null(a) && !json_is_object(a))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping, not %s", path,
		    imp_type_name(json_typeof(a))));
	if ((own = json_object()) == NULL || json_object_set_new(n->own, name, own) == -1)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (!json_is_object(a))
		return (0);
	if (netlab_attrs_check(a, path, e) == -1)
		return (-1);
	json_object_foreach(a, k, v) {
		if (json_is_null(v))
			continue;
		if (strcmp(k, "group") == 0) {
			if (netlab_node_group(n, name, v, path, e) == -1)
				return (-1);
		} else if (netlab_in(netlab_node_keys, k)) {
			json_object_set(own, k, v);
		} else {
			netlab_module(n, k, v, name);
		}
	}
	return (0);
}

static int
netlab_nodes(struct netlab *n, json_t *nodes, struct lw_err *e)
{
	const char *k;
	json_t *v;
	char path[160];
	size_t i;

	if (json_is_array(nodes)) {
		json_array_foreach(nodes, i, v) {
			snprintf(path, sizeof(path), "nodes[%zu]", i);
			if (!json_is_string(v))
				return (err_set(e, ERR_INVALID, "%s: expected a node name, not %s",
				    path, imp_type_name(json_typeof(v))));
			if (netlab_node_read(n, json_string_value(v), NULL, path, e) == -1)
				return (-1);
		}
		return (0);
	}
	if (!json_is_object(nodes))
		return (err_set(e, ERR_INVALID, "nodes: expected a mapping or a list, not %s",
		    imp_type_name(json_typeof(nodes))));
	json_object_foreach(nodes, k, v) {
		snprintf(path, sizeof(path), "nodes.%.64s", k);
		if (netlab_node_read(n, k, v, path, e) == -1)
			return (-1);
	}
	return (0);
}

/* netlab_give - set key on node name from a group unless an earlier group set it. */
static void
netlab_give(struct netlab *n, const char *name, const char *key, json_t *v)
{
	json_t *g = json_object_get(n->gattr, name);

	if (g == NULL) {
		g = json_object();
		json_object_set_new(n->gattr, name, g);
	}
	if (v != NULL && json_object_get(g, key) == NULL)
		json_object_set(g, key, v);
}

/* netlab_apply - give group grp's device and node_data to its members, groups in it too. */
static void
netlab_apply(
    struct netlab *n, const char *gname, json_t *grp, json_t *members, json_t *data, int depth)
{
	const char *m;
	json_t *x, *sub;
	char what[200];
	size_t i;

	json_array_foreach(members, i, x) {
		if ((m = json_string_value(x)) == NULL)
			continue;
		if (json_object_get(n->own, m) != NULL) {
			netlab_give(n, m, "device", json_object_get(grp, "device"));
			for (int k = 0; netlab_data_keys[k] != NULL; k++)
				netlab_give(n, m, netlab_data_keys[k],
				    json_object_get(data, netlab_data_keys[k]));
		} else if ((sub = json_object_get(n->groups, m)) != NULL && depth > 0) {
			netlab_apply(n, gname, grp,
			    json_is_array(sub) ? sub : json_object_get(sub, "members"), data,
			    depth - 1);
			netlab_apply(
			    n, gname, grp, json_object_get(n->ingroup, m), data, depth - 1);
		} else if (sub == NULL) {
			snprintf(what, sizeof(what), "groups.%.64s: member %.64s", gname, m);
			imp_drop(n->im, what, "neither a node nor a group");
		}
	}
}

static int
netlab_group(struct netlab *n, const char *gname, json_t *g, struct lw_err *e)
{
	const char *k;
	json_t *members = g, *data = NULL, *v, *dev;
	char path[160];
	size_t i;

	snprintf(path, sizeof(path), "groups.%.64s", gname);
	if (json_is_object(g)) {
		if (imp_get(g, "members", JSON_ARRAY, false, path, &members, e) == -1 ||
		    imp_get(g, "device", JSON_STRING, false, path, &dev, e) == -1 ||
		    imp_get(g, "node_data", JSON_OBJECT, false, path, &data, e) == -1)
			return (-1);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), ".node_data");
		if (data != NULL && netlab_attrs_check(data, path, e) == -1)
			return (-1);
		json_object_foreach(g, k, v) {
			if (strcmp(k, "members") && strcmp(k, "device") && strcmp(k, "node_data") &&
			    strcmp(k, "vars") && k[0] != '_')
				netlab_module(n, k, v, NULL);
		}
		json_object_foreach(data, k, v) {
			if (!netlab_in(netlab_data_keys, k))
				netlab_module(n, k, v, NULL);
		}
	} else if (!json_is_array(g) && !json_is_null(g)) {
		return (
		    err_set(e, ERR_INVALID, "%s: expected a list of members or a mapping, not %s",
		        path, imp_type_name(json_typeof(g))));
	}
	json_array_foreach(members, i, v) {
		if (!json_is_string(v))
			return (err_set(e, ERR_INVALID,
			    "groups.%.64s.members[%zu]: expected a name, "
			    "not %s",
			    gname, i, imp_type_name(json_typeof(v))));
	}
	netlab_apply(n, gname, json_is_object(g) ? g : NULL, members, data, NETLAB_GROUP_DEPTH);
	netlab_apply(n, gname, json_is_object(g) ? g : NULL, json_object_get(n->ingroup, gname),
	    data, NETLAB_GROUP_DEPTH);
	return (0);
}

/* netlab_attr - node name's key: its own, else its groups', else NULL. */
static json_t *
netlab_attr(struct netlab *n, const char *name, const char *key)
{
	json_t *v = json_object_get(json_object_get(n->own, name), key);

	return (v != NULL ? v : json_object_get(json_object_get(n->gattr, name), key));
}

static const char *
netlab_device(struct netlab *n, const char *name)
{
	const char *d = json_string_value(netlab_attr(n, name, "device"));

	if (d == NULL)
		d = n->defdev;
	return (d != NULL ? d : NETLAB_DEFAULT_DEVICE);
}

/* netlab_int - an attribute checked by netlab_attrs_check as an integer (maybe "42"). */
static bool
netlab_int(json_t *v, long *out)
{
	if (json_is_integer(v))
		*out = (long)json_integer_value(v);
	else if (json_is_string(v))
		*out = strtol(json_string_value(v), NULL, 10);
	else
		return (false);
	return (true);
}

static int
netlab_node_add(struct netlab *n, const char *name, struct lw_err *e)
{
	json_t *node = json_pack("{s:s, s:s}", "name", name, "kind", netlab_device(n, name)), *v;
	char path[160];
	long x;

	if (node == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if ((v = netlab_attr(n, name, "box")) != NULL)
		json_object_set(node, "image", v);
	if (netlab_int(netlab_attr(n, name, "cpu"), &x))
		json_object_set_new(node, "cpus", json_integer(x));
	if (netlab_int(netlab_attr(n, name, "memory"), &x))
		json_object_set_new(node, "ram_mb", json_integer(x));
	snprintf(path, sizeof(path), "nodes.%.64s", name);
	return (imp_node_add(n->im, node, path, e));
}

/*
 * netlab_member - add node (with its link attributes a, maybe NULL) to the
 * link's member list; its attributes other than ifname are named in left.
 */
static int
netlab_member(
    const char *node, json_t *a, json_t *members, json_t *left, const char *path, struct lw_err *e)
{
	const char *k;
	json_t *v, *ifname = NULL;

	if (a != NULL && !json_is_null(a) && !json_is_object(a))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping, not %s", path,
		    imp_type_name(json_typeof(a))));
	if (json_is_object(a)) {
		if (imp_get(a, "ifname", JSON_STRING, false, path, &ifname, e) == -1)
			return (-1);
		json_object_foreach(a, k, v) {
			if (strcmp(k, "ifname") != 0 && strcmp(k, "node") != 0)
				json_array_append_new(left, json_sprintf("%s.%s", node, k));
		}
	}
	return (json_array_append_new(
	            members, json_pack("{s:s, s:O?}", "node", node, "ifname", ifname)) == 0
	        ? 0
	        : err_set(e, ERR_INTERNAL, "out of memory"));
}

/* netlab_link_members - the members of link l ([{node, ifname?}]); its other settings in left. */
static int
netlab_link_members(
    struct netlab *n, json_t *l, json_t *members, json_t *left, const char *path, struct lw_err *e)
{
	const char *s = json_string_value(l), *k, *dash;
	char name[NETLAB_NAME_MAX + 1], p[200];
	json_t *v, *ifs, *who;
	size_t i;

	if (s != NULL) {
		for (; *s != '\0'; s = *dash ? dash + 1 : dash) {
			dash = s + strcspn(s, "-");
			if (dash - s >
			    NETLAB_NAME_MAX) /* never cut a name (nor a UTF-8 character) */
				return (err_set(e, ERR_INVALID,
				    "%s: a node name longer than %d bytes", path, NETLAB_NAME_MAX));
			snprintf(name, sizeof(name), "%.*s", (int)(dash - s), s);
			if (netlab_member(name, NULL, members, left, path, e) == -1)
				return (-1);
		}
		return (0);
	}
	if (json_is_array(l)) {
		json_array_foreach(l, i, v) {
			if (!json_is_string(v))
				return (
				    err_set(e, ERR_INVALID, "%s[%zu]: expected a node name, not %s",
				        path, i, imp_type_name(json_typeof(v))));
			if (netlab_member(json_string_value(v), NULL, members, left, path, e))
				return (-1);
		}
		return (0);
	}
	if (!json_is_object(l))
		return (err_set(e, ERR_INVALID,
		    "%s: expected \"r1-r2\", a list of nodes or a "
		    "mapping, not %s",
		    path, imp_type_name(json_typeof(l))));
	if (imp_get(l, "interfaces", JSON_ARRAY, false, path, &ifs, e) == -1)
		return (-1);
	json_array_foreach(ifs, i, v) {
		snprintf(p, sizeof(p), "%s.interfaces[%zu]", path, i);
		if (imp_get(v, "node", JSON_STRING, true, p, &who, e) == -1 ||
		    netlab_member(json_string_value(who), v, members, left, p, e) == -1)
			return (-1);
	}
	json_object_foreach(ifs != NULL ? NULL : l, k, v) {
		if (json_object_get(n->own, k) != NULL) {
			snprintf(p, sizeof(p), "%s.%.64s", path, k);
			if (netlab_member(k, v, members, left, p, e) == -1)
				return (-1);
		} else {
			json_array_append_new(left, json_string(k));
		}
	}
	json_object_foreach(ifs != NULL ? l : NULL, k, v) {
		if (strcmp(k, "interfaces") != 0)
			json_array_append_new(left, json_string(k));
	}
	return (0);
}

/* netlab_ep - the next interface of member m's node, numbered as netlab numbers them. */
static json_t *
netlab_ep(struct netlab *n, json_t *m)
{
	const char *node = json_string_value(json_object_get(m, "node"));
	const char *ifname = json_string_value(json_object_get(m, "ifname"));
	long k = json_integer_value(json_object_get(n->ifcount, node)) + 1;
	char eth[32];

	json_object_set_new(n->ifcount, node, json_integer(k));
	if (ifname != NULL)
		return (imp_ep(node, ifname, k - 1));
	if (netlab_in(netlab_linux, netlab_device(n, node))) {
		snprintf(eth, sizeof(eth), "eth%ld", k);
		return (imp_ep(node, eth, k - 1));
	}
	return (imp_ep(node, "", k - 1));
}

/* netlab_what - "links[3] (r1-r2-r3)" for the report. */
static void
netlab_what(json_t *members, const char *path, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%s (", path), i;
	json_t *m;

	json_array_foreach(members, i, m) {
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "-" : "",
			    json_string_value(json_object_get(m, "node")));
	}
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

static void
netlab_left(struct netlab *n, const char *what, json_t *left)
{
	char list[400];

	if (json_array_size(left) == 0)
		return;
	imp_join(left, list, sizeof(list));
	imp_drop(n->im, what,
	    "link settings labwire links do not have: %s (labwire sets no "
	    "addresses; a segment is a link or a LAN by its member count)",
	    list);
}

static int
netlab_link(struct netlab *n, json_t *l, const char *path, struct lw_err *e)
{
	json_t *members = json_array(), *left = json_array(), *eps = NULL, *m;
	const char *bad = NULL;
	char what[300];
	size_t i;
	int rc = -1;

	if (members == NULL || left == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (netlab_link_members(n, l, members, left, path, e) == -1)
		goto out;
	netlab_what(members, path, what, sizeof(what));
	json_array_foreach(members, i, m) {
		if (bad == NULL &&
		    json_object_get(n->own, json_string_value(json_object_get(m, "node"))) == NULL)
			bad = json_string_value(json_object_get(m, "node"));
	}
	rc = 0;
	if (bad != NULL) {
		imp_drop(n->im, what, "no node '%.64s' in nodes", bad);
	} else if (json_array_size(members) < 2) {
		imp_drop(n->im, what,
		    json_array_size(members) == 0
		        ? "a link with no nodes"
		        : "a stub link (one node, no peer): labwire links join two or more nodes");
	} else if ((eps = json_array()) == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	} else {
		json_array_foreach(members, i, m)
			json_array_append_new(eps, netlab_ep(n, m));
		netlab_left(n, what, left);
		rc = imp_link_add(n->im, json_pack("{s:o}", "endpoints", eps), path, e);
	}
out:
	json_decref(members);
	json_decref(left);
	return (rc);
}

/* netlab_top - the lab's name and text, defaults.device, and what is not carried. */
static int
netlab_top(struct netlab *n, json_t *doc, struct lw_err *e)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach(doc, k, v) {
		if (strcmp(k, "name") == 0 && json_is_string(v)) {
			snprintf(n->im->name, sizeof(n->im->name), "%s", json_string_value(v));
		} else if (strcmp(k, "message") == 0 && json_is_string(v)) {
			n->im->guide = json_incref(v);
		} else if (strcmp(k, "description") == 0 && json_is_string(v)) {
			n->im->description = json_incref(v);
		} else if (strcmp(k, "defaults.device") == 0 || strcmp(k, "defaults") == 0) {
			d = strcmp(k, "defaults") == 0 ? json_object_get(v, "device") : v;
			if (strcmp(k, "defaults") == 0 && !json_is_object(v) && !json_is_null(v))
				return (
				    err_set(e, ERR_INVALID, "defaults: expected a mapping, not %s",
				        imp_type_name(json_typeof(v))));
			if (d != NULL && !json_is_string(d))
				return (err_set(e, ERR_INVALID,
				    "defaults.device: expected a string, "
				    "not %s",
				    imp_type_name(json_typeof(d))));
			if (d != NULL)
				n->defdev = json_string_value(d);
		} else if (strcmp(k, "provider") == 0) {
			imp_drop(n->im, "provider",
			    "netlab's virtualization provider: labwire runs "
			    "the nodes itself");
		} else if (strcmp(k, "nodes") && strcmp(k, "links") && strcmp(k, "groups")) {
			netlab_module(n, k, v, NULL);
		}
	}
	return (0);
}

static void
netlab_modules_drop(struct netlab *n)
{
	char what[400], nodes[300];
	const char *k;
	size_t o = 0, p = 0;
	json_t *v;

	if (json_object_size(n->modules) == 0)
		return;
	nodes[0] = '\0';
	json_object_foreach(n->modules, k, v) {
		if (o < sizeof(what))
			o += (size_t)snprintf(what + o, sizeof(what) - o, "%s%s", o ? ", " : "", k);
	}
	json_object_foreach(n->modnodes, k, v) {
		if (p < sizeof(nodes))
			p += (size_t)snprintf(
			    nodes + p, sizeof(nodes) - p, "%s%s", p ? ", " : "", k);
	}
	imp_drop(n->im, what,
	    "netlab modules are not carried over: netlab generates device "
	    "configurations from them, labwire starts devices without%s%s",
	    p ? "; set on " : "", nodes);
}

static int
netlab_read(struct netlab *n, json_t *doc, struct lw_err *e)
{
	json_t *nodes, *links, *v;
	const char *k;
	char path[64];
	size_t i;

	if (!json_is_object(doc))
		return (err_set(e, ERR_INVALID,
		    "the file is %s, not a netlab topology (nodes:, "
		    "links:)",
		    imp_type_name(json_typeof(doc))));
	if (netlab_top(n, doc, e) == -1)
		return (-1);
	if ((nodes = json_object_get(doc, "nodes")) == NULL)
		return (err_set(e, ERR_INVALID, "nodes: missing"));
	n->groups = json_object_get(doc, "groups");
	links = json_object_get(doc, "links");
	if (n->groups != NULL && !json_is_object(n->groups) && !json_is_null(n->groups))
		return (err_set(e, ERR_INVALID, "groups: expected a mapping, not %s",
		    imp_type_name(json_typeof(n->groups))));
	if (links != NULL && !json_is_array(links) && !json_is_null(links))
		return (err_set(e, ERR_INVALID, "links: expected a list, not %s",
		    imp_type_name(json_typeof(links))));
	if (netlab_nodes(n, nodes, e) == -1)
		return (-1);
	json_object_foreach(n->groups, k, v) {
		if (netlab_group(n, k, v, e) == -1)
			return (-1);
	}
	json_object_foreach(n->own, k, v) {
		if (netlab_node_add(n, k, e) == -1)
			return (-1);
	}
	json_array_foreach(links, i, v) {
		snprintf(path, sizeof(path), "links[%zu]", i);
		if (netlab_link(n, v, path, e) == -1)
			return (-1);
	}
	netlab_modules_drop(n);
	return (0);
}

int
imp_netlab(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	struct netlab n = {.im = im};
	json_t *own = NULL;
	int rc = -1;

	if (doc == NULL &&
	    (doc = own = yaml_to_json(buf, len, IMPORT_DEPTH_MAX, IMPORT_VALUES_MAX, e)) == NULL)
		return (-1);
	n.own = json_object();
	n.gattr = json_object();
	n.ingroup = json_object();
	n.modules = json_object();
	n.modnodes = json_object();
	n.ifcount = json_object();
	if (n.own == NULL || n.gattr == NULL || n.ingroup == NULL || n.modules == NULL ||
	    n.modnodes == NULL || n.ifcount == NULL)
		err_set(e, ERR_INTERNAL, "out of memory");
	else
		rc = netlab_read(&n, doc, e);
	json_decref(n.own);
	json_decref(n.gattr);
	json_decref(n.ingroup);
	json_decref(n.modules);
	json_decref(n.modnodes);
	json_decref(n.ifcount);
	json_decref(own);
	return (rc);
}
