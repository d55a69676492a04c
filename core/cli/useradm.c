/*
 * useradm - `labwire user ... --data-dir DIR`: the users edited in the
 * store itself, for root on the host, with the daemon stopped (or not:
 * SQLite's WAL lets both write; the daemon keeps no user in memory). This
 * is how a forgotten admin password is recovered.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/cli/cli.h"
#include "core/cli/cli_int.h"
#include "db/db.h"
#include "labs/users.h"

static const struct who useradm_who = {.name = "(root on the host)", .role = ROLE_ADMIN};

static int
useradm_open(const char *dir)
{
	struct lw_err e = {0};
	char path[PATH_MAX];
	struct stat st;

	if (getuid() != 0)
		fprintf(stderr, "labwire: --data-dir works on the store itself; run it as root\n");
	if (snprintf(path, sizeof(path), "%s/labwire.db", dir) >= (int)sizeof(path) ||
	    stat(path, &st) == -1) {
		fprintf(stderr, "labwire: no labwire store at %s\n", path);
		return (-1);
	}
	snprintf(lw.cfg.data_dir, sizeof(lw.cfg.data_dir), "%s", dir);
	if ((lw.db = db_open(path, &e)) == NULL) {
		fprintf(stderr, "labwire: %s\n", e.msg);
		return (-1);
	}
	return (0);
}

static int
useradm_list(void)
{
	struct lw_err e = {0};
	json_t *all = users_list_json(&e), *u;
	size_t i;

	if (all == NULL) {
		fprintf(stderr, "labwire: %s\n", e.msg);
		return (CLI_FAIL);
	}
	json_array_foreach(json_object_get(all, "users"), i, u)
		printf("%s\t%s\n", cli_fmt_string(u, "name"), cli_fmt_string(u, "role"));
	json_decref(all);
	return (CLI_OK);
}

/* add, passwd or rm of a->pos[0]; 0 or -1 with e. */
static int
useradm_change(struct cli_args *a, const char *op, struct lw_err *e)
{
	char pw[300] = "";
	json_t *body = NULL;
	int64_t id;
	int rc;

	if (strcmp(op, "rm") != 0 && cli_read_password("new password: ", pw, sizeof(pw)) == -1)
		return (err_set(e, ERR_INVALID, "no password"));
	if (strcmp(op, "add") == 0) {
		body = json_pack("{s:s,s:s,s:s}", "name", a->pos[0], "password", pw, "role",
		    a->role ? a->role : "user");
		rc = users_create(&useradm_who, body, e) == -1 ? -1 : 0;
	} else if ((id = users_resolve(a->pos[0], e)) == -1) {
		rc = -1;
	} else if (strcmp(op, "passwd") == 0) {
		body = json_pack("{s:s}", "password", pw);
		rc = users_patch(&useradm_who, id, body, e);
	} else {
		rc = users_delete(&useradm_who, id, e);
	}
	memset(pw, 0, sizeof(pw));
	json_decref(body);
	return (rc);
}

int
cli_useradm(struct cli_args *a, const char *op)
{
	struct lw_err e = {0};
	int rc;

	if (useradm_open(a->data_dir) == -1)
		return (CLI_FAIL);
	if (strcmp(op, "list") == 0) {
		rc = useradm_list();
	} else if (useradm_change(a, op, &e) == -1) {
		fprintf(stderr, "labwire: %s\n", e.msg);
		rc = CLI_FAIL;
	} else {
		printf("user %s: %s done in %s\n", a->pos[0], op, a->data_dir);
		rc = CLI_OK;
	}
	db_close(lw.db);
	lw.db = NULL;
	return (rc);
}
