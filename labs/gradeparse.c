/*
 * gradeparse - reading the output of a check's command.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/base/rx.h"
#include "labs/gradeparse.h"

#define QUOTE_MAX 80    /* bytes of a line of output quoted in a detail */
#define QUOTE_BEFORE 24 /* of them before where a match starts */

/*
 * Every detail ends here: what it quotes from the guest (a route's
 * interface name, a BGP state, a line) may hold control bytes, which a
 * detail shows as spaces. Returns passed.
 */
static bool
done(char *detail, bool passed)
{
	for (char *c = detail; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return (passed);
}

/* Non-blank characters of s up to its end or n bytes. */
static size_t
nonblank(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && s[i] != '\0'; i++)
		k += !isspace((unsigned char)s[i]);
	return (k);
}

/*
 * Terminal control sequences out of s, in place: CSI (ESC [ ... final, as
 * bash's bracketed-paste "ESC[?2004l" after the echo), OSC (ESC ] ... BEL
 * or ESC \\) and two-byte escapes. They are no output a check means.
 */
static void
strip_escapes(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0';) {
		if (*r != '\x1b') {
			*w++ = *r++;
			continue;
		}
		if (r[1] == '[') {
			r += 2;
			while (*r >= 0x20 && *r <= 0x3f)
				r++;
			if (*r >= 0x40 && *r <= 0x7e)
				r++;
		} else if (r[1] == ']') {
			for (r += 2; *r != '\0' && *r != '\a' && !(r[0] == '\x1b' && r[1] == '\\');)
				r++;
			r += *r == '\a' ? 1 : *r != '\0' ? 2 : 0;
		} else {
			r += r[1] != '\0' ? 2 : 1;
		}
	}
	*w = '\0';
}

char *
gradeparse_body(const char *out, const char *cmd)
{
	size_t want = nonblank(cmd, strlen(cmd)), seen = 0;
	char *clean = strdup(out), *body;
	const char *p, *end;

	if (clean == NULL)
		return (NULL);
	strip_escapes(clean);
	p = clean;

	/* The echo: whole lines until they hold as many non-blanks as the command. */
	while (seen < want || p == clean) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL) {
			p += strlen(p);
			break;
		}
		seen += nonblank(p, (size_t)(nl - p));
		p = nl + 1;
	}
	/* The prompt: the last line, which has no newline after it. */
	end = p + strlen(p);
	while (end > p && end[-1] != '\n')
		end--;
	body = strndup(p, (size_t)(end - p));
	free(clean);
	return (body);
}

/*
 * The line of s around position at, quoted into buf: from at most
 * QUOTE_BEFORE bytes before at, at most QUOTE_MAX bytes ("..." where cut).
 */
static const char *
line_at(const char *s, size_t at, char *buf, size_t len)
{
	size_t a = at, b = at;
	bool cut;
	int n;

	while (a > 0 && s[a - 1] != '\n' && at - a < QUOTE_BEFORE)
		a--;
	cut = a > 0 && s[a - 1] != '\n';
	while (s[b] != '\0' && s[b] != '\n')
		b++;
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	n = (int)(b - a > QUOTE_MAX ? QUOTE_MAX : b - a);
	snprintf(buf, len, "%s%.*s%s", cut ? "..." : "", n, s + a, b - a > QUOTE_MAX ? "..." : "");
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return (buf);
}

/* The first non-blank line of s, quoted; "" when there is none. */
static const char *
first_line(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	while (s[i] != '\0' && isspace((unsigned char)s[i]))
		i++;
	if (s[i] == '\0') {
		snprintf(buf, len, "no output");
		return (buf);
	}
	return (line_at(s, i, buf, len));
}

/* The number that ends just before s + at (digits, then spaces), or -1. */
static long
number_before(const char *s, size_t at)
{
	size_t b = at, a;

	while (b > 0 && s[b - 1] == ' ')
		b--;
	a = b;
	while (a > 0 && isdigit((unsigned char)s[a - 1]) && b - a < 9)
		a--;
	return (a == b ? -1 : strtol(s + a, NULL, 10));
}

/*
 * Replies and requests from ping's summary: busybox says "3 packets
 * transmitted, 3 packets received", iputils "3 packets transmitted, 3
 * received". 0, or -1 when there is no summary.
 */
static int
ping_counts(const char *body, long *sent, long *got)
{
	const char *t = strstr(body, " packets transmitted, "), *r;

	if (t == NULL)
		return (-1);
	*sent = number_before(body, (size_t)(t - body));
	r = t + strlen(" packets transmitted, ");
	if (!isdigit((unsigned char)*r))
		return (-1);
	*got = strtol(r, NULL, 10);
	return (*sent < 0 || *got < 0 ? -1 : 0);
}

