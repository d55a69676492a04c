/*
 * lab - the lab model. Every mutating operation is one transaction: a
 * rejected request changes nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/events.h"
#include "core/base/names.h"
#include "core/base/secret.h"
#include "db/db.h"
#include "core/net/impair.h"
#include "core/net/wiring.h"
#include "hv/cgroup.h"
#include "images/store.h"
#include "images/template.h"
#include "labs/access.h"
#include "labs/lab.h"
#include "labs/practice.h"
#include "labs/validate.h"
#include "tcg/tcg.h"

#define DB db_current(lw.db)

static int
parse_id(const char *ref, int64_t *id)
{
	char *end;
	long long v;

	if (ref[0] < '0' || ref[0] > '9')
		return (-1);
	v = strtoll(ref, &end, 10);
	if (*end != '\0' || v <= 0)
		return (-1);
	*id = v;
	return (0);
}

int64_t
lab_resolve(const char *ref, struct lw_err *e)
{
	int64_t id = -1;

	if (parse_id(ref, &id) == 0)
		id = db_int(DB, -1, "SELECT id FROM labs WHERE id = ?", "i", id);
	if (id == -1)
		id = db_int(DB, -1, "SELECT id FROM labs WHERE name = ?", "s", ref);
	if (id == -1)
		err_set(e, ERR_NOT_FOUND, "lab '%.80s' not found", ref);
	return (id);
}

int64_t
lab_node_resolve(int64_t lab, const char *ref, struct lw_err *e)
{
	int64_t id = -1;

	if (parse_id(ref, &id) == 0)
		id = db_int(
		    DB, -1, "SELECT id FROM nodes WHERE id = ? AND lab_id = ?", "ii", id, lab);
	if (id == -1)
		id = db_int(
		    DB, -1, "SELECT id FROM nodes WHERE name = ? AND lab_id = ?", "si", ref, lab);
	if (id == -1)
		err_set(e, ERR_NOT_FOUND, "node '%.80s' not found in this lab", ref);
	return (id);
}

int64_t
lab_link_resolve(int64_t lab, const char *ref, struct lw_err *e)
{
	int64_t id = -1;

	if (parse_id(ref, &id) == 0)
		id = db_int(
		    DB, -1, "SELECT id FROM links WHERE id = ? AND lab_id = ?", "ii", id, lab);
	if (id == -1)
		err_set(e, ERR_NOT_FOUND, "link '%.80s' not found in this lab", ref);
	return (id);
}

void
lab_publish(const char *kind, const char *action, int64_t id, int64_t lab)
{
	events_publish(kind, lab,
	    json_pack("{s:s,s:{s:I,s:I}}", "action", action, kind, "id", (json_int_t)id, "lab",
	        (json_int_t)lab));
}

int
lab_store_version(void)
{
	return (db_schema_version(DB));
}

/* The commit/rollback tail shared by every single-transaction operation. */
static int64_t
lab_finish(int64_t r, struct lw_err *e)
{
	if (r == -1 || db_commit(DB, e) == -1) {
		db_rollback(DB);
		return (-1);
	}
	return (r);
}

/* ---- labs ---- */

const char *
lab_state(int64_t lab)
{
	int64_t total = db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE lab_id = ?", "i", lab);
	int64_t running, stopped;

	if (db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE lab_id = ? AND state = 'starting'", "i",
	        lab) > 0)
		return ("starting");
	if (db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE lab_id = ? AND state = 'stopping'", "i",
	        lab) > 0)
		return ("stopping");
	/* A paused node's QEMU is there (resume it): the lab runs. */
	running = db_int(DB, 0,
	    "SELECT COUNT(*) FROM nodes WHERE lab_id = ? AND state IN ('running','paused')", "i",
	    lab);
	stopped = db_int(
	    DB, 0, "SELECT COUNT(*) FROM nodes WHERE lab_id = ? AND state = 'stopped'", "i", lab);
	if (stopped == total)
		return ("stopped");
	if (running == total)
		return ("running");
	if (running == 0 && stopped + running < total)
		return ("error");
	return ("partial");
}

static json_t *
lab_summary(json_t *row)
{
	int64_t id = json_integer_value(json_object_get(row, "id"));

	json_object_set_new(row, "state", json_string(lab_state(id)));
	return (row);
}

json_t *
lab_list_json(const struct who *w, struct lw_err *e)
{
	json_t *rows, *row;
	size_t i;

	rows = db_rows(DB, e,
	    "SELECT l.id, l.name, l.description,"
	    " (SELECT name FROM users WHERE id = l.owner_id) AS owner,"
	    " (SELECT COUNT(*) FROM nodes n WHERE n.lab_id = l.id) AS node_count,"
	    " (SELECT COUNT(*) FROM links k WHERE k.lab_id = l.id) AS link_count"
	    " FROM labs l WHERE " ACCESS_VISIBLE_SQL " ORDER BY l.id",
	    "iiiI", w->id, w->id, w->id, w->role == ROLE_ADMIN);
	if (rows == NULL)
		return (NULL);
	json_array_foreach(rows, i, row) {
		lab_summary(row);
		json_object_set_new(row, "access",
		    json_string(access_level_name(
		        access_lab(w, json_integer_value(json_object_get(row, "id"))))));
	}
	return (json_pack("{s:o}", "labs", rows));
}

/* lab_memory - the sum of its running nodes' memory_mb. */
static void
lab_memory(json_t *row, json_t *nodes)
{
	json_int_t sum = 0;
	json_t *n;
	size_t i;

	json_array_foreach(nodes, i, n)
		sum += json_integer_value(json_object_get(n, "memory_mb"));
	json_object_set_new(row, "memory_mb", json_integer(sum));
}

