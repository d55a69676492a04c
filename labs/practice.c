/*
 * practice - practice labs' guide, checks and stages. The stored checks and
 * stages are JSON text that passed practice_validate; the start's configs
 * (stage_base) are captured once, at the first restore, so stage 0 brings
 * back the lab as its author made it however often stages are restored.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "core/base/events.h"
#include "core/base/fields.h"
#include "core/base/rx.h"
#include "db/db.h"
#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "labs/practice.h"

#define DB db_current(lw.db)

/* ---- families ---- */

static const char *const practice_linux[] = {
    "tiny-linux", "tiny-linux-arm64", "linux-host", "linux-cloud", "vlan-switch", NULL};

int
practice_family(const char *template)
{
	if (template == NULL)
		return (PRACTICE_OTHER);
	if (strcmp(template, "frr-router") == 0)
		return (PRACTICE_FRR);
	for (int i = 0; practice_linux[i] != NULL; i++)
		if (strcmp(template, practice_linux[i]) == 0)
			return (PRACTICE_LINUX);
	return (PRACTICE_OTHER);
}

/* ---- one check ---- */

static int practice_addr(json_t *v, const struct field *f, const char *what, struct lw_err *e);
static int practice_prefix(json_t *v, const struct field *f, const char *what, struct lw_err *e);
static int practice_regex(json_t *v, const struct field *f, const char *what, struct lw_err *e);
static int practice_command(json_t *v, const struct field *f, const char *what, struct lw_err *e);
static int practice_text(json_t *v, const struct field *f, const char *what, struct lw_err *e);

#define KINDS "ping|exec|config|route|ospf_neighbors|bgp_established"

#define CHECK_COMMON                                                                               \
	{"id", F_NAME, 1, 0, 0, NULL, NULL, NULL},                                                 \
	    {"description", F_STRING, 1, 1, PRACTICE_TEXT_MAX, NULL, practice_text, NULL},         \
	    {"points", F_INT, 0, 0, 100, NULL, NULL, NULL},                                        \
	    {"hint", F_STRING, 0, 0, PRACTICE_TEXT_MAX, NULL, practice_text, NULL},                \
	    {"timeout_s", F_INT, 0, 1, 60, NULL, NULL, NULL},                                      \
	    {"kind", F_ENUM, 1, 0, 0, KINDS, NULL, NULL},                                          \
	{                                                                                          \
		"node", F_NAME, 1, 0, 0, NULL, NULL, NULL                                          \
	}

#define ADDR(name, req)                                                                            \
	{                                                                                          \
		name, F_STRING, req, 0, 0, NULL, practice_addr, "an IP address"                    \
	}
#define REGEX                                                                                      \
	{                                                                                          \
		"match", F_STRING, 1, 0, 0, NULL, practice_regex, "a regular expression"           \
	}

