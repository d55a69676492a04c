/*
 * ws - an RFC 6455 WebSocket codec for the server side. The parser is a
 * small state machine fed whatever the socket produced: it collects a
 * frame's header, then unmasks the payload straight into the message buffer
 * (or, for control frames, into a buffer of their own, since they may arrive
 * between the fragments of a message). Everything a peer controls is
 * checked as soon as the bytes that decide it arrive, so a bad peer costs
 * little: its header is refused before any payload is read, and bad UTF-8
 * is refused at the first byte that cannot continue it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "web/ws.h"

/* RFC 6455 1.3: appended to the client's key before hashing. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* 16 bytes of base64: 22 characters and "==". */
#define WS_KEY_LEN 24
#define WS_BUF_MIN 256

#define WS_FIN 0x80
#define WS_RSV 0x70
#define WS_OPCODE 0x0f
#define WS_MASKED 0x80
#define WS_LEN7 0x7f

/* Where an empty message points, so that data is never NULL. */
static const uint8_t ws_empty[1];

static int
ws_b64_char(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/');
}

/*
 * ws_key_valid - key is base64 of 16 bytes. The low bits of the last
 * character are padding that decoders ignore, and only the string is hashed,
 * so they are not checked.
 */
static int
ws_key_valid(const char *key)
{
	if (key == NULL || strnlen(key, WS_KEY_LEN + 1) != WS_KEY_LEN)
		return (0);
	for (size_t i = 0; i < WS_KEY_LEN - 2; i++)
		if (!ws_b64_char(key[i]))
			return (0);
	return (key[WS_KEY_LEN - 2] == '=' && key[WS_KEY_LEN - 1] == '=');
}

int
ws_accept_key(const char *client_key, char out[29])
{
	unsigned char cat[WS_KEY_LEN + sizeof(WS_GUID) - 1];
	unsigned char md[SHA_DIGEST_LENGTH];

	if (!ws_key_valid(client_key)) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(cat, client_key, WS_KEY_LEN);
	memcpy(cat + WS_KEY_LEN, WS_GUID, sizeof(WS_GUID) - 1);
	/* NULL only when the crypto library cannot offer SHA-1 at all. */
	if (SHA1(cat, sizeof(cat), md) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	/* 20 bytes encode to 28 characters; EVP_EncodeBlock adds the NUL. */
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
	return (0);
}

/*
 * ws_utf8_lead - start a character at lead byte b; -1 for a byte that starts
 * none. The range of the first continuation byte is what rules out overlong
 * forms (E0, F0), UTF-16 surrogates (ED) and code points past U+10FFFF (F4).
 */
static int
ws_utf8_lead(struct ws_utf8 *u, uint8_t b)
{
	u->lo = 0x80;
	u->hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf) {
		u->need = 1;
	} else if (b >= 0xe0 && b <= 0xef) {
		u->need = 2;
		u->lo = b == 0xe0 ? 0xa0 : 0x80;
		u->hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b >= 0xf0 && b <= 0xf4) {
		u->need = 3;
		u->lo = b == 0xf0 ? 0x90 : 0x80;
		u->hi = b == 0xf4 ? 0x8f : 0xbf;
	} else {
		return (-1);
	}
	return (0);
}

/* ws_utf8_feed - advance u over n bytes; -1 at the first byte UTF-8 cannot have there. */
static int
ws_utf8_feed(struct ws_utf8 *u, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u->need == 0) {
			if (s[i] >= 0x80 && ws_utf8_lead(u, s[i]) == -1)
				return (-1);
			continue;
		}
		if (s[i] < u->lo || s[i] > u->hi)
			return (-1);
		u->need--;
		u->lo = 0x80;
		u->hi = 0xbf;
	}
	return (0);
}

/* ws_utf8_valid - s[0..n) is whole, valid UTF-8. */
static int
ws_utf8_valid(const uint8_t *s, size_t n)
{
	struct ws_utf8 u = {0};

	return (ws_utf8_feed(&u, s, n) == 0 && u.need == 0);
}

/*
 * ws_close_code_ok - code may be sent in a close frame: RFC 6455 7.4.1
 * (1004 is reserved; 1005, 1006 and 1015 are never sent), 1012-1014 from the
 * IANA registry, 3000-3999 registered and 4000-4999 private.
 */
static int
ws_close_code_ok(int code)
{
	return ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	    (code >= 3000 && code <= 4999));
}

static int
ws_is_control(int opcode)
{
	return ((opcode & 0x08) != 0);
}

static size_t
ws_max(const struct ws_parser *p)
{
	return (p->max_message != 0 ? p->max_message : WS_MAX_MESSAGE_DEFAULT);
}

void
ws_parser_init(struct ws_parser *p, size_t max_message)
{
	memset(p, 0, sizeof(*p));
	p->max_message = max_message;
}

void
ws_parser_free(struct ws_parser *p)
{
	free(p->msg);
	ws_parser_init(p, p->max_message);
}

