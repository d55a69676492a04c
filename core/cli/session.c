/*
 * session - an interactive console: the terminal in raw mode, typed bytes
 * to the node's telnet console and its output to stdout, until Ctrl-] q,
 * the end of input, or a signal. Whatever ends it, the terminal and the
 * signal dispositions are put back as they were.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/cli/cli_int.h"
#include "core/cli/telnet_client.h"

#define CLI_ESC 0x1d /* Ctrl-], as in telnet(1) */

static const int cli_session_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
#define CLI_SESSION_NSIGS (sizeof(cli_session_sigs) / sizeof(cli_session_sigs[0]))

struct cli_session {
	struct telnet_client *tc;
	int tty; /* stdin is a terminal: raw mode and the escape key */
	int esc; /* Ctrl-] typed, the next key decides */
	int quit;
	int idle_ms; /* -1; after stdin ended, this much console silence ends the session */
};

static int
cli_session_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/*
 * cli_session_signals - note the signals that would end us, so the terminal
 * is restored first. They stay blocked but inside ppoll, so one cannot slip
 * in between looking at the note and waiting. SIGPIPE too: a closed
 * stdout ends the session like any other error.
 */
static void
cli_session_signals(struct sigaction *old, sigset_t *orig)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_signal_note;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < CLI_SESSION_NSIGS; i++) {
		sigaddset(&block, cli_session_sigs[i]);
		sigaction(cli_session_sigs[i], &sa, &old[i]);
	}
	cli_signal_clear();
	sigprocmask(SIG_BLOCK, &block, orig);
}

static void
cli_session_signals_restore(const struct sigaction *old, const sigset_t *orig)
{
	sigprocmask(SIG_SETMASK, orig, NULL);
	for (size_t i = 0; i < CLI_SESSION_NSIGS; i++)
		sigaction(cli_session_sigs[i], &old[i], NULL);
}

/*
 * cli_session_keys - forward typed bytes. Ctrl-] then q (or .) quits,
 * Ctrl-] Ctrl-] sends one Ctrl-], Ctrl-] then anything else sends both.
 */
static int
cli_session_keys(struct cli_session *s, const char *in, size_t n)
{
	char out[2 * 4096];
	size_t o = 0;

	for (size_t i = 0; i < n && !s->quit && o + 2 <= sizeof(out); i++) {
		unsigned char c = (unsigned char)in[i];

		if (!s->tty) {
			out[o++] = (char)c;
		} else if (s->esc) {
			s->esc = 0;
			if (c == 'q' || c == 'Q' || c == '.')
				s->quit = 1;
			else if (c == CLI_ESC)
				out[o++] = (char)c;
			else {
				out[o++] = CLI_ESC;
				out[o++] = (char)c;
			}
		} else if (c == CLI_ESC)
			s->esc = 1;
		else
			out[o++] = (char)c;
	}
	return (o > 0 ? telnet_client_send(s->tc, out, o) : 0);
}

/* cli_session_stdin - 0 go on, 1 the session is over, -1 failed (told). */
static int
cli_session_stdin(struct cli_session *s, struct pollfd *p)
{
	char buf[4096];
	ssize_t n;

	if ((n = read(STDIN_FILENO, buf, sizeof(buf))) == -1)
		return (errno == EINTR || errno == EAGAIN ? 0 : -1);
	if (n == 0 && s->tty)
		return (1);
	if (n == 0) {
		/* Piped input ended: let the console answer it, then stop. */
		p->fd = -1;
		s->idle_ms = 1000;
		return (0);
	}
	if (cli_session_keys(s, buf, (size_t)n) == -1) {
		fprintf(stderr, "labwire: cannot send to the console: %s\r\n", strerror(errno));
		return (-1);
	}
	return (s->quit);
}

static int
cli_session_console(struct cli_session *s)
{
	char buf[4096];
	ssize_t n;

	if ((n = telnet_client_read(s->tc, buf, sizeof(buf))) == -1 && errno == EAGAIN)
		return (0);
	if (n == 0) {
		fprintf(stderr, "\r\nlabwire: the console closed the connection\r\n");
		return (1);
	}
	if (n == -1 || cli_session_write_all(STDOUT_FILENO, buf, (size_t)n) == -1) {
		fprintf(stderr, "\r\nlabwire: console: %s\r\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/* cli_session_loop - copy both ways until quit, EOF, or a signal; 0 or -1. */
static int
cli_session_loop(struct cli_session *s, const sigset_t *unblocked)
{
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
	    {.fd = telnet_client_fd(s->tc), .events = POLLIN}};
	struct timespec ts;
	int r = 0;

	while (r == 0 && !cli_signal_caught()) {
		ts.tv_sec = s->idle_ms / 1000;
		ts.tv_nsec = 0;
		if ((r = ppoll(p, 2, s->idle_ms >= 0 ? &ts : NULL, unblocked)) <= 0) {
			r = r == 0 ? 1 : errno == EINTR ? 0 : -1;
			continue;
		}
		r = 0;
		if (p[1].revents != 0)
			r = cli_session_console(s);
		if (r == 0 && p[0].revents != 0)
			r = cli_session_stdin(s, &p[0]);
	}
	return (r == -1 ? -1 : 0);
}

int
cli_session(const struct cli_args *a, const char *host, int port, struct telnet_client *tc)
{
	struct cli_session s = {.tc = tc, .tty = isatty(STDIN_FILENO), .idle_ms = -1};
	struct sigaction old[CLI_SESSION_NSIGS];
	struct termios saved, raw;
	sigset_t orig;
	int r;

	if (s.tty) {
		fprintf(stderr, "Connected to %s/%s console at %s:%d. Escape: Ctrl-] then q.\n",
		    a->pos[0], a->pos[1], host, port);
		if (tcgetattr(STDIN_FILENO, &saved) == -1)
			return (CLI_FAIL);
		raw = saved;
		cfmakeraw(&raw);
	}
	cli_session_signals(old, &orig);
	if (s.tty && tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == -1) {
		fprintf(
		    stderr, "labwire: cannot put the terminal in raw mode: %s\n", strerror(errno));
		cli_session_signals_restore(old, &orig);
		return (CLI_FAIL);
	}
	r = cli_session_loop(&s, &orig);
	if (s.tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\nDisconnected from %s/%s.\n", a->pos[0], a->pos[1]);
	}
	cli_session_signals_restore(old, &orig);
	return (r == 0 && !cli_signal_caught() ? CLI_OK : CLI_FAIL);
}
