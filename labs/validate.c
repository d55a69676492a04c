/*
 * validate - request-body validation tables.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/fields.h"
#include "core/base/names.h"
#include "core/net/impair.h"
#include "labs/practice.h"
#include "labs/validate.h"

#define IMPAIR_DIR_FIELDS                                                                          \
	{"delay_ms", F_INT, 0, 0, 60000, NULL, NULL, NULL},                                        \
	    {"jitter_ms", F_INT, 0, 0, 60000, NULL, NULL, NULL},                                   \
	    {"loss_pct", F_NUMBER, 0, 0, 100, NULL, NULL, NULL},                                   \
	    {"loss_burst", F_INT, 0, 0, 1000, NULL, NULL, NULL},                                   \
	    {"duplicate_pct", F_NUMBER, 0, 0, 100, NULL, NULL, NULL},                              \
	    {"corrupt_pct", F_NUMBER, 0, 0, 100, NULL, NULL, NULL},                                \
	    {"reorder_pct", F_NUMBER, 0, 0, 100, NULL, NULL, NULL},                                \
	{                                                                                          \
		"rate_kbps", F_INT, 0, 0, 100000000, NULL, NULL, NULL                              \
	}

const struct field validate_impairment_dir[] = {
    IMPAIR_DIR_FIELDS,
    FIELDS_END,
};

const struct field validate_impairment[] = {
    IMPAIR_DIR_FIELDS,
    {"seed", F_INT, 0, 0, 2147483647L, NULL, NULL, NULL},
    {"a_to_b", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"b_to_a", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_console_exec[] = {
    {"send", F_STRING, 0, 0, 4096, NULL, NULL, NULL},
    {"expect", F_STRING, 1, 1, 1024, NULL, NULL, NULL},
    {"timeout_s", F_INT, 0, 1, 600, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_capture[] = {
    {"filter", F_STRING, 0, 0, 1024, NULL, NULL, NULL},
    {"snaplen", F_INT, 0, 64, 65535, NULL, NULL, NULL},
    /* At most --capture-max-mb and --capture-max-seconds, which are also the defaults. */
    {"max_bytes", F_INT, 0, 4096, 1L << 40, NULL, NULL, NULL},
    {"max_seconds", F_INT, 0, 1, 7L * 86400, NULL, NULL, NULL},
    FIELDS_END,
};

static int
validate_guide(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	char w[64];

	snprintf(w, sizeof(w), "%s.%s", what, f->name);
	return (practice_guide_check(v, w, e));
}

/* A field whose entries only make sense with the rest of the body (a lab's checks, stages). */
static int
validate_later(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	(void)v, (void)f, (void)what, (void)e;
	return (0);
}

const struct field validate_lab_create[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"description", F_STRING, 0, 0, 4096, NULL, NULL, NULL},
    {"nodes", F_ARRAY, 0, 0, 1000, NULL, NULL, NULL},
    {"links", F_ARRAY, 0, 0, 10000, NULL, NULL, NULL},
    /* Checked against the body's nodes by labs/practice.c (practice_lab_insert). */
    {"guide", F_STRING, 0, 0, 0, NULL, validate_guide, "a string (Markdown)"},
    {"checks", F_ARRAY, 0, 0, 0, NULL, validate_later, NULL},
    {"stages", F_ARRAY, 0, 0, 0, NULL, validate_later, NULL},
    FIELDS_END,
};

