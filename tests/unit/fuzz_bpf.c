/*
 * fuzz_bpf - libFuzzer target for a capture's filter (POST .../captures
 * {"filter"}), which libpcap compiles to BPF in the daemon: checked by
 * core/net/capture.c capture_check_filter, then compiled and run on every
 * frame of the link the same way. The input is SNAPLEN (2 bytes) FILTER
 * (to the first newline, at most the API's 1024 bytes) NEWLINE FRAME. libpcap
 * is not instrumented, so coverage cannot steer the fuzzer through its
 * grammar: when SNAPLEN's top bit is set, each FILTER byte picks a word of
 * the filter language instead, so most filters parse and reach the
 * compiler and its optimizer.
 * Besides ASan's checks: a refused filter says why (ERR_INVALID, libpcap's
 * words); a filter accepted compiles again and runs on the frame.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_words[] = {"tcp", "udp", "icmp", "icmp6", "arp", "ip", "ip6", "ether",
    "host", "net", "port", "portrange", "src", "dst", "and", "or", "not", "vlan", "mpls", "len",
    "less", "greater", "broadcast", "multicast", "proto", "tcp[tcpflags]", "tcp-syn", "tcp-ack",
    "icmp[icmptype]", "icmp-echo", "ether[12:2]", "ip[8]", "ip6[6]", "(", ")", "&", "|", "+", "-",
    "*", "/", "%", "<<", ">>", "=", "!=", "<", ">", "0", "1", "80", "65535", "0x88cc", "10.0.0.1",
    "10.0.0.0/8", "::1", "fe80::/64", "00:11:22:33:44:55", "gateway", "pppoes", "geneve", "inbound",
    "[", "]", ":", "4", "2", "&&", "||", "!"};

/* The filter the words picked by data[0..n) make (at most 56: within the API's 1024 bytes). */
static char *
fuzz_wordy(const uint8_t *data, size_t n)
{
	size_t nw = sizeof(fuzz_words) / sizeof(fuzz_words[0]), off = 0;
	char *f = malloc(n * 18 + 1);

	if (f == NULL)
		return (NULL);
	f[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(f + off, "%s%s", i ? " " : "", fuzz_words[data[i] % nw]);
	return (f);
}

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
	bool wordy;

	if (size < 2)
		return (0);
	wordy = (data[0] & 0x80) != 0;
	snaplen = 64 + ((data[0] & 0x7f) << 8 | data[1]) % (65535 - 64 + 1); /* validate.c's */
	data += 2;
	size -= 2;
	nl = memchr(data, '\n', size);
	flen = nl != NULL ? (size_t)(nl - data) : size;
	if (wordy) {
		if (flen > 56 || (filter = fuzz_wordy(data, flen)) == NULL)
			return (0);
	} else {
		if (flen > 1024 || memchr(data, '\0', flen) != NULL ||
		    (filter = malloc(flen + 1)) == NULL)
			return (0);
		memcpy(filter, data, flen);
		filter[flen] = '\0';
	}
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
