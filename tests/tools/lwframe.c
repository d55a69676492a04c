/*
 * lwframe - inject and capture raw Ethernet frames for labwire's integration
 * tests and benchmarks: send crafted frames at one end of a lab link and check
 * they arrive byte-identical at the other, or measure rate and loss. Plain C,
 * libc only, so it also builds with `gcc -static` for the tiny-linux guest.
 *
 * usage: lwframe send IFACE HEX... | -
 *        lwframe recv IFACE [--count N] [--timeout MS] [--src MAC]
 *        lwframe blast IFACE --dst MAC --size BYTES --count N [--rate-kbps R] [--pps P]
 *        lwframe count IFACE [--seconds S] [--idle MS]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 9216 /* largest frame we send or expect, without FCS */
#define RECV_MAX 65536 /* a bigger receive buffer: an oversized frame is reported, not cut */
#define VLAN_HLEN 4
#define ETHERTYPE_LW 0x88b5 /* IEEE local experimental: never anybody's real traffic */
#define COUNT_MAX 100000000 /* frames in one blast: sequence numbers 0..COUNT_MAX-1 */

#define NOINTR(expr)                                                                               \
	({                                                                                         \
		long r_;                                                                           \
		do                                                                                 \
			r_ = (long)(expr);                                                         \
		while (r_ == -1 && errno == EINTR);                                                \
		r_;                                                                                \
	})

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: lwframe send IFACE HEX... | -\n"
	    "       lwframe recv IFACE [--count N] [--timeout MS] [--src MAC]\n"
	    "       lwframe blast IFACE --dst MAC --size BYTES --count N "
	    "[--rate-kbps R] [--pps P]\n"
	    "       lwframe count IFACE [--seconds S] [--idle MS]\n");
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static unsigned long
parse_num(const char *s, unsigned long min, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		errx(2, "%s: '%s' is not a number in %lu..%lu", what, s, min, max);
	return (v);
}

static void
parse_mac(const char *s, unsigned char mac[ETH_ALEN])
{
	int n = -1;

	if (sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2], &mac[3],
	        &mac[4], &mac[5], &n) != 6 ||
	    n != (int)strlen(s))
		errx(2, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
}

/* A subcommand's options, as a table: each takes one value, a number or a MAC. */
struct opt {
	const char *name;
	unsigned long min, max;
	unsigned long *num; /* the number, or 1 once the MAC is set */
	unsigned char *mac; /* non-NULL: the value is a MAC */
};

static void
parse_opts(int argc, char **argv, const struct opt *opts)
{
	const struct opt *o;
	int i;

	for (i = 1; i < argc; i += 2) {
		for (o = opts; o->name != NULL && strcmp(o->name, argv[i]) != 0; o++)
			;
		if (o->name == NULL)
			usage();
		if (i + 1 >= argc)
			errx(2, "%s needs a value", argv[i]);
		if (o->mac != NULL) {
			parse_mac(argv[i + 1], o->mac);
			*o->num = 1;
		} else
			*o->num = parse_num(argv[i + 1], o->min, o->max, o->name);
	}
}

/* Decodes n hex digits into buf (FRAME_MAX bytes); returns the frame's length or -1. */
static ssize_t
hex_decode(const char *s, size_t n, unsigned char *buf)
{
	static const char digits[] = "0123456789abcdef";
	const char *hi, *lo;
	size_t i;

	if (n % 2 != 0 || n / 2 < ETH_HLEN || n / 2 > FRAME_MAX)
		return (-1);
	for (i = 0; i < n / 2; i++) {
		/* Check for NUL first: strchr would find the terminator. */
		if (s[2 * i] == '\0' || s[2 * i + 1] == '\0' ||
		    (hi = strchr(digits, tolower((unsigned char)s[2 * i]))) == NULL ||
		    (lo = strchr(digits, tolower((unsigned char)s[2 * i + 1]))) == NULL)
			return (-1);
		buf[i] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return ((ssize_t)(n / 2));
}

/*
 * A packet socket bound to IFACE. With proto 0 it only sends: the kernel
 * hooks a socket into receive only once it is bound to a protocol, so binding
 * with ETH_P_ALL (rather than creating the socket with it) also means no
 * frame from another interface can slip in before the bind.
 */
static int
sock_open(const char *ifname, int proto)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(proto)};
	int fd;

	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0)
		err(1, "%s", ifname);
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1)
		err(1, "socket(AF_PACKET)");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		err(1, "bind %s", ifname);
	return (fd);
}

