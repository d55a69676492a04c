/*
 * import_clab - the containerlab reader (labs/importfmt.h). The text gets
 * its ${VAR:=default} references replaced first (from the file alone: the
 * daemon's environment is never read), then topology.nodes are read with
 * clab's inheritance (topology.defaults < kinds.<kind> < groups.<group> <
 * the node), both link forms become point-to-point links, and each
 * bridge/ovs-bridge node becomes one LAN segment of the other ends of its
 * links. Container settings (mgmt addresses, env, binds, ports, ...) and
 * links that leave the lab (host, mgmt-net, macvlan, vxlan, dummy) are
 * reported as dropped.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/importfmt.h"
#include "labs/yamljson.h"

#define CLAB_VARNAME_MAX 100
#define CLAB_REF_MAX 256 /* origin.config_ref's limit */
#define CLAB_POS_MAX 1000000.0

struct clab {
	struct imp *im;
	char lab[128];
	json_t *defaults; /* topology.defaults (borrowed, maybe NULL) */
	json_t *kinds;    /* topology.kinds */
	json_t *groups;   /* topology.groups */
	json_t *bridges;  /* bridge node name -> [member endpoint] */
	json_t *gone;     /* node not imported -> why (string) */
};

/* The keys a node (or a layer it inherits) may carry that labwire reads. */
static const char *const clab_read_keys[] = {
    "kind", "image", "group", "startup-config", "exec", "labels", "cpu", "memory", NULL};

/* Old and short kind names clab still accepts, as the kind they stand for. */
static const char *const clab_kind_alias[][2] = {{"srl", "nokia_srlinux"}, {"ceos", "arista_ceos"},
    {"crpd", "juniper_crpd"}, {"xrd", "cisco_xrd"}, {"vr-sros", "nokia_sros"},
    {"vr-vmx", "juniper_vmx"}, {"vr-vsrx", "juniper_vsrx"}, {"vr-vqfx", "juniper_vqfx"},
    {"vr-veos", "arista_veos"}, {"vr-xrv9k", "cisco_xrv9k"}, {"vr-xrv", "cisco_xrv"},
    {"vr-csr", "cisco_csr1000v"}, {"vr-n9kv", "cisco_n9kv"}, {"vr-ros", "mikrotik_ros"},
    {"vr-c8000v", "cisco_c8000v"}, {"vr-pan", "paloalto_panos"}, {"vr-ftosv", "dell_ftosv"},
    {NULL, NULL}};

/* Link types that leave the lab or have no peer: dropped, and why. */
static const char *const clab_link_gone[][2] = {
    {"host", "a veth into the clab host's own namespace; labwire links stay inside the lab"},
    {"mgmt-net", "a link to clab's management network; labwire nodes have none"},
    {"macvlan", "a macvlan on a host interface; labwire links stay inside the lab"},
    {"vxlan", "a VXLAN tunnel to another host; labwire links stay inside the lab"},
    {"vxlan-stitch", "a VXLAN tunnel to another host; labwire links stay inside the lab"},
    {"veth-stitch", "a veth stitched to a host interface; labwire links stay inside the lab"},
    {"dummy", "a dummy interface has no peer"}, {NULL, NULL}};

/*
 * clab_var - at p ("${"), the length of a variable reference ${NAME},
 * ${NAME:=def}, ${NAME:-def} (also = - without ':'; ?msg and +alt give no
 * default), or 0 when it is not one (left as it is). A default ends at the
 * first '}' and never spans lines, so line numbers stay those of the file.
 */
static size_t
clab_var(const char *p, const char *end, size_t *nlen, const char **def, size_t *dlen, bool *has)
{
	const char *q = p + 2, *r;
	char op;

	if (q >= end || !(isalpha((unsigned char)*q) || *q == '_'))
		return (0);
	while (q < end && (isalnum((unsigned char)*q) || *q == '_'))
		q++;
	*nlen = (size_t)(q - (p + 2));
	*has = false;
	*dlen = 0;
	if (*nlen > CLAB_VARNAME_MAX || q >= end)
		return (0);
	if (*q == '}')
		return ((size_t)(q + 1 - p));
	if (*q == ':')
		q++;
	if (q >= end || strchr("=-?+", *q) == NULL)
		return (0);
	op = *q++;
	for (r = q; r < end && *r != '}' && *r != '\n'; r++)
		;
	if (r >= end || *r != '}')
		return (0);
	if (op == '=' || op == '-') {
		*has = true;
		*def = q;
		*dlen = (size_t)(r - q);
	} else if (op == '+') {
		*has = true; /* an unset variable's alternative is "" by design */
	}
	return ((size_t)(r + 1 - p));
}

