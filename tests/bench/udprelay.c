/*
 * udprelay - the user-space reference for the datapath benchmark, in the
 * style of GNS3's ubridge: joins an Ethernet interface to a UDP tunnel.
 * Frames read from IFACE (an AF_PACKET socket) go out one UDP datagram each
 * to REMOTE_HOST:REMOTE_PORT; datagrams received on LOCAL_PORT are written
 * out of IFACE. One thread per direction, blocking I/O, one syscall per frame
 * each way (recv + send), no batching, default socket buffers: as ubridge
 * does. Two of these, ports crossed, make a link between two interfaces.
 * Runs until killed; on SIGTERM/SIGINT prints its counters to stderr.
 * usage: udprelay IFACE LOCAL_PORT REMOTE_PORT [REMOTE_HOST]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define BUFSZ 65536

static int pfd = -1, ufd = -1;
static atomic_ullong to_udp, to_eth, send_errs;
static const char *ifname;

/* IFACE -> UDP */
static void *
eth_to_udp(void *arg)
{
	static unsigned char buf[BUFSZ];
	struct sockaddr_ll from;

	(void)arg;
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(pfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udprelay: recv (packet)");
			exit(1);
		}
		/* Kernels without PACKET_IGNORE_OUTGOING: never relay our own writes back. */
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (send(ufd, buf, (size_t)n, 0) < 0)
			atomic_fetch_add(&send_errs, 1); /* ECONNREFUSED until the far end is up */
		else
			atomic_fetch_add(&to_udp, 1);
	}
	return (NULL);
}

/* UDP -> IFACE */
static void *
udp_to_eth(void *arg)
{
	static unsigned char buf[BUFSZ];

	(void)arg;
	for (;;) {
		ssize_t n = recv(ufd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			perror("udprelay: recv (udp)");
			exit(1);
		}
		if (n < ETH_HLEN)
			continue;
		if (send(pfd, buf, (size_t)n, 0) < 0)
			atomic_fetch_add(&send_errs, 1);
		else
			atomic_fetch_add(&to_eth, 1);
	}
	return (NULL);
}

static void
report(int sig)
{
	char line[200];
	int len = snprintf(line, sizeof(line),
	    "udprelay %s: %llu frames to udp, %llu to the interface, %llu send errors\n", ifname,
	    (unsigned long long)atomic_load(&to_udp), (unsigned long long)atomic_load(&to_eth),
	    (unsigned long long)atomic_load(&send_errs));

	if (len > 0)
		(void)!write(2, line, (size_t)len);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct sockaddr_in local = {.sin_family = AF_INET}, remote = {.sin_family = AF_INET};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	pthread_t t1, t2;
	int one = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: udprelay IFACE LOCAL_PORT REMOTE_PORT [REMOTE_HOST]\n");
		return (2);
	}
	ifname = argv[1];
	local.sin_port = htons((unsigned short)atoi(argv[2]));
	remote.sin_port = htons((unsigned short)atoi(argv[3]));
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (inet_pton(AF_INET, argc == 5 ? argv[4] : "127.0.0.1", &remote.sin_addr) != 1) {
		fprintf(stderr, "udprelay: bad REMOTE_HOST\n");
		return (2);
	}
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0) {
		perror("udprelay: IFACE");
		return (1);
	}
	mr.mr_ifindex = sll.sll_ifindex;
	if ((pfd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) == -1 ||
	    bind(pfd, (struct sockaddr *)&sll, sizeof(sll)) == -1 ||
	    setsockopt(pfd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) == -1) {
		perror("udprelay: packet socket");
		return (1);
	}
	(void)setsockopt(pfd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if ((ufd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(ufd, (struct sockaddr *)&local, sizeof(local)) == -1 ||
	    connect(ufd, (struct sockaddr *)&remote, sizeof(remote)) == -1) {
		perror("udprelay: udp socket");
		return (1);
	}
	signal(SIGTERM, report);
	signal(SIGINT, report);
	if (pthread_create(&t1, NULL, eth_to_udp, NULL) != 0 ||
	    pthread_create(&t2, NULL, udp_to_eth, NULL) != 0) {
		fprintf(stderr, "udprelay: pthread_create failed\n");
		return (1);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return (0);
}