const struct field validate_lab_patch[] = {
    {"name", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"description", F_STRING, 0, 0, 4096, NULL, NULL, NULL},
    {"boot_concurrency", F_INT, 0, 0, 1000, NULL, NULL, NULL},
    {"owner", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"shared_with", F_ARRAY, 0, 0, 1000, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_login[] = {
    {"username", F_STRING, 1, 1, 64, NULL, NULL, NULL},
    {"password", F_STRING, 1, 1, 256, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_token_create[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"expires_days", F_INT, 0, 1, 3650, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_quota[] = {
    {"running_nodes", F_INT, 0, 0, 100000, NULL, NULL, NULL},
    {"ram_mb", F_INT, 0, 0, 1L << 30, NULL, NULL, NULL},
    {"capture_mb", F_INT, 0, 0, 1L << 30, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_user_create[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"password", F_STRING, 1, 8, 256, NULL, NULL, NULL},
    {"role", F_ENUM, 0, 0, 0, "admin|instructor|user", NULL, NULL},
    {"quota", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_user_patch[] = {
    {"password", F_STRING, 0, 8, 256, NULL, NULL, NULL},
    {"current_password", F_STRING, 0, 1, 256, NULL, NULL, NULL},
    {"role", F_ENUM, 0, 0, 0, "admin|instructor|user", NULL, NULL},
    {"quota", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_group[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"leaders", F_ARRAY, 0, 0, 1000, NULL, NULL, NULL},
    {"members", F_ARRAY, 0, 0, 10000, NULL, NULL, NULL},
    FIELDS_END,
};

/* lab and group: a name or an id (an integer is taken as its digits). */
const struct field validate_assignment[] = {
    {"lab", F_STRING, 1, 1, 63, NULL, NULL, NULL},
    {"group", F_STRING, 1, 1, 63, NULL, NULL, NULL},
    {"name", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_group_patch[] = {
    {"leaders", F_ARRAY, 0, 0, 1000, NULL, NULL, NULL},
    {"members", F_ARRAY, 0, 0, 10000, NULL, NULL, NULL},
    FIELDS_END,
};

/* An imported node's origin (labs/import.c): what the file said, kept, never applied. */
static const struct field validate_origin_fields[] = {
    {"format", F_STRING, 0, 0, 16, NULL, NULL, NULL},
    {"kind", F_STRING, 0, 0, 64, NULL, NULL, NULL},
    {"image", F_STRING, 0, 0, 256, NULL, NULL, NULL},
    {"template", F_STRING, 0, 0, 64, NULL, NULL, NULL},
    {"config", F_STRING, 0, 0, VALIDATE_CONFIG_MAX, NULL, NULL, NULL},
    {"config_ref", F_STRING, 0, 0, 256, NULL, NULL, NULL},
    FIELDS_END,
};

static int
validate_origin(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	char w[64];

	snprintf(w, sizeof(w), "%s.%s", what, f->name);
	return (fields_check(v, validate_origin_fields, w, e));
}

const struct field validate_node_create[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"template", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"image", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"cdrom", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"arch", F_STRING, 0, 1, 15, NULL, NULL, NULL},
    {"accel", F_ENUM, 0, 0, 0, "auto|kvm|tcg", NULL, NULL},
    {"cpus", F_INT, 0, 1, 64, NULL, NULL, NULL},
    {"cpu_cap_pct", F_INT, 0, 0, 6400, NULL, NULL, NULL},
    {"ram_mb", F_INT, 0, 16, 1048576, NULL, NULL, NULL},
    {"nics", F_INT, 0, 0, 32, NULL, NULL, NULL},
    {"startup_config", F_STRING, 0, 0, VALIDATE_CONFIG_MAX, NULL, NULL, NULL},
    {"x", F_INT, 0, -1000000, 1000000, NULL, NULL, NULL},
    {"y", F_INT, 0, -1000000, 1000000, NULL, NULL, NULL},
    {"boot_order", F_INT, 0, 0, 1000000, NULL, NULL, NULL},
    {"origin", F_OBJECT, 0, 0, 0, NULL, validate_origin, "an object"},
    FIELDS_END,
};

/* template and arch are fixed at creation: a node is re-created to change them. */
const struct field validate_node_patch[] = {
    {"name", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"image", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"cdrom", F_NAME, 0, 0, 0, NULL, NULL, NULL},
    {"accel", F_ENUM, 0, 0, 0, "auto|kvm|tcg", NULL, NULL},
    {"cpus", F_INT, 0, 1, 64, NULL, NULL, NULL},
    {"cpu_cap_pct", F_INT, 0, 0, 6400, NULL, NULL, NULL},
    {"ram_mb", F_INT, 0, 16, 1048576, NULL, NULL, NULL},
    {"nics", F_INT, 0, 0, 32, NULL, NULL, NULL},
    {"startup_config", F_STRING, 0, 0, VALIDATE_CONFIG_MAX, NULL, NULL, NULL},
    {"x", F_INT, 0, -1000000, 1000000, NULL, NULL, NULL},
    {"y", F_INT, 0, -1000000, 1000000, NULL, NULL, NULL},
    {"boot_order", F_INT, 0, 0, 1000000, NULL, NULL, NULL},
    FIELDS_END,
};

static int validate_endpoints(json_t *v, const struct field *f, const char *what, struct lw_err *e);

const struct field validate_link_create[] = {
    {"endpoints", F_ARRAY, 1, 2, VALIDATE_LINK_EPS_MAX, NULL, validate_endpoints,
        "an array of endpoints"},
    {"state", F_ENUM, 0, 0, 0, "up|down", NULL, NULL},
    {"impairment", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

const struct field validate_link_patch[] = {
    {"state", F_ENUM, 0, 0, 0, "up|down", NULL, NULL},
    {"impairment", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

static int
validate_endpoints(json_t *v, const struct field *f, const char *what, struct lw_err *e)
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
	static const struct field spec[] = {
	    {"node", F_STRING, 1, 1, LW_NAME_MAX, NULL, NULL, NULL},
	    {"interface", F_STRING, 1, 1, LW_NAME_MAX, NULL, NULL, NULL},
	    FIELDS_END,
	};
	const char *s, *colon;

	if (json_is_object(ep)) {
		if (fields_check(ep, spec, "endpoint", e) == -1)
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

/*
 * The impairment engine sits between the two ends of a point-to-point
 * link; a LAN segment (a bridge) has no such place, so it takes none.
 */
int
validate_impairment_check(json_t *imp, int nends, struct lw_err *e)
{
	static const char *dirs[] = {"a_to_b", "b_to_a"};
	struct impair_params p;
	char what[32];

	if (imp == NULL)
		return (0);
	if (fields_check(imp, validate_impairment, "impairment", e) == -1)
		return (-1);
	for (int d = 0; d < 2; d++) {
		json_t *sub = json_object_get(imp, dirs[d]);

		snprintf(what, sizeof(what), "impairment.%s", dirs[d]);
		if (sub != NULL && fields_check(sub, validate_impairment_dir, what, e) == -1)
			return (-1);
	}
	impair_params_from_json(imp, &p);
	for (int d = 0; d < 2; d++) {
		const struct impair_dir *pd = &p.dir[d];

		if (pd->reorder > 0 && pd->delay_us == 0)
			return (err_set(e, ERR_INVALID,
			    "impairment.reorder_pct: reordering needs delay_ms (%s): reordered "
			    "frames are the ones sent without the delay",
			    dirs[d]));
		if (pd->jitter_us > pd->delay_us)
			return (err_set(e, ERR_INVALID,
			    "impairment.jitter_ms: %lld ms is more than delay_ms (%lld ms) (%s): "
			    "a frame cannot leave before it came",
			    (long long)pd->jitter_us / 1000, (long long)pd->delay_us / 1000,
			    dirs[d]));
		/* Gilbert-Elliott: past burst/(burst+1) the bad state is not entered enough. */
		if (pd->loss_burst > 1 && pd->loss < 1 &&
		    pd->loss > (double)pd->loss_burst / (pd->loss_burst + 1))
			return (err_set(e, ERR_INVALID,
			    "impairment.loss_pct: with loss_burst %d at most %.1f %% can be lost "
			    "in bursts (%s)",
			    pd->loss_burst, 100.0 * pd->loss_burst / (pd->loss_burst + 1),
			    dirs[d]));
	}
	if (nends > 2 && impair_params_active(&p))
		return (err_set(e, ERR_INVALID,
		    "impairment: only point-to-point links can be impaired; this link is a LAN "
		    "segment (%d endpoints)",
		    nends));
	return (0);
}
