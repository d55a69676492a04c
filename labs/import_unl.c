/*
 * import_unl - the EVE-NG / UNetLab / PNETLab .unl reader (labs/importfmt.h).
 * The file is XML: <lab name> with <description>, <body> (the lab guide),
 * <topology><nodes><node type template image cpu ram left top>
 * <interface id name type network_id|remote_id remote_if/></node></nodes>
 * <networks><network id type name/></networks></topology> and
 * <objects><configs><config id>base64</config></configs></objects>
 * (PNETLab puts the base64 startup config in the node's config_data
 * attribute instead). A link is implicit: the interfaces naming one
 * network. libxml2 reads it with no network, no DTD and no entities (a
 * document with a DOCTYPE is refused before anything is expanded), its
 * errors go to the caller as "line L: message", never to stderr, and the
 * nesting, the element count and the attributes per element are bounded
 * (libxml2 2.9 checks attribute names pairwise: 40000 of them on one
 * element take seconds, so they are counted before it sees them).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "labs/importfmt.h"

#define UNL_ELEMENTS_MAX 200000 /* 1000 nodes with 64 interfaces each are ~70000 */
#define UNL_ATTRS_MAX 256       /* attributes of one element (a PNETLab node has ~40) */
#define UNL_ATTRS_TOTAL 500000  /* attributes in all */
#define UNL_IFACES_MAX 256      /* interfaces of one node (IOL: 16 slots of 4, twice) */
#define UNL_NETWORKS_MAX IMPORT_LINKS_MAX
#define UNL_CONFIG_MAX (256 * 1024) /* a decoded startup config (= labs/validate.c CONFIG_MAX) */
#define UNL_POS_MAX 1000000         /* |x|, |y| (= POST /labs) */
#define UNL_PCT_PX 10               /* old UNetLab left="35%": px per percent */

/* What the SAX hooks saw, behind ctxt->_private. */
struct unl_sax {
	int depth, depth_max;
	long elements;
	int line;
	bool dtd, too_deep, too_many;
	char first[200]; /* the first error: "line L: message" */
};

/* A <network>: its members collect while the nodes are read. */
struct unl_net {
	long id;
	size_t ord; /* place in the file */
	xmlNode *x;
	json_t *eps; /* [ep] */
};

/* A <node> of the file (also one that is not imported). */
struct unl_node {
	long id;
	xmlNode *x;
	char *name; /* the model's name (made unique) */
};

struct unl {
	struct imp *im;
	xmlNode *root;
	struct unl_net *nets; /* sorted by id after the networks are read */
	size_t nnets;
	struct unl_node *nodes; /* file order */
	size_t nnodes;
	struct lw_err *e;
};

static pthread_once_t unl_once = PTHREAD_ONCE_INIT;

/* xmlInitParser once per process; xmlCleanupParser never (other threads may parse). */
static void
unl_init(void)
{
	xmlInitParser();
}

/* ---- parsing ---- */

static void
sax_error(void *data, xmlErrorPtr er)
{
	xmlParserCtxtPtr ctxt = data;
	struct unl_sax *s = ctxt->_private;
	size_t n;

	if (s == NULL || er == NULL || er->level < XML_ERR_ERROR || s->first[0] != '\0')
		return;
	snprintf(s->first, sizeof(s->first), "line %d: %s", er->line,
	    er->message ? er->message : "not well-formed");
	n = strlen(s->first);
	while (n > 0 && isspace((unsigned char)s->first[n - 1]))
		s->first[--n] = '\0';
}

static void
sax_start(void *data, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
    const xmlChar **ns, int natt, int ndef, const xmlChar **att)
{
	xmlParserCtxtPtr ctxt = data;
	struct unl_sax *s = ctxt->_private;

	s->depth++;
	if (s->depth > IMPORT_DEPTH_MAX || ++s->elements > UNL_ELEMENTS_MAX) {
		s->too_deep = s->depth > IMPORT_DEPTH_MAX;
		s->too_many = !s->too_deep;
		s->line = xmlSAX2GetLineNumber(ctxt);
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctxt, local, prefix, uri, nns, ns, natt, ndef, att);
}

static void
sax_end(void *data, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = data;
	struct unl_sax *s = ctxt->_private;

	s->depth--;
	xmlSAX2EndElementNs(ctxt, local, prefix, uri);
}

/* Any DOCTYPE (internal or external subset) or entity declaration stops the parse. */
static void
sax_subset(void *data, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = data;

	(void)name, (void)ext, (void)sys;
	((struct unl_sax *)ctxt->_private)->dtd = true;
	xmlStopParser(ctxt);
}

static void
sax_entity(void *data, const xmlChar *name, int type, const xmlChar *pub, const xmlChar *sys,
    xmlChar *content)
{
	(void)type, (void)pub, (void)sys, (void)content;
	sax_subset(data, name, NULL, NULL);
}

