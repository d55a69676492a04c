/*
 * names - validation of user-chosen names, and kernel interface names and
 * MAC addresses derived from ids. User names never reach the kernel: they
 * end up in URLs, paths and logs, so the accepted set is deliberately small.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/base/names.h"

/* IFNAMSIZ - 1: the longest name the kernel accepts for an interface. */
#define NAMES_IFNAME_MAX 15

static bool
names_alnum(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

/*
 * names_valid - true for ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ without "..".
 * The regex alone admits "a..b"; ".." is refused anywhere so that no name
 * can ever read as a parent-directory step once it lands in a path.
 * Bytes >= 0x80 (UTF-8) fail names_alnum and the punctuation test alike.
 */
bool
names_valid(const char *s)
{
	size_t i;

	if (s == NULL || !names_alnum(s[0]))
		return (false);
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= LW_NAME_MAX)
			return (false);
		if (!names_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return (false);
	}
	/* An all-digit name would be shadowed by an id in {lab}/{node} references. */
	if (strspn(s, "0123456789") == strlen(s))
		return (false);
	return (strstr(s, "..") == NULL);
}

/*
 * names_iface_valid - an interface name as a NOS spells it (Gi0/1,
 * ge-0/0/2): 1-63 of A-Z a-z 0-9 / _ . -, no "..". It names a guest's NIC
 * in the model only, never a kernel interface.
 */
bool
names_iface_valid(const char *s)
{
	size_t l = strlen(s);

	if (l == 0 || l > LW_NAME_MAX)
		return (false);
	for (const char *p = s; *p; p++)
		if (!names_alnum(*p) && strchr("/_.-", *p) == NULL)
			return (false);
	return (strstr(s, "..") == NULL);
}

/* names_ifname - the shared tail of names_tap/names_bridge: fit-check a formatted name. */
static int
names_ifname(char out[16], const char *tmp, int len)
{
	if (len < 0 || len > NAMES_IFNAME_MAX) {
		out[0] = '\0';
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(out, tmp, (size_t)len + 1);
	return (0);
}

/*
 * names_tap - "lwt<node>n<nic>" in decimal; 0, or -1 with EINVAL for a
 * negative id or NIC and ENAMETOOLONG if it exceeds IFNAMSIZ - 1.
 */
int
names_tap(char out[16], int64_t node_id, int nic)
{
	char tmp[64];
	int len;

	if (node_id < 0 || nic < 0) {
		out[0] = '\0';
		errno = EINVAL;
		return (-1);
	}
	len = snprintf(tmp, sizeof(tmp), LW_IFPREFIX "t%" PRId64 "n%d", node_id, nic);
	return (names_ifname(out, tmp, len));
}

/* names_bridge - "lwb<link>" in decimal; 0 or -1 (EINVAL, ENAMETOOLONG). */
int
names_bridge(char out[16], int64_t link_id)
{
	char tmp[64];
	int len;

	if (link_id < 0) {
		out[0] = '\0';
		errno = EINVAL;
		return (-1);
	}
	len = snprintf(tmp, sizeof(tmp), LW_IFPREFIX "b%" PRId64, link_id);
	return (names_ifname(out, tmp, len));
}

/* names_engine - "lwe<link>a" / "lwe<link>b"; 0 or -1 (EINVAL, ENAMETOOLONG). */
int
names_engine(char out[16], int64_t link_id, int side)
{
	char tmp[64];
	int len;

	if (link_id < 0 || side < 0 || side > 1) {
		out[0] = '\0';
		errno = EINVAL;
		return (-1);
	}
	len = snprintf(tmp, sizeof(tmp), LW_IFPREFIX "e%" PRId64 "%c", link_id, side ? 'b' : 'a');
	return (names_ifname(out, tmp, len));
}

/*
 * names_mac - "0a:" + the low 32 bits of node_id as four bytes + the low
 * byte of nic. 0x0a has the locally-administered bit set and the group bit
 * clear, so the address is a valid unicast MAC that no vendor owns.
 * Nodes whose ids differ by a multiple of 2^32, or NICs above 255, collide;
 * lab sizes make both unreachable in practice.
 */
void
names_mac(char out[18], int64_t node_id, int nic)
{
	uint32_t node = (uint32_t)((uint64_t)node_id & 0xffffffffu);

	snprintf(out, 18, "0a:%02x:%02x:%02x:%02x:%02x", (unsigned)(node >> 24) & 0xff,
	    (unsigned)(node >> 16) & 0xff, (unsigned)(node >> 8) & 0xff, (unsigned)node & 0xff,
	    (unsigned)nic & 0xff);
}

/* names_ours - true if ifname starts with the daemon's prefix "lw". */
bool
names_ours(const char *ifname)
{
	size_t n = ifname != NULL ? strnlen(ifname, 16) : 0;

	/* The prefix, and nothing an interface name of ours never holds (the log quotes them). */
	return (n > strlen(LW_IFPREFIX) && n < 16 &&
	    strncmp(ifname, LW_IFPREFIX, strlen(LW_IFPREFIX)) == 0 &&
	    strspn(ifname, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
	        n);
}

/* What a host name or address may hold (":" and "%" for IPv6 and its zone). */
#define HOST_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_:%"

/* A port: 1-5 digits, 1..65535; -1 otherwise. */
static int
host_port(const char *p)
{
	long v = 0;

	if (*p == '\0' || strlen(p) > 5)
		return (-1);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		v = v * 10 + (*p - '0');
	}
	return (v >= 1 && v <= 65535 ? (int)v : -1);
}

int
names_host_split(const char *host, char *name, size_t len, int *port, int dflt)
{
	const char *end, *colon;
	size_t n;

	if (host == NULL)
		return (-1);
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || (end[1] != '\0' && end[1] != ':'))
			return (-1);
		n = (size_t)(end - host - 1);
		host++;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return (-1); /* an IPv6 address needs its brackets */
	}
	if (n == 0 || n >= len || strspn(host, HOST_CHARS) < n)
		return (-1);
	*port = colon ? host_port(colon + 1) : dflt;
	if (*port == -1)
		return (-1);
	memcpy(name, host, n);
	name[n] = '\0';
	return (0);
}
