/*
 * test_grade - labs/gradeparse on output as the shipped guests print it:
 * the echoed command and the prompt cut off (also when a narrow terminal
 * wrapped the echo), ping's summary from busybox and iputils, FRR's route
 * JSON (exact prefix, nexthop, a wrong next hop named), `ip route` lines
 * (default, /32, multipath), OSPF neighbours counted, BGP state, and a
 * pattern that must match or be absent.
 */
#include <stdlib.h>
#include <string.h>

#include "labs/gradeparse.h"
#include "tests/unit/test.h"

static char d[GRADE_DETAIL_MAX];

static void
test_body(void)
{
	char *b = gradeparse_body("ip route show\n10.0.0.0/24 dev eth0\nh1# ", "ip route show");

	CHECK_STR(b, "10.0.0.0/24 dev eth0\n");
	free(b);
	/* A long command the terminal wrapped: both echo lines go. */
	b = gradeparse_body(
	    "echo aaaaaaaaaa bbbbbbbb\nbbbb cccc\nout\nr1# ", "echo aaaaaaaaaa bbbbbbbbbbbb cccc");
	CHECK_STR(b, "out\n");
	free(b);
	b = gradeparse_body("show x\nr1# ", "show x");
	CHECK_STR(b, "");
	free(b);
	b = gradeparse_body("", "show x");
	CHECK_STR(b, "");
	free(b);
	/* bash's bracketed paste around the prompt, an OSC title, colours: all go. */
	b = gradeparse_body("ip route show\n\x1b[?2004ldefault via 10.0.1.1 dev eth0\n"
	                    "\x1b]0;t\a\x1b[01;31mred\x1b[0m\n\x1b[?2004hh1# ",
	    "ip route show");
	CHECK_STR(b, "default via 10.0.1.1 dev eth0\nred\n");
	free(b);
	b = gradeparse_body("x\n\x1b", "x");
	CHECK_STR(b, "");
	free(b);
	b = gradeparse_body("x\n\x1b]unterminated\n", "x");
	CHECK_STR(b, "");
	free(b);
	/* An empty command (Enter): its echo is the empty line. */
	b = gradeparse_body("\nh1# ", "");
	CHECK_STR(b, "");
	free(b);
}

static void
test_ping(void)
{
	const char *bb = "PING 10.0.0.2 (10.0.0.2): 56 data bytes\n"
	                 "64 bytes from 10.0.0.2: seq=0 ttl=64 time=1.2 ms\n"
	                 "64 bytes from 10.0.0.2: seq=1 ttl=64 time=0.9 ms\n\n"
	                 "--- 10.0.0.2 ping statistics ---\n"
	                 "3 packets transmitted, 2 packets received, 33% packet loss\n"
	                 "round-trip min/avg/max = 0.9/1.0/1.2 ms\n";
	const char *ip = "--- 10.0.0.9 ping statistics ---\n"
	                 "3 packets transmitted, 0 received, 100% packet loss, time 2043ms\n";

	CHECK(gradeparse_ping(bb, true, d, sizeof(d)));
	CHECK_STR(d, "2 of 3 replies");
	CHECK(!gradeparse_ping(bb, false, d, sizeof(d)));
	CHECK_STR(d, "2 of 3 replies: it answers, expected no reply");
	CHECK(!gradeparse_ping(ip, true, d, sizeof(d)));
	CHECK_STR(d, "0 of 3 replies");
	CHECK(gradeparse_ping(ip, false, d, sizeof(d)));
	CHECK_STR(d, "0 of 3 replies, as expected");
	CHECK(!gradeparse_ping("ping: sendto: Network is unreachable\n", true, d, sizeof(d)));
	CHECK_STR(d, "no reply (ping: sendto: Network is unreachable)");
	CHECK(gradeparse_ping("", false, d, sizeof(d)));
	CHECK_STR(d, "no reply (no output), as expected");
	/* A number that only looks like one: "received" without a count. */
	CHECK(!gradeparse_ping("packets transmitted, x received\n", true, d, sizeof(d)));
}

static const char frr_route[] =
    "{\n  \"10.0.3.0/24\":[\n    {\n      \"prefix\":\"10.0.3.0/24\",\n"
    "      \"protocol\":\"ospf\",\n      \"selected\":true,\n      \"nexthops\":[\n"
    "        {\"ip\":\"10.0.13.3\",\"afi\":\"ipv4\",\"interfaceName\":\"eth1\",\"active\":true}\n"
    "      ]\n    }\n  ]\n}\nr1# ";