/* A receiving socket: promiscuous, with VLAN metadata, "ready" on stderr. */
static int
sock_listen(const char *ifname)
{
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	int fd, on = 1, rcvbuf = 8 << 20;

	fd = sock_open(ifname, ETH_P_ALL);
	mr.mr_ifindex = (int)if_nametoindex(ifname);
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) == -1)
		err(1, "%s: promiscuous mode", ifname);
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) == -1)
		err(1, "PACKET_AUXDATA");
	/* Room for a blast's bursts; FORCE needs root, the plain one is capped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fprintf(stderr, "ready\n");
	return (fd);
}

static void
frame_send(int fd, const unsigned char *frame, size_t len)
{
	int tries = 0;

	/* ENOBUFS: the device queue is full, the frame was not sent; wait and retry. */
	while (NOINTR(send(fd, frame, len, 0)) == -1) {
		if (errno != ENOBUFS || ++tries > 10000)
			err(1, "send %zu-byte frame", len);
		usleep(100);
	}
}

/* Waits until fd is readable (1) or the deadline, CLOCK_MONOTONIC ns, passes (0). */
static int
wait_readable(int fd, uint64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t now = now_ns();
	int n;

	if (now >= deadline)
		return (0);
	if ((n = (int)NOINTR(poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000)))) == -1)
		err(1, "poll");
	return (n > 0);
}

/*
 * Receives one frame into buf (RECV_MAX + VLAN_HLEN bytes) and points *frame
 * at it. The kernel may have moved an 802.1Q/802.1ad tag into metadata; it is
 * put back after the MAC addresses so the frame reads as it was sent. Returns
 * its length, or 0 for one to ignore (our own outgoing frame, oversized).
 */
static size_t
frame_recv(int fd, unsigned char *buf, unsigned char **frame)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = {buf + VLAN_HLEN, RECV_MAX};
	struct msghdr msg = {.msg_name = &from,
	    .msg_namelen = sizeof(from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = &ctl,
	    .msg_controllen = sizeof(ctl)};
	struct tpacket_auxdata *aux;
	struct cmsghdr *c;
	uint16_t tpid, tci;
	ssize_t n;

	if ((n = NOINTR(recvmsg(fd, &msg, MSG_TRUNC))) == -1)
		err(1, "recvmsg");
	if (from.sll_pkttype == PACKET_OUTGOING)
		return (0);
	if (n > RECV_MAX || (msg.msg_flags & MSG_TRUNC)) {
		warnx("ignoring a %zd-byte frame (more than %d)", n, RECV_MAX);
		return (0);
	}
	*frame = buf + VLAN_HLEN;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		aux = (struct tpacket_auxdata *)CMSG_DATA(c);
		if (!(aux->tp_status & TP_STATUS_VLAN_VALID) || n < 2 * ETH_ALEN)
			continue;
		tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux->tp_vlan_tpid : 0x8100;
		tci = aux->tp_vlan_tci;
		memmove(buf, buf + VLAN_HLEN, 2 * ETH_ALEN);
		buf[12] = tpid >> 8, buf[13] = tpid & 0xff;
		buf[14] = tci >> 8, buf[15] = tci & 0xff;
		*frame = buf, n += VLAN_HLEN;
	}
	return ((size_t)n);
}

static void
send_stdin(int fd)
{
	unsigned char frame[FRAME_MAX];
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n, len;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (n == 0)
			continue;
		if ((len = hex_decode(line, (size_t)n, frame)) == -1)
			errx(1, "stdin line %zu: not a hex frame of %d..%d bytes", lineno, ETH_HLEN,
			    FRAME_MAX);
		frame_send(fd, frame, (size_t)len);
	}
	if (ferror(stdin))
		err(1, "stdin");
	free(line);
}

static int
cmd_send(int argc, char **argv)
{
	unsigned char frame[FRAME_MAX];
	ssize_t len;
	int fd, i;

	if (argc < 2)
		usage();
	fd = sock_open(argv[0], 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			send_stdin(fd);
			continue;
		}
		if ((len = hex_decode(argv[i], strlen(argv[i]), frame)) == -1)
			errx(1, "argument %d: not a hex frame of %d..%d bytes", i, ETH_HLEN,
			    FRAME_MAX);
		frame_send(fd, frame, (size_t)len);
	}
	close(fd);
	return (0);
}

