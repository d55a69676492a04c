/* The netlab reader on the import model (labs/import_netlab.c). */
#include <stdlib.h>
#include <string.h>

#include "labs/importfmt.h"
#include "test.h"

#include "import_check.h"

/* netlab_read - imp_netlab on a JSON doc. */
static int
netlab_read(struct imp *im, const char *text, struct lw_err *e)
{
	return (ic_mread(im, "netlab", imp_netlab, text, true, e));
}

static void
test_devices(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *doc =
	    "{\"name\": \"nl\", \"message\": \"ping r1 from h1\", \"provider\": \"clab\","
	    " \"defaults\": {\"device\": \"eos\"}, \"module\": [\"ospf\", \"bgp\"], \"bgp.as\": "
	    "65000,"
	    " \"groups\": {\"g1\": {\"members\": [\"r1\", \"g2\", \"ghost\"], \"device\": \"frr\","
	    "   \"node_data\": {\"memory\": 2048, \"bgp.as\": 65001}},"
	    "  \"g2\": [\"r3\"], \"g3\": {\"device\": \"vyos\"}},"
	    " \"nodes\": {\"r1\": null, \"r2\": {\"device\": \"iosv\", \"box\": \"cisco/iosv\","
	    "   \"cpu\": 2, \"memory\": \"1024\", \"ospf\": {\"area\": 0}},"
	    "  \"r3\": {\"memory\": 512}, \"r4\": {\"group\": \"g3\"}, \"r5\": {\"group\": "
	    "[\"g1\"],"
	    "   \"device\": \"linux\"}}}";

	CHECK(netlab_read(&im, doc, &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(im.name, "nl");
	CHECK_STR(json_string_value(im.guide), "ping r1 from h1");
	CHECK(json_array_size(im.nodes) == 5);
	CHECK_STR(ic_mstr(&im, "r1", "kind"), "frr");         /* its group's */
	CHECK(ic_mint(&im, "r1", "ram_mb") == 2048);          /* group node_data */
	CHECK_STR(ic_mstr(&im, "r2", "kind"), "iosv");        /* its own */
	CHECK_STR(ic_mstr(&im, "r2", "image"), "cisco/iosv"); /* box */
	CHECK(ic_mint(&im, "r2", "cpus") == 2 && ic_mint(&im, "r2", "ram_mb") == 1024);
	CHECK_STR(ic_mstr(&im, "r3", "kind"), "frr");  /* g2 is in g1 */
	CHECK(ic_mint(&im, "r3", "ram_mb") == 512);    /* its own wins */
	CHECK_STR(ic_mstr(&im, "r4", "kind"), "vyos"); /* named the group itself */
	CHECK_STR(ic_mstr(&im, "r5", "kind"), "linux");
	CHECK(ic_mdrops(&im, "member ghost") == 1);
	CHECK(ic_mdrops(&im, "provider") == 1);
	/* modules and their settings: one line for the whole file */
	CHECK(ic_mdrops(&im, "netlab modules are not carried over") == 1);
	CHECK(ic_mdrops(&im, "bgp.as") == 1 && ic_mdrops(&im, "ospf.area") == 1);
	CHECK(ic_mdrops(&im, "module") == 1);
	imp_free(&im);

	/* no device anywhere: netlab's own default */
	CHECK(netlab_read(&im, "{\"nodes\": [\"a\", \"b\"], \"links\": [\"a-b\"]}", &e) == 0);
	CHECK_STR(ic_mstr(&im, "a", "kind"), "iosv");
	CHECK(json_array_size(im.dropped) == 0);
	imp_free(&im);
	/* defaults.device written as one key */
	CHECK(netlab_read(&im, "{\"defaults.device\": \"cumulus\", \"nodes\": [\"a\"]}", &e) == 0);
	CHECK_STR(ic_mstr(&im, "a", "kind"), "cumulus");
	imp_free(&im);
}

static void
test_links(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *doc =
	    "{\"defaults\": {\"device\": \"iosv\"},"
	    " \"nodes\": {\"r1\": {\"device\": \"frr\"}, \"r2\": null, \"r3\": null,"
	    "   \"h1\": {\"device\": \"linux\"}},"
	    " \"links\": [\"r1-r2\", [\"r1\", \"r2\", \"r3\"],"
	    "  {\"r2\": {\"ipv4\": \"10.0.0.1/30\"}, \"r3\": null, \"bandwidth\": 100,"
	    "   \"type\": \"p2p\"},"
	    "  {\"h1\": {\"ifname\": \"eth7\"}, \"r1\": {}, \"type\": \"lan\", \"prefix\": "
	    "\"10.1.0.0/24\"},"
	    "  \"r1\", {\"r3\": {}}, \"r1-nope\","
	    "  {\"interfaces\": [{\"node\": \"r1\"}, {\"node\": \"h1\", \"ipv4\": 5}], \"mtu\": "
	    "1400}"
	    "]}";

	CHECK(netlab_read(&im, doc, &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK(json_array_size(im.links) == 5);
	/* r1 is frr: eth1, eth2, ... in link order; r2 (iosv) gets only indexes */
	CHECK_STR(ic_ep(&im, 0, 0), "r1:eth1:0");
	CHECK_STR(ic_ep(&im, 0, 1), "r2::0");
	CHECK(ic_neps(&im, 1) == 3);
	CHECK_STR(ic_ep(&im, 1, 0), "r1:eth2:1");
	CHECK_STR(ic_ep(&im, 1, 1), "r2::1");
	CHECK_STR(ic_ep(&im, 1, 2), "r3::0");
	CHECK_STR(ic_ep(&im, 2, 0), "r2::2");
	CHECK_STR(ic_ep(&im, 2, 1), "r3::1");
	CHECK_STR(ic_ep(&im, 3, 0), "h1:eth7:0"); /* ifname */
	CHECK_STR(ic_ep(&im, 3, 1), "r1:eth3:2");
	CHECK_STR(ic_ep(&im, 4, 0), "r1:eth4:3");
	CHECK_STR(ic_ep(&im, 4, 1), "h1:eth2:1");
	/* stubs, unknown nodes, settings */
	CHECK(ic_mdrops(&im, "links[4] (r1)") == 1 && ic_mdrops(&im, "stub link") == 2);
	CHECK(ic_mdrops(&im, "no node 'nope'") == 1);
	CHECK(ic_mdrops(&im, "r2.ipv4") == 1 && ic_mdrops(&im, "bandwidth") == 1);
	CHECK(ic_mdrops(&im, "prefix") == 1 && ic_mdrops(&im, "type") == 2);
	CHECK(ic_mdrops(&im, "h1.ipv4") == 1 && ic_mdrops(&im, "mtu") == 1);
	imp_free(&im);
}

static void
test_shapes(void)
{
	static const struct {
		const char *doc, *msg;
	} bad[] = {
	    {"[]", "not a netlab topology"},
	    {"{\"links\": []}", "nodes: missing"},
	    {"{\"nodes\": 3}", "nodes: expected a mapping or a list, not an integer"},
	    {"{\"nodes\": [\"a\", 1]}", "nodes[1]: expected a node name, not an integer"},
	    {"{\"nodes\": [\"a\", \"a\"]}", "nodes[1]: a second node named 'a'"},
	    {"{\"nodes\": {\"a\": 5}}", "nodes.a: expected a mapping, not an integer"},
	    {"{\"nodes\": {\"a\": {\"device\": [\"frr\"]}}}",
	        "nodes.a.device: expected a string, not a list"},
	    {"{\"nodes\": {\"a\": {\"cpu\": \"many\"}}}", "nodes.a.cpu: expected an integer"},
	    {"{\"nodes\": {\"a\": {\"group\": 3}}}", "nodes.a.group: expected a string or a list"},
	    {"{\"nodes\": [], \"defaults\": 1}", "defaults: expected a mapping"},
	    {"{\"nodes\": [], \"defaults\": {\"device\": 1}}",
	        "defaults.device: expected a string"},
	    {"{\"nodes\": [], \"groups\": []}", "groups: expected a mapping, not a list"},
	    {"{\"nodes\": [], \"groups\": {\"g\": 1}}", "groups.g: expected a list of members"},
	    {"{\"nodes\": [], \"groups\": {\"g\": {\"members\": [1]}}}",
	        "groups.g.members[0]: expected a name"},
	    {"{\"nodes\": [], \"groups\": {\"g\": {\"device\": 1}}}",
	        "groups.g.device: expected a string"},
	    {"{\"nodes\": [], \"links\": {}}", "links: expected a list, not a mapping"},
	    {"{\"nodes\": [\"a\"], \"links\": [3]}", "links[0]: expected \"r1-r2\""},
	    {"{\"nodes\": [\"a\"], \"links\": [[\"a\", 2]]}", "links[0][1]: expected a node name"},
	    {"{\"nodes\": [\"a\"], \"links\": [{\"a\": 2}]}", "links[0].a: expected a mapping"},
	    {"{\"nodes\": [\"a\"], \"links\": [{\"interfaces\": [{}]}]}",
	        "links[0].interfaces[0].node: missing"},
	    {"{\"nodes\": [\"a\"], \"links\": [{\"a\": {\"ifname\": 1}}]}",
	        "links[0].a.ifname: expected a string"},
	};
	struct imp im;
	struct lw_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK(netlab_read(&im, bad[i].doc, &e) == -1);
		ic_bad(&e, bad[i].msg);
		imp_free(&im);
	}
}

/* The hand-written files of tests/import, as the model has them (through the YAML reader). */
static void
test_files(void)
{
	struct imp im;
	struct lw_err e = {0};

	CHECK(ic_mfile(&im, "netlab", imp_netlab, "netlab-basic.netlab.yml", &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(im.name, "netlab-basic");
	CHECK(json_array_size(im.nodes) == 5 && json_array_size(im.links) == 5);
	CHECK_STR(ic_mstr(&im, "r1", "kind"), "frr");
	CHECK_STR(ic_mstr(&im, "r3", "kind"), "eos");
	CHECK_STR(ic_mstr(&im, "h2", "kind"), "linux");
	CHECK(ic_mint(&im, "r3", "ram_mb") == 2048);
	CHECK(ic_neps(&im, 2) == 3);
	CHECK_STR(ic_ep(&im, 2, 2), "h1:eth1:0");
	CHECK_STR(ic_ep(&im, 4, 0), "r2:eth4:3");
	CHECK_STR(ic_ep(&im, 4, 1), "r3::1");
	CHECK(ic_mdrops(&im, "stub link") == 1);
	CHECK(ic_mdrops(&im, "module ospf") == 1);
	imp_free(&im);

	CHECK(ic_mfile(&im, "netlab", imp_netlab, "netlab-list.netlab.yml", &e) == 0);
	CHECK(json_array_size(im.nodes) == 3 && json_array_size(im.links) == 3);
	CHECK_STR(ic_mstr(&im, "c", "kind"), "iosv");
	CHECK(ic_neps(&im, 2) == 3);
	imp_free(&im);
}

int
main(void)
{
	test_devices();
	test_links();
	test_shapes();
	test_files();
	TEST_DONE();
}
