/*
 * validate - request-body validation tables.
 */
#include <string.h>

#include "core/base/names.h"
#include "labs/validate.h"

#define END                                                                                        \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}
#define CONFIG_MAX (256 * 1024)

#define IMPAIR_DIR_FIELDS                                                                          \
	{"delay_ms", V_INT, 0, 0, 60000, NULL}, {"jitter_ms", V_INT, 0, 0, 60000, NULL},           \
	    {"loss_pct", V_NUMBER, 0, 0, 100, NULL}, {"loss_burst", V_INT, 0, 0, 1000, NULL},      \
	    {"duplicate_pct", V_NUMBER, 0, 0, 100, NULL},                                          \
	    {"corrupt_pct", V_NUMBER, 0, 0, 100, NULL},                                            \
	    {"reorder_pct", V_NUMBER, 0, 0, 100, NULL},                                            \
	{                                                                                          \
		"rate_kbps", V_INT, 0, 0, 100000000, NULL                                          \
	}

const struct vfield validate_impairment_dir[] = {
    IMPAIR_DIR_FIELDS,
    END,
};

const struct vfield validate_impairment[] = {
    IMPAIR_DIR_FIELDS,
    {"seed", V_INT, 0, 0, 2147483647L, NULL},
    {"a_to_b", V_OBJECT, 0, 0, 0, NULL},
    {"b_to_a", V_OBJECT, 0, 0, 0, NULL},
    END,
};

const struct vfield validate_console_exec[] = {
    {"send", V_STRING, 0, 0, 4096, NULL},
    {"expect", V_STRING, 1, 1, 1024, NULL},
    {"timeout_s", V_INT, 0, 1, 600, NULL},
    END,
};

const struct vfield validate_capture[] = {
    {"filter", V_STRING, 0, 0, 1024, NULL},
    {"snaplen", V_INT, 0, 64, 65535, NULL},
    END,
};

const struct vfield validate_lab_create[] = {
    {"name", V_NAME, 1, 0, 0, NULL},
    {"description", V_STRING, 0, 0, 4096, NULL},
    {"nodes", V_ARRAY, 0, 0, 1000, NULL},
    {"links", V_ARRAY, 0, 0, 10000, NULL},
    END,
};

const struct vfield validate_lab_patch[] = {
    {"name", V_NAME, 0, 0, 0, NULL},
    {"description", V_STRING, 0, 0, 4096, NULL},
    {"boot_concurrency", V_INT, 0, 0, 1000, NULL},
    END,
};

const struct vfield validate_node_create[] = {
    {"name", V_NAME, 1, 0, 0, NULL},
    {"template", V_NAME, 1, 0, 0, NULL},
    {"image", V_NAME, 0, 0, 0, NULL},
    {"cdrom", V_NAME, 0, 0, 0, NULL},
    {"arch", V_STRING, 0, 1, 15, NULL},
    {"accel", V_ENUM, 0, 0, 0, "auto|kvm|tcg"},
    {"cpus", V_INT, 0, 1, 64, NULL},
    {"ram_mb", V_INT, 0, 16, 1048576, NULL},
    {"nics", V_INT, 0, 0, 32, NULL},
    {"startup_config", V_STRING, 0, 0, CONFIG_MAX, NULL},
    {"x", V_INT, 0, -1000000, 1000000, NULL},
    {"y", V_INT, 0, -1000000, 1000000, NULL},
    {"boot_order", V_INT, 0, 0, 1000000, NULL},
    END,
};

