/*
 * yamljson - YAML in and out through libyaml's event parser and emitter
 * (labs/yamljson.h). Reading builds the tree event by event with a stack
 * of open collections; an alias takes a reference to its anchor's subtree
 * (no copy) but is charged that subtree's size against the value budget,
 * so a "billion laughs" file fails after max_values values, not after
 * expanding them. Plain scalars are typed by YAML 1.2's core schema; a
 * value JSON cannot hold (.inf, .nan, an integer past int64) stays the
 * string it was. Writing types strings the same way, so any string that
 * would read back as something else is quoted.
 */
#include "labs/yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A collection still being read. */
struct yj_frame {
	json_t *node;     /* object or array */
	char *key;        /* object: the key read, waiting for its value (NULL: none) */
	bool merge;       /* object: that key is the "<<" merge key */
	json_t *merges;   /* object: the mappings "<<" named, in order (NULL: none) */
	char *anchor;     /* its anchor (NULL: none) */
	long start;       /* values counted before it began */
	yaml_mark_t mark; /* where it began */
};

struct yj_read {
	struct yj_frame *stack;
	int depth, max_depth;
	long count, max_values;
	json_t *anchors; /* name → [subtree, size] */
	json_t *root;
	struct lw_err *e;
};

/* What a plain scalar's text reads as. */
enum yj_type { YJ_STR, YJ_NULL, YJ_BOOL, YJ_INT, YJ_FLOAT, YJ_ODD };

static int
yj_fail(struct yj_read *r, yaml_mark_t m, const char *what)
{
	return (
	    err_set(r->e, ERR_INVALID, "line %zu, column %zu: %s", m.line + 1, m.column + 1, what));
}

static bool
yj_word(const char *s, const char *a, const char *b, const char *c)
{
	return (strcmp(s, a) == 0 || strcmp(s, b) == 0 || strcmp(s, c) == 0);
}

/* s is all digits of base (at least one). */
static bool
yj_digits(const char *s, int base)
{
	if (*s == '\0')
		return (false);
	for (; *s != '\0'; s++)
		if (!(base == 16 ? (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		                (*s >= 'A' && *s <= 'F')
		                 : *s >= '0' && *s < '0' + base))
			return (false);
	return (true);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool
yj_float_text(const char *s)
{
	size_t n = 0, f = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9')
		s++, n++;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			f++;
		if (n == 0 && f == 0)
			return (false);
	} else if (n == 0) {
		return (false);
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!yj_digits(s, 10))
			return (false);
		return (true);
	}
	return (*s == '\0');
}

static enum yj_type
yj_number(const char *s)
{
	const char *d = s + (*s == '-' || *s == '+');

	if (yj_digits(d, 10) ||
	    (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && yj_digits(s + 2, s[1] == 'x' ? 16 : 8)))
		return (YJ_INT);
	if (yj_word(d, ".inf", ".Inf", ".INF") || yj_word(s, ".nan", ".NaN", ".NAN"))
		return (YJ_ODD);
	return (yj_float_text(s) ? YJ_FLOAT : YJ_STR);
}

/* yj_type_of - the core schema's type of plain text s. */
static enum yj_type
yj_type_of(const char *s)
{
	if (*s == '\0' || strcmp(s, "~") == 0 || yj_word(s, "null", "Null", "NULL"))
		return (YJ_NULL);
	if (yj_word(s, "true", "True", "TRUE") || yj_word(s, "false", "False", "FALSE"))
		return (YJ_BOOL);
	return (yj_number(s));
}

/* yj_scalar - plain text s typed (new reference); a value JSON cannot hold stays a string. */
static json_t *
yj_scalar(const char *s, size_t len)
{
	long long i;
	double d;
	char *end;

	switch (yj_type_of(s)) {
	case YJ_NULL:
		return (json_null());
	case YJ_BOOL:
		return (json_boolean(s[0] == 't' || s[0] == 'T'));
	case YJ_INT:
		errno = 0;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
			i = strtoll(s + 2, &end, s[1] == 'x' ? 16 : 8);
		else
			i = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return (json_integer(i));
		break;
	case YJ_FLOAT:
		d = strtod(s, &end);
		if (*end == '\0' && isfinite(d))
			return (json_real(d));
		break;
	default:
		break;
	}
	return (json_stringn(s, len));
}

