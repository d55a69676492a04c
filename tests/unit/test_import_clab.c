/* The containerlab reader on the import model (labs/import_clab.c). */
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/importfmt.h"
#include "labs/yamljson.h"
#include "test.h"

#include "import_check.h"

/* clab_read - imp_clab on a JSON doc (a YAML doc when yaml is set: ${} needs the text). */
static int
clab_read(struct imp *im, const char *text, bool yaml, struct lw_err *e)
{
	return (ic_mread(im, "clab", imp_clab, text, !yaml, e));
}

static void
test_inherit(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *doc =
	    "{\"name\": \"lab1\", \"prefix\": \"\", \"mgmt\": {\"network\": \"m\"},"
	    " \"topology\": {"
	    "  \"defaults\": {\"kind\": \"linux\", \"image\": \"alpine:3\", \"env\": {\"A\": 1},"
	    "    \"labels\": {\"graph-posX\": \"5\"}},"
	    "  \"kinds\": {\"nokia_srlinux\": {\"image\": \"srl:24\", \"memory\": \"4GB\"},"
	    "    \"srl\": {\"cpu\": 1.5}},"
	    "  \"groups\": {\"spines\": {\"kind\": \"nokia_srlinux\", \"memory\": \"1Gi\","
	    "    \"exec\": [\"ip a\"]}},"
	    "  \"nodes\": {"
	    "   \"h1\": null,"
	    "   \"s1\": {\"group\": \"spines\", \"mgmt-ipv4\": \"172.20.20.2\", \"binds\": [],"
	    "     \"labels\": {\"graph-posY\": 7.6, \"graph-icon\": \"router\"}},"
	    "   \"s2\": {\"kind\": \"srl\", \"memory\": \"512MB\", \"image\": \"srl:23\"},"
	    "   \"r1\": {\"kind\": \"cisco_iol\", \"startup-config\": "
	    "\"cfg/__clabNodeName__.cfg\"},"
	    "   \"r2\": {\"kind\": \"cisco_iol\", \"startup-config\": \"__clabDir__/r2.txt\"},"
	    "   \"r3\": {\"kind\": \"cisco_iol\", \"startup-config\": \"hostname r3\\nend\\n\"},"
	    "   \"hst\": {\"kind\": \"host\"}, \"ext\": {\"kind\": \"ext-container\"}"
	    "}}}";

	CHECK(clab_read(&im, doc, false, &e) == 0);
	CHECK_STR(im.name, "lab1");
	CHECK(json_array_size(im.nodes) == 6);
	/* defaults only */
	CHECK_STR(ic_mstr(&im, "h1", "kind"), "linux");
	CHECK_STR(ic_mstr(&im, "h1", "image"), "alpine:3");
	CHECK(ic_mint(&im, "h1", "x") == 5);
	CHECK(ic_mint(&im, "h1", "y") == -999);
	/* group over kind over defaults; the node's labels merged with the defaults' */
	CHECK_STR(ic_mstr(&im, "s1", "kind"), "nokia_srlinux");
	CHECK_STR(ic_mstr(&im, "s1", "image"), "srl:24");
	CHECK(ic_mint(&im, "s1", "ram_mb") == 1024);
	CHECK(ic_mint(&im, "s1", "x") == 5);
	CHECK(ic_mint(&im, "s1", "y") == 8);
	CHECK_STR(
	    json_string_value(json_array_get(json_object_get(imp_node_find(&im, "s1"), "exec"), 0)),
	    "ip a");
	/* an old kind name: the kind it stands for, kinds.<written name> read too */
	CHECK_STR(ic_mstr(&im, "s2", "kind"), "nokia_srlinux");
	CHECK_STR(ic_mstr(&im, "s2", "image"), "srl:23");
	CHECK(ic_mint(&im, "s2", "ram_mb") == 512);
	CHECK(ic_mint(&im, "s2", "cpus") == 2);
	/* startup-config: a path with magic variables, or inline text */
	CHECK_STR(ic_mstr(&im, "r1", "config_ref"), "cfg/r1.cfg");
	CHECK_STR(ic_mstr(&im, "r2", "config_ref"), "clab-lab1/r2.txt");
	CHECK_STR(ic_mstr(&im, "r3", "config"), "hostname r3\nend\n");
	CHECK(ic_mstr(&im, "r3", "config_ref") == NULL);
	/* host and ext-container are not lab nodes */
	CHECK(imp_node_find(&im, "hst") == NULL && imp_node_find(&im, "ext") == NULL);
	CHECK(ic_mdrops(&im, "node hst") == 1 && ic_mdrops(&im, "node ext") == 1);
	/* one drop line a node naming its container settings */
	CHECK(ic_mdrops(&im, "node s1: ") == 1);
	CHECK(ic_mdrops(&im, "mgmt-ipv4") == 1 && ic_mdrops(&im, "binds") == 1);
	CHECK(ic_mdrops(&im, "labels.graph-icon") == 1);
	CHECK(ic_mdrops(&im, "env") == 7 - 1); /* every node but the dropped: defaults' env */
	CHECK(ic_mdrops(&im, "prefix") == 1 && ic_mdrops(&im, "mgmt") >= 1);
	imp_free(&im);
}

