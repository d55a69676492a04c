/*
 * test_import_gns3 - the GNS3 reader (labs/import_gns3.c) on projects
 * written in the test (as YAML, which gives the same tree as the JSON):
 * port names derived from port_name_format, port_segment_size,
 * first_port_name and custom_adapters, IOU, dynamips, docker and VPCS
 * ports and their data-port numbers, switches and hubs as LAN segments
 * (merged when switches are linked, a p2p link with 2 members, dropped
 * with fewer), clouds and serial links dropped with their reasons,
 * suspended links, configs, and wrong shapes refused with the field. Then
 * the hand-written files of tests/import/ end to end (import_body, with
 * the shipped templates and no image uploaded).
 */
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/importmap.h"
#include "tests/unit/test.h"
#include "tests/unit/import_check.h"

static struct lw_err e;

static int
g3(const char *yaml)
{
	return (ic_run("gns3", imp_gns3, yaml, &e));
}

/* One qemu node "r" with a format, linked on adapters 0..3 to four VPCS. */
static const char *const ports_doc =
    "name: p\n"
    "revision: 9\n"
    "topology:\n"
    "  nodes:\n"
    "  - {node_id: r, node_type: qemu, name: r, port_name_format: '%s',\n"
    "     port_segment_size: %d, first_port_name: '%s',\n"
    "     properties: {adapters: 8, hda_disk_image: vios.qcow2}}\n"
    "  - {node_id: a, node_type: vpcs, name: a}\n"
    "  - {node_id: b, node_type: vpcs, name: b}\n"
    "  - {node_id: c, node_type: vpcs, name: c}\n"
    "  - {node_id: d, node_type: vpcs, name: d}\n"
    "  links:\n"
    "  - nodes: [{node_id: r, adapter_number: 0}, {node_id: a}]\n"
    "  - nodes: [{node_id: r, adapter_number: 1}, {node_id: b}]\n"
    "  - nodes: [{node_id: r, adapter_number: 5}, {node_id: c}]\n"
    "  - nodes: [{node_id: r, adapter_number: 7}, {node_id: d}]\n";

static int
ports(const char *fmt, int seg, const char *first)
{
	char doc[2048];

	snprintf(doc, sizeof(doc), ports_doc, fmt, seg, first);
	return (g3(doc));
}

static void
test_port_names(void)
{
	CHECK(ports("Gi0/{0}", 0, "") == 0);
	CHECK(ic_find_link("r:Gi0/0#0 a:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi0/1#1 b:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi0/5#5 c:Ethernet0#0") >= 0);
	CHECK_STR(ic_nstr("r", "kind"), "qemu");
	CHECK_STR(ic_nstr("r", "image"), "vios.qcow2");

	/* Segments: 4 ports each, numbered from the segment's start. */
	CHECK(ports("Gi{segment0}/{port0}", 4, "") == 0);
	CHECK(ic_find_link("r:Gi0/0#0 a:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi1/1#5 c:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi1/3#7 d:Ethernet0#0") >= 0);

	/* A fixed first port (ASAv, CSR): the numbering starts at the second adapter. */
	CHECK(ports("Gi0/{0}", 0, "Management0/0") == 0);
	CHECK(ic_find_link("r:Management0/0#0 a:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi0/0#1 b:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:Gi0/4#5 c:Ethernet0#0") >= 0);

	/* {port1} counts from 1; widths; escaped braces; the adapter number. */
	CHECK(ports("GigabitEthernet{port1}", 0, "") == 0);
	CHECK(ic_find_link("r:GigabitEthernet1#0 a:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:GigabitEthernet8#7 d:Ethernet0#0") >= 0);
	CHECK(ports("{{e}}{0:02d}-{adapter}", 0, "") == 0);
	CHECK(ic_find_link("r:{e}05-5#5 c:Ethernet0#0") >= 0);
	CHECK(ports("eth{}", 0, "") == 0);
	CHECK(ic_find_link("r:eth7#7 d:Ethernet0#0") >= 0);

	/* A format GNS3 itself would refuse: nameless ports, still numbered, reported once. */
	CHECK(ports("eth{bogus}", 0, "") == 0);
	CHECK(ic_find_link("r:#0 a:Ethernet0#0") >= 0);
	CHECK(ic_find_link("r:#7 d:Ethernet0#0") >= 0);
	CHECK(ic_dropped("port names of r: port_name_format 'eth{bogus}' is not understood"));
	CHECK(json_array_size(ic_im.dropped) == 1);
	CHECK(ports("eth{0", 0, "") == 0 && ic_dropped("not understood"));
}