static int
cmd_recv(int argc, char **argv)
{
	static unsigned char buf[RECV_MAX + VLAN_HLEN];
	static char line[2 * (RECV_MAX + VLAN_HLEN) + 2];
	unsigned char src[ETH_ALEN], *frame;
	unsigned long count = 0, timeout = 3000, got = 0, want_src = 0;
	const struct opt opts[] = {{"--count", 1, COUNT_MAX, &count, NULL},
	    {"--timeout", 1, 86400000, &timeout, NULL}, {"--src", 0, 0, &want_src, src}, {NULL}};
	uint64_t deadline;
	size_t len, j;
	int fd;

	parse_opts(argc, argv, opts);
	fd = sock_listen(argv[0]);
	/* The timeout is idle time: only a printed frame restarts it, not chatter. */
	deadline = now_ns() + (uint64_t)timeout * 1000000;
	while ((count == 0 || got < count) && wait_readable(fd, deadline)) {
		if ((len = frame_recv(fd, buf, &frame)) < ETH_HLEN)
			continue;
		if (want_src && memcmp(frame + ETH_ALEN, src, ETH_ALEN) != 0)
			continue;
		for (j = 0; j < len; j++) {
			line[2 * j] = "0123456789abcdef"[frame[j] >> 4];
			line[2 * j + 1] = "0123456789abcdef"[frame[j] & 0xf];
		}
		line[2 * len] = '\n';
		if (fwrite(line, 1, 2 * len + 1, stdout) != 2 * len + 1 || fflush(stdout) == EOF)
			err(1, "stdout");
		got++;
		deadline = now_ns() + (uint64_t)timeout * 1000000;
	}
	if (count != 0 && got < count)
		errx(1, "%s: %lu of %lu frames within %lu ms", argv[0], got, count, timeout);
	return (0);
}

