/*
 * test_fabric - TAPs and bridges as a user sees them (sysfs, /proc, frames
 * crossing the bridge). Needs root; runs in a private network namespace
 * (and a mount namespace, to mount a sysfs that shows that network
 * namespace: the host's /sys keeps showing the host's interfaces), so
 * nothing leaks to the host and everything vanishes with the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>

#include "core/net/fabric.h"
#include "core/base/strv.h"
#include "tests/unit/test.h"

#define MTU 9000
#define MARK "labwire:t1" /* this test's instance */

static void
enter_namespaces(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) == -1) {
		fprintf(stderr,
		    "test_fabric: unshare(CLONE_NEWNET|CLONE_NEWNS): "
		    "%s (needs root)\n",
		    strerror(errno));
		exit(1);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) == -1) {
		fprintf(stderr, "test_fabric: mounting a private sysfs: %s\n", strerror(errno));
		exit(1);
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* read_line - the first line of path, without its newline; 0 or -1. */
static int
read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return (-1);
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return (-1);
	buf[strcspn(buf, "\n")] = '\0';
	return (0);
}

/* sys_long - a number from /sys/class/net/<ifname>/<attr>; -1 if unreadable. */
static long
sys_long(const char *ifname, const char *attr)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	if (read_line(path, buf, sizeof(buf)) == -1)
		return (-1);
	return (strtol(buf, NULL, 0));
}

/* master_of - the name of ifname's master per sysfs, or "" if none. */
static const char *
master_of(const char *ifname, char *buf, size_t len)
{
	char path[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifname);
	if ((n = readlink(path, buf, len - 1)) <= 0)
		return ("");
	buf[n] = '\0';
	return (basename(buf));
}

/* has_inet6_addr - ifname has any IPv6 address, per /proc/net/if_inet6. */
static int
has_inet6_addr(const char *ifname)
{
	char line[256], dev[32];
	FILE *f = fopen("/proc/net/if_inet6", "r");
	int found = 0;

	if (f == NULL)
		return (0); /* no IPv6 in this kernel */
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %*s %31s", dev) == 1 && strcmp(dev, ifname) == 0)
			found = 1;
	fclose(f);
	return (found);
}

/* alias_of - ifname's IFLA_IFALIAS per sysfs ("" when none). */
static const char *
alias_of(const char *ifname, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", ifname);
	if (read_line(path, buf, len) == -1)
		buf[0] = '\0';
	return (buf);
}

/* wait_state - poll until sys_long(ifname, attr) == want, up to 3 s. */
static int
wait_state(const char *ifname, const char *attr, long want)
{
	for (int i = 0; i < 300; i++) {
		if (sys_long(ifname, attr) == want)
			return (1);
		sleep_ms(10);
	}
	return (0);
}

static void
collect(const char *ifname, void *arg)
{
	strv_add(arg, ifname);
}

/* listed - fabric_list_ours as one space-separated sorted string. */
static char *
listed(void)
{
	struct strv sv = {0};
	char *s;

	if (fabric_list_ours(collect, &sv) == -1)
		return (NULL);
	for (size_t i = 0; i + 1 < sv.n; i++) /* n is tiny: bubble sort */
		for (size_t j = 0; j + 1 < sv.n - i; j++)
			if (strcmp(sv.v[j], sv.v[j + 1]) > 0) {
				char *t = sv.v[j];

				sv.v[j] = sv.v[j + 1];
				sv.v[j + 1] = t;
			}
	s = strv_join(&sv);
	strv_free(&sv);
	return (s);
}