/* clab_subst - buf with its variables replaced (malloc'd, never longer); NULL: out of memory. */
static char *
clab_subst(struct imp *im, const char *buf, size_t len, size_t *outlen)
{
	const char *p = buf, *end = buf + len, *def = NULL;
	json_t *told = json_object();
	char *out = malloc(len + 1), *o = out, name[CLAB_VARNAME_MAX + 1];
	char ref[CLAB_VARNAME_MAX + 4];
	size_t n, nlen, dlen;
	bool has;

	if (out == NULL || told == NULL) {
		free(out);
		json_decref(told);
		return (NULL);
	}
	while (p < end) {
		if (end - p < 2 || p[0] != '$' || p[1] != '{' ||
		    (n = clab_var(p, end, &nlen, &def, &dlen, &has)) == 0) {
			*o++ = *p++;
			continue;
		}
		memcpy(name, p + 2, nlen);
		name[nlen] = '\0';
		if (has && dlen > 0) {
			memcpy(o, def, dlen);
			o += dlen;
		} else if (!has && json_object_get(told, name) == NULL) {
			json_object_set_new(told, name, json_true());
			snprintf(ref, sizeof(ref), "${%s}", name);
			imp_drop(im, ref,
			    "no default in the file, and the daemon's environment is "
			    "not read: it became \"\"");
		}
		p += n;
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	json_decref(told);
	return (out);
}

static const char *
clab_kind_norm(const char *kind)
{
	for (int i = 0; clab_kind_alias[i][0] != NULL; i++) {
		if (strcmp(kind, clab_kind_alias[i][0]) == 0)
			return (clab_kind_alias[i][1]);
	}
	return (kind);
}

/*
 * clab_mem_mb - a docker memory size ("4GB", "512MB", "1Gi", "1.5g"; a bare
 * number is bytes; every unit is binary, as docker reads them) in MiB; 0 or
 * -1 (*why says what is wrong).
 */
static int
clab_mem_mb(json_t *v, long *mb, const char **why)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"", 1}, {"b", 1}, {"k", 1024.0}, {"kb", 1024.0}, {"ki", 1024.0},
	    {"kib", 1024.0}, {"m", 1048576.0}, {"mb", 1048576.0}, {"mi", 1048576.0},
	    {"mib", 1048576.0}, {"g", 1073741824.0}, {"gb", 1073741824.0}, {"gi", 1073741824.0},
	    {"gib", 1073741824.0}, {"t", 1099511627776.0}, {"tb", 1099511627776.0},
	    {"ti", 1099511627776.0}, {"tib", 1099511627776.0}};
	const char *s = json_string_value(v);
	double n, mib;
	char *end;

	*why = "is not a size like 512MB, 4GB or 1Gi";
	if (json_is_integer(v)) {
		n = (double)json_integer_value(v);
		end = (char *)"";
	} else if (s != NULL && isdigit((unsigned char)*s)) {
		n = strtod(s, &end);
		while (*end == ' ')
			end++;
	} else {
		return (-1);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit) != 0)
			continue;
		mib = n * units[i].mult / 1048576.0;
		if (!isfinite(mib) || mib < 1) {
			*why = "is less than 1 MiB (a bare number is bytes: give a unit, 512MB)";
			return (-1);
		}
		if (mib > 1048576) {
			*why = "is more than 1 TiB";
			return (-1);
		}
		*mb = lround(mib);
		return (0);
	}
	return (-1);
}

/* clab_number - v as a finite number (a JSON number or a string like "1.5"); 0 or -1. */
static int
clab_number(json_t *v, double *d)
{
	const char *s = json_string_value(v);
	char *end = (char *)"";

	if (json_is_number(v))
		*d = json_number_value(v);
	else if (s != NULL && *s != '\0')
		*d = strtod(s, &end);
	else
		return (-1);
	return (*end == '\0' && isfinite(*d) ? 0 : -1);
}

/* clab_cpu - clab's cpu (a number, maybe fractional) as whole CPUs; 0 or -1. */
static int
clab_cpu(json_t *v, long *cpus)
{
	double d;

	if (clab_number(v, &d) == -1 || d <= 0 || d > 1024)
		return (-1);
	*cpus = (long)ceil(d);
	return (0);
}