static int
line_at(const char *buf, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		line += buf[i] == '\n';
	return (line);
}

/* Skip from buf[i] past the first occurrence of end; len when there is none. */
static size_t
skip_past(const char *buf, size_t len, size_t i, const char *end)
{
	size_t n = strlen(end);

	for (; i + n <= len; i++)
		if (memcmp(buf + i, end, n) == 0)
			return (i + n);
	return (len);
}

/* tag_attrs - the '=' outside quotes from buf[*i] to the '>' ending the tag; *i past it. */
static size_t
tag_attrs(const char *buf, size_t len, size_t *i)
{
	size_t n = 0, k = *i;
	char q = 0;

	for (; k < len && (q != 0 || buf[k] != '>'); k++) {
		if (q != 0)
			q = buf[k] == q ? 0 : q;
		else if (buf[k] == '"' || buf[k] == '\'')
			q = buf[k];
		else
			n += buf[k] == '=';
	}
	*i = k;
	return (n);
}

/*
 * unl_prescan - count the attributes of every tag (the '=' outside quotes)
 * before libxml2 does its pairwise check on them, and all of them (the
 * tree costs ~220 bytes an attribute: 8 MiB of them would be 1.6 million).
 * Comments, CDATA and processing instructions are skipped; a DOCTYPE ends
 * the scan (the parser refuses it). 0, or -1 with e.
 */
static int
unl_prescan(const char *buf, size_t len, struct lw_err *e)
{
	size_t i = 0, tag, n, total = 0;

	while (i < len) {
		if (buf[i++] != '<')
			continue;
		if (len - i >= 3 && memcmp(buf + i, "!--", 3) == 0) {
			i = skip_past(buf, len, i + 3, "-->");
		} else if (len - i >= 8 && memcmp(buf + i, "![CDATA[", 8) == 0) {
			i = skip_past(buf, len, i + 8, "]]>");
		} else if (i < len && buf[i] == '!') {
			return (0);
		} else if (i < len && buf[i] == '?') {
			i = skip_past(buf, len, i, "?>");
		} else {
			tag = i - 1;
			n = tag_attrs(buf, len, &i);
			if (n > UNL_ATTRS_MAX)
				return (err_set(e, ERR_INVALID,
				    "line %d: an element with more than %d attributes",
				    line_at(buf, tag), UNL_ATTRS_MAX));
			if ((total += n) > UNL_ATTRS_TOTAL)
				return (err_set(e, ERR_INVALID, "line %d: more than %d attributes",
				    line_at(buf, tag), UNL_ATTRS_TOTAL));
		}
	}
	return (0);
}

/* unl_read - buf as an XML document (caller frees), or NULL with e. */
static xmlDoc *
unl_read(const char *buf, size_t len, struct lw_err *e)
{
	struct unl_sax s = {0};
	xmlParserCtxtPtr ctxt;
	xmlDoc *doc;

	if (len > (size_t)IMPORT_FILE_MAX)
		return (
		    err_set(e, ERR_TOO_LARGE, "the file is larger than %ld bytes", IMPORT_FILE_MAX),
		    NULL);
	if (unl_prescan(buf, len, e) == -1)
		return (NULL);
	pthread_once(&unl_once, unl_init);
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"), NULL);
	ctxt->_private = &s;
	ctxt->sax->serror = sax_error;
	ctxt->sax->warning = NULL;
	ctxt->sax->error = NULL;
	ctxt->sax->fatalError = NULL;
	ctxt->sax->startElementNs = sax_start;
	ctxt->sax->endElementNs = sax_end;
	ctxt->sax->internalSubset = sax_subset;
	ctxt->sax->externalSubset = sax_subset;
	ctxt->sax->entityDecl = sax_entity;
	/* No NOENT, DTDLOAD, DTDATTR or HUGE; the declared encoding is ignored: the file is UTF-8.
	 */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "lab.unl", "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES |
	        XML_PARSE_COMPACT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	if (s.dtd || s.too_deep || s.too_many || doc == NULL) {
		xmlFreeDoc(doc);
		if (s.dtd)
			err_set(e, ERR_INVALID, "DTD and entities are not accepted");
		else if (s.too_deep)
			err_set(e, ERR_INVALID, "line %d: elements nested deeper than %d", s.line,
			    IMPORT_DEPTH_MAX);
		else if (s.too_many)
			err_set(e, ERR_INVALID, "line %d: more than %d elements", s.line,
			    UNL_ELEMENTS_MAX);
		else
			err_set(e, ERR_INVALID, "%s",
			    s.first[0] ? s.first : "not a well-formed XML document");
		return (NULL);
	}
	return (doc);
}

/* ---- text ---- */

