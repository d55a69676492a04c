/*
 * auth - the CLI's identity: `labwire login` (a session token kept per
 * daemon URL in a 0600 file), `logout`, `whoami`, API tokens for
 * automation (`token create|list|rm`), the token each command sends
 * (--token, else $LABWIRE_TOKEN, else the stored one) and reading a
 * password without echo.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

#define CRED_LINE 2048

/* The credentials file: $XDG_CONFIG_HOME/labwire/credentials, else ~/.config/labwire/... */
static int
cred_path(char *buf, size_t len, bool mkdirs)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX];

	if (xdg != NULL && *xdg == '/')
		snprintf(dir, sizeof(dir), "%s/labwire", xdg);
	else if (home != NULL && *home == '/')
		snprintf(dir, sizeof(dir), "%s/.config/labwire", home);
	else
		return (-1);
	if (mkdirs) {
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", dir);
		*strrchr(parent, '/') = '\0';
		mkdir(parent, 0700);
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return (-1);
	}
	return (snprintf(buf, len, "%s/credentials", dir) >= (int)len ? -1 : 0);
}

/* The token stored for url into tok (len bytes); 0, or -1 when there is none. */
static int
cred_find(const char *url, char *tok, size_t len)
{
	char path[PATH_MAX], line[CRED_LINE], u[1100], t[300];
	FILE *f;
	int ret = -1;

	if (cred_path(path, sizeof(path), false) == -1 || (f = fopen(path, "re")) == NULL)
		return (-1);
	while (ret == -1 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%1099s %299s", u, t) == 2 && strcmp(u, url) == 0 &&
		    strlen(t) < len) {
			snprintf(tok, len, "%s", t);
			ret = 0;
		}
	fclose(f);
	return (ret);
}

/* Rewrite the file with url's token replaced by tok (NULL: removed), 0600 throughout. */
static int
cred_store(const char *url, const char *tok)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], line[CRED_LINE], u[1100];
	FILE *in, *out;
	int fd;

	if (cred_path(path, sizeof(path), true) == -1)
		return (-1);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1 ||
	    (out = fdopen(fd, "w")) == NULL)
		return (-1);
	if ((in = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL)
			if (sscanf(line, "%1099s", u) == 1 && strcmp(u, url) != 0)
				fputs(line, out);
		fclose(in);
	}
	if (tok != NULL)
		fprintf(out, "%s %s\n", url, tok);
	if (fclose(out) != 0 || rename(tmp, path) == -1)
		return (-1);
	return (0);
}

int
cli_auth_setup(const char *flag_token)
{
	const char *env = getenv("LABWIRE_TOKEN");
	char stored[300];

	if (flag_token != NULL)
		return (cli_set_token(flag_token));
	if (env != NULL && *env != '\0')
		return (cli_set_token(env));
	if (cred_find(cli_http_base(), stored, sizeof(stored)) == 0)
		return (cli_set_token(stored));
	return (0);
}

int
cli_read_password(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *nl;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	/* Not a terminal: one line of stdin (echo PASS | labwire login USER). */
	if (fgets(buf, (int)len, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	if (buf[0] == '\0') {
		fprintf(stderr, "labwire: no password given\n");
		return (-1);
	}
	return (0);
}

int
cli_login(struct cli_args *a)
{
	char pw[300];
	json_t *body, *ans = NULL;
	char *text;
	long st;
	int rc;

	if (cli_read_password("password: ", pw, sizeof(pw)) == -1)
		return (CLI_FAIL);
	body = json_pack("{s:s,s:s}", "username", a->pos[0], "password", pw);
	text = json_dumps(body, JSON_COMPACT);
	memset(pw, 0, sizeof(pw));
	cli_set_token(NULL); /* a stale token must not ride along */
	rc = cli_http("POST", CLI_API "/auth/login", text, &st, &ans);
	json_decref(body);
	free(text);
	if (rc == -1)
		return (CLI_FAIL);
	if (cred_store(cli_http_base(), json_string_value(json_object_get(ans, "token"))) == -1) {
		fprintf(stderr, "labwire: cannot store the token: %s\n", strerror(errno));
		json_decref(ans);
		return (CLI_FAIL);
	}
	printf("logged in to %s as %s (%s)\n", cli_http_base(), a->pos[0],
	    cli_fmt_string(json_object_get(ans, "user"), "role"));
	json_decref(ans);
	return (CLI_OK);
}

int
cli_logout(struct cli_args *a)
{
	long st;
	int rc = CLI_OK;

	(void)a;
	if (cli_has_token() && cli_http("POST", CLI_API "/auth/logout", NULL, &st, NULL) == -1)
		rc = CLI_FAIL;
	cred_store(cli_http_base(), NULL);
	return (rc);
}

int
cli_whoami(struct cli_args *a)
{
	json_t *ans;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/auth/me", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	printf("%s (%s) at %s\n", cli_fmt_string(ans, "name"), cli_fmt_string(ans, "role"),
	    cli_http_base());
	json_decref(ans);
	return (CLI_OK);
}

int
cli_token_create(struct cli_args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->pos[0]), *ans;
	char *text = json_dumps(body, JSON_COMPACT);
	long st;
	int rc = cli_http("POST", CLI_API "/auth/tokens", text, &st, &ans);

	json_decref(body);
	free(text);
	if (rc == -1)
		return (CLI_FAIL);
	/* Shown once: the daemon keeps only its digest. */
	printf("%s\n", cli_fmt_string(ans, "token"));
	json_decref(ans);
	return (CLI_OK);
}

int
cli_token_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 5};
	const json_t *tok;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/auth/tokens", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t, (const char *[]){"ID", "NAME", "CREATED", "LAST-USED", "EXPIRES"});
	json_array_foreach(json_object_get(ans, "tokens"), i, tok) {
		char b[5][64];

		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(tok, "id", b[0], sizeof(b[0])),
		        cli_fmt_field(tok, "name", b[1], sizeof(b[1])),
		        cli_fmt_field(tok, "created_at", b[2], sizeof(b[2])),
		        cli_fmt_field(tok, "last_used", b[3], sizeof(b[3])),
		        cli_fmt_field(tok, "expires_at", b[4], sizeof(b[4]))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

int
cli_token_rm(struct cli_args *a)
{
	char path[CLI_PATH_MAX], *e = curl_easy_escape(NULL, a->pos[0], 0);
	long st;
	int rc;

	snprintf(path, sizeof(path), CLI_API "/auth/tokens/%s", e ? e : "");
	curl_free(e);
	rc = cli_http("DELETE", path, NULL, &st, NULL);
	return (rc == 0 ? CLI_OK : CLI_FAIL);
}
