/*
 * fuzz_pcap - libFuzzer target for the CLI's pcap reader (core/cli/pcap.c),
 * which follows the framing of a capture the daemon streams (`labwire
 * capture ... -w`, counting packets as they pass). The first byte picks how
 * the rest is cut into reads. Besides ASan's checks: however the stream is
 * cut, the reader ends in the same state, as when fed one byte at a time
 * and all at once; a packet counted has a whole record; the bytes it keeps
 * of a header never pass the header.
 */
#include <stdint.h>
#include <string.h>

#include "core/cli/cli_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_same(const struct cli_pcap *a, const struct cli_pcap *b)
{
	if (a->phase != b->phase || a->packets != b->packets || a->bytes != b->bytes ||
	    a->partial != b->partial || a->left != b->left || a->have != b->have)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_pcap whole, bytes, cut;
	size_t step, k;

	if (size == 0)
		return (0);
	step = (size_t)data[0] + 1;
	data++;
	size--;
	memset(&whole, 0, sizeof(whole));
	memset(&bytes, 0, sizeof(bytes));
	memset(&cut, 0, sizeof(cut));
	cli_pcap_feed(&whole, data, size);
	for (size_t i = 0; i < size; i++)
		cli_pcap_feed(&bytes, data + i, 1);
	for (size_t i = 0; i < size; i += k) {
		k = size - i < step ? size - i : step;
		cli_pcap_feed(&cut, data + i, k);
	}
	fuzz_same(&whole, &bytes);
	fuzz_same(&whole, &cut);
	if (whole.have > sizeof(whole.h) || (whole.packets > 0 && 24 + 16 * whole.packets > size) ||
	    whole.partial > size)
		__builtin_trap();
	return (0);
}