json_t *
lab_json(int64_t lab, struct lw_err *e)
{
	json_t *row, *nodes, *links;

	row = db_row(DB, e,
	    "SELECT l.id, l.name, l.description, l.boot_concurrency,"
	    " (SELECT name FROM users WHERE id = l.owner_id) AS owner,"
	    " (SELECT COUNT(*) FROM nodes n WHERE n.lab_id = l.id) AS node_count,"
	    " (SELECT COUNT(*) FROM links k WHERE k.lab_id = l.id) AS link_count"
	    " FROM labs l WHERE l.id = ?",
	    "i", lab);
	if (row == NULL)
		return (NULL);
	lab_summary(row);
	json_object_set_new(row, "shared_with", access_shares_json(lab));
	if (practice_lab_fields(lab, row, e) == -1) {
		json_decref(row);
		return (NULL);
	}
	if ((nodes = lab_nodes_json(lab, e)) == NULL || (links = lab_links_json(lab, e)) == NULL) {
		json_decref(nodes);
		json_decref(row);
		return (NULL);
	}
	json_object_set_new(row, "nodes", json_incref(json_object_get(nodes, "nodes")));
	json_object_set_new(row, "links", json_incref(json_object_get(links, "links")));
	lab_memory(row, json_object_get(row, "nodes"));
	json_decref(nodes);
	json_decref(links);
	return (row);
}

static int64_t node_insert(int64_t lab, json_t *body, const char *what, struct lw_err *e);
static int64_t link_insert(int64_t lab, json_t *body, const char *what, struct lw_err *e);

static int64_t
lab_insert_all(json_t *body, int64_t owner, struct lw_err *e)
{
	const char *desc = json_string_value(json_object_get(body, "description"));
	json_t *v;
	size_t i;
	int64_t lab;
	char what[32];

	lab = db_insert(DB, e,
	    "INSERT INTO labs (name, description, created_at, owner_id) VALUES (?,?,?,?)", "ssii",
	    json_string_value(json_object_get(body, "name")), desc ? desc : "", (int64_t)time(NULL),
	    owner);
	if (lab == -1) {
		if (e->code == ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "a lab named '%s' already exists",
			    json_string_value(json_object_get(body, "name")));
		return (-1);
	}
	json_array_foreach(json_object_get(body, "nodes"), i, v) {
		snprintf(what, sizeof(what), "nodes[%zu]", i);
		if (node_insert(lab, v, what, e) == -1)
			return (-1);
	}
	json_array_foreach(json_object_get(body, "links"), i, v) {
		snprintf(what, sizeof(what), "links[%zu]", i);
		if (link_insert(lab, v, what, e) == -1)
			return (-1);
	}
	if (practice_lab_insert(lab, body, e) == -1)
		return (-1);
	return (lab);
}

int64_t
lab_create(json_t *body, int64_t owner, struct lw_err *e)
{
	if (fields_check(body, validate_lab_create, "lab", e) == -1)
		return (-1);
	if (db_begin(DB, e) == -1)
		return (-1);
	return (lab_finish(lab_insert_all(body, owner, e), e));
}

int64_t
lab_insert(json_t *body, int64_t owner, struct lw_err *e)
{
	if (fields_check(body, validate_lab_create, "lab", e) == -1)
		return (-1);
	return (lab_insert_all(body, owner, e));
}

int
lab_patch(const struct who *w, int64_t lab, json_t *body, struct lw_err *e)
{
	json_t *name = json_object_get(body, "name"), *desc = json_object_get(body, "description");
	int64_t r = 0;

	if (fields_check(body, validate_lab_patch, "lab", e) == -1)
		return (-1);
	if (db_begin(DB, e) == -1)
		return (-1);
	if (name != NULL &&
	    db_exec(DB, e, "UPDATE labs SET name = ? WHERE id = ?", "si", json_string_value(name),
	        lab) == -1) {
		if (e->code == ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "a lab named '%s' already exists",
			    json_string_value(name));
		r = -1;
	}
	if (r == 0 && desc != NULL &&
	    db_exec(DB, e, "UPDATE labs SET description = ? WHERE id = ?", "si",
	        json_string_value(desc), lab) == -1)
		r = -1;
	if (r == 0 && json_object_get(body, "boot_concurrency") != NULL &&
	    db_exec(DB, e, "UPDATE labs SET boot_concurrency = ? WHERE id = ?", "ii",
	        (int64_t)json_integer_value(json_object_get(body, "boot_concurrency")), lab) == -1)
		r = -1;
	if (r == 0 && access_apply(w, lab, body, e) == -1)
		r = -1;
	return (lab_finish(r, e) == -1 ? -1 : 0);
}

int
lab_delete_rows(int64_t lab, struct lw_err *e)
{
	int64_t r;

	if (db_begin(DB, e) == -1)
		return (-1);
	r = db_exec(DB, e, "DELETE FROM labs WHERE id = ?", "i", lab);

	if (r == 0)
		r = err_set(e, ERR_NOT_FOUND, "lab %lld not found", (long long)lab);
	return (lab_finish(r, e) == -1 ? -1 : 0);
}

/* ---- nodes ---- */

