/*
 * importir - the import model's builders (labs/importir.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importir.h"

int
imp_init(struct imp *im, const char *format, struct lw_err *e)
{
	memset(im, 0, sizeof(*im));
	im->format = format;
	im->nodes = json_array();
	im->byname = json_object();
	im->links = json_array();
	im->dropped = json_array();
	im->kept = json_array();
	if (im->nodes == NULL || im->byname == NULL || im->links == NULL || im->dropped == NULL ||
	    im->kept == NULL) {
		imp_free(im);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	return (0);
}

void
imp_free(struct imp *im)
{
	json_decref(im->description);
	json_decref(im->guide);
	json_decref(im->nodes);
	json_decref(im->byname);
	json_decref(im->links);
	json_decref(im->dropped);
	json_decref(im->kept);
	memset(im, 0, sizeof(*im));
}

json_t *
imp_node_find(struct imp *im, const char *name)
{
	return (name != NULL ? json_object_get(im->byname, name) : NULL);
}

int
imp_node_add(struct imp *im, json_t *node, const char *path, struct lw_err *e)
{
	const char *name = json_string_value(json_object_get(node, "name"));
	const char *kind = json_string_value(json_object_get(node, "kind"));
	int rc = -1;

	if (json_array_size(im->nodes) >= IMPORT_NODES_MAX)
		err_set(e, ERR_INVALID, "%s: more than %d nodes", path, IMPORT_NODES_MAX);
	else if (name == NULL || *name == '\0')
		err_set(e, ERR_INVALID, "%s: a node needs a name", path);
	else if (kind == NULL)
		err_set(e, ERR_INVALID, "%s: a node needs a kind", path);
	else if (imp_node_find(im, name) != NULL)
		err_set(e, ERR_INVALID, "%s: a second node named '%.64s'", path, name);
	else if (json_array_append(im->nodes, node) == -1 ||
	    json_object_set_nocheck(im->byname, name, node) == -1)
		err_set(e, ERR_INTERNAL, "out of memory");
	else
		rc = 0;
	json_decref(node);
	return (rc);
}

int
imp_link_add(struct imp *im, json_t *link, const char *path, struct lw_err *e)
{
	json_t *eps = json_object_get(link, "endpoints"), *ep;
	int rc = -1;
	size_t i;

	if (json_array_size(im->links) >= IMPORT_LINKS_MAX) {
		err_set(e, ERR_INVALID, "%s: more than %d links", path, IMPORT_LINKS_MAX);
		goto out;
	}
	if (!json_is_array(eps) || json_array_size(eps) == 0) {
		err_set(e, ERR_INVALID, "%s: a link needs endpoints", path);
		goto out;
	}
	json_array_foreach(eps, i, ep) {
		if (!json_is_string(json_object_get(ep, "node"))) {
			err_set(e, ERR_INVALID, "%s: endpoint %zu names no node", path, i);
			goto out;
		}
	}
	if (json_array_append(im->links, link) == -1)
		err_set(e, ERR_INTERNAL, "out of memory");
	else
		rc = 0;
out:
	json_decref(link);
	return (rc);
}

json_t *
imp_ep(const char *node, const char *iface, long index)
{
	json_t *ep = json_pack("{s:s, s:s}", "node", node, "interface", iface ? iface : "");

	if (ep != NULL && index >= 0 &&
	    json_object_set_new(ep, "index", json_integer(index)) == -1) {
		json_decref(ep);
		return (NULL);
	}
	return (ep);
}

/* report_add - entry onto list while it has fewer than IMPORT_DROPPED_MAX; *count counts all. */
static void
report_add(size_t *count, json_t *list, json_t *entry)
{
	if (entry == NULL)
		return;
	if ((*count)++ < IMPORT_DROPPED_MAX)
		json_array_append(list, entry);
	json_decref(entry);
}

void
imp_drop(struct imp *im, const char *what, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	report_add(
	    &im->ndropped, im->dropped, json_pack("{s:s, s:s}", "what", what, "reason", reason));
}

void
imp_keep(struct imp *im, const char *node, const char *what, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	report_add(&im->nkept, im->kept,
	    json_pack("{s:s, s:s, s:s}", "node", node, "what", what, "reason", reason));
}

const char *
imp_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return ("a mapping");
	case JSON_ARRAY:
		return ("a list");
	case JSON_STRING:
		return ("a string");
	case JSON_INTEGER:
		return ("an integer");
	case JSON_REAL:
		return ("a number");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("true or false");
	default:
		return ("null");
	}
}

int
imp_get(json_t *o, const char *key, json_type t, bool required, const char *path, json_t **out,
    struct lw_err *e)
{
	json_t *v;

	*out = NULL;
	if (!json_is_object(o))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping", path));
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v)) {
		if (required)
			return (err_set(e, ERR_INVALID, "%s.%s: missing", path, key));
		return (0);
	}
	if (json_typeof(v) != t && !(t == JSON_TRUE && json_is_boolean(v)))
		return (err_set(e, ERR_INVALID, "%s.%s: expected %s, not %s", path, key,
		    imp_type_name(t), imp_type_name(json_typeof(v))));
	*out = v;
	return (0);
}

int
imp_get_int(
    json_t *o, const char *key, long min, long max, const char *path, long *out, struct lw_err *e)
{
	json_t *v;
	long n;

	if (!json_is_object(o))
		return (err_set(e, ERR_INVALID, "%s: expected a mapping", path));
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_integer(v)) {
		n = (long)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		n = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || errno != 0)
			return (err_set(e, ERR_INVALID, "%s.%s: expected an integer, not '%.32s'",
			    path, key, s));
	} else {
		return (err_set(e, ERR_INVALID, "%s.%s: expected an integer, not %s", path, key,
		    imp_type_name(json_typeof(v))));
	}
	if (n < min || n > max)
		return (err_set(
		    e, ERR_INVALID, "%s.%s: %ld is out of range %ld..%ld", path, key, n, min, max));
	*out = n;
	return (1);
}

int
imp_get_num(
    json_t *o, const char *key, long min, long max, const char *path, long *out, struct lw_err *e)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (json_is_real(v)) {
		d = json_real_value(v);
		if (!isfinite(d) || d < (double)min || d > (double)max)
			return (err_set(e, ERR_INVALID, "%s.%s: %g is out of range %ld..%ld", path,
			    key, d, min, max));
		*out = lround(d);
		return (1);
	}
	return (imp_get_int(o, key, min, max, path, out, e));
}

int
imp_model_num(json_t *o, const char *key, long max, json_t *model, const char *as, const char *path,
    struct lw_err *e)
{
	long v = 0;
	int rc;

	if (key == NULL || o == NULL)
		return (0);
	if ((rc = imp_get_num(o, key, 0, max, path, &v, e)) == -1)
		return (-1);
	if (rc == 1 && v > 0)
		json_object_set_new(model, as, json_integer(v));
	return (0);
}

void
imp_join(json_t *list, char *buf, size_t size)
{
	size_t o = 0, i;
	json_t *v;

	if (size == 0)
		return;
	buf[0] = '\0';
	json_array_foreach(list, i, v) {
		if (o < size)
			o += (size_t)snprintf(
			    buf + o, size - o, "%s%s", i ? ", " : "", json_string_value(v));
	}
}
