/*
 * assign - classroom assignments and the members' copies of their labs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/fields.h"
#include "core/base/names.h"
#include "db/db.h"
#include "labs/access.h"
#include "labs/assign.h"
#include "labs/audit.h"
#include "labs/grade.h"
#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "labs/users.h"
#include "labs/validate.h"

#define DB db_current(lw.db)

/* How many "-N" suffixes a copy's name tries when "<assignment>-<user>" is taken. */
#define ASSIGN_NAME_TRIES 20

/* What w is to one assignment. */
struct assign_view {
	int64_t id, group, lab; /* lab: 0 once the source lab was deleted */
	bool instructor; /* an admin, a leader of its group, or its maker (still an instructor) */
	bool member;     /* a member (not a leader) of its group */
	char name[LW_NAME_MAX + 1];
};

static int64_t
jint(json_t *o, const char *k)
{
	return (json_integer_value(json_object_get(o, k)));
}

/*
 * assign_view - what w is to assignment ref; 0, or -1 with ERR_NOT_FOUND when
 * it does not exist or w is neither its instructor nor a member of its group.
 */
static int
assign_view(const struct who *w, const char *ref, struct assign_view *v, struct lw_err *e)
{
	char *end;
	long long id = strtoll(ref, &end, 10);
	json_t *row = NULL;

	memset(v, 0, sizeof(*v));
	/* m: NULL not in the group, 1 a member, 2 a leader. */
	if (ref[0] >= '0' && ref[0] <= '9' && *end == '\0' && id > 0)
		row = db_row(DB, NULL,
		    "SELECT a.name, a.group_id, COALESCE(a.lab_id, 0) AS lab,"
		    " a.instructor_id = ? AS made, (SELECT MAX(leader) + 1 FROM group_members"
		    "   WHERE group_id = a.group_id AND user_id = ?) AS m"
		    " FROM assignments a WHERE a.id = ?",
		    "iii", w->id, w->id, (int64_t)id);
	if (row != NULL) {
		v->id = id;
		v->group = jint(row, "group_id");
		v->lab = jint(row, "lab");
		v->member = jint(row, "m") == 1;
		v->instructor = w->role == ROLE_ADMIN || jint(row, "m") == 2 ||
		    (jint(row, "made") == 1 && w->role != ROLE_USER);
		snprintf(v->name, sizeof(v->name), "%s",
		    json_string_value(json_object_get(row, "name")));
		json_decref(row);
	}
	if (!v->instructor && !v->member)
		return (err_set(e, ERR_NOT_FOUND, "assignment '%.40s' not found", ref));
	return (0);
}

/* The assignment's own fields (new reference), or NULL with e. */
static json_t *
assign_render(int64_t id, struct lw_err *e)
{
	return (db_row(DB, e,
	    "SELECT a.id, a.name, (SELECT name FROM labs WHERE id = a.lab_id) AS lab,"
	    " a.lab_id, g.name AS \"group\","
	    " (SELECT name FROM users WHERE id = a.instructor_id) AS instructor, a.created_at"
	    " FROM assignments a JOIN groups g ON g.id = a.group_id WHERE a.id = ?",
	    "i", id));
}

/* user's copy for assignment: {lab, name, state}, or null (new reference). */
static json_t *
instance_json(int64_t assignment, int64_t user)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT i.lab_id AS lab, l.name FROM assignment_instances i"
	    " JOIN labs l ON l.id = i.lab_id WHERE i.assignment_id = ? AND i.user_id = ?",
	    "ii", assignment, user);

	if (row == NULL)
		return (json_null());
	json_object_set_new(row, "state", json_string(lab_state(jint(row, "lab"))));
	return (row);
}

/* The newest grade of the copy: {score, max_score, passed, at, stage}, or null (new reference). */
static json_t *
last_grade(json_t *instance)
{
	json_t *g = json_is_object(instance) ? grade_last(jint(instance, "lab")) : NULL;

	if (g == NULL)
		return (json_null());
	json_object_del(g, "id");
	json_object_del(g, "by");
	return (g);
}