static void
test_refuse_foreign(void)
{
	static const char *foreign[] = {
	    "eth0", "lo", "lwtoolongname_xyz", "lw", "", "lw%d", "lw/x", "lw x", "LWB1", "xlwb1"};

	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		const char *n = foreign[i];

		errno = 0;
		CHECK(fabric_link_del(n) == -1 && errno == EINVAL);
		errno = 0;
		CHECK(fabric_bridge_add(n, 1500) == -1 && errno == EINVAL);
		errno = 0;
		CHECK(fabric_tap_open(n, 1500) == -1 && errno == EINVAL);
		errno = 0;
		CHECK(fabric_set_master(n, "lwb1") == -1 && errno == EINVAL);
		errno = 0;
		CHECK(fabric_set_master("lwt1n0", n) == -1 && errno == EINVAL);
	}
	errno = 0;
	CHECK(fabric_link_del(NULL) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(fabric_tap_open("lwt1n0", 0) == -1 && errno == EINVAL);
	/* reading a foreign name is allowed, and lo survived all of the above */
	CHECK(fabric_link_exists("lo") == 1);
	CHECK(fabric_link_exists("eth0") == 0);
	CHECK(fabric_link_exists("lwt1n0") == 0);
	CHECK(fabric_link_exists("lwtoolongname_xyz") == -1);
}

static void
check_tap(const char *name)
{
	char path[128], buf[64];

	CHECK(fabric_link_exists(name) == 1);
	CHECK(sys_long(name, "mtu") == MTU);
	CHECK((sys_long(name, "flags") & 0x1) == 0x1); /* IFF_UP */
	/* IFF_TAP | IFF_NO_PI, and not IFF_PERSIST (0x800) */
	CHECK(sys_long(name, "tun_flags") == 0x1002);
	CHECK_STR(alias_of(name, buf, sizeof(buf)), MARK);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", name);
	if (read_line(path, buf, sizeof(buf)) == 0)
		CHECK(strcmp(buf, "1") == 0); /* IN6_ADDR_GEN_MODE_NONE */
	CHECK(!has_inet6_addr(name));
}

static void
check_bridge(const char *name)
{
	char path[128], buf[64];

	CHECK(fabric_link_exists(name) == 1);
	CHECK(sys_long(name, "mtu") == MTU);
	CHECK((sys_long(name, "flags") & 0x1) == 0x1);
	CHECK(sys_long(name, "bridge/stp_state") == 0);
	CHECK(sys_long(name, "bridge/forward_delay") == 0);
	CHECK(sys_long(name, "bridge/multicast_snooping") == 0);
	CHECK(sys_long(name, "bridge/group_fwd_mask") == 0xfff8);
	CHECK_STR(alias_of(name, buf, sizeof(buf)), MARK);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", name);
	if (read_line(path, buf, sizeof(buf)) == 0)
		CHECK(strcmp(buf, "1") == 0);
	CHECK(!has_inet6_addr(name));
}

/*
 * frame_crosses - write an Ethernet frame to dst (ethertype type) into
 * from, and report whether to reads it back within a second. Other frames
 * on to are skipped; the payload carries a marker unique to this call.
 */
static int
frame_crosses(int from, int to, const uint8_t dst[6], uint16_t type)
{
	static int serial;
	uint8_t frame[64] = {0}, got[65536];
	int left = 1000;

	memcpy(frame, dst, 6);
	memcpy(frame + 6, "\x0a\x00\x00\x00\x01\x00", 6);
	frame[12] = type >> 8;
	frame[13] = type & 0xff;
	snprintf((char *)frame + 14, 40, "labwire-fabric-test-%d", ++serial);
	if (write(from, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return (0);
	while (left > 0) {
		struct pollfd pfd = {.fd = to, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 100) == 1) {
			n = read(to, got, sizeof(got));
			if (n >= 60 && memcmp(got, frame, 60) == 0)
				return (1);
		}
		left -= 100;
	}
	return (0);
}

static void
test_frames(int a, int b)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t lldp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
	static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
	static const uint8_t lacp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x02};
	int crossed;

	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	/* forward delay 0 still passes listening/learning on a timer */
	CHECK(wait_state("lwt1n0", "brport/state", 3));
	CHECK(wait_state("lwt2n0", "brport/state", 3));
	CHECK(frame_crosses(a, b, bcast, 0x88b5));
	CHECK(frame_crosses(b, a, bcast, 0x88b5));
	/*
	 * LLDP (01:80:c2:00:00:0e) crosses because group_fwd_mask has bit 14;
	 * asserted only where the kernel accepted that bit.
	 */
	crossed = frame_crosses(a, b, lldp, 0x88cc);
	printf("info: LLDP 01:80:c2:00:00:0e crosses the bridge: %s\n", crossed ? "yes" : "no");
	if (sys_long("lwb1", "bridge/group_fwd_mask") & 0x4000)
		CHECK(crossed);
	/* STP BPDUs cross a bridge whose STP is off, whatever the mask */
	CHECK(frame_crosses(a, b, stp, 0x0026));
	/* LACP: the kernel never forwards it (hence mirred for such links) */
	printf("info: LACP 01:80:c2:00:00:02 crosses the bridge: %s\n",
	    frame_crosses(a, b, lacp, 0x8809) ? "yes" : "no");
}

