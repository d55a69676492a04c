/*
 * pktblast - a raw-socket frame blaster for the datapath benchmark: sends
 * SIZE-byte Ethernet frames (header included, FCS not: 60..65535) out of
 * IFACE to DSTMAC as fast as it can for SECONDS, in batches of 64 with
 * sendmmsg, and prints the frames sent. The EtherType is 0x88b5 (IEEE local
 * experimental) unless given: not IP, so br_netfilter, conntrack and the
 * receiver's IP stack stay out of the measurement. Source MAC: IFACE's own.
 * usage: pktblast IFACE DSTMAC SIZE SECONDS [ETHERTYPE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

#define BATCH 64
#define MAXFRAME 65535

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
	static unsigned char frame[MAXFRAME];
	unsigned char dst[6];
	struct mmsghdr msgs[BATCH];
	struct ifreq ifr;
	struct iovec iov;
	unsigned long ethertype = 0x88b5;
	unsigned long long sent = 0, errs = 0;
	double secs, start;
	long size;
	int fd;

	if ((argc != 5 && argc != 6) ||
	    sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3],
	        &dst[4], &dst[5]) != 6) {
		fprintf(stderr, "usage: pktblast IFACE DSTMAC SIZE SECONDS [ETHERTYPE]\n");
		return (2);
	}
	size = strtol(argv[3], NULL, 0);
	secs = atof(argv[4]);
	if (argc == 6)
		ethertype = strtoul(argv[5], NULL, 0);
	if (size < 60 || size > MAXFRAME || ethertype > 0xffff || secs <= 0) {
		fprintf(
		    stderr, "pktblast: SIZE 60..%d, SECONDS > 0, ETHERTYPE <= 0xffff\n", MAXFRAME);
		return (2);
	}
	/* Protocol 0: a send-only socket, never handed a copy of what the namespace receives. */
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1 ||
	    (sll.sll_ifindex = (int)if_nametoindex(argv[1])) == 0) {
		perror("pktblast");
		return (1);
	}
	sll.sll_protocol = htons((uint16_t)ethertype);
	memcpy(sll.sll_addr, dst, 6);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		perror("pktblast: SIOCGIFHWADDR");
		return (1);
	}
	memcpy(frame, dst, 6);
	memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6); /* a bridge learns where we are */
	frame[12] = (unsigned char)(ethertype >> 8);
	frame[13] = (unsigned char)(ethertype & 0xff);
	memcpy(frame + 14, "labwire-pktblast", 16);
	iov.iov_base = frame;
	iov.iov_len = (size_t)size;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	start = now();
	while (now() - start < secs) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += (unsigned long long)n;
		else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
			errs++; /* a full queue somewhere: go on */
		else {
			perror("pktblast: sendmmsg");
			return (1);
		}
	}
	if (errs)
		fprintf(stderr, "pktblast: %llu batches refused (ENOBUFS/EAGAIN)\n", errs);
	printf("%llu\n", sent);
	return (0);
}