static const struct field check_ping[] = {
    CHECK_COMMON,
    ADDR("target", 1),
    {"expect", F_ENUM, 0, 0, 0, "success|failure", NULL, NULL},
    FIELDS_END,
};
static const struct field check_exec[] = {
    CHECK_COMMON,
    {"command", F_STRING, 1, 0, 0, NULL, practice_command, "a command"},
    REGEX,
    {"absent", F_BOOL, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};
static const struct field check_config[] = {
    CHECK_COMMON,
    REGEX,
    {"absent", F_BOOL, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};
static const struct field check_route[] = {
    CHECK_COMMON,
    {"prefix", F_STRING, 1, 0, 0, NULL, practice_prefix, "an IPv4 prefix"},
    ADDR("via", 0),
    FIELDS_END,
};
static const struct field check_ospf[] = {
    CHECK_COMMON,
    {"full", F_INT, 1, 0, 64, NULL, NULL, NULL},
    FIELDS_END,
};
static const struct field check_bgp[] = {
    CHECK_COMMON,
    ADDR("peer", 1),
    FIELDS_END,
};

static const struct {
	const char *kind;
	const struct field *spec;
	unsigned families; /* 1 << family */
} practice_kinds[] = {
    {"ping", check_ping, 1 << PRACTICE_FRR | 1 << PRACTICE_LINUX},
    {"exec", check_exec, 1 << PRACTICE_FRR | 1 << PRACTICE_LINUX | 1 << PRACTICE_OTHER},
    {"config", check_config, 1 << PRACTICE_FRR | 1 << PRACTICE_LINUX},
    {"route", check_route, 1 << PRACTICE_FRR | 1 << PRACTICE_LINUX},
    {"ospf_neighbors", check_ospf, 1 << PRACTICE_FRR},
    {"bgp_established", check_bgp, 1 << PRACTICE_FRR},
};

static const char *const family_names[] = {
    [PRACTICE_OTHER] = "other", [PRACTICE_FRR] = "frr", [PRACTICE_LINUX] = "linux"};

static const char *
field_str(json_t *v, const struct field *f, const char *what, size_t max, struct lw_err *e)
{
	const char *s = json_string_value(v);

	if (strlen(s) != json_string_length(v))
		return (err_set(e, ERR_INVALID, "%s.%s: contains a NUL byte", what, f->name), NULL);
	if (json_string_length(v) == 0 || json_string_length(v) > max)
		return (err_set(e, ERR_INVALID, "%s.%s: length must be 1..%zu", what, f->name, max),
		    NULL);
	return (s);
}

static int
practice_addr(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = field_str(v, f, what, INET6_ADDRSTRLEN, e);
	unsigned char buf[16];

	if (s == NULL)
		return (-1);
	if (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1)
		return (
		    err_set(e, ERR_INVALID, "%s.%s: not an IP address: '%.64s'", what, f->name, s));
	return (0);
}

/* An IPv4 prefix as FRR and ip(8) print it: a.b.c.d/n, no host bits set. */
static int
practice_prefix(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = field_str(v, f, what, 18, e), *slash;
	char addr[16], *end;
	struct in_addr a;
	long len;

	if (s == NULL)
		return (-1);
	if ((slash = strchr(s, '/')) == NULL || slash - s >= (long)sizeof(addr) || slash[1] < '0' ||
	    slash[1] > '9')
		goto bad;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len > 32 || inet_pton(AF_INET, addr, &a) != 1)
		goto bad;
	if (len < 32 && (ntohl(a.s_addr) & (0xffffffffu >> len)) != 0)
		return (err_set(e, ERR_INVALID,
		    "%s.%s: '%.20s' has host bits set (the network of a route, as 'show ip route' "
		    "prints it)",
		    what, f->name, s));
	return (0);
bad:
	return (err_set(
	    e, ERR_INVALID, "%s.%s: not an IPv4 prefix (a.b.c.d/n): '%.40s'", what, f->name, s));
}

static int
practice_regex(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = field_str(v, f, what, RX_PATTERN_MAX, e);
	struct lw_err re = {0};
	struct rx *r;

	if (s == NULL)
		return (-1);
	if ((r = rx_new(s, RX_LINES, &re)) == NULL)
		return (err_set(e, ERR_INVALID, "%s.%s: %s", what, f->name, re.msg));
	rx_free(r);
	return (0);
}

/*
 * The first control byte of s (not tab, newline or carriage return), or
 * NULL: text a terminal prints as it is (labwire grade's hints, labwire lab
 * guide) must not carry escape sequences.
 */
static const char *
text_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r') ||
		    *s == 0x7f ||
		    /* U+0080..U+009F in UTF-8: C1 controls (0x9b is a CSI to some terminals) */
		    ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] >= 0x80 &&
		        (unsigned char)s[1] <= 0x9f))
			return (s);
	return (NULL);
}

/* A description, hint or stage name: its length bounds, and no control byte but tab, newline and
 * CR. */
static int
practice_text(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = json_string_value(v), *c;
	size_t l = json_string_length(v);

	if (strlen(s) != l)
		return (err_set(e, ERR_INVALID, "%s.%s: contains a NUL byte", what, f->name));
	if ((long)l < f->min || (long)l > f->max)
		return (err_set(e, ERR_INVALID, "%s.%s: length must be %ld..%ld", what, f->name,
		    f->min, f->max));
	if ((c = text_control(s)) != NULL)
		return (err_set(e, ERR_INVALID,
		    "%s.%s: no control character but tab, newline and CR (byte %ld is 0x%02x)",
		    what, f->name, (long)(c - s), (unsigned char)*c));
	return (0);
}