/* yj_charge - count n more values; -1 past the budget. */
static int
yj_charge(struct yj_read *r, long n, yaml_mark_t m)
{
	char msg[128];

	if (n > r->max_values - r->count) {
		snprintf(msg, sizeof(msg), "more than %ld values (an alias counts all it repeats)",
		    r->max_values);
		return (yj_fail(r, m, msg));
	}
	r->count += n;
	return (0);
}

static int
yj_anchor_set(struct yj_read *r, const char *anchor, json_t *v, long size)
{
	if (anchor == NULL)
		return (0);
	return (json_object_set_new(r->anchors, anchor, json_pack("[OI]", v, (json_int_t)size)));
}

/* yj_merge_add - a "<<" value: a mapping or a list of mappings. */
static int
yj_merge_add(struct yj_read *r, struct yj_frame *f, json_t *v, yaml_mark_t m)
{
	json_t *x;
	size_t i;

	if (f->merges == NULL)
		f->merges = json_array();
	if (json_is_object(v))
		return (json_array_append(f->merges, v));
	if (!json_is_array(v))
		return (yj_fail(r, m, "'<<' merges a mapping or a list of mappings"));
	json_array_foreach(v, i, x) {
		if (!json_is_object(x))
			return (yj_fail(r, m, "'<<' merges a mapping or a list of mappings"));
		json_array_append(f->merges, x);
	}
	return (0);
}

/* yj_put - v (taken) becomes the root or the next value of the open collection. */
static int
yj_put(struct yj_read *r, json_t *v, yaml_mark_t m)
{
	struct yj_frame *f;
	int rc = 0;

	if (v == NULL)
		return (yj_fail(r, m, "a string that is not valid UTF-8"));
	if (r->depth == 0) {
		json_decref(r->root);
		r->root = v;
		return (0);
	}
	f = &r->stack[r->depth - 1];
	if (json_is_array(f->node))
		return (json_array_append_new(f->node, v));
	if (f->merge)
		rc = yj_merge_add(r, f, v, m);
	else
		rc = json_object_set_new(f->node, f->key, v) == 0 ? 0 : yj_fail(r, m, "a bad key");
	if (f->merge)
		json_decref(v);
	free(f->key);
	f->key = NULL;
	f->merge = false;
	return (rc);
}

/* yj_want_key - the open collection is a mapping waiting for a key. */
static bool
yj_want_key(struct yj_read *r)
{
	struct yj_frame *f = r->depth > 0 ? &r->stack[r->depth - 1] : NULL;

	return (f != NULL && json_is_object(f->node) && f->key == NULL && !f->merge);
}

static int
yj_key(struct yj_read *r, const char *s, bool plain, yaml_mark_t m)
{
	struct yj_frame *f = &r->stack[r->depth - 1];

	if (plain && strcmp(s, "<<") == 0) {
		f->merge = true;
		return (0);
	}
	if ((f->key = strdup(s)) == NULL)
		return (yj_fail(r, m, "out of memory"));
	return (0);
}

static int
yj_on_scalar(struct yj_read *r, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	json_t *v;

	if (memchr(s, '\0', len) != NULL)
		return (yj_fail(r, ev->start_mark, "a NUL character"));
	if (yj_charge(r, 1, ev->start_mark) == -1)
		return (-1);
	if (yj_want_key(r)) {
		v = json_string(s);
		if (anchor != NULL && (v == NULL || yj_anchor_set(r, anchor, v, 1) == -1)) {
			json_decref(v);
			return (yj_fail(r, ev->start_mark, "a string that is not valid UTF-8"));
		}
		json_decref(v);
		return (yj_key(r, s, plain, ev->start_mark));
	}
	v = plain ? yj_scalar(s, len) : json_stringn(s, len);
	if (v != NULL && yj_anchor_set(r, anchor, v, 1) == -1) {
		json_decref(v);
		return (yj_fail(r, ev->start_mark, "a bad anchor"));
	}
	return (yj_put(r, v, ev->start_mark));
}

