/*
 * ws - an RFC 6455 WebSocket codec for the server side, free of I/O: the
 * handshake's accept key, an incremental parser for client frames that
 * reassembles messages, and the header of the (unmasked) frames we send.
 * A codec only: no sockets, no console. The caller owns the socket and says
 * what a message means (web/api_console.c); everything here works on byte
 * buffers.
 */
#ifndef LW_WS_H
#define LW_WS_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes (RFC 6455 5.2); WS_OP_CONT only ever appears on the wire. */
#define WS_OP_CONT 0
#define WS_OP_TEXT 1
#define WS_OP_BINARY 2
#define WS_OP_CLOSE 8
#define WS_OP_PING 9
#define WS_OP_PONG 10

/* Close codes (RFC 6455 7.4.1). */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_NO_STATUS 1005 /* reported when a close frame has no code; never sent */
#define WS_CLOSE_INVALID_DATA 1007
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_INTERNAL 1011

/* The largest payload a control frame may carry, and the longest frame header we send. */
#define WS_CONTROL_MAX 125
#define WS_HEADER_MAX 10

/* A zero-initialised parser bounds messages at this many bytes. */
#define WS_MAX_MESSAGE_DEFAULT (1024 * 1024)

/*
 * ws_parse results. An error is the negated close code to send the peer
 * (close with -rc, then drop the connection); it is sticky: every later call
 * returns it again.
 */
#define WS_NEED_MORE 0
#define WS_FRAME 1
#define WS_ERR_PROTOCOL (-WS_CLOSE_PROTOCOL)
#define WS_ERR_UTF8 (-WS_CLOSE_INVALID_DATA)
#define WS_ERR_TOO_BIG (-WS_CLOSE_TOO_BIG)
#define WS_ERR_NOMEM (-WS_CLOSE_INTERNAL) /* errno is ENOMEM */

/* One complete message, or one control frame, as ws_parse returns it. */
struct ws_frame {
	int opcode;          /* WS_OP_TEXT, BINARY, CLOSE, PING or PONG */
	const uint8_t *data; /* unmasked payload (for CLOSE: the reason); never NULL */
	size_t len;
	int close_code; /* CLOSE only: the peer's code, or WS_CLOSE_NO_STATUS when absent */
};

/* UTF-8 decoder state, carried across the fragments of a text message. */
struct ws_utf8 {
	uint8_t need;   /* continuation bytes still expected */
	uint8_t lo, hi; /* range allowed for the next continuation byte */
};

/*
 * The parser's state. The caller owns the struct (zero it or use
 * ws_parser_init); the fields are private to ws.c.
 */
struct ws_parser {
	size_t max_message; /* 0 means WS_MAX_MESSAGE_DEFAULT */
	int error;          /* sticky WS_ERR_*, 0 while healthy */
	/* the frame being read */
	uint8_t hdr[14]; /* 2 fixed + up to 8 length + 4 mask bytes */
	size_t hdr_len;
	int in_payload; /* the header is complete */
	size_t frame_len;
	size_t frame_got;
	/* the message being reassembled; msg_opcode 0 while none is open */
	int msg_opcode;
	uint8_t *msg;
	size_t msg_len;
	size_t msg_cap;
	struct ws_utf8 utf8;
	/* a control frame, read whole apart from the message it may interrupt */
	uint8_t ctl[WS_CONTROL_MAX];
};

/*
 * ws_accept_key - the Sec-WebSocket-Accept value for client_key (the
 * Sec-WebSocket-Key header, which must be the base64 of 16 bytes) into out
 * as a NUL-terminated string; returns 0, or -1 with errno EINVAL for a key
 * that is not.
 */
int ws_accept_key(const char *client_key, char out[29]);

/* ws_parser_init - a fresh parser whose messages may be up to max_message bytes. */
void ws_parser_init(struct ws_parser *p, size_t max_message);

/*
 * ws_parser_free - release the message buffer; the parser is then as new,
 * keeping its max_message.
 */
void ws_parser_free(struct ws_parser *p);

/*
 * ws_parse - feed len bytes of client data at buf; *consumed gets how many
 * were used (never more than len). Returns WS_FRAME with *out holding one
 * message or control frame (call again with the rest of buf), WS_NEED_MORE
 * once every byte was used without completing one, or a WS_ERR_*. out->data
 * points into the parser and stays valid until the next ws_parse or
 * ws_parser_free. After a CLOSE the caller should stop reading.
 */
int ws_parse(
    struct ws_parser *p, const uint8_t *buf, size_t len, size_t *consumed, struct ws_frame *out);

/*
 * ws_frame_header - the header of a server frame (FIN set, unmasked) with
 * opcode and a len-byte payload into hdr; returns its length (2, 4 or 10),
 * or 0 with errno EINVAL for an unknown opcode or a control frame over
 * WS_CONTROL_MAX bytes.
 */
size_t ws_frame_header(uint8_t hdr[WS_HEADER_MAX], int opcode, size_t len);

/*
 * ws_close_payload - the payload of a close frame: code, then reason (may be
 * NULL), cut at a character boundary to fit; *len gets its length. Returns 0,
 * or -1 with errno EINVAL for a code an endpoint may not send or a reason
 * that is not UTF-8.
 */
int ws_close_payload(uint8_t out[WS_CONTROL_MAX], int code, const char *reason, size_t *len);

#endif
