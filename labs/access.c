/*
 * access - lab visibility, shares and owners.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "core/base/secret.h"
#include "db/db.h"
#include "labs/access.h"

#define DB db_current(lw.db)

static atomic_uint generation;

const char *
access_level_name(int level)
{
	static const char *const names[] = {"none", "read", "write", "own"};

	return (level >= ACCESS_NONE && level <= ACCESS_OWN ? names[level] : "none");
}

int
access_lab(const struct who *w, int64_t lab)
{
	json_t *row;
	int level = ACCESS_NONE;
	const char *share;

	row = db_row(DB, NULL,
	    "SELECT l.owner_id,"
	    " (SELECT access FROM lab_shares WHERE lab_id = l.id AND user_id = ?) AS share,"
	    " EXISTS (SELECT 1 FROM group_members m JOIN group_members lead"
	    "   ON lead.group_id = m.group_id WHERE m.user_id = l.owner_id AND lead.user_id = ?"
	    "   AND lead.leader = 1) AS leads"
	    " FROM labs l WHERE l.id = ?",
	    "iii", w->id, w->id, lab);
	if (row == NULL)
		return (ACCESS_NONE);
	share = json_string_value(json_object_get(row, "share"));
	if (w->role == ROLE_ADMIN || json_integer_value(json_object_get(row, "owner_id")) == w->id)
		level = ACCESS_OWN;
	else if (share != NULL && strcmp(share, "write") == 0)
		level = ACCESS_WRITE;
	else if (share != NULL || json_integer_value(json_object_get(row, "leads")) != 0)
		level = ACCESS_READ;
	json_decref(row);
	return (level);
}

int
access_node(const struct who *w, int64_t node)
{
	int64_t lab = db_int(DB, 0, "SELECT lab_id FROM nodes WHERE id = ?", "i", node);

	return (lab == 0 ? ACCESS_NONE : access_lab(w, lab));
}

int64_t
access_lab_resolve(const struct who *w, const char *ref, int need, int *level, struct lw_err *e)
{
	char *end;
	long long v = strtoll(ref, &end, 10);
	int64_t id = -1;

	if (ref[0] >= '0' && ref[0] <= '9' && *end == '\0' && v > 0)
		id = db_int(DB, -1, "SELECT id FROM labs WHERE id = ?", "i", (int64_t)v);
	if (id == -1)
		id = db_int(DB, -1, "SELECT id FROM labs WHERE name = ?", "s", ref);
	*level = id == -1 ? ACCESS_NONE : access_lab(w, id);
	/* The same answer as for a lab that does not exist: nothing to learn. */
	if (*level == ACCESS_NONE)
		return (err_set(e, ERR_NOT_FOUND, "lab '%.80s' not found", ref));
	if (*level < need)
		return (err_set(e, ERR_FORBIDDEN, "lab '%.80s' is shared with you %s", ref,
		    need == ACCESS_OWN ? "but only its owner may do this" : "read-only"));
	return (id);
}

json_t *
access_shares_json(int64_t lab)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT u.name AS user, s.access FROM lab_shares s JOIN users u ON u.id = s.user_id"
	    " WHERE s.lab_id = ? ORDER BY u.name",
	    "i", lab);

	return (rows != NULL ? rows : json_array());
}

static int
share_one(int64_t lab, int64_t owner, json_t *s, size_t i, struct lw_err *e)
{
	const char *user = json_string_value(json_object_get(s, "user"));
	const char *acc = json_string_value(json_object_get(s, "access"));
	int64_t uid;

	if (!json_is_object(s) || user == NULL ||
	    (acc != NULL && strcmp(acc, "read") != 0 && strcmp(acc, "write") != 0))
		return (err_set(e, ERR_INVALID,
		    "shared_with[%zu]: {\"user\": NAME, \"access\": \"read\"|\"write\"}", i));
	if ((uid = db_int(DB, -1, "SELECT id FROM users WHERE name = ?", "s", user)) == -1)
		return (err_set(e, ERR_INVALID, "shared_with[%zu]: no user '%.64s'", i, user));
	if (uid == owner)
		return (err_set(e, ERR_INVALID, "shared_with[%zu]: '%.64s' owns the lab", i, user));
	return (db_exec(DB, e,
	            "INSERT INTO lab_shares (lab_id, user_id, access) VALUES (?,?,?)"
	            " ON CONFLICT (lab_id, user_id) DO UPDATE SET access = excluded.access",
	            "iis", lab, uid, acc ? acc : "read") == -1
	        ? -1
	        : 0);
}