int64_t *
lab_node_ids(int64_t lab, enum lab_nodes_sel sel, size_t *n, struct lw_err *e)
{
	json_t *rows = sel == LAB_NODES_STOPPED
	    ? db_rows(DB, e,
	          "SELECT id FROM nodes WHERE lab_id = ? AND state IN ('stopped','error')"
	          " ORDER BY boot_order, id",
	          "i", lab)
	    : db_rows(DB, e,
	          "SELECT id FROM nodes WHERE lab_id = ? AND state IN "
	          "('starting','running','paused')"
	          " ORDER BY id",
	          "i", lab);
	int64_t *ids;
	json_t *row;
	size_t i;

	if (rows == NULL)
		return (NULL);
	*n = json_array_size(rows);
	if ((ids = calloc(*n + 1, sizeof(*ids))) == NULL) {
		json_decref(rows);
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	json_array_foreach(rows, i, row)
		ids[i] = json_integer_value(json_object_get(row, "id"));
	json_decref(rows);
	return (ids);
}

/* A macro, so the queries below are literals: reads run on many threads at once. */
#define NODE_COLS                                                                                  \
	"SELECT n.id, n.name, n.template, n.image, n.arch, n.accel, n.accel_in_use,"               \
	" n.accel_reason, n.cpus, n.cpu_cap_pct, n.ram_mb, n.nics, n.state, n.error, n.ready,"     \
	" n.console_port, n.console_token, n.startup_config, n.x, n.y, n.boot_order, n.boot,"      \
	" n.cdrom, n.paused_reason, n.origin, NULLIF(r.pid, 0) AS pid FROM nodes n LEFT JOIN "     \
	"node_runtime "                                                                            \
	"r ON r.node_id = "                                                                        \
	"n.id"

/*
 * by_owner - rows (stolen) with an "owner" id, grouped: {"<owner>": [row
 * without it, ...]} in their order; NULL when rows is (the error is set).
 */
static json_t *
by_owner(json_t *rows)
{
	json_t *map, *row, *list;
	char key[24];
	size_t i;

	if (rows == NULL || (map = json_object()) == NULL) {
		json_decref(rows);
		return (NULL);
	}
	json_array_foreach(rows, i, row) {
		snprintf(key, sizeof(key), "%lld",
		    (long long)json_integer_value(json_object_get(row, "owner")));
		if ((list = json_object_get(map, key)) == NULL) {
			list = json_array();
			json_object_set_new(map, key, list);
		}
		json_object_del(row, "owner");
		json_array_append(list, row);
	}
	json_decref(rows);
	return (map);
}

/* owned - the rows of map (by_owner) that belong to row's "id" (new reference; [] when none). */
static json_t *
owned(json_t *map, json_t *row)
{
	char key[24];
	json_t *list;

	snprintf(
	    key, sizeof(key), "%lld", (long long)json_integer_value(json_object_get(row, "id")));
	list = json_object_get(map, key);
	return (list != NULL ? json_incref(list) : json_array());
}

static json_t *
node_interfaces(int64_t node, struct lw_err *e)
{
	return (db_rows(DB, e,
	    "SELECT i.name, i.mac, le.link_id AS link FROM interfaces i"
	    " LEFT JOIN link_endpoints le ON le.interface_id = i.id"
	    " WHERE i.node_id = ? ORDER BY i.idx",
	    "i", node));
}

/*
 * node_memory - what a running node's processes use now and may use, from
 * its cgroup (RAM the guest touched, QEMU itself, TCG's code cache).
 */
static void
node_memory(json_t *row, int64_t id)
{
	int64_t used = cgroup_node_memory(id), limit, pids;

	if (used < 0)
		return;
	json_object_set_new(row, "memory_mb", json_integer((used + (1 << 19)) >> 20));
	if (cgroup_node_limits(id, &limit, &pids) == 0) {
		json_object_set_new(row, "memory_limit_mb", json_integer(limit >> 20));
		json_object_set_new(row, "pids_limit", json_integer(pids));
	}
}

void
lab_node_origin(json_t *row)
{
	const char *s = json_string_value(json_object_get(row, "origin"));
	json_t *o = s != NULL && *s != '\0' ? json_loads(s, 0, NULL) : NULL;

	if (json_is_object(o))
		json_object_set_new(row, "origin", o);
	else {
		json_decref(o);
		json_object_del(row, "origin");
	}
}

/* Shape a node row into the API's node object; ifs (stolen): its interfaces, or NULL: asked here.
 */
static json_t *
node_render(json_t *row, json_t *ifs, struct lw_err *e)
{
	int64_t id = json_integer_value(json_object_get(row, "id"));
	const struct template *t =
	    template_find(json_string_value(json_object_get(row, "template")));
	json_t *port = json_object_get(row, "console_port");
	char host[64];
	int lport;

	if (ifs == NULL && (ifs = node_interfaces(id, e)) == NULL) {
		json_decref(row);
		return (NULL);
	}
	json_object_set_new(row, "interfaces", ifs);
	if (lw.cfg.console_host[0] != '\0')
		snprintf(host, sizeof(host), "%s", lw.cfg.console_host);
	else if (config_split_listen(lw.cfg.listen, host, sizeof(host), &lport) == -1)
		snprintf(host, sizeof(host), "127.0.0.1");
	json_object_set_new(row, "console",
	    json_pack("{s:s,s:s,s:O,s:O}", "type", "telnet", "host", host, "port", port, "token",
	        json_object_get(row, "console_token")));
	json_object_del(row, "console_port");
	json_object_del(row, "console_token");
	if (t != NULL && t->ready_pattern[0] != '\0')
		json_object_set_new(
		    row, "ready", json_boolean(json_integer_value(json_object_get(row, "ready"))));
	else
		json_object_del(row, "ready");
	if (json_is_null(json_object_get(row, "error")))
		json_object_del(row, "error");
	/* Why a paused node is paused; no other state has a reason. */
	if (json_is_null(json_object_get(row, "paused_reason")) ||
	    strcmp(json_string_value(json_object_get(row, "state")), "paused") != 0)
		json_object_del(row, "paused_reason");
	/* The node's process (QEMU, or a namespace host's, whose netns is /proc/PID/ns/net). */
	if (json_is_null(json_object_get(row, "cdrom")))
		json_object_del(row, "cdrom");
	lab_node_origin(row);
	if (json_is_null(json_object_get(row, "pid")))
		json_object_del(row, "pid");
	else
		node_memory(row, id);
	if (t != NULL)
		json_object_set_new(row, "kind", json_string(t->kind));
	/* boot is where a starting or running node is in its boot; otherwise none. */
	if (json_is_null(json_object_get(row, "boot")) ||
	    (strcmp(json_string_value(json_object_get(row, "state")), "starting") != 0 &&
	        strcmp(json_string_value(json_object_get(row, "state")), "running") != 0))
		json_object_del(row, "boot");
	if (t != NULL && strcmp(t->kind, "qemu") == 0)
		template_boot_json(row, t);
	return (row);
}

/*
 * A page: rows past after, at most limit (0: all) of them; one more is
 * asked for, and when it comes "next" names the last id given.
 */
static json_t *
page_finish(json_t *list, const char *key, int limit)
{
	json_t *out = json_pack("{s:o}", key, list);

	if (limit > 0 && json_array_size(list) > (size_t)limit) {
		json_array_remove(list, (size_t)limit);
		json_object_set_new(out, "next",
		    json_integer(json_integer_value(
		        json_object_get(json_array_get(list, (size_t)limit - 1), "id"))));
	}
	return (out);
}

/*
 * render_page - each of rows (borrowed) shaped by render with its own part
 * of parts (by_owner), as page_finish's {key: [...]}; NULL with e.
 */
static json_t *
render_page(json_t *rows, json_t *parts, json_t *(*render)(json_t *, json_t *, struct lw_err *),
    const char *key, int limit, struct lw_err *e)
{
	json_t *list = json_array(), *row, *o;
	size_t i;

	json_array_foreach(rows, i, row) {
		if ((o = render(json_incref(row), owned(parts, row), e)) == NULL) {
			json_decref(list);
			return (NULL);
		}
		json_array_append_new(list, o);
	}
	return (page_finish(list, key, limit));
}

json_t *
lab_nodes_json(int64_t lab, struct lw_err *e)
{
	return (lab_nodes_page(lab, 0, 0, e));
}

json_t *
lab_nodes_page(int64_t lab, int64_t after, int limit, struct lw_err *e)
{
	json_t *rows, *ifs, *out;

	if ((rows = db_rows(DB, e,
	         NODE_COLS " WHERE n.lab_id = ? AND n.id > ? ORDER BY n.id LIMIT ?", "iiI", lab,
	         after, limit > 0 ? limit + 1 : -1)) == NULL)
		return (NULL);
	/* Every node's interfaces in one query, not one a node: a lab may have thousands. */
	ifs = by_owner(db_rows(DB, e,
	    "SELECT i.node_id AS owner, i.name, i.mac, le.link_id AS link FROM interfaces i"
	    " JOIN nodes n ON n.id = i.node_id"
	    " LEFT JOIN link_endpoints le ON le.interface_id = i.id"
	    " WHERE n.lab_id = ? AND n.id > ? ORDER BY i.node_id, i.idx",
	    "ii", lab, after));
	out = ifs != NULL ? render_page(rows, ifs, node_render, "nodes", limit, e) : NULL;
	json_decref(ifs);
	json_decref(rows);
	return (out);
}

json_t *
lab_node_json(int64_t node, struct lw_err *e)
{
	json_t *row;

	if ((row = db_row(DB, e, NODE_COLS " WHERE n.id = ?", "i", node)) == NULL) {
		err_set(e, ERR_NOT_FOUND, "node %lld not found", (long long)node);
		return (NULL);
	}
	return (node_render(row, NULL, e));
}

/* The lowest free console port of the configured range. */
static int
node_console_port(struct lw_err *e)
{
	int64_t p = db_int(DB, -1,
	    "SELECT MIN(c) FROM (SELECT ? AS c UNION SELECT console_port + 1 FROM nodes)"
	    " WHERE c >= ? AND c <= ? AND c NOT IN (SELECT console_port FROM nodes)",
	    "iii", (int64_t)lw.cfg.console_port_min, (int64_t)lw.cfg.console_port_min,
	    (int64_t)lw.cfg.console_port_max);

	if (p == -1)
		return (err_set(e, ERR_UNAVAILABLE, "no free console port in %ld..%ld",
		    lw.cfg.console_port_min, lw.cfg.console_port_max));
	return ((int)p);
}

static int
node_add_interfaces(int64_t node, const struct template *t, int from, int to, struct lw_err *e)
{
	char name[64], mac[18];

	for (int i = from; i < to; i++) {
		if (template_ifname(t, i, name, sizeof(name)) == -1)
			return (err_set(e, ERR_INVALID, "interface name too long"));
		names_mac(mac, node, i);
		if (db_exec(DB, e,
		        "INSERT INTO interfaces (node_id, idx, name, mac) VALUES (?,?,?,?)", "iIss",
		        node, i, name, mac) == -1)
			return (-1);
	}
	return (0);
}

static int
json_int_or(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return (v ? (int)json_integer_value(v) : dflt);
}

static const char *
json_str_or(json_t *o, const char *key, const char *dflt)
{
	json_t *v = json_object_get(o, key);

	return (v ? json_string_value(v) : dflt);
}

/*
 * node_store_check - a node's image (field "image": any VM template) or boot
 * CD-ROM ("cdrom": templates with boot_cdrom, an ISO) must be a ready image
 * in the store. NULL name: nothing to check.
 */
static int
node_store_check(const struct template *t, const char *field, const char *name, const char *what,
    struct lw_err *e)
{
	bool cd = strcmp(field, "cdrom") == 0;
	char path[PATH_MAX], fmt[16];

	if (name == NULL)
		return (0);
	if (strcmp(t->kind, "qemu") != 0)
		return (err_set(e, ERR_INVALID,
		    "%s.%s: template %s is a namespace host, it has no disk", what, field,
		    t->name));
	if (cd && !t->boot_cdrom)
		return (err_set(e, ERR_INVALID, "%s.cdrom: template %s does not boot from a CD-ROM",
		    what, t->name));
	if (store_ready(name, path, sizeof(path), fmt, sizeof(fmt), e) == -1) {
		struct lw_err e2 = *e;

		return (err_set(e, e2.code, "%s.%s: %s", what, field, e2.msg));
	}
	if (cd && strcmp(fmt, "raw") != 0)
		return (err_set(
		    e, ERR_INVALID, "%s.cdrom: image %s is %s, not an ISO", what, name, fmt));
	return (0);
}

/* Rules that need the template: it exists, the arch fits, counts within its limits. */
static const struct template *
node_template_check(json_t *body, const char *what, struct lw_err *e)
{
	const char *tname = json_string_value(json_object_get(body, "template"));
	const char *arch = json_str_or(body, "arch", NULL);
	const struct template *t;
	char names[512];

	if ((t = template_find(tname)) == NULL) {
		template_names(names, sizeof(names));
		err_set(e, ERR_INVALID, "%s: unknown template '%s' (available: %s)", what, tname,
		    names);
		return (NULL);
	}
	if (arch != NULL && strcmp(arch, t->arch) != 0) {
		err_set(e, ERR_INVALID, "%s: template %s is built for %s, not '%.16s'", what,
		    t->name, t->arch, arch);
		return (NULL);
	}
	if (json_int_or(body, "nics", t->nics) > t->max_nics) {
		err_set(e, ERR_INVALID, "%s: template %s allows at most %d NICs", what, t->name,
		    t->max_nics);
		return (NULL);
	}
	if (node_store_check(t, "image", json_str_or(body, "image", NULL), what, e) == -1 ||
	    node_store_check(t, "cdrom", json_str_or(body, "cdrom", NULL), what, e) == -1)
		return (NULL);
	return (t);
}

/* A node's disk image and boot CD-ROM: as given, or the template's defaults. */
struct node_media {
	const char *image, *cdrom; /* NULL: none; may point into the buffers */
	char image_buf[64], cdrom_buf[64];
};

/*
 * A disk template without an image takes the newest one uploaded for it;
 * likewise a CD-ROM template's boot CD-ROM, the newest .iso. 0 or -1 with e.
 */
static int
node_media(const struct template *t, json_t *body, const char *what, struct node_media *m,
    struct lw_err *e)
{
	m->image = json_str_or(body, "image", NULL);
	m->cdrom = json_str_or(body, "cdrom", NULL);
	if (m->image == NULL && strcmp(t->kind, "qemu") == 0 && t->kernel[0] == '\0' &&
	    t->disk[0] == '\0') {
		if (store_default_image(t->name, false, m->image_buf, sizeof(m->image_buf)) == -1)
			return (err_set(e, ERR_INVALID,
			    "%s.image: template %s needs a disk image and none was uploaded for it "
			    "(labwire image add FILE --template %s)",
			    what, t->name, t->name));
		m->image = m->image_buf;
	}
	if (m->cdrom == NULL && t->boot_cdrom) {
		if (store_default_image(t->name, true, m->cdrom_buf, sizeof(m->cdrom_buf)) == -1)
			return (err_set(e, ERR_INVALID,
			    "%s.cdrom: template %s boots from a CD-ROM image and no .iso was "
			    "uploaded for it (labwire image add FILE.iso --template %s)",
			    what, t->name, t->name));
		m->cdrom = m->cdrom_buf;
	}
	return (0);
}

/* A body's origin as stored: compact JSON with sorted keys, "" when none (malloc'd; NULL with e).
 */
static char *
node_origin_text(json_t *body, struct lw_err *e)
{
	json_t *o = json_object_get(body, "origin");
	char *s =
	    json_object_size(o) > 0 ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : strdup("");

	if (s == NULL)
		err_set(e, ERR_INTERNAL, "out of memory");
	return (s);
}

static int64_t
node_insert(int64_t lab, json_t *body, const char *what, struct lw_err *e)
{
	const struct template *t;
	struct node_media m;
	char token[SECRET_TOKEN_LEN + 1], *origin;
	int64_t node;
	int port, nics;

	if (fields_check(body, validate_node_create, what, e) == -1)
		return (-1);
	if ((t = node_template_check(body, what, e)) == NULL)
		return (-1);
	if ((port = node_console_port(e)) == -1)
		return (-1);
	nics = json_int_or(body, "nics", t->nics);
	if (node_media(t, body, what, &m, e) == -1)
		return (-1);
	if (secret_token(token, sizeof(token)) == -1)
		return (err_set(e, ERR_INTERNAL, "no randomness for the console token"));
	token[1] = 'c'; /* "lc_...": a console token, told apart from API tokens at a glance */
	if ((origin = node_origin_text(body, e)) == NULL)
		return (-1);
	node = db_insert(DB, e,
	    "INSERT INTO nodes (lab_id, name, template, image, cdrom, arch, accel, cpus,"
	    " ram_mb, nics, startup_config, x, y, console_port, boot_order, console_token,"
	    " cpu_cap_pct, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "issssssIIIsIIIIsIs", lab, json_string_value(json_object_get(body, "name")), t->name,
	    m.image, m.cdrom, t->arch, json_str_or(body, "accel", "auto"),
	    json_int_or(body, "cpus", t->cpus), json_int_or(body, "ram_mb", t->ram_mb), nics,
	    json_str_or(body, "startup_config", ""), json_int_or(body, "x", 0),
	    json_int_or(body, "y", 0), port, json_int_or(body, "boot_order", 0), token,
	    json_int_or(body, "cpu_cap_pct", t->cpu_cap_pct), origin);
	free(origin);
	if (node == -1) {
		if (e->code == ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "%s: a node named '%s' already exists in this lab",
			    what, json_string_value(json_object_get(body, "name")));
		return (-1);
	}
	if (node_add_interfaces(node, t, 0, nics, e) == -1)
		return (-1);
	return (node);
}

int64_t
lab_node_create(int64_t lab, json_t *body, struct lw_err *e)
{
	if (!json_is_object(body))
		return (err_set(e, ERR_BAD_REQUEST, "node: the body must be a JSON object"));
	if (db_begin(DB, e) == -1)
		return (-1);
	return (lab_finish(node_insert(lab, body, "node", e), e));
}

static const char *const node_hw_fields[] = {
    "image", "cdrom", "accel", "cpus", "cpu_cap_pct", "ram_mb", "nics", NULL};

static int
node_patch_nics(int64_t node, int nics, struct lw_err *e)
{
	json_t *row = db_row(DB, e, "SELECT template, nics FROM nodes WHERE id = ?", "i", node);
	const struct template *t;
	int have, r = 0;
	char *linked;

	if (row == NULL)
		return (-1);
	t = template_find(json_string_value(json_object_get(row, "template")));
	have = (int)json_integer_value(json_object_get(row, "nics"));
	json_decref(row);
	if (t == NULL || nics > t->max_nics)
		return (err_set(e, ERR_INVALID, "node.nics: the template allows at most %d",
		    t ? t->max_nics : 0));
	if (nics >= have)
		return (node_add_interfaces(node, t, have, nics, e));
	row = db_row(DB, NULL,
	    "SELECT i.name FROM interfaces i JOIN link_endpoints le ON le.interface_id = i.id"
	    " WHERE i.node_id = ? AND i.idx >= ? LIMIT 1",
	    "iI", node, nics);
	if (row != NULL) {
		linked = strdup(json_string_value(json_object_get(row, "name")));
		json_decref(row);
		r = err_set(e, ERR_CONFLICT,
		    "node.nics: interface %s is linked; delete its link "
		    "first",
		    linked ? linked : "?");
		free(linked);
		return (r);
	}
	return (db_exec(DB, e, "DELETE FROM interfaces WHERE node_id = ? AND idx >= ?", "iI", node,
	            nics) == -1
	        ? -1
	        : 0);
}

/* The node's columns a patch sets as given, in this order; nics is node_patch_nics'. */
static const struct {
	const char *field;
	const char *sql;
} node_patch_cols[] = {
    {"name", "UPDATE nodes SET name = ? WHERE id = ?"},
    {"image", "UPDATE nodes SET image = ? WHERE id = ?"},
    {"cdrom", "UPDATE nodes SET cdrom = ? WHERE id = ?"},
    {"boot_order", "UPDATE nodes SET boot_order = ? WHERE id = ?"},
    {"accel", "UPDATE nodes SET accel = ? WHERE id = ?"},
    {"startup_config", "UPDATE nodes SET startup_config = ? WHERE id = ?"},
    {"cpus", "UPDATE nodes SET cpus = ? WHERE id = ?"},
    {"cpu_cap_pct", "UPDATE nodes SET cpu_cap_pct = ? WHERE id = ?"},
    {"ram_mb", "UPDATE nodes SET ram_mb = ? WHERE id = ?"},
    {"x", "UPDATE nodes SET x = ? WHERE id = ?"},
    {"y", "UPDATE nodes SET y = ? WHERE id = ?"},
};

static int
node_patch_apply(int64_t node, json_t *body, struct lw_err *e)
{
	json_t *v;
	int r;

	for (size_t i = 0; i < sizeof(node_patch_cols) / sizeof(node_patch_cols[0]); i++) {
		if ((v = json_object_get(body, node_patch_cols[i].field)) == NULL)
			continue;
		/* Validated: an integer, or a string. */
		r = json_is_integer(v)
		    ? db_exec(
		          DB, e, node_patch_cols[i].sql, "ii", (int64_t)json_integer_value(v), node)
		    : db_exec(DB, e, node_patch_cols[i].sql, "si", json_string_value(v), node);
		if (r == -1 && i == 0 && e->code == ERR_CONFLICT)
			return (err_set(e, ERR_CONFLICT,
			    "a node named '%s' already exists in this lab", json_string_value(v)));
		if (r == -1)
			return (-1);
	}
	if ((v = json_object_get(body, "nics")) == NULL)
		return (0);
	if (node_patch_nics(node, (int)json_integer_value(v), e) == -1)
		return (-1);
	return (db_exec(DB, e, "UPDATE nodes SET nics = ? WHERE id = ?", "ii",
	            (int64_t)json_integer_value(v), node) == -1
	        ? -1
	        : 0);
}

int
lab_node_patch(int64_t node, json_t *body, struct lw_err *e)
{
	int64_t stopped;

	if (fields_check(body, validate_node_patch, "node", e) == -1)
		return (-1);
	if (json_object_get(body, "image") != NULL || json_object_get(body, "cdrom") != NULL) {
		json_t *row = db_row(DB, e, "SELECT template FROM nodes WHERE id = ?", "i", node);
		const struct template *t =
		    template_find(json_string_value(json_object_get(row, "template")));
		int r = t == NULL
		    ? err_set(e, ERR_INVALID, "node.image: the node's template is gone")
		    : node_store_check(t, "image", json_str_or(body, "image", NULL), "node", e) ==
		        -1
		    ? -1
		    : node_store_check(t, "cdrom", json_str_or(body, "cdrom", NULL), "node", e);

		json_decref(row);
		if (r == -1)
			return (-1);
	}
	stopped =
	    db_int(DB, 0, "SELECT state IN ('stopped','error') FROM nodes WHERE id = ?", "i", node);
	for (int i = 0; node_hw_fields[i] != NULL; i++)
		if (!stopped && json_object_get(body, node_hw_fields[i]) != NULL)
			return (err_set(e, ERR_CONFLICT,
			    "node.%s: hardware can only be changed while the node is stopped",
			    node_hw_fields[i]));
	if (db_begin(DB, e) == -1)
		return (-1);
	/* A practice lab's checks and stage configs follow the node to its new name. */
	if (json_object_get(body, "name") != NULL &&
	    practice_node_renamed(node, json_string_value(json_object_get(body, "name")), e) == -1)
		return (lab_finish(-1, e) == -1 ? -1 : 0);
	return (lab_finish(node_patch_apply(node, body, e), e) == -1 ? -1 : 0);
}

int
lab_node_delete_rows(int64_t node, struct lw_err *e)
{
	int64_t r;

	if (db_begin(DB, e) == -1)
		return (-1);
	r = db_exec(DB, e,
	    "DELETE FROM links WHERE id IN (SELECT le.link_id FROM link_endpoints le"
	    " JOIN interfaces i ON i.id = le.interface_id WHERE i.node_id = ?)",
	    "i", node);
	if (r != -1)
		r = db_exec(DB, e, "DELETE FROM nodes WHERE id = ?", "i", node);
	return (lab_finish(r, e) == -1 ? -1 : 0);
}

/* ---- links ---- */

/*
 * The link as it runs: its datapath, and the impairment engine's counters
 * (per direction, a_to_b first) while it is in the engine.
 */
static void
link_runtime(json_t *l, int64_t id)
{
	struct impair_stats st;
	json_t *a;

	json_object_set_new(l, "datapath", json_string(wiring_datapath(id)));
	if (impair_link_stats(id, &st) == -1)
		return;
	a = json_array();
	for (int d = 0; d < 2; d++)
		json_array_append_new(a,
		    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "in", (json_int_t)st.in[d],
		        "out", (json_int_t)st.out[d], "lost", (json_int_t)st.lost[d], "duplicated",
		        (json_int_t)st.duplicated[d], "corrupted", (json_int_t)st.corrupted[d],
		        "reordered", (json_int_t)st.reordered[d], "queue_dropped",
		        (json_int_t)st.queue_dropped[d], "queued", (json_int_t)st.queued[d]));
	json_object_set_new(l, "engine", a);
}

