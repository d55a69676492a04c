/*
 * test_import_unl - the EVE-NG .unl reader (labs/import_unl.c) on the
 * model: the hand-written labs of tests/import (counts, kinds, IOL and
 * dynamips interface numbers, p2p links and LANs, drops, base64 configs,
 * PNETLab's config_data), the same through import_body against their
 * .expect.json (templates, labwire interface names, links, report), then files that must be refused
 * with a 422 that names the line or the node and attribute: truncated XML, a DTD (billion laughs,
 * external entities), a wrong root, ram="x", bytes that are not UTF-8, nesting and attribute bombs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "images/template.h"
#include "labs/importfmt.h"
#include "labs/importmap.h"
#include "tests/unit/test.h"
#include "tests/unit/import_check.h"

/* parse - buf into im; the parser's return, e filled. */
static int
parse(struct imp *im, const char *buf, size_t len, struct lw_err *e)
{
	memset(e, 0, sizeof(*e));
	if (imp_init(im, "unl", e) == -1)
		return (-1);
	return (imp_unl(im, buf, len, NULL, e));
}

static int
parse_s(struct imp *im, const char *s, struct lw_err *e)
{
	return (parse(im, s, strlen(s), e));
}

static const char *
node_str(struct imp *im, const char *node, const char *key)
{
	return (json_string_value(json_object_get(imp_node_find(im, node), key)));
}

static long
node_int(struct imp *im, const char *node, const char *key)
{
	json_t *v = json_object_get(imp_node_find(im, node), key);

	return (v ? (long)json_integer_value(v) : -1);
}

/* The link whose endpoints are "node:iface#index" joined by " ", or NULL. */
static json_t *
link_find(struct imp *im, const char *want)
{
	json_t *l, *ep;
	size_t i, j;
	char buf[512];

	json_array_foreach(im->links, i, l) {
		size_t n = 0;

		buf[0] = '\0';
		json_array_foreach(json_object_get(l, "endpoints"), j, ep) {
			json_t *ix = json_object_get(ep, "index");

			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s#%lld",
			    j ? " " : "", json_string_value(json_object_get(ep, "node")),
			    json_string_value(json_object_get(ep, "interface")),
			    ix ? (long long)json_integer_value(ix) : -1LL);
			if (n >= sizeof(buf))
				break;
		}
		if (strcmp(buf, want) == 0)
			return (l);
	}
	fprintf(stderr, "no link %s\n", want);
	return (NULL);
}

/* Is there a drop whose what + " " + reason contains each of the substrings a and b? */
static bool
dropped(struct imp *im, const char *a, const char *b)
{
	json_t *d;
	size_t i;
	char buf[1024];

	json_array_foreach(im->dropped, i, d) {
		snprintf(buf, sizeof(buf), "%s %s", json_string_value(json_object_get(d, "what")),
		    json_string_value(json_object_get(d, "reason")));
		if (strstr(buf, a) != NULL && (b == NULL || strstr(buf, b) != NULL))
			return (true);
	}
	fprintf(stderr, "no drop with '%s' and '%s'\n", a, b ? b : "");
	return (false);
}

