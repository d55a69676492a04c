/*
 * validate - request-body validation against a field table: unknown
 * fields, wrong types and out-of-range values are refused with a message
 * that names the field. One table per endpoint body.
 */
#ifndef LW_VALIDATE_H
#define LW_VALIDATE_H

#include <jansson.h>

#include "core/base/err.h"

enum vtype { V_STRING, V_NAME, V_INT, V_ENUM, V_ARRAY, V_OBJECT, V_ENDPOINTS, V_NUMBER, V_BOOL };

struct vfield {
	const char *name;
	enum vtype type;
	int required;
	long min, max;     /* V_INT, V_NUMBER: value; V_STRING/V_ARRAY: length */
	const char *enums; /* V_ENUM: "auto|kvm|tcg" */
};

/* The bodies of the API, one table each (terminated by a NULL name). */
extern const struct vfield validate_lab_create[];
extern const struct vfield validate_lab_patch[];
extern const struct vfield validate_node_create[];
extern const struct vfield validate_node_patch[];
extern const struct vfield validate_link_create[];
extern const struct vfield validate_template[];
extern const struct vfield validate_link_patch[];
extern const struct vfield validate_impairment[];
/* The fields one direction of an impairment may override (a_to_b, b_to_a). */
extern const struct vfield validate_impairment_dir[];
extern const struct vfield validate_console_exec[];
extern const struct vfield validate_capture[];

/*
 * validate_object - check o against spec; what names the object in messages
 * ("node", "links[2]"). Returns 0, or -1 with e (ERR_INVALID; ERR_BAD_REQUEST
 * when o is not an object).
 */
int validate_object(json_t *o, const struct vfield *spec, const char *what, struct lw_err *e);
/*
 * validate_iface - an interface name: 1-63 of A-Z a-z 0-9 / _ . -, no "..".
 */
int validate_iface(const char *s);
/*
 * validate_endpoint - split an endpoint ("r1:eth0" or {"node","interface"})
 * into node and interface strings (borrowed from ep); 0 or -1 with e.
 */
int validate_endpoint(json_t *ep, const char **node, char *iface, size_t ifacelen, char *nodebuf,
    size_t nodelen, struct lw_err *e);

#endif