static int
yj_on_alias(struct yj_read *r, yaml_event_t *ev)
{
	json_t *a = json_object_get(r->anchors, (const char *)ev->data.alias.anchor);
	json_t *v = json_array_get(a, 0);
	char msg[160];

	if (a == NULL) {
		snprintf(msg, sizeof(msg), "alias '%.100s' names no anchor before it",
		    (const char *)ev->data.alias.anchor);
		return (yj_fail(r, ev->start_mark, msg));
	}
	if (yj_charge(r, (long)json_integer_value(json_array_get(a, 1)), ev->start_mark) == -1)
		return (-1);
	if (yj_want_key(r)) {
		if (!json_is_string(v))
			return (yj_fail(r, ev->start_mark, "a mapping key must be a scalar"));
		return (yj_key(r, json_string_value(v), false, ev->start_mark));
	}
	return (yj_put(r, json_incref(v), ev->start_mark));
}

static int
yj_on_start(struct yj_read *r, yaml_event_t *ev, bool map)
{
	const yaml_char_t *anchor =
	    map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct yj_frame *f;
	char msg[64];

	if (yj_want_key(r))
		return (yj_fail(r, ev->start_mark, "a mapping key must be a scalar"));
	if (r->depth >= r->max_depth) {
		snprintf(msg, sizeof(msg), "nested deeper than %d", r->max_depth);
		return (yj_fail(r, ev->start_mark, msg));
	}
	f = &r->stack[r->depth];
	*f = (struct yj_frame){
	    .node = map ? json_object() : json_array(), .start = r->count, .mark = ev->start_mark};
	if (anchor != NULL)
		f->anchor = strdup((const char *)anchor);
	r->depth++;
	return (yj_charge(r, 1, ev->start_mark));
}

static void
yj_frame_free(struct yj_frame *f)
{
	json_decref(f->node);
	json_decref(f->merges);
	free(f->key);
	free(f->anchor);
}

static int
yj_on_end(struct yj_read *r)
{
	struct yj_frame f = r->stack[--r->depth];
	json_t *src, *v;
	const char *k;
	size_t i;
	int rc;

	json_array_foreach(f.merges, i, src)
		json_object_foreach(src, k, v)
			if (json_object_get(f.node, k) == NULL)
				json_object_set(f.node, k, v);
	rc = yj_anchor_set(r, f.anchor, f.node, r->count - f.start);
	if (rc == 0)
		rc = yj_put(r, json_incref(f.node), f.mark);
	yj_frame_free(&f);
	return (rc);
}

/* yj_event - one event into the tree; 1 at the end of the first document. */
static int
yj_event(struct yj_read *r, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (yj_on_scalar(r, ev));
	case YAML_ALIAS_EVENT:
		return (yj_on_alias(r, ev));
	case YAML_SEQUENCE_START_EVENT:
		return (yj_on_start(r, ev, false));
	case YAML_MAPPING_START_EVENT:
		return (yj_on_start(r, ev, true));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return (yj_on_end(r));
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		return (1);
	default:
		return (0);
	}
}

static int
yj_syntax(struct yj_read *r, yaml_parser_t *p)
{
	char msg[200];

	if (p->context != NULL)
		snprintf(msg, sizeof(msg), "%s %s", p->problem ? p->problem : "a syntax error",
		    p->context);
	else
		snprintf(msg, sizeof(msg), "%s", p->problem ? p->problem : "a syntax error");
	return (yj_fail(r, p->problem_mark, msg));
}