/* One row of the table: {user, instance, last_grade} (new reference). */
static json_t *
member_json(int64_t assignment, int64_t user, const char *name)
{
	json_t *inst = instance_json(assignment, user);

	return (json_pack(
	    "{s:s,s:o,s:o}", "user", name, "last_grade", last_grade(inst), "instance", inst));
}

/* The rows v's viewer may see: every member of the group, or their own. */
static json_t *
members_json(const struct who *w, const struct assign_view *v, struct lw_err *e)
{
	json_t *rows, *r, *out;
	size_t i;

	if (!v->instructor)
		return (json_pack("[o]", member_json(v->id, w->id, w->name)));
	rows = db_rows(DB, e,
	    "SELECT u.id, u.name FROM group_members m JOIN users u ON u.id = m.user_id"
	    " WHERE m.group_id = ? AND m.leader = 0 ORDER BY u.name",
	    "i", v->group);
	if (rows == NULL)
		return (NULL);
	out = json_array();
	json_array_foreach(rows, i, r)
		json_array_append_new(out,
		    member_json(
		        v->id, jint(r, "id"), json_string_value(json_object_get(r, "name"))));
	json_decref(rows);
	return (out);
}

json_t *
assign_json(const struct who *w, const char *ref, struct lw_err *e)
{
	struct assign_view v;
	json_t *out, *members;

	if (assign_view(w, ref, &v, e) == -1 || (out = assign_render(v.id, e)) == NULL)
		return (NULL);
	if ((members = members_json(w, &v, e)) == NULL) {
		json_decref(out);
		return (NULL);
	}
	json_object_set_new(out, "role", json_string(v.instructor ? "instructor" : "member"));
	json_object_set_new(out, "members", members);
	return (out);
}

json_t *
assign_list_json(const struct who *w, struct lw_err *e)
{
	json_t *rows, *r, *out, *a;
	struct assign_view v;
	char ref[24];
	size_t i;

	rows = db_rows(DB, e,
	    "SELECT a.id FROM assignments a WHERE ? OR (a.instructor_id = ? AND ?)"
	    " OR a.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)"
	    " ORDER BY a.id",
	    "IiIi", w->role == ROLE_ADMIN, w->id, w->role != ROLE_USER, w->id);
	if (rows == NULL)
		return (NULL);
	out = json_array();
	json_array_foreach(rows, i, r) {
		snprintf(ref, sizeof(ref), "%lld", (long long)jint(r, "id"));
		if (assign_view(w, ref, &v, NULL) == -1 || (a = assign_render(v.id, NULL)) == NULL)
			continue;
		json_object_set_new(a, "role", json_string(v.instructor ? "instructor" : "member"));
		json_object_set_new(a, "instance", instance_json(v.id, w->id));
		json_array_append_new(out, a);
	}
	json_decref(rows);
	return (json_pack("{s:o}", "assignments", out));
}

/* ---- create, delete ---- */

/* A lab or group given as an id number becomes its digits, as a path would name it. */
static json_t *
refs_as_text(json_t *body)
{
	json_t *b = json_copy(body), *v;
	char num[24];

	for (const char **k = (const char *[]){"lab", "group", NULL}; *k != NULL; k++)
		if ((v = json_object_get(b, *k)) != NULL && json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			json_object_set_new(b, *k, json_string(num));
		}
	return (b);
}

/* The group ref w may assign to (one they lead; any, for an admin); its id or -1 with e. */
static int64_t
group_led(const struct who *w, const char *ref, struct lw_err *e)
{
	int64_t g;

	if (w->role == ROLE_USER)
		return (err_set(e, ERR_FORBIDDEN, "only instructors and admins assign labs"));
	g = groups_resolve(ref, NULL);
	if (w->role == ROLE_ADMIN)
		return (g != -1 ? g : err_set(e, ERR_NOT_FOUND, "group '%.63s' not found", ref));
	/* The same answer for a group that does not exist: an instructor sees only theirs. */
	if (g == -1 ||
	    db_int(DB, 0,
	        "SELECT COUNT(*) FROM group_members WHERE group_id = ? AND user_id = ?"
	        " AND leader = 1",
	        "ii", g, w->id) == 0)
		return (err_set(e, ERR_FORBIDDEN,
		    "you lead no group '%.63s': only its leaders or an admin may assign to it",
		    ref));
	return (g);
}