static void
test_port_kinds(void)
{
	CHECK(g3("revision: 9\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: q, node_type: qemu, name: q, properties: {adapters: 2},\n"
	         "     custom_adapters: [{adapter_number: 1, port_name: uplink}]}\n"
	         "  - {node_id: i, node_type: iou, name: i,\n"
	         "     properties: {ethernet_adapters: 2, serial_adapters: 2, path: "
	         "/x/i86bi-l2.bin}}\n"
	         "  - {node_id: k, node_type: docker, name: k, properties: {adapters: 3, image: "
	         "alpine:3}}\n"
	         "  - {node_id: r, node_type: dynamips, name: r, properties: {slot0: C7200-IO-FE,\n"
	         "     slot1: PA-2FE-TX, slot2: PA-4T+, wic0: WIC-1T, platform: c7200}}\n"
	         "  - {node_id: m, node_type: dynamips, name: m, properties: {slot0: GT96100-FE,\n"
	         "     wic0: WIC-2T, wic1: WIC-1ENET}}\n"
	         "  links:\n"
	         "  - nodes: [{node_id: q, adapter_number: 0}, {node_id: i, adapter_number: 1, "
	         "port_number: 3}]\n"
	         "  - nodes: [{node_id: q, adapter_number: 1}, {node_id: k, adapter_number: 2}]\n"
	         "  - nodes: [{node_id: r, adapter_number: 1, port_number: 1}, {node_id: m, "
	         "adapter_number: 0, port_number: 32}]\n"
	         "  - nodes: [{node_id: i, adapter_number: 2, port_number: 1}, {node_id: r, "
	         "adapter_number: 2, port_number: 0}]\n"
	         "  - nodes: [{node_id: m, adapter_number: 0, port_number: 17}, {node_id: r, "
	         "adapter_number: 0, port_number: 0}]\n") == 0);
	/* Default names; IOU counts 4 ports an adapter; custom_adapters renames. */
	CHECK(ic_find_link("q:Ethernet0#0 i:Ethernet1/3#7") >= 0);
	CHECK(ic_find_link("q:uplink#1 k:eth2#2") >= 0);
	/* dynamips: slot/port names, data ports in slot order; a WIC's Ethernet after the serials.
	 */
	CHECK(ic_find_link("r:FastEthernet1/1#2 m:Ethernet0/2#2") >= 0);
	CHECK(json_array_size(ic_im.links) == 3);
	CHECK(ic_dropped("link i:Serial2/1 - r:Serial2/0: i:Serial2/1 is a serial port"));
	CHECK(ic_dropped("link m:Serial0/1 - r:FastEthernet0/0: m:Serial0/1 is a serial port"));
	CHECK_STR(ic_nstr("i", "image"), "i86bi-l2.bin");
	CHECK_STR(ic_nstr("k", "image"), "alpine:3");
	CHECK_STR(ic_nstr("r", "kind"), "dynamips");
}

