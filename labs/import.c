/*
 * import - foreign lab files to a POST /labs body and a report
 * (labs/import.h): the checks every file passes (size, UTF-8), telling the
 * format, the parsers (labs/import_<format>.c) into the model, and the
 * mapping of the model to templates, node names and interface names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/names.h"
#include "images/template.h"
#include "labs/import.h"
#include "labs/importfmt.h"
#include "labs/importmap.h"
#include "labs/lifecycle.h"
#include "labs/practice.h"
#include "labs/validate.h"
#include "labs/yamljson.h"

#define IMPORT_IDX_MAX 64 /* NIC indexes tracked per node (max_nics is ≤ 32) */

static const char *const import_formats[] = {"clab", "unl", "gns3", "cml", "netlab", "labwire"};

/* ---- the file: size, UTF-8, syntax, format ---- */

/* The length of the UTF-8 sequence at s (n bytes left), 0 when it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned long c;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return (0);
	if (len > n)
		return (0);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return (0);
	return (len);
}

/* import_text_check - buf is UTF-8 text (no NUL); 0, or -1 with e naming the byte (from 0). */
static int
import_text_check(const char *buf, size_t len, struct lw_err *e)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] == 0)
			return (
			    err_set(e, ERR_INVALID, "not a text file: a NUL byte at byte %zu", i));
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return (err_set(e, ERR_INVALID,
			    "not UTF-8 at byte %zu: save the file as UTF-8 and import it again",
			    i));
		i += n;
	}
	return (0);
}

static int
json_depth(json_t *v)
{
	const char *k;
	json_t *c;
	size_t i;
	int d = 0, cd;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			if ((cd = json_depth(c)) > d)
				d = cd;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			if ((cd = json_depth(c)) > d)
				d = cd;
		}
	} else {
		return (0);
	}
	return (d + 1);
}

/*
 * import_doc - the file as a tree: JSON when it starts with '{' (jansson,
 * whose own bound on nesting keeps json_depth's recursion short), else
 * YAML. NULL with e naming the line.
 */
static json_t *
import_doc(const char *buf, size_t len, char first, struct lw_err *e)
{
	json_error_t je;
	json_t *doc;

	if (first != '{')
		return (yaml_to_json(buf, len, IMPORT_DEPTH_MAX, IMPORT_VALUES_MAX, e));
	if ((doc = json_loadb(buf, len, 0, &je)) == NULL) {
		err_set(e, ERR_INVALID, "line %d, column %d: %s", je.line, je.column, je.text);
		return (NULL);
	}
	if (json_depth(doc) > IMPORT_DEPTH_MAX) {
		json_decref(doc);
		err_set(e, ERR_INVALID, "nested deeper than %d levels", IMPORT_DEPTH_MAX);
		return (NULL);
	}
	return (doc);
}

const char *
import_detect(json_t *doc)
{
	json_t *top = json_object_get(doc, "topology"), *lab = json_object_get(doc, "lab");
	json_t *nodes = json_object_get(doc, "nodes");
	const char *type = json_string_value(json_object_get(doc, "type"));
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	bool topo = json_is_object(top) && json_object_get(top, "nodes") != NULL;

	if (!json_is_object(doc))
		return (NULL);
	if (fmt != NULL && strcmp(fmt, "labwire") == 0)
		return ("labwire");
	if (topo &&
	    (json_object_get(doc, "revision") != NULL || (type && strcmp(type, "topology") == 0)))
		return ("gns3");
	if (topo)
		return ("clab");
	/* CML: a "lab" mapping, or (schema 0.0.x, no "lab") nodes with a node_definition */
	if (json_is_array(nodes) &&
	    (json_is_object(lab) ||
	        json_object_get(json_array_get(nodes, 0), "node_definition") != NULL))
		return ("cml");
	if (nodes != NULL && top == NULL &&
	    (json_object_get(doc, "links") != NULL || json_object_get(doc, "module") != NULL ||
	        json_object_get(doc, "provider") != NULL ||
	        json_object_get(doc, "defaults") != NULL || json_object_get(doc, "groups") != NULL))
		return ("netlab");
	return (NULL);
}