/* utf8_fix - replace every byte of s that is not part of a UTF-8 sequence with '?' (a %.Ns cut). */
static void
utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80         ? 0
		    : (*p & 0xe0) == 0xc0 ? 1
		    : (*p & 0xf0) == 0xe0 ? 2
		    : (*p & 0xf8) == 0xf0 ? 3
		                          : -1;
		int k = 0;

		while (n > 0 && k < n && (p[k + 1] & 0xc0) == 0x80)
			k++;
		if (n < 0 || k < n) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

/* drop - imp_drop with what and the reason made valid UTF-8 (they quote the file in cuts). */
static void drop(struct unl *u, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
drop(struct unl *u, const char *what, const char *fmt, ...)
{
	char w[256], reason[512];
	va_list ap;

	snprintf(w, sizeof(w), "%s", what);
	utf8_fix(w);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	utf8_fix(reason);
	imp_drop(u->im, w, "%s", reason);
}

/* ---- the tree ---- */

static bool
is_elem(const xmlNode *x, const char *name)
{
	return (x->type == XML_ELEMENT_NODE && strcmp((const char *)x->name, name) == 0);
}

/* The first element child of p named name, or NULL. */
static xmlNode *
child(const xmlNode *p, const char *name)
{
	for (xmlNode *c = p ? p->children : NULL; c != NULL; c = c->next)
		if (is_elem(c, name))
			return (c);
	return (NULL);
}

static size_t
count_children(const xmlNode *p, const char *name)
{
	size_t n = 0;

	for (xmlNode *c = p ? p->children : NULL; c != NULL; c = c->next)
		n += is_elem(c, name);
	return (n);
}

/* The attribute's value (borrowed from the tree; no DTD: one text child at most), or NULL. */
static const char *
attr(const xmlNode *x, const char *name)
{
	for (xmlAttr *a = x->properties; a != NULL; a = a->next) {
		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children != NULL && a->children->type == XML_TEXT_NODE &&
		    a->children->content != NULL)
			return ((const char *)a->children->content);
		return ("");
	}
	return (NULL);
}

/* The attribute, "" when absent. */
static const char *
attr_s(const xmlNode *x, const char *name)
{
	const char *v = attr(x, name);

	return (v ? v : "");
}

static int
line_of(const xmlNode *x)
{
	return ((int)xmlGetLineNo(x));
}

/*
 * attr_long - the integer attribute name of x in [min, max]: 1 when set, 0
 * when absent or empty, -1 with e naming what ("node R1 (id 3)") and the
 * attribute.
 */
static int
attr_long(const xmlNode *x, const char *name, long min, long max, const char *what, long *out,
    struct lw_err *e)
{
	const char *v = attr(x, name);
	char *end;
	long n;