/* template and arch are fixed at creation: a node is re-created to change them. */
const struct vfield validate_node_patch[] = {
    {"name", V_NAME, 0, 0, 0, NULL},
    {"image", V_NAME, 0, 0, 0, NULL},
    {"cdrom", V_NAME, 0, 0, 0, NULL},
    {"accel", V_ENUM, 0, 0, 0, "auto|kvm|tcg"},
    {"cpus", V_INT, 0, 1, 64, NULL},
    {"ram_mb", V_INT, 0, 16, 1048576, NULL},
    {"nics", V_INT, 0, 0, 32, NULL},
    {"startup_config", V_STRING, 0, 0, CONFIG_MAX, NULL},
    {"x", V_INT, 0, -1000000, 1000000, NULL},
    {"y", V_INT, 0, -1000000, 1000000, NULL},
    {"boot_order", V_INT, 0, 0, 1000000, NULL},
    END,
};

const struct vfield validate_link_create[] = {
    {"endpoints", V_ENDPOINTS, 1, 2, 64, NULL},
    {"state", V_ENUM, 0, 0, 0, "up|down"},
    {"impairment", V_OBJECT, 0, 0, 0, NULL},
    END,
};

const struct vfield validate_link_patch[] = {
    {"state", V_ENUM, 0, 0, 0, "up|down"},
    {"impairment", V_OBJECT, 0, 0, 0, NULL},
    END,
};

static const char *
vtype_name(enum vtype t)
{
	static const char *names[] = {"a string", "a name", "an integer", "a string", "an array",
	    "an object", "an array of endpoints", "a number", "true or false"};

	return (names[t]);
}