static const char *
import_format_known(const char *format)
{
	for (size_t i = 0; i < sizeof(import_formats) / sizeof(import_formats[0]); i++)
		if (strcmp(format, import_formats[i]) == 0)
			return (import_formats[i]);
	return (NULL);
}

/* ---- names and bounded strings ---- */

/*
 * import_name - a valid labwire name made of s: characters outside
 * [A-Za-z0-9_.-] become '-' (one for a whole UTF-8 character), leading
 * ones that are not a letter or digit dropped, ".." broken, at most max
 * bytes; "node" when nothing is left, an 'n' before an all-digit name.
 */
static void
import_name(const char *s, char *out, size_t max)
{
	size_t o = 0;

	for (; *s != '\0' && o < max; s++) {
		unsigned char c = (unsigned char)*s;
		char ch = (char)c;

		if ((c & 0xc0) == 0x80)
			continue; /* a UTF-8 continuation: its lead byte made the '-' */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '.' || c == '-'))
			ch = '-';
		if (o == 0 &&
		    !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9')))
			continue;
		if (ch == '.' && o > 0 && out[o - 1] == '.')
			ch = '-';
		out[o++] = ch;
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, max + 1, "node");
	else if (strspn(out, "0123456789") == o) {
		memmove(out + 1, out, o < max ? o + 1 : max);
		out[0] = 'n';
		out[o < max ? o + 1 : max] = '\0';
	}
}

/*
 * import_unique - import_name(s), with "-2", "-3" ... when taken (a set of
 * names) has it. A name that is valid as it is was reserved in taken
 * beforehand (import_map) and stays as it is.
 */
static void
import_unique(const char *s, json_t *taken, char out[LW_NAME_MAX + 1])
{
	char base[LW_NAME_MAX + 1];

	import_name(s, base, LW_NAME_MAX);
	snprintf(out, LW_NAME_MAX + 1, "%s", base);
	if (names_valid(s)) {
		json_object_set_new(taken, out, json_true());
		return;
	}
	for (int n = 2; json_object_get(taken, out) != NULL; n++) {
		char sfx[16];
		int sl = snprintf(sfx, sizeof(sfx), "-%d", n);
		int bl =
		    (int)strlen(base) > LW_NAME_MAX - sl ? LW_NAME_MAX - sl : (int)strlen(base);

		snprintf(out, LW_NAME_MAX + 1, "%.*s%s", bl, base, sfx);
	}
	json_object_set_new(taken, out, json_true());
}

/* import_str - s cut to at most max bytes on a character boundary (s is UTF-8): new reference. */
static json_t *
import_str(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (json_stringn(s, n));
}

/* ---- mapping the model ---- */

struct mnode {
	const char *file; /* the name in the file (the model's) */
	char name[LW_NAME_MAX + 1];
	const char *kind;
	const struct template *t;
	bool preferred;          /* the node got the template it asked for */
	unsigned long long used; /* NIC indexes taken */
	int top;                 /* highest index taken, -1 none */
	json_t *body;            /* the POST /labs node (borrowed from the body's list) */
};

struct mapctx {
	struct imp *im;
	struct mnode *n;
	size_t nn;
	json_t *byname; /* file name -> index into n */
	json_t *taken;  /* final names */
	json_t *nodes, *links, *mapped, *interfaces, *renamed;
	long lans;
};

static json_t *
origin_new(struct mapctx *c, const char *kind, json_t *src)
{
	const char *image = json_string_value(json_object_get(src, "image"));
	json_t *o = json_object();

	json_object_set_new(o, "format", json_string(c->im->format));
	json_object_set_new(o, "kind", import_str(kind, 64));
	if (image != NULL && *image != '\0')
		json_object_set_new(o, "image", import_str(image, 256));
	return (o);
}

/*
 * Add text to the node's origin.config (after what is there); false when
 * the two together would pass VALIDATE_CONFIG_MAX (POST /labs would refuse
 * the node, and with it the whole import), and nothing is added.
 */
