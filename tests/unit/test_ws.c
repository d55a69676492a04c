/*
 * test_ws - the WebSocket codec: the handshake key, client frames parsed
 * whole and byte by byte, fragmentation with control frames between, every
 * protocol error with the close code it maps to, the message limit, strict
 * UTF-8, close frames, and the headers of the frames we send.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"
#include "web/ws.h"

#define FIN 0x80
#define RSV1 0x40
#define RSV2 0x20
#define RSV3 0x10

/* Encode the length minimally, or force the 16- or 64-bit form. */
enum { LEN_MIN, LEN_16, LEN_64 };

static const uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

/*
 * mkframe - a client frame with first byte b0 into out: masked with
 * mask_key unless unmasked, its length in form lenform; returns its size.
 */
static size_t
mkframe(uint8_t *out, uint8_t b0, int unmasked, int lenform, const void *payload, size_t len)
{
	uint8_t mask = unmasked ? 0 : 0x80;
	size_t n = 0;

	out[n++] = b0;
	if (lenform == LEN_MIN && len <= 125) {
		out[n++] = mask | (uint8_t)len;
	} else if (lenform != LEN_64 && len <= 0xffff) {
		out[n++] = mask | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = mask | 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (!unmasked) {
		memcpy(out + n, mask_key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[n + i] = ((const uint8_t *)payload)[i] ^ (unmasked ? 0 : mask_key[i & 3]);
	return (n + len);
}

/* frame - a masked, minimally encoded frame. */
static size_t
frame(uint8_t *out, uint8_t b0, const void *payload, size_t len)
{
	return (mkframe(out, b0, 0, LEN_MIN, payload, len));
}

/*
 * parse_all - feed buf to p until it is used up or fails; returns the last
 * result, with the last frame in *f and the number of frames in *nframes.
 */
static int
parse_all(struct ws_parser *p, const uint8_t *buf, size_t len, struct ws_frame *f, int *nframes)
{
	size_t off = 0, used;
	int rc;

	*nframes = 0;
	do {
		rc = ws_parse(p, buf + off, len - off, &used, f);
		off += used;
		if (rc == WS_FRAME)
			(*nframes)++;
	} while (rc == WS_FRAME && off < len);
	return (rc);
}

/* parse_error - the result of feeding buf to a fresh parser with limit max. */
static int
parse_error(size_t max, const uint8_t *buf, size_t len)
{
	struct ws_parser p;
	struct ws_frame f;
	int n, rc;

	ws_parser_init(&p, max);
	rc = parse_all(&p, buf, len, &f, &n);
	ws_parser_free(&p);
	return (rc);
}

static int
frame_is(const struct ws_frame *f, int opcode, const char *data)
{
	size_t n = strlen(data);

	return (
	    f->opcode == opcode && f->len == n && f->data != NULL && memcmp(f->data, data, n) == 0);
}

static void
test_accept_key(void)
{
	char out[29];

	/* RFC 6455 1.3 */
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out) == 0);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK(ws_accept_key("AAAAAAAAAAAAAAAAAAAAAA==", out) == 0 && strlen(out) == 28);

	errno = 0;
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out) == -1 && errno == EINVAL);
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ===", out) == -1 && errno == EINVAL);
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQAA", out) == -1); /* 18 bytes */
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZ===", out) == -1); /* 15 bytes */
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25j*Q==", out) == -1);
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25j-Q==", out) == -1); /* URL-safe alphabet */
	CHECK(ws_accept_key(" dGhlIHNhbXBsZSBub25jZQ=", out) == -1);
	CHECK(ws_accept_key("", out) == -1);
	CHECK(ws_accept_key(NULL, out) == -1 && errno == EINVAL);
}