/* jumbo_crosses - a 9000-byte frame written at from is read whole at to. */
static int
jumbo_crosses(int from, int to)
{
	static uint8_t frame[9000], got[9216];
	int left = 1000;

	memset(frame, 0xab, sizeof(frame));
	memcpy(frame, "\x0a\x00\x00\x00\x04\x00\x0a\x00\x00\x00\x03\x00\x88\xb5", 14);
	if (write(from, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return (0);
	while (left > 0) {
		struct pollfd pfd = {.fd = to, .events = POLLIN};

		if (poll(&pfd, 1, 100) == 1 &&
		    read(to, got, sizeof(got)) == (ssize_t)sizeof(frame) &&
		    memcmp(got, frame, sizeof(frame)) == 0)
			return (1);
		left -= 100;
	}
	return (0);
}

/*
 * A point-to-point link: tc redirects between two TAPs carry what a
 * bridge cannot (LACP) and jumbo frames; a drop stops a direction; a
 * batch applies many requests and counts the one that failed.
 */
static void
test_redirect(void)
{
	static const uint8_t lacp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x02};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct fabric_batch *bt;
	int a = fabric_tap_open("lwt3n0", MTU), b = fabric_tap_open("lwt4n0", MTU);
	int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	CHECK(a >= 0 && b >= 0 && ns >= 0);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	CHECK(fabric_tc_drop(NULL, "lwt3n0") == 0);
	CHECK(!frame_crosses(a, b, bcast, 0x88b5));
	CHECK((bt = fabric_batch_new()) != NULL);
	CHECK(fabric_tc_redirect(bt, "lwt3n0", "lwt4n0") == 0);
	CHECK(fabric_tc_redirect(bt, "lwt4n0", "lwt3n0") == 0);
	CHECK(fabric_batch_run(bt) == 0);
	CHECK(frame_crosses(a, b, lacp, 0x8809));
	CHECK(frame_crosses(b, a, lacp, 0x8809));
	CHECK(jumbo_crosses(a, b));
	/* Programming it again replaces, never stacks. */
	CHECK(fabric_tc_redirect(NULL, "lwt3n0", "lwt4n0") == 0);
	CHECK(frame_crosses(a, b, bcast, 0x88b5));
	CHECK(fabric_tc_drop(NULL, "lwt3n0") == 0);
	CHECK(!frame_crosses(a, b, bcast, 0x88b5));
	CHECK(frame_crosses(b, a, bcast, 0x88b5)); /* the other direction still forwards */
	/* One bad request in a batch fails alone. */
	bt = fabric_batch_new();
	CHECK(fabric_tc_redirect(bt, "lwt3n0", "lwt4n0") == 0);
	errno = 0;
	CHECK(fabric_set_updown(bt, "lwt9n9", true) == -1 && errno == ENODEV); /* looked up now */
	/* queued; the kernel will refuse it (EEXIST), and what would mark it is not sent */
	CHECK(fabric_veth_add(bt, "lwt4n0", 1500, ns, "pe9", "0a:00:00:00:09:00", 1500) == 0);
	CHECK(fabric_batch_run(bt) == 1);
	CHECK(frame_crosses(a, b, bcast, 0x88b5));
	CHECK(sys_long("lwt4n0", "mtu") == MTU);
	close(ns);
	/* Refusals before anything is sent. */
	errno = 0;
	CHECK(fabric_tc_redirect(NULL, "lwt3n0", "lwt8n8") == -1 && errno == ENODEV);
	CHECK(fabric_tc_drop(NULL, "lo") == -1 && errno == EINVAL);
	close(a);
	close(b);
	CHECK(wait_state("lwt3n0", "mtu", -1) && wait_state("lwt4n0", "mtu", -1));
}

/* A veth pair whose peer is made in a namespace given by fd (here: our own). */
static void
test_veth(void)
{
	char buf[64];
	int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	FILE *f;
	int v6 = 0;

	CHECK(ns >= 0);
	CHECK(fabric_veth_add(NULL, "lwt5n0", MTU, ns, "pe0", "0a:00:00:00:05:00", 1500) == 0);
	CHECK(sys_long("lwt5n0", "mtu") == MTU);
	CHECK_STR(alias_of("lwt5n0", buf, sizeof(buf)), MARK);
	CHECK(sys_long("pe0", "mtu") == 1500);
	CHECK(read_line("/sys/class/net/pe0/address", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "0a:00:00:00:05:00");
	CHECK(fabric_set_updown(NULL, "lwt5n0", true) == 0);
	CHECK(sys_long("lwt5n0", "flags") & 1);
	CHECK(fabric_set_updown(NULL, "lwt5n0", false) == 0);
	CHECK(!(sys_long("lwt5n0", "flags") & 1));
	/* The host side got no IPv6 link-local address of its own. */
	if ((f = fopen("/proc/net/if_inet6", "r")) != NULL) {
		char line[256];

		while (fgets(line, sizeof(line), f) != NULL)
			v6 += strstr(line, "lwt5n0") != NULL;
		fclose(f);
	}
	CHECK(v6 == 0);
	errno = 0;
	CHECK(fabric_veth_add(NULL, "eth7", MTU, ns, "pe1", "0a:00:00:00:05:01", 1500) == -1 &&
	    errno == EINVAL);
	CHECK(fabric_veth_add(NULL, "lwt6n0", MTU, ns, "pe1", "not-a-mac", 1500) == -1);
	CHECK(fabric_link_del("lwt5n0") == 0);
	CHECK(wait_state("pe0", "mtu", -1)); /* deleting one end deletes the pair */
	close(ns);
}

static void *
hammer(void *arg)
{
	long id = (long)arg, fails = 0;
	char name[16];

	snprintf(name, sizeof(name), "lwb9%ld", id);
	for (int i = 0; i < 25; i++) {
		fails += fabric_bridge_add(name, 1500) != 0;
		fails += fabric_link_exists(name) != 1;
		fails += fabric_link_exists("lo") != 1;
		fails += fabric_link_del(name) != 0;
		fails += fabric_link_exists(name) != 0;
	}
	return ((void *)fails);
}

/* test_threads - concurrent callers each see their own answers. */
static void
test_threads(void)
{
	pthread_t t[4];
	void *fails;

	for (long i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, hammer, (void *)i) == 0);
	for (int i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], &fails) == 0);
		CHECK(fails == NULL);
	}
}

