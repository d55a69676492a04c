/*
 * fuzz_bpf - libFuzzer target for a capture's filter (POST .../captures
 * {"filter"}), which libpcap compiles to BPF in the daemon: checked by
 * core/net/capture.c capture_check_filter, then compiled and run on every
 * frame of the link the same way. The input is SNAPLEN (2 bytes) FILTER
 * (to the first newline, at most the API's 1024 bytes) NEWLINE FRAME.
 * Besides ASan's checks: a refused filter says why (ERR_INVALID, libpcap's
 * words); a filter accepted compiles again and runs on the frame.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/net/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Compile filter as capture_start does and run it on frame, as cap_frame does. */
static void
fuzz_run(const char *filter, int snaplen, const uint8_t *frame, size_t len)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, snaplen);
	struct bpf_program prog;
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};

	if (dead == NULL)
		return;
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1)
		__builtin_trap(); /* it compiled a moment ago */
	(void)pcap_offline_filter(&prog, &h, frame);
	pcap_freecode(&prog);
	pcap_close(dead);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_err e = {.code = ERR_NONE};
	const uint8_t *nl;
	char *filter;
	size_t flen;
	int snaplen;

	if (size < 2)
		return (0);
	snaplen = 64 + (data[0] << 8 | data[1]) % (65535 - 64 + 1); /* validate.c's bounds */
	data += 2;
	size -= 2;
	nl = memchr(data, '\n', size);
	flen = nl != NULL ? (size_t)(nl - data) : size;
	if (flen > 1024 || memchr(data, '\0', flen) != NULL)
		return (0);
	if ((filter = malloc(flen + 1)) == NULL)
		return (0);
	memcpy(filter, data, flen);
	filter[flen] = '\0';
	if (capture_check_filter(filter, snaplen, &e) == -1) {
		if (e.code != ERR_INVALID || strncmp(e.msg, "filter: ", 8) != 0 || e.msg[8] == '\0')
			__builtin_trap();
	} else if (filter[0] != '\0') {
		size_t off = nl != NULL ? flen + 1 : size;

		fuzz_run(filter, snaplen, data + off, size - off);
	}
	free(filter);
	return (0);
}
