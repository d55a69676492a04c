/*
 * fields - a JSON object checked against its field table.
 */
#include <string.h>

#include "core/base/fields.h"
#include "core/base/names.h"

static const char *
fields_type_name(const struct field *f)
{
	static const char *const names[] = {"a string", "a name", "an integer", "a string",
	    "an array", "an object", "a number", "true or false"};

	return (f->type_name != NULL ? f->type_name : names[f->type]);
}

static int
fields_enum_has(const char *enums, const char *v)
{
	size_t l = strlen(v);

	for (const char *p = enums; p != NULL; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		if (strncmp(p, v, l) == 0 && (p[l] == '|' || p[l] == '\0'))
			return (1);
	return (0);
}

static int
fields_string(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = json_string_value(v);
	size_t l = json_string_length(v);

	if (strlen(s) != l)
		return (err_set(e, ERR_INVALID, "%s.%s: contains a NUL byte", what, f->name));
	if (f->type == F_NAME && !names_valid(s))
		return (err_set(e, ERR_INVALID,
		    "%s.%s: '%.80s' is not a valid name (1-63 of A-Z a-z 0-9 _ . -, starting "
		    "with a letter or digit, no '..')",
		    what, f->name, s));
	if (f->type == F_ENUM && !fields_enum_has(f->enums, s))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: '%.40s' is not one of %s", what, f->name, s, f->enums));
	if (f->type == F_STRING && ((long)l < f->min || (long)l > f->max))
		return (err_set(e, ERR_INVALID, "%s.%s: length must be %ld..%ld", what, f->name,
		    f->min, f->max));
	return (0);
}

static int
fields_type_ok(json_t *v, enum ftype t)
{
	switch (t) {
	case F_STRING:
	case F_NAME:
	case F_ENUM:
		return (json_is_string(v));
	case F_INT:
		return (json_is_integer(v));
	case F_NUMBER:
		return (json_is_number(v));
	case F_BOOL:
		return (json_is_boolean(v));
	case F_ARRAY:
		return (json_is_array(v));
	default:
		return (json_is_object(v));
	}
}

static int
fields_one(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	if (!fields_type_ok(v, f->type))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be %s", what, f->name, fields_type_name(f)));
	if (f->check != NULL)
		return (f->check(v, f, what, e));
	if (json_is_string(v))
		return (fields_string(v, f, what, e));
	if (f->type == F_INT && (json_integer_value(v) < f->min || json_integer_value(v) > f->max))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be in %ld..%ld", what, f->name, f->min, f->max));
	if (f->type == F_NUMBER &&
	    (json_number_value(v) < (double)f->min || json_number_value(v) > (double)f->max))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be in %ld..%ld", what, f->name, f->min, f->max));
	if (f->type == F_ARRAY && (long)json_array_size(v) > f->max)
		return (
		    err_set(e, ERR_INVALID, "%s.%s: at most %ld entries", what, f->name, f->max));
	return (0);
}

int
fields_check(json_t *o, const struct field *spec, const char *what, struct lw_err *e)
{
	const char *key;
	json_t *v;

	/* A whole body that is not an object is malformed; a nested element is invalid. */
	if (!json_is_object(o))
		return (err_set(e, strchr(what, '[') ? ERR_INVALID : ERR_BAD_REQUEST,
		    "%s: must be a JSON object", what));
	json_object_foreach(o, key, v) {
		const struct field *f = spec;

		while (f->name != NULL && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL)
			return (err_set(e, ERR_INVALID, "%s: unknown field '%.64s'", what, key));
		if (fields_one(v, f, what, e) == -1)
			return (-1);
	}
	for (const struct field *f = spec; f->name != NULL; f++)
		if (f->required && json_object_get(o, f->name) == NULL)
			return (err_set(e, ERR_INVALID, "%s.%s: is required", what, f->name));
	return (0);
}