static int
owner_apply(const struct who *w, int64_t lab, const char *owner, struct lw_err *e)
{
	int64_t uid;

	if (w->role != ROLE_ADMIN)
		return (err_set(e, ERR_FORBIDDEN, "only an admin may give a lab to another user"));
	if ((uid = db_int(DB, -1, "SELECT id FROM users WHERE name = ?", "s", owner)) == -1)
		return (err_set(e, ERR_INVALID, "owner: no user '%.64s'", owner));
	if (db_exec(DB, e, "UPDATE labs SET owner_id = ? WHERE id = ?", "ii", uid, lab) == -1 ||
	    db_exec(DB, e, "DELETE FROM lab_shares WHERE lab_id = ? AND user_id = ?", "ii", lab,
	        uid) == -1)
		return (-1);
	return (0);
}

/*
 * New console tokens for every node of lab: whoever could see the old ones
 * under the old shares cannot log in on a console with them any more (and
 * the consoles they are on are dropped when the daemon rechecks them).
 */
static int
console_tokens_rotate(int64_t lab, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e, "SELECT id FROM nodes WHERE lab_id = ?", "i", lab), *r;
	char token[SECRET_TOKEN_LEN + 1];
	size_t i;
	int ret = rows == NULL ? -1 : 0;

	json_array_foreach(rows, i, r) {
		if (ret == 0 && secret_token(token, sizeof(token)) == -1)
			ret = err_set(e, ERR_INTERNAL, "no randomness for a console token");
		token[1] = 'c';
		if (ret == 0 &&
		    db_exec(DB, e, "UPDATE nodes SET console_token = ? WHERE id = ?", "si", token,
		        json_integer_value(json_object_get(r, "id"))) == -1)
			ret = -1;
	}
	json_decref(rows);
	return (ret);
}

int
access_rotate_user(int64_t user, struct lw_err *e)
{
	json_t *rows = db_rows(DB, e,
	    "SELECT id FROM labs WHERE (SELECT role FROM users WHERE id = ?) = 'admin'"
	    " OR owner_id = ? OR id IN (SELECT lab_id FROM lab_shares WHERE user_id = ?"
	    "   AND access = 'write')",
	    "iii", user, user, user);
	json_t *r;
	size_t i;
	int ret = rows == NULL ? -1 : 0;

	json_array_foreach(rows, i, r)
		if (ret == 0)
			ret =
			    console_tokens_rotate(json_integer_value(json_object_get(r, "id")), e);
	json_decref(rows);
	return (ret);
}

int
access_apply(const struct who *w, int64_t lab, json_t *body, struct lw_err *e)
{
	json_t *owner = json_object_get(body, "owner"), *sw = json_object_get(body, "shared_with"),
	       *s;
	size_t i;

	if (owner == NULL && sw == NULL)
		return (0);
	if (access_lab(w, lab) < ACCESS_OWN)
		return (err_set(e, ERR_FORBIDDEN, "only the lab's owner or an admin may share it"));
	if (owner != NULL && owner_apply(w, lab, json_string_value(owner), e) == -1)
		return (-1);
	if (console_tokens_rotate(lab, e) == -1)
		return (-1);
	if (sw != NULL) {
		int64_t own = db_int(DB, 0, "SELECT owner_id FROM labs WHERE id = ?", "i", lab);

		if (db_exec(DB, e, "DELETE FROM lab_shares WHERE lab_id = ?", "i", lab) == -1)
			return (-1);
		json_array_foreach(sw, i, s)
			if (share_one(lab, own, s, i, e) == -1)
				return (-1);
	}
	access_changed();
	return (0);
}

/* A node object's console token is for those who may type on it. */
static void
redact_node(json_t *node)
{
	json_t *con = json_object_get(node, "console");

	if (json_is_object(con))
		json_object_del(con, "token");
}

void
access_redact(json_t *out, int level, bool is_lab)
{
	json_t *v;
	size_t i;

	if (!json_is_object(out))
		return;
	if (is_lab && json_object_get(out, "nodes") != NULL &&
	    json_object_get(out, "links") != NULL)
		json_object_set_new(out, "access", json_string(access_level_name(level)));
	if (level >= ACCESS_WRITE)
		return;
	redact_node(out);
	json_array_foreach(json_object_get(out, "nodes"), i, v)
		redact_node(v);
}

unsigned
access_generation(void)
{
	return (atomic_load(&generation));
}

void
access_changed(void)
{
	atomic_fetch_add(&generation, 1);
}
