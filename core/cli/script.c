/*
 * script - a console driven from the command line: --send lines and
 * --expect regexes run in order against one telnet session, then all that
 * was received is printed. Everything is bounded by one deadline (--timeout);
 * the transcript is kept whole, so an --expect sees only what came after
 * the previous match.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/err.h"
#include "core/base/rx.h"
#include "core/cli/cli_int.h"
#include "core/cli/telnet_client.h"

#define CLI_CONSOLE_S 30  /* console --timeout default */
#define CLI_QUIET_MS 500  /* console output is over after this much silence */
#define CLI_SETTLE_MS 300 /* console output has paused: its end ends a line */

/*
 * cli_script_pump - wait until deadline for console bytes and add them to
 * t without "\r" (so "$" works on "\r\n" lines) or NUL. Returns 1 when something arrived, 0 at the
 * deadline, -1 when the console closed (errno 0) or failed.
 */
static int
cli_script_pump(struct telnet_client *tc, struct cli_buf *t, long long deadline)
{
	struct pollfd p = {.fd = telnet_client_fd(tc), .events = POLLIN};
	char buf[4096], clean[4096];
	long long left = deadline - clock_mono_ms();
	ssize_t n, i, k = 0;
	int r;

	r = poll(&p, 1, left > 0 ? (int)left : 0);
	if (r <= 0)
		return (r == -1 && errno == EINTR ? 1 : r);
	if ((n = telnet_client_read(tc, buf, sizeof(buf))) == -1)
		return (errno == EAGAIN ? 1 : -1);
	if (n == 0) {
		errno = 0;
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (buf[i] != '\r' && buf[i] != '\0')
			clean[k++] = buf[i];
	return (cli_buf_add(t, clean, (size_t)k) == -1 ? -1 : 1);
}

/*
 * cli_script_match - whether s->re matches after *pos, moving *pos past it.
 * The end of what has arrived is the end of a line ("$") only once output
 * has paused (settled): "^ok$" must not match the "ok" of "okay" arriving
 * in two pieces, but "# $" must match a prompt that ends without "\n".
 * *from: no match starts before it (the last unsettled try said so), so
 * each try reads only the new output and an open partial match. 1 on a
 * match, 0, or -1 when the pattern hit a regex limit (told).
 */
static int
cli_script_match(
    const struct cli_step *s, const struct cli_buf *t, size_t *pos, size_t *from, int settled)
{
	struct lw_err e = {0};
	size_t so = 0, eo = 0;
	int rc;

	if (*from < *pos)
		*from = *pos;
	/* "^" sees the text before *from: it matches there only if a line starts there. */
	rc = rx_match(s->re, t->p, t->n, *from, !settled, &so, &eo, &e);
	if (rc == -1) {
		fprintf(stderr, "labwire: --expect '%s': %s\n", s->text, e.msg);
		return (-1);
	}
	if (rc == RX_MATCH) {
		*pos = *from = eo;
		return (1);
	}
	if (!settled)
		*from = rc == RX_PARTIAL ? (so > *from ? so : *from) : t->n;
	return (0);
}

/* cli_script_expect - wait for s->re after *pos; moves *pos past the match. 0 or -1 (told). */
static int
cli_script_expect(struct telnet_client *tc, struct cli_buf *t, size_t *pos,
    const struct cli_step *s, long long deadline)
{
	long long settle;
	size_t from = *pos;
	int m, r, settled = 0;

	while ((m = cli_script_match(s, t, pos, &from, settled)) == 0) {
		settle = clock_mono_ms() + CLI_SETTLE_MS;
		r = cli_script_pump(tc, t, settle < deadline ? settle : deadline);
		if (r == 1 || (r == 0 && clock_mono_ms() < deadline)) {
			settled = (r == 0);
			continue;
		}
		if (r == 0)
			fprintf(stderr, "labwire: timed out waiting for /%s/\n", s->text);
		else
			fprintf(stderr, "labwire: console %s before /%s/ matched\n",
			    errno ? strerror(errno) : "closed", s->text);
		return (-1);
	}
	return (m == 1 ? 0 : -1);
}

static int
cli_script_send(struct telnet_client *tc, const char *text)
{
	if (telnet_client_send(tc, text, strlen(text)) == -1 ||
	    telnet_client_send(tc, "\r", 1) == -1) {
		fprintf(stderr, "labwire: cannot send to the console: %s\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/* cli_script_drain - with nothing to expect, take output until it goes quiet. */
static void
cli_script_drain(struct telnet_client *tc, struct cli_buf *t, long long deadline)
{
	long long quiet;

	do
		quiet = clock_mono_ms() + CLI_QUIET_MS;
	while (cli_script_pump(tc, t, quiet < deadline ? quiet : deadline) == 1);
}

int
cli_script(const struct cli_args *a, struct telnet_client *tc)
{
	double timeout = a->timeout > 0 ? a->timeout : CLI_CONSOLE_S;
	long long deadline = clock_mono_ms() + (long long)(timeout * 1000);
	struct cli_buf t = {0};
	size_t pos = 0;
	int i, r, expects = 0, ret = CLI_OK;

	if (cli_buf_add(&t, "", 0) == -1)
		return (CLI_FAIL);
	for (i = 0; i < a->nsteps && ret == CLI_OK; i++) {
		if (a->steps[i].expect) {
			expects++;
			r = cli_script_expect(tc, &t, &pos, &a->steps[i], deadline);
		} else
			r = cli_script_send(tc, a->steps[i].text);
		ret = r == -1 ? CLI_FAIL : CLI_OK;
	}
	if (ret == CLI_OK && expects == 0)
		cli_script_drain(tc, &t, deadline);
	fwrite(t.p, 1, t.n, stdout);
	fflush(stdout);
	free(t.p);
	return (ret);
}

int
cli_script_compile(struct cli_args *a)
{
	struct lw_err e = {0};

	for (int i = 0; i < a->nsteps; i++) {
		if (!a->steps[i].expect)
			continue;
		if ((a->steps[i].re = rx_new(a->steps[i].text, RX_LINES, &e)) == NULL) {
			fprintf(stderr, "labwire: --expect '%s': %s\n", a->steps[i].text, e.msg);
			return (-1);
		}
	}
	return (0);
}

void
cli_script_free(struct cli_args *a)
{
	for (int i = 0; i < a->nsteps; i++) {
		rx_free(a->steps[i].re);
		a->steps[i].re = NULL;
	}
}
