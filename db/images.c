/*
 * db/images - the images table.
 */
#include <stdio.h>
#include <string.h>

#include "db/images.h"

#define IMAGE_COLS                                                                                 \
	"id, name, template, state, format, virtual_size, size, expected, sha256, created_at"

/* A column of row as a string, "" when NULL. */
static void
row_str(json_t *row, const char *col, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(row, col));

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

int64_t
db_image_insert(struct db *db, const char *name, const char *tmpl, int64_t expected,
    int64_t created_at, struct lw_err *e)
{
	return (db_insert(db, e,
	    "INSERT INTO images (name, template, expected, created_at) VALUES (?,?,?,?)", "ssii",
	    name, tmpl, expected, created_at));
}

int
db_image_set_size(struct db *db, int64_t id, int64_t size, struct lw_err *e)
{
	if (db_exec(db, e, "UPDATE images SET size = ? WHERE id = ?", "ii", size, id) == -1)
		return (-1);
	return (0);
}

int
db_image_publish(struct db *db, int64_t id, const char *fmt, int64_t virtual_size, int64_t size,
    const char *sha256, struct lw_err *e)
{
	int r = db_exec(db, e,
	    "UPDATE images SET state = 'ready', format = ?, virtual_size = ?, size = ?,"
	    " sha256 = ? WHERE id = ?",
	    "siisi", fmt, virtual_size, size, sha256, id);

	if (r == -1)
		return (-1);
	return (
	    r == 1 ? 0 : err_set(e, ERR_INTERNAL, "image %lld: its record is gone", (long long)id));
}

int
db_image_delete(struct db *db, int64_t id, struct lw_err *e)
{
	if (db_exec(db, e, "DELETE FROM images WHERE id = ?", "i", id) == -1)
		return (-1);
	return (0);
}

int
db_image_find(struct db *db, const char *name, struct db_image *out, struct lw_err *e)
{
	json_t *row =
	    db_row(db, e, "SELECT id, state, format FROM images WHERE name = ?", "s", name);

	if (row == NULL)
		return (-1);
	out->id = json_integer_value(json_object_get(row, "id"));
	row_str(row, "state", out->state, sizeof(out->state));
	row_str(row, "format", out->format, sizeof(out->format));
	json_decref(row);
	return (0);
}

json_t *
db_image_json_by_id(struct db *db, int64_t id, struct lw_err *e)
{
	return (db_row(db, e, "SELECT " IMAGE_COLS " FROM images WHERE id = ?", "i", id));
}

json_t *
db_image_json(struct db *db, const char *name, struct lw_err *e)
{
	return (db_row(db, e, "SELECT " IMAGE_COLS " FROM images WHERE name = ?", "s", name));
}

json_t *
db_image_json_all(struct db *db, struct lw_err *e)
{
	return (db_rows(db, e, "SELECT " IMAGE_COLS " FROM images ORDER BY name", ""));
}

int64_t
db_image_used_by(struct db *db, const char *name)
{
	return (
	    db_int(db, 0, "SELECT COUNT(*) FROM nodes WHERE image = ?1 OR cdrom = ?1", "s", name));
}

int
db_image_first_user(struct db *db, const char *name, char *lab, size_t lablen, char *node,
    size_t nodelen, struct lw_err *e)
{
	/* Two rows tell "the first, and whether there are others". */
	json_t *users = db_rows(db, e,
	    "SELECT l.name AS lab, n.name AS node FROM nodes n JOIN labs l ON l.id = n.lab_id"
	    " WHERE n.image = ?1 OR n.cdrom = ?1 ORDER BY l.name, n.name LIMIT 2",
	    "s", name);
	int n;

	if (users == NULL)
		return (-1);
	if ((n = (int)json_array_size(users)) > 0) {
		row_str(json_array_get(users, 0), "lab", lab, lablen);
		row_str(json_array_get(users, 0), "node", node, nodelen);
	}
	json_decref(users);
	return (n);
}

int
db_image_newest_ready(struct db *db, const char *tmpl, bool iso, char *name, size_t len)
{
	json_t *row = db_row(db, NULL,
	    "SELECT name FROM images WHERE template = ? AND state = 'ready'"
	    " AND (lower(name) LIKE '%.iso') = ? ORDER BY id DESC",
	    "sI", tmpl, (int)iso);

	if (row == NULL)
		return (-1);
	row_str(row, "name", name, len);
	json_decref(row);
	return (0);
}

struct image_each {
	void (*fn)(int64_t id, const char *name, void *arg);
	void *arg;
};

static void
image_each_row(json_t *row, void *arg)
{
	struct image_each *ie = arg;

	ie->fn(json_integer_value(json_object_get(row, "id")),
	    json_string_value(json_object_get(row, "name")), ie->arg);
}

int
db_image_each_unfinished(
    struct db *db, void (*fn)(int64_t id, const char *name, void *arg), void *arg)
{
	struct image_each ie = {fn, arg};

	/* fn may delete the row it is given: db_each reads them all first. */
	return (db_each(db, NULL, image_each_row, &ie,
	    "SELECT id, name FROM images WHERE state != 'ready'", ""));
}