/* Typed on a console as one line: printable ASCII only, so no newline or control key. */
static int
practice_command(json_t *v, const struct field *f, const char *what, struct lw_err *e)
{
	const char *s = field_str(v, f, what, PRACTICE_COMMAND_MAX, e);

	if (s == NULL)
		return (-1);
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return (err_set(e, ERR_INVALID,
			    "%s.%s: only printable ASCII (no newline or control character; byte "
			    "%ld is 0x%02x)",
			    what, f->name, (long)(p - s), (unsigned char)*p));
	return (0);
}

/* The kind's entry, or -1 with e. */
static int
check_kind(json_t *c, const char *what, struct lw_err *e)
{
	json_t *k = json_object_get(c, "kind");

	if (!json_is_object(c))
		return (err_set(e, ERR_INVALID, "%s: must be a JSON object", what));
	if (k == NULL)
		return (err_set(e, ERR_INVALID, "%s.kind: is required", what));
	for (size_t i = 0; i < sizeof(practice_kinds) / sizeof(practice_kinds[0]); i++)
		if (json_is_string(k) && strcmp(json_string_value(k), practice_kinds[i].kind) == 0)
			return ((int)i);
	return (err_set(e, ERR_INVALID, "%s.kind: '%.40s' is not one of " KINDS, what,
	    json_is_string(k) ? json_string_value(k) : "(not a string)"));
}

/* One check: its fields, its node and kind; its id noted in ids. */
static int
check_one(json_t *c, json_t *nodes, json_t *ids, const char *what, struct lw_err *e)
{
	int k = check_kind(c, what, e), fam;
	const char *node, *id;

	if (k == -1 || fields_check(c, practice_kinds[k].spec, what, e) == -1)
		return (-1);
	node = json_string_value(json_object_get(c, "node"));
	id = json_string_value(json_object_get(c, "id"));
	if (json_object_get(ids, id) != NULL)
		return (err_set(e, ERR_INVALID,
		    "%s.id: '%s' is used by %s too; ids are unique in a lab", what, id,
		    json_string_value(json_object_get(ids, id))));
	json_object_set_new(ids, id, json_string(what));
	if (!json_is_string(json_object_get(nodes, node)))
		return (err_set(e, ERR_INVALID, "%s.node: the lab has no node '%s'", what, node));
	fam = practice_family(json_string_value(json_object_get(nodes, node)));
	if (!(practice_kinds[k].families & (1u << fam)))
		return (err_set(e, ERR_INVALID,
		    "%s.kind: a %s check does not fit node '%s' (template %.40s, family %s)%s",
		    what, practice_kinds[k].kind, node,
		    json_string_value(json_object_get(nodes, node)), family_names[fam],
		    fam == PRACTICE_OTHER ? "; only exec checks run there" : ""));
	return (0);
}

static int
checks_list(
    json_t *checks, json_t *nodes, json_t *ids, const char *what, size_t *total, struct lw_err *e)
{
	char w[96];
	json_t *c;
	size_t i;

	if (checks == NULL)
		return (0);
	if (!json_is_array(checks))
		return (err_set(e, ERR_INVALID, "%s: must be an array", what));
	*total += json_array_size(checks);
	if (*total > PRACTICE_CHECKS_MAX)
		return (err_set(e, ERR_INVALID,
		    "%s: at most %d checks in a lab, its stages' included (%zu or more given)",
		    what, PRACTICE_CHECKS_MAX, *total));
	json_array_foreach(checks, i, c) {
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (check_one(c, nodes, ids, w, e) == -1)
			return (-1);
	}
	return (0);
}

/* ---- stages ---- */