	while (v != NULL && isspace((unsigned char)*v))
		v++;
	if (v == NULL || *v == '\0')
		return (0);
	errno = 0;
	n = strtol(v, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0')
		return (err_set(e, ERR_INVALID, "line %d: %s: %s: expected an integer, not '%.32s'",
		    line_of(x), what, name, v));
	if (n < min || n > max)
		return (err_set(e, ERR_INVALID, "line %d: %s: %s: %ld is out of range %ld..%ld",
		    line_of(x), what, name, n, min, max));
	*out = n;
	return (1);
}

/* attr_id - the required "id" attribute of x in [0, max]; 0, or -1 with e. */
static int
attr_id(const xmlNode *x, long max, const char *what, long *out, struct lw_err *e)
{
	int r = attr_long(x, "id", 0, max, what, out, e);

	if (r == 0)
		return (err_set(e, ERR_INVALID, "line %d: %s: id missing", line_of(x), what));
	return (r == 1 ? 0 : -1);
}

/*
 * attr_pos - a canvas coordinate: an integer, a decimal (EVE's UI writes
 * some), or old UNetLab's percentage of the canvas. Like attr_long.
 */
static int
attr_pos(const xmlNode *x, const char *name, const char *what, long *out, struct lw_err *e)
{
	const char *v = attr(x, name);
	char *end;
	double d;

	while (v != NULL && isspace((unsigned char)*v))
		v++;
	if (v == NULL || *v == '\0')
		return (0);
	errno = 0;
	d = strtod(v, &end);
	if (end != v && *end == '%') {
		d *= UNL_PCT_PX;
		end++;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (end == v || errno != 0 || *end != '\0' || !isfinite(d))
		return (err_set(e, ERR_INVALID, "line %d: %s: %s: expected a number, not '%.32s'",
		    line_of(x), what, name, v));
	if (d < -UNL_POS_MAX || d > UNL_POS_MAX)
		return (err_set(e, ERR_INVALID, "line %d: %s: %s: %.0f is out of range %d..%d",
		    line_of(x), what, name, d, -UNL_POS_MAX, UNL_POS_MAX));
	*out = lround(d);
	return (1);
}

/* The text of x (malloc'd, NULL when empty or absent). */
static char *
text_of(const xmlNode *x)
{
	xmlChar *t;
	char *s;

	if (x == NULL || (t = xmlNodeGetContent(x)) == NULL)
		return (NULL);
	s = *t != '\0' ? strdup((const char *)t) : NULL;
	xmlFree(t);
	return (s);
}

/* ---- lab ---- */

static int
set_text(json_t **dst, const xmlNode *x, struct lw_err *e)
{
	char *t = text_of(x);

	if (t == NULL)
		return (0);
	*dst = json_string(t);
	free(t);
	if (*dst == NULL)
		return (err_set(e, ERR_INVALID, "line %d: <%s> is not UTF-8 text", line_of(x),
		    (const char *)x->name));
	return (0);
}

static int
lab_meta(struct unl *u)
{
	snprintf(u->im->name, sizeof(u->im->name), "%s", attr_s(u->root, "name"));
	utf8_fix(u->im->name);
	if (set_text(&u->im->description, child(u->root, "description"), u->e) == -1)
		return (-1);
	return (set_text(&u->im->guide, child(u->root, "body"), u->e));
}

/* Objects labwire has no place for: one line per kind. */
static void
lab_objects(struct unl *u)
{
	static const struct {
		const char *list, *item, *what;
	} kinds[] = {
	    {"textobjects", "textobject", "text objects"},
	    {"pictures", "picture", "pictures"},
	    {"lineobjects", "lineobject", "line objects"},
	};
	xmlNode *objs = child(u->root, "objects");
	size_t n;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((n = count_children(child(objs, kinds[i].list), kinds[i].item)) > 0)
			drop(u, kinds[i].what,
			    "%zu on the canvas: labwire's canvas has nodes and links only", n);
	}
	if ((n = count_children(child(u->root, "workbooks"), "workbook")) > 0)
		drop(u, "workbooks", "%zu PNETLab workbooks: not carried over (a <body> guide is)",
		    n);
}

/* ---- networks ---- */

static int
net_cmp_id(const void *a, const void *b)
{
	long x = ((const struct unl_net *)a)->id, y = ((const struct unl_net *)b)->id;

	return ((x > y) - (x < y));
}

static int
net_cmp_ord(const void *a, const void *b)
{
	size_t x = ((const struct unl_net *)a)->ord, y = ((const struct unl_net *)b)->ord;

	return ((x > y) - (x < y));
}

static struct unl_net *
net_find(struct unl *u, long id)
{
	struct unl_net key = {.id = id};

	return (u->nnets ? bsearch(&key, u->nets, u->nnets, sizeof(*u->nets), net_cmp_id) : NULL);
}

/* elems_alloc - zeroed room for list's <name> children (at most max) in *out; NULL: none. */
static int
elems_alloc(struct unl *u, xmlNode *list, const char *name, int max, size_t size, void **out)
{
	size_t n = count_children(list, name);

	*out = NULL;
	if (n > (size_t)max)
		return (err_set(
		    u->e, ERR_INVALID, "line %d: more than %d %ss", line_of(list), max, name));
	if (n > 0 && (*out = calloc(n, size)) == NULL)
		return (err_set(u->e, ERR_INTERNAL, "out of memory"));
	return (0);
}

/* nets_read - every <network>, sorted by id for the interfaces to find. */
static int
nets_read(struct unl *u, xmlNode *list)
{
	char what[64];

	if (elems_alloc(
	        u, list, "network", UNL_NETWORKS_MAX, sizeof(*u->nets), (void **)&u->nets) == -1)
		return (-1);
	if (u->nets == NULL)
		return (0);
	for (xmlNode *c = list->children; c != NULL; c = c->next) {
		struct unl_net *w = &u->nets[u->nnets];

		if (!is_elem(c, "network"))
			continue;
		snprintf(what, sizeof(what), "network %zu", u->nnets + 1);
		if (attr_id(c, 1000000000L, what, &w->id, u->e) == -1)
			return (-1);
		w->x = c;
		w->ord = u->nnets;
		if ((w->eps = json_array()) == NULL)
			return (err_set(u->e, ERR_INTERNAL, "out of memory"));
		u->nnets++;
	}
	qsort(u->nets, u->nnets, sizeof(*u->nets), net_cmp_id);
	for (size_t i = 1; i < u->nnets; i++)
		if (u->nets[i].id == u->nets[i - 1].id)
			return (err_set(u->e, ERR_INVALID, "line %d: network id %ld given twice",
			    line_of(u->nets[i].x), u->nets[i].id));
	return (0);
}

static bool
prefixed(const char *s, const char *p)
{
	return (strncmp(s, p, strlen(p)) == 0);
}

/* "R1:e0/0, R2:e0/1" (truncated) */
static void
members_list(json_t *eps, char *buf, size_t size)
{
	json_t *ep;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(eps, i, ep) {
		int w = snprintf(buf + n, size - n, "%s%.64s:%.32s", i ? ", " : "",
		    json_string_value(json_object_get(ep, "node")),
		    json_string_value(json_object_get(ep, "interface")));

		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

/* net_emit - a network as a link, a LAN, or a drop. */
static int
net_emit(struct unl *u, struct unl_net *w)
{
	const char *type = attr_s(w->x, "type"), *name = attr_s(w->x, "name");
	size_t n = json_array_size(w->eps);
	char what[128], members[384];
	json_t *link;

	snprintf(what, sizeof(what), "network %ld (%.64s)", w->id, name);
	if (prefixed(type, "pnet") || prefixed(type, "cloud") || prefixed(type, "nat")) {
		members_list(w->eps, members, sizeof(members));
		drop(u, what, "host network %.32s (cloud) is not carried over%s%s", type,
		    n ? "; left unconnected: " : "", members);
		return (0);
	}
	if (strcmp(type, "bridge") != 0 && strcmp(type, "ovs") != 0 &&
	    !prefixed(type, "internal")) {
		drop(u, what, "network type '%.32s' is not one labwire knows", type);
		return (0);
	}
	if (n < 2) {
		drop(u, what, "has %s member", n ? "one" : "no");
		return (0);
	}
	link = json_pack("{s:O, s:s}", "endpoints", w->eps, "what", what);
	if (link == NULL)
		return (err_set(u->e, ERR_INTERNAL, "out of memory"));
	return (imp_link_add(u->im, link, what, u->e));
}

static int
nets_emit(struct unl *u)
{
	if (u->nnets > 0)
		qsort(u->nets, u->nnets, sizeof(*u->nets), net_cmp_ord);
	for (size_t i = 0; i < u->nnets; i++)
		if (net_emit(u, &u->nets[i]) == -1)
			return (-1);
	return (0);
}

/* ---- nodes ---- */

static struct unl_node *
node_by_id(struct unl *u, long id)
{
	for (size_t i = 0; i < u->nnodes; i++)
		if (u->nodes[i].id == id)
			return (&u->nodes[i]);
	return (NULL);
}

static bool
name_taken(struct unl *u, const char *name)
{
	for (size_t i = 0; i < u->nnodes; i++)
		if (strcmp(u->nodes[i].name, name) == 0)
			return (true);
	return (false);
}

/*
 * node_name - the node's name, made unique: EVE keys nodes by id and lets
 * two share a name; the second becomes "NAME-ID" (reported).
 */
static char *
node_name(struct unl *u, const xmlNode *x, long id)
{
	const char *v = attr_s(x, "name");
	char base[144], buf[176], *s;

	if (*v == '\0')
		snprintf(base, sizeof(base), "node%ld", id);
	else
		snprintf(base, sizeof(base), "%.140s", v);
	utf8_fix(base);
	snprintf(buf, sizeof(buf), "%s", base);
	for (int k = 1; name_taken(u, buf) && k < 1000; k++) {
		if (k == 1)
			snprintf(buf, sizeof(buf), "%s-%ld", base, id);
		else
			snprintf(buf, sizeof(buf), "%s-%ld-%d", base, id, k);
	}
	if (strcmp(buf, base) != 0)
		drop(u, "node name",
		    "node id %ld is named '%.64s' like an earlier one; imported as '%s'", id, base,
		    buf);
	if ((s = strdup(buf)) == NULL)
		err_set(u->e, ERR_INTERNAL, "out of memory");
	return (s);
}

/* nodes_read - every <node>'s id and name (unique), before any is imported. */
static int
nodes_read(struct unl *u, xmlNode *list)
{
	char what[64];

	if (elems_alloc(u, list, "node", IMPORT_NODES_MAX, sizeof(*u->nodes), (void **)&u->nodes) ==
	    -1)
		return (-1);
	if (u->nodes == NULL)
		return (0);
	for (xmlNode *c = list->children; c != NULL; c = c->next) {
		struct unl_node *d = &u->nodes[u->nnodes];

		if (!is_elem(c, "node"))
			continue;
		snprintf(what, sizeof(what), "node '%.40s'", attr_s(c, "name"));
		if (attr_id(c, 1000000000L, what, &d->id, u->e) == -1)
			return (-1);
		if (node_by_id(u, d->id) != NULL)
			return (err_set(u->e, ERR_INVALID, "line %d: node id %ld given twice",
			    line_of(c), d->id));
		d->x = c;
		if ((d->name = node_name(u, c, d->id)) == NULL)
			return (-1);
		u->nnodes++;
	}
	return (0);
}

/* The <config id=N> of objects/configs, or NULL. */
static xmlNode *
config_elem(struct unl *u, long id)
{
	xmlNode *list = child(child(u->root, "objects"), "configs");
	long cid;

	for (xmlNode *c = list ? list->children : NULL; c != NULL; c = c->next) {
		const char *v = is_elem(c, "config") ? attr(c, "id") : NULL;
		char *end;

		if (v == NULL)
			continue;
		errno = 0;
		cid = strtol(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0' && cid == id)
			return (c);
	}
	return (NULL);
}

/*
 * b64_decode - s (base64, whitespace anywhere) decoded; malloc'd text of
 * *n bytes, NUL-terminated, trailing NULs stripped. NULL: not base64
 * (*n = 0) or larger than max (*n = its size).
 */
static char *
b64_decode(const char *s, size_t max, size_t *n)
{
	size_t len = strlen(s), k = 0, pad = 0;
	char *in, *out = NULL;
	int r;

	*n = 0;
	if ((in = malloc(len + 1)) == NULL)
		return (NULL);
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			in[k++] = s[i];
	while (pad < 2 && pad < k && in[k - 1 - pad] == '=')
		pad++;
	if (k % 4 != 0 || k > (size_t)INT_MAX)
		goto out;
	if (k / 4 * 3 - pad > max) {
		*n = k / 4 * 3 - pad;
		goto out;
	}
	if ((out = malloc(k / 4 * 3 + 1)) == NULL)
		goto out;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)k);
	if (r < 0) {
		free(out);
		out = NULL;
		goto out;
	}
	*n = (size_t)r - pad;
	while (*n > 0 && out[*n - 1] == '\0')
		(*n)--;
	out[*n] = '\0';
out:
	free(in);
	return (out);
}

/* The non-empty text child of element c (borrowed), or NULL. */
static const char *
text_child(const xmlNode *c)
{
	if (c != NULL && c->children != NULL && c->children->type == XML_TEXT_NODE &&
	    c->children->content != NULL && *c->children->content != '\0')
		return ((const char *)c->children->content);
	return (NULL);
}

/* The base64 startup config the file carries for node d (borrowed; *where has it), or NULL. */
static const char *
config_b64(struct unl *u, struct unl_node *d, const xmlNode **where)
{
	const xmlNode *c = config_elem(u, d->id);
	const char *v;

	/* EVE: objects/configs/config; PNETLab: the node's config_data attribute (or element). */
	if ((v = text_child(c)) == NULL) {
		c = d->x;
		if ((v = attr(c, "config_data")) == NULL || *v == '\0')
			v = text_child(c = child(d->x, "config_data"));
	}
	*where = c;
	return (v);
}

/* node_config - the decoded startup config on n; a config that cannot be read is dropped. */
static int
node_config(struct unl *u, struct unl_node *d, json_t *n)
{
	const xmlNode *where = NULL;
	const char *b64 = config_b64(u, d, &where);
	char what[128], *text;
	json_t *s;
	size_t len;

	if (b64 == NULL)
		return (0);
	snprintf(what, sizeof(what), "startup config of %.64s", d->name);
	if ((text = b64_decode(b64, UNL_CONFIG_MAX, &len)) == NULL) {
		if (len > 0)
			drop(u, what, "%zu bytes; labwire keeps up to %d", len, UNL_CONFIG_MAX);
		else
			drop(u, what, "line %d: not base64", line_of(where));
		return (0);
	}
	if (len == 0) {
		free(text);
		return (0);
	}
	s = memchr(text, '\0', len) ? NULL : json_stringn(text, len);
	free(text);
	if (s == NULL) {
		drop(u, what, "line %d: not UTF-8 text", line_of(where));
		return (0);
	}
	if (strcmp(attr_s(d->x, "type"), "vpcs") == 0) { /* it becomes a linux-host's script */
		char *script = imp_vpcs_script(json_string_value(s));

		json_decref(s);
		if (script == NULL)
			return (err_set(u->e, ERR_INTERNAL, "out of memory"));
		s = json_string(script);
		free(script);
		if (s == NULL)
			return (err_set(u->e, ERR_INTERNAL, "out of memory"));
	}
	if (json_object_set_new(n, "config", s) == -1)
		return (err_set(u->e, ERR_INTERNAL, "out of memory"));
	return (0);
}

static void note_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* note_add - append ", " and the formatted note to buf. */
static void
note_add(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n > 0 && n + 2 < size) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/*
 * node_notes - settings with a meaning labwire has no field for, on one
 * report line (icon, uuid, nvram, the ethernet count and defaults are not
 * worth one: the canvas, the store and the interfaces say the same).
 */
static void
node_notes(struct unl *u, struct unl_node *d)
{
	const xmlNode *x = d->x;
	const char *v;
	char buf[400] = "", what[128];
	bool modules = false;

	if ((v = attr(x, "delay")) != NULL && strtol(v, NULL, 10) > 0)
		note_add(buf, sizeof(buf), "start delay %.16s s", v);
	if ((v = attr(x, "console")) != NULL && *v != '\0' && strcmp(v, "telnet") != 0)
		note_add(buf, sizeof(buf), "%.16s console", v);
	if ((v = attr(x, "idlepc")) != NULL && *v != '\0' && strcmp(v, "0x0") != 0)
		note_add(buf, sizeof(buf), "idlepc %.24s", v);
	if ((v = attr(x, "qemu_options")) != NULL && *v != '\0')
		note_add(buf, sizeof(buf), "qemu options '%.48s'", v);
	if ((v = attr(x, "qemu_arch")) != NULL && *v != '\0')
		note_add(buf, sizeof(buf), "qemu arch %.16s", v);
	if ((v = attr(x, "qemu_nic")) != NULL && *v != '\0')
		note_add(buf, sizeof(buf), "NIC model %.24s", v);
	if ((v = attr(x, "cpulimit")) != NULL && strcmp(v, "1") == 0)
		note_add(buf, sizeof(buf), "cpu limit");
	if ((v = attr(x, "firstmac")) != NULL && *v != '\0')
		note_add(buf, sizeof(buf), "first MAC %.20s", v);
	for (xmlNode *c = x->children; c != NULL; c = c->next)
		modules |= is_elem(c, "slot") && *attr_s(c, "module") != '\0';
	if (modules)
		note_add(buf, sizeof(buf), "modules in slots");
	if (buf[0] == '\0')
		return;
	snprintf(what, sizeof(what), "settings of %.64s", d->name);
	drop(u, what, "%s: labwire has no field for these", buf);
}

static const char *const unl_types[] = {"qemu", "iol", "dynamips", "vpcs", "docker"};

static bool
type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(unl_types) / sizeof(unl_types[0]); i++)
		if (strcmp(type, unl_types[i]) == 0)
			return (true);
	return (false);
}

