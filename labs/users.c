/*
 * users - user records, groups and quotas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/secret.h"
#include "db/db.h"
#include "labs/access.h"
#include "labs/audit.h"
#include "labs/capture.h"
#include "labs/users.h"
#include "labs/validate.h"

#define DB db_current(lw.db)

static int64_t
ref_resolve(const char *table_sql_id, const char *table_sql_name, const char *ref)
{
	char *end;
	long long v = strtoll(ref, &end, 10);
	int64_t id = -1;

	if (ref[0] >= '0' && ref[0] <= '9' && *end == '\0' && v > 0)
		id = db_int(DB, -1, table_sql_id, "i", (int64_t)v);
	if (id == -1)
		id = db_int(DB, -1, table_sql_name, "s", ref);
	return (id);
}

int64_t
users_resolve(const char *ref, struct lw_err *e)
{
	int64_t id = ref_resolve(
	    "SELECT id FROM users WHERE id = ?", "SELECT id FROM users WHERE name = ?", ref);

	if (id == -1)
		err_set(e, ERR_NOT_FOUND, "user '%.64s' not found", ref);
	return (id);
}

/* ---- usage and quotas ---- */

/* Bytes of the capture files of every lab user owns. */
static int64_t
capture_bytes(int64_t user)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT c.id, c.lab_id FROM captures c JOIN labs l ON l.id = c.lab_id"
	    " WHERE l.owner_id = ?",
	    "i", user);
	json_t *r;
	size_t i;
	int64_t sum = 0;
	char path[4096];
	struct stat st;

	json_array_foreach(rows, i, r) {
		labcap_path(path, sizeof(path), json_integer_value(json_object_get(r, "lab_id")),
		    json_integer_value(json_object_get(r, "id")));
		if (stat(path, &st) == 0)
			sum += st.st_size;
	}
	json_decref(rows);
	return (sum);
}

/* {running_nodes, ram_mb, capture_mb} in use by user's labs (new reference). */
static json_t *
usage_json(int64_t user)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT COUNT(n.id) AS running_nodes, COALESCE(SUM(n.ram_mb), 0) AS ram_mb"
	    " FROM nodes n JOIN labs l ON l.id = n.lab_id"
	    " WHERE l.owner_id = ? AND n.state IN ('starting','running','paused','stopping')",
	    "i", user);

	if (row == NULL)
		row = json_object();
	json_object_set_new(
	    row, "capture_mb", json_integer((capture_bytes(user) + (1 << 20) - 1) >> 20));
	return (row);
}

static json_t *
quota_row(int64_t user)
{
	return (db_row(DB, NULL,
	    "SELECT quota_nodes AS running_nodes, quota_ram_mb AS ram_mb,"
	    " quota_capture_mb AS capture_mb, name FROM users WHERE id = ?",
	    "i", user));
}

static int64_t
jint(json_t *o, const char *k)
{
	return (json_integer_value(json_object_get(o, k)));
}

int
users_quota_start(int64_t lab, int nodes, int64_t ram_mb, struct lw_err *e)
{
	int64_t owner = db_int(DB, 0, "SELECT owner_id FROM labs WHERE id = ?", "i", lab);
	json_t *q = quota_row(owner), *u;
	int ret = 0;

	if (q == NULL)
		return (0);
	u = usage_json(owner);
	if (jint(q, "running_nodes") > 0 &&
	    jint(u, "running_nodes") + nodes > jint(q, "running_nodes"))
		ret = err_set(e, ERR_TOO_MANY,
		    "quota: %s may run %lld nodes; %lld run and this would start %d more",
		    json_string_value(json_object_get(q, "name")),
		    (long long)jint(q, "running_nodes"), (long long)jint(u, "running_nodes"),
		    nodes);
	else if (jint(q, "ram_mb") > 0 && jint(u, "ram_mb") + ram_mb > jint(q, "ram_mb"))
		ret = err_set(e, ERR_TOO_MANY,
		    "quota: %s may use %lld MiB of RAM; %lld MiB run and this needs %lld more",
		    json_string_value(json_object_get(q, "name")), (long long)jint(q, "ram_mb"),
		    (long long)jint(u, "ram_mb"), (long long)ram_mb);
	json_decref(q);
	json_decref(u);
	return (ret);
}