static void
test_links(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *doc =
	    "{\"name\": \"l\", \"topology\": {\"nodes\": {"
	    " \"a\": {\"kind\": \"nokia_srlinux\"}, \"b\": {\"kind\": \"linux\"},"
	    " \"c\": {\"kind\": \"arista_ceos\"}, \"d\": {\"kind\": \"juniper_vmx\"},"
	    " \"br1\": {\"kind\": \"bridge\"}, \"br2\": {\"kind\": \"ovs-bridge\"},"
	    " \"hst\": {\"kind\": \"host\"}},"
	    " \"links\": ["
	    "  {\"endpoints\": [\"a:e1-1\", \"b:eth1\"], \"mtu\": 1500},"
	    "  {\"type\": \"veth\", \"endpoints\": [{\"node\": \"a\", \"interface\": "
	    "\"ethernet-1/2\","
	    "    \"mac\": \"aa:bb:cc:00:00:01\"}, {\"node\": \"c\", \"interface\": "
	    "\"Ethernet3\"}]},"
	    "  {\"endpoints\": [\"d:ge-0/0/2\", \"c:Ethernet1/4\"]},"
	    "  {\"endpoints\": [\"a:e1-3\", \"br1:p1\"]},"
	    "  {\"endpoints\": [\"br1:p2\", \"b:eth2\"]},"
	    "  {\"endpoints\": [\"c:eth0\", \"br1:p3\"]},"
	    "  {\"endpoints\": [\"d:xe-0/0/0\", \"br2:p1\"]},"
	    "  {\"endpoints\": [\"b:eth3\", \"host:veth9\"]},"
	    "  {\"endpoints\": [\"b:eth4\", \"hst:veth8\"]},"
	    "  {\"endpoints\": [\"b:eth5\", \"zz:eth1\"]},"
	    "  {\"endpoints\": [\"br1:p9\", \"br2:p9\"]},"
	    "  {\"type\": \"vxlan\", \"endpoint\": {\"node\": \"a\", \"interface\": \"e1-9\"},"
	    "    \"remote\": \"10.0.0.2\", \"vni\": 100},"
	    "  {\"type\": \"macvlan\", \"endpoint\": {\"node\": \"a\", \"interface\": \"e1-8\"}},"
	    "  {\"type\": \"dummy\", \"endpoint\": {\"node\": \"a\", \"interface\": \"e1-7\"}},"
	    "  {\"type\": \"warp\", \"endpoints\": []},"
	    "  {\"endpoints\": [\"c:Ethernet10/1\", \"d:Ethernet0/2\"]},"
	    "  {\"endpoints\": [\"a:1/1/3\", \"b:eth0/x\"]}"
	    "]}}";

	CHECK(clab_read(&im, doc, false, &e) == 0);
	CHECK(json_array_size(im.nodes) == 4); /* bridges and the host are no nodes */
	CHECK(json_array_size(im.links) == 6); /* 5 p2p + br1's LAN */
	CHECK_STR(ic_ep(&im, 0, 0), "a:e1-1:0");
	CHECK_STR(ic_ep(&im, 0, 1), "b:eth1:0");
	CHECK_STR(ic_ep(&im, 1, 0), "a:ethernet-1/2:1");
	CHECK_STR(ic_ep(&im, 1, 1), "c:Ethernet3:2");
	CHECK_STR(ic_ep(&im, 2, 0), "d:ge-0/0/2:2");
	CHECK_STR(ic_ep(&im, 2, 1), "c:Ethernet1/4:3");
	/* other numberings; then the LAN: the other ends of br1's links, in link order */
	CHECK_STR(ic_ep(&im, 3, 0), "c:Ethernet10/1:0");
	CHECK_STR(ic_ep(&im, 3, 1), "d:Ethernet0/2:2");
	CHECK_STR(ic_ep(&im, 4, 0), "a:1/1/3:2");
	CHECK_STR(ic_ep(&im, 4, 1), "b:eth0/x:-1");
	CHECK(ic_neps(&im, 5) == 3);
	CHECK_STR(ic_ep(&im, 5, 0), "a:e1-3:2");
	CHECK_STR(ic_ep(&im, 5, 1), "b:eth2:1");
	CHECK_STR(ic_ep(&im, 5, 2), "c:eth0:-1");
	CHECK_STR(
	    json_string_value(json_object_get(json_array_get(im.links, 5), "what")), "bridge br1");
	/* br2 has one member only */
	CHECK(ic_mdrops(&im, "bridge br2") == 1);
	CHECK(ic_mdrops(&im, "leaves the lab") == 1);
	CHECK(ic_mdrops(&im, "kind host") >= 1);
	CHECK(ic_mdrops(&im, "no node 'zz'") == 1);
	CHECK(ic_mdrops(&im, "two bridges") == 1);
	CHECK(ic_mdrops(&im, "(type vxlan)") == 1 && ic_mdrops(&im, "VXLAN") == 1);
	CHECK(ic_mdrops(&im, "(type macvlan)") == 1);
	CHECK(ic_mdrops(&im, "(type dummy)") == 1);
	CHECK(ic_mdrops(&im, "(type warp)") == 1);
	/* link and endpoint settings named once per link */
	CHECK(ic_mdrops(&im, ": mtu") == 1);
	CHECK(ic_mdrops(&im, "endpoints[0].mac") == 1);
	imp_free(&im);
}