/* Switches and hubs: s1-s2-s3 chained (one segment), h a hub of 2, lone a switch with 1. */
static void
test_lans(void)
{
	CHECK(
	    g3("revision: 10\n"
	       "topology:\n"
	       "  nodes:\n"
	       "  - {node_id: s1, node_type: ethernet_switch, name: S1, properties: "
	       "{ports_mapping: [\n"
	       "     {port_number: 0, type: access, vlan: 10}, {port_number: 7, type: dot1q, vlan: "
	       "1}]}}\n"
	       "  - {node_id: s2, node_type: ethernet_switch, name: S2}\n"
	       "  - {node_id: s3, node_type: ethernet_switch, name: S3, properties: "
	       "{ports_mapping: [\n"
	       "     {port_number: 1, type: access, vlan: 20}, {port_number: 6, type: access, "
	       "vlan: "
	       "20}]}}\n"
	       "  - {node_id: h, node_type: ethernet_hub, name: H}\n"
	       "  - {node_id: lone, node_type: ethernet_switch, name: Lone}\n"
	       "  - {node_id: p1, node_type: vpcs, name: p1}\n"
	       "  - {node_id: p2, node_type: vpcs, name: p2}\n"
	       "  - {node_id: p3, node_type: vpcs, name: p3}\n"
	       "  - {node_id: p4, node_type: vpcs, name: p4}\n"
	       "  - {node_id: r, node_type: qemu, name: r, properties: {adapters: 4}}\n"
	       "  links:\n"
	       "  - nodes: [{node_id: p1}, {node_id: s1, port_number: 0}]\n"
	       "  - nodes: [{node_id: s1, port_number: 7}, {node_id: s2, port_number: 7}]\n"
	       "  - nodes: [{node_id: s3, port_number: 1}, {node_id: p2}]\n"
	       "  - nodes: [{node_id: s2, port_number: 6}, {node_id: s3, port_number: 6}]\n"
	       "  - {nodes: [{node_id: r, adapter_number: 3}, {node_id: s2, port_number: 0}], "
	       "suspend: true}\n"
	       "  - nodes: [{node_id: p3}, {node_id: h, port_number: 0}]\n"
	       "  - nodes: [{node_id: h, port_number: 1}, {node_id: r, adapter_number: 1}]\n"
	       "  - nodes: [{node_id: p4}, {node_id: lone, port_number: 0}]\n") == 0);
	CHECK(json_array_size(ic_im.nodes) == 5);
	CHECK(json_array_size(ic_im.links) == 2);
	/* Members in the order of their switch, then of the links. */
	CHECK(ic_find_link("p1:Ethernet0#0 r:Ethernet3#3 p2:Ethernet0#0") >= 0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(ic_im.links, 0), "what")),
	    "ethernet_switch S1 + ethernet_switch S2 + ethernet_switch S3");
	CHECK(ic_find_link("p3:Ethernet0#0 r:Ethernet1#1") >= 0);
	CHECK(ic_dropped("ethernet_switch Lone: 1 member: nothing to connect"));
	/* p1 is in VLAN 10 on S1, p2 in VLAN 20 on S3: one segment now (the trunk is S1-S2). */
	CHECK(ic_dropped("VLANs of the segment of ethernet_switch S1: members in VLANs 10 and 20"));
	CHECK(ic_dropped("suspended link r:Ethernet3 - S2: a LAN member cannot be down"));
	/* A router on a trunk port: its tagged VLANs become one plain segment. */
	CHECK(g3("revision: 9\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: t, node_type: ethernet_switch, name: T, properties: "
	         "{ports_mapping: [\n"
	         "     {port_number: 0, type: dot1q, vlan: 1}, {port_number: 1, type: access, "
	         "vlan: 1},\n"
	         "     {port_number: 2, type: access, vlan: 1}]}}\n"
	         "  - {node_id: r, node_type: qemu, name: r}\n"
	         "  - {node_id: a, node_type: vpcs, name: a}\n"
	         "  - {node_id: b, node_type: vpcs, name: b}\n"
	         "  links:\n"
	         "  - nodes: [{node_id: r}, {node_id: t, port_number: 0}]\n"
	         "  - nodes: [{node_id: a}, {node_id: t, port_number: 1}]\n"
	         "  - nodes: [{node_id: b}, {node_id: t, port_number: 2}]\n") == 0);
	CHECK(ic_find_link("r:Ethernet0#0 a:Ethernet0#0 b:Ethernet0#0") >= 0);
	CHECK(
	    ic_dropped("VLANs of the segment of ethernet_switch T: members on dot1q trunk ports"));
	CHECK(json_array_size(ic_im.dropped) == 1);
}