/* node_json - the model node of d (new reference), or NULL with e. */
static json_t *
node_json(struct unl *u, struct unl_node *d)
{
	const char *type = attr_s(d->x, "type"), *tpl = attr_s(d->x, "template");
	const char *image = attr_s(d->x, "image");
	char kind[96], what[96];
	long v;
	json_t *n;
	int r;

	snprintf(what, sizeof(what), "node %.64s (id %ld)", d->name, d->id);
	if (strcmp(type, "qemu") == 0 && *tpl != '\0')
		snprintf(kind, sizeof(kind), "qemu:%.64s", tpl);
	else
		snprintf(kind, sizeof(kind), "%s", type);
	if ((n = json_pack("{s:s, s:s}", "name", d->name, "kind", kind)) == NULL)
		return (err_set(u->e, ERR_INTERNAL, "out of memory"), NULL);
	if (*image != '\0' && json_object_set_new(n, "image", json_string(image)) == -1)
		goto fail_mem;
	if ((r = attr_long(d->x, "cpu", 0, 1024, what, &v, u->e)) == -1)
		goto fail;
	if (r == 1 && v > 0 && json_object_set_new(n, "cpus", json_integer(v)) == -1)
		goto fail_mem;
	if ((r = attr_long(d->x, "ram", 0, 1L << 24, what, &v, u->e)) == -1)
		goto fail;
	if (r == 1 && v > 0 && json_object_set_new(n, "ram_mb", json_integer(v)) == -1)
		goto fail_mem;
	if ((r = attr_pos(d->x, "left", what, &v, u->e)) == -1)
		goto fail;
	if (r == 1 && json_object_set_new(n, "x", json_integer(v)) == -1)
		goto fail_mem;
	if ((r = attr_pos(d->x, "top", what, &v, u->e)) == -1)
		goto fail;
	if (r == 1 && json_object_set_new(n, "y", json_integer(v)) == -1)
		goto fail_mem;
	if (node_config(u, d, n) == -1)
		goto fail;
	return (n);
fail_mem:
	err_set(u->e, ERR_INTERNAL, "out of memory");
fail:
	json_decref(n);
	return (NULL);
}

