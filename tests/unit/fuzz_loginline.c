/*
 * fuzz_loginline - libFuzzer target for the console's login line reader
 * (core/console/loginline.c), which takes every byte a telnet client types
 * before it has logged in. The first input byte picks the line's bound
 * (0..255, so the full 256 too) and whether it echoes; the rest is typed.
 * Besides ASan's checks it holds the reader to its promises: a line never
 * holds more than its bound, nor a control byte; one typed byte echoes at
 * most LOGINLINE_ECHO_MAX bytes; and with echo on, a terminal showing the
 * echo (BS SP BS rubs out) shows exactly the line that was taken.
 *   clang -g -O1 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
 *       -o fuzz_loginline tests/unit/fuzz_loginline.c core/console/loginline.c
 *   ./fuzz_loginline -max_total_time=60 tests/fuzz/loginline
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a terminal shows of the current line, from the echo alone. */
struct fuzz_screen {
	char line[LOGINLINE_CAP + 1];
	size_t len;
};

static void
fuzz_show(struct fuzz_screen *t, const char *echo, size_t elen)
{
	if (elen == 3 && memcmp(echo, "\b \b", 3) == 0) {
		if (t->len == 0)
			__builtin_trap();
		t->len--;
	} else if (elen == 1) {
		if (t->len >= LOGINLINE_CAP)
			__builtin_trap();
		t->line[t->len++] = echo[0];
	} else if (elen != 0 && !(elen == 2 && memcmp(echo, "\r\n", 2) == 0)) {
		__builtin_trap();
	}
}

/* fuzz_line - a line taken: bounded, NUL-terminated, no control bytes, as echoed. */
static void
fuzz_line(const struct loginline *l, struct fuzz_screen *t, size_t max)
{
	if (l->len > max || l->buf[l->len] != '\0' || strlen(l->buf) != l->len)
		__builtin_trap();
	for (size_t i = 0; i < l->len; i++)
		if ((unsigned char)l->buf[i] < 0x20 || l->buf[i] == 0x7f)
			__builtin_trap();
	if (l->echo && (t->len != l->len || memcmp(t->line, l->buf, l->len) != 0))
		__builtin_trap();
	t->len = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loginline l = {.cr = false};
	struct fuzz_screen t = {.len = 0};
	char echo[LOGINLINE_ECHO_MAX];
	size_t max, elen;
	bool on;
	enum loginline_result r;

	if (size == 0)
		return (0);
	max = data[0] == 0xff ? LOGINLINE_CAP : (size_t)(data[0] & 0x7f) * 2;
	on = (data[0] & 1) != 0;
	loginline_start(&l, max, on);
	for (size_t i = 1; i < size; i++) {
		r = loginline_put(&l, (char)data[i], echo, &elen);
		if (elen > LOGINLINE_ECHO_MAX || l.len > max)
			__builtin_trap();
		if (on || elen == 2)
			fuzz_show(&t, echo, elen);
		if (r == LOGINLINE_DONE)
			fuzz_line(&l, &t, max);
		if (r == LOGINLINE_TOO_LONG)
			t.len = 0;
		if (r != LOGINLINE_MORE) {
			if (elen != 2)
				__builtin_trap(); /* every Enter echoes CR LF */
			loginline_clear(&l);
			loginline_start(&l, max, on);
		}
	}
	return (0);
}