/* The link's API object; eps (stolen): its endpoints, or NULL: asked here. */
static json_t *
link_render(json_t *row, json_t *eps, struct lw_err *e)
{
	int64_t id = json_integer_value(json_object_get(row, "id"));
	json_t *imp, *stored;
	const struct field *f;

	if (eps == NULL)
		eps = db_rows(DB, e,
		    "SELECT n.name AS node, i.name AS interface FROM link_endpoints le"
		    " JOIN interfaces i ON i.id = le.interface_id JOIN nodes n ON n.id = i.node_id"
		    " WHERE le.link_id = ? ORDER BY le.pos",
		    "i", id);
	if (eps == NULL) {
		json_decref(row);
		return (NULL);
	}
	json_object_set_new(row, "kind", json_string(json_array_size(eps) > 2 ? "lan" : "p2p"));
	json_object_set_new(row, "endpoints", eps);
	stored = json_loads(json_string_value(json_object_get(row, "impairment")), 0, NULL);
	imp = json_object();
	/* Every common field, 0 when unset; seed and the directions only when given. */
	for (f = validate_impairment_dir; f->name != NULL; f++) {
		json_t *v = json_object_get(stored, f->name);

		json_object_set_new(imp, f->name, v ? json_incref(v) : json_integer(0));
	}
	for (const char **k = (const char *[]){"seed", "a_to_b", "b_to_a", NULL}; *k; k++)
		if (json_object_get(stored, *k) != NULL)
			json_object_set(imp, *k, json_object_get(stored, *k));
	json_decref(stored);
	json_object_set_new(row, "impairment", imp);
	link_runtime(row, id);
	return (row);
}