static bool
origin_config(json_t *node, const char *text)
{
	json_t *o = json_object_get(node, "origin");
	const char *had = json_string_value(json_object_get(o, "config"));
	size_t hl = had ? strlen(had) : 0;
	json_t *both;

	if (hl == 0) {
		json_object_set_new(o, "config", json_string(text));
		return (true);
	}
	if (hl + 1 + strlen(text) > VALIDATE_CONFIG_MAX ||
	    (both = json_sprintf("%s\n%s", had, text)) == NULL)
		return (false);
	json_object_set_new(o, "config", both);
	return (true);
}

/* clab's exec lines as a shell script: one a line, a newline after the last. */
static char *
exec_script(json_t *exec)
{
	size_t len = 1, i;
	json_t *l;
	char *s, *p;

	json_array_foreach(exec, i, l)
		len += json_string_length(l) + 1;
	if ((s = p = malloc(len)) == NULL)
		return (NULL);
	json_array_foreach(exec, i, l) {
		if (!json_is_string(l))
			continue;
		memcpy(p, json_string_value(l), json_string_length(l));
		p += json_string_length(l);
		*p++ = '\n';
	}
	*p = '\0';
	return (s);
}

static void
map_config(struct mapctx *c, struct mnode *m, json_t *src)
{
	const char *cfg = json_string_value(json_object_get(src, "config"));
	const char *ref = json_string_value(json_object_get(src, "config_ref"));
	json_t *exec = json_object_get(src, "exec");
	bool host = strcmp(m->t->name, "linux-host") == 0;
	bool apply = m->preferred && !(host && json_array_size(exec) > 0);
	char *script = json_array_size(exec) > 0 ? exec_script(exec) : NULL;

	if (cfg != NULL && strlen(cfg) > VALIDATE_CONFIG_MAX)
		imp_drop(c->im, "startup config", "%s: larger than %d bytes", m->name,
		    VALIDATE_CONFIG_MAX);
	else if (cfg != NULL && *cfg != '\0' && apply)
		json_object_set_new(m->body, "startup_config", json_string(cfg));
	else if (cfg != NULL && *cfg != '\0') {
		origin_config(m->body, cfg);
		imp_keep(c->im, m->name, "startup config",
		    "written for %s; %s cannot read it; kept on the node as origin.config", m->kind,
		    m->t->name);
	}
	if (script != NULL && strlen(script) > VALIDATE_CONFIG_MAX)
		imp_drop(c->im, "exec", "%s: larger than %d bytes", m->name, VALIDATE_CONFIG_MAX);
	else if (script != NULL && host)
		json_object_set_new(m->body, "startup_config", json_string(script));
	else if (script != NULL && !origin_config(m->body, script))
		imp_drop(c->im, "exec", "%s: origin.config would be larger than %d bytes with them",
		    m->name, VALIDATE_CONFIG_MAX);
	else if (script != NULL) {
		imp_keep(c->im, m->name, "exec commands",
		    "written for a Linux container; %s does not run them; kept on the node as "
		    "origin.config",
		    m->t->name);
	}
	free(script);
	if (ref != NULL && *ref != '\0') {
		json_object_set_new(
		    json_object_get(m->body, "origin"), "config_ref", import_str(ref, 256));
		imp_keep(c->im, m->name, "startup config",
		    "%.200s: file not in the import: paste it as the startup config", ref);
	}
}

/* Integers the file gives, where labwire takes them: within the API's bounds, else left out. */
static void
map_numbers(struct mnode *m, json_t *src)
{
	static const struct {
		const char *key;
		long min, max;
		bool hw; /* hardware: only for the template the file asked for */
	} nums[] = {{"x", -1000000, 1000000, false}, {"y", -1000000, 1000000, false},
	    {"cpus", 1, 64, true}, {"ram_mb", 16, 1048576, true}};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		json_t *v = json_object_get(src, nums[i].key);
		json_int_t n;

		if (!json_is_integer(v) || (nums[i].hw && !m->preferred))
			continue;
		n = json_integer_value(v);
		if (!nums[i].hw)
			n = n < nums[i].min ? nums[i].min : n > nums[i].max ? nums[i].max : n;
		else if (n < nums[i].min || n > nums[i].max)
			continue;
		json_object_set_new(m->body, nums[i].key, json_integer(n));
	}
}

