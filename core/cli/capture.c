/*
 * capture - the "capture" command: start a capture on a link, follow its
 * pcap into a file or pipe (stream.c) until Ctrl-C, the reader going away,
 * or the lab stopping, then stop it and report its counts. A capture it
 * started is stopped on every way out but a second signal; the file it
 * leaves on the daemon is the daemon's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

/* cli_capture_path - CLI_API "/labs/LAB/links/LINK/captures[/ID]TAIL", LINK and ID escaped. */
static int
cli_capture_path(
    char *buf, size_t len, const char *lab, const char *link, const char *id, const char *tail)
{
	char suffix[CLI_PATH_MAX], *el, *ei = NULL;
	int n = -1;

	if (*link == '\0') {
		fprintf(stderr, "labwire: empty link id\n");
		return (-1);
	}
	el = curl_easy_escape(NULL, link, 0);
	if (id != NULL)
		ei = curl_easy_escape(NULL, id, 0);
	if (el != NULL && (id == NULL || ei != NULL))
		n = snprintf(suffix, sizeof(suffix), "/links/%s/captures%s%s%s", el,
		    id != NULL ? "/" : "", id != NULL ? ei : "", tail);
	curl_free(el);
	curl_free(ei);
	if (n < 0 || (size_t)n >= sizeof(suffix)) {
		fprintf(stderr, "labwire: link id too long\n");
		return (-1);
	}
	return (cli_http_path(buf, len, lab, NULL, suffix));
}

/* cli_capture_body - the POST's JSON (caller frees), or NULL having told the user. */
static char *
cli_capture_body(const struct cli_args *a)
{
	json_t *req;
	char *body = NULL;

	if ((req = json_object()) == NULL)
		goto oom;
	if (a->filter != NULL && json_object_set_new(req, "filter", json_string(a->filter)) == -1) {
		fprintf(stderr, "labwire: the filter is not UTF-8 text\n");
		json_decref(req);
		return (NULL);
	}
	if (a->snaplen > 0 && json_object_set_new(req, "snaplen", json_integer(a->snaplen)) == -1)
		goto oom_req;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto oom_req;
	json_decref(req);
	return (body);
oom_req:
	json_decref(req);
oom:
	fprintf(stderr, "labwire: out of memory\n");
	return (NULL);
}

/* cli_capture_start - POST the capture, its id into id; 0, or -1 having told the user. */
static int
cli_capture_start(const struct cli_args *a, const char *path, char *id, size_t len)
{
	const json_t *jid;
	json_t *ans;
	char *body, b[64];
	long st;
	int ret = -1;

	if ((body = cli_capture_body(a)) == NULL)
		return (-1);
	if (cli_http("POST", path, body, &st, &ans) == 0) {
		jid = json_object_get(ans, "id");
		if (json_is_integer(jid) || (json_is_string(jid) && json_string_length(jid) > 0)) {
			snprintf(id, len, "%s", cli_fmt_field(ans, "id", b, sizeof(b)));
			ret = 0;
		} else
			fprintf(stderr, "labwire: the daemon's answer has no capture id\n");
		json_decref(ans);
	}
	free(body);
	return (ret);
}

/*
 * cli_capture_finish - the capture stopped (DELETE) if it still runs, and
 * its final counts on stderr; the exit status.
 */
static int
cli_capture_finish(const char *path, const char *id, int how)
{
	int stop = (how == CLI_STREAM_STOP);
	char b[3][32];
	json_t *cap = NULL;
	long st;

	/* Ended on the appliance (the lab stopped), or the stream broke while it runs on. */
	if (!stop) {
		if (cli_http("GET", path, NULL, &st, &cap) == -1)
			return (CLI_FAIL);
		if ((stop = strcmp(cli_fmt_string(cap, "state"), "running") == 0)) {
			json_decref(cap);
			cap = NULL;
		}
	}
	/* Stopped, its file stays on the appliance; the answer is the final object. */
	if (stop && cli_http("DELETE", path, NULL, &st, &cap) == -1)
		return (CLI_FAIL);
	fprintf(stderr, "capture %s: %s packets, %s bytes, %s dropped\n", id,
	    cli_fmt_field(cap, "packets", b[0], sizeof(b[0])),
	    cli_fmt_field(cap, "bytes", b[1], sizeof(b[1])),
	    cli_fmt_field(cap, "dropped", b[2], sizeof(b[2])));
	/* Ended by itself on the appliance: a limit, or a file it could not write. */
	if (strcmp(cli_fmt_string(cap, "state"), "failed") == 0)
		fprintf(stderr, "capture %s failed: %s\n", id, cli_fmt_string(cap, "error"));
	else if (cli_fmt_string(cap, "stop_reason")[0] != '\0')
		fprintf(stderr, "capture %s stopped at its %s\n", id,
		    cli_fmt_string(cap, "stop_reason"));
	json_decref(cap);
	return (how == CLI_STREAM_FAILED ? CLI_FAIL : CLI_OK);
}

