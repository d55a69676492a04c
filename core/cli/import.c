/*
 * import - "lab import" and "lab export": a lab file of another tool (or
 * labwire's own export) posted as it is to the daemon, which reads,
 * maps and creates it, and whose report is printed here for people; and a
 * lab written out as a file. The file is never parsed here: which format it
 * is and what is wrong with it is the daemon's to say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

/* import_param - "?K=V" ("&K=V" after the first) appended to path, V escaped; nothing when V is
 * NULL. 0, or -1 (told). */
static int
import_param(char *path, size_t len, const char *k, const char *v)
{
	size_t used = strlen(path);
	char *ev;
	int n = -1;

	if (v == NULL)
		return (0);
	if ((ev = curl_easy_escape(NULL, v, 0)) != NULL)
		n = snprintf(path + used, len - used, "%c%s=%s",
		    strchr(path, '?') != NULL ? '&' : '?', k, ev);
	curl_free(ev);
	if (n < 0 || (size_t)n >= len - used) {
		fprintf(stderr, "labwire: name or format too long\n");
		return (-1);
	}
	return (0);
}

/*
 * import_request - method on path with body (n bytes, any bytes, or NULL):
 * the answer's bytes into resp, its status into *status. 0, or -1 having
 * told the user the daemon did not answer.
 */
static int
import_request(const char *method, const char *path, const char *body, size_t n,
    struct cli_buf *resp, long *status)
{
	const char *want[] = {
	    "Expect:", body != NULL ? "Content-Type: application/octet-stream" : NULL};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	CURL *c = NULL;

	*status = 0;
	if ((hdrs = cli_http_headers(want, 2)) != NULL &&
	    (c = cli_http_handle(method, path, NULL, hdrs, resp, errbuf)) != NULL) {
		/* The file's own length: it may hold any bytes, a NUL too. */
		if (body != NULL) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		}
		if ((rc = curl_easy_perform(c)) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	}
	if (rc != CURLE_OK)
		cli_http_unreachable(rc, errbuf);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return (rc == CURLE_OK ? 0 : -1);
}

/* import_mapped - the table of nodes: from (the file's kind) → template, substitutes marked. */
static int
import_mapped(const json_t *mapped)
{
	struct cli_table t = {.ncol = 4};
	const json_t *m;
	size_t i;

	cli_table_row(&t, (const char *[]){"NODE", "FROM", "TO", "NOTE"});
	json_array_foreach(mapped, i, m) {
		char b[3][64], note[320];
		const char *why = cli_fmt_string(m, "reason");

		if (json_is_true(json_object_get(m, "substitute")))
			snprintf(note, sizeof(note), "substitute%s%s", *why ? ": " : "", why);
		else
			snprintf(note, sizeof(note), "%s", *why ? why : "-");
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(m, "node", b[0], sizeof(b[0])),
		        cli_fmt_field(m, "from", b[1], sizeof(b[1])),
		        cli_fmt_field(m, "to", b[2], sizeof(b[2])), note});
	}
	return (cli_table_done(&t));
}

/* import_list - a heading and one line per entry: "  A: B: C" of the keys given. */
static void
import_list(const char *heading, const json_t *a, const char *k1, const char *k2, const char *k3,
    const char *sep)
{
	const json_t *e;
	size_t i;

	if (json_array_size(a) == 0)
		return;
	printf("\n%s:\n", heading);
	json_array_foreach(a, i, e) {
		printf("  %s", cli_fmt_string(e, k1));
		if (k2 != NULL)
			printf("%s%s", sep, cli_fmt_string(e, k2));
		if (k3 != NULL && *cli_fmt_string(e, k3) != '\0')
			printf(": %s", cli_fmt_string(e, k3));
		printf("\n");
	}
}

/* import_count - "3 nodes", "1 link": r[key] counted in words. */
static const char *
import_count(const json_t *r, const char *key, const char *what, char *buf, size_t len)
{
	json_int_t n = json_integer_value(json_object_get(r, key));

	snprintf(buf, len, "%" JSON_INTEGER_FORMAT " %s%s", n, what, n == 1 ? "" : "s");
	return (buf);
}

