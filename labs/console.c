/*
 * lab_console - a node's console facts from the store and the template
 * table, and the console log's place under the data directory.
 */
#include <stdio.h>

#include "core/base/config.h"
#include "core/base/paths.h"
#include "db/db.h"
#include "images/template.h"
#include "labs/console.h"

/* Copy a row's string column; a NULL column is "". */
static void
copy_col(char *dst, size_t len, json_t *row, const char *col)
{
	const char *v = json_string_value(json_object_get(row, col));

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

int
lab_console_node(int64_t node, struct lab_console_node *n, struct lw_err *e)
{
	const struct template *t;
	json_t *row;

	row = db_row(lw.db, e, "SELECT template, state FROM nodes WHERE id = ?", "i", node);
	if (row == NULL)
		return (-1);
	copy_col(n->template, sizeof(n->template), row, "template");
	copy_col(n->state, sizeof(n->state), row, "state");
	json_decref(row);
	t = template_find(n->template);
	snprintf(n->config_export, sizeof(n->config_export), "%s", t ? t->config_export : "");
	snprintf(n->prompt, sizeof(n->prompt), "%s", t ? t->prompt : "");
	return (0);
}

int
lab_console_log_path(int64_t lab, int64_t node, char *buf, size_t len, struct lw_err *e)
{
	if (paths_lab(buf, len, lab, node, "/console.log") == -1)
		return (err_set(e, ERR_INTERNAL, "the console log path is too long"));
	return (0);
}