/*
 * cli_capture_output - where the pcap goes: stdout, or file, opened but not
 * yet truncated (an old file survives a capture that cannot start);
 * *created if it is new. The fd, or -1 having told the user.
 */
static int
cli_capture_output(const char *file, int *created)
{
	int fd;

	*created = 0;
	if (file == NULL || strcmp(file, "-") == 0)
		return (STDOUT_FILENO);
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) != -1)
		*created = 1;
	else if (errno == EEXIST)
		fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
	return (fd);
}

static int
cli_capture_truncate(int fd, const char *file)
{
	struct stat sb;

	/* A FIFO (wireshark -k -i FIFO) has nothing to cut. */
	if (fd == STDOUT_FILENO || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return (0);
	if (ftruncate(fd, 0) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	return (0);
}

static const int cli_capture_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define CLI_CAPTURE_NSIGS (sizeof(cli_capture_sigs) / sizeof(cli_capture_sigs[0]))

/*
 * cli_capture_signals - a signal that would end us stops the capture first.
 * No SA_RESTART and nothing blocked: the signal wakes curl's wait, which then
 * asks stream.c's progress callback. SIGPIPE is ignored: a gone reader shows as EPIPE.
 * A signal ignored on entry (nohup, a background job) stays ignored.
 */
static void
cli_capture_signals(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	cli_signal_clear();
	for (size_t i = 0; i < CLI_CAPTURE_NSIGS; i++) {
		sigaction(cli_capture_sigs[i], NULL, &old[i]);
		if (cli_capture_sigs[i] != SIGPIPE && old[i].sa_handler == SIG_IGN)
			continue;
		sa.sa_handler = cli_capture_sigs[i] == SIGPIPE ? SIG_IGN : cli_signal_note;
		sigaction(cli_capture_sigs[i], &sa, NULL);
	}
}

static void
cli_capture_signals_restore(const struct sigaction *old)
{
	for (size_t i = 0; i < CLI_CAPTURE_NSIGS; i++)
		sigaction(cli_capture_sigs[i], &old[i], NULL);
}

/* cli_capture_follow - stream the running capture at cpath into fd; how it ended. */
static int
cli_capture_follow(int fd, const char *cpath)
{
	char path[CLI_PATH_MAX];

	if (cli_signal_caught())
		return (CLI_STREAM_STOP);
	if (snprintf(path, sizeof(path), "%s/pcap?follow=1", cpath) >= (int)sizeof(path)) {
		fprintf(stderr, "labwire: capture id too long\n");
		return (CLI_STREAM_FAILED);
	}
	return (cli_stream_follow(fd, fd != STDOUT_FILENO, path));
}

/* cli_capture_run - start the capture, follow it into fd, stop it; the exit status. */
static int
cli_capture_run(const struct cli_args *a, const char *base, int fd, int created)
{
	struct sigaction old[CLI_CAPTURE_NSIGS];
	char cpath[CLI_PATH_MAX], id[64];
	int how = CLI_STREAM_FAILED;

	cli_capture_signals(old);
	if (cli_capture_start(a, base, id, sizeof(id)) == -1) {
		if (created)
			unlink(a->wfile);
		cli_capture_signals_restore(old);
		return (CLI_FAIL);
	}
	fprintf(
	    stderr, "capture %s on lab %s link %s; Ctrl-C stops it\n", id, a->pos[0], a->pos[1]);
	if (cli_capture_path(cpath, sizeof(cpath), a->pos[0], a->pos[1], id, "") == -1) {
		cli_capture_signals_restore(old);
		return (CLI_FAIL);
	}
	if (cli_capture_truncate(fd, a->wfile) == 0)
		how = cli_capture_follow(fd, cpath);
	/* From here a second Ctrl-C ends us at once. */
	cli_capture_signals_restore(old);
	return (cli_capture_finish(cpath, id, how));
}

int
cli_capture(struct cli_args *a)
{
	char base[CLI_PATH_MAX];
	int fd, created, ret;

	if (a->wfile == NULL && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		    "labwire: not writing pcap to a terminal: add -w file.pcap, or pipe it:\n"
		    "  labwire capture %s %s | wireshark -k -i -\n",
		    a->pos[0], a->pos[1]);
		return (CLI_USAGE);
	}
	if (cli_capture_path(base, sizeof(base), a->pos[0], a->pos[1], NULL, "") == -1 ||
	    (fd = cli_capture_output(a->wfile, &created)) == -1)
		return (CLI_FAIL);
	ret = cli_capture_run(a, base, fd, created);
	if (fd != STDOUT_FILENO && close(fd) == -1 && ret == CLI_OK) {
		fprintf(stderr, "labwire: %s: %s\n", a->wfile, strerror(errno));
		ret = CLI_FAIL;
	}
	return (ret);
}