int
users_quota_capture(int64_t lab, struct lw_err *e)
{
	int64_t owner = db_int(DB, 0, "SELECT owner_id FROM labs WHERE id = ?", "i", lab);
	json_t *q = quota_row(owner);
	int64_t used;
	int ret = 0;

	if (q == NULL || jint(q, "capture_mb") == 0) {
		json_decref(q);
		return (0);
	}
	used = capture_bytes(owner);
	if (used >= jint(q, "capture_mb") << 20)
		ret = err_set(e, ERR_TOO_MANY,
		    "quota: %s's captures may use %lld MiB; they use %lld MiB (delete a lab's "
		    "captures or ask an admin)",
		    json_string_value(json_object_get(q, "name")), (long long)jint(q, "capture_mb"),
		    (long long)(used >> 20));
	json_decref(q);
	return (ret);
}

/* ---- users ---- */

static json_t *
user_render(json_t *row)
{
	int64_t id = jint(row, "id");

	json_object_set_new(row, "quota",
	    json_pack("{s:I,s:I,s:I}", "running_nodes", (json_int_t)jint(row, "quota_nodes"),
	        "ram_mb", (json_int_t)jint(row, "quota_ram_mb"), "capture_mb",
	        (json_int_t)jint(row, "quota_capture_mb")));
	json_object_del(row, "quota_nodes");
	json_object_del(row, "quota_ram_mb");
	json_object_del(row, "quota_capture_mb");
	json_object_set_new(row, "usage", usage_json(id));
	json_object_set_new(row, "groups",
	    db_rows(DB, NULL,
	        "SELECT g.name, m.leader FROM group_members m JOIN groups g ON g.id = m.group_id"
	        " WHERE m.user_id = ? ORDER BY g.name",
	        "i", id)
	        ?: json_array());
	return (row);
}

#define USER_COLS "id, name, role, quota_nodes, quota_ram_mb, quota_capture_mb, created_at"

json_t *
users_list_json(struct lw_err *e)
{
	json_t *rows = db_rows(DB, e, "SELECT " USER_COLS " FROM users ORDER BY id", ""), *r;
	size_t i;

	if (rows == NULL)
		return (NULL);
	json_array_foreach(rows, i, r)
		user_render(r);
	return (json_pack("{s:o}", "users", rows));
}

json_t *
users_json(int64_t user, struct lw_err *e)
{
	json_t *row = db_row(DB, e, "SELECT " USER_COLS " FROM users WHERE id = ?", "i", user);

	return (row == NULL ? NULL : user_render(row));
}

static int
quota_apply(int64_t user, json_t *q, struct lw_err *e)
{
	static const struct {
		const char *key, *sql;
	} cols[] = {
	    {"running_nodes", "UPDATE users SET quota_nodes = ? WHERE id = ?"},
	    {"ram_mb", "UPDATE users SET quota_ram_mb = ? WHERE id = ?"},
	    {"capture_mb", "UPDATE users SET quota_capture_mb = ? WHERE id = ?"},
	};
	json_t *v;

	if (q == NULL)
		return (0);
	if (fields_check(q, validate_quota, "quota", e) == -1)
		return (-1);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if ((v = json_object_get(q, cols[i].key)) != NULL &&
		    db_exec(DB, e, cols[i].sql, "ii", (int64_t)json_integer_value(v), user) == -1)
			return (-1);
	return (0);
}

