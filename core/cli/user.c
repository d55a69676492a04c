/*
 * user - the "user" commands over REST (an admin's: list, add, passwd, rm;
 * anyone's: passwd of their own), or, with --data-dir, on the store itself
 * (useradm.c): the recovery path for root on the host, daemon running or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

static int
user_path(char *buf, size_t len, const char *name)
{
	char *en = curl_easy_escape(NULL, name, 0);
	int n = en != NULL ? snprintf(buf, len, CLI_API "/users/%s", en) : -1;

	curl_free(en);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* body as JSON text to method path; the exit status. */
static int
user_send(const char *method, const char *path, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	long st;
	int rc = cli_http(method, path, text, &st, NULL);

	free(text);
	json_decref(body);
	return (rc == 0 ? CLI_OK : CLI_FAIL);
}

int
cli_user_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 5};
	const json_t *u;
	json_t *ans;
	size_t i;
	long st;

	if (a->data_dir != NULL)
		return (cli_useradm(a, "list"));
	if (cli_http("GET", CLI_API "/users", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(
	    &t, (const char *[]){"NAME", "ROLE", "RUNNING-NODES", "RAM-MB", "CAPTURE-MB"});
	json_array_foreach(json_object_get(ans, "users"), i, u) {
		const json_t *q = json_object_get(u, "quota"), *us = json_object_get(u, "usage");
		char b[5][64], c[3][64];

		for (int k = 0; k < 3; k++) {
			const char *key = k == 0 ? "running_nodes"
			    : k == 1             ? "ram_mb"
			                         : "capture_mb";
			long long lim = json_integer_value(json_object_get(q, key));

			snprintf(c[k], sizeof(c[k]), "%lld/%s",
			    (long long)json_integer_value(json_object_get(us, key)),
			    lim ? (snprintf(b[k + 2], sizeof(b[k + 2]), "%lld", lim), b[k + 2])
			        : "-");
		}
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(u, "name", b[0], sizeof(b[0])),
		        cli_fmt_field(u, "role", b[1], sizeof(b[1])), c[0], c[1], c[2]});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

int
cli_user_add(struct cli_args *a)
{
	char pw[300];

	if (a->data_dir != NULL)
		return (cli_useradm(a, "add"));
	if (cli_read_password("new user's password: ", pw, sizeof(pw)) == -1)
		return (CLI_FAIL);
	return (user_send("POST", CLI_API "/users",
	    json_pack("{s:s,s:s,s:s}", "name", a->pos[0], "password", pw, "role",
	        a->role ? a->role : "user")));
}

int
cli_user_passwd(struct cli_args *a)
{
	char pw[300], cur[300] = "", path[CLI_PATH_MAX];
	json_t *me = NULL, *body;
	long st;
	bool self_user;

	if (a->data_dir != NULL)
		return (cli_useradm(a, "passwd"));
	if (user_path(path, sizeof(path), a->pos[0]) == -1 ||
	    cli_http("GET", CLI_API "/auth/me", NULL, &st, &me) == -1)
		return (CLI_FAIL);
	/* An admin sets anyone's; a user proves they know their own first. */
	self_user = strcmp(cli_fmt_string(me, "role"), "admin") != 0;
	json_decref(me);
	if (self_user && cli_read_password("current password: ", cur, sizeof(cur)) == -1)
		return (CLI_FAIL);
	if (cli_read_password("new password: ", pw, sizeof(pw)) == -1)
		return (CLI_FAIL);
	body = json_pack("{s:s}", "password", pw);
	if (self_user)
		json_object_set_new(body, "current_password", json_string(cur));
	return (user_send("PATCH", path, body));
}

int
cli_user_rm(struct cli_args *a)
{
	char path[CLI_PATH_MAX];

	if (a->data_dir != NULL)
		return (cli_useradm(a, "rm"));
	if (user_path(path, sizeof(path), a->pos[0]) == -1)
		return (CLI_FAIL);
	return (user_send("DELETE", path, NULL));
}
