/*
 * db/templates - the user_templates table.
 */
#include "db/templates.h"

struct template_each {
	void (*fn)(const char *name, const char *body, void *arg);
	void *arg;
};

static void
template_each_row(json_t *row, void *arg)
{
	struct template_each *te = arg;

	te->fn(json_string_value(json_object_get(row, "name")),
	    json_string_value(json_object_get(row, "body")), te->arg);
}

int
db_template_each(struct db *db, void (*fn)(const char *name, const char *body, void *arg),
    void *arg, struct lw_err *e)
{
	struct template_each te = {fn, arg};

	return (db_each(db, e, template_each_row, &te,
	    "SELECT name, body FROM user_templates ORDER BY name", ""));
}

int
db_template_put(
    struct db *db, const char *name, const char *body, int64_t created_at, struct lw_err *e)
{
	if (db_exec(db, e,
	        "INSERT INTO user_templates (name, body, created_at) VALUES (?,?,?)"
	        " ON CONFLICT (name) DO UPDATE SET body = excluded.body",
	        "ssi", name, body, created_at) == -1)
		return (-1);
	return (0);
}

int
db_template_delete(struct db *db, const char *name, struct lw_err *e)
{
	if (db_exec(db, e, "DELETE FROM user_templates WHERE name = ?", "s", name) == -1)
		return (-1);
	return (0);
}

int64_t
db_template_used_by(struct db *db, const char *name)
{
	return (db_int(db, 0, "SELECT COUNT(*) FROM nodes WHERE template = ?", "s", name));
}