/* ws_header_size - the full header length; client frames always carry a mask key. */
static size_t
ws_header_size(const uint8_t *hdr)
{
	size_t len7 = hdr[1] & WS_LEN7;

	return (2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
}

/*
 * ws_check_start - refuse what the first two bytes already show to be
 * wrong, before waiting for the rest of the header.
 */
static int
ws_check_start(const struct ws_parser *p)
{
	int fin = p->hdr[0] & WS_FIN;

	/* No extension is ever negotiated, so no reserved bit may be set. */
	if ((p->hdr[0] & WS_RSV) != 0 || (p->hdr[1] & WS_MASKED) == 0)
		return (WS_ERR_PROTOCOL);
	switch (p->hdr[0] & WS_OPCODE) {
	case WS_OP_CONT:
		return (p->msg_opcode != 0 ? 0 : WS_ERR_PROTOCOL);
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		return (p->msg_opcode == 0 ? 0 : WS_ERR_PROTOCOL);
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		/* 126 and 127 announce an extended length, which is already too long. */
		return (fin && (p->hdr[1] & WS_LEN7) <= WS_CONTROL_MAX ? 0 : WS_ERR_PROTOCOL);
	default:
		return (WS_ERR_PROTOCOL);
	}
}

/* ws_wire_length - the payload length the header declares, in whichever form. */
static uint64_t
ws_wire_length(const uint8_t *hdr)
{
	uint64_t len = hdr[1] & WS_LEN7;
	size_t n = len == 126 ? 2 : len == 127 ? 8 : 0;

	if (n == 0)
		return (len);
	len = 0;
	for (size_t i = 0; i < n; i++)
		len = len << 8 | hdr[2 + i];
	return (len);
}

/*
 * ws_begin_frame - the header is complete: check the length and get ready
 * for the payload. A length in a longer form than it needs is accepted: 5.2
 * asks senders for the minimal form but the value is not in doubt.
 */
static int
ws_begin_frame(struct ws_parser *p)
{
	uint64_t len = ws_wire_length(p->hdr);
	int opcode = p->hdr[0] & WS_OPCODE;

	if ((len >> 63) != 0)
		return (WS_ERR_PROTOCOL);
	if (!ws_is_control(opcode)) {
		/* msg_len never exceeds the limit, so this cannot wrap. */
		if (len > ws_max(p) - p->msg_len)
			return (WS_ERR_TOO_BIG);
		/*
		 * utf8 needs no reset: a text message that ended inside a
		 * character was an error, so it is always between characters.
		 */
		if (opcode != WS_OP_CONT)
			p->msg_opcode = opcode;
	}
	p->frame_len = (size_t)len;
	p->frame_got = 0;
	p->in_payload = 1;
	return (0);
}

/*
 * ws_take_header - move header bytes from buf[*off..len); 1 once the header
 * is complete and accepted, 0 when buf ran out first, or a WS_ERR_*.
 */
static int
ws_take_header(struct ws_parser *p, const uint8_t *buf, size_t len, size_t *off)
{
	size_t want, n;
	int rc;

	for (;;) {
		want = p->hdr_len < 2 ? 2 : ws_header_size(p->hdr);
		if (p->hdr_len == want)
			return ((rc = ws_begin_frame(p)) != 0 ? rc : 1);
		if (*off == len)
			return (0);
		n = want - p->hdr_len < len - *off ? want - p->hdr_len : len - *off;
		memcpy(p->hdr + p->hdr_len, buf + *off, n);
		p->hdr_len += n;
		*off += n;
		if (p->hdr_len == 2 && (rc = ws_check_start(p)) != 0)
			return (rc);
	}
}

/*
 * ws_reserve - room for need bytes of message. Growing as bytes arrive
 * rather than by the declared length keeps memory to what the peer really
 * sent; the limit caps it either way.
 */
static int
ws_reserve(struct ws_parser *p, size_t need)
{
	size_t cap = p->msg_cap != 0 ? p->msg_cap : WS_BUF_MIN;
	uint8_t *msg;

	if (need <= p->msg_cap)
		return (0);
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	if (cap > ws_max(p))
		cap = ws_max(p); /* still >= need: ws_begin_frame checked that */
	if ((msg = realloc(p->msg, cap)) == NULL)
		return (-1);
	p->msg = msg;
	p->msg_cap = cap;
	return (0);
}

/* ws_mask_key - the 4-byte key, the last part of the header. */
static const uint8_t *
ws_mask_key(const struct ws_parser *p)
{
	return (p->hdr + ws_header_size(p->hdr) - 4);
}

/*
 * ws_take_payload - unmask what buf[*off..len) has of the payload into
 * place. Text is checked as it arrives so bad UTF-8 fails fast (8.1).
 */
static int
ws_take_payload(struct ws_parser *p, const uint8_t *buf, size_t len, size_t *off)
{
	size_t n = p->frame_len - p->frame_got;
	int control = ws_is_control(p->hdr[0] & WS_OPCODE);
	const uint8_t *key = ws_mask_key(p);
	uint8_t *dst;

	if (n > len - *off)
		n = len - *off;
	if (n == 0)
		return (0);
	if (!control && ws_reserve(p, p->msg_len + n) == -1)
		return (WS_ERR_NOMEM);
	dst = control ? p->ctl + p->frame_got : p->msg + p->msg_len;
	for (size_t i = 0; i < n; i++)
		dst[i] = buf[*off + i] ^ key[(p->frame_got + i) & 3];
	if (!control && p->msg_opcode == WS_OP_TEXT && ws_utf8_feed(&p->utf8, dst, n) == -1)
		return (WS_ERR_UTF8);
	if (!control)
		p->msg_len += n;
	p->frame_got += n;
	*off += n;
	return (0);
}

/* ws_end_close - split a close payload into its code and reason. */
static int
ws_end_close(struct ws_frame *out)
{
	if (out->len == 0) {
		out->close_code = WS_CLOSE_NO_STATUS;
		return (WS_FRAME);
	}
	if (out->len == 1)
		return (WS_ERR_PROTOCOL);
	out->close_code = out->data[0] << 8 | out->data[1];
	if (!ws_close_code_ok(out->close_code))
		return (WS_ERR_PROTOCOL);
	out->data += 2;
	out->len -= 2;
	return (ws_utf8_valid(out->data, out->len) ? WS_FRAME : WS_ERR_UTF8);
}

/*
 * ws_end_frame - a frame's payload is all in: WS_FRAME when it completes a
 * message or is a control frame, WS_NEED_MORE after a non-final fragment.
 */
static int
ws_end_frame(struct ws_parser *p, struct ws_frame *out)
{
	int opcode = p->hdr[0] & WS_OPCODE;

	p->hdr_len = 0;
	p->in_payload = 0;
	out->close_code = 0;
	if (ws_is_control(opcode)) {
		out->opcode = opcode;
		out->data = p->ctl;
		out->len = p->frame_len;
		return (opcode == WS_OP_CLOSE ? ws_end_close(out) : WS_FRAME);
	}
	if ((p->hdr[0] & WS_FIN) == 0)
		return (WS_NEED_MORE);
	/* A character cut off by the end of the message is as bad as a wrong byte. */
	if (p->msg_opcode == WS_OP_TEXT && p->utf8.need != 0)
		return (WS_ERR_UTF8);
	out->opcode = p->msg_opcode;
	out->data = p->msg != NULL ? p->msg : ws_empty;
	out->len = p->msg_len;
	/* The bytes stay put until the next call writes a new message over them. */
	p->msg_opcode = 0;
	p->msg_len = 0;
	return (WS_FRAME);
}

int
ws_parse(
    struct ws_parser *p, const uint8_t *buf, size_t len, size_t *consumed, struct ws_frame *out)
{
	size_t off = 0;
	int rc;

	*consumed = 0;
	if (p->error != 0)
		return (p->error);
	for (;;) {
		if (!p->in_payload && (rc = ws_take_header(p, buf, len, &off)) <= 0) {
			if (rc == 0)
				break;
			goto fail;
		}
		if ((rc = ws_take_payload(p, buf, len, &off)) < 0)
			goto fail;
		if (p->frame_got < p->frame_len)
			break;
		if ((rc = ws_end_frame(p, out)) < 0)
			goto fail;
		if (rc == WS_FRAME) {
			*consumed = off;
			return (WS_FRAME);
		}
	}
	*consumed = off;
	return (WS_NEED_MORE);
fail:
	*consumed = off;
	p->error = rc;
	return (rc);
}

static int
ws_opcode_known(int opcode)
{
	return (opcode == WS_OP_TEXT || opcode == WS_OP_BINARY || opcode == WS_OP_CLOSE ||
	    opcode == WS_OP_PING || opcode == WS_OP_PONG);
}

size_t
ws_frame_header(uint8_t hdr[WS_HEADER_MAX], int opcode, size_t len)
{
	if (!ws_opcode_known(opcode) || (ws_is_control(opcode) && len > WS_CONTROL_MAX)) {
		errno = EINVAL;
		return (0);
	}
	hdr[0] = (uint8_t)(WS_FIN | opcode);
	if (len <= 125) {
		hdr[1] = (uint8_t)len;
		return (2);
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return (4);
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return (10);
}

int
ws_close_payload(uint8_t out[WS_CONTROL_MAX], int code, const char *reason, size_t *len)
{
	size_t n = reason != NULL ? strlen(reason) : 0;

	if (!ws_close_code_ok(code)) {
		errno = EINVAL;
		return (-1);
	}
	if (n > WS_CONTROL_MAX - 2) {
		n = WS_CONTROL_MAX - 2;
		/* Back off to the start of the character the cut falls in. */
		while (n > 0 && ((uint8_t)reason[n] & 0xc0) == 0x80)
			n--;
	}
	if (!ws_utf8_valid((const uint8_t *)reason, n)) {
		errno = EINVAL;
		return (-1);
	}
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (n > 0)
		memcpy(out + 2, reason, n);
	*len = n + 2;
	return (0);
}