json_t *
lab_links_json(int64_t lab, struct lw_err *e)
{
	return (lab_links_page(lab, 0, 0, e));
}

json_t *
lab_links_page(int64_t lab, int64_t after, int limit, struct lw_err *e)
{
	json_t *rows, *eps, *out;

	if ((rows = db_rows(DB, e,
	         "SELECT id, state, impairment FROM links WHERE lab_id = ? AND id > ? ORDER BY id"
	         " LIMIT ?",
	         "iiI", lab, after, limit > 0 ? limit + 1 : -1)) == NULL)
		return (NULL);
	/* Every link's endpoints in one query, as for the nodes' interfaces. */
	eps = by_owner(db_rows(DB, e,
	    "SELECT le.link_id AS owner, n.name AS node, i.name AS interface"
	    " FROM link_endpoints le JOIN links k ON k.id = le.link_id"
	    " JOIN interfaces i ON i.id = le.interface_id JOIN nodes n ON n.id = i.node_id"
	    " WHERE k.lab_id = ? AND k.id > ? ORDER BY le.link_id, le.pos",
	    "ii", lab, after));
	out = eps != NULL ? render_page(rows, eps, link_render, "links", limit, e) : NULL;
	json_decref(eps);
	json_decref(rows);
	return (out);
}

json_t *
lab_link_json(int64_t link, struct lw_err *e)
{
	json_t *row =
	    db_row(DB, e, "SELECT id, state, impairment FROM links WHERE id = ?", "i", link);

	if (row == NULL) {
		err_set(e, ERR_NOT_FOUND, "link %lld not found", (long long)link);
		return (NULL);
	}
	return (link_render(row, NULL, e));
}