/* yj_nul - -1 with the line of the first NUL byte of buf, if any. */
static int
yj_nul(struct yj_read *r, const char *buf, size_t len)
{
	const char *z = memchr(buf, '\0', len), *s;
	yaml_mark_t m = {0, 0, 0};

	if (z == NULL)
		return (0);
	for (s = buf; s < z; s++) {
		if (*s == '\n')
			m.line++, m.column = 0;
		else
			m.column++;
	}
	return (yj_fail(r, m, "a NUL character"));
}

json_t *
yaml_to_json(const char *buf, size_t len, int max_depth, long max_values, struct lw_err *e)
{
	struct yj_read r = {.max_depth = max_depth, .max_values = max_values, .e = e};
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0;

	if (yj_nul(&r, buf, len) == -1)
		return (NULL);
	r.stack = calloc((size_t)(max_depth > 0 ? max_depth : 1), sizeof(*r.stack));
	r.anchors = json_object();
	if (r.stack == NULL || r.anchors == NULL || !yaml_parser_initialize(&p)) {
		free(r.stack);
		json_decref(r.anchors);
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	/* A byte-order mark: skipped here, as libyaml told UTF-8 reads it as a character. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3, len -= 3;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yj_syntax(&r, &p);
			break;
		}
		rc = yj_event(&r, &ev);
		yaml_event_delete(&ev);
	}
	/*
	 * After the first document: what follows must start another one (or
	 * end the stream); a line indented less than the document's first
	 * ends it implicitly and would otherwise be dropped without a word.
	 */
	if (rc == 1) {
		if (!yaml_parser_parse(&p, &ev))
			rc = yj_syntax(&r, &p);
		else
			yaml_event_delete(&ev);
	}
	while (r.depth > 0)
		yj_frame_free(&r.stack[--r.depth]);
	yaml_parser_delete(&p);
	free(r.stack);
	json_decref(r.anchors);
	if (rc == -1) {
		json_decref(r.root);
		return (NULL);
	}
	return (r.root != NULL ? r.root : json_null());
}

/* Writing. */

struct yj_out {
	char *p;
	size_t len, cap;
};

static int
yj_write(void *data, unsigned char *buf, size_t size)
{
	struct yj_out *o = data;
	char *n;

	if (o->len + size + 1 > o->cap) {
		o->cap = (o->len + size + 1) * 2;
		if ((n = realloc(o->p, o->cap)) == NULL)
			return (0);
		o->p = n;
	}
	memcpy(o->p + o->len, buf, size);
	o->len += size;
	o->p[o->len] = '\0';
	return (1);
}

/*
 * yj_quote_needed - s written plain would read back as something else, here
 * or in a YAML 1.1 reader (yes/no/on/off, 1_000, 1:20): quote it.
 */
static bool
yj_quote_needed(const char *s)
{
	static const char *const words[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No",
	    "NO", "on", "On", "ON", "off", "Off", "OFF", "<<", "="};
	const char *d = s + (*s == '-' || *s == '+');

	if (yj_type_of(s) != YJ_STR)
		return (true);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return (true);
	if ((*d >= '0' && *d <= '9') || (*d == '.' && d[1] >= '0' && d[1] <= '9'))
		return (strspn(d, "0123456789_:.abcdefxoABCDEFXO+-") == strlen(d));
	return (false);
}

static int
yj_emit_scalar(yaml_emitter_t *em, const char *s, size_t len, bool key)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	yaml_event_t ev;

	if (yj_quote_needed(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (!key && memchr(s, '\n', len) != NULL)
		style = YAML_LITERAL_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
		return (-1);
	return (yaml_emitter_emit(em, &ev) ? 0 : -1);
}

static int
yj_emit_plain(yaml_emitter_t *em, const char *s)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(
	        &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, YAML_PLAIN_SCALAR_STYLE))
		return (-1);
	return (yaml_emitter_emit(em, &ev) ? 0 : -1);
}