bool
gradeparse_ping(const char *body, bool expect_success, char *detail, size_t len)
{
	char q[QUOTE_MAX + 12];
	long sent = 0, got = 0;

	if (ping_counts(body, &sent, &got) == -1) {
		/* "ping: sendto: Network unreachable" and the like: no reply came. */
		snprintf(detail, len, "no reply (%s)%s", first_line(body, q, sizeof(q)),
		    expect_success ? "" : ", as expected");
		return (done(detail, !expect_success));
	}
	if (expect_success)
		snprintf(detail, len, "%ld of %ld %s", got, sent, sent == 1 ? "reply" : "replies");
	else
		snprintf(detail, len, "%ld of %ld %s%s", got, sent, sent == 1 ? "reply" : "replies",
		    got == 0 ? ", as expected" : ": it answers, expected no reply");
	return (done(detail, expect_success ? got > 0 : got == 0));
}

int
gradeparse_prefix(const char *prefix, char *buf, size_t len)
{
	unsigned char a[16];
	char addr[64], out[INET6_ADDRSTRLEN];
	const char *slash = strchr(prefix, '/');
	int af, bits, max;
	char *end;
	long m;

	if (slash == NULL || (size_t)(slash - prefix) >= sizeof(addr))
		return (-1);
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - prefix), prefix);
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	m = strtol(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end != '\0' || m < 0 || m > max ||
	    inet_pton(af, addr, a) != 1)
		return (-1);
	bits = (int)m;
	for (int i = 0; i < max / 8; i++) {
		int keep = bits - i * 8;

		a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	if (inet_ntop(af, a, out, sizeof(out)) == NULL)
		return (-1);
	return (snprintf(buf, len, "%s/%d", out, bits) >= (int)len ? -1 : 0);
}

/* A nexthop as the detail names it: its address, else its interface. */
static void
nexthop_name(json_t *nh, char *buf, size_t len)
{
	const char *ip = json_string_value(json_object_get(nh, "ip"));
	const char *ifn = json_string_value(json_object_get(nh, "interfaceName"));

	if (ip != NULL)
		snprintf(buf, len, "via %.64s", ip);
	else if (ifn != NULL)
		snprintf(buf, len, "%.64s directly", ifn);
	else
		snprintf(buf, len, "via ?");
}

/* Append "; " (or first) and what to detail, within len. */
static void
detail_add(char *detail, size_t len, const char *sep, const char *what)
{
	size_t n = strlen(detail);

	if (n + 1 < len)
		snprintf(detail + n, len - n, "%s%s", n > 0 ? sep : "", what);
}

/* Whether routes (FRR's array for one prefix) have a nexthop via; the nexthops into seen. */
static bool
frr_has_via(json_t *routes, const char *via, char *seen, size_t len)
{
	json_t *r, *nh;
	size_t i, j;
	bool found = false;

	json_array_foreach(routes, i, r) {
		json_array_foreach(json_object_get(r, "nexthops"), j, nh) {
			const char *ip = json_string_value(json_object_get(nh, "ip"));
			char name[96];

			nexthop_name(nh, name, sizeof(name));
			if (strstr(seen, name) == NULL)
				detail_add(seen, len, ", ", name);
			if (via != NULL && ip != NULL && strcmp(ip, via) == 0)
				found = true;
		}
	}
	return (found);
}

bool
gradeparse_route_frr(
    const char *body, const char *prefix, const char *via, char *detail, size_t len)
{
	const char *brace = strchr(body, '{');
	char net[96], seen[160] = "", q[QUOTE_MAX + 12], proto[32] = "";
	json_t *o = NULL, *routes;
	bool passed = false;

	if (gradeparse_prefix(prefix, net, sizeof(net)) == -1)
		snprintf(net, sizeof(net), "%.80s", prefix);
	if (brace != NULL)
		o = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(o)) {
		snprintf(detail, len, "cannot read the route table (%s)",
		    first_line(body, q, sizeof(q)));
		json_decref(o);
		return (done(detail, false));
	}
	routes = json_object_get(o, net);
	if (!json_is_array(routes) || json_array_size(routes) == 0) {
		snprintf(detail, len, "no route to %s in the table", net);
	} else {
		snprintf(proto, sizeof(proto), "%.24s",
		    json_string_value(json_object_get(json_array_get(routes, 0), "protocol"))
		        ?: "?");
		passed = frr_has_via(routes, via, seen, sizeof(seen)) || via == NULL;
		if (via == NULL)
			snprintf(detail, len, "route %s (%s, %s)", net, proto, seen);
		else if (passed)
			snprintf(detail, len, "route %s via %s (%s)", net, via, proto);
		else
			snprintf(
			    detail, len, "route %s via %s not in the table; %s", net, via, seen);
	}
	json_decref(o);
	return (done(detail, passed));
}

/* How `ip route` names the prefix at the start of its line. */
static void
linux_route_key(const char *net, char *key, size_t len)
{
	const char *slash = strchr(net, '/');

	if (strcmp(net, "0.0.0.0/0") == 0 || strcmp(net, "::/0") == 0)
		snprintf(key, len, "default");
	else if (slash != NULL && (strcmp(slash, "/32") == 0 || strcmp(slash, "/128") == 0))
		snprintf(key, len, "%.*s", (int)(slash - net), net);
	else
		snprintf(key, len, "%s", net);
}