/* Resolve "r1:eth0" to an interface id that is free to link. */
static int64_t
link_endpoint_iface(int64_t lab, int64_t link, json_t *ep, const char *what, struct lw_err *e)
{
	const char *node;
	char iface[64], nodebuf[64];
	int64_t nid, iid, other;

	if (validate_endpoint(ep, &node, iface, sizeof(iface), nodebuf, sizeof(nodebuf), e) == -1)
		return (-1);
	if ((nid = lab_node_resolve(lab, node, NULL)) == -1)
		return (err_set(
		    e, ERR_INVALID, "%s: node '%s' does not exist in this lab", what, node));
	iid = db_int(
	    DB, -1, "SELECT id FROM interfaces WHERE node_id = ? AND name = ?", "is", nid, iface);
	if (iid == -1) { /* "Gi0/1" for "GigabitEthernet0/1", "eth1" for "ETH1" */
		json_t *row = db_row(DB, NULL, "SELECT template FROM nodes WHERE id = ?", "i", nid);
		const struct template *t =
		    template_find(json_string_value(json_object_get(row, "template")));
		int idx = t != NULL ? template_ifindex(t, iface) : -1;

		json_decref(row);
		if (idx >= 0)
			iid = db_int(DB, -1,
			    "SELECT id FROM interfaces WHERE node_id = ? AND idx = ?", "iI", nid,
			    idx);
	}
	if (iid == -1)
		return (err_set(
		    e, ERR_INVALID, "%s: node '%s' has no interface '%s'", what, node, iface));
	other =
	    db_int(DB, -1, "SELECT link_id FROM link_endpoints WHERE interface_id = ?", "i", iid);
	if (other == link)
		return (err_set(
		    e, ERR_INVALID, "%s: %s:%s appears twice in one link", what, node, iface));
	if (other != -1)
		return (err_set(e, ERR_CONFLICT, "%s: %s:%s is already linked (link %lld)", what,
		    node, iface, (long long)other));
	return (iid);
}