static void
test_drops(void)
{
	CHECK(g3("revision: 8\n"
	         "type: topology\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: c, node_type: cloud, name: C}\n"
	         "  - {node_id: n, node_type: nat, name: N}\n"
	         "  - {node_id: f, node_type: frame_relay_switch, name: F}\n"
	         "  - {node_id: a, node_type: atm_switch, name: A}\n"
	         "  - {node_id: r, node_type: qemu, name: r, x: 10.6, y: -20,\n"
	         "     properties: {adapters: 4, options: -nographic, cdrom_image: x.iso, ram: "
	         "1024,\n"
	         "                  cpus: 2}}\n"
	         "  - {node_id: k, node_type: docker, name: k,\n"
	         "     properties: {image: frrouting/frr, environment: 'A=1', start_command: '', "
	         "memory: 0}}\n"
	         "  links:\n"
	         "  - nodes: [{node_id: c, port_number: 0}, {node_id: r, adapter_number: 0}]\n"
	         "  - nodes: [{node_id: r, adapter_number: 1}, {node_id: n}]\n"
	         "  - nodes: [{node_id: r, adapter_number: 2}, {node_id: ghost}]\n"
	         "  - {nodes: [{node_id: r, adapter_number: 3}, {node_id: k}], suspend: true,\n"
	         "     filters: {packet_loss: [10], delay: [50, 5]}}\n"
	         "  drawings: [{svg: '<svg/>'}, {svg: '<svg/>'}]\n"
	         "  computes: [{compute_id: vm}]\n") == 0);
	CHECK(json_array_size(ic_im.nodes) == 2);
	CHECK(ic_dropped("cloud C: a cloud bridges to the host's interfaces"));
	CHECK(ic_dropped("nat N: NAT"));
	CHECK(ic_dropped("frame_relay_switch F: Frame Relay"));
	CHECK(ic_dropped("atm_switch A: ATM"));
	CHECK(ic_dropped("link C - r:Ethernet0: C (cloud) is not imported"));
	CHECK(ic_dropped("link r:Ethernet1 - N: N (nat) is not imported"));
	CHECK(ic_dropped("link r:Ethernet2 - ghost: no node has the id 'ghost'"));
	CHECK(ic_dropped("QEMU settings of r: options, cdrom_image:"));
	CHECK(ic_dropped("docker settings of k: environment: labwire runs no containers"));
	CHECK(ic_dropped("filters of link r:Ethernet3 - k:eth0: packet_loss 10, delay 50 5"));
	CHECK(ic_dropped("drawings: 2 drawings"));
	/* A suspended link is carried, down. */
	CHECK(ic_find_link("r:Ethernet3#3 k:eth0#0") == 0);
	CHECK_STR(
	    json_string_value(json_object_get(json_array_get(ic_im.links, 0), "state")), "down");
	CHECK(ic_nint("r", "x") == 11 && ic_nint("r", "y") == -20);
	CHECK(ic_nint("r", "ram_mb") == 1024 && ic_nint("r", "cpus") == 2);
	CHECK(ic_nint("k", "ram_mb") == -1);
	CHECK_STR(ic_nstr("k", "image"), "frrouting/frr");
}

