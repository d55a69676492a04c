/*
 * test_import_cml - the Cisco Modeling Labs 2 reader (labs/import_cml.c)
 * on labs written in the test: the lab fields under "lab" and at the top
 * level (old files), interfaces by slot and label (loopbacks skipped),
 * configurations as a string and as a 0.3.x list of files,
 * unmanaged_switch nodes as LAN segments (merged when linked to each
 * other), external connectors dropped with their links, conditioning
 * reported, and wrong shapes refused with the field. Then the
 * hand-written files of tests/import/ end to end (import_body).
 */
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/importmap.h"
#include "tests/unit/test.h"
#include "tests/unit/import_check.h"

static struct lw_err e;

static int
cml(const char *yaml)
{
	return (ic_run("cml", imp_cml, yaml, &e));
}

/* Two routers, a switch pair with three hosts, an external connector. */
static const char *const lab_doc =
    "lab:\n"
    "  title: t1\n"
    "  description: d1\n"
    "  notes: '# Task'\n"
    "  version: 0.3.0\n"
    "nodes:\n"
    "  - id: n0\n"
    "    label: r0\n"
    "    node_definition: iosv\n"
    "    image_definition: iosv-159\n"
    "    x: 10\n"
    "    y: -20.4\n"
    "    ram: 768\n"
    "    cpus: 0\n"
    "    configuration:\n"
    "      - {name: ios_config.txt, content: hostname r0}\n"
    "      - {name: extra.txt, content: x}\n"
    "    interfaces:\n"
    "      - {id: i0, label: Loopback0, type: loopback}\n"
    "      - {id: i1, label: GigabitEthernet0/0, slot: 0, type: physical}\n"
    "      - {id: i2, label: GigabitEthernet0/1, slot: 1, type: physical}\n"
    "      - {id: i3, label: GigabitEthernet0/5, slot: 5}\n"
    "  - id: n1\n"
    "    node_definition: csr1000v\n"
    "    configuration: hostname n1\n"
    "    interfaces:\n"
    "      - {id: i0, label: GigabitEthernet1, slot: 0, type: physical}\n"
    "      - {id: i1, label: GigabitEthernet2, slot: 1, type: physical}\n"
    "  - {id: s0, label: sw-a, node_definition: unmanaged_switch,\n"
    "     interfaces: [{id: i0, slot: 0}, {id: i1, slot: 1}, {id: i2, slot: 2}]}\n"
    "  - {id: s1, label: sw-b, node_definition: unmanaged_switch,\n"
    "     interfaces: [{id: i0, slot: 0}, {id: i1, slot: 1}, {id: i2, slot: 2}]}\n"
    "  - {id: h0, label: h0, node_definition: alpine,\n"
    "     interfaces: [{id: i0, label: eth0, slot: 0}]}\n"
    "  - {id: h1, label: h1, node_definition: alpine,\n"
    "     interfaces: [{id: i0, label: eth0, slot: 0}]}\n"
    "  - {id: x0, label: ext, node_definition: external_connector,\n"
    "     configuration: System Bridge, interfaces: [{id: i0, label: port, "
    "slot: 0}]}\n"
    "links:\n"
    "  - {id: l0, n1: n0, i1: i1, n2: n1, i2: i1,\n"
    "     conditioning: {enabled: true, latency: 40, loss: 1.5}}\n"
    "  - {id: l1, n1: h0, i1: i0, n2: s0, i2: i0}\n"
    "  - {id: l2, n1: s0, i1: i2, n2: s1, i2: i2}\n"
    "  - {id: l3, n1: s1, i1: i0, n2: h1, i2: i0}\n"
    "  - {id: l4, n1: n0, i1: i3, n2: s1, i2: i1}\n"
    "  - {id: l5, n1: n1, i1: i0, n2: x0, i2: i0}\n"
    "  - {id: l6, n1: n0, i1: i0, n2: n1, i2: i1}\n"
    "  - {id: l7, n1: n0, i1: i9, n2: n1, i2: i1}\n"
    "  - {id: l8, n1: n0, i1: i2, n2: zz, i2: i0}\n"
    "annotations: [{type: text}]\n";