static int
map_node(struct mapctx *c, size_t i, json_t *src, struct lw_err *e)
{
	struct mnode *m = &c->n[i];
	const char *image = json_string_value(json_object_get(src, "image"));
	struct importmap_pick p;
	json_t *mapped, *origin;

	m->file = json_string_value(json_object_get(src, "name"));
	m->kind = json_string_value(json_object_get(src, "kind"));
	m->top = -1;
	importmap_pick(
	    c->im->format, m->kind, image, json_string_value(json_object_get(src, "template")), &p);
	if ((m->t = p.t) == NULL)
		return (
		    err_set(e, ERR_INTERNAL, "the substitute template %s is missing", p.template));
	m->preferred = !p.substitute;
	import_unique(m->file, c->taken, m->name);
	json_object_set_new(c->byname, m->file, json_integer((json_int_t)i));
	if (strcmp(m->name, m->file) != 0)
		json_array_append_new(
		    c->renamed, json_pack("{s:s, s:s}", "from", m->file, "to", m->name));
	origin = origin_new(c, m->kind, src);
	if (p.substitute && p.preferred != NULL)
		json_object_set_new(origin, "template", json_string(p.preferred));
	m->body =
	    json_pack("{s:s, s:s, s:o}", "name", m->name, "template", m->t->name, "origin", origin);
	if (m->body == NULL || json_array_append_new(c->nodes, m->body) == -1)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	mapped = json_pack("{s:s, s:s++, s:s, s:b}", "node", m->name, "from", c->im->format, ":",
	    m->kind, "to", m->t->name, "substitute", p.substitute);
	if (mapped != NULL && p.substitute)
		json_object_set_new(mapped, "reason", json_string(p.reason));
	json_array_append_new(c->mapped, mapped);
	map_numbers(m, src);
	map_config(c, m, src);
	return (0);
}

static bool
idx_free(const struct mnode *m, long idx)
{
	return (idx >= 0 && idx < IMPORT_IDX_MAX && !(m->used & (1ULL << idx)));
}

/* The first free index from from on; -1 when none is below the template's max_nics. */
static long
idx_next(const struct mnode *m, long from)
{
	for (long i = from < 0 ? 0 : from; i < m->t->max_nics && i < IMPORT_IDX_MAX; i++)
		if (idx_free(m, i))
			return (i);
	return (-1);
}

/* One endpoint by the interface rules (labs/import.h); -1: dropped (the reason in why). */
static long
map_index(struct mnode *m, json_t *ep, char *why, size_t len)
{
	const char *iface = json_string_value(json_object_get(ep, "interface"));
	json_t *jidx = json_object_get(ep, "index");
	long idx = -1, want;

	if (iface != NULL && *iface != '\0')
		idx = template_ifindex(m->t, iface);
	if (idx < 0 && json_is_integer(jidx) && json_integer_value(jidx) >= 0)
		idx = json_integer_value(jidx) > 1000000 ? 1000000 : (long)json_integer_value(jidx);
	want = idx;
	if (idx < 0)
		idx = idx_next(m, 0);
	else if (!idx_free(m, idx) && idx < m->t->max_nics && (idx = idx_next(m, want + 1)) < 0)
		idx = idx_next(m, 0); /* taken: the next free one after it, else the first */
	if (idx < 0 || idx >= m->t->max_nics || idx >= IMPORT_IDX_MAX) {
		if (want >= m->t->max_nics)
			snprintf(why, len, "interface %ld is past template %s's %d", want + 1,
			    m->t->name, m->t->max_nics);
		else
			snprintf(why, len, "no free interface left: template %s has %d", m->t->name,
			    m->t->max_nics);
		return (-1);
	}
	return (idx);
}

static const char *
ep_text(json_t *ep, char *buf, size_t len)
{
	const char *node = json_string_value(json_object_get(ep, "node"));
	const char *iface = json_string_value(json_object_get(ep, "interface"));
	json_t *idx = json_object_get(ep, "index");

	if (iface != NULL && *iface != '\0')
		snprintf(buf, len, "%.64s:%.64s", node, iface);
	else if (json_is_integer(idx))
		snprintf(buf, len, "%.64s:port %lld", node, (long long)json_integer_value(idx));
	else
		snprintf(buf, len, "%.64s", node);
	return (buf);
}