static int
clab_shape(const char *path, const char *key, const char *want, json_t *v, struct lw_err *e)
{
	return (err_set(e, ERR_INVALID, "%s.%s: expected %s, not %s", path, key, want,
	    imp_type_name(json_typeof(v))));
}

/* clab_layer_check - the keys labwire reads, where they are written (node, group, kind, defaults).
 */
static int
clab_layer_check(json_t *l, const char *path, struct lw_err *e)
{
	static const char *const strs[] = {"kind", "image", "group", "startup-config", NULL};
	const char *why, *k;
	json_t *v, *x;
	long n;
	size_t i;

	if (!json_is_object(l))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping, not %s", path,
		    imp_type_name(json_typeof(l))));
	for (i = 0; strs[i] != NULL; i++) {
		if (imp_get(l, strs[i], JSON_STRING, false, path, &v, e) == -1)
			return (-1);
	}
	if (imp_get(l, "exec", JSON_ARRAY, false, path, &v, e) == -1)
		return (-1);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return (err_set(e, ERR_INVALID, "%s.exec[%zu]: expected a string, not %s",
			    path, i, imp_type_name(json_typeof(x))));
	}
	if (imp_get(l, "labels", JSON_OBJECT, false, path, &v, e) == -1 ||
	    imp_get(l, "env", JSON_OBJECT, false, path, &x, e) == -1)
		return (-1);
	json_object_foreach(v, k, x) {
		if (json_is_object(x) || json_is_array(x))
			return (
			    err_set(e, ERR_INVALID, "%s.labels.%.64s: expected a string, not %s",
			        path, k, imp_type_name(json_typeof(x))));
	}
	if ((v = json_object_get(l, "cpu")) != NULL && !json_is_null(v) && clab_cpu(v, &n) == -1)
		return (err_set(
		    e, ERR_INVALID, "%s.cpu: expected a number of CPUs in (0, 1024]", path));
	if ((v = json_object_get(l, "memory")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v) && !json_is_integer(v))
			return (clab_shape(path, "memory", "a size like 4GB", v, e));
		if (clab_mem_mb(v, &n, &why) == -1)
			return (err_set(e, ERR_INVALID, "%s.memory: '%.32s' %s", path,
			    json_is_string(v) ? json_string_value(v) : "(number)", why));
	}
	return (0);
}

/* clab_merge - layer's keys over eff's; labels and env merge key by key. */
static void
clab_merge(json_t *eff, json_t *layer)
{
	const char *k;
	json_t *v, *have;

	json_object_foreach(layer, k, v) {
		if (json_is_null(v))
			continue;
		have = json_object_get(eff, k);
		if ((strcmp(k, "labels") == 0 || strcmp(k, "env") == 0) && json_is_object(v)) {
			if (!json_is_object(have)) {
				have = json_object();
				json_object_set_new(eff, k, have);
			}
			json_object_update(have, v);
			continue;
		}
		json_object_set(eff, k, v);
	}
}

/* clab_expand - s with clab's magic variables in a path replaced; 0, or -1 when too long. */
static int
clab_expand(const char *s, const char *node, const char *lab, char *out, size_t len)
{
	size_t o = 0;
	int w;

	while (*s != '\0') {
		if (strncmp(s, "__clabNodeName__", 16) == 0) {
			w = snprintf(out + o, len - o, "%s", node);
			s += 16;
		} else if (strncmp(s, "__clabDir__", 11) == 0) {
			w = snprintf(out + o, len - o, "clab-%s", lab);
			s += 11;
		} else {
			w = snprintf(out + o, len - o, "%c", *s++);
		}
		if (w < 0 || (size_t)w >= len - o)
			return (-1);
		o += (size_t)w;
	}
	return (0);
}

/* clab_pos - a graph-posX/Y label as a canvas coordinate; 0 or -1. */
static int
clab_pos(json_t *v, long *out)
{
	double d;

	if (clab_number(v, &d) == -1 || fabs(d) > CLAB_POS_MAX)
		return (-1);
	*out = lround(d);
	return (0);
}