/*
 * iface_index - the 0-based data port of interface id on a node of type:
 * qemu, docker, vpcs number them from 0; IOL's id is slot + 16 * port with
 * 4 ports a slot; dynamips ids are ranked (their gaps are module slots).
 */
static long
iface_index(const char *type, long id, const long *ids, size_t nids)
{
	long rank = 0;

	if (strcmp(type, "iol") == 0)
		return ((id % 16) * 4 + id / 16);
	if (strcmp(type, "dynamips") != 0)
		return (id);
	for (size_t i = 0; i < nids; i++)
		rank += ids[i] < id;
	return (rank);
}

/* The name of interface ifid of node d, or "". */
static const char *
iface_name(const struct unl_node *d, long ifid)
{
	for (xmlNode *c = d->x->children; c != NULL; c = c->next) {
		const char *v = is_elem(c, "interface") ? attr(c, "id") : NULL;

		if (v != NULL && strtol(v, NULL, 10) == ifid)
			return (attr_s(c, "name"));
	}
	return ("");
}

/* A serial link, reported once: from the end with the lower (node, interface). */
static void
serial_drop(struct unl *u, struct unl_node *d, const xmlNode *c, long ifid, const char *what)
{
	long rid = -1, rif = -1;
	struct unl_node *r;
	struct lw_err ignore;
	char buf[200];

	attr_long(c, "remote_id", 0, 1000000000L, what, &rid, &ignore);
	attr_long(c, "remote_if", 0, 1000000000L, what, &rif, &ignore);
	r = rid >= 0 ? node_by_id(u, rid) : NULL;
	if (r != NULL && (rid < d->id || (rid == d->id && rif < ifid)))
		return;
	snprintf(buf, sizeof(buf), "serial link %.64s:%.24s - %.64s:%.24s", d->name,
	    attr_s(c, "name"), r ? r->name : "?", r ? iface_name(r, rif) : "?");
	drop(u, buf, "labwire has Ethernet links only");
}

