/*
 * pktgen - a raw-socket frame generator for the capture benchmark: sends
 * 128-byte UDP-in-Ethernet frames out of IFACE to DSTMAC at RATE frames per
 * second (0: as fast as it can) for SECONDS, in batches with sendmmsg, paced
 * against the clock. Prints the frames sent.
 * usage: pktgen IFACE DSTMAC RATE SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 128
#define BATCH 64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = ETH_ALEN};
	unsigned char frame[FRAME] = {0}, dst[6];
	struct mmsghdr msgs[BATCH];
	struct ifreq ifr;
	struct iovec iov = {frame, FRAME};
	double rate, secs, start, t;
	unsigned long long sent = 0;
	int fd;

	if (argc != 5 ||
	    sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3],
	        &dst[4], &dst[5]) != 6) {
		fprintf(stderr, "usage: pktgen IFACE DSTMAC RATE SECONDS\n");
		return (2);
	}
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	if ((fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) == -1 ||
	    (sll.sll_ifindex = (int)if_nametoindex(argv[1])) == 0) {
		perror("pktgen");
		return (1);
	}
	memcpy(sll.sll_addr, dst, 6);
	memcpy(frame, dst, 6);
	/* Our own MAC as the source, so the bridge learns where we are. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		perror("pktgen: SIOCGIFHWADDR");
		return (1);
	}
	memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6);
	frame[12] = 0x08; /* IPv4, UDP: enough for filters and tcpdump to parse */
	frame[14] = 0x45;
	frame[16] = 0;
	frame[17] = FRAME - 14;
	frame[22] = 64;
	frame[23] = 17;
	memcpy(frame + 26, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
	frame[34] = 0x30, frame[35] = 0x39, frame[36] = 0x30, frame[37] = 0x39; /* ports 12345 */
	frame[39] = FRAME - 34;
	/* A valid IPv4 header checksum: bridges with br_netfilter drop bad ones. */
	{
		uint32_t sum = 0;

		for (int i = 14; i < 34; i += 2)
			sum += (uint32_t)(frame[i] << 8 | frame[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		frame[24] = (unsigned char)(~sum >> 8);
		frame[25] = (unsigned char)(~sum & 0xff);
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	start = now();
	while ((t = now() - start) < secs) {
		int n;

		/* Ahead of the schedule: wait for the clock (never for a fixed sleep). */
		if (rate > 0 && (double)sent > t * rate) {
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
			continue;
		}
		if ((n = sendmmsg(fd, msgs, BATCH, 0)) > 0)
			sent += (unsigned long long)n;
	}
	printf("%llu\n", sent);
	return (0);
}