static const struct field stage_spec[] = {
    {"name", F_STRING, 1, 1, 128, NULL, practice_text, NULL},
    {"description", F_STRING, 0, 0, PRACTICE_STAGE_TEXT_MAX, NULL, practice_text, NULL},
    {"checks", F_ARRAY, 0, 0, PRACTICE_CHECKS_MAX, NULL, NULL, NULL},
    {"configs", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    FIELDS_END,
};

static int
stage_configs(json_t *configs, json_t *nodes, const char *what, struct lw_err *e)
{
	const char *node;
	json_t *v;

	json_object_foreach(configs, node, v) {
		if (!json_is_string(json_object_get(nodes, node)))
			return (err_set(
			    e, ERR_INVALID, "%s.configs: the lab has no node '%.64s'", what, node));
		if (!json_is_string(v))
			return (
			    err_set(e, ERR_INVALID, "%s.configs.%s: must be a string", what, node));
		if (strlen(json_string_value(v)) != json_string_length(v))
			return (err_set(
			    e, ERR_INVALID, "%s.configs.%s: contains a NUL byte", what, node));
		if (json_string_length(v) > PRACTICE_CONFIG_MAX)
			return (err_set(e, ERR_INVALID,
			    "%s.configs.%s: at most %d bytes (a startup config's limit)", what,
			    node, PRACTICE_CONFIG_MAX));
	}
	return (0);
}

int
practice_validate(json_t *checks, json_t *stages, json_t *nodes, struct lw_err *e)
{
	json_t *ids = json_object(), *s;
	size_t total = 0, i;
	char w[32], wc[48];
	int r = -1;

	if (checks_list(checks, nodes, ids, "checks", &total, e) == -1)
		goto out;
	if (stages != NULL && !json_is_array(stages)) {
		err_set(e, ERR_INVALID, "stages: must be an array");
		goto out;
	}
	if (json_array_size(stages) > PRACTICE_STAGES_MAX) {
		err_set(e, ERR_INVALID, "stages: at most %d stages (%zu given)",
		    PRACTICE_STAGES_MAX, json_array_size(stages));
		goto out;
	}
	json_array_foreach(stages, i, s) {
		snprintf(w, sizeof(w), "stages[%zu]", i);
		snprintf(wc, sizeof(wc), "%s.checks", w);
		if (fields_check(s, stage_spec, w, e) == -1 ||
		    checks_list(json_object_get(s, "checks"), nodes, ids, wc, &total, e) == -1 ||
		    stage_configs(json_object_get(s, "configs"), nodes, w, e) == -1)
			goto out;
	}
	r = 0;
out:
	json_decref(ids);
	return (r);
}

int
practice_guide_check(json_t *guide, const char *what, struct lw_err *e)
{
	const char *c;

	if (!json_is_string(guide))
		return (err_set(e, ERR_INVALID, "%s: must be a string (Markdown)", what));
	if (json_string_length(guide) > PRACTICE_GUIDE_MAX)
		return (err_set(e, ERR_TOO_LARGE, "%s: at most %d bytes (%zu given)", what,
		    PRACTICE_GUIDE_MAX, json_string_length(guide)));
	if (strlen(json_string_value(guide)) != json_string_length(guide))
		return (err_set(e, ERR_INVALID, "%s: contains a NUL byte", what));
	if ((c = text_control(json_string_value(guide))) != NULL)
		return (err_set(e, ERR_INVALID,
		    "%s: no control character but tab, newline and CR (byte %ld is 0x%02x)", what,
		    (long)(c - json_string_value(guide)), (unsigned char)*c));
	return (0);
}

/* ---- the store ---- */

/* {name: template} of lab's nodes (new reference), or NULL with e. */
static json_t *
lab_templates(int64_t lab, struct lw_err *e)
{
	json_t *rows =
	    db_rows(DB, e, "SELECT name, template FROM nodes WHERE lab_id = ?", "i", lab);
	json_t *map, *row;
	size_t i;

	if (rows == NULL)
		return (NULL);
	map = json_object();
	json_array_foreach(rows, i, row)
		json_object_set(map, json_string_value(json_object_get(row, "name")),
		    json_object_get(row, "template"));
	json_decref(rows);
	return (map);
}

/* Validate what body holds (guide, checks, stages: each optional) against lab's nodes. */
static int
practice_check_body(int64_t lab, json_t *body, struct lw_err *e)
{
	json_t *guide = json_object_get(body, "guide"), *nodes;
	int r;

	if (guide != NULL && practice_guide_check(guide, "guide", e) == -1)
		return (-1);
	if ((nodes = lab_templates(lab, e)) == NULL)
		return (-1);
	r = practice_validate(
	    json_object_get(body, "checks"), json_object_get(body, "stages"), nodes, e);
	json_decref(nodes);
	return (r);
}

/* Store body's field what (guide as text, checks and stages as compact JSON). */
static int
practice_store(int64_t lab, const char *what, json_t *v, struct lw_err *e)
{
	char *text = NULL;
	int r;

	if (v == NULL)
		return (0);
	if (!json_is_string(v) && (text = json_dumps(v, JSON_COMPACT)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	/* what is one of three literals: the statement is chosen, never built from input. */
	if (strcmp(what, "guide") == 0)
		r = db_exec(DB, e, "UPDATE labs SET guide = ? WHERE id = ?", "si",
		    json_string_value(v), lab);
	else if (strcmp(what, "checks") == 0)
		r = db_exec(DB, e, "UPDATE labs SET checks = ? WHERE id = ?", "si", text, lab);
	else
		r = db_exec(DB, e, "UPDATE labs SET stages = ? WHERE id = ?", "si", text, lab);
	free(text);
	return (r == -1 ? -1 : 0);
}

int
practice_lab_insert(int64_t lab, json_t *body, struct lw_err *e)
{
	static const char *const what[] = {"guide", "checks", "stages"};

	if (practice_check_body(lab, body, e) == -1)
		return (-1);
	for (int i = 0; i < 3; i++)
		if (practice_store(lab, what[i], json_object_get(body, what[i]), e) == -1)
			return (-1);
	return (0);
}

/* lab's row: guide, checks and stages parsed (new reference), or NULL with e. */
static json_t *
practice_row(int64_t lab, struct lw_err *e)
{
	json_t *row = db_row(
	    DB, e, "SELECT guide, checks, stages, stage_base FROM labs WHERE id = ?", "i", lab);
	static const char *const keys[] = {"checks", "stages", "stage_base"};

	if (row == NULL) {
		if (e != NULL && e->code == ERR_NOT_FOUND)
			err_set(e, ERR_NOT_FOUND, "lab %lld not found", (long long)lab);
		return (NULL);
	}
	for (int i = 0; i < 3; i++) {
		json_t *v = json_object_get(row, keys[i]);

		if (json_is_string(v))
			json_object_set_new(row, keys[i],
			    json_loads(json_string_value(v), 0, NULL) ?: json_array());
	}
	return (row);
}

int
practice_lab_fields(int64_t lab, json_t *out, struct lw_err *e)
{
	json_t *row = practice_row(lab, e);

	if (row == NULL)
		return (-1);
	json_object_set(out, "guide", json_object_get(row, "guide"));
	json_object_set(out, "checks", json_object_get(row, "checks"));
	json_object_set(out, "stages", json_object_get(row, "stages"));
	json_decref(row);
	return (0);
}

void
practice_hide_configs(json_t *out)
{
	json_t *s, *v, *names;
	const char *node;
	size_t i;

	json_array_foreach(json_object_get(out, "stages"), i, s) {
		if (!json_is_object(s) || (names = json_object()) == NULL)
			continue;
		json_object_foreach(json_object_get(s, "configs"), node, v)
			json_object_set_new(names, node, json_null());
		json_object_set_new(s, "configs", names);
		json_object_set_new(s, "configs_hidden", json_true());
	}
}

/* v as the lab's what, checked with the rest as stored: ids are unique over checks and stages. */
static int
practice_check_with(int64_t lab, const char *what, json_t *v, struct lw_err *e)
{
	json_t *all = practice_row(lab, e);
	int r;

	if (all == NULL)
		return (-1);
	json_object_del(all, "stage_base");
	json_object_set(all, what, v);
	r = practice_check_body(lab, all, e);
	json_decref(all);
	return (r);
}

static int
practice_what(const char *what, struct lw_err *e)
{
	if (strcmp(what, "guide") != 0 && strcmp(what, "checks") != 0 &&
	    strcmp(what, "stages") != 0)
		return (err_set(e, ERR_NOT_FOUND, "no such part of a lab: '%.20s'", what));
	return (0);
}

json_t *
practice_get(int64_t lab, const char *what, struct lw_err *e)
{
	json_t *row, *out;

	if (practice_what(what, e) == -1 || (row = practice_row(lab, e)) == NULL)
		return (NULL);
	out = json_pack("{s:O}", what, json_object_get(row, what));
	json_decref(row);
	return (out);
}

int
practice_put(int64_t lab, const char *what, json_t *body, struct lw_err *e)
{
	json_t *v = json_object_get(body, what);
	const char *key;
	json_t *x;

	if (practice_what(what, e) == -1)
		return (-1);
	if (!json_is_object(body))
		return (err_set(e, ERR_BAD_REQUEST, "body: must be a JSON object"));
	json_object_foreach(body, key, x)
		if (strcmp(key, what) != 0)
			return (err_set(
			    e, ERR_INVALID, "unknown field '%.64s' (only \"%s\")", key, what));
	if (v == NULL)
		return (err_set(e, ERR_INVALID, "%s: is required", what));
	if (practice_check_with(lab, what, v, e) == -1)
		return (-1);
	if (db_begin(DB, e) == -1)
		return (-1);
	if (practice_store(lab, what, v, e) == -1 || db_commit(DB, e) == -1) {
		db_rollback(DB);
		return (-1);
	}
	lab_publish("lab", "updated", lab, lab);
	return (0);
}

/* ---- checks for grading ---- */

static void
check_defaults(json_t *c, int stage)
{
	static const struct {
		const char *kind, *key;
	} bools[] = {{"exec", "absent"}, {"config", "absent"}};
	const char *kind = json_string_value(json_object_get(c, "kind"));

	if (json_object_get(c, "points") == NULL)
		json_object_set_new(c, "points", json_integer(1));
	if (json_object_get(c, "timeout_s") == NULL)
		json_object_set_new(c, "timeout_s", json_integer(PRACTICE_TIMEOUT_DEFAULT));
	if (strcmp(kind, "ping") == 0 && json_object_get(c, "expect") == NULL)
		json_object_set_new(c, "expect", json_string("success"));
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (strcmp(kind, bools[i].kind) == 0 && json_object_get(c, bools[i].key) == NULL)
			json_object_set_new(c, bools[i].key, json_false());
	json_object_set_new(c, "stage", json_integer(stage));
}

static void
checks_add(json_t *out, json_t *checks, int stage)
{
	json_t *c;
	size_t i;

	json_array_foreach(checks, i, c) {
		json_t *copy = json_deep_copy(c);

		check_defaults(copy, stage);
		json_array_append_new(out, copy);
	}
}

json_t *
practice_checks_for(int64_t lab, int stage, struct lw_err *e)
{
	json_t *row = practice_row(lab, e), *stages, *out, *s;
	size_t i;

	if (row == NULL)
		return (NULL);
	stages = json_object_get(row, "stages");
	if (stage < 0 || (size_t)stage > json_array_size(stages)) {
		json_decref(row);
		err_set(e, ERR_NOT_FOUND, "the lab has no stage %d (it has %zu)", stage,
		    json_array_size(stages));
		return (NULL);
	}
	out = json_array();
	if (stage == 0)
		checks_add(out, json_object_get(row, "checks"), 0);
	json_array_foreach(stages, i, s)
		if (stage == 0 || (size_t)stage == i + 1)
			checks_add(out, json_object_get(s, "checks"), (int)i + 1);
	json_decref(row);
	return (out);
}

/* ---- nodes the checks name ---- */

static void
refs_add(char *buf, size_t len, size_t *off, json_t *checks, const char *node)
{
	json_t *c;
	size_t i;

	json_array_foreach(checks, i, c)
		if (*off < len && strcmp(json_string_value(json_object_get(c, "node")), node) == 0)
			*off += (size_t)snprintf(buf + *off, len - *off, "%s%s", *off ? ", " : "",
			    json_string_value(json_object_get(c, "id")));
}

/* The ids of the checks (lab's, stages') and the stage configs that name node, as one string. */
static void
node_refs(json_t *row, const char *node, char *buf, size_t len)
{
	size_t off = 0, i;
	json_t *s;

	buf[0] = '\0';
	refs_add(buf, len, &off, json_object_get(row, "checks"), node);
	json_array_foreach(json_object_get(row, "stages"), i, s) {
		refs_add(buf, len, &off, json_object_get(s, "checks"), node);
		if (json_object_get(json_object_get(s, "configs"), node) != NULL && off < len)
			off += (size_t)snprintf(
			    buf + off, len - off, "%sstages[%zu].configs", off ? ", " : "", i);
	}
}

int
practice_node_unnamed(int64_t node, const char *what, struct lw_err *e)
{
	json_t *n = db_row(DB, e, "SELECT lab_id, name FROM nodes WHERE id = ?", "i", node), *row;
	const char *name;
	char refs[160];

	if (n == NULL)
		return (-1);
	name = json_string_value(json_object_get(n, "name"));
	if ((row = practice_row(json_integer_value(json_object_get(n, "lab_id")), e)) == NULL) {
		json_decref(n);
		return (-1);
	}
	node_refs(row, name, refs, sizeof(refs));
	json_decref(row);
	if (refs[0] != '\0')
		err_set(e, ERR_CONFLICT,
		    "node '%s' cannot be %s: the lab's checks name it (%s); change them first "
		    "(PUT .../checks, .../stages)",
		    name, what, refs);
	json_decref(n);
	return (refs[0] != '\0' ? -1 : 0);
}

static int
rename_checks(json_t *checks, const char *from, const char *to)
{
	int n = 0;
	json_t *c;
	size_t i;

	json_array_foreach(checks, i, c)
		if (strcmp(json_string_value(json_object_get(c, "node")), from) == 0) {
			json_object_set_new(c, "node", json_string(to));
			n++;
		}
	return (n);
}

/* Move obj[from] to obj[to]; 1 if it was there. */
static int
rename_key(json_t *obj, const char *from, const char *to)
{
	json_t *v = json_object_get(obj, from);

	if (v == NULL)
		return (0);
	json_object_set(obj, to, v);
	json_object_del(obj, from);
	return (1);
}

/* Store the row's checks, stages and stage_base as they now are. */
static int
rename_store(int64_t lab, json_t *row, struct lw_err *e)
{
	char *base = NULL;
	int r;

	if (practice_store(lab, "checks", json_object_get(row, "checks"), e) == -1 ||
	    practice_store(lab, "stages", json_object_get(row, "stages"), e) == -1)
		return (-1);
	if (!json_is_object(json_object_get(row, "stage_base")))
		return (0);
	if ((base = json_dumps(json_object_get(row, "stage_base"), JSON_COMPACT)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	r = db_exec(DB, e, "UPDATE labs SET stage_base = ? WHERE id = ?", "si", base, lab);
	free(base);
	return (r == -1 ? -1 : 0);
}

int
practice_node_renamed(int64_t node, const char *to, struct lw_err *e)
{
	json_t *n = db_row(DB, e, "SELECT lab_id, name FROM nodes WHERE id = ?", "i", node), *row,
	       *s;
	int64_t lab = json_integer_value(json_object_get(n, "lab_id"));
	const char *from = json_string_value(json_object_get(n, "name"));
	int changed = 0, r = 0;
	size_t i;

	if (n == NULL || (row = practice_row(lab, e)) == NULL) {
		json_decref(n);
		return (-1);
	}
	if (strcmp(from, to) != 0) {
		changed += rename_checks(json_object_get(row, "checks"), from, to);
		json_array_foreach(json_object_get(row, "stages"), i, s) {
			changed += rename_checks(json_object_get(s, "checks"), from, to);
			changed += rename_key(json_object_get(s, "configs"), from, to);
		}
		changed += rename_key(json_object_get(row, "stage_base"), from, to);
	}
	if (changed > 0)
		r = rename_store(lab, row, e);
	json_decref(row);
	json_decref(n);
	return (r);
}

/* ---- restoring a stage ---- */

/* The start's configs, {node: startup_config}, kept at the first restore; NULL with e. */
static json_t *
stage_base(int64_t lab, json_t *row, json_t *nodes, struct lw_err *e)
{
	json_t *base = json_object_get(row, "stage_base"), *n;
	char *text;
	size_t i;
	int r;

	if (json_is_object(base))
		return (json_incref(base));
	base = json_object();
	json_array_foreach(nodes, i, n)
		json_object_set(base, json_string_value(json_object_get(n, "name")),
		    json_object_get(n, "startup_config"));
	if ((text = json_dumps(base, JSON_COMPACT)) == NULL) {
		json_decref(base);
		return (err_set(e, ERR_INTERNAL, "out of memory"), NULL);
	}
	r = db_exec(DB, e, "UPDATE labs SET stage_base = ? WHERE id = ?", "si", text, lab);
	free(text);
	if (r == -1) {
		json_decref(base);
		return (NULL);
	}
	return (base);
}

/* What node gets at stage (configs: that stage's, or NULL for stage 0). */
static const char *
stage_config(json_t *configs, json_t *base, const char *node)
{
	json_t *v = json_object_get(configs, node);

	if (!json_is_string(v))
		v = json_object_get(base, node);
	/* A node added after the base was captured keeps what it has (NULL). */
	return (json_string_value(v));
}

/* Write every node's config for stage in one transaction; the nodes' rows (new ref) or NULL. */
static json_t *
restore_configs(int64_t lab, int stage, struct lw_err *e)
{
	json_t *row = NULL, *nodes = NULL, *base = NULL, *configs = NULL, *n;
	size_t i;

	if (db_begin(DB, e) == -1)
		return (NULL);
	if ((row = practice_row(lab, e)) == NULL)
		goto fail;
	if (stage < 0 || (size_t)stage > json_array_size(json_object_get(row, "stages"))) {
		err_set(e, ERR_NOT_FOUND, "the lab has no stage %d (it has %zu)", stage,
		    json_array_size(json_object_get(row, "stages")));
		goto fail;
	}
	if (stage > 0)
		configs = json_object_get(
		    json_array_get(json_object_get(row, "stages"), (size_t)stage - 1), "configs");
	nodes = db_rows(DB, e,
	    "SELECT id, name, startup_config, state FROM nodes WHERE lab_id = ? ORDER BY id", "i",
	    lab);
	if (nodes == NULL || (base = stage_base(lab, row, nodes, e)) == NULL)
		goto fail;
	json_array_foreach(nodes, i, n) {
		const char *cfg =
		    stage_config(configs, base, json_string_value(json_object_get(n, "name")));

		if (cfg != NULL &&
		    db_exec(DB, e, "UPDATE nodes SET startup_config = ? WHERE id = ?", "si", cfg,
		        json_integer_value(json_object_get(n, "id"))) == -1)
			goto fail;
	}
	if (db_commit(DB, e) == -1)
		goto fail;
	json_decref(base);
	json_decref(row);
	return (nodes);
fail:
	db_rollback(DB);
	json_decref(base);
	json_decref(nodes);
	json_decref(row);
	return (NULL);
}

/* Reload a running (or paused) node so it boots with its new startup config. */
static json_t *
restore_node(int64_t lab, json_t *n)
{
	const char *name = json_string_value(json_object_get(n, "name"));
	const char *st = json_string_value(json_object_get(n, "state"));
	int64_t id = json_integer_value(json_object_get(n, "id"));
	struct lw_err e = {0};

	if (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0)
		return (json_pack("{s:s,s:s}", "name", name, "action", "updated"));
	if (lifecycle_node_reload(lab, id, name, &e) == -1)
		return (
		    json_pack("{s:s,s:s,s:s}", "name", name, "action", "updated", "error", e.msg));
	return (json_pack("{s:s,s:s}", "name", name, "action", "reloaded"));
}

json_t *
practice_restore(int64_t lab, int stage, struct lw_err *e)
{
	json_t *nodes = restore_configs(lab, stage, e), *out, *n;
	size_t i;

	if (nodes == NULL)
		return (NULL);
	out = json_pack("{s:I,s:i,s:[]}", "lab", (json_int_t)lab, "stage", stage, "nodes");
	json_array_foreach(nodes, i, n)
		json_array_append_new(json_object_get(out, "nodes"), restore_node(lab, n));
	json_decref(nodes);
	events_publish("stage", lab,
	    json_pack("{s:s,s:{s:I,s:i}}", "action", "restored", "stage", "lab", (json_int_t)lab,
	        "stage", stage));
	return (out);
}
