/*
 * upload - a disk image file streamed into the daemon's image store with a
 * Content-Length, never held in memory, its progress on stderr when that is
 * a terminal. The file must stay as it was while it goes: one that shrinks
 * fails the upload rather than send less than was promised.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/base/clock.h"
#include "core/base/names.h"
#include "core/cli/cli_int.h"

#define CLI_UPLOAD_TICK_MS 250 /* between redraws of the upload's progress line */
/*
 * An upload gives up when nothing moved for this long. There is no limit on
 * the whole: a large image over a slow link takes what it takes, and the
 * daemon checks the image (qemu-img check) before it answers.
 */
#define CLI_UPLOAD_STALL_S 1900L /* the daemon may check a big image for up to 1800 s */

struct cli_upload {
	const char *file;  /* as given, for messages */
	const char *label; /* its base name, for the progress line */
	int fd;
	uint64_t size;     /* when opened: the Content-Length promised */
	uint64_t read;     /* handed to curl so far */
	uint64_t sent;     /* on the wire, once the request is over */
	int rerr;          /* errno of a read that failed; ENODATA: the file shrank */
	int tty;           /* stderr is a terminal: a progress line, redrawn */
	int width;         /* of the progress line drawn and not yet ended; 0 when none */
	long long next_ms; /* of the next redraw */
};
/* cli_upload_open - FILE, a non-empty regular file, opened; 0, or -1 having told the user. */
static int
cli_upload_open(struct cli_upload *u, const char *file)
{
	const char *why = NULL, *slash = strrchr(file, '/');
	struct stat sb;

	if ((u->fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "labwire: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	if (fstat(u->fd, &sb) == -1)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode)) /* a pipe has no length to promise */
		why = "not a regular file";
	else if (sb.st_size == 0)
		why = "empty file";
	if (why != NULL) {
		fprintf(stderr, "labwire: %s: %s\n", file, why);
		close(u->fd);
		u->fd = -1;
		return (-1);
	}
	u->file = file;
	u->label = slash != NULL ? slash + 1 : file;
	u->size = (uint64_t)sb.st_size;
	return (0);
}

/*
 * cli_upload_name - name (--name), else the file's base name. The daemon
 * judges an explicit name itself; a base name it would refuse is better
 * explained here.
 */
static const char *
cli_upload_name(const char *name, const struct cli_upload *u)
{
	if (name != NULL)
		return (name);
	if (!names_valid(u->label)) {
		fprintf(stderr,
		    "labwire: '%s' cannot be an image name (1-63 of A-Z a-z 0-9 _ . -, starting "
		    "with a letter or digit, no '..', not all digits); pass --name NAME\n",
		    u->label);
		return (NULL);
	}
	return (u->label);
}

/* cli_upload_path - CLI_API "/images?name=N[&template=T]", both escaped; 0 or -1 (told). */
static int
cli_upload_path(char *buf, size_t len, const char *name, const char *tmpl)
{
	char *en = curl_easy_escape(NULL, name, 0), *et = NULL;
	int n = -1;

	if (tmpl != NULL)
		et = curl_easy_escape(NULL, tmpl, 0);
	if (en != NULL && (tmpl == NULL || et != NULL))
		n = snprintf(buf, len, CLI_API "/images?name=%s%s%s", en, et ? "&template=" : "",
		    et ? et : "");
	curl_free(en);
	curl_free(et);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: image or template name too long\n");
		return (-1);
	}
	return (0);
}

/* cli_upload_read - curl's read callback: the next piece of the file, never past its size. */
static size_t
cli_upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct cli_upload *u = arg;
	size_t want = size * nitems;
	ssize_t n;

	if (want > u->size - u->read)
		want = (size_t)(u->size - u->read);
	if (want == 0)
		return (0);
	n = TEMP_FAILURE_RETRY(read(u->fd, buf, want));
	if (n <= 0) {
		/* The Content-Length is promised: a file that shrank cannot keep it. */
		u->rerr = n == 0 ? ENODATA : errno;
		return (CURL_READFUNC_ABORT);
	}
	u->read += (uint64_t)n;
	return ((size_t)n);
}

/* cli_upload_seek - curl rewinds the body when it must send it again. */
static int
cli_upload_seek(void *arg, curl_off_t offset, int origin)
{
	struct cli_upload *u = arg;

	if (origin != SEEK_SET || offset < 0 || lseek(u->fd, (off_t)offset, SEEK_SET) == -1)
		return (CURL_SEEKFUNC_CANTSEEK);
	u->read = (uint64_t)offset;
	return (CURL_SEEKFUNC_OK);
}

/* cli_upload_draw - line on stderr; on a terminal over the one before, padded to cover it. */
static void
cli_upload_draw(struct cli_upload *u, const char *line, int final)
{
	int n = (int)strlen(line);

	fprintf(stderr, "%s%-*s%s", u->width > 0 ? "\r" : "", u->width, line, final ? "\n" : "");
	fflush(stderr);
	u->width = final ? 0 : n > u->width ? n : u->width;
}