/* node_ifaces - d's Ethernet interfaces join their networks; serial ones are reported. */
static int
node_ifaces(struct unl *u, struct unl_node *d)
{
	const char *type = attr_s(d->x, "type");
	long ids[UNL_IFACES_MAX], id, net;
	size_t nids = 0;
	char what[128];

	snprintf(what, sizeof(what), "node %.64s (id %ld) interface", d->name, d->id);
	for (xmlNode *c = d->x->children; c != NULL; c = c->next) {
		if (!is_elem(c, "interface"))
			continue;
		if (nids == UNL_IFACES_MAX)
			return (err_set(u->e, ERR_INVALID,
			    "line %d: node %.64s: more than %d interfaces", line_of(c), d->name,
			    UNL_IFACES_MAX));
		if (attr_id(c, 1000000L, what, &id, u->e) == -1)
			return (-1);
		if (strcmp(attr_s(c, "type"), "serial") != 0)
			ids[nids++] = id;
	}
	for (xmlNode *c = d->x->children; c != NULL; c = c->next) {
		struct unl_net *w;
		json_t *ep;

		if (!is_elem(c, "interface"))
			continue;
		attr_long(c, "id", 0, 1000000L, what, &id, u->e);
		if (strcmp(attr_s(c, "type"), "serial") == 0) {
			serial_drop(u, d, c, id, what);
			continue;
		}
		net = 0;
		if (attr_long(c, "network_id", 0, 1000000000L, what, &net, u->e) == -1)
			return (-1);
		if (net == 0)
			continue;
		if ((w = net_find(u, net)) == NULL) {
			char buf[160];

			snprintf(
			    buf, sizeof(buf), "interface %.64s:%.32s", d->name, attr_s(c, "name"));
			drop(u, buf, "names network %ld, which the file does not have", net);
			continue;
		}
		ep = imp_ep(d->name, attr_s(c, "name"), iface_index(type, id, ids, nids));
		if (ep == NULL || json_array_append_new(w->eps, ep) == -1)
			return (err_set(u->e, ERR_INTERNAL, "out of memory"));
	}
	return (0);
}