static void
test_wired(int a, int b)
{
	char buf[256], *s;
	int t;

	check_tap("lwt1n0");
	check_tap("lwt2n0");
	CHECK(fabric_bridge_add("lwb1", MTU) == 0);
	check_bridge("lwb1");
	CHECK(fabric_set_master("lwt1n0", "lwb1") == 0);
	CHECK(fabric_set_master("lwt2n0", "lwb1") == 0);
	CHECK_STR(master_of("lwt1n0", buf, sizeof(buf)), "lwb1");
	CHECK_STR(master_of("lwt2n0", buf, sizeof(buf)), "lwb1");
	errno = 0;
	CHECK(fabric_set_master("lwt1n0", "lwb404") == -1 && errno == ENODEV);
	/* again: success, still up, settings intact */
	CHECK(fabric_bridge_add("lwb1", MTU) == 0);
	check_bridge("lwb1");
	CHECK_STR(master_of("lwt1n0", buf, sizeof(buf)), "lwb1");
	/* an existing name that is not a bridge is not taken for one */
	CHECK((t = fabric_tap_open("lwb7", MTU)) >= 0);
	errno = 0;
	CHECK(fabric_bridge_add("lwb7", MTU) == -1 && errno == EOPNOTSUPP);
	close(t);
	CHECK(wait_state("lwb7", "mtu", -1));
	s = listed();
	CHECK_STR(s, "lwb1 lwt1n0 lwt2n0");
	free(s);
	test_frames(a, b);
}