static void
test_route_frr(void)
{
	CHECK(gradeparse_route_frr(frr_route, "10.0.3.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "route 10.0.3.0/24 (ospf, via 10.0.13.3)");
	CHECK(gradeparse_route_frr(frr_route, "10.0.3.7/24", "10.0.13.3", d, sizeof(d)));
	CHECK_STR(d, "route 10.0.3.0/24 via 10.0.13.3 (ospf)");
	CHECK(!gradeparse_route_frr(frr_route, "10.0.3.0/24", "10.0.12.2", d, sizeof(d)));
	CHECK_STR(d, "route 10.0.3.0/24 via 10.0.12.2 not in the table; via 10.0.13.3");
	CHECK(!gradeparse_route_frr(frr_route, "10.0.3.0/25", NULL, d, sizeof(d)));
	CHECK_STR(d, "no route to 10.0.3.0/25 in the table");
	CHECK(!gradeparse_route_frr("{}\n", "10.0.3.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "no route to 10.0.3.0/24 in the table");
	CHECK(!gradeparse_route_frr(
	    "% Unknown command: show ip rout\n", "10.0.3.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "cannot read the route table (% Unknown command: show ip rout)");
	CHECK(!gradeparse_route_frr("{\"10.0.3.0/24\": [", "10.0.3.0/24", NULL, d, sizeof(d)));
	CHECK(gradeparse_route_frr(
	    "{\"10.0.1.0/"
	    "24\":[{\"protocol\":\"connected\",\"nexthops\":[{\"directlyConnected\":true,"
	    "\"interfaceName\":\"eth0\"}]}]}",
	    "10.0.1.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "route 10.0.1.0/24 (connected, eth0 directly)");
}

static void
test_route_linux(void)
{
	const char *rt = "default via 10.0.1.1 dev eth0\n"
	                 "10.0.1.0/24 dev eth0 scope link  src 10.0.1.10\n"
	                 "10.0.3.0/24 via 10.0.13.3 dev eth1\n"
	                 "10.0.4.9 via 10.0.1.1 dev eth0\n"
	                 "10.0.5.0/24 proto ospf metric 20\n"
	                 "\tnexthop via 10.0.1.2 dev eth0 weight 1\n"
	                 "\tnexthop via 10.0.1.3 dev eth0 weight 1\n"
	                 "10.0.30.0/24 via 10.0.1.9 dev eth0\n";

	CHECK(gradeparse_route_linux(rt, "0.0.0.0/0", "10.0.1.1", d, sizeof(d)));
	CHECK_STR(d, "route 0.0.0.0/0 via 10.0.1.1");
	CHECK(gradeparse_route_linux(rt, "10.0.1.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "route 10.0.1.0/24 (dev eth0)");
	CHECK(!gradeparse_route_linux(rt, "10.0.3.0/24", "10.0.12.2", d, sizeof(d)));
	CHECK_STR(d, "route 10.0.3.0/24 via 10.0.12.2 not in the table; via 10.0.13.3");
	CHECK(gradeparse_route_linux(rt, "10.0.4.9/32", "10.0.1.1", d, sizeof(d)));
	CHECK(gradeparse_route_linux(rt, "10.0.5.0/24", "10.0.1.3", d, sizeof(d)));
	CHECK(!gradeparse_route_linux(rt, "10.0.5.0/24", "10.0.1.4", d, sizeof(d)));
	CHECK_STR(d, "route 10.0.5.0/24 via 10.0.1.4 not in the table; via 10.0.1.2, via 10.0.1.3");
	/* 10.0.3.0/24 is not 10.0.30.0/24's prefix, nor the other way round. */
	CHECK(
	    !gradeparse_route_linux("10.0.30.0/24 dev eth0\n", "10.0.3.0/24", NULL, d, sizeof(d)));
	CHECK_STR(d, "no route to 10.0.3.0/24 in the table");
	CHECK(!gradeparse_route_linux("", "0.0.0.0/0", NULL, d, sizeof(d)));
	/* A via that is only the start of another address does not count. */
	CHECK(!gradeparse_route_linux(rt, "10.0.3.0/24", "10.0.13.33", d, sizeof(d)));
	CHECK(!gradeparse_route_linux(rt, "10.0.3.0/24", "10.0.13.", d, sizeof(d)));
}

static void
test_prefix(void)
{
	char b[64];

	CHECK(gradeparse_prefix("10.0.3.5/24", b, sizeof(b)) == 0);
	CHECK_STR(b, "10.0.3.0/24");
	CHECK(gradeparse_prefix("10.0.3.5/0", b, sizeof(b)) == 0);
	CHECK_STR(b, "0.0.0.0/0");
	CHECK(gradeparse_prefix("10.0.3.5/33", b, sizeof(b)) == -1);
	CHECK(gradeparse_prefix("10.0.3.5", b, sizeof(b)) == -1);
	CHECK(gradeparse_prefix("10.0.3.5/", b, sizeof(b)) == -1);
	CHECK(gradeparse_prefix("2001:db8::1/64", b, sizeof(b)) == 0);
	CHECK_STR(b, "2001:db8::/64");
}

static void
test_ospf_bgp(void)
{
	const char *nb =
	    "\nNeighbor ID     Pri State           Up Time         Dead Time Address         "
	    "Interface                        RXmtL RqstL DBsmL\n"
	    "2.2.2.2           1 Full/DR         1m02s             35.123s 10.0.12.2       "
	    "eth0:10.0.12.1                       0     0     0\n"
	    "3.3.3.3           1 Init/DROther    2.001s            38.000s 10.0.13.3       "
	    "eth1:10.0.13.1                       0     0     0\n";

	CHECK(!gradeparse_ospf(nb, 2, d, sizeof(d)));
	CHECK_STR(d, "1 neighbour Full, expected 2");
	CHECK(gradeparse_ospf(nb, 1, d, sizeof(d)));
	CHECK_STR(d, "1 neighbour Full (at least 1 expected)");
	CHECK(gradeparse_ospf("", 0, d, sizeof(d)));
	CHECK(
	    !gradeparse_ospf(" Full/DR Full/DR\n", 2, d, sizeof(d))); /* one line, one neighbour */

	CHECK(gradeparse_bgp("BGP neighbor is 10.0.0.2, remote AS 65002\n  BGP state = "
	                     "Established, up for 00:01:02\n",
	    "10.0.0.2", d, sizeof(d)));
	CHECK_STR(d, "BGP session with 10.0.0.2 Established");
	CHECK(!gradeparse_bgp("  BGP state = Active\n", "10.0.0.2", d, sizeof(d)));
	CHECK_STR(d, "BGP session with 10.0.0.2 is Active, not Established");
	CHECK(!gradeparse_bgp("% No such neighbor in this view/vrf\n", "10.0.0.9", d, sizeof(d)));
	CHECK_STR(d, "no BGP neighbour 10.0.0.9 (% No such neighbor in this view/vrf)");
}

static void
test_match(void)
{
	const char *cfg = "hostname r1\ninterface eth0\n ip address 10.0.12.1/24\nexit\n";

	CHECK(gradeparse_match(cfg, "^ ip address 10\\.0\\.12\\.1/24$", false, d, sizeof(d)));
	CHECK_STR(d, "matched: ip address 10.0.12.1/24");
	CHECK(!gradeparse_match(cfg, "router ospf", false, d, sizeof(d)));
	CHECK_STR(d, "no match for /router ospf/");
	CHECK(gradeparse_match(cfg, "router ospf", true, d, sizeof(d)));
	CHECK_STR(d, "no match for /router ospf/, as required");
	CHECK(!gradeparse_match(cfg, "^hostname", true, d, sizeof(d)));
	CHECK_STR(d, "found, must be absent: hostname r1");
	CHECK(!gradeparse_match(cfg, "(", false, d, sizeof(d)));
	CHECK(strncmp(d, "bad pattern: ", 13) == 0);
	/* A long line is quoted around the match, not from its start. */
	CHECK(
	    gradeparse_match("3: eth1    inet 10.0.12.1/24 brd 10.0.12.255 scope global eth1\\ x\n"
	                     "2: eth0    inet 10.0.2.10/24 brd 10.0.2.255 scope global eth0\\ "
	                     "      valid_lft forever preferred_lft forever and more and more\n",
	        "brd 10\\.0\\.2\\.255", false, d, sizeof(d)));
	CHECK_STR(d,
	    "matched: ...h0    inet 10.0.2.10/24 brd 10.0.2.255 scope global eth0\\       "
	    "valid_lft foreve...");
	/* Output the guest prints may hold anything: control bytes are not quoted as such. */
	CHECK(gradeparse_match("a\x1b[0mb\n", "a", false, d, sizeof(d)));
	CHECK(strchr(d, '\x1b') == NULL);
}

int
main(void)
{
	test_body();
	test_ping();
	test_route_frr();
	test_route_linux();
	test_prefix();
	test_ospf_bgp();
	test_match();
	TEST_DONE();
}