static int
cmd_blast(int argc, char **argv)
{
	unsigned char frame[FRAME_MAX] = {0}, dst[ETH_ALEN];
	unsigned long size = 0, count = 0, kbps = 0, pps = 0, have_dst = 0, seq;
	const struct opt opts[] = {{"--dst", 0, 0, &have_dst, dst},
	    {"--size", 60, FRAME_MAX, &size, NULL}, {"--count", 1, COUNT_MAX, &count, NULL},
	    {"--rate-kbps", 1, 100000000, &kbps, NULL}, {"--pps", 1, 100000000, &pps, NULL},
	    {NULL}};
	uint64_t start, interval, due;
	struct timespec ts;
	struct ifreq ifr;
	int fd;

	parse_opts(argc, argv, opts);
	if (!have_dst || size == 0 || count == 0)
		usage();
	fd = sock_open(argv[0], 0);
	/* Our own MAC as the source, so a bridge learns where we are. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		err(1, "%s: SIOCGIFHWADDR", argv[0]);
	memcpy(frame, dst, ETH_ALEN);
	memcpy(frame + ETH_ALEN, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	frame[12] = ETHERTYPE_LW >> 8, frame[13] = ETHERTYPE_LW & 0xff;
	/* Nanoseconds between frames: the stricter of the two limits; 0 for none. */
	interval = kbps != 0 ? (uint64_t)size * 8 * 1000000 / kbps : 0;
	if (pps != 0 && 1000000000u / pps > interval)
		interval = 1000000000u / pps;
	start = now_ns();
	for (seq = 0; seq < count; seq++) {
		/* Frame seq is due at start + seq * interval: sleep overshoot catches up. */
		due = start + seq * interval;
		if (interval != 0 && now_ns() < due) {
			ts.tv_sec = (time_t)(due / 1000000000u);
			ts.tv_nsec = (long)(due % 1000000000u);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		frame[14] = (unsigned char)(seq >> 24), frame[15] = (unsigned char)(seq >> 16);
		frame[16] = (unsigned char)(seq >> 8), frame[17] = (unsigned char)seq;
		frame_send(fd, frame, size);
	}
	printf("sent %lu\n", count);
	close(fd);
	return (0);
}

struct tally {
	unsigned long long frames, bytes, reordered, distinct;
	uint64_t first, last; /* CLOCK_MONOTONIC ns */
	uint32_t min, max;
	unsigned char *seen; /* bitmap of sequence numbers, grown on demand */
	size_t seen_len;
};

/* The sequence number of a blast frame (under up to two VLAN tags), or -1. */
static int64_t
blast_seq(const unsigned char *f, size_t len)
{
	size_t off = 12;
	uint32_t seq;

	/* At most two tags (QinQ) left in the frame by the kernel. */
	while (off < 20 && off + 6 <= len &&
	    ((f[off] == 0x81 && f[off + 1] == 0x00) || (f[off] == 0x88 && f[off + 1] == 0xa8)))
		off += VLAN_HLEN;
	if (off + 6 > len || f[off] != ETHERTYPE_LW >> 8 || f[off + 1] != (ETHERTYPE_LW & 0xff))
		return (-1);
	off += 2;
	seq = (uint32_t)f[off] << 24 | (uint32_t)f[off + 1] << 16 | (uint32_t)f[off + 2] << 8 |
	    f[off + 3];
	/* Beyond any blast: not ours, and it must not grow the bitmap to 512 MiB. */
	return (seq < COUNT_MAX ? (int64_t)seq : -1);
}

static void
tally_add(struct tally *t, uint32_t seq, size_t len, uint64_t now)
{
	size_t need = seq / 8 + 1;

	if (need > t->seen_len) {
		need = need < 4096 ? 4096 : need * 2;
		if ((t->seen = realloc(t->seen, need)) == NULL)
			err(1, "realloc");
		memset(t->seen + t->seen_len, 0, need - t->seen_len);
		t->seen_len = need;
	}
	if (t->frames == 0)
		t->first = now, t->min = t->max = seq;
	else if (seq < t->max)
		t->reordered++;
	t->min = seq < t->min ? seq : t->min;
	t->max = seq > t->max ? seq : t->max;
	if (!(t->seen[seq / 8] & (1 << (seq % 8))))
		t->distinct++;
	t->seen[seq / 8] |= (unsigned char)(1 << (seq % 8));
	t->frames++;
	t->bytes += len;
	t->last = now;
}

static int
cmd_count(int argc, char **argv)
{
	static unsigned char buf[RECV_MAX + VLAN_HLEN];
	struct tally t = {0};
	unsigned long seconds = 60, idle = 2000;
	const struct opt opts[] = {
	    {"--seconds", 1, 86400, &seconds, NULL}, {"--idle", 1, 86400000, &idle, NULL}, {NULL}};
	uint64_t end, deadline;
	unsigned char *frame;
	int64_t seq;
	size_t len;
	int fd;

	parse_opts(argc, argv, opts);
	fd = sock_listen(argv[0]);
	end = now_ns() + (uint64_t)seconds * 1000000000u;
	for (;;) {
		deadline = end;
		if (t.frames != 0 && t.last + (uint64_t)idle * 1000000 < end)
			deadline = t.last + (uint64_t)idle * 1000000;
		if (!wait_readable(fd, deadline))
			break;
		if ((len = frame_recv(fd, buf, &frame)) == 0)
			continue;
		if ((seq = blast_seq(frame, len)) != -1)
			tally_add(&t, (uint32_t)seq, len, now_ns());
	}
	printf("frames %llu bytes %llu first %llu.%06llu last %llu.%06llu seq_missing %llu "
	       "reordered %llu\n",
	    t.frames, t.bytes, (unsigned long long)(t.first / 1000000000u),
	    (unsigned long long)(t.first % 1000000000u / 1000),
	    (unsigned long long)(t.last / 1000000000u),
	    (unsigned long long)(t.last % 1000000000u / 1000),
	    t.frames ? t.max - t.min + 1 - t.distinct : 0, t.reordered);
	free(t.seen);
	close(fd);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return (cmd_send(argc - 2, argv + 2));
	if (strcmp(argv[1], "recv") == 0)
		return (cmd_recv(argc - 2, argv + 2));
	if (strcmp(argv[1], "blast") == 0)
		return (cmd_blast(argc - 2, argv + 2));
	if (strcmp(argv[1], "count") == 0)
		return (cmd_count(argc - 2, argv + 2));
	usage();
}