static void
test_hello(void)
{
	/* RFC 6455 5.7: a single-frame masked text message containing "Hello". */
	static const uint8_t hello[] = {
	    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_parser p = {0}; /* zero-initialised works as well as ws_parser_init */
	struct ws_frame f;
	size_t used;

	CHECK(ws_parse(&p, hello, sizeof(hello), &used, &f) == WS_FRAME);
	CHECK(used == sizeof(hello));
	CHECK(frame_is(&f, WS_OP_TEXT, "Hello"));
	CHECK(ws_parse(&p, hello, 0, &used, &f) == WS_NEED_MORE && used == 0);

	/* The same message again: the buffer starts over for each message. */
	CHECK(ws_parse(&p, hello, sizeof(hello), &used, &f) == WS_FRAME);
	CHECK(frame_is(&f, WS_OP_TEXT, "Hello"));
	ws_parser_free(&p);
}

static void
test_hello_bytewise(void)
{
	static const uint8_t hello[] = {
	    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_parser p;
	struct ws_frame f;
	size_t used;
	int early = 0;

	ws_parser_init(&p, 1024);
	for (size_t i = 0; i + 1 < sizeof(hello); i++)
		if (ws_parse(&p, hello + i, 1, &used, &f) != WS_NEED_MORE || used != 1)
			early++;
	CHECK(early == 0);
	CHECK(ws_parse(&p, hello + sizeof(hello) - 1, 1, &used, &f) == WS_FRAME && used == 1);
	CHECK(frame_is(&f, WS_OP_TEXT, "Hello"));
	ws_parser_free(&p);
}

/* "Hel", a ping, "lo": the ping comes out first, then the whole message. */
static size_t
fragmented_hello(uint8_t *buf)
{
	size_t n = 0;

	n += frame(buf + n, WS_OP_TEXT, "Hel", 3);
	n += frame(buf + n, FIN | WS_OP_PING, "hi", 2);
	n += frame(buf + n, FIN | WS_OP_CONT, "lo", 2);
	return (n);
}

static void
test_fragmented(void)
{
	uint8_t buf[64];
	size_t len = fragmented_hello(buf), used, off = 0;
	struct ws_parser p;
	struct ws_frame f;
	int got[2] = {0, 0}, k = 0, rc;

	ws_parser_init(&p, 1024);
	CHECK(ws_parse(&p, buf, len, &used, &f) == WS_FRAME);
	CHECK(frame_is(&f, WS_OP_PING, "hi"));
	CHECK(used == 9 + 8); /* "Hel" and the ping, not "lo" */
	CHECK(ws_parse(&p, buf + used, len - used, &used, &f) == WS_FRAME);
	CHECK(frame_is(&f, WS_OP_TEXT, "Hello"));
	ws_parser_free(&p);

	/* Byte by byte, the same two results in the same order. */
	ws_parser_init(&p, 1024);
	for (off = 0; off < len; off++) {
		rc = ws_parse(&p, buf + off, 1, &used, &f);
		if (rc == WS_FRAME && k < 2) {
			got[k] =
			    frame_is(&f, k == 0 ? WS_OP_PING : WS_OP_TEXT, k == 0 ? "hi" : "Hello");
			k++;
		}
		CHECK(rc >= 0 && used == 1);
	}
	CHECK(k == 2 && got[0] && got[1]);
	ws_parser_free(&p);
}

static void
test_back_to_back(void)
{
	uint8_t buf[64];
	size_t len = 0, used;
	struct ws_parser p;
	struct ws_frame f;

	len += frame(buf + len, FIN | WS_OP_BINARY, "ab", 2);
	len += frame(buf + len, FIN | WS_OP_PONG, "", 0);
	len += frame(buf + len, FIN | WS_OP_TEXT, "", 0);
	ws_parser_init(&p, 1024);
	CHECK(ws_parse(&p, buf, len, &used, &f) == WS_FRAME && used == 8);
	CHECK(frame_is(&f, WS_OP_BINARY, "ab"));
	CHECK(ws_parse(&p, buf + 8, len - 8, &used, &f) == WS_FRAME && used == 6);
	CHECK(frame_is(&f, WS_OP_PONG, ""));
	CHECK(ws_parse(&p, buf + 14, len - 14, &used, &f) == WS_FRAME && used == 6);
	CHECK(frame_is(&f, WS_OP_TEXT, "") && f.data != NULL);
	ws_parser_free(&p);
}

/* A binary frame of n bytes with its length in form lenform parses back intact. */
static int
roundtrip_length(size_t n, int lenform, size_t hdr_len)
{
	uint8_t *payload = malloc(n), *buf = malloc(n + 14);
	struct ws_parser p;
	struct ws_frame f;
	size_t len, used;
	int ok;

	for (size_t i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	len = mkframe(buf, FIN | WS_OP_BINARY, 0, lenform, payload, n);
	ws_parser_init(&p, 1 << 20);
	ok = len == hdr_len + n && ws_parse(&p, buf, len, &used, &f) == WS_FRAME && used == len &&
	    f.opcode == WS_OP_BINARY && f.len == n && memcmp(f.data, payload, n) == 0;
	ws_parser_free(&p);
	free(payload);
	free(buf);
	return (ok);
}

static void
test_lengths(void)
{
	CHECK(roundtrip_length(126, LEN_MIN, 8));
	CHECK(roundtrip_length(256, LEN_MIN, 8));
	CHECK(roundtrip_length(65535, LEN_MIN, 8));
	CHECK(roundtrip_length(65536, LEN_MIN, 14));
	CHECK(roundtrip_length(100000, LEN_MIN, 14));
	/* Longer forms than needed are accepted. */
	CHECK(roundtrip_length(5, LEN_16, 8));
	CHECK(roundtrip_length(5, LEN_64, 14));
	CHECK(roundtrip_length(0, LEN_64, 14));
}

static void
test_protocol_errors(void)
{
	uint8_t buf[300], big[300];
	size_t n;

	memset(big, 'x', sizeof(big));
	n = mkframe(buf, FIN | WS_OP_TEXT, 1, LEN_MIN, "Hello", 5);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL && -WS_ERR_PROTOCOL == 1002);
	/* Refused from the first two bytes, without waiting for the rest. */
	CHECK(parse_error(1024, buf, 2) == WS_ERR_PROTOCOL);

	n = frame(buf, FIN | RSV1 | WS_OP_TEXT, "a", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, FIN | RSV2 | WS_OP_BINARY, "a", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, FIN | RSV3 | WS_OP_PING, "a", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);

	for (uint8_t op = 3; op <= 15; op++) {
		if (op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG)
			continue;
		n = frame(buf, FIN | op, "a", 1);
		CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	}

	/* Control frames: at most 125 bytes, never fragmented. */
	n = frame(buf, FIN | WS_OP_PING, big, 125);
	CHECK(parse_error(1024, buf, n) == WS_FRAME);
	n = mkframe(buf, FIN | WS_OP_PING, 0, LEN_MIN, big, 126);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = mkframe(buf, FIN | WS_OP_PONG, 0, LEN_16, big, 5);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, WS_OP_PING, "a", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, WS_OP_CLOSE, "", 0);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);

	/* Continuation without a start, and a new message inside an open one. */
	n = frame(buf, FIN | WS_OP_CONT, "a", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, WS_OP_TEXT, "a", 1);
	n += frame(buf + n, FIN | WS_OP_TEXT, "b", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	n = frame(buf, WS_OP_BINARY, "a", 1);
	n += frame(buf + n, WS_OP_BINARY, "b", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	/* A finished message closes the sequence: a continuation after it has no start. */
	n = frame(buf, FIN | WS_OP_TEXT, "a", 1);
	n += frame(buf + n, FIN | WS_OP_CONT, "b", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
}

static void
test_length_msb(void)
{
	uint8_t buf[14] = {FIN | WS_OP_BINARY, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
	struct ws_parser p;
	struct ws_frame f;
	size_t used;

	/* With no limit to hide behind, it is the MSB itself that is refused. */
	CHECK(parse_error(SIZE_MAX, buf, sizeof(buf)) == WS_ERR_PROTOCOL);
	buf[2] = 0x7f;
	ws_parser_init(&p, SIZE_MAX);
	CHECK(ws_parse(&p, buf, sizeof(buf), &used, &f) == WS_NEED_MORE && used == sizeof(buf));
	ws_parser_free(&p);
}

static void
test_sticky_error(void)
{
	static const uint8_t hello[] = {
	    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	uint8_t buf[16];
	struct ws_parser p;
	struct ws_frame f;
	size_t used, n = frame(buf, FIN | RSV1 | WS_OP_TEXT, "a", 1);

	ws_parser_init(&p, 1024);
	CHECK(ws_parse(&p, buf, n, &used, &f) == WS_ERR_PROTOCOL && used <= n);
	CHECK(ws_parse(&p, hello, sizeof(hello), &used, &f) == WS_ERR_PROTOCOL && used == 0);
	ws_parser_free(&p);
}

static void
test_max_message(void)
{
	uint8_t payload[64], buf[128];
	size_t n;

	memset(payload, 'm', sizeof(payload));
	n = frame(buf, FIN | WS_OP_TEXT, payload, 32);
	CHECK(parse_error(32, buf, n) == WS_FRAME);
	n = frame(buf, FIN | WS_OP_TEXT, payload, 33);
	CHECK(parse_error(32, buf, n) == WS_ERR_TOO_BIG && -WS_ERR_TOO_BIG == 1009);
	/* Refused on the header alone: the 33 bytes need not arrive. */
	CHECK(parse_error(32, buf, 6) == WS_ERR_TOO_BIG);

	/* The limit is on the whole message, not on each fragment. */
	n = frame(buf, WS_OP_BINARY, payload, 16);
	n += frame(buf + n, FIN | WS_OP_CONT, payload, 16);
	CHECK(parse_error(32, buf, n) == WS_FRAME);
	n = frame(buf, WS_OP_BINARY, payload, 16);
	n += frame(buf + n, WS_OP_CONT, payload, 16);
	n += frame(buf + n, FIN | WS_OP_CONT, payload, 1);
	CHECK(parse_error(32, buf, n) == WS_ERR_TOO_BIG);
	/* Control frames do not count against it. */
	n = frame(buf, WS_OP_BINARY, payload, 32);
	n += frame(buf + n, FIN | WS_OP_PING, payload, 20);
	n += frame(buf + n, FIN | WS_OP_CONT, "", 0);
	CHECK(parse_error(32, buf, n) == WS_FRAME);
}

static void
test_default_max(void)
{
	uint8_t hdr[14];
	size_t n;

	n = mkframe(hdr, FIN | WS_OP_BINARY, 0, LEN_64, "", 0);
	hdr[2 + 5] = (WS_MAX_MESSAGE_DEFAULT >> 16) & 0xff; /* declare exactly the default */
	CHECK(parse_error(0, hdr, n) == WS_NEED_MORE);
	hdr[2 + 7] = 1;
	CHECK(parse_error(0, hdr, n) == WS_ERR_TOO_BIG);
}

/* text - the result of a single text frame carrying s. */
static int
text(const char *s)
{
	uint8_t buf[64];

	return (parse_error(1024, buf, frame(buf, FIN | WS_OP_TEXT, s, strlen(s))));
}

static void
test_utf8(void)
{
	uint8_t buf[64];
	size_t n;

	CHECK(text("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == WS_FRAME);
	CHECK(text("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf") ==
	    WS_FRAME);                                                  /* U+D7FF U+E000 U+10FFFF */
	CHECK(text("\xc0\xaf") == WS_ERR_UTF8 && -WS_ERR_UTF8 == 1007); /* overlong '/' */
	CHECK(text("\xe0\x80\xaf") == WS_ERR_UTF8);                     /* overlong, 3 bytes */
	CHECK(text("\xf0\x80\x80\xaf") == WS_ERR_UTF8);                 /* overlong, 4 bytes */
	CHECK(text("\xc1\xbf") == WS_ERR_UTF8);
	CHECK(text("\xed\xa0\x80") == WS_ERR_UTF8);     /* U+D800, a surrogate */
	CHECK(text("\xed\xbf\xbf") == WS_ERR_UTF8);     /* U+DFFF */
	CHECK(text("\xf4\x90\x80\x80") == WS_ERR_UTF8); /* past U+10FFFF */
	CHECK(text("\xf5\x80\x80\x80") == WS_ERR_UTF8);
	CHECK(text("\xff") == WS_ERR_UTF8);
	CHECK(text("a\x80") == WS_ERR_UTF8);
	CHECK(text("\xe2\x82") == WS_ERR_UTF8); /* cut off by the end of the message */
	CHECK(text("\xe2\x82"
	           "a") == WS_ERR_UTF8);

	/* Binary messages are not text. */
	n = frame(buf, FIN | WS_OP_BINARY, "\xc0\xaf\xe2\x82", 4);
	CHECK(parse_error(1024, buf, n) == WS_FRAME);

	/* A character split across fragments is whole in the message. */
	n = frame(buf, WS_OP_TEXT, "\xe2\x82", 2);
	n += frame(buf + n, FIN | WS_OP_PING, "", 0);
	n += frame(buf + n, FIN | WS_OP_CONT, "\xac", 1);
	CHECK(parse_error(1024, buf, n) == WS_FRAME);
	n = frame(buf, WS_OP_TEXT, "\xf0", 1);
	n += frame(buf + n, WS_OP_CONT, "\x9f\x98", 2);
	n += frame(buf + n, FIN | WS_OP_CONT, "\x80", 1);
	CHECK(parse_error(1024, buf, n) == WS_FRAME);
	/* ...but a message cannot end on a fragment that leaves one open. */
	n = frame(buf, WS_OP_TEXT, "a", 1);
	n += frame(buf + n, FIN | WS_OP_CONT, "\xe2\x82", 2);
	CHECK(parse_error(1024, buf, n) == WS_ERR_UTF8);
	/* A bad byte fails at once, before the frame or message is complete. */
	n = frame(buf, FIN | WS_OP_TEXT,
	    "ab\xc0"
	    "defgh",
	    8);
	CHECK(parse_error(1024, buf, 6 + 3) == WS_ERR_UTF8);
	n = frame(buf, WS_OP_TEXT, "\xed\xa0\x80", 3);
	CHECK(parse_error(1024, buf, n) == WS_ERR_UTF8);
}

/* close_frame - parse a close frame carrying payload; its code and reason are copied out. */
static int
close_frame(const void *payload, size_t len, int *code, char *reason)
{
	uint8_t buf[160];
	struct ws_parser p;
	struct ws_frame f;
	size_t used, n = frame(buf, FIN | WS_OP_CLOSE, payload, len);
	int rc;

	ws_parser_init(&p, 1024);
	rc = ws_parse(&p, buf, n, &used, &f);
	if (rc == WS_FRAME) {
		*code = f.close_code;
		memcpy(reason, f.data, f.len);
		reason[f.len] = '\0';
	}
	ws_parser_free(&p);
	return (rc);
}

static void
test_close(void)
{
	static const int bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535};
	static const int good[] = {1000, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4999};
	uint8_t pl[8], buf[32];
	char reason[128];
	int code = 0;
	size_t n;

	CHECK(close_frame("\x03\xe8"
	                  "bye",
	          5, &code, reason) == WS_FRAME);
	CHECK(code == 1000);
	CHECK_STR(reason, "bye");
	code = 0;
	CHECK(close_frame("", 0, &code, reason) == WS_FRAME);
	CHECK(code == WS_CLOSE_NO_STATUS && reason[0] == '\0');
	CHECK(close_frame("\x03", 1, &code, reason) == WS_ERR_PROTOCOL);
	/* Even when what a ping left behind would complete it to a valid code. */
	n = frame(buf, FIN | WS_OP_PING, "\x03\xe8", 2);
	n += frame(buf + n, FIN | WS_OP_CLOSE, "\x03", 1);
	CHECK(parse_error(1024, buf, n) == WS_ERR_PROTOCOL);
	CHECK(close_frame("\x03\xe8\xc0\xaf", 4, &code, reason) == WS_ERR_UTF8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl[0] = (uint8_t)(bad[i] >> 8);
		pl[1] = (uint8_t)bad[i];
		CHECK(close_frame(pl, 2, &code, reason) == WS_ERR_PROTOCOL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		pl[0] = (uint8_t)(good[i] >> 8);
		pl[1] = (uint8_t)good[i];
		code = 0;
		CHECK(close_frame(pl, 2, &code, reason) == WS_FRAME && code == good[i]);
	}
}

static void
test_close_interleaved(void)
{
	uint8_t buf[64];
	struct ws_parser p;
	struct ws_frame f;
	size_t used, n = frame(buf, WS_OP_TEXT, "Hel", 3);

	n += frame(buf + n, FIN | WS_OP_CLOSE, "\x03\xe9", 2);
	ws_parser_init(&p, 1024);
	CHECK(ws_parse(&p, buf, n, &used, &f) == WS_FRAME && used == n);
	CHECK(f.opcode == WS_OP_CLOSE && f.close_code == 1001 && f.len == 0);
	ws_parser_free(&p);
}

/* header_is - ws_frame_header for len gives exactly want. */
static int
header_is(int opcode, size_t len, const uint8_t *want, size_t want_len)
{
	uint8_t hdr[WS_HEADER_MAX];
	size_t n = ws_frame_header(hdr, opcode, len);

	return (n == want_len && memcmp(hdr, want, n) == 0);
}

static void
test_frame_header(void)
{
	uint8_t hdr[WS_HEADER_MAX];

	CHECK(header_is(WS_OP_TEXT, 0, (const uint8_t *)"\x81\x00", 2));
	CHECK(header_is(WS_OP_BINARY, 125, (const uint8_t *)"\x82\x7d", 2));
	CHECK(header_is(WS_OP_BINARY, 126, (const uint8_t *)"\x82\x7e\x00\x7e", 4));
	CHECK(header_is(WS_OP_TEXT, 65535, (const uint8_t *)"\x81\x7e\xff\xff", 4));
	CHECK(header_is(
	    WS_OP_TEXT, 65536, (const uint8_t *)"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
	CHECK(header_is(WS_OP_CLOSE, 2, (const uint8_t *)"\x88\x02", 2));
	CHECK(header_is(WS_OP_PING, 125, (const uint8_t *)"\x89\x7d", 2));
	CHECK(header_is(WS_OP_PONG, 0, (const uint8_t *)"\x8a\x00", 2));

	errno = 0;
	CHECK(ws_frame_header(hdr, WS_OP_PING, 126) == 0 && errno == EINVAL);
	CHECK(ws_frame_header(hdr, WS_OP_CONT, 1) == 0);
	CHECK(ws_frame_header(hdr, 3, 1) == 0);
	CHECK(ws_frame_header(hdr, 16, 1) == 0);
}

static void
test_close_payload(void)
{
	uint8_t out[WS_CONTROL_MAX];
	char reason[200];
	size_t len = 0;

	CHECK(ws_close_payload(out, 1000, "bye", &len) == 0);
	CHECK(len == 5 &&
	    memcmp(out,
	        "\x03\xe8"
	        "bye",
	        5) == 0);
	CHECK(ws_close_payload(out, 1011, NULL, &len) == 0 && len == 2 && out[0] == 0x03 &&
	    out[1] == 0xf3);
	CHECK(ws_close_payload(out, 4000, "", &len) == 0 && len == 2);

	/* A long reason is cut to fit, at a character boundary. */
	memset(reason, 'a', 122);
	strcpy(reason + 122, "\xe2\x82\xac tail");
	CHECK(ws_close_payload(out, 1000, reason, &len) == 0 && len == 124);
	memset(reason, 'a', 150);
	reason[150] = '\0';
	CHECK(ws_close_payload(out, 1000, reason, &len) == 0 && len == WS_CONTROL_MAX);

	errno = 0;
	CHECK(ws_close_payload(out, 1005, NULL, &len) == -1 && errno == EINVAL);
	CHECK(ws_close_payload(out, 1006, NULL, &len) == -1);
	CHECK(ws_close_payload(out, 999, NULL, &len) == -1);
	CHECK(ws_close_payload(out, 1000, "\xc0\xaf", &len) == -1 && errno == EINVAL);

	/* What we send, a client's parser (ours, here) takes back. */
	{
		int code = 0;
		char back[128];

		CHECK(ws_close_payload(out, 1001, "going away", &len) == 0);
		CHECK(close_frame(out, len, &code, back) == WS_FRAME && code == 1001);
		CHECK_STR(back, "going away");
	}
}

int
main(void)
{
	test_accept_key();
	test_hello();
	test_hello_bytewise();
	test_fragmented();
	test_back_to_back();
	test_lengths();
	test_protocol_errors();
	test_length_msb();
	test_sticky_error();
	test_max_message();
	test_default_max();
	test_utf8();
	test_close();
	test_close_interleaved();
	test_frame_header();
	test_close_payload();
	TEST_DONE();
}