/* A labwire clab export: the template label gives the node its template and eth names. */
static void
test_labwire_export(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *doc =
	    "{\"name\": \"x\", \"topology\": {\"nodes\": {"
	    " \"r1\": {\"kind\": \"cisco_iol\", \"image\": \"iosv.qcow2\", \"labels\": "
	    "   {\"labwire.template\": \"iosv\", \"graph-posX\": \"100\", \"graph-posY\": \"-20\"},"
	    "   \"startup-config\": \"hostname r1\\n\"},"
	    " \"h1\": {\"kind\": \"linux\", \"image\": \"alpine:3\", \"labels\": "
	    "   {\"labwire.template\": \"linux-host\"}, \"exec\": [\"ip addr add 10.0.0.1/24 dev "
	    "eth1\"]},"
	    " \"h2\": {\"kind\": \"linux\", \"labels\": {\"labwire.template\": \"no-such\","
	    "   \"graph-posX\": \"left\"}},"
	    " \"r9\": {\"kind\": \"cisco_iol\", \"labels\": {\"labwire.template\": \"iosv\"},"
	    "   \"startup-config\": \"hostname r9\"},"
	    " \"lan1\": {\"kind\": \"bridge\"}},"
	    " \"links\": [{\"endpoints\": [\"r1:eth1\", \"h1:eth1\"]},"
	    "  {\"endpoints\": [\"r1:eth3\", \"lan1:eth1\"]},"
	    "  {\"endpoints\": [\"h1:eth2\", \"lan1:eth2\"]},"
	    "  {\"endpoints\": [\"h2:eth1\", \"lan1:eth3\"]}]}}";

	CHECK(clab_read(&im, doc, false, &e) == 0);
	CHECK_STR(ic_mstr(&im, "r1", "template"), "iosv");
	CHECK_STR(ic_mstr(&im, "h1", "template"), "linux-host");
	CHECK(ic_mstr(&im, "h2", "template") == NULL);
	/* a labwire export's one-line config is the config, not a file name */
	CHECK_STR(ic_mstr(&im, "r9", "config"), "hostname r9");
	CHECK_STR(ic_mstr(&im, "r1", "config"), "hostname r1\n");
	CHECK(ic_mdrops(&im, "no template 'no-such'") == 1);
	CHECK(ic_mdrops(&im, "h2: label graph-posX") == 1);
	CHECK(ic_mint(&im, "r1", "x") == 100 && ic_mint(&im, "r1", "y") == -20);
	CHECK_STR(ic_ep(&im, 0, 0), "r1:GigabitEthernet0/0:0");
	CHECK_STR(ic_ep(&im, 0, 1), "h1:eth0:0");
	CHECK_STR(ic_ep(&im, 1, 0), "r1:GigabitEthernet0/2:2");
	CHECK_STR(ic_ep(&im, 1, 1), "h1:eth1:1");
	CHECK_STR(ic_ep(&im, 1, 2), "h2:eth1:0");
	imp_free(&im);
}