struct mep {
	struct mnode *m;
	long idx;
	json_t *src;
};

/* Endpoints of link in labwire terms, into eps (at most VALIDATE_LINK_EPS_MAX); their count. */
static size_t
map_endpoints(struct mapctx *c, json_t *link, struct mep *eps)
{
	json_t *ep;
	size_t i, n = 0;
	char what[160], why[160];

	json_array_foreach(json_object_get(link, "endpoints"), i, ep) {
		json_t *ix =
		    json_object_get(c->byname, json_string_value(json_object_get(ep, "node")));
		struct mnode *m = ix ? &c->n[json_integer_value(ix)] : NULL;
		long idx;

		ep_text(ep, what, sizeof(what));
		if (m == NULL) {
			imp_drop(c->im, what, "no such node in the file");
			continue;
		}
		if (n == VALIDATE_LINK_EPS_MAX) {
			imp_drop(c->im, what, "a LAN segment holds at most %d members",
			    VALIDATE_LINK_EPS_MAX);
			continue;
		}
		if ((idx = map_index(m, ep, why, sizeof(why))) < 0) {
			imp_drop(c->im, what, "%s", why);
			continue;
		}
		m->used |= 1ULL << idx;
		eps[n++] = (struct mep){.m = m, .idx = idx, .src = ep};
	}
	return (n);
}

static void
map_link(struct mapctx *c, json_t *link)
{
	struct mep eps[VALIDATE_LINK_EPS_MAX];
	size_t n = map_endpoints(c, link, eps);
	const char *what = json_string_value(json_object_get(link, "what")), *state;
	json_t *body, *list;
	char ifname[64], text[160];

	if (n < 2) {
		for (size_t i = 0; i < n; i++)
			eps[i].m->used &= ~(1ULL << eps[i].idx);
		if (n == 1 || what != NULL)
			imp_drop(c->im, what ? what : ep_text(eps[0].src, text, sizeof(text)),
			    "a link left with %zu endpoint%s", n, n == 1 ? "" : "s");
		return;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *from = json_string_value(json_object_get(eps[i].src, "interface"));

		template_ifname(eps[i].m->t, (int)eps[i].idx, ifname, sizeof(ifname));
		if (eps[i].idx > eps[i].m->top)
			eps[i].m->top = (int)eps[i].idx;
		json_array_append_new(list, json_pack("s++", eps[i].m->name, ":", ifname));
		if (from == NULL || strcmp(from, ifname) != 0)
			json_array_append_new(c->interfaces,
			    json_pack("{s:s, s:s, s:s}", "node", eps[i].m->name, "from",
			        from ? from : "", "to", ifname));
	}
	body = json_pack("{s:o}", "endpoints", list);
	/* A link the file has down (a suspended GNS3 link) is created down. */
	state = json_string_value(json_object_get(link, "state"));
	if (body != NULL && n == 2 && state != NULL && strcmp(state, "down") == 0)
		json_object_set_new(body, "state", json_string("down"));
	json_array_append_new(c->links, body);
	if (n > 2)
		c->lans++;
}

/* A node's NICs: the template's default, or as many as its highest link needs. */
static void
map_nics(struct mapctx *c)
{
	for (size_t i = 0; i < c->nn; i++) {
		struct mnode *m = &c->n[i];

		if (m->top + 1 > m->t->nics)
			json_object_set_new(m->body, "nics", json_integer(m->top + 1));
	}
}

static void
map_lab(struct mapctx *c, json_t *body, const char *name)
{
	char lname[LW_NAME_MAX + 1];
	struct lw_err ge = {0};

	/* ?name= as given: POST /labs says what is wrong with it, rather than a cut name made. */
	if (name == NULL)
		import_name(c->im->name[0] ? c->im->name : "imported", lname, LW_NAME_MAX);
	json_object_set_new(body, "name", json_string(name != NULL ? name : lname));
	if (json_is_string(c->im->description))
		json_object_set_new(
		    body, "description", import_str(json_string_value(c->im->description), 4096));
	if (json_is_string(c->im->guide)) {
		if (practice_guide_check(c->im->guide, "guide", &ge) == -1)
			imp_drop(c->im, "guide", "%s", ge.msg);
		else
			json_object_set(body, "guide", c->im->guide);
	}
}

