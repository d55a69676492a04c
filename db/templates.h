/*
 * db/templates - the user_templates table: the templates users create over
 * the API, stored as their JSON text under their name, and how many nodes
 * use a template. It owns only these statements (prepared, through
 * db/db.c); it must not parse or judge a template (images/template.c does)
 * and includes nothing above db/. Callers hold lw_lock().
 */
#ifndef LW_DB_TEMPLATES_H
#define LW_DB_TEMPLATES_H

#include <stdint.h>

#include "core/base/err.h"
#include "db/db.h"

/* db_template_each - fn(name, body, arg) for every stored template, by name; the count or -1 with
 * e. */
int db_template_each(struct db *db, void (*fn)(const char *name, const char *body, void *arg),
    void *arg, struct lw_err *e);
/* db_template_put - store body under name, replacing a stored one; 0 or -1 with e. */
int db_template_put(
    struct db *db, const char *name, const char *body, int64_t created_at, struct lw_err *e);
/* db_template_delete - 0 or -1 with e. */
int db_template_delete(struct db *db, const char *name, struct lw_err *e);
/* db_template_used_by - how many nodes (in any lab) are of template name; 0 on error. */
int64_t db_template_used_by(struct db *db, const char *name);

#endif