/* Wrong shapes: 422 naming the field; nothing half-read matters (the caller frees). */
static void
test_shapes(void)
{
	static const struct {
		const char *doc, *msg;
	} bad[] = {
	    {"[1]", "not a clab topology"},
	    {"{\"name\": 3, \"topology\": {\"nodes\": {}}}",
	        "name: expected a string, not an integer"},
	    {"{\"name\": \"x\"}", "topology: missing"},
	    {"{\"topology\": []}", "topology: expected a mapping"},
	    {"{\"topology\": {}}", "topology.nodes: missing"},
	    {"{\"topology\": {\"nodes\": []}}", "topology.nodes: expected a mapping, not a list"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {\"kind\": [\"linux\"]}}}}",
	        "topology.nodes.r1.kind: expected a string, not a list"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {}}}}", "topology.nodes.r1.kind: missing"},
	    {"{\"topology\": {\"nodes\": {\"r1\": \"linux\"}}}",
	        "topology.nodes.r1: expected a mapping, not a string"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {\"kind\": \"linux\", \"group\": \"g\"}}}}",
	        "topology.nodes.r1.group: no group 'g'"},
	    {"{\"topology\": {\"groups\": {\"g\": {\"image\": 5}}, \"nodes\": {}}}",
	        "topology.groups.g.image: expected a string, not an integer"},
	    {"{\"topology\": {\"kinds\": {\"linux\": {\"exec\": [1]}}, \"nodes\": {}}}",
	        "topology.kinds.linux.exec[0]: expected a string"},
	    {"{\"topology\": {\"defaults\": {\"memory\": \"4XB\"}, \"nodes\": {}}}",
	        "topology.defaults.memory: '4XB' is not a size"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {\"kind\": \"linux\", \"memory\": \"100\"}}}}",
	        "topology.nodes.r1.memory: '100' is less than 1 MiB"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {\"kind\": \"linux\", \"cpu\": -1}}}}",
	        "topology.nodes.r1.cpu: expected a number of CPUs"},
	    {"{\"topology\": {\"nodes\": {\"r1\": {\"kind\": \"linux\", \"labels\": {\"a\": "
	     "[]}}}}}",
	        "topology.nodes.r1.labels.a: expected a string"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": {}}}",
	        "topology.links: expected a list, not a mapping"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": [3]}}",
	        "topology.links[0]: expected a mapping"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": [{}]}}",
	        "topology.links[0].endpoints: missing"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": [{\"endpoints\": [\"a:e1\"]}]}}",
	        "topology.links[0].endpoints: a link has 2 endpoints, not 1"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": [{\"endpoints\": [\"a\", \"b:e1\"]}]}}",
	        "topology.links[0].endpoints[0]: expected \"node:interface\", not 'a'"},
	    {"{\"topology\": {\"nodes\": {}, \"links\": [{\"endpoints\": [\"a:e\", {\"node\": "
	     "1}]}]}}",
	        "topology.links[0].endpoints[1].node: expected a string, not an integer"},
	};
	struct imp im;
	struct lw_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK(clab_read(&im, bad[i].doc, false, &e) == -1);
		ic_bad(&e, bad[i].msg);
		imp_free(&im);
	}
}

/* ${VAR:=default} in the text, before YAML is read: a default, or "" and a drop. */
static void
test_vars(void)
{
	struct imp im;
	struct lw_err e = {0};
	const char *text = "name: ${LAB:=vlab}\n"
	                   "topology:\n"
	                   "  nodes:\n"
	                   "    r1: {kind: '${K:-linux}', image: \"${IMG}x\"}\n"
	                   "    r2: {kind: linux, image: \"${IMG}y${NOTVAR\"}\n"
	                   "    r3: {kind: linux, image: \"${HOME:=}z${A:+alt}\", cpu: ${CPU=2}}\n";

	CHECK(clab_read(&im, text, true, &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(im.name, "vlab");
	CHECK_STR(ic_mstr(&im, "r1", "kind"), "linux");
	CHECK_STR(ic_mstr(&im, "r1", "image"), "x");
	CHECK_STR(ic_mstr(&im, "r2", "image"), "y${NOTVAR");
	CHECK_STR(ic_mstr(&im, "r3", "image"), "z");
	CHECK(ic_mint(&im, "r3", "cpus") == 2);
	CHECK(ic_mdrops(&im, "${IMG}") == 1); /* once, though written twice */
	CHECK(ic_mdrops(&im, "${HOME}") == 0 && ic_mdrops(&im, "${A}") == 0);
	imp_free(&im);
	/* a syntax error keeps its line: substitution never joins lines */
	memset(&e, 0, sizeof(e));
	CHECK(clab_read(&im, "name: ${X:=a}\ntopology:\n  nodes: {\n  r1: [\n", true, &e) == -1);
	CHECK(strstr(e.msg, "line ") != NULL);
	imp_free(&im);
}

/* The hand-written files of tests/import, as the model has them (import_body maps them). */
static void
test_files(void)
{
	struct imp im;
	struct lw_err e = {0};

	CHECK(ic_mfile(&im, "clab", imp_clab, "clab-basic.clab.yml", &e) == 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(im.name, "clab-basic"); /* ${LAB_NAME:=clab-basic} */
	CHECK(json_array_size(im.nodes) == 6 && json_array_size(im.links) == 4);
	CHECK_STR(ic_mstr(&im, "r1", "image"), "quay.io/frrouting/frr:8.4.1");
	CHECK(ic_mint(&im, "r1", "ram_mb") == 512 && ic_mint(&im, "r1", "cpus") == 1);
	CHECK_STR(ic_mstr(&im, "r2", "config_ref"), "configs/r2.conf");
	CHECK(strstr(ic_mstr(&im, "r1", "config"), "hostname r1\n") != NULL);
	CHECK_STR(ic_mstr(&im, "srl1", "kind"), "nokia_srlinux");
	CHECK_STR(ic_mstr(&im, "h1", "image"), "alpine:3"); /* ${HOST_IMAGE:=alpine:3} */
	CHECK(ic_mint(&im, "srl1", "x") == 200 && ic_mint(&im, "srl1", "y") == 50);
	CHECK_STR(ic_ep(&im, 1, 1), "srl1:e1-1:0");
	CHECK(ic_neps(&im, 3) == 3);
	CHECK_STR(ic_ep(&im, 3, 2), "h3:eth1:0");
	CHECK(ic_mdrops(&im, "${LAB_TOKEN}") == 1);
	CHECK(ic_mdrops(&im, "(type vxlan)") == 1);
	CHECK(ic_mdrops(&im, "mgmt-ipv4") == 1 && ic_mdrops(&im, "binds") == 1);
	imp_free(&im);

	CHECK(ic_mfile(&im, "clab", imp_clab, "clab-hosts.clab.yml", &e) == 0);
	CHECK(json_array_size(im.nodes) == 3 && json_array_size(im.links) == 2);
	CHECK(json_array_size(im.dropped) == 0);
	CHECK_STR(
	    json_string_value(json_array_get(json_object_get(imp_node_find(&im, "h2"), "exec"), 1)),
	    "ip addr add 10.99.23.2/24 dev eth2");
	imp_free(&im);
}

int
main(void)
{
	struct lw_err e = {0};
	const char *dir =
	    getenv("LW_TEMPLATE_DIR") ? getenv("LW_TEMPLATE_DIR") : "images/templates";

	if (template_load_dir(dir, &e) < 0) {
		fprintf(stderr, "templates: %s\n", e.msg);
		return (1);
	}
	test_inherit();
	test_links();
	test_labwire_export();
	test_shapes();
	test_vars();
	test_files();
	TEST_DONE();
}