static int
node_add(struct unl *u, struct unl_node *d)
{
	const char *type = attr_s(d->x, "type");
	char what[128];
	json_t *n;

	snprintf(what, sizeof(what), "node %.64s", d->name);
	if (!type_known(type)) {
		drop(u, what,
		    "EVE-NG node type '%.32s' is not imported (qemu, iol, dynamips, vpcs, docker "
		    "are)",
		    type);
		return (0);
	}
	if ((n = node_json(u, d)) == NULL)
		return (-1);
	if (imp_node_add(u->im, n, what, u->e) == -1)
		return (-1);
	node_notes(u, d);
	return (node_ifaces(u, d));
}

/* ---- the reader ---- */

static void
unl_free(struct unl *u)
{
	for (size_t i = 0; i < u->nnets; i++)
		json_decref(u->nets[i].eps);
	free(u->nets);
	for (size_t i = 0; i < u->nnodes; i++)
		free(u->nodes[i].name);
	free(u->nodes);
}

static int
unl_topology(struct unl *u)
{
	xmlNode *topo = child(u->root, "topology");

	if (nets_read(u, child(topo, "networks")) == -1 ||
	    nodes_read(u, child(topo, "nodes")) == -1)
		return (-1);
	for (size_t i = 0; i < u->nnodes; i++)
		if (node_add(u, &u->nodes[i]) == -1)
			return (-1);
	return (nets_emit(u));
}

int
imp_unl(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	struct unl u = {.im = im, .e = e};
	xmlDoc *x;
	int rc = -1;

	(void)doc;
	if ((x = unl_read(buf, len, e)) == NULL)
		return (-1);
	u.root = xmlDocGetRootElement(x);
	if (u.root == NULL || !is_elem(u.root, "lab")) {
		err_set(e, ERR_INVALID, "line %d: the root element is <%.32s>, not <lab>",
		    u.root ? line_of(u.root) : 1, u.root ? (const char *)u.root->name : "");
		goto out;
	}
	if (lab_meta(&u) == -1 || unl_topology(&u) == -1)
		goto out;
	lab_objects(&u);
	rc = 0;
out:
	unl_free(&u);
	xmlFreeDoc(x);
	return (rc);
}