int64_t
users_create(const struct who *by, json_t *body, struct lw_err *e)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *role = json_string_value(json_object_get(body, "role"));
	char hash[SECRET_HASH_MAX];
	int64_t id;

	if (fields_check(body, validate_user_create, "user", e) == -1 ||
	    (json_object_get(body, "quota") != NULL &&
	        fields_check(json_object_get(body, "quota"), validate_quota, "quota", e) == -1))
		return (-1);
	if (secret_hash(json_string_value(json_object_get(body, "password")), hash, sizeof(hash)) ==
	    -1)
		return (err_set(e, ERR_INTERNAL, "cannot hash the password"));
	lw_lock();
	if (db_begin(DB, e) == -1) {
		lw_unlock();
		return (-1);
	}
	id = db_insert(DB, e,
	    "INSERT INTO users (name, role, password, created_at) VALUES (?,?,?,?)", "sssi", name,
	    role ? role : "user", hash, (int64_t)time(NULL));
	if (id == -1 && e->code == ERR_CONFLICT)
		err_set(e, ERR_CONFLICT, "a user named '%s' already exists", name);
	if (id == -1 || quota_apply(id, json_object_get(body, "quota"), e) == -1 ||
	    db_commit(DB, e) == -1) {
		db_rollback(DB);
		id = -1;
	}
	audit_add(by, "user.create", name, id != -1, role ? role : "user");
	lw_unlock();
	return (id);
}

/* A user changing their own password proves they know the current one. */
static int
patch_allowed(const struct who *by, int64_t user, json_t *body, struct lw_err *e)
{
	const char *cur = json_string_value(json_object_get(body, "current_password"));
	json_t *row;
	bool ok;

	if (by == NULL || by->role == ROLE_ADMIN)
		return (0);
	if (by->id != user)
		return (err_set(e, ERR_NOT_FOUND, "user not found"));
	if (json_object_get(body, "role") != NULL || json_object_get(body, "quota") != NULL)
		return (err_set(e, ERR_FORBIDDEN, "only an admin may change a role or a quota"));
	if (json_object_get(body, "password") == NULL)
		return (0);
	if (cur == NULL)
		return (err_set(e, ERR_INVALID, "current_password: needed to set a new password"));
	lw_lock();
	row = db_row(DB, NULL, "SELECT password FROM users WHERE id = ?", "i", user);
	lw_unlock();
	ok = secret_verify(cur, row ? json_string_value(json_object_get(row, "password")) : NULL);
	json_decref(row);
	return (ok ? 0 : err_set(e, ERR_FORBIDDEN, "current_password is wrong"));
}

static int
last_admin(int64_t user)
{
	return (db_int(DB, 0, "SELECT role = 'admin' FROM users WHERE id = ?", "i", user) == 1 &&
	    db_int(DB, 0, "SELECT COUNT(*) FROM users WHERE role = 'admin'", "") == 1);
}

static int
patch_apply(int64_t user, json_t *body, const char *hash, int64_t keep, struct lw_err *e)
{
	const char *role = json_string_value(json_object_get(body, "role"));

	/* While the old role still says which labs: the console tokens they saw end. */
	if ((role != NULL || hash[0] != '\0') && access_rotate_user(user, e) == -1)
		return (-1);

	if (role != NULL && strcmp(role, "admin") != 0 && last_admin(user))
		return (err_set(e, ERR_CONFLICT, "this is the last admin: make another first"));
	if (role != NULL &&
	    db_exec(DB, e, "UPDATE users SET role = ? WHERE id = ?", "si", role, user) == -1)
		return (-1);
	/* A user who is no instructor any more leads no class. */
	if (role != NULL && strcmp(role, "user") == 0 &&
	    db_exec(DB, e, "UPDATE group_members SET leader = 0 WHERE user_id = ?", "i", user) ==
	        -1)
		return (-1);
	/*
	 * A new password ends the user's other sessions; set by someone else (an
	 * admin, root on the host: a reset) it ends their API tokens too.
	 */
	if (hash[0] != '\0' &&
	    (db_exec(DB, e, "UPDATE users SET password = ? WHERE id = ?", "si", hash, user) == -1 ||
	        db_exec(DB, e,
	            "DELETE FROM tokens WHERE user_id = ? AND id != ? AND (kind = 'session' OR ?)",
	            "iiI", user, keep, keep == 0) == -1))
		return (-1);
	return (quota_apply(user, json_object_get(body, "quota"), e));
}

/* The first admin's password file is stale once that password is changed. */
static void
initial_password_forget(int64_t user)
{
	char path[600];

	if (db_int(DB, 0, "SELECT name = 'admin' FROM users WHERE id = ?", "i", user) != 1)
		return;
	snprintf(path, sizeof(path), "%s/initial-admin-password", lw.cfg.data_dir);
	unlink(path);
}