static void
test_lab(void)
{
	CHECK(cml(lab_doc) == 0);
	CHECK_STR(ic_im.name, "t1");
	CHECK_STR(json_string_value(ic_im.description), "d1");
	CHECK_STR(json_string_value(ic_im.guide), "# Task");
	CHECK(json_array_size(ic_im.nodes) == 4);
	CHECK_STR(ic_nstr("r0", "kind"), "iosv");
	CHECK_STR(ic_nstr("r0", "image"), "iosv-159");
	CHECK(ic_nint("r0", "x") == 10 && ic_nint("r0", "y") == -20);
	CHECK(ic_nint("r0", "ram_mb") == 768 && ic_nint("r0", "cpus") == -1);
	/* 0.3.x: the first file is the main one; the others are reported. */
	CHECK_STR(ic_nstr("r0", "config"), "hostname r0");
	CHECK(ic_dropped(
	    "config file extra.txt of r0: only the main configuration (ios_config.txt)"));
	/* No label: the id names the node. */
	CHECK(ic_node("n0") == NULL);
	CHECK_STR(ic_nstr("n1", "config"), "hostname n1");
	CHECK(ic_nint("n1", "x") == 0);
}

static void
test_links(void)
{
	CHECK(cml(lab_doc) == 0);
	CHECK(json_array_size(ic_im.links) == 2);
	/* slot → index, label → interface */
	CHECK(ic_find_link("r0:GigabitEthernet0/0#0 n1:GigabitEthernet2#1") >= 0);
	/* Two switches linked: one segment of their three members. */
	CHECK(ic_find_link("h0:eth0#0 h1:eth0#0 r0:GigabitEthernet0/5#5") >= 0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(ic_im.links, 1), "what")),
	    "unmanaged_switch sw-a + unmanaged_switch sw-b");
	CHECK(
	    ic_dropped("external_connector ext: it connects the lab to the host's network (System "
	               "Bridge)"));
	CHECK(ic_dropped("link n1:GigabitEthernet1 - ext:port: ext (external_connector) is not "
	                 "imported"));
	CHECK(ic_dropped("link r0:Loopback0 - n1:GigabitEthernet2: r0:Loopback0 is a loopback "
	                 "interface"));
	CHECK(ic_dropped("link r0:i9 - n1:GigabitEthernet2: r0 has no interface 'i9'"));
	CHECK(ic_dropped("link r0:GigabitEthernet0/1 - zz:i0: no node has the id 'zz'"));
	CHECK(
	    ic_dropped("conditioning of link r0:GigabitEthernet0/0 - n1:GigabitEthernet2: latency "
	               "40, loss 1.5"));
	CHECK(ic_dropped("annotations: 1 canvas annotation"));
	/* A slot written as a decimal (2.0) is the port it names, as the interface check took it.
	 */
	CHECK(
	    cml("lab: {title: d}\nnodes:\n"
	        "  - {id: a, label: a, node_definition: iosv, interfaces: [{id: i0, slot: 2.0}]}\n"
	        "  - {id: b, label: b, node_definition: iosv, interfaces: [{id: i0, slot: 1}]}\n"
	        "links: [{id: l0, n1: a, i1: i0, n2: b, i2: i0}]\n") == 0);
	CHECK(ic_find_link("a:#2 b:#1") >= 0);
	CHECK_STR(e.msg, "");
}

static void
test_old_shapes(void)
{
	/* 0.0.x: the lab's fields at the top level (also as lab_title ...), a node without
	 * interfaces.
	 */
	CHECK(cml("title: old\ndescription: d\nnotes: n\nversion: 0.0.1\n"
	          "nodes: [{id: n0, label: a, node_definition: iosv, configuration: ''}]\n") == 0);
	CHECK_STR(ic_im.name, "old");
	CHECK_STR(json_string_value(ic_im.guide), "n");
	CHECK(ic_nstr("a", "config") == NULL);
	CHECK(json_array_size(ic_im.dropped) == 0);
	CHECK(cml("lab_title: api\nlab_notes: m\nnodes: []\nlinks: []\n") == 0);
	CHECK_STR(ic_im.name, "api");
	CHECK_STR(json_string_value(ic_im.guide), "m");
	/* A version this reader does not know is read, and said so. */
	CHECK(cml("lab: {title: new, version: 1.2.0}\nnodes: []\n") == 0);
	CHECK(ic_dropped("schema version: 1.2.0 is not one this reader knows"));
	CHECK(cml("lab: {title: new, version: 0.1}\nnodes: []\n") == 0);
	CHECK(json_array_size(ic_im.dropped) == 0);
	/* A switch with one member is nothing to connect. */
	CHECK(
	    cml("lab: {title: s}\nnodes:\n"
	        "  - {id: s, label: s, node_definition: unmanaged_switch, interfaces: [{id: i0}]}\n"
	        "  - {id: h, label: h, node_definition: alpine, interfaces: [{id: i0, slot: 0}]}\n"
	        "links: [{id: l0, n1: s, i1: i0, n2: h, i2: i0}]\n") == 0);
	CHECK(json_array_size(ic_im.links) == 0);
	CHECK(ic_dropped("unmanaged_switch s: 1 member: nothing to connect"));
}

