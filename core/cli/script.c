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
#include "core/cli/cli_int.h"
#include "core/cli/telnet_client.h"

#define CLI_CONSOLE_S 30  /* console --timeout default */
#define CLI_QUIET_MS 500  /* console output is over after this much silence */
#define CLI_SETTLE_MS 300 /* console output has paused: its end ends a line */

/*
 * cli_script_pump - wait until deadline for console bytes and add them to
 * t without "\r" (so "$" works on "\r\n" lines) or NUL (regexec stops at
 * one). Returns 1 when something arrived, 0 at the deadline, -1 when the
 * console closed (errno 0) or failed.
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
 */
static int
cli_script_match(const struct cli_step *s, const struct cli_buf *t, size_t *pos, int settled)
{
	regmatch_t m;
	int flags;

	/* "^" matches where the last match ended only if a line starts there. */
	flags = *pos > 0 && t->p[*pos - 1] != '\n' ? REG_NOTBOL : 0;
	if (regexec(&s->re, t->p + *pos, 1, &m, flags | (settled ? 0 : REG_NOTEOL)) != 0)
		return (0);
	*pos += (size_t)m.rm_eo;
	return (1);
}

/* cli_script_expect - wait for s->re after *pos; moves *pos past the match. 0 or -1 (told). */
static int
cli_script_expect(struct telnet_client *tc, struct cli_buf *t, size_t *pos,
    const struct cli_step *s, long long deadline)
{
	long long settle;
	int r, settled = 0;

	while (!cli_script_match(s, t, pos, settled)) {
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
	return (0);
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
	char msg[256];
	int r;

	for (int i = 0; i < a->nsteps; i++) {
		if (!a->steps[i].expect)
			continue;
		r = regcomp(&a->steps[i].re, a->steps[i].text, REG_EXTENDED | REG_NEWLINE);
		if (r != 0) {
			regerror(r, &a->steps[i].re, msg, sizeof(msg));
			fprintf(stderr, "labwire: --expect '%s': %s\n", a->steps[i].text, msg);
			return (-1);
		}
		a->steps[i].compiled = 1;
	}
	return (0);
}

void
cli_script_free(struct cli_args *a)
{
	for (int i = 0; i < a->nsteps; i++)
		if (a->steps[i].compiled)
			regfree(&a->steps[i].re);
}