/* user's name into buf, for the audit log ("?" when it is gone). Caller holds lw_lock(). */
static void
user_name(int64_t user, char *buf, size_t len)
{
	json_t *row = db_row(DB, NULL, "SELECT name FROM users WHERE id = ?", "i", user);

	snprintf(buf, len, "%s", row ? json_string_value(json_object_get(row, "name")) : "?");
	json_decref(row);
}

/* A refused change is audited too (a wrong current password is a guess). */
static int
patch_refused(const struct who *by, int64_t user, struct lw_err *e)
{
	char target[80];

	lw_lock();
	user_name(user, target, sizeof(target));
	audit_add(by, "user.update", target, false, e->msg);
	lw_unlock();
	return (-1);
}

int
users_patch(const struct who *by, int64_t user, json_t *body, struct lw_err *e)
{
	const char *pw = json_string_value(json_object_get(body, "password"));
	char hash[SECRET_HASH_MAX] = "", target[80];
	int ret;

	if (fields_check(body, validate_user_patch, "user", e) == -1)
		return (-1);
	if (patch_allowed(by, user, body, e) == -1)
		return (patch_refused(by, user, e));
	if (pw != NULL && secret_hash(pw, hash, sizeof(hash)) == -1)
		return (err_set(e, ERR_INTERNAL, "cannot hash the password"));
	lw_lock();
	if ((ret = db_begin(DB, e)) == 0) {
		/* The session that changes its own password stays; every other one ends. */
		ret =
		    patch_apply(user, body, hash, by != NULL && by->id == user ? by->token : 0, e);
		if (ret == -1 || db_commit(DB, e) == -1) {
			db_rollback(DB);
			ret = -1;
		}
	}
	user_name(user, target, sizeof(target));
	audit_add(
	    by, pw ? "user.password" : "user.update", target, ret == 0, ret == 0 ? "" : e->msg);
	if (ret == 0 && pw != NULL)
		initial_password_forget(user);
	access_changed();
	lw_unlock();
	return (ret);
}

int
users_delete(const struct who *by, int64_t user, struct lw_err *e)
{
	json_t *row = db_row(DB, e, "SELECT name FROM users WHERE id = ?", "i", user);
	char name[80];
	int64_t labs;

	if (row == NULL)
		return (-1);
	snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(row, "name")));
	json_decref(row);
	if (last_admin(user))
		return (
		    err_set(e, ERR_CONFLICT, "'%s' is the last admin: make another first", name));
	if ((labs = db_int(DB, 0, "SELECT COUNT(*) FROM labs WHERE owner_id = ?", "i", user)) > 0)
		return (err_set(e, ERR_CONFLICT,
		    "'%s' owns %lld lab(s): delete them or give them to another user (PATCH the "
		    "lab's owner) first",
		    name, (long long)labs));
	if (access_rotate_user(user, e) == -1 ||
	    db_exec(DB, e, "DELETE FROM users WHERE id = ?", "i", user) == -1)
		return (-1);
	audit_add(by, "user.delete", name, true, "");
	access_changed();
	return (0);
}

/* ---- groups ---- */

int64_t
groups_resolve(const char *ref, struct lw_err *e)
{
	int64_t id = ref_resolve(
	    "SELECT id FROM groups WHERE id = ?", "SELECT id FROM groups WHERE name = ?", ref);

	if (id == -1)
		err_set(e, ERR_NOT_FOUND, "group '%.64s' not found", ref);
	return (id);
}

json_t *
groups_json(int64_t group, struct lw_err *e)
{
	json_t *row =
	    db_row(DB, e, "SELECT id, name, created_at FROM groups WHERE id = ?", "i", group);
	static const char members_sql[] =
	    "SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id"
	    " WHERE m.group_id = ? AND m.leader = ? ORDER BY u.name";
	json_t *names[2];

	if (row == NULL)
		return (NULL);
	for (int leader = 0; leader < 2; leader++) {
		json_t *rows = db_rows(DB, NULL, members_sql, "iI", group, leader), *r;
		size_t i;

		names[leader] = json_array();
		json_array_foreach(rows, i, r)
			json_array_append(names[leader], json_object_get(r, "name"));
		json_decref(rows);
	}
	json_object_set_new(row, "members", names[0]);
	json_object_set_new(row, "leaders", names[1]);
	return (row);
}