/* clab_labels - labwire.template and graph-posX/Y onto node; other labels named in left. */
static void
clab_labels(struct clab *c, const char *name, json_t *labels, json_t *node, json_t *left)
{
	const char *k, *tn;
	json_t *v;
	long pos;
	char what[128];

	json_object_foreach(labels, k, v) {
		if (strcmp(k, "graph-posX") == 0 || strcmp(k, "graph-posY") == 0) {
			if (clab_pos(v, &pos) == 0) {
				json_object_set_new(
				    node, k[9] == 'X' ? "x" : "y", json_integer(pos));
				continue;
			}
			snprintf(what, sizeof(what), "node %.64s: label %s", name, k);
			imp_drop(c->im, what, "not a canvas position (a number within +-%.0f)",
			    CLAB_POS_MAX);
		} else if (strcmp(k, "labwire.eth-offset") == 0) {
			/* a labwire export: its node's ethN is index N - offset */
			if (json_is_string(v) &&
			    (strcmp(json_string_value(v), "0") == 0 ||
			        strcmp(json_string_value(v), "1") == 0)) {
				json_object_set_new(node, "eth_offset",
				    json_integer(json_string_value(v)[0] - '0'));
				continue;
			}
			snprintf(what, sizeof(what), "node %.64s: label %s", name, k);
			imp_drop(c->im, what, "not 0 or 1");
		} else if (strcmp(k, "labwire.template") == 0) {
			tn = json_string_value(v);
			if (tn != NULL && template_find(tn) != NULL) {
				json_object_set(node, "template", v);
				continue;
			}
			snprintf(what, sizeof(what), "node %.64s: label labwire.template", name);
			imp_drop(c->im, what,
			    "no template '%.64s' here: the node is mapped by its kind",
			    tn ? tn : "");
		} else {
			json_array_append_new(left, json_sprintf("labels.%s", k));
		}
	}
}

/* clab_config - startup-config: inline text (a line break) → "config", a path → "config_ref". */
static int
clab_config(
    struct clab *c, const char *name, json_t *eff, json_t *node, const char *path, struct lw_err *e)
{
	const char *s = json_string_value(json_object_get(eff, "startup-config"));
	char ref[CLAB_REF_MAX + 1];

	if (s == NULL || *s == '\0')
		return (0);
	/* A labwire export (its template label) writes the config itself, one line or many. */
	if (strchr(s, '\n') != NULL || json_object_get(node, "template") != NULL)
		return (json_object_set_new(node, "config", json_string(s)));
	if (clab_expand(s, name, c->lab, ref, sizeof(ref)) == -1 || strlen(ref) > CLAB_REF_MAX)
		return (err_set(e, ERR_INVALID, "%s.startup-config: a path longer than %d bytes",
		    path, CLAB_REF_MAX));
	return (json_object_set_new(node, "config_ref", json_string(ref)));
}

/* clab_left_drop - one drop line naming every setting of node name labwire does not carry. */
static void
clab_left_drop(struct clab *c, const char *name, json_t *eff, json_t *left)
{
	const char *k;
	json_t *v;
	char what[512];
	size_t o, i;

	json_object_foreach(eff, k, v) {
		for (i = 0; clab_read_keys[i] != NULL && strcmp(clab_read_keys[i], k) != 0; i++)
			;
		if (clab_read_keys[i] == NULL)
			json_array_append_new(left, json_string(k));
	}
	if (json_array_size(left) == 0)
		return;
	o = (size_t)snprintf(what, sizeof(what), "node %.64s: ", name);
	if (o < sizeof(what))
		imp_join(left, what + o, sizeof(what) - o);
	imp_drop(c->im, what,
	    "container settings labwire has no place for (clab runs "
	    "containers; labwire runs VMs and namespace hosts)");
}

/* clab_node_make - the model node for a lab node of effective settings eff. */
static int
clab_node_make(struct clab *c, const char *name, const char *kind, json_t *eff, const char *path,
    struct lw_err *e)
{
	json_t *node = json_pack("{s:s, s:s}", "name", name, "kind", kind), *left = json_array(),
	       *v;
	const char *why;
	long n;

	if (node == NULL || left == NULL)
		goto oom;
	if ((v = json_object_get(eff, "image")) != NULL)
		json_object_set(node, "image", v);
	if ((v = json_object_get(eff, "exec")) != NULL && json_array_size(v) > 0)
		json_object_set(node, "exec", v);
	if ((v = json_object_get(eff, "cpu")) != NULL && clab_cpu(v, &n) == 0)
		json_object_set_new(node, "cpus", json_integer(n));
	if ((v = json_object_get(eff, "memory")) != NULL && clab_mem_mb(v, &n, &why) == 0)
		json_object_set_new(node, "ram_mb", json_integer(n));
	clab_labels(c, name, json_object_get(eff, "labels"), node, left);
	if (clab_config(c, name, eff, node, path, e) == -1)
		goto fail;
	clab_left_drop(c, name, eff, left);
	json_decref(left);
	return (imp_node_add(c->im, node, path, e));
oom:
	err_set(e, ERR_INTERNAL, "out of memory");
fail:
	json_decref(node);
	json_decref(left);
	return (-1);
}

