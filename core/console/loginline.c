/*
 * loginline - one line typed at a console's login prompt, a byte at a
 * time, as a line discipline would take it: CR, LF, CR LF and CR NUL end
 * it (the LF or NUL of a CR pair is swallowed even when it comes with the
 * next line's bytes), DEL and BS rub out the last character, other control
 * bytes are dropped. It holds at most max bytes; a longer line is refused
 * whole at its Enter, never cut. No I/O and no console state: a fuzzer
 * drives it directly (tests/unit/fuzz_loginline.c).
 */
#include <string.h>

#include "core/console/console_int.h"

void
loginline_start(struct loginline *l, size_t max, bool echo)
{
	l->len = 0;
	l->max = max < LOGINLINE_CAP ? max : LOGINLINE_CAP;
	l->echo = echo;
	l->over = false;
	l->buf[0] = '\0';
	/* l->cr stays: an Enter's LF may come after the prompt that answered its CR */
}

void
loginline_clear(struct loginline *l)
{
	explicit_bzero(l->buf, sizeof(l->buf));
	l->len = 0;
}

/* Enter: the line ends; it is refused whole when more than max was typed. */
static enum loginline_result
loginline_enter(struct loginline *l, char c, char *echo, size_t *elen)
{
	l->cr = c == '\r';
	l->buf[l->len] = '\0';
	memcpy(echo, "\r\n", 2);
	*elen = 2;
	return (l->over ? LOGINLINE_TOO_LONG : LOGINLINE_DONE);
}

enum loginline_result
loginline_put(struct loginline *l, char c, char echo[LOGINLINE_ECHO_MAX], size_t *elen)
{
	bool cr = l->cr;

	*elen = 0;
	l->cr = false;
	if (cr && (c == '\n' || c == '\0'))
		return (LOGINLINE_MORE);
	if (c == '\r' || c == '\n')
		return (loginline_enter(l, c, echo, elen));
	if (c == 0x7f || c == 0x08) {
		if (l->len == 0 || l->over)
			return (LOGINLINE_MORE);
		l->len--;
		if (l->echo) {
			memcpy(echo, "\b \b", 3);
			*elen = 3;
		}
		return (LOGINLINE_MORE);
	}
	if ((unsigned char)c < 0x20)
		return (LOGINLINE_MORE);
	if (l->over || l->len >= l->max) {
		l->over = true;
		return (LOGINLINE_MORE);
	}
	l->buf[l->len++] = c;
	if (l->echo) {
		echo[0] = c;
		*elen = 1;
	}
	return (LOGINLINE_MORE);
}