static void
test_configs(void)
{
	CHECK(g3("revision: 9\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: v1, node_type: vpcs, name: v1,\n"
	         "     properties: {startup_script: \"ip 10.0.0.1/24\\n\"}}\n"
	         "  - {node_id: v2, node_type: vpcs, name: v2}\n"
	         "  - {node_id: i1, node_type: iou, name: i1,\n"
	         "     properties: {startup_config: initial.cfg, private_config: private.cfg}}\n"
	         "  - {node_id: d1, node_type: dynamips, name: d1,\n"
	         "     properties: {startup_config: /abs/r1.cfg}}\n"
	         "  - {node_id: q1, node_type: qemu, name: q1}\n") == 0);
	/* A VPCS script becomes the Linux host's: ip lines as ip commands, the rest comments. */
	CHECK_STR(ic_nstr("v1", "config"),
	    "# converted from a VPCS script\n# VPCS: ip 10.0.0.1/24\nip addr add 10.0.0.1/24 dev "
	    "eth0\n");
	CHECK(ic_nstr("v1", "config_ref") == NULL);
	CHECK_STR(ic_nstr("v2", "config_ref"), "project-files/vpcs/v2/startup.vpc");
	CHECK_STR(ic_nstr("i1", "config_ref"), "project-files/iou/i1/initial.cfg");
	CHECK_STR(ic_nstr("d1", "config_ref"), "/abs/r1.cfg");
	CHECK(ic_nstr("q1", "config_ref") == NULL && ic_nstr("q1", "config") == NULL);
	CHECK(ic_dropped("private config of i1"));
	CHECK(g3("revision: 9\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: v, node_type: vpcs, name: v, properties: {startup_script: \"set "
	         "pcname "
	         "PC1\\r\\nip 10.0.0.5 255.255.0.0 10.0.0.1\\n  ip 10.2.0.5 10.2.0.1 "
	         "/20\\nip dhcp\\nip 300.1.1.1/24\\n# note\\nip 10.3.0.5/33\\n\"}}\n") == 0);
	CHECK_STR(ic_nstr("v", "config"),
	    "# converted from a VPCS script\n"
	    "# VPCS: set pcname PC1\n"
	    "# VPCS: ip 10.0.0.5 255.255.0.0 10.0.0.1\n"
	    "ip addr add 10.0.0.5/16 dev eth0\n"
	    "ip route add default via 10.0.0.1\n"
	    "# VPCS: ip 10.2.0.5 10.2.0.1 /20\n"
	    "ip addr add 10.2.0.5/20 dev eth0\n"
	    "ip route add default via 10.2.0.1\n"
	    "# VPCS: ip dhcp\n"
	    "# VPCS: ip 300.1.1.1/24\n"
	    "# VPCS: ip 10.3.0.5/33\n");

	/* Before revision 7 dynamips configs are not in a folder per node. */
	CHECK(g3("revision: 5\n"
	         "topology:\n"
	         "  nodes:\n"
	         "  - {node_id: d1, node_type: dynamips, name: d1,\n"
	         "     properties: {startup_config: configs/i1_startup-config.cfg}}\n"
	         "  - {node_id: v2, node_type: vpcs, name: v2}\n") == 0);
	CHECK_STR(
	    ic_nstr("d1", "config_ref"), "project-files/dynamips/configs/i1_startup-config.cfg");
	CHECK(ic_nstr("v2", "config_ref") == NULL);
}

/* bad - the doc is refused (-1, ERR_INVALID) with a message holding want. */
static void
bad(const char *yaml, const char *want)
{
	CHECK(g3(yaml) == -1);
	ic_bad(&e, want);
}