json_t *
groups_list_json(const struct who *by, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e,
	    "SELECT id FROM groups g WHERE ? OR EXISTS (SELECT 1 FROM group_members m"
	    " WHERE m.group_id = g.id AND m.user_id = ? AND m.leader = 1) ORDER BY name",
	    "Ii", by->role == ROLE_ADMIN, by->id);
	json_t *out, *r;
	size_t i;

	if (rows == NULL)
		return (NULL);
	out = json_array();
	json_array_foreach(rows, i, r) {
		json_t *g = groups_json(jint(r, "id"), NULL);

		if (g != NULL)
			json_array_append_new(out, g);
	}
	json_decref(rows);
	return (json_pack("{s:o}", "groups", out));
}

/* Replace the leaders (leader 1) or members (0) of group with names. */
static int
group_set(int64_t group, json_t *names, int leader, struct lw_err *e)
{
	const char *what = leader ? "leaders" : "members";
	json_t *v;
	size_t i;
	int64_t uid;

	if (names == NULL)
		return (0);
	if (db_exec(DB, e, "DELETE FROM group_members WHERE group_id = ? AND leader = ?", "iI",
	        group, leader) == -1)
		return (-1);
	json_array_foreach(names, i, v) {
		if (!json_is_string(v) ||
		    (uid = db_int(DB, -1, "SELECT id FROM users WHERE name = ?", "s",
		         json_string_value(v))) == -1)
			return (err_set(e, ERR_INVALID, "%s[%zu]: no such user", what, i));
		if (leader &&
		    db_int(DB, 0,
		        "SELECT COUNT(*) FROM users WHERE id = ? AND role IN"
		        " ('admin','instructor')",
		        "i", uid) == 0)
			return (err_set(e, ERR_INVALID, "%s[%zu]: '%s' is not an instructor", what,
			    i, json_string_value(v)));
		if (db_exec(DB, e,
		        "INSERT INTO group_members (group_id, user_id, leader) VALUES (?,?,?)"
		        " ON CONFLICT (group_id, user_id) DO UPDATE SET leader = MAX(leader, "
		        "excluded.leader)",
		        "iiI", group, uid, leader) == -1)
			return (-1);
	}
	return (0);
}

static int
group_finish(int ret, struct lw_err *e)
{
	if (ret == -1 || db_commit(DB, e) == -1) {
		db_rollback(DB);
		return (-1);
	}
	access_changed();
	return (0);
}

int64_t
groups_create(json_t *body, struct lw_err *e)
{
	int64_t id;

	if (fields_check(body, validate_group, "group", e) == -1 || db_begin(DB, e) == -1)
		return (-1);
	id = db_insert(DB, e, "INSERT INTO groups (name, created_at) VALUES (?,?)", "si",
	    json_string_value(json_object_get(body, "name")), (int64_t)time(NULL));
	if (id == -1 && e->code == ERR_CONFLICT)
		err_set(e, ERR_CONFLICT, "a group named '%s' already exists",
		    json_string_value(json_object_get(body, "name")));
	if (group_finish(id == -1 || group_set(id, json_object_get(body, "members"), 0, e) == -1 ||
	                group_set(id, json_object_get(body, "leaders"), 1, e) == -1
	            ? -1
	            : 0,
	        e) == -1)
		return (-1);
	return (id);
}

int
groups_patch(int64_t group, json_t *body, struct lw_err *e)
{
	if (fields_check(body, validate_group_patch, "group", e) == -1 || db_begin(DB, e) == -1)
		return (-1);
	return (group_finish(group_set(group, json_object_get(body, "members"), 0, e) == -1 ||
	            group_set(group, json_object_get(body, "leaders"), 1, e) == -1
	        ? -1
	        : 0,
	    e));
}

int
groups_delete(int64_t group, struct lw_err *e)
{
	if (db_exec(DB, e, "DELETE FROM groups WHERE id = ?", "i", group) == -1)
		return (-1);
	access_changed();
	return (0);
}