static json_t *
report_new(struct mapctx *c, json_t *body)
{
	json_t *r = json_pack("{s:s, s:I, s:I, s:I, s:O, s:O, s:O, s:O, s:O}", "format",
	    c->im->format, "nodes", (json_int_t)json_array_size(json_object_get(body, "nodes")),
	    "links", (json_int_t)json_array_size(json_object_get(body, "links")), "lans",
	    (json_int_t)c->lans, "mapped", c->mapped, "interfaces", c->interfaces, "renamed",
	    c->renamed, "dropped", c->im->dropped, "kept", c->im->kept);
	size_t dshown = json_array_size(c->im->dropped), kshown = json_array_size(c->im->kept);

	if (r != NULL && c->im->ndropped > dshown)
		json_object_set_new(
		    r, "dropped_more", json_integer((json_int_t)(c->im->ndropped - dshown)));
	if (r != NULL && c->im->nkept > kshown)
		json_object_set_new(
		    r, "kept_more", json_integer((json_int_t)(c->im->nkept - kshown)));
	return (r);
}

json_t *
import_map(struct imp *im, const char *name, json_t **report, struct lw_err *e)
{
	struct mapctx c = {.im = im, .nn = json_array_size(im->nodes)};
	json_t *body = NULL, *v;
	size_t i;

	c.n = calloc(c.nn + 1, sizeof(*c.n));
	c.byname = json_object();
	c.taken = json_object();
	c.nodes = json_array();
	c.links = json_array();
	c.mapped = json_array();
	c.interfaces = json_array();
	c.renamed = json_array();
	if (c.n == NULL || !c.byname || !c.taken || !c.nodes || !c.links || !c.mapped ||
	    !c.interfaces || !c.renamed) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Names valid as they are keep them: a made-up name never takes one. */
	json_array_foreach(im->nodes, i, v) {
		const char *s = json_string_value(json_object_get(v, "name"));

		if (names_valid(s))
			json_object_set_new(c.taken, s, json_false());
	}
	json_array_foreach(im->nodes, i, v) {
		if (map_node(&c, i, v, e) == -1)
			goto out;
	}
	json_array_foreach(im->links, i, v)
		map_link(&c, v);
	map_nics(&c);
	body = json_pack("{s:O, s:O}", "nodes", c.nodes, "links", c.links);
	if (body == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	map_lab(&c, body, name);
	if ((*report = report_new(&c, body)) == NULL) {
		json_decref(body);
		body = NULL;
		err_set(e, ERR_INTERNAL, "out of memory");
	}
out:
	free(c.n);
	json_decref(c.byname);
	json_decref(c.taken);
	json_decref(c.nodes);
	json_decref(c.links);
	json_decref(c.mapped);
	json_decref(c.interfaces);
	json_decref(c.renamed);
	return (body);
}

/* ---- labwire's own format ---- */

static json_t *
import_labwire(json_t *doc, const char *name, json_t **report, struct lw_err *e)
{
	json_t *body, *v, *eps, *mapped = json_array();
	json_int_t version = json_integer_value(json_object_get(doc, "version"));
	long lans = 0;
	size_t i;

	if (!json_is_object(doc) || mapped == NULL) {
		json_decref(mapped);
		err_set(e, ERR_INVALID, "a labwire file is a mapping (the POST /labs body)");
		return (NULL);
	}
	if (json_object_get(doc, "version") != NULL && version != 1) {
		json_decref(mapped);
		err_set(e, ERR_INVALID, "version: labwire file version %lld is not 1",
		    (long long)version);
		return (NULL);
	}
	body = json_deep_copy(doc);
	json_object_del(body, "format");
	json_object_del(body, "version");
	if (name != NULL)
		json_object_set_new(body, "name", json_string(name));
	json_array_foreach(json_object_get(body, "nodes"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));
		const char *t = json_string_value(json_object_get(v, "template"));

		if (n != NULL && t != NULL)
			json_array_append_new(mapped,
			    json_pack("{s:s, s:s+, s:s, s:b}", "node", n, "from", "labwire:", t,
			        "to", t, "substitute", 0));
	}
	json_array_foreach(json_object_get(body, "links"), i, v) {
		eps = json_object_get(v, "endpoints");
		lans += json_array_size(eps) > 2;
	}
	*report = json_pack("{s:s, s:I, s:I, s:I, s:o, s:[], s:[], s:[], s:[]}", "format",
	    "labwire", "nodes", (json_int_t)json_array_size(json_object_get(body, "nodes")),
	    "links", (json_int_t)json_array_size(json_object_get(body, "links")), "lans",
	    (json_int_t)lans, "mapped", mapped, "interfaces", "renamed", "dropped", "kept");
	return (body);
}