/* clab_kind_of - the node's kind: its own, else its group's, else the defaults'. */
static const char *
clab_kind_of(struct clab *c, json_t *n, json_t *grp)
{
	const char *k = json_string_value(json_object_get(n, "kind"));

	if (k == NULL)
		k = json_string_value(json_object_get(grp, "kind"));
	if (k == NULL)
		k = json_string_value(json_object_get(c->defaults, "kind"));
	return (k);
}

static int
clab_node(struct clab *c, const char *name, json_t *n, const char *path, struct lw_err *e)
{
	json_t *empty = NULL, *grp = NULL, *kcfg, *eff, *g;
	const char *kind, *norm;
	char why[160], what[80];
	int rc = -1;

	if (json_is_null(n))
		n = empty = json_object();
	if (clab_layer_check(n, path, e) == -1 ||
	    imp_get(n, "group", JSON_STRING, false, path, &g, e) == -1)
		goto out;
	if (g != NULL && (grp = json_object_get(c->groups, json_string_value(g))) == NULL) {
		err_set(e, ERR_INVALID, "%s.group: no group '%.64s' in topology.groups", path,
		    json_string_value(g));
		goto out;
	}
	if ((kind = clab_kind_of(c, n, grp)) == NULL) {
		err_set(e, ERR_INVALID,
		    "%s.kind: missing (not on the node, its group or "
		    "topology.defaults)",
		    path);
		goto out;
	}
	norm = clab_kind_norm(kind);
	if (strcmp(norm, "bridge") == 0 || strcmp(norm, "ovs-bridge") == 0) {
		rc = json_object_set_new(c->bridges, name, json_array()) == 0 ? 0 : -1;
		goto out;
	}
	if (strcmp(norm, "host") == 0 || strcmp(norm, "ext-container") == 0) {
		snprintf(
		    why, sizeof(why), "node %.64s (kind %s) is not part of the lab", name, norm);
		json_object_set_new(c->gone, name, json_string(why));
		snprintf(what, sizeof(what), "node %.64s", name);
		imp_drop(c->im, what,
		    "kind %s is %s outside the lab; labwire runs only the lab's "
		    "own nodes",
		    norm, norm[0] == 'h' ? "the clab host" : "a container");
		rc = 0;
		goto out;
	}
	if ((kcfg = json_object_get(c->kinds, kind)) == NULL)
		kcfg = json_object_get(c->kinds, norm);
	if ((eff = json_object()) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	clab_merge(eff, c->defaults);
	clab_merge(eff, kcfg);
	clab_merge(eff, grp);
	clab_merge(eff, n);
	rc = clab_node_make(c, name, norm, eff, path, e);
	json_decref(eff);
out:
	json_decref(empty);
	return (rc);
}

/*
 * clab_ifindex - the 0-based data port an interface name means, by its
 * trailing number N: N when "0/" comes right before it (ge-0/0/N,
 * Gi0/0/0/N, Ethernet0/N: numbered from 0), else N-1 (ethN, eA-N,
 * ethernet-A/N, EthernetN, Ethernet1/N: numbered from 1; eth0 is clab's
 * management port and gets none). -1: no trailing number.
 */
static long
clab_ifindex(const char *s)
{
	const char *t = s + strlen(s);
	long n;

	while (t > s && isdigit((unsigned char)t[-1]))
		t--;
	if (*t == '\0' || strlen(t) > 6)
		return (-1);
	n = strtol(t, NULL, 10);
	if (t - s >= 2 && t[-1] == '/' && t[-2] == '0' &&
	    (t - s == 2 || !isdigit((unsigned char)t[-3])))
		return (n);
	return (n >= 1 ? n - 1 : -1);
}

/* clab_ep - the endpoint node:iface; a labwire export's node names ethN as its template does. */
static json_t *
clab_ep(struct clab *c, const char *node, const char *iface)
{
	json_t *m = imp_node_find(c->im, node), *off = json_object_get(m, "eth_offset");
	const char *tn = json_string_value(json_object_get(m, "template"));
	const struct template *t = tn != NULL ? template_find(tn) : NULL;
	long n, shift = off != NULL ? (long)json_integer_value(off) : 1;
	char name[64], *end;

	if (t != NULL && strncmp(iface, "eth", 3) == 0 && isdigit((unsigned char)iface[3])) {
		n = strtol(iface + 3, &end, 10);
		if (*end == '\0' && n >= shift && n <= 4096 &&
		    template_ifname(t, (int)(n - shift), name, sizeof(name)) == 0)
			return (imp_ep(node, name, n - shift));
	}
	return (imp_ep(node, iface, clab_ifindex(iface)));
}

struct clab_end {
	char node[128];
	char iface[128];
};

/* clab_end_parse - endpoint j of a link: "node:iface" or {node, interface, ...}; extras named in
 * left. */
static int
clab_end_parse(
    json_t *v, const char *path, size_t j, struct clab_end *ce, json_t *left, struct lw_err *e)
{
	const char *s = json_string_value(v), *colon, *k;
	char p[300];
	json_t *n, *i, *x;

	if (s != NULL) {
		colon = strchr(s, ':');
		if (colon == NULL || colon == s || colon[1] == '\0' || colon - s >= 128 ||
		    strlen(colon + 1) >= 128)
			return (err_set(e, ERR_INVALID,
			    "%s.endpoints[%zu]: expected "
			    "\"node:interface\", not '%.64s'",
			    path, j, s));
		snprintf(ce->node, sizeof(ce->node), "%.*s", (int)(colon - s), s);
		snprintf(ce->iface, sizeof(ce->iface), "%s", colon + 1);
		return (0);
	}
	snprintf(p, sizeof(p), "%s.endpoints[%zu]", path, j);
	if (imp_get(v, "node", JSON_STRING, true, p, &n, e) == -1 ||
	    imp_get(v, "interface", JSON_STRING, false, p, &i, e) == -1)
		return (-1);
	if (strlen(json_string_value(n)) >= 128 || (i && strlen(json_string_value(i)) >= 128))
		return (err_set(e, ERR_INVALID, "%s: a name longer than 127 bytes", p));
	snprintf(ce->node, sizeof(ce->node), "%s", json_string_value(n));
	snprintf(ce->iface, sizeof(ce->iface), "%s", i ? json_string_value(i) : "");
	json_object_foreach(v, k, x) {
		if (strcmp(k, "node") != 0 && strcmp(k, "interface") != 0)
			json_array_append_new(left, json_sprintf("endpoints[%zu].%s", j, k));
	}
	return (0);
}

/* clab_end_gone - why endpoint ce cannot be carried, or NULL when it names a node or bridge. */
static const char *
clab_end_gone(struct clab *c, const struct clab_end *ce, char *buf, size_t len)
{
	const char *why = json_string_value(json_object_get(c->gone, ce->node));

	if (why != NULL)
		return (why);
	if (imp_node_find(c->im, ce->node) != NULL || json_object_get(c->bridges, ce->node))
		return (NULL);
	if (strcmp(ce->node, "host") == 0 || strcmp(ce->node, "mgmt-net") == 0 ||
	    strcmp(ce->node, "macvlan") == 0)
		snprintf(buf, len,
		    "an endpoint on '%s' leaves the lab; labwire links stay "
		    "inside it",
		    ce->node);
	else
		snprintf(buf, len, "no node '%.64s' in topology.nodes", ce->node);
	return (buf);
}

/* clab_link_put - a veth link between ends a and b: p2p, or a member of a bridge's LAN. */
static int
clab_link_put(struct clab *c, struct clab_end *a, struct clab_end *b, const char *what,
    const char *path, struct lw_err *e)
{
	json_t *la = json_object_get(c->bridges, a->node),
	       *lb = json_object_get(c->bridges, b->node);
	json_t *link;

	if (la != NULL && lb != NULL) {
		imp_drop(c->im, what, "a link between two bridges: labwire LANs do not chain");
		return (0);
	}
	if (la != NULL || lb != NULL)
		return (json_array_append_new(la ? la : lb,
		            la ? clab_ep(c, b->node, b->iface) : clab_ep(c, a->node, a->iface)) == 0
		        ? 0
		        : err_set(e, ERR_INTERNAL, "out of memory"));
	link = json_pack(
	    "{s:[o,o]}", "endpoints", clab_ep(c, a->node, a->iface), clab_ep(c, b->node, b->iface));
	if (link == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	return (imp_link_add(c->im, link, path, e));
}

static void
clab_link_typed(struct clab *c, const char *type, const char *path)
{
	char what[200];

	snprintf(what, sizeof(what), "%s (type %.32s)", path, type);
	for (int i = 0; clab_link_gone[i][0] != NULL; i++) {
		if (strcmp(type, clab_link_gone[i][0]) == 0) {
			imp_drop(c->im, what, "%s", clab_link_gone[i][1]);
			return;
		}
	}
	imp_drop(c->im, what, "not a link type labwire knows (veth is)");
}

static int
clab_link(struct clab *c, json_t *l, const char *path, struct lw_err *e)
{
	struct clab_end ends[2];
	json_t *type, *eps, *v, *left = json_array();
	const char *k, *why = NULL;
	char what[600], buf[200];
	size_t j, o;
	int rc = -1;

	if (left == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (imp_get(l, "type", JSON_STRING, false, path, &type, e) == -1)
		goto out;
	if (type != NULL && strcmp(json_string_value(type), "veth") != 0) {
		clab_link_typed(c, json_string_value(type), path);
		rc = 0;
		goto out;
	}
	if (imp_get(l, "endpoints", JSON_ARRAY, true, path, &eps, e) == -1)
		goto out;
	if (json_array_size(eps) != 2) {
		err_set(e, ERR_INVALID, "%s.endpoints: a link has 2 endpoints, not %zu", path,
		    json_array_size(eps));
		goto out;
	}
	json_array_foreach(eps, j, v) {
		if (clab_end_parse(v, path, j, &ends[j], left, e) == -1)
			goto out;
	}
	json_object_foreach(l, k, v) {
		if (strcmp(k, "type") != 0 && strcmp(k, "endpoints") != 0)
			json_array_append_new(left, json_string(k));
	}
	o = (size_t)snprintf(what, sizeof(what), "link %s:%s - %s:%s", ends[0].node, ends[0].iface,
	    ends[1].node, ends[1].iface);
	for (j = 0; j < 2 && why == NULL; j++)
		why = clab_end_gone(c, &ends[j], buf, sizeof(buf));
	if (why != NULL) {
		imp_drop(c->im, what, "%s", why);
		rc = 0;
		goto out;
	}
	if ((rc = clab_link_put(c, &ends[0], &ends[1], what, path, e)) == -1)
		goto out;
	json_array_foreach(left, j, v) {
		if (o < sizeof(what))
			o += (size_t)snprintf(what + o, sizeof(what) - o, "%s %s", j ? "," : ":",
			    json_string_value(v));
	}
	if (json_array_size(left) > 0)
		imp_drop(c->im, what, "link settings labwire links do not have");
out:
	json_decref(left);
	return (rc);
}

/* clab_lans - each bridge's members as one LAN segment. */
static int
clab_lans(struct clab *c, struct lw_err *e)
{
	const char *name;
	json_t *members;
	char what[160], path[160];

	json_object_foreach(c->bridges, name, members) {
		snprintf(what, sizeof(what), "bridge %.64s", name);
		snprintf(path, sizeof(path), "topology.nodes.%.64s", name);
		if (json_array_size(members) < 2) {
			imp_drop(c->im, what,
			    "%zu link%s: a LAN segment needs two members (a "
			    "bridge with one link leads to the host, outside the lab)",
			    json_array_size(members), json_array_size(members) == 1 ? "" : "s");
			continue;
		}
		if (imp_link_add(c->im, json_pack("{s:O, s:s}", "endpoints", members, "what", what),
		        path, e) == -1)
			return (-1);
	}
	return (0);
}

static int
clab_top(struct clab *c, json_t *doc, struct lw_err *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(doc))
		return (err_set(e, ERR_INVALID,
		    "the file is %s, not a clab topology (name:, "
		    "topology:)",
		    imp_type_name(json_typeof(doc))));
	json_object_foreach(doc, k, v) {
		if (strcmp(k, "name") == 0) {
			if (!json_is_string(v))
				return (err_set(e, ERR_INVALID, "name: expected a string, not %s",
				    imp_type_name(json_typeof(v))));
			snprintf(c->lab, sizeof(c->lab), "%s", json_string_value(v));
			snprintf(c->im->name, sizeof(c->im->name), "%s", json_string_value(v));
		} else if (strcmp(k, "prefix") == 0) {
			imp_drop(c->im, "prefix",
			    "the container name prefix: labwire names nodes "
			    "by their own names");
		} else if (strcmp(k, "mgmt") == 0) {
			imp_drop(c->im, "mgmt",
			    "clab's management network (docker network, "
			    "subnets, addresses): labwire nodes have none");
		} else if (strcmp(k, "topology") != 0) {
			imp_drop(c->im, k, "not a clab setting labwire reads");
		}
	}
	return (0);
}

static int
clab_sections(struct clab *c, json_t *topo, json_t **nodes, json_t **links, struct lw_err *e)
{
	const char *k;
	json_t *v;
	char path[160];

	if (imp_get(topo, "defaults", JSON_OBJECT, false, "topology", &c->defaults, e) == -1 ||
	    imp_get(topo, "kinds", JSON_OBJECT, false, "topology", &c->kinds, e) == -1 ||
	    imp_get(topo, "groups", JSON_OBJECT, false, "topology", &c->groups, e) == -1 ||
	    imp_get(topo, "nodes", JSON_OBJECT, true, "topology", nodes, e) == -1 ||
	    imp_get(topo, "links", JSON_ARRAY, false, "topology", links, e) == -1)
		return (-1);
	if (c->defaults != NULL && clab_layer_check(c->defaults, "topology.defaults", e) == -1)
		return (-1);
	for (int g = 0; g < 2; g++) {
		json_object_foreach(g ? c->groups : c->kinds, k, v) {
			snprintf(
			    path, sizeof(path), "topology.%s.%.64s", g ? "groups" : "kinds", k);
			if (!json_is_null(v) && clab_layer_check(v, path, e) == -1)
				return (-1);
		}
	}
	json_object_foreach(topo, k, v) {
		if (strcmp(k, "defaults") && strcmp(k, "kinds") && strcmp(k, "groups") &&
		    strcmp(k, "nodes") && strcmp(k, "links"))
			imp_drop(c->im, k, "not a clab topology setting labwire reads");
	}
	return (0);
}

static int
clab_read(struct clab *c, json_t *doc, struct lw_err *e)
{
	json_t *topo, *nodes, *links, *v;
	const char *k;
	char path[160];
	size_t i;

	if (clab_top(c, doc, e) == -1)
		return (-1);
	if ((topo = json_object_get(doc, "topology")) == NULL || !json_is_object(topo))
		return (err_set(
		    e, ERR_INVALID, "topology: %s", topo ? "expected a mapping" : "missing"));
	if (clab_sections(c, topo, &nodes, &links, e) == -1)
		return (-1);
	json_object_foreach(nodes, k, v) {
		snprintf(path, sizeof(path), "topology.nodes.%.64s", k);
		if (clab_node(c, k, v, path, e) == -1)
			return (-1);
	}
	json_array_foreach(links, i, v) {
		snprintf(path, sizeof(path), "topology.links[%zu]", i);
		if (!json_is_object(v))
			return (err_set(e, ERR_INVALID, "%s: expected a mapping, not %s", path,
			    imp_type_name(json_typeof(v))));
		if (clab_link(c, v, path, e) == -1)
			return (-1);
	}
	return (clab_lans(c, e));
}

int
imp_clab(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	struct clab c = {.im = im};
	json_t *own = NULL;
	char *text;
	size_t n;
	int rc = -1;

	if (buf != NULL && memmem(buf, len, "${", 2) != NULL) {
		if ((text = clab_subst(im, buf, len, &n)) == NULL)
			return (err_set(e, ERR_INTERNAL, "out of memory"));
		own = yaml_to_json(text, n, IMPORT_DEPTH_MAX, IMPORT_VALUES_MAX, e);
		free(text);
		if (own == NULL)
			return (-1);
		doc = own;
	} else if (doc == NULL) {
		if ((own = yaml_to_json(buf, len, IMPORT_DEPTH_MAX, IMPORT_VALUES_MAX, e)) == NULL)
			return (-1);
		doc = own;
	}
	c.bridges = json_object();
	c.gone = json_object();
	if (c.bridges == NULL || c.gone == NULL)
		err_set(e, ERR_INTERNAL, "out of memory");
	else
		rc = clab_read(&c, doc, e);
	json_decref(c.bridges);
	json_decref(c.gone);
	json_decref(own);
	return (rc);
}