static char *
link_impairment_text(json_t *body)
{
	json_t *imp = json_object_get(body, "impairment");

	return (imp ? json_dumps(imp, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}"));
}

static int64_t
link_insert(int64_t lab, json_t *body, const char *what, struct lw_err *e)
{
	json_t *eps, *ep, *imp;
	int64_t link, iid;
	char *imptext;
	size_t i;

	if (fields_check(body, validate_link_create, what, e) == -1)
		return (-1);
	imp = json_object_get(body, "impairment");
	if (validate_impairment_check(
	        imp, (int)json_array_size(json_object_get(body, "endpoints")), e) == -1)
		return (-1);
	if ((imptext = link_impairment_text(body)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	link = db_insert(DB, e, "INSERT INTO links (lab_id, state, impairment) VALUES (?,?,?)",
	    "iss", lab, json_str_or(body, "state", "up"), imptext);
	free(imptext);
	if (link == -1)
		return (-1);
	eps = json_object_get(body, "endpoints");
	json_array_foreach(eps, i, ep) {
		if ((iid = link_endpoint_iface(lab, link, ep, what, e)) == -1 ||
		    db_exec(DB, e,
		        "INSERT INTO link_endpoints (link_id, interface_id, pos) VALUES (?,?,?)",
		        "iiI", link, iid, (int)i) == -1)
			return (-1);
	}
	return (link);
}

int64_t
lab_link_create(int64_t lab, json_t *body, struct lw_err *e)
{
	if (!json_is_object(body))
		return (err_set(e, ERR_BAD_REQUEST, "link: the body must be a JSON object"));
	if (db_begin(DB, e) == -1)
		return (-1);
	return (lab_finish(link_insert(lab, body, "link", e), e));
}

int
lab_link_patch(int64_t link, json_t *body, struct lw_err *e)
{
	json_t *imp = json_object_get(body, "impairment"), *st = json_object_get(body, "state");
	char *imptext;
	int64_t r = 0;

	if (fields_check(body, validate_link_patch, "link", e) == -1 ||
	    validate_impairment_check(imp,
	        (int)db_int(
	            DB, 0, "SELECT COUNT(*) FROM link_endpoints WHERE link_id = ?", "i", link),
	        e) == -1)
		return (-1);
	if (db_begin(DB, e) == -1)
		return (-1);
	if (st != NULL)
		r = db_exec(DB, e, "UPDATE links SET state = ? WHERE id = ?", "si",
		    json_string_value(st), link);
	if (r != -1 && imp != NULL) {
		imptext = link_impairment_text(body);
		r = db_exec(
		    DB, e, "UPDATE links SET impairment = ? WHERE id = ?", "si", imptext, link);
		free(imptext);
	}
	return (lab_finish(r, e) == -1 ? -1 : 0);
}

json_t *
lab_link_saved(int64_t link, struct lw_err *e)
{
	return (db_row(DB, e, "SELECT state, impairment FROM links WHERE id = ?", "i", link));
}

int
lab_link_restore(int64_t link, json_t *saved, json_t *wrote, struct lw_err *e)
{
	if (db_begin(DB, e) == -1)
		return (-1);
	return (lab_finish(db_exec(DB, e,
	                       "UPDATE links SET state = ?, impairment = ? WHERE id = ?"
	                       " AND state IS ? AND impairment IS ?",
	                       "ssiss", json_string_value(json_object_get(saved, "state")),
	                       json_string_value(json_object_get(saved, "impairment")), link,
	                       json_string_value(json_object_get(wrote, "state")),
	                       json_string_value(json_object_get(wrote, "impairment"))),
	            e) == -1
	        ? -1
	        : 0);
}

int
lab_link_delete_rows(int64_t link, struct lw_err *e)
{
	if (db_begin(DB, e) == -1)
		return (-1);
	return (lab_finish(db_exec(DB, e, "DELETE FROM links WHERE id = ?", "i", link), e) == -1
	        ? -1
	        : 0);
}
