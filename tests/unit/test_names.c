/* test_names - user-name validation and id-derived interface names and MACs. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/base/names.h"
#include "tests/unit/test.h"

static const struct {
	const char *name;
	bool ok;
} valid_cases[] = {
    {"", false},
    {"r1", true},
    {"R1-core.a_b", true},
    {"a", true},
    {"9", false}, /* all digits: that is an id */
    {"9a", true},
    {"1234", false},
    {"a.", true},
    {"a-", true},
    {"a.b", true},
    {".x", false},
    {"-x", false},
    {"_x", false},
    {".", false},
    {"..", false},
    {"a..b", false},
    {"a..", false},
    {"a/b", false},
    {"/", false},
    {"a/", false},
    {"../etc", false},
    {"a b", false},
    {" a", false},
    {"a ", false},
    {"a\tb", false},
    {"a\nb", false},
    {"r\xc3\xa9seau", false}, /* "réseau" in UTF-8 */
    {"\xc3\xa9", false},
    {"%2e%2e", false},
    {"a%2e", false},
    {"a:b", false},
    {"a\\b", false},
    {"a'b", false},
    {"a\"b", false},
};

static void
test_valid_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		bool got = names_valid(valid_cases[i].name);

		if (got != valid_cases[i].ok)
			fprintf(stderr, "names_valid(\"%s\") = %d\n", valid_cases[i].name, got);
		CHECK(got == valid_cases[i].ok);
	}
	CHECK(!names_valid(NULL));
}

static void
test_valid_length(void)
{
	char s[80];

	memset(s, 'a', sizeof(s));
	s[63] = '\0';
	CHECK(names_valid(s)); /* 63 characters: the maximum */
	s[63] = 'a';
	s[64] = '\0';
	CHECK(!names_valid(s)); /* 64 */
	s[79] = '\0';
	CHECK(!names_valid(s));
}