static int
enum_has(const char *enums, const char *v)
{
	size_t l = strlen(v);

	for (const char *p = enums; p != NULL; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		if (strncmp(p, v, l) == 0 && (p[l] == '|' || p[l] == '\0'))
			return (1);
	return (0);
}

static int
validate_string(json_t *v, const struct vfield *f, const char *what, struct lw_err *e)
{
	const char *s = json_string_value(v);
	size_t l = json_string_length(v);

	if (strlen(s) != l)
		return (err_set(e, ERR_INVALID, "%s.%s: contains a NUL byte", what, f->name));
	if (f->type == V_NAME && !names_valid(s))
		return (err_set(e, ERR_INVALID,
		    "%s.%s: '%.80s' is not a valid name (1-63 of A-Z a-z 0-9 _ . -, starting "
		    "with a letter or digit, no '..')",
		    what, f->name, s));
	if (f->type == V_ENUM && !enum_has(f->enums, s))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: '%.40s' is not one of %s", what, f->name, s, f->enums));
	if (f->type == V_STRING && ((long)l < f->min || (long)l > f->max))
		return (err_set(e, ERR_INVALID, "%s.%s: length must be %ld..%ld", what, f->name,
		    f->min, f->max));
	return (0);
}

static int
validate_endpoints(json_t *v, const struct vfield *f, const char *what, struct lw_err *e)
{
	size_t i, n = json_array_size(v);
	json_t *ep;

	if ((long)n < f->min || (long)n > f->max)
		return (err_set(e, ERR_INVALID, "%s.%s: a link needs %ld to %ld endpoints, got %zu",
		    what, f->name, f->min, f->max, n));
	json_array_foreach(v, i, ep) {
		const char *node;
		char iface[64], nodebuf[64];

		if (validate_endpoint(
		        ep, &node, iface, sizeof(iface), nodebuf, sizeof(nodebuf), e) == -1)
			return (-1);
	}
	return (0);
}

static int
validate_field(json_t *v, const struct vfield *f, const char *what, struct lw_err *e)
{
	int ok;

	switch (f->type) {
	case V_STRING:
	case V_NAME:
	case V_ENUM:
		ok = json_is_string(v);
		break;
	case V_INT:
		ok = json_is_integer(v);
		break;
	case V_NUMBER:
		ok = json_is_number(v);
		break;
	case V_BOOL:
		ok = json_is_boolean(v);
		break;
	case V_ARRAY:
	case V_ENDPOINTS:
		ok = json_is_array(v);
		break;
	default:
		ok = json_is_object(v);
		break;
	}
	if (!ok)
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be %s", what, f->name, vtype_name(f->type)));
	if (json_is_string(v))
		return (validate_string(v, f, what, e));
	if (f->type == V_INT && (json_integer_value(v) < f->min || json_integer_value(v) > f->max))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be in %ld..%ld", what, f->name, f->min, f->max));
	if (f->type == V_NUMBER &&
	    (json_number_value(v) < (double)f->min || json_number_value(v) > (double)f->max))
		return (err_set(
		    e, ERR_INVALID, "%s.%s: must be in %ld..%ld", what, f->name, f->min, f->max));
	if (f->type == V_ARRAY && (long)json_array_size(v) > f->max)
		return (
		    err_set(e, ERR_INVALID, "%s.%s: at most %ld entries", what, f->name, f->max));
	if (f->type == V_ENDPOINTS)
		return (validate_endpoints(v, f, what, e));
	return (0);
}

int
validate_object(json_t *o, const struct vfield *spec, const char *what, struct lw_err *e)
{
	const char *key;
	json_t *v;

	/* A whole body that is not an object is malformed; a nested element is invalid. */
	if (!json_is_object(o))
		return (err_set(e, strchr(what, '[') ? ERR_INVALID : ERR_BAD_REQUEST,
		    "%s: must be a JSON object", what));
	json_object_foreach(o, key, v) {
		const struct vfield *f = spec;

		while (f->name != NULL && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL)
			return (err_set(e, ERR_INVALID, "%s: unknown field '%.64s'", what, key));
		if (validate_field(v, f, what, e) == -1)
			return (-1);
	}
	for (const struct vfield *f = spec; f->name != NULL; f++)
		if (f->required && json_object_get(o, f->name) == NULL)
			return (err_set(e, ERR_INVALID, "%s.%s: is required", what, f->name));
	return (0);
}

/* Interface names follow the NOS (Gi0/1, ge-0/0/2): names plus '/'. */
int
validate_iface(const char *s)
{
	return (names_iface_valid(s));
}

static int
endpoint_parts(const char *node, const char *iface, struct lw_err *e)
{
	if (!names_valid(node))
		return (
		    err_set(e, ERR_INVALID, "endpoint: '%.64s' is not a valid node name", node));
	if (!validate_iface(iface))
		return (err_set(
		    e, ERR_INVALID, "endpoint: '%.64s' is not a valid interface name", iface));
	return (0);
}

int
validate_endpoint(json_t *ep, const char **node, char *iface, size_t ifacelen, char *nodebuf,
    size_t nodelen, struct lw_err *e)
{
	static const struct vfield spec[] = {
	    {"node", V_STRING, 1, 1, LW_NAME_MAX, NULL},
	    {"interface", V_STRING, 1, 1, LW_NAME_MAX, NULL},
	    END,
	};
	const char *s, *colon;

	if (json_is_object(ep)) {
		if (validate_object(ep, spec, "endpoint", e) == -1)
			return (-1);
		*node = json_string_value(json_object_get(ep, "node"));
		snprintf(
		    iface, ifacelen, "%s", json_string_value(json_object_get(ep, "interface")));
		return (endpoint_parts(*node, iface, e));
	}
	if (!json_is_string(ep))
		return (err_set(e, ERR_INVALID,
		    "endpoint: must be \"node:interface\" or {\"node\",\"interface\"}"));
	s = json_string_value(ep);
	/* The first ':' ends the node name (names never hold one). */
	if ((colon = strchr(s, ':')) == NULL || (size_t)(colon - s) >= nodelen ||
	    strlen(colon + 1) >= ifacelen)
		return (err_set(e, ERR_INVALID, "endpoint: '%.64s' is not \"node:interface\"", s));
	memcpy(nodebuf, s, (size_t)(colon - s));
	nodebuf[colon - s] = '\0';
	snprintf(iface, ifacelen, "%s", colon + 1);
	*node = nodebuf;
	return (endpoint_parts(*node, iface, e));
}