static void
bad(const char *yaml, const char *want)
{
	CHECK(cml(yaml) == -1);
	ic_bad(&e, want);
}

static void
test_bad_shapes(void)
{
	bad("- a\n- b\n", "a CML lab is a YAML mapping");
	bad("lab: x\nnodes: []\n", "lab: expected a mapping");
	bad("lab: {title: [1]}\nnodes: []\n", "lab.title: expected a string, not a list");
	bad("title: 5\nnodes: []\n", "title: expected a string");
	bad("lab: {title: a}\n", "nodes: expected a list");
	bad("lab: {title: a}\nnodes: {}\n", "nodes: expected a list");
	bad("lab: {title: a}\nnodes: []\nlinks: 3\n", "links: expected a list");
	bad("lab: {title: a}\nnodes: [3]\n", "nodes[0]: expected a mapping");
	bad("lab: {title: a}\nnodes: [{label: a, node_definition: iosv}]\n",
	    "nodes[0].id: missing");
	bad("lab: {title: a}\nnodes: [{id: n0, label: a}]\n", "nodes[0].node_definition: missing");
	bad("lab: {title: a}\nnodes: [{id: n0, label: [a], node_definition: iosv}]\n",
	    "nodes[0].label: expected a string, not a list");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, x: left}]\n",
	    "nodes[0].x: expected an integer");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, ram: -5}]\n",
	    "nodes[0].ram: -5 is out of range");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, configuration: 5}]\n",
	    "nodes[0].configuration: expected a string or a list, not an integer");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, configuration: [5]}]\n",
	    "nodes[0].configuration[0]: expected a mapping with name and content");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv,\n"
	    "  configuration: [{name: a, content: [1]}]}]\n",
	    "nodes[0].configuration[0].content: expected a string");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, interfaces: {}}]\n",
	    "nodes[0].interfaces: expected a list");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv, interfaces: [{label: x}]}]\n",
	    "nodes[0].interfaces[0].id: missing");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv,\n"
	    "  interfaces: [{id: i0, slot: first}]}]\n",
	    "nodes[0].interfaces[0].slot: expected an integer");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv},\n"
	    "  {id: n0, node_definition: iosv}]\n",
	    "nodes[1].id: 'n0' is given twice");
	bad("lab: {title: a}\nnodes: [{id: n0, label: a, node_definition: iosv},\n"
	    "  {id: n1, label: a, node_definition: iosv}]\n",
	    "nodes[1]: a second node named 'a'");
	bad("lab: {title: a}\nnodes: [{id: n0, node_definition: iosv}]\n"
	    "links: [{id: l0, n1: n0, i1: i0, n2: n0}]\n",
	    "links[0].i2: missing");
	bad("lab: {title: a}\nnodes: []\nlinks: [[1]]\n", "links[0]: expected a mapping");
}

static void
test_files(void)
{
	struct lw_err fe = {0};
	json_t *report = NULL, *body;
	const char *bad_yaml = "lab:\n  title: a\nnodes:\n  - id: n0\n    node_definition: [\n";

	ic_expect("cml-basic", ".cml.yaml", NULL);
	ic_expect("cml-old", ".cml.yaml", NULL);
	ic_expect("cml-old", ".cml.yaml", "cml");
	/* A syntax error names the line, and nothing is made. */
	body = import_body("cml", NULL, bad_yaml, strlen(bad_yaml), &report, &fe);
	CHECK(body == NULL && fe.code == ERR_INVALID);
	CHECK(strstr(fe.msg, "line ") != NULL);
	json_decref(report);
}

int
main(void)
{
	if (ic_setup() == -1)
		return (1);
	test_lab();
	test_links();
	test_old_shapes();
	test_bad_shapes();
	test_files();
	ic_done();
	TEST_DONE();
}