/* yj_real - d as text that reads back as this float (never as an integer). */
static void
yj_real(double d, char *buf, size_t size)
{
	snprintf(buf, size, "%.17g", d);
	if (strpbrk(buf, ".eEn") == NULL)
		strncat(buf, ".0", size - strlen(buf) - 1);
}

static int yj_emit(yaml_emitter_t *em, json_t *v, int depth, struct lw_err *e);

static int
yj_emit_object(yaml_emitter_t *em, json_t *v, int depth, struct lw_err *e)
{
	yaml_event_t ev;
	const char *k;
	json_t *x;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	if (!yaml_emitter_emit(em, &ev))
		return (-1);
	json_object_foreach(v, k, x)
		if (yj_emit_scalar(em, k, strlen(k), true) == -1 ||
		    yj_emit(em, x, depth + 1, e) == -1)
			return (-1);
	yaml_mapping_end_event_initialize(&ev);
	return (yaml_emitter_emit(em, &ev) ? 0 : -1);
}

static int
yj_emit_array(yaml_emitter_t *em, json_t *v, int depth, struct lw_err *e)
{
	yaml_event_t ev;
	json_t *x;
	size_t i;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	if (!yaml_emitter_emit(em, &ev))
		return (-1);
	json_array_foreach(v, i, x)
		if (yj_emit(em, x, depth + 1, e) == -1)
			return (-1);
	yaml_sequence_end_event_initialize(&ev);
	return (yaml_emitter_emit(em, &ev) ? 0 : -1);
}

static int
yj_emit(yaml_emitter_t *em, json_t *v, int depth, struct lw_err *e)
{
	char buf[64];

	if (depth > 4096)
		return (err_set(e, ERR_INVALID, "nested deeper than 4096"));
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return (yj_emit_object(em, v, depth, e));
	case JSON_ARRAY:
		return (yj_emit_array(em, v, depth, e));
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v))
			return (err_set(e, ERR_INVALID, "a string with a NUL character"));
		return (yj_emit_scalar(em, json_string_value(v), json_string_length(v), false));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return (yj_emit_plain(em, buf));
	case JSON_REAL:
		yj_real(json_real_value(v), buf, sizeof(buf));
		return (yj_emit_plain(em, buf));
	case JSON_TRUE:
		return (yj_emit_plain(em, "true"));
	case JSON_FALSE:
		return (yj_emit_plain(em, "false"));
	default:
		return (yj_emit_plain(em, "null"));
	}
}

static int
yj_emit_doc(yaml_emitter_t *em, json_t *v, struct lw_err *e)
{
	yaml_event_t ev;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(em, &ev))
		return (-1);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!yaml_emitter_emit(em, &ev) || yj_emit(em, v, 0, e) == -1)
		return (-1);
	yaml_document_end_event_initialize(&ev, 1);
	if (!yaml_emitter_emit(em, &ev))
		return (-1);
	yaml_stream_end_event_initialize(&ev);
	return (yaml_emitter_emit(em, &ev) ? 0 : -1);
}

char *
json_to_yaml(json_t *v, size_t *len, struct lw_err *e)
{
	struct yj_out o = {0};
	yaml_emitter_t em;
	int rc;

	if (!yaml_emitter_initialize(&em)) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	if (e != NULL)
		e->code = ERR_NONE;
	yaml_emitter_set_output(&em, yj_write, &o);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	rc = yj_emit_doc(&em, v, e);
	if (rc == 0 && !yaml_emitter_flush(&em))
		rc = -1;
	if (rc == -1 && (e == NULL || e->code == ERR_NONE))
		err_set(e, ERR_INTERNAL, "cannot write YAML: %s",
		    em.problem != NULL ? em.problem : "out of memory");
	yaml_emitter_delete(&em);
	if (rc == -1 || o.p == NULL) {
		free(o.p);
		if (rc == 0)
			err_set(e, ERR_INTERNAL, "cannot write YAML");
		return (NULL);
	}
	*len = o.len;
	return (o.p);
}