/* Every " via X" of the route's text l into seen; with none, its " dev X". */
static void
linux_route_seen(const char *l, char *seen, size_t len)
{
	const char *tag = strstr(l, " via ") != NULL ? " via " : " dev ";

	for (const char *v = l; (v = strstr(v, tag)) != NULL; v += 5) {
		int w = (int)strcspn(v + 5, " ");
		char what[96];

		snprintf(what, sizeof(what), "%.3s %.*s", tag + 1, w > 64 ? 64 : w, v + 5);
		if (strstr(seen, what) == NULL)
			detail_add(seen, len, ", ", what);
	}
}

bool
gradeparse_route_linux(
    const char *body, const char *prefix, const char *via, char *detail, size_t len)
{
	char net[96], key[96], want[96], seen[160] = "";
	size_t kl;
	bool found = false, passed = false;

	if (gradeparse_prefix(prefix, net, sizeof(net)) == -1)
		snprintf(net, sizeof(net), "%.80s", prefix);
	linux_route_key(net, key, sizeof(key));
	kl = strlen(key);
	snprintf(want, sizeof(want), " via %.64s ", via ? via : "");
	for (const char *p = body; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		/* Multipath routes go on in indented "nexthop via ..." lines. */
		size_t m = n;

		while (p[m] == '\n' && (p[m + 1] == '\t' || p[m + 1] == ' ')) {
			const char *nl2 = strchr(p + m + 1, '\n');

			m = nl2 ? (size_t)(nl2 - p) : strlen(p);
		}
		if (n >= kl && strncmp(p, key, kl) == 0 && (p[kl] == ' ' || kl == n)) {
			char l[512];

			found = true;
			snprintf(
			    l, sizeof(l), "%.*s ", (int)(m < sizeof(l) - 2 ? m : sizeof(l) - 2), p);
			for (char *c = l; *c; c++)
				if (*c == '\n' || *c == '\t')
					*c = ' ';
			if (via != NULL && strstr(l, want) != NULL)
				passed = true;
			linux_route_seen(l, seen, sizeof(seen));
		}
		p += m + (p[m] == '\n');
	}
	if (!found)
		snprintf(detail, len, "no route to %s in the table", net);
	else if (via == NULL)
		snprintf(detail, len, "route %s (%s)", net, seen);
	else if (passed)
		snprintf(detail, len, "route %s via %s", net, via);
	else
		snprintf(detail, len, "route %s via %s not in the table; %s", net, via, seen);
	return (done(detail, found && (via == NULL || passed)));
}

bool
gradeparse_ospf(const char *body, int full, char *detail, size_t len)
{
	int n = 0;

	for (const char *p = body; (p = strstr(p, " Full/")) != NULL; p++) {
		n++;
		if ((p = strchr(p, '\n')) == NULL) /* one a line */
			break;
	}
	if (n >= full)
		snprintf(detail, len, "%d %s Full (at least %d expected)", n,
		    n == 1 ? "neighbour" : "neighbours", full);
	else
		snprintf(detail, len, "%d %s Full, expected %d", n,
		    n == 1 ? "neighbour" : "neighbours", full);
	return (done(detail, n >= full));
}

bool
gradeparse_bgp(const char *body, const char *peer, char *detail, size_t len)
{
	const char *s = strstr(body, "BGP state = ");

	if (s != NULL && strncmp(s + 12, "Established", 11) == 0) {
		snprintf(detail, len, "BGP session with %.64s Established", peer);
		return (done(detail, true));
	}
	if (s != NULL) {
		int w = (int)strcspn(s + 12, ", \n");

		snprintf(detail, len, "BGP session with %.64s is %.*s, not Established", peer,
		    w > 32 ? 32 : w, s + 12);
	} else {
		char q[QUOTE_MAX + 12];

		snprintf(detail, len, "no BGP neighbour %.64s (%s)", peer,
		    first_line(body, q, sizeof(q)));
	}
	return (done(detail, false));
}

bool
gradeparse_match(const char *body, const char *re, bool absent, char *detail, size_t len)
{
	struct lw_err e = {0};
	struct rx *r = rx_new(re, RX_LINES, &e);
	size_t so = 0, eo = 0;
	char q[QUOTE_MAX + 12];
	int rc;

	if (r == NULL) {
		snprintf(detail, len, "bad pattern: %.200s", e.msg);
		return (done(detail, false));
	}
	rc = rx_match(r, body, strlen(body), 0, false, &so, &eo, &e);
	rx_free(r);
	if (rc == -1) {
		snprintf(detail, len, "the pattern hit a limit: %.200s", e.msg);
		return (done(detail, false));
	}
	if (rc == RX_MATCH && !absent)
		snprintf(detail, len, "matched: %s", line_at(body, so, q, sizeof(q)));
	else if (rc == RX_MATCH)
		snprintf(detail, len, "found, must be absent: %s", line_at(body, so, q, sizeof(q)));
	else
		snprintf(detail, len, "no match for /%.80s/%s", re, absent ? ", as required" : "");
	return (done(detail, absent ? rc != RX_MATCH : rc == RX_MATCH));
}