/* foreign_tap - a persistent TAP nobody marked (the host's, say); 0 or -1. */
static int
foreign_tap(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r;

	if (fd == -1)
		return (-1);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	r = ioctl(fd, TUNSETIFF, &ifr) == -1 || ioctl(fd, TUNSETPERSIST, 1) == -1 ? -1 : 0;
	close(fd);
	return (r);
}

/* foreign_bridge - a bridge made by someone else, with alias (NULL: none); 0 or -1. */
static int
foreign_bridge(const char *name, const char *alias)
{
	char path[128];
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
	FILE *f;

	if (s == -1)
		return (-1);
	r = ioctl(s, SIOCBRADDBR, name);
	close(s);
	if (r == -1 || alias == NULL)
		return (r);
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", name);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	r = fputs(alias, f) == EOF ? -1 : 0;
	return (fclose(f) == EOF ? -1 : r);
}

/* Before an instance is set nothing is made; after, it stays the same. */
static void
test_instance(void)
{
	errno = 0;
	CHECK(fabric_tap_open("lwt1n0", MTU) == -1 && errno == EPERM);
	CHECK(fabric_bridge_add("lwb1", MTU) == -1 && errno == EPERM);
	CHECK(fabric_link_exists("lwb1") == 0 && fabric_link_exists("lwt1n0") == 0);
	CHECK(fabric_instance_set("") == -1 && errno == EINVAL);
	CHECK(fabric_instance_set("T1") == -1 && errno == EINVAL);
	CHECK(fabric_instance_set("t1:x") == -1 && errno == EINVAL);
	CHECK(fabric_instance_set("012345678901234567890123456789012") == -1 && errno == EINVAL);
	CHECK(fabric_instance_set("t1") == 0);
	CHECK(fabric_instance_set("t1") == 0);
	errno = 0;
	CHECK(fabric_instance_set("t2") == -1 && errno == EPERM);
}

/*
 * Interfaces named like ours but not marked ours (the host's lwbr0, a
 * persistent TAP, another daemon's bridge) are neither listed, changed,
 * taken over nor deleted; an unmarked one is claimed only before
 * fabric_claims_end, one marked by another instance never.
 */