static void
test_bad_shapes(void)
{
	bad("[1, 2]", "a GNS3 project is a JSON object");
	bad("revision: 9\nname: x\n", "topology:");
	bad("revision: 4\ntopology: {nodes: []}\n", "revision: 4 is a GNS3 1.x project");
	bad("revision: nine\ntopology: {nodes: []}\n", "revision: expected an integer");
	bad("revision: 9\ntopology: {nodes: {}}\n",
	    "topology.nodes: expected a list, not a mapping");
	bad("revision: 9\ntopology: {nodes: [], links: 3}\n", "topology.links: expected a list");
	bad("revision: 9\ntopology: {nodes: [{node_type: vpcs, name: a}]}\n",
	    "topology.nodes[0].node_id: missing");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: 7}]}\n",
	    "topology.nodes[0].name: expected a string, not an integer");
	bad("revision: 9\ntopology: {nodes: [7]}\n", "topology.nodes[0]: expected a mapping");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a, x: left}]}\n",
	    "topology.nodes[0].x: expected an integer");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: qemu, name: a,\n"
	    "  properties: {adapters: [1]}}]}\n",
	    "topology.nodes[0].properties.adapters: expected an integer");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: qemu, name: a,\n"
	    "  properties: {ram: 99999999999}}]}\n",
	    "topology.nodes[0].properties.ram: 99999999999 is out of range");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: qemu, name: a,\n"
	    "  port_name_format: 5}]}\n",
	    "topology.nodes[0].port_name_format: expected a string");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a},\n"
	    "  {node_id: a, node_type: vpcs, name: b}]}\n",
	    "topology.nodes[1].node_id: 'a' is given twice");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a},\n"
	    "  {node_id: b, node_type: vpcs, name: a}]}\n",
	    "topology.nodes[1]: a second node named 'a'");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a}],\n"
	    "  links: [{nodes: [{node_id: a}, {node_id: a}, {node_id: a}]}]}\n",
	    "topology.links[0].nodes: a link has 2 ends, not 3");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a}],\n"
	    "  links: [{nodes: [{node_id: a}, {node_id: a, adapter_number: x}]}]}\n",
	    "topology.links[0].nodes[1].adapter_number: expected an integer");
	bad("revision: 9\ntopology: {nodes: [{node_id: a, node_type: vpcs, name: a}],\n"
	    "  links: [{nodes: [{node_id: a}, {node_id: a}], suspend: maybe}]}\n",
	    "topology.links[0].suspend: expected true or false");
}

static void
test_limits(void)
{
	size_t n = IMPORT_NODES_MAX + 1, i;
	char *doc = malloc(n * 64 + 64), *p = doc;

	p += sprintf(p, "revision: 9\ntopology:\n  nodes:\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "  - {node_id: n%zu, node_type: vpcs, name: n%zu}\n", i, i);
	bad(doc, "topology.nodes: more than 1000 nodes");
	free(doc);
}

/* Files through import_body: the format detected (CRLF included), mapped, reported. */
static void
test_files(void)
{
	struct lw_err fe = {0};
	json_t *report = NULL, *body;
	const char *crlf =
	    "{\r\n\"revision\": 9,\r\n\"topology\": {\"nodes\": [\r\n"
	    "{\"node_id\": \"a\", \"node_type\": \"vpcs\", \"name\": \"PC 1\"}]}\r\n}\r\n";

	ic_expect("gns3-basic", ".gns3", NULL);
	ic_expect("gns3-rev5", ".gns3", NULL);
	ic_expect("gns3-basic", ".gns3", "gns3");
	body = import_body(NULL, NULL, crlf, strlen(crlf), &report, &fe);
	CHECK(body != NULL);
	CHECK_STR(json_string_value(json_object_get(report, "format")), "gns3");
	json_decref(body);
	json_decref(report);
	report = NULL;
	/* A wrong shape answers 422 with the field, and no body. */
	body = import_body(
	    "gns3", NULL, "{\"revision\": 9, \"topology\": {\"nodes\": 1}}", 41, &report, &fe);
	CHECK(body == NULL && fe.code == ERR_INVALID);
	CHECK(strstr(fe.msg, "topology.nodes: expected a list") != NULL);
	json_decref(report);
}

int
main(void)
{
	if (ic_setup() == -1)
		return (1);
	test_port_names();
	test_port_kinds();
	test_lans();
	test_drops();
	test_configs();
	test_bad_shapes();
	test_limits();
	test_files();
	ic_done();
	TEST_DONE();
}
