/*
 * fuzz_ws - libFuzzer target for ws_parse, which every byte a browser sends
 * to a console WebSocket goes through. The first input byte picks the chunk
 * size the rest is fed in (0: all at once), as reads from a socket would
 * split it; the same bytes are also parsed whole, and the two runs must see
 * the same frames and end the same way, since how bytes arrive may not
 * change what they mean. Seeds in tests/fuzz/ws start with that byte too.
 *   clang -g -O1 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
 *       -o fuzz_ws tests/unit/fuzz_ws.c web/ws.c -lcrypto
 *   ./fuzz_ws -max_total_time=60 tests/fuzz/ws
 */
#include <stddef.h>
#include <stdint.h>

#include "web/ws.h"

#define FUZZ_MAX_MESSAGE (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_utf8_more - continuation bytes after lead byte b by its high bits; 9 if it is no lead. */
static size_t
fuzz_utf8_more(uint8_t b)
{
	if (b < 0x80)
		return (0);
	if (b < 0xc0)
		return (9);
	if (b < 0xe0)
		return (1);
	if (b < 0xf0)
		return (2);
	return (b < 0xf8 ? 3 : 9);
}

/*
 * fuzz_utf8_ok - a second, deliberately different UTF-8 check: decode each
 * code point and reject overlong forms, surrogates and values past U+10FFFF.
 */
static int
fuzz_utf8_ok(const uint8_t *s, size_t n)
{
	static const uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
	size_t i = 0, k, more;
	uint32_t cp;

	while (i < n) {
		if ((more = fuzz_utf8_more(s[i])) > 3 || n - i <= more)
			return (0);
		cp = more == 0 ? s[i] : s[i] & (0x3f >> more);
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min_cp[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += more + 1;
	}
	return (1);
}

static uint64_t
fuzz_mix(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (h);
}

/* fuzz_frame - what ws_parse promises about a frame; folds it into *digest. */
static void
fuzz_frame(const struct ws_frame *f, uint64_t *digest)
{
	int code = f->close_code;
	uint8_t meta[3] = {(uint8_t)f->opcode, (uint8_t)(code >> 8), (uint8_t)code};

	if (f->data == NULL)
		__builtin_trap();
	switch (f->opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (f->len > FUZZ_MAX_MESSAGE || code != 0)
			__builtin_trap();
		break;
	case WS_OP_CLOSE:
		if (f->len > WS_CONTROL_MAX - 2 || code < 1000 || code > 4999 ||
		    (code == WS_CLOSE_NO_STATUS && f->len != 0))
			__builtin_trap();
		break;
	case WS_OP_PING:
	case WS_OP_PONG:
		if (f->len > WS_CONTROL_MAX || code != 0)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	if ((f->opcode == WS_OP_TEXT || f->opcode == WS_OP_CLOSE) && !fuzz_utf8_ok(f->data, f->len))
		__builtin_trap();
	*digest = fuzz_mix(*digest, meta, sizeof(meta));
	*digest = fuzz_mix(*digest, f->data, f->len); /* reads every byte, for ASan */
}

/*
 * fuzz_run - feed data in chunks of chunk bytes until it is used up or the
 * parser fails; returns the last result, the frames folded into *digest.
 */
static int
fuzz_run(const uint8_t *data, size_t size, size_t chunk, uint64_t *digest)
{
	struct ws_parser p;
	struct ws_frame f;
	size_t off = 0, n, used;
	int rc = WS_NEED_MORE;

	ws_parser_init(&p, FUZZ_MAX_MESSAGE);
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		rc = ws_parse(&p, data + off, n, &used, &f);
		if (used > n || (rc == WS_NEED_MORE && used != n) || (rc == WS_FRAME && used == 0))
			__builtin_trap();
		off += used;
		if (rc < 0)
			break;
		if (rc == WS_FRAME)
			fuzz_frame(&f, digest);
	}
	if (rc != WS_NEED_MORE && rc != WS_FRAME && rc != WS_ERR_PROTOCOL && rc != WS_ERR_UTF8 &&
	    rc != WS_ERR_TOO_BIG)
		__builtin_trap();
	/* An error is sticky and consumes nothing. */
	if (rc < 0 && (ws_parse(&p, data, size, &used, &f) != rc || used != 0))
		__builtin_trap();
	ws_parser_free(&p);
	return (rc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t chunked = 0xcbf29ce484222325ULL, whole = chunked;
	size_t chunk;
	int rc;

	if (size == 0)
		return (0);
	chunk = data[0] != 0 ? data[0] : size;
	rc = fuzz_run(data + 1, size - 1, chunk, &chunked);
	if (fuzz_run(data + 1, size - 1, size, &whole) != rc || whole != chunked)
		__builtin_trap();
	return (0);
}