/* cli_upload_show - "uploading F: 45% (120 MiB of 266 MiB)", sent bytes so far. */
static void
cli_upload_show(struct cli_upload *u, uint64_t sent, int final)
{
	char line[512], a[32], b[32];

	cli_fmt_size(sent, a, sizeof(a));
	cli_fmt_size(u->size, b, sizeof(b));
	snprintf(line, sizeof(line), "uploading %s: %s%d%% (%s of %s)%s", u->label,
	    final ? "stopped at " : "", (int)(sent * 100 / u->size), a, b,
	    !final && sent == u->size ? ", the daemon checks it" : "");
	cli_upload_draw(u, line, final);
}

/*
 * cli_upload_end - the last line, always. Whole only when the daemon
 * answered: curl counts as sent what the kernel took, and a connection
 * that broke can have taken it all.
 */
static void
cli_upload_end(struct cli_upload *u, int answered)
{
	char line[512], b[32];

	if (!answered || u->sent != u->size) {
		cli_upload_show(u, u->sent, 1);
		return;
	}
	cli_fmt_size(u->size, b, sizeof(b));
	snprintf(line, sizeof(line), "uploaded %s (%s)", u->label, b);
	cli_upload_draw(u, line, 1);
}

/* cli_upload_tick - curl's progress callback, installed when stderr is a terminal. */
static int
cli_upload_tick(
    void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct cli_upload *u = arg;
	long long now = clock_mono_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (now >= u->next_ms) {
		cli_upload_show(u, (uint64_t)ulnow, 0);
		u->next_ms = now + CLI_UPLOAD_TICK_MS;
	}
	return (0);
}

static void
cli_upload_setopt(CURL *c, struct cli_upload *u)
{
	/* A POST with a Content-Length (not chunked): the body read from the file as it goes. */
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, cli_upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, u);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, cli_upload_seek);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, u);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, CLI_UPLOAD_STALL_S);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (u->tty) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, cli_upload_tick);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, u);
	}
}

/* cli_upload_run - POST the file to path: the answer into resp, its status *st; curl's code. */
static CURLcode
cli_upload_run(struct cli_upload *u, const char *path, struct cli_buf *resp, long *st, char *errbuf)
{
	/* 100-continue: a taken name or a size over the limit is refused before the
	 * first byte of the image goes out, not after the last. */
	const char *want[] = {"Accept: application/json", "Content-Type: application/octet-stream",
	    "Expect: 100-continue"};
	struct curl_slist *hdrs;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	curl_off_t sent = 0;
	CURL *c;

	if ((hdrs = cli_http_headers(want, sizeof(want) / sizeof(want[0]))) == NULL)
		return (rc);
	if ((c = cli_http_easy(path, hdrs, resp, errbuf)) != NULL) {
		cli_upload_setopt(c, u);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, st);
		curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hdrs);
	u->sent = (uint64_t)sent;
	return (rc);
}

/* cli_upload_judge - the image the daemon made into *img; 0, or -1 having told the user. */
static int
cli_upload_judge(const struct cli_upload *u, CURLcode rc, long st, const struct cli_buf *resp,
    const char *errbuf, json_t **img)
{
	if (u->rerr != 0)
		fprintf(stderr, "labwire: %s: %s\n", u->file,
		    u->rerr == ENODATA ? "the file got shorter while it was sent"
		                       : strerror(u->rerr));
	/* A refusal may come before the body was all sent; it ends the upload too. */
	else if (st >= 200 && (rc == CURLE_OK || st >= 300))
		return (cli_http_answer(st, resp, img));
	else if (st == 0 && u->sent == 0)
		cli_http_unreachable(rc, errbuf);
	else
		fprintf(stderr, "labwire: the upload broke off: %s\n", cli_http_why(rc, errbuf));
	return (-1);
}

int
cli_upload(const char *file, const char *name, const char *tmpl, json_t **img)
{
	char path[CLI_PATH_MAX], errbuf[CURL_ERROR_SIZE] = "";
	struct cli_upload u = {.fd = -1, .tty = isatty(STDERR_FILENO)};
	struct cli_buf resp = {0};
	CURLcode rc;
	long st = 0;
	int ret = CLI_FAIL;

	*img = NULL;
	if (cli_upload_open(&u, file) == -1)
		return (CLI_FAIL);
	if ((name = cli_upload_name(name, &u)) == NULL) {
		ret = CLI_USAGE;
		goto out;
	}
	if (cli_upload_path(path, sizeof(path), name, tmpl) == -1)
		goto out;
	rc = cli_upload_run(&u, path, &resp, &st, errbuf);
	cli_upload_end(&u, st >= 200);
	if (cli_upload_judge(&u, rc, st, &resp, errbuf, img) == 0)
		ret = CLI_OK;
out:
	free(resp.p);
	close(u.fd);
	return (ret);
}