static void
test_tap(void)
{
	char out[16];

	CHECK(names_tap(out, 7, 2) == 0);
	CHECK_STR(out, "lwt7n2");
	CHECK(names_tap(out, 0, 0) == 0);
	CHECK_STR(out, "lwt0n0");
	CHECK(names_tap(out, 123, 45) == 0);
	CHECK_STR(out, "lwt123n45");
	/* "lwt" + 10 digits + "n0" = 15: the largest node id that fits with NIC 0 */
	CHECK(names_tap(out, 9999999999LL, 0) == 0);
	CHECK_STR(out, "lwt9999999999n0");
	CHECK(strlen(out) == 15);
	errno = 0;
	CHECK(names_tap(out, 10000000000LL, 0) == -1);
	CHECK(errno == ENAMETOOLONG);
	errno = 0;
	CHECK(names_tap(out, 9999999999LL, 10) == -1);
	CHECK(errno == ENAMETOOLONG);
	CHECK(names_tap(out, 9999999, 9999) == 0);
	CHECK_STR(out, "lwt9999999n9999");
	errno = 0;
	CHECK(names_tap(out, 99999999, 9999) == -1); /* 16 characters */
	CHECK(errno == ENAMETOOLONG);
	errno = 0;
	CHECK(names_tap(out, INT64_MAX, 0) == -1);
	CHECK(errno == ENAMETOOLONG);
	errno = 0;
	CHECK(names_tap(out, -1, 0) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(names_tap(out, 1, -1) == -1);
	CHECK(errno == EINVAL);
}

static void
test_bridge(void)
{
	char out[16];

	CHECK(names_bridge(out, 1) == 0);
	CHECK_STR(out, "lwb1");
	CHECK(names_bridge(out, 0) == 0);
	CHECK_STR(out, "lwb0");
	/* "lwb" + 12 digits = 15 */
	CHECK(names_bridge(out, 999999999999LL) == 0);
	CHECK_STR(out, "lwb999999999999");
	errno = 0;
	CHECK(names_bridge(out, 1000000000000LL) == -1);
	CHECK(errno == ENAMETOOLONG);
	errno = 0;
	CHECK(names_bridge(out, -5) == -1);
	CHECK(errno == EINVAL);
}

static void
test_mac(void)
{
	char out[18];

	names_mac(out, 7, 2);
	CHECK_STR(out, "0a:00:00:00:07:02");
	names_mac(out, 0, 0);
	CHECK_STR(out, "0a:00:00:00:00:00");
	names_mac(out, 0xdeadbeefLL, 0xab);
	CHECK_STR(out, "0a:de:ad:be:ef:ab");
	names_mac(out, 0x1234567890LL, 1); /* only the low 32 bits */
	CHECK_STR(out, "0a:34:56:78:90:01");
	names_mac(out, 258, 15);
	CHECK_STR(out, "0a:00:00:01:02:0f");
}

static void
test_ours(void)
{
	CHECK(names_ours("lwt1n0"));
	CHECK(names_ours("lwb1"));
	CHECK(!names_ours("lw")); /* the prefix alone names nothing of ours */
	CHECK(!names_ours("lwb1\nfake"));
	CHECK(!names_ours("lwb1 x"));
	CHECK(!names_ours("lwabcdefghijklmn")); /* 16: past IFNAMSIZ */
	CHECK(names_ours("lwabcdefghijklm"));
	CHECK(!names_ours("eth0"));
	CHECK(!names_ours("lo"));
	CHECK(!names_ours("l"));
	CHECK(!names_ours(""));
	CHECK(!names_ours("LWb1"));
	CHECK(!names_ours("xlwb1"));
	CHECK(!names_ours(NULL));
}

/* The Host header: every form a client sends, and the malformed ones refused. */
static void
test_host_split(void)
{
	static const struct {
		const char *in, *name;
		int port; /* -1: refused */
	} cases[] = {
	    {"127.0.0.1:8080", "127.0.0.1", 8080}, {"localhost", "localhost", 80},
	    {"lab.example:443", "lab.example", 443}, {"[::1]:18080", "::1", 18080},
	    {"[::1]", "::1", 80}, {"[fe80::1%eth0]:1", "fe80::1%eth0", 1},
	    {"::1:8080", NULL, -1},    /* v6 without brackets */
	    {"host:", NULL, -1},       /* empty port */
	    {"host:0", NULL, -1},      /* out of range */
	    {"host:65536", NULL, -1},  /* out of range */
	    {"host:123456", NULL, -1}, /* too long */
	    {"host:80x", NULL, -1},    /* not a number */
	    {":8080", NULL, -1},       /* no name */
	    {"", NULL, -1},            /* nothing */
	    {"[::1", NULL, -1},        /* unclosed */
	    {"[::1]x", NULL, -1},      /* junk after the bracket */
	    {"[]:80", NULL, -1},       /* empty brackets */
	    {"[[::1]:80", NULL, -1},   /* a bracket inside */
	    {"a b:80", NULL, -1},      /* a space */
	    {"evil/x:80", NULL, -1},   /* a slash */
	};
	char name[32], longhost[64];
	int port;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = names_host_split(cases[i].in, name, sizeof(name), &port, 80);

		CHECK(rc == (cases[i].port == -1 ? -1 : 0));
		if (rc == 0) {
			CHECK_STR(name, cases[i].name);
			CHECK(port == cases[i].port);
		}
	}
	memset(longhost, 'a', 40);
	longhost[40] = '\0';
	CHECK(names_host_split(longhost, name, sizeof(name), &port, 80) == -1); /* too long */
	CHECK(names_host_split(NULL, name, sizeof(name), &port, 80) == -1);
}

int
main(void)
{
	test_host_split();
	test_valid_table();
	test_valid_length();
	test_tap();
	test_bridge();
	test_mac();
	test_ours();
	TEST_DONE();
}
