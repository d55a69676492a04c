/*
 * fuzz_telnet - libFuzzer target for what a console's telnet client sends
 * (core/console/telnetd.c): the bytes go through the server's libtelnet
 * session (telnetd_session, the options it offers) and what comes out as
 * typed data goes to the login line reader, as before a login. The first
 * byte picks how the rest is cut into reads. Besides ASan's checks: reads
 * cut anywhere give the same typed data as one read; typed data is never
 * longer than what was sent; and console output sent to the client (the
 * same bytes, escaped by telnetd's session) reaches a telnet client intact.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "core/console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_side {
	unsigned char *data; /* typed bytes (TELNET_EV_DATA) */
	size_t len, cap;
	unsigned char *sent; /* bytes for the wire (TELNET_EV_SEND) */
	size_t slen, scap;
	bool closed; /* TELNET_EV_ERROR: telnetd closes the client */
	struct loginline line;
};

static void
fuzz_append(unsigned char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = (*len + n) * 2 + 64;
		unsigned char *nb = realloc(*buf, nc);

		if (nb == NULL)
			abort();
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
}

static void
fuzz_event(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct fuzz_side *s = arg;
	char echo[LOGINLINE_ECHO_MAX];
	size_t elen;

	(void)tn;
	if (ev->type == TELNET_EV_DATA) {
		fuzz_append(&s->data, &s->len, &s->cap, ev->data.buffer, ev->data.size);
		for (size_t i = 0; i < ev->data.size; i++)
			if (loginline_put(&s->line, ev->data.buffer[i], echo, &elen) ==
			    LOGINLINE_DONE)
				loginline_start(&s->line, LOGINLINE_CAP, true);
	} else if (ev->type == TELNET_EV_SEND) {
		fuzz_append(&s->sent, &s->slen, &s->scap, ev->data.buffer, ev->data.size);
	} else if (ev->type == TELNET_EV_ERROR) {
		s->closed = true;
	}
}

/* Feed data to a new server session in reads of step bytes, as telnetd_recv does. */
static void
fuzz_feed(struct fuzz_side *s, const uint8_t *data, size_t size, size_t step)
{
	telnet_t *tn = telnetd_session(fuzz_event, s);
	size_t k;

	if (tn == NULL)
		abort();
	loginline_start(&s->line, LOGINLINE_CAP, true);
	for (size_t i = 0; i < size && !s->closed; i += k) {
		k = size - i < step ? size - i : step;
		telnet_recv(tn, (const char *)data + i, k);
	}
	telnet_free(tn);
}

/* Console output through the server's escaping, read back by a telnet client. */
static void
fuzz_output(const uint8_t *data, size_t size)
{
	struct fuzz_side srv = {.closed = false}, cli = {.closed = false};
	telnet_t *tn = telnetd_session(fuzz_event, &srv), *client;

	if (tn == NULL || (client = telnet_init(NULL, fuzz_event, 0, &cli)) == NULL)
		abort();
	loginline_start(&cli.line, LOGINLINE_CAP, true);
	telnet_send(tn, (const char *)data, size);
	telnet_recv(client, (const char *)srv.sent, srv.slen);
	if (cli.closed || cli.len != size || (size > 0 && memcmp(cli.data, data, size) != 0))
		__builtin_trap();
	telnet_free(client);
	telnet_free(tn);
	free(srv.data);
	free(srv.sent);
	free(cli.data);
	free(cli.sent);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_side whole = {.closed = false}, cut = {.closed = false};
	size_t step;

	if (size == 0)
		return (0);
	step = (size_t)data[0] % 16 + 1;
	fuzz_feed(&whole, data + 1, size - 1, size);
	fuzz_feed(&cut, data + 1, size - 1, step);
	if (whole.len > size - 1 ||
	    (!whole.closed && !cut.closed &&
	        (whole.len != cut.len ||
	            (whole.len > 0 && memcmp(whole.data, cut.data, whole.len)))))
		__builtin_trap();
	fuzz_output(data + 1, size - 1);
	free(whole.data);
	free(whole.sent);
	free(cut.data);
	free(cut.sent);
	return (0);
}