static int64_t
assign_insert(const struct who *w, json_t *b, struct lw_err *e)
{
	const char *gref = json_string_value(json_object_get(b, "group"));
	const char *lref = json_string_value(json_object_get(b, "lab"));
	const char *name = json_string_value(json_object_get(b, "name"));
	int64_t g, lab, id;
	json_t *row = NULL;
	int level;

	if ((g = group_led(w, gref, e)) == -1 ||
	    (lab = access_lab_resolve(w, lref, ACCESS_READ, &level, e)) == -1)
		return (-1);
	if (name == NULL &&
	    (row = db_row(DB, e, "SELECT name FROM labs WHERE id = ?", "i", lab)) != NULL)
		name = json_string_value(json_object_get(row, "name"));
	id = name == NULL ? -1
	                  : db_insert(DB, e,
	                        "INSERT INTO assignments (name, lab_id, group_id, instructor_id,"
	                        " created_at) VALUES (?,?,?,?,?)",
	                        "siiii", name, lab, g, w->id, (int64_t)time(NULL));
	if (id == -1 && name != NULL && e->code == ERR_CONFLICT)
		err_set(e, ERR_CONFLICT, "group '%.63s' has an assignment named '%s' already", gref,
		    name);
	json_decref(row);
	return (id);
}

json_t *
assign_create(const struct who *w, json_t *body, struct lw_err *e)
{
	json_t *b = refs_as_text(body), *out = NULL;
	int64_t id = -1;

	if (b == NULL) {
		err_set(e, ERR_BAD_REQUEST, "assignment: the body must be a JSON object");
		return (NULL);
	}
	if (fields_check(b, validate_assignment, "assignment", e) == 0 &&
	    (id = assign_insert(w, b, e)) != -1)
		out = assign_render(id, e);
	audit_add(w, "assignment.create", json_string_value(json_object_get(b, "lab")), id != -1,
	    id != -1 ? json_string_value(json_object_get(b, "group")) : e->msg);
	json_decref(b);
	return (out);
}

int
assign_delete(const struct who *w, const char *ref, struct lw_err *e)
{
	struct assign_view v;

	if (assign_view(w, ref, &v, e) == -1)
		return (-1);
	if (!v.instructor)
		return (err_set(e, ERR_FORBIDDEN,
		    "only the group's leaders or an admin may delete an assignment"));
	if (db_exec(DB, e, "DELETE FROM assignments WHERE id = ?", "i", v.id) == -1)
		return (-1);
	audit_add(w, "assignment.delete", v.name, true, "");
	return (0);
}

/* ---- a member's copy ---- */

/*
 * copy_name - "<assignment>-<user>", cut to fit a name with room for a "-N"
 * suffix, and the first of it, "-2", "-3"... that no lab has; 0, or -1 with
 * ERR_CONFLICT when ASSIGN_NAME_TRIES are taken.
 */
static int
copy_name(const char *a, const char *u, char *out, size_t len, struct lw_err *e)
{
	int ulen = (int)strlen(u) > 30 ? 30 : (int)strlen(u);
	int alen = LW_NAME_MAX - 3 - 1 - ulen;
	char base[LW_NAME_MAX + 1];

	snprintf(base, sizeof(base), "%.*s-%.*s", alen, a, ulen, u);
	for (int k = 1; k <= ASSIGN_NAME_TRIES; k++) {
		if (k == 1)
			snprintf(out, len, "%s", base);
		else
			snprintf(out, len, "%s-%d", base, k);
		if (db_int(DB, 0, "SELECT COUNT(*) FROM labs WHERE name = ?", "s", out) == 0)
			return (0);
	}
	return (err_set(e, ERR_CONFLICT, "labs named %s and %s-2..%d exist: rename one", base, base,
	    ASSIGN_NAME_TRIES));
}

/*
 * The source lab's nodes as a POST /labs body's: their hardware, place and
 * startup config — the lab's start (stage_base, once a stage was restored
 * on it), not the stage it was left in. New reference or NULL with e.
 */
