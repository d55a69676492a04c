/*
 * fields - checking a JSON object against a table of the fields it may
 * have (name, type, required, bounds, allowed words): unknown fields, wrong
 * types and out-of-range values are refused with a message that names the
 * field. It knows no particular object: the tables live with their owners
 * (labs/validate.c for request bodies, images/template.c for templates),
 * and a field with a meaning of its own gets a check callback.
 */
#ifndef LW_FIELDS_H
#define LW_FIELDS_H

#include <jansson.h>

#include "core/base/err.h"

enum ftype { F_STRING, F_NAME, F_INT, F_ENUM, F_ARRAY, F_OBJECT, F_NUMBER, F_BOOL };

struct field {
	const char *name;
	enum ftype type;
	int required;
	long min, max;     /* F_INT, F_NUMBER: value; F_STRING: length; F_ARRAY: entries (max) */
	const char *enums; /* F_ENUM: "auto|kvm|tcg" */
	/*
	 * check - replaces the bounds check of an array or object whose entries
	 * mean something (a link's endpoints); NULL for none.
	 */
	int (*check)(json_t *v, const struct field *f, const char *what, struct lw_err *e);
	const char *type_name; /* in "must be ..." messages instead of the type's; or NULL */
};

#define FIELDS_END                                                                                 \
	{                                                                                          \
		NULL, F_STRING, 0, 0, 0, NULL, NULL, NULL                                          \
	}

/*
 * fields_check - check o against spec (ended by FIELDS_END); what names the
 * object in messages ("node", "links[2]"). Returns 0, or -1 with e
 * (ERR_INVALID; ERR_BAD_REQUEST when a whole body, what without '[', is not
 * an object).
 */
int fields_check(json_t *o, const struct field *spec, const char *what, struct lw_err *e);

#endif