/* ---- the whole ---- */

static int
import_parse(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	if (strcmp(im->format, "clab") == 0)
		return (imp_clab(im, buf, len, doc, e));
	if (strcmp(im->format, "unl") == 0)
		return (imp_unl(im, buf, len, doc, e));
	if (strcmp(im->format, "gns3") == 0)
		return (imp_gns3(im, buf, len, doc, e));
	if (strcmp(im->format, "cml") == 0)
		return (imp_cml(im, buf, len, doc, e));
	return (imp_netlab(im, buf, len, doc, e));
}

static json_t *
import_foreign(const char *format, const char *name, const char *buf, size_t len, json_t *doc,
    json_t **report, struct lw_err *e)
{
	struct imp im;
	json_t *body = NULL;

	if (imp_init(&im, format, e) == -1)
		return (NULL);
	if (import_parse(&im, buf, len, doc, e) == 0)
		body = import_map(&im, name, report, e);
	imp_free(&im);
	return (body);
}

json_t *
import_body(const char *format, const char *name, const char *buf, size_t len, json_t **report,
    struct lw_err *e)
{
	size_t skip = 0;
	json_t *doc = NULL, *body = NULL;
	const char *fmt = NULL;
	char first;

	*report = NULL;
	if (len > (size_t)IMPORT_FILE_MAX)
		return (
		    err_set(e, ERR_TOO_LARGE, "the file is %zu bytes: at most %ld may be imported",
		        len, (long)IMPORT_FILE_MAX),
		    NULL);
	if (format != NULL && (fmt = import_format_known(format)) == NULL)
		return (err_set(e, ERR_INVALID,
		            "format: '%.32s' is not one of clab, unl, gns3, cml, netlab, labwire",
		            format),
		    NULL);
	if (import_text_check(buf, len, e) == -1)
		return (NULL);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) /* a byte-order mark */
		skip = 3;
	buf += skip, len -= skip;
	while (len > 0 && (*buf == ' ' || *buf == '\t' || *buf == '\r' || *buf == '\n'))
		buf++, len--;
	first = len > 0 ? *buf : '\0';
	if (len == 0)
		return (err_set(e, ERR_INVALID, "the file is empty"), NULL);
	if (fmt == NULL && first == '<')
		fmt = "unl";
	if ((fmt == NULL || strcmp(fmt, "unl") != 0) &&
	    (doc = import_doc(buf, len, first, e)) == NULL)
		return (NULL);
	if (fmt == NULL && (fmt = import_detect(doc)) == NULL) {
		err_set(e, ERR_INVALID,
		    "cannot tell the format; give ?format=clab|unl|gns3|cml|netlab|labwire");
		goto out;
	}
	if (strcmp(fmt, "labwire") == 0)
		body = import_labwire(doc, name, report, e);
	else
		body = import_foreign(fmt, name, buf, len, doc, report, e);
out:
	json_decref(doc);
	return (body);
}

int64_t
import_lab(const struct who *w, const char *format, const char *name, const char *buf, size_t len,
    json_t **report, struct lw_err *e)
{
	json_t *body = import_body(format, name, buf, len, report, e);
	int64_t lab;

	if (body == NULL)
		return (-1);
	lab = lifecycle_lab_create(w, body, e);
	json_decref(body);
	if (lab == -1) {
		json_decref(*report);
		*report = NULL;
	}
	return (lab);
}