static void
test_basic(void)
{
	struct imp im;
	struct lw_err e;
	size_t len = 0;
	char *buf = ic_read("tests/import/eve-basic.unl", &len);

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	CHECK(parse(&im, buf, len, &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(im.name, "eve basic");
	CHECK(strstr(json_string_value(im.guide), "share the hub & answer <ping>") != NULL);
	CHECK_STR(json_string_value(im.description),
	    "Every construct of an EVE-NG CE lab the importer reads");
	CHECK(json_array_size(im.nodes) == 7);
	CHECK_STR(node_str(&im, "R1", "kind"), "qemu:vios");
	CHECK_STR(node_str(&im, "SW1", "kind"), "qemu:viosl2");
	CHECK_STR(node_str(&im, "Linux", "kind"), "qemu:linux");
	CHECK_STR(node_str(&im, "IOL1", "kind"), "iol");
	CHECK_STR(node_str(&im, "VPC", "kind"), "vpcs");
	CHECK_STR(node_str(&im, "DKR", "kind"), "docker");
	CHECK_STR(node_str(&im, "R7", "kind"), "dynamips");
	CHECK_STR(node_str(&im, "R1", "image"), "vios-adventerprisek9-m-15.6.2T");
	CHECK(node_str(&im, "VPC", "image") == NULL); /* image="" */
	CHECK(node_int(&im, "Linux", "cpus") == 2 && node_int(&im, "Linux", "ram_mb") == 1024);
	CHECK(node_int(&im, "R1", "x") == 100 && node_int(&im, "R1", "y") == 200);
	CHECK(node_int(&im, "VPC", "x") == 100 && node_int(&im, "VPC", "y") == 600);
	/* base64 configs, one wrapped over lines with indentation */
	CHECK(strncmp(node_str(&im, "R1", "config") ?: "", "hostname R1\n!\ninterface", 22) == 0);
	CHECK_STR(
	    node_str(&im, "SW1", "config"), "hostname SW1\n!\nvlan 10\n name users\n!\nend\n");
	/* a VPCS script becomes the linux-host's: ip commands, each line kept as a comment */
	CHECK_STR(node_str(&im, "VPC", "config"),
	    "# converted from a VPCS script\n# VPCS: set pcname VPC\n# VPCS: ip 10.0.4.2 24 "
	    "10.0.4.1\n"
	    "ip addr add 10.0.4.2/24 dev eth0\nip route add default via 10.0.4.1\n");
	CHECK(node_str(&im, "Linux", "config") == NULL);
	/* 2-member bridges → p2p links, the 3-member hub → a LAN; IOL e0/1 (id 16) is
	 * slot 0 port 1 → 1, e1/0 (id 1) slot 1 port 0 → 4; dynamips ids are ranked */
	CHECK(json_array_size(im.links) == 4);
	CHECK(link_find(&im, "R1:Gi0/0#0 IOL1:e0/1#1") != NULL);
	CHECK(link_find(&im, "R1:Gi0/1#1 SW1:Gi0/0#0 Linux:e0#0") != NULL);
	CHECK(link_find(&im, "IOL1:e1/0#4 VPC:eth0#0") != NULL);
	CHECK(link_find(&im, "DKR:eth0#0 R7:fa0/0#0") != NULL);
	CHECK_STR(json_string_value(json_object_get(json_array_get(im.links, 1), "what")),
	    "network 2 (Hub)");
	/* the cloud with its member, the serial link once, the settings, the text object */
	CHECK(
	    dropped(&im, "network 3 (Internet)", "host network pnet0 (cloud) is not carried over"));
	CHECK(dropped(&im, "SW1:Gi0/1", NULL));
	CHECK(dropped(&im, "serial link IOL1:s2/0 - R7:s2/0", "labwire has Ethernet links only"));
	CHECK(dropped(&im, "settings of SW1", "start delay 30 s"));
	CHECK(dropped(&im, "settings of Linux", "vnc console"));
	CHECK(dropped(&im, "settings of R7", "idlepc 0x62f21000, modules in slots"));
	CHECK(dropped(&im, "text objects", "1 on the canvas"));
	/* one line per node at most, the serial link once: 6 lines in all */
	CHECK(json_array_size(im.dropped) == 6);
	CHECK(json_array_size(im.kept) == 0);
	imp_free(&im);
	free(buf);
}

static void
test_pnetlab(void)
{
	struct imp im;
	struct lw_err e;
	size_t len = 0;
	char *buf = ic_read("tests/import/eve-pnetlab.unl", &len);

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	CHECK(parse(&im, buf, len, &e) == 0);
	CHECK_STR(im.name, "pnet-campus");
	CHECK(im.guide == NULL && im.description == NULL);
	CHECK(json_array_size(im.nodes) == 3);
	CHECK_STR(node_str(&im, "HQ-R1", "config"),
	    "hostname HQ-R1\n!\ninterface Ethernet0/0\n ip address 10.1.12.1 255.255.255.252\n no "
	    "shutdown\n!\nend\n");
	CHECK(strncmp(node_str(&im, "HQ-SW1", "config") ?: "", "hostname HQ-SW1\n", 16) == 0);
	CHECK(strstr(node_str(&im, "PC1", "config") ?: "", "# VPCS: set pcname PC1\n") != NULL);
	CHECK(node_int(&im, "HQ-SW1", "x") == 420 && node_int(&im, "HQ-SW1", "y") == 160);
	CHECK(json_array_size(im.links) == 2);
	CHECK(link_find(&im, "HQ-R1:e0/0#0 HQ-SW1:e0/0#0") != NULL);
	CHECK(link_find(&im, "HQ-SW1:e0/1#1 PC1:eth0#0") != NULL);
	CHECK(dropped(&im, "network 3 (NAT)", "host network nat0"));
	CHECK(dropped(&im, "line objects", NULL));
	CHECK(dropped(&im, "workbooks", NULL));
	/* console="" and delay="0" carry nothing */
	CHECK(json_array_size(im.dropped) == 3);
	imp_free(&im);
	free(buf);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void
test_shapes(void)
{
	struct imp im;
	struct lw_err e;

	/* hub of 4 on a LAN; one-member and empty networks, unknown network types
	 * and node types are dropped with their interfaces; dynamips ranks ids;
	 * a second node of one name is renamed; config_data as an element */
	CHECK(parse_s(&im,
	          HEAD "<lab name='t'><topology><nodes>"
	               "<node id='1' name='A' type='qemu' template='vyos' left='35%' top='12.6'>"
	               "<interface id='3' name='eth3' type='ethernet' network_id='9'/>"
	               "<interface id='1' name='eth1' type='ethernet' network_id='7'/></node>"
	               "<node id='2' name='B' type='dynamips'>"
	               "<interface id='48' name='f3/0' type='ethernet' network_id='9'/>"
	               "<interface id='16' name='f1/0' type='ethernet' network_id='8'/>"
	               "<interface id='0' name='f0/0' type='ethernet'/></node>"
	               "<node id='3' name='C' type='asa'>"
	               "<interface id='0' name='g0' type='ethernet' network_id='9'/></node>"
	               "<node id='4' name='A' type='vpcs'>"
	               "<config_data>aG9zdG5hbWUgQQ==</config_data>"
	               "<interface id='0' name='e0' type='ethernet' network_id='9'/>"
	               "<interface id='1' name='e1' type='ethernet' network_id='42'/></node>"
	               "<node id='5' type='qemu'>"
	               "<interface id='0' name='e0' type='ethernet' network_id='9'/></node>"
	               "</nodes><networks>"
	               "<network id='9' type='bridge' name='Hub'/>"
	               "<network id='7' type='bridge' name='Lone'/>"
	               "<network id='6' type='ovs' name='Empty'/>"
	               "<network id='8' type='vxlan' name='Odd'/>"
	               "</networks></topology></lab>",
	          &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK(json_array_size(im.nodes) == 4);
	CHECK_STR(node_str(&im, "A", "kind"), "qemu:vyos");
	CHECK(node_int(&im, "A", "x") == 350 && node_int(&im, "A", "y") == 13);
	CHECK_STR(node_str(&im, "A-4", "kind"), "vpcs");
	CHECK_STR(
	    node_str(&im, "A-4", "config"), "# converted from a VPCS script\n# VPCS: hostname A\n");
	CHECK_STR(node_str(&im, "node5", "kind"), "qemu");
	CHECK(imp_node_find(&im, "C") == NULL);
	CHECK(json_array_size(im.links) == 1);
	CHECK(link_find(&im, "A:eth3#3 B:f3/0#2 A-4:e0#0 node5:e0#0") != NULL);
	CHECK(dropped(&im, "node C", "type 'asa'"));
	CHECK(dropped(&im, "network 7 (Lone)", "has one member"));
	CHECK(dropped(&im, "network 6 (Empty)", "has no member"));
	CHECK(dropped(&im, "network 8 (Odd)", "'vxlan'"));
	CHECK(dropped(&im, "A-4:e1", "names network 42"));
	CHECK(dropped(&im, "node name", "imported as 'A-4'"));
	imp_free(&im);

	/* IOL: slot = id % 16, port = id / 16, index = slot * 4 + port */
	CHECK(parse_s(&im,
	          "<lab><topology><nodes>"
	          "<node id='1' name='I' type='iol'>"
	          "<interface id='0' name='e0/0' type='ethernet' network_id='1'/>"
	          "<interface id='49' name='e1/3' type='ethernet' network_id='2'/>"
	          "<interface id='34' name='e2/2' type='ethernet' network_id='3'/></node>"
	          "<node id='2' name='J' type='iol'>"
	          "<interface id='16' name='e0/1' type='ethernet' network_id='1'/>"
	          "<interface id='3' name='e3/0' type='ethernet' network_id='2'/>"
	          "<interface id='50' name='e2/3' type='ethernet' network_id='3'/></node>"
	          "</nodes><networks><network id='1' type='bridge'/><network id='2' type='bridge'/>"
	          "<network id='3' type='bridge'/></networks></topology></lab>",
	          &e) == 0);
	CHECK(link_find(&im, "I:e0/0#0 J:e0/1#1") != NULL);
	CHECK(link_find(&im, "I:e1/3#7 J:e3/0#12") != NULL);
	CHECK(link_find(&im, "I:e2/2#10 J:e2/3#11") != NULL);
	imp_free(&im);

	/* configs: not base64 and too large are dropped, the node stays */
	{
		size_t big = 400 * 1024,
		       n = strlen("<lab><topology><nodes><node id='1' name='R' "
		                  "type='iol'/><node id='2' name='S' type='iol'/>"
		                  "</nodes></topology><objects><configs>");
		char *s = malloc(n + big + 200);

		memcpy(s,
		    "<lab><topology><nodes><node id='1' name='R' type='iol'/>"
		    "<node id='2' name='S' type='iol'/></nodes></topology><objects><configs>",
		    n);
		n +=
		    (size_t)sprintf(s + n, "<config id='1'>@@not base64@@</config><config id='2'>");
		memset(s + n, 'A', big);
		n += big;
		strcpy(s + n, "</config></configs></objects></lab>");
		CHECK(parse_s(&im, s, &e) == 0);
		CHECK(json_array_size(im.nodes) == 2);
		CHECK(node_str(&im, "R", "config") == NULL && node_str(&im, "S", "config") == NULL);
		CHECK(dropped(&im, "startup config of R", "not base64"));
		CHECK(dropped(
		    &im, "startup config of S", "307200 bytes; labwire keeps up to 262144"));
		imp_free(&im);
		free(s);
	}
	/* a config that decodes to bytes that are not UTF-8 (0xff 0xfe) */
	CHECK(parse_s(&im,
	          "<lab><topology><nodes><node id='1' name='R' type='iol' config_data='//4='/>"
	          "</nodes></topology></lab>",
	          &e) == 0);
	CHECK(dropped(&im, "startup config of R", "not UTF-8 text"));
	imp_free(&im);
}

/* bad - s must be refused with 422 and a message containing want. */
static void
bad(const char *s, size_t len, const char *want)
{
	struct imp im;
	struct lw_err e;
	int rc = parse(&im, s, len, &e);

	CHECK(rc == -1 && e.code == ERR_INVALID);
	if (strstr(e.msg, want) == NULL) {
		t_fail++;
		fprintf(stderr, "FAIL: '%s' does not contain '%s'\n", e.msg, want);
	} else {
		t_pass++;
	}
	/* nothing half-built is left behind for the caller to use */
	imp_free(&im);
}

static void
bad_s(const char *s, const char *want)
{
	bad(s, strlen(s), want);
}

static void
test_bad(void)
{
	static const char laughs[] =
	    HEAD "<!DOCTYPE lab [\n<!ENTITY a \"aaaaaaaaaa\">\n"
	         "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	         "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	         "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	         "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	         "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	         "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
	         "<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
	         "]>\n<lab name=\"&i;\"><description>&i;</description></lab>\n";
	int64_t t0;
	char *s;

	bad_s(HEAD "<lab name='x'><topology><nodes><node id='1' name='R1' type='iol'", "line 2: ");
	bad_s(HEAD "<lab>\n<topology>\n</lab>", "line 4: Opening and ending tag mismatch");
	t0 = clock_mono_ms();
	bad_s(laughs, "DTD and entities are not accepted");
	CHECK(clock_mono_ms() - t0 < 500);
	bad_s(HEAD "<!DOCTYPE lab SYSTEM \"http://example.com/lab.dtd\"><lab/>",
	    "DTD and entities are not accepted");
	bad_s(HEAD "<!DOCTYPE lab [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><lab>&x;</lab>",
	    "DTD and entities are not accepted");
	bad_s(HEAD "<lab>&x;</lab>", "line 2: Entity 'x' not defined");
	bad_s(HEAD "<topology/>", "line 2: the root element is <topology>, not <lab>");
	bad_s("", "line 1: Document is empty");
	bad_s(HEAD "<lab><topology><nodes>\n<node id='3' name='R1' type='qemu' ram='x'/>"
	           "</nodes></topology></lab>",
	    "line 3: node R1 (id 3): ram: expected an integer, not 'x'");
	bad_s(HEAD "<lab><topology><nodes>\n<node id='3' name='R1' type='qemu' cpu='-1'/>"
	           "</nodes></topology></lab>",
	    "line 3: node R1 (id 3): cpu: -1 is out of range 0..1024");
	bad_s(HEAD "<lab><topology><nodes>\n<node id='3' name='R1' type='qemu' left='far'/>"
	           "</nodes></topology></lab>",
	    "line 3: node R1 (id 3): left: expected a number, not 'far'");
	bad_s(HEAD "<lab><topology><nodes>\n<node id='three' name='R1' type='qemu'/>"
	           "</nodes></topology></lab>",
	    "line 3: node 'R1': id: expected an integer, not 'three'");
	bad_s(HEAD "<lab><topology><nodes>\n<node name='R1' type='qemu'/></nodes></topology></lab>",
	    "line 3: node 'R1': id missing");
	bad_s(HEAD "<lab><topology><nodes><node id='1' name='R1' type='qemu'>\n"
	           "<interface id='\n' name='e0' network_id='1'/></node></nodes></topology></lab>",
	    "line 4: node R1 (id 1) interface: id missing");
	bad_s(HEAD "<lab><topology><nodes><node id='1' name='R1' type='qemu'/>\n"
	           "<node id='1' name='R2' type='qemu'/></nodes></topology></lab>",
	    "line 3: node id 1 given twice");
	bad_s(HEAD "<lab><topology><nodes><node id='1' name='R1' type='qemu'>\n"
	           "<interface id='0' name='e0' network_id='two'/></node></nodes></topology></lab>",
	    "line 3: node R1 (id 1) interface: network_id: expected an integer, not 'two'");
	bad_s(HEAD "<lab><topology><networks>\n<network id='1'/><network id='1'/></networks>"
	           "</topology></lab>",
	    "line 3: network id 1 given twice");
	/* not UTF-8: a Latin-1 é, also under a declaration that claims Latin-1 */
	bad_s(HEAD "<lab name='caf\xe9'/>", "line 2: ");
	bad_s("<?xml version='1.0' encoding='ISO-8859-1'?>\n<lab name='caf\xe9'/>", "line 2: ");
	/* nesting past IMPORT_DEPTH_MAX */
	s = calloc(1, 100 * 5 + 100);
	strcpy(s, "<lab>");
	for (int i = 0; i < 100; i++)
		strcat(s, "<a>");
	bad_s(s, "elements nested deeper than 64");
	free(s);
	/* 40000 attributes on one element would take libxml2 seconds */
	s = malloc(40000 * 10 + 100);
	{
		size_t n = (size_t)sprintf(s, HEAD "\n<lab");

		for (int i = 0; i < 40000; i++)
			n += (size_t)sprintf(s + n, " a%d=''", i);
		strcpy(s + n, "/>");
	}
	t0 = clock_mono_ms();
	bad_s(s, "line 3: an element with more than 256 attributes");
	CHECK(clock_mono_ms() - t0 < 500);
	free(s);
	/* 2000 elements of 251 attributes: over the total */
	s = malloc(2000 * (251 * 8 + 4) + 100);
	{
		size_t n = (size_t)sprintf(s, "<lab>");

		for (int k = 0; k < 2000; k++) {
			n += (size_t)sprintf(s + n, "<n");
			for (int i = 0; i < 251; i++)
				n += (size_t)sprintf(s + n, " a%03d=''", i);
			n += (size_t)sprintf(s + n, "/>");
		}
		strcpy(s + n, "</lab>");
	}
	bad_s(s, "more than 500000 attributes");
	free(s);
	/* quoted '=' and '>' do not count; comments and CDATA are skipped */
	s = malloc(300 * 8 + 200);
	{
		size_t n = (size_t)sprintf(s, "<lab name='a=b>c'><!-- x=1 ");

		for (int i = 0; i < 300; i++)
			n += (size_t)sprintf(s + n, "a%03d=1 ", i);
		strcpy(s + n, "--><description><![CDATA[x=1 y=2]]></description></lab>");
	}
	{
		struct imp im;
		struct lw_err e;

		CHECK(parse_s(&im, s, &e) == 0);
		CHECK_STR(im.name, "a=b>c");
		CHECK_STR(json_string_value(im.description), "x=1 y=2");
		imp_free(&im);
	}
	free(s);
	/* more nodes than a lab may have */
	s = malloc(1100 * 40 + 100);
	{
		size_t n = (size_t)sprintf(s, "<lab><topology><nodes>");

		for (int i = 1; i <= 1001; i++)
			n += (size_t)sprintf(s + n, "<node id='%d' type='vpcs'/>", i);
		strcpy(s + n, "</nodes></topology></lab>");
	}
	bad_s(s, "more than 1000 nodes");
	free(s);
}

static void
test_files(void)
{
	struct lw_err e = {0};
	json_t *report = NULL, *body;

	ic_expect("eve-basic", ".unl", NULL);
	ic_expect("eve-pnetlab", ".unl", "unl");
	/* the lab's guide and description reach the POST /labs body; errors stay 422 */
	{
		size_t len = 0;
		char *buf = ic_read("tests/import/eve-basic.unl", &len);

		body = import_body(NULL, NULL, buf, len, &report, &e);
		CHECK(body != NULL);
		CHECK(strstr(json_string_value(json_object_get(body, "guide")) ?: "", "# Tasks") !=
		    NULL);
		CHECK_STR(json_string_value(json_object_get(body, "description")),
		    "Every construct of an EVE-NG CE lab the importer reads");
		json_decref(body);
		json_decref(report);
		report = NULL;
		free(buf);
	}
	body = import_body("unl", NULL, "<lab><x a='1' a='2'/></lab>", 27, &report, &e);
	CHECK(body == NULL && e.code == ERR_INVALID);
	CHECK(strstr(e.msg, "line 1: Attribute a redefined") != NULL);
	json_decref(report);
}

int
main(void)
{
	test_basic();
	test_pnetlab();
	test_shapes();
	test_bad();
	if (ic_setup() == -1)
		return (1);
	test_files();
	ic_done();
	TEST_DONE();
}