static json_t *
copy_nodes(int64_t src, json_t *base, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e,
	    "SELECT name, template, image, cdrom, arch, accel, cpus, cpu_cap_pct, ram_mb, nics,"
	    " startup_config, x, y, boot_order, origin FROM nodes WHERE lab_id = ? ORDER BY id",
	    "i", src);
	json_t *r, *cfg;
	size_t i;

	json_array_foreach(rows, i, r) {
		if (json_is_null(json_object_get(r, "image")))
			json_object_del(r, "image");
		if (json_is_null(json_object_get(r, "cdrom")))
			json_object_del(r, "cdrom");
		lab_node_origin(r);
		cfg = json_object_get(base, json_string_value(json_object_get(r, "name")));
		if (json_is_string(cfg))
			json_object_set(r, "startup_config", cfg);
	}
	return (rows);
}

/* The source lab's links as a POST /labs body's: endpoints, state, impairment. */
static json_t *
copy_links(int64_t src, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e,
	    "SELECT id, state, impairment FROM links WHERE lab_id = ? ORDER BY id", "i", src);
	json_t *r, *imp;
	size_t i;

	json_array_foreach(rows, i, r) {
		json_t *eps = db_rows(DB, e,
		    "SELECT n.name AS node, i.name AS interface FROM link_endpoints le"
		    " JOIN interfaces i ON i.id = le.interface_id JOIN nodes n ON n.id = i.node_id"
		    " WHERE le.link_id = ? ORDER BY le.pos",
		    "i", jint(r, "id"));

		if (eps == NULL) {
			json_decref(rows);
			return (NULL);
		}
		imp = json_loads(json_string_value(json_object_get(r, "impairment")), 0, NULL);
		json_object_del(r, "id");
		json_object_set_new(r, "endpoints", eps);
		if (json_is_object(imp) && json_object_size(imp) > 0)
			json_object_set_new(r, "impairment", imp);
		else {
			json_object_del(r, "impairment");
			json_decref(imp);
		}
	}
	return (rows);
}

/* text (stored JSON, validated when it was) as JSON; dflt when absent. */
static json_t *
stored_json(json_t *row, const char *key, const char *dflt)
{
	const char *text = json_string_value(json_object_get(row, key));

	return (json_loads(text != NULL ? text : dflt, 0, NULL));
}

/* The source lab as a POST /labs body named name (new reference), or NULL with e. */
static json_t *
copy_body(int64_t src, const char *name, struct lw_err *e)
{
	json_t *row = db_row(DB, e,
	    "SELECT description, guide, checks, stages, stage_base FROM labs WHERE id = ?", "i",
	    src);
	json_t *body, *base, *nodes, *links;

	if (row == NULL)
		return (NULL);
	base = stored_json(row, "stage_base", "{}");
	nodes = copy_nodes(src, base, e);
	links = nodes != NULL ? copy_links(src, e) : NULL;
	json_decref(base);
	if (links == NULL) {
		json_decref(nodes);
		json_decref(row);
		return (NULL);
	}
	body = json_pack("{s:s,s:O,s:O,s:o,s:o,s:o,s:o}", "name", name, "description",
	    json_object_get(row, "description"), "guide", json_object_get(row, "guide"), "checks",
	    stored_json(row, "checks", "[]"), "stages", stored_json(row, "stages", "[]"), "nodes",
	    nodes, "links", links);
	json_decref(row);
	if (body == NULL)
		err_set(e, ERR_INTERNAL, "out of memory");
	return (body);
}

/*
 * source_readable - whether v's lab is still the assignment's to hand out:
 * its instructor (while an instructor) or a leader of its group reads it,
 * as the instructor had to when assigning it. A share taken back since
 * (or a lab given to someone else) stops new copies.
 */
static bool
source_readable(const struct assign_view *v)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT u.id, u.role FROM users u WHERE (u.role <> 'user' AND u.id ="
	    " (SELECT instructor_id FROM assignments WHERE id = ?)) OR u.id IN"
	    " (SELECT user_id FROM group_members WHERE group_id = ? AND leader = 1)",
	    "ii", v->id, v->group);
	json_t *r;
	bool ok = false;
	size_t i;

	json_array_foreach(rows, i, r) {
		struct who w = {.id = jint(r, "id"),
		    .role = auth_role_parse(json_string_value(json_object_get(r, "role")))};

		if (!ok && w.role != -1 && access_lab(&w, v->lab) >= ACCESS_READ)
			ok = true;
	}
	json_decref(rows);
	return (ok);
}