static void
test_foreign(void)
{
	char buf[64], *s;
	int t;

	CHECK(foreign_bridge("lwbr0", NULL) == 0);
	CHECK(foreign_bridge("lwb8", NULL) == 0);
	CHECK(foreign_bridge("lwb9", "labwire:other") == 0);
	CHECK(foreign_tap("lwt7n0") == 0);
	CHECK((t = fabric_tap_open("lwt1n0", MTU)) >= 0);
	s = listed();
	CHECK_STR(s, "lwt1n0");
	free(s);
	errno = 0;
	CHECK(fabric_link_del("lwbr0") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_link_del("lwb9") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_bridge_add("lwb8", MTU) == -1 && errno == EEXIST);
	errno = 0;
	CHECK(fabric_tap_open("lwt7n0", MTU) == -1 && errno == EBUSY);
	errno = 0;
	CHECK(fabric_set_master("lwt1n0", "lwbr0") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_set_master("lwt7n0", "lwb9") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_tc_drop(NULL, "lwt7n0") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_tc_redirect(NULL, "lwt1n0", "lwt7n0") == -1 && errno == EPERM);
	errno = 0;
	CHECK(fabric_set_updown(NULL, "lwbr0", true) == -1 && errno == EPERM);
	CHECK(fabric_link_mine("lwbr0") == 0 && fabric_link_mine("lwt1n0") == 1);
	CHECK(fabric_link_mine("lwb404") == 0);
	/* all still there, as they were */
	CHECK(sys_long("lwbr0", "mtu") == 1500 && !(sys_long("lwbr0", "flags") & 1));
	CHECK(sys_long("lwb8", "mtu") == 1500 && sys_long("lwt7n0", "mtu") == 1500);
	CHECK((sys_long("lwt7n0", "tun_flags") & 0x800) != 0); /* still persistent */
	CHECK_STR(alias_of("lwb9", buf, sizeof(buf)), "labwire:other");
	CHECK_STR(master_of("lwt1n0", buf, sizeof(buf)), "");
	/* claims: an unmarked one, until they end; another instance's never */
	errno = 0;
	CHECK(fabric_claim("lwb9") == -1 && errno == EPERM);
	CHECK(fabric_claim("lwb8") == 1);
	CHECK(fabric_claim("lwb8") == 0);
	CHECK(fabric_claim("lwb404") == -1 && errno == ENODEV);
	CHECK_STR(alias_of("lwb8", buf, sizeof(buf)), MARK);
	fabric_claims_end();
	errno = 0;
	CHECK(fabric_claim("lwt7n0") == -1 && errno == EPERM);
	CHECK(fabric_link_del("lwb8") == 0 && fabric_link_exists("lwb8") == 0);
	close(t);
	CHECK(wait_state("lwt1n0", "mtu", -1));
	s = listed();
	CHECK_STR(s, "");
	free(s);
	CHECK(fabric_link_exists("lwbr0") == 1 && fabric_link_exists("lwb9") == 1 &&
	    fabric_link_exists("lwt7n0") == 1);
}

int
main(void)
{
	char buf[256], *s;
	int a, b;

	enter_namespaces();
	CHECK(fabric_init() == 0);
	CHECK(fabric_init() == 0);
	test_instance();
	test_refuse_foreign();
	/* The drop and LAN-port eBPF programs load (this kernel has no act_gact). */
	CHECK(fabric_can_isolate());
	CHECK((a = fabric_tap_open("lwt1n0", MTU)) >= 0);
	CHECK((b = fabric_tap_open("lwt2n0", MTU)) >= 0);
	errno = 0;
	CHECK(fabric_tap_open("lwt1n0", MTU) == -1 && errno == EBUSY);
	test_wired(a, b);
	/* a TAP is not persistent: closing its only fd removes it */
	close(a);
	CHECK(wait_state("lwt1n0", "mtu", -1));
	CHECK(fabric_link_exists("lwt1n0") == 0);
	s = listed();
	CHECK_STR(s, "lwb1 lwt2n0");
	free(s);
	CHECK(fabric_link_del("lwb1") == 0);
	CHECK(fabric_link_exists("lwb1") == 0);
	CHECK_STR(master_of("lwt2n0", buf, sizeof(buf)), "");
	CHECK(fabric_link_del("lwb1") == 0);
	/* deleting a TAP whose fd is still open (cleanup after a crash) */
	CHECK(fabric_link_del("lwt2n0") == 0);
	CHECK(fabric_link_exists("lwt2n0") == 0);
	close(b);
	test_redirect();
	test_veth();
	test_threads();
	s = listed();
	CHECK_STR(s, "");
	free(s);
	test_foreign();
	fabric_fini();
	errno = 0;
	CHECK(fabric_link_exists("lo") == -1 && errno == ENOTCONN);
	TEST_DONE();
}