/* import_report - the daemon's 201 answer {lab, report} for people. */
static int
import_report(const json_t *ans)
{
	const json_t *lab = json_object_get(ans, "lab"), *r = json_object_get(ans, "report");
	char id[32], n[3][48];
	json_t *more;
	int ret;

	printf("imported lab %s (id %s) from %s: %s, %s (%s)\n\n", cli_fmt_string(lab, "name"),
	    cli_fmt_field(lab, "id", id, sizeof(id)), cli_fmt_string(r, "format"),
	    import_count(r, "nodes", "node", n[0], sizeof(n[0])),
	    import_count(r, "links", "link", n[1], sizeof(n[1])),
	    import_count(r, "lans", "LAN segment", n[2], sizeof(n[2])));
	ret = import_mapped(json_object_get(r, "mapped"));
	import_list("nodes renamed", json_object_get(r, "renamed"), "from", "to", NULL, " -> ");
	if (json_array_size(json_object_get(r, "interfaces")) > 0) {
		const json_t *e;
		size_t i;

		printf("\ninterfaces renamed:\n");
		json_array_foreach(json_object_get(r, "interfaces"), i, e)
			printf("  %s: %s -> %s\n", cli_fmt_string(e, "node"),
			    cli_fmt_string(e, "from"), cli_fmt_string(e, "to"));
	}
	import_list("dropped", json_object_get(r, "dropped"), "what", "reason", NULL, ": ");
	if (json_is_integer(more = json_object_get(r, "dropped_more")))
		printf("  ... and %" JSON_INTEGER_FORMAT " more\n", json_integer_value(more));
	import_list("kept on the node, not applied", json_object_get(r, "kept"), "node", "what",
	    "reason", ": ");
	if (json_is_integer(more = json_object_get(r, "kept_more")))
		printf("  ... and %" JSON_INTEGER_FORMAT " more\n", json_integer_value(more));
	return (ret);
}

int
cli_lab_import(struct cli_args *a)
{
	char path[CLI_PATH_MAX] = CLI_API "/labs/import";
	struct cli_buf file = {0}, resp = {0};
	json_t *ans = NULL;
	long st;
	int ret = CLI_FAIL;

	if (cli_buf_load(a->pos[0], &file) == -1)
		goto out;
	if (import_param(path, sizeof(path), "format", a->format) == -1 ||
	    import_param(path, sizeof(path), "name", a->name) == -1 ||
	    import_request("POST", path, file.p, file.n, &resp, &st) == -1)
		goto out;
	/* Only a 201 created the lab; the daemon's message says what was wrong with the file. */
	if (cli_http_answer(st, &resp, &ans) == -1)
		goto out;
	/* Names, kinds and reasons come from the file: no terminal escapes reach the screen. */
	cli_fmt_clean(ans);
	ret = import_report(ans) == 0 ? CLI_OK : CLI_FAIL;
out:
	json_decref(ans);
	free(resp.p);
	free(file.p);
	return (ret);
}

/* export_write - n bytes of p to file (NULL or "-": stdout); 0, or -1 having told the user. */
static int
export_write(const char *file, const char *p, size_t n)
{
	int fd = STDOUT_FILENO, ret = 0;
	ssize_t w;

	if (file != NULL && strcmp(file, "-") != 0 &&
	    (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	fflush(stdout);
	for (size_t off = 0; off < n; off += (size_t)w)
		if ((w = TEMP_FAILURE_RETRY(write(fd, p + off, n - off))) <= 0) {
			ret = -1;
			break;
		}
	if (fd != STDOUT_FILENO && close(fd) == -1)
		ret = -1;
	if (ret == -1)
		fprintf(stderr, "labwire: %s: %s\n", fd == STDOUT_FILENO ? "stdout" : file,
		    strerror(errno));
	return (ret);
}

int
cli_lab_export(struct cli_args *a)
{
	char path[CLI_PATH_MAX], size[32];
	struct cli_buf resp = {0};
	long st;
	int ret = CLI_FAIL;

	if (cli_http_path(path, sizeof(path), a->pos[0], NULL, "/export") == -1 ||
	    import_param(path, sizeof(path), "format", a->format) == -1 ||
	    import_param(path, sizeof(path), "as", a->yaml ? "yaml" : NULL) == -1 ||
	    import_request("GET", path, NULL, 0, &resp, &st) == -1)
		goto out;
	if (st < 200 || st > 299) {
		cli_http_answer(st, &resp, NULL);
		goto out;
	}
	if (export_write(a->ofile, resp.p != NULL ? resp.p : "", resp.n) == -1)
		goto out;
	if (a->ofile != NULL && strcmp(a->ofile, "-") != 0) {
		cli_fmt_size(resp.n, size, sizeof(size));
		printf("exported lab %s to %s (%s)\n", a->pos[0], a->ofile, size);
	}
	ret = CLI_OK;
out:
	free(resp.p);
	return (ret);
}