/* The copy and its instance row, in one transaction; the copy's id or -1 with e. */
static int64_t
copy_make(const struct who *w, const struct assign_view *v, struct lw_err *e)
{
	char name[LW_NAME_MAX + 1];
	json_t *body;
	int64_t lab = -1;

	if (copy_name(v->name, w->name, name, sizeof(name), e) == -1 ||
	    (body = copy_body(v->lab, name, e)) == NULL)
		return (-1);
	if (db_begin(DB, e) == -1) {
		json_decref(body);
		return (-1);
	}
	/* The copy keeps whom its solutions are for (assign_hides_solutions). */
	if ((lab = lab_insert(body, w->id, e)) != -1 &&
	    (db_exec(DB, e,
	         "UPDATE labs SET boot_concurrency = (SELECT boot_concurrency FROM labs"
	         " WHERE id = ?), copy_hidden = 1, copy_group = ?, copy_src = ? WHERE id = ?",
	         "iiii", v->lab, v->group, v->lab, lab) == -1 ||
	        db_exec(DB, e,
	            "INSERT INTO assignment_instances (assignment_id, user_id, lab_id, created_at)"
	            " VALUES (?,?,?,?)",
	            "iiii", v->id, w->id, lab, (int64_t)time(NULL)) == -1))
		lab = -1;
	json_decref(body);
	if (lab == -1 || db_commit(DB, e) == -1) {
		db_rollback(DB);
		return (-1);
	}
	return (lab);
}

int64_t
assign_instance(const struct who *w, const char *ref, bool *made, struct lw_err *e)
{
	struct assign_view v;
	int64_t lab;

	*made = false;
	if (assign_view(w, ref, &v, e) == -1)
		return (-1);
	if (!v.member)
		return (err_set(e, ERR_FORBIDDEN,
		    "copies are for the members of the assignment's group; you lead it (watch "
		    "theirs, or try the lab itself)"));
	lab = db_int(DB, -1,
	    "SELECT lab_id FROM assignment_instances WHERE assignment_id = ? AND user_id = ?", "ii",
	    v.id, w->id);
	if (lab != -1)
		return (lab);
	if (v.lab == 0)
		return (err_set(e, ERR_CONFLICT,
		    "the lab of assignment %lld was deleted: no new copies can be made",
		    (long long)v.id));
	if (!source_readable(&v))
		return (err_set(e, ERR_CONFLICT,
		    "the lab of assignment %lld is no longer readable by its instructors: no new "
		    "copies can be made",
		    (long long)v.id));
	if ((lab = copy_make(w, &v, e)) == -1) {
		audit_add(w, "assignment.instance", v.name, false, e->msg);
		return (-1);
	}
	*made = true;
	audit_add(w, "assignment.instance", v.name, true, "");
	audit_lab(w, "lab.create", lab, true);
	lab_publish("lab", "created", lab, lab);
	lifecycle_consoles(lab, 0, true);
	return (lab);
}

bool
assign_hides_solutions(const struct who *w, int64_t lab)
{
	json_t *row;
	bool hide;

	if (w->role == ROLE_ADMIN)
		return (false);
	row = db_row(DB, NULL,
	    "SELECT COALESCE(l.copy_src, 0) AS src,"
	    " EXISTS (SELECT 1 FROM group_members WHERE group_id = l.copy_group AND user_id = ?"
	    "   AND leader = 1) AS leads,"
	    " EXISTS (SELECT 1 FROM assignment_instances i JOIN assignments a"
	    "   ON a.id = i.assignment_id WHERE i.lab_id = l.id AND a.instructor_id = ?) AS made"
	    " FROM labs l WHERE l.id = ? AND l.copy_hidden = 1",
	    "iii", w->id, w->id, lab);
	if (row == NULL)
		return (false);
	hide = !(jint(row, "made") == 1 && w->role != ROLE_USER) && jint(row, "leads") == 0 &&
	    (jint(row, "src") == 0 || access_lab(w, jint(row, "src")) < ACCESS_READ);
	json_decref(row);
	return (hide);
}
