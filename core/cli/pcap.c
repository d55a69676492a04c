/*
 * pcap - a pcap stream's framing, followed as the bytes pass (see struct
 * cli_pcap). It reads the bytes and never changes or keeps them; a stream
 * that is not pcap as we know it (CLI_PC_OPAQUE) is only passed through.
 */
#include <string.h>

#include "core/cli/cli_int.h"

#define CLI_PCAP_RECORD 16          /* each record's header */
#define CLI_PCAP_MAXCAP (16u << 20) /* a longer record is not pcap as we know it */

/* CLI_PC_GLOBAL is 0: a zeroed cli_pcap waits for the file header. */
enum { CLI_PC_GLOBAL, CLI_PC_RECORD, CLI_PC_DATA, CLI_PC_OPAQUE };

static uint32_t
cli_pcap_u32(const unsigned char *p, int big)
{
	if (big)
		return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	return ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

static void
cli_pcap_packet(struct cli_pcap *pc)
{
	pc->packets++;
	pc->bytes += pc->orig; /* like the daemon's "bytes": lengths on the wire */
	pc->partial = 0;
	pc->phase = CLI_PC_RECORD;
}

/* cli_pcap_step - the header in h, or the packet, is complete: what comes next. */
static void
cli_pcap_step(struct cli_pcap *pc)
{
	uint32_t magic;

	pc->have = 0;
	if (pc->phase == CLI_PC_DATA) {
		cli_pcap_packet(pc);
		return;
	}
	if (pc->phase == CLI_PC_GLOBAL) {
		/* Microsecond or nanosecond timestamps, written either way round. */
		magic = cli_pcap_u32(pc->h, 0);
		pc->big = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
		pc->phase = pc->big || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d ? CLI_PC_RECORD
		                                                                  : CLI_PC_OPAQUE;
		pc->partial = 0;
		return;
	}
	pc->left = cli_pcap_u32(pc->h + 8, pc->big);
	pc->orig = cli_pcap_u32(pc->h + 12, pc->big);
	pc->phase = pc->left > CLI_PCAP_MAXCAP ? CLI_PC_OPAQUE : CLI_PC_DATA;
	if (pc->phase == CLI_PC_DATA && pc->left == 0)
		cli_pcap_packet(pc);
}

void
cli_pcap_feed(struct cli_pcap *pc, const unsigned char *p, size_t n)
{
	size_t want, k;

	while (n > 0 && pc->phase != CLI_PC_OPAQUE) {
		if (pc->phase == CLI_PC_DATA) {
			k = n < pc->left ? n : pc->left;
			pc->left -= k;
			want = pc->left;
		} else {
			want = (pc->phase == CLI_PC_GLOBAL ? CLI_PCAP_GLOBAL : CLI_PCAP_RECORD) -
			    pc->have;
			k = n < want ? n : want;
			memcpy(pc->h + pc->have, p, k);
			pc->have += k;
			want -= k;
		}
		p += k;
		n -= k;
		pc->partial += k;
		if (want == 0)
			cli_pcap_step(pc);
	}
	if (pc->phase == CLI_PC_OPAQUE)
		pc->partial = 0;
}
