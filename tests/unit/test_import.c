/*
 * test_import - the import core (labs/import.c, labs/importmap.c) on models
 * built by hand and small files: kinds to templates, substitutes when no
 * image was uploaded, node renames, the interface rules and collisions,
 * NICs past a template's limit, LANs that lose members, configs applied or
 * kept, the report's shape, format detection, the labwire format, and the
 * checks every file passes (size, UTF-8, syntax). The shipped templates
 * are loaded; the image store is a stand-in (image_uploaded).
 */
#include <stdlib.h>
#include <string.h>

#include "images/template.h"
#include "labs/import.h"
#include "labs/importir.h"
#include "labs/importmap.h"
#include "labs/validate.h"
#include "core/base/fields.h"
#include "tests/unit/test.h"

#include "tests/unit/import_check.h"

/* The stand-in store: templates that have an image uploaded, comma-separated. */
static const char *uploaded = "";

static bool
image_uploaded(const char *tmpl, bool iso)
{
	const char *p = strstr(uploaded, tmpl);
	size_t n = strlen(tmpl);

	(void)iso;
	return (p != NULL && (p == uploaded || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'));
}

static struct imp im;

static void
model(const char *format)
{
	struct lw_err e = {0};

	CHECK(imp_init(&im, format, &e) == 0);
}

/* node(name, kind, image or NULL): add it and return it to add fields. */
static json_t *
node(const char *name, const char *kind, const char *image)
{
	json_t *n = json_pack("{s:s, s:s}", "name", name, "kind", kind);
	struct lw_err e = {0};

	if (image != NULL)
		json_object_set_new(n, "image", json_string(image));
	CHECK(imp_node_add(&im, n, "nodes", &e) == 0);
	return (imp_node_find(&im, name));
}

/* An endpoint "node", "iface" ("" none), index (-1 none). */
static json_t *
ep(const char *n, const char *iface, long index)
{
	return (imp_ep(n, iface, index));
}

static void
link2(json_t *a, json_t *b)
{
	struct lw_err e = {0};

	CHECK(imp_link_add(&im, json_pack("{s:[o,o]}", "endpoints", a, b), "links", &e) == 0);
}

static void
linkn(json_t *eps)
{
	struct lw_err e = {0};

	CHECK(imp_link_add(&im, json_pack("{s:o}", "endpoints", eps), "links", &e) == 0);
}

static json_t *report;

/* Map the model; the body (or NULL, e filled). */
static json_t *
map(const char *name, struct lw_err *e)
{
	json_t *body;

	json_decref(report);
	report = NULL;
	body = import_map(&im, name, &report, e);
	imp_free(&im);
	return (body);
}

static const char *
str(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return (json_string_value(json_object_get(o, path)));
}

/* The report's list has an entry whose field k1 is v1 and k2 holds v2 (substring). */
static bool
has(const char *list, const char *k1, const char *v1, const char *k2, const char *v2)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(report, list), i, x) {
		const char *a = str(x, k1), *b = k2 ? str(x, k2) : "";

		if (a != NULL && strcmp(a, v1) == 0 && b != NULL && (!k2 || strstr(b, v2) != NULL))
			return (true);
	}
	return (false);
}

/* Link i's endpoints joined by spaces. */
static const char *
link_text(json_t *body, size_t i)
{
	static char buf[512];
	size_t off = 0, k;
	json_t *s;

	buf[0] = '\0';
	json_array_foreach(
	    json_object_get(json_array_get(json_object_get(body, "links"), i), "endpoints"), k, s)
		off += (size_t)snprintf(
		    buf + off, sizeof(buf) - off, "%s%s", k ? " " : "", json_string_value(s));
	return (buf);
}

static void
test_mapping(void)
{
	struct lw_err e = {0};
	json_t *body;

	uploaded = "iosv";
	model("clab");
	node("r1", "linux", "quay.io/frrouting/frr:8.4.1");
	node("h1", "linux", "alpine:3.19");
	node("s1", "nokia_srlinux", "ghcr.io/nokia/srlinux");
	node("v1", "cisco_vios", "vrnetlab/cisco_vios:15.9");
	node("v2", "cisco_vios", "vrnetlab/cisco_vios:L2-2020");
	body = map(NULL, &e);
	CHECK(body != NULL);
	CHECK_STR(str(ic_body_node(body, "r1"), "template"), "frr-router");
	CHECK_STR(str(ic_body_node(body, "h1"), "template"), "linux-host");
	CHECK_STR(str(ic_body_node(body, "s1"), "template"), "frr-router");
	CHECK_STR(str(ic_body_node(body, "v1"), "template"), "iosv");
	/* vIOSL2 has no image uploaded: a switch, so the switch substitute */
	CHECK_STR(str(ic_body_node(body, "v2"), "template"), "vlan-switch");
	CHECK_STR(str(ic_body_node(body, "v2"), "origin.template"), "iosvl2");
	CHECK_STR(str(ic_body_node(body, "s1"), "origin.kind"), "nokia_srlinux");
	CHECK_STR(str(ic_body_node(body, "s1"), "origin.format"), "clab");
	CHECK_STR(str(ic_body_node(body, "s1"), "origin.image"), "ghcr.io/nokia/srlinux");
	CHECK(json_object_get(json_object_get(ic_body_node(body, "s1"), "origin"), "template") ==
	    NULL);
	CHECK(json_object_get(ic_body_node(body, "r1"), "image") ==
	    NULL); /* foreign image: origin only */
	CHECK(has("mapped", "node", "s1", "reason", "no template for clab:nokia_srlinux"));
	CHECK(has("mapped", "node", "r1", "from", "clab:linux"));
	CHECK(json_is_false(
	    json_object_get(json_array_get(json_object_get(report, "mapped"), 0), "substitute")));
	CHECK(json_is_true(
	    json_object_get(json_array_get(json_object_get(report, "mapped"), 2), "substitute")));
	CHECK_STR(str(body, "name"), "imported");
	json_decref(body);

	/* the example: an iosv node with no uploaded image */
	uploaded = "";
	model("cml");
	node("R1", "iosv", NULL);
	node("srv", "ubuntu", NULL);
	body = map("lab-a", &e);
	CHECK_STR(str(ic_body_node(body, "R1"), "template"), "frr-router");
	CHECK_STR(str(ic_body_node(body, "R1"), "origin.template"), "iosv");
	CHECK_STR(str(ic_body_node(body, "srv"), "template"), "linux-host");
	CHECK(has("mapped", "node", "R1", "reason", "template iosv needs a disk image"));
	CHECK_STR(str(body, "name"), "lab-a");
	json_decref(body);

	/* a labwire clab export names its template: used when it exists */
	model("clab");
	json_object_set_new(node("t1", "linux", "alpine:3"), "template", json_string("tiny-linux"));
	json_object_set_new(node("t2", "linux", "alpine:3"), "template", json_string("nope"));
	body = map(NULL, &e);
	CHECK_STR(str(ic_body_node(body, "t1"), "template"), "tiny-linux");
	CHECK_STR(str(ic_body_node(body, "t2"), "template"), "linux-host");
	json_decref(body);

	/* other formats' keys */
	uploaded = "iosv,iosvl2";
	model("unl");
	node("a", "iol", "i86bi-linux-l2-adventerprisek9-15.1a.bin");
	node("b", "vpcs", NULL);
	node("c", "qemu:win", NULL);
	body = map(NULL, &e);
	CHECK_STR(str(ic_body_node(body, "a"), "template"), "iosvl2");
	CHECK_STR(str(ic_body_node(body, "b"), "template"), "linux-host");
	CHECK_STR(str(ic_body_node(body, "c"), "template"), "linux-host");
	json_decref(body);
	uploaded = "";
}

/* Every kind key the brief lists for the parsers has a row of its own. */
static void
test_table(void)
{
	static const char *keys[] = {"clab:linux", "clab:nokia_srlinux", "clab:cisco_iol",
	    "clab:arista_ceos", "clab:cisco_csr1000v", "clab:cisco_c8000v", "clab:cisco_xrv9k",
	    "clab:cisco_n9kv", "clab:arista_veos", "clab:juniper_vmx", "clab:juniper_vsrx",
	    "clab:juniper_vjunosrouter", "clab:juniper_vjunosswitch", "clab:mikrotik_ros",
	    "clab:vyosnetworks_vyos", "unl:qemu:vios", "unl:qemu:viosl2", "unl:qemu:csr1000v",
	    "unl:qemu:c8000v", "unl:qemu:xrv9k", "unl:qemu:nxosv9k", "unl:qemu:veos",
	    "unl:qemu:vmx", "unl:qemu:vsrx", "unl:qemu:linux", "unl:qemu:vyos", "unl:qemu:mikrotik",
	    "unl:iol", "unl:dynamips", "unl:vpcs", "unl:docker", "gns3:qemu", "gns3:vpcs",
	    "gns3:iou", "gns3:dynamips", "gns3:docker", "cml:iosv", "cml:iosvl2", "cml:csr1000v",
	    "cml:cat8000v", "cml:iosxrv9000", "cml:nxosv9000", "cml:alpine", "cml:ubuntu",
	    "cml:server", "cml:desktop", "cml:iol-xe", "cml:ioll2-xe", "cml:asav", "netlab:frr",
	    "netlab:linux", "netlab:iosv", "netlab:csr", "netlab:cat8000v", "netlab:eos",
	    "netlab:nxos", "netlab:iosxr", "netlab:vyos", "netlab:routeros7", "netlab:srlinux",
	    "netlab:cumulus", "netlab:vsrx"};
	const char *image;
	json_t *list, *t, *frr = NULL;
	size_t i;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char fmt[16];
		const char *colon = strchr(keys[k], ':');

		snprintf(fmt, sizeof(fmt), "%.*s", (int)(colon - keys[k]), keys[k]);
		if (!importmap_known(fmt, colon + 1)) {
			fprintf(stderr, "no row for %s\n", keys[k]);
			CHECK(0);
		}
	}
	CHECK(!importmap_known("clab", "no_such_kind"));
	CHECK_STR(importmap_clab_kind("frr-router", &image), "linux");
	CHECK_STR(image, "quay.io/frrouting/frr:8.4.1");
	CHECK_STR(importmap_clab_kind("linux-host", &image), "linux");
	CHECK_STR(image, "alpine:3");
	CHECK_STR(importmap_clab_kind("vlan-switch", &image), "linux");
	CHECK_STR(importmap_clab_kind("iosv", &image), "cisco_vios");
	CHECK(image == NULL);
	CHECK_STR(importmap_clab_kind("vjunos-switch", &image), "juniper_vjunosswitch");
	CHECK_STR(importmap_clab_kind("veos", &image), "arista_veos");
	/* and the kind reads back as the template (with the label, exactly) */
	list = importmap_template_list();
	json_array_foreach(json_object_get(list, "templates"), i, t) {
		if (strcmp(str(t, "name"), "frr-router") == 0)
			frr = t;
		CHECK(json_is_array(json_object_get(t, "imports")));
		CHECK(json_is_array(json_object_get(t, "substitute_for")));
	}
	CHECK(frr != NULL);
	CHECK_STR(
	    json_string_value(json_array_get(json_object_get(frr, "substitute_for"), 0)), "router");
	CHECK(json_array_size(json_object_get(frr, "imports")) >= 5);
	CHECK_STR(str(json_array_get(json_object_get(frr, "imports"), 0), "kind"), "linux");
	/* the shared template objects are not changed */
	CHECK(json_object_get(template_find("frr-router")->json, "imports") == NULL);
	json_decref(list);
}

static void
test_renames(void)
{
	struct lw_err e = {0};
	json_t *body;
	char longname[101];

	memset(longname, 'x', 100);
	longname[100] = '\0';
	model("gns3");
	node("R 1", "vpcs", NULL);
	node("R-1", "vpcs", NULL);
	node("1", "vpcs", NULL);
	node("--a..b", "vpcs", NULL);
	node("r\xc3\xb6uter", "vpcs", NULL);
	node(longname, "vpcs", NULL);
	node("PC1", "vpcs", NULL);
	link2(ep("R-1", "e0", -1), ep("R 1", "e0", -1));
	body = map(NULL, &e);
	CHECK(ic_body_node(body, "R-1") != NULL);   /* the real "R-1" keeps its name */
	CHECK(ic_body_node(body, "R-1-2") != NULL); /* "R 1" made valid collides with it */
	CHECK(ic_body_node(body, "n1") != NULL);
	CHECK(ic_body_node(body, "a.-b") != NULL);
	CHECK(ic_body_node(body, "r-uter") != NULL);
	CHECK(ic_body_node(body, "PC1") != NULL);
	CHECK(has("renamed", "from", "R 1", "to", "R-1-2"));
	CHECK(!has("renamed", "from", "R-1", NULL, NULL));
	CHECK(has("renamed", "from", "1", "to", "n1"));
	CHECK(!has("renamed", "from", "PC1", NULL, NULL));
	CHECK(strlen(str(json_array_get(json_object_get(body, "nodes"), 5), "name")) == 63);
	CHECK(json_array_size(json_object_get(report, "renamed")) == 5);
	/* links follow the renames */
	CHECK_STR(link_text(body, 0), "R-1:eth0 R-1-2:eth0");
	json_decref(body);
}

static void
test_interfaces(void)
{
	struct lw_err e = {0};
	json_t *body;

	uploaded = "iosv";
	model("clab");
	node("r1", "linux", "frr");
	node("r2", "linux", "frr");
	node("v1", "cisco_vios", NULL);
	link2(ep("r1", "eth2", 7), ep("r2", "e1-1", 0));            /* rule 1, rule 2 */
	link2(ep("r1", "", -1), ep("r2", "", -1));                  /* rule 3: next free */
	link2(ep("r1", "weird", 2), ep("v1", "Gi0/1", -1));         /* 2 taken: next free */
	link2(ep("r2", "x", 9), ep("v1", "GigabitEthernet0/1", 5)); /* Gi0/1 taken on v1 */
	body = map(NULL, &e);
	CHECK_STR(link_text(body, 0), "r1:eth2 r2:eth0");
	CHECK_STR(link_text(body, 1), "r1:eth0 r2:eth1");
	CHECK_STR(link_text(body, 2), "r1:eth3 v1:GigabitEthernet0/1");
	CHECK_STR(link_text(body, 3), "r2:eth9 v1:GigabitEthernet0/2");
	CHECK(!has("interfaces", "node", "r1", "from", "eth2")); /* unchanged: not reported */
	CHECK(has("interfaces", "from", "e1-1", "to", "eth0"));
	CHECK(has("interfaces", "from", "weird", "to", "eth3"));
	CHECK(has("interfaces", "from", "Gi0/1", "to", "GigabitEthernet0/1"));
	CHECK(has("interfaces", "from", "GigabitEthernet0/1", "to", "GigabitEthernet0/2"));
	/* nics: the template's default (4), or the highest index used + 1 */
	CHECK(json_object_get(ic_body_node(body, "r1"), "nics") == NULL);
	CHECK(json_integer_value(json_object_get(ic_body_node(body, "r2"), "nics")) == 10);
	json_decref(body);
	uploaded = "";
}

static void
test_drops(void)
{
	struct lw_err e = {0};
	json_t *body;

	model("netlab");
	node("a", "frr", NULL);
	node("b", "frr", NULL);
	node("c", "frr", NULL);
	node("d", "frr", NULL);
	/* frr-router has 16 NICs: port 20 is past it, the p2p link goes */
	link2(ep("a", "", 20), ep("b", "", 0));
	/* a LAN of three losing one member becomes point-to-point */
	linkn(json_pack("[o,o,o]", ep("a", "", 0), ep("b", "", 40), ep("c", "", 0)));
	/* a LAN of four stays one */
	linkn(
	    json_pack("[o,o,o,o]", ep("a", "", 1), ep("b", "", 1), ep("c", "", 1), ep("d", "", 1)));
	/* a LAN left with one member is dropped */
	linkn(json_pack("[o,o,o]", ep("a", "", 99), ep("b", "", 99), ep("c", "", 2)));
	body = map(NULL, &e);
	CHECK(json_array_size(json_object_get(body, "links")) == 2);
	CHECK_STR(link_text(body, 0), "a:eth0 c:eth0");
	CHECK_STR(link_text(body, 1), "a:eth1 b:eth1 c:eth1 d:eth1");
	CHECK(json_integer_value(json_object_get(report, "links")) == 2);
	CHECK(json_integer_value(json_object_get(report, "lans")) == 1);
	CHECK(has("dropped", "what", "a:port 20", "reason", "past template frr-router's 16"));
	CHECK(has("dropped", "what", "b:port 0", "reason", "a link left with 1 endpoint"));
	CHECK(has("dropped", "what", "b:port 40", "reason", "past template"));
	CHECK(has("dropped", "what", "c:port 2", "reason", "a link left with 1 endpoint"));
	/* the dropped link's surviving end did not keep its port: b's eth0 is free */
	CHECK(json_object_get(ic_body_node(body, "b"), "nics") == NULL);
	json_decref(body);

	/* a 16-NIC template filled up: the 17th link has no free interface */
	model("netlab");
	node("hub", "frr", NULL);
	for (int i = 0; i < 17; i++) {
		char n[8];

		snprintf(n, sizeof(n), "s%d", i);
		node(n, "linux", NULL);
		link2(ep("hub", "", -1), ep(n, "", -1));
	}
	body = map(NULL, &e);
	CHECK(json_array_size(json_object_get(body, "links")) == 16);
	CHECK(has("dropped", "what", "hub", "reason", "no free interface left"));
	CHECK(json_integer_value(json_object_get(ic_body_node(body, "hub"), "nics")) == 16);
	json_decref(body);
}

static void
test_configs(void)
{
	struct lw_err e = {0};
	json_t *body, *n;

	uploaded = "";
	model("clab");
	n = node("h1", "linux", "alpine");
	json_object_set_new(n, "exec",
	    json_pack("[s,s]", "ip addr add 10.0.0.1/24 dev eth1", "ip link set eth1 up"));
	n = node("r1", "linux", "frrouting/frr");
	json_object_set_new(n, "config", json_string("hostname r1\n"));
	json_object_set_new(n, "exec", json_pack("[s]", "touch /x"));
	n = node("v1", "cisco_vios", "vios");
	json_object_set_new(n, "config", json_string("hostname v1\n"));
	n = node("c1", "arista_ceos", "ceos");
	json_object_set_new(n, "config_ref", json_string("configs/c1.cfg"));
	json_object_set_new(n, "cpus", json_integer(4));
	json_object_set_new(n, "x", json_integer(5000000));
	json_object_set_new(n, "y", json_integer(-20));
	n = node("r9", "linux", "frr");
	json_object_set_new(n, "cpus", json_integer(2));
	json_object_set_new(n, "ram_mb", json_integer(8));
	/* A config and exec lines, each within the bound but not together, for origin.config. */
	{
		char *big = malloc(200 * 1024 + 1), *line = malloc(1001);

		memset(big, 'x', 200 * 1024);
		big[200 * 1024] = '\0';
		memset(line, 'y', 1000);
		line[1000] = '\0';
		n = node("s1", "nokia_srlinux", "srlinux");
		json_object_set_new(n, "config", json_string(big));
		json_object_set_new(n, "exec", json_array());
		for (int i = 0; i < 100; i++)
			json_array_append_new(json_object_get(n, "exec"), json_string(line));
		free(big);
		free(line);
	}
	body = map(NULL, &e);
	CHECK(json_string_length(json_object_get(
	          json_object_get(ic_body_node(body, "s1"), "origin"), "config")) == 200 * 1024);
	CHECK(has("dropped", "what", "exec", "reason", "s1: origin.config would be larger than"));
	CHECK_STR(str(ic_body_node(body, "h1"), "startup_config"),
	    "ip addr add 10.0.0.1/24 dev eth1\nip link set eth1 up\n");
	CHECK_STR(str(ic_body_node(body, "r1"), "startup_config"), "hostname r1\n");
	CHECK_STR(str(ic_body_node(body, "r1"), "origin.config"), "touch /x\n");
	CHECK(has("kept", "node", "r1", "what", "exec commands"));
	CHECK(json_object_get(ic_body_node(body, "v1"), "startup_config") == NULL);
	CHECK_STR(str(ic_body_node(body, "v1"), "origin.config"), "hostname v1\n");
	CHECK(has("kept", "node", "v1", "reason",
	    "written for cisco_vios; frr-router cannot read it; kept on the node as "
	    "origin.config"));
	CHECK_STR(str(ic_body_node(body, "c1"), "origin.config_ref"), "configs/c1.cfg");
	CHECK(has("kept", "node", "c1", "reason", "file not in the import"));
	/* hardware only for the template asked for; positions clamped */
	CHECK(json_object_get(ic_body_node(body, "c1"), "cpus") == NULL);
	CHECK(json_integer_value(json_object_get(ic_body_node(body, "c1"), "x")) == 1000000);
	CHECK(json_integer_value(json_object_get(ic_body_node(body, "c1"), "y")) == -20);
	CHECK(json_integer_value(json_object_get(ic_body_node(body, "r9"), "cpus")) == 2);
	CHECK(json_object_get(ic_body_node(body, "r9"), "ram_mb") == NULL); /* below 16 */
	/* what POST /labs checks of a node accepts every node made here */
	for (size_t i = 0; i < json_array_size(json_object_get(body, "nodes")); i++)
		CHECK(fields_check(json_array_get(json_object_get(body, "nodes"), i),
		          validate_node_create, "node", &e) == 0);
	json_decref(body);
}

/* ?name= goes to POST /labs as given: one it refuses is not cut into another lab's name. */
static void
test_lab_name(void)
{
	static const char *long_name =
	    "a123456789b123456789c123456789d123456789e123456789f123456789g123456789";
	struct lw_err e = {0};
	json_t *body;

	model("clab");
	node("a", "linux", "alpine");
	body = map(long_name, &e);
	CHECK_STR(str(body, "name"), long_name);
	json_decref(body);
}

static void
test_report_shape(void)
{
	static const char *keys[] = {"format", "nodes", "links", "lans", "mapped", "interfaces",
	    "renamed", "dropped", "kept"};
	struct lw_err e = {0};
	json_t *body;

	model("gns3");
	node("a", "vpcs", NULL);
	node("b", "vpcs", NULL);
	link2(ep("a", "e0", 0), ep("b", "e0", 0));
	imp_drop(&im, "cloud Cloud1", "clouds connect to the host's networks");
	body = map(NULL, &e);
	CHECK(json_object_size(report) == 9);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(json_object_get(report, keys[i]) != NULL);
	CHECK_STR(str(report, "format"), "gns3");
	CHECK(json_integer_value(json_object_get(report, "nodes")) == 2);
	CHECK(json_integer_value(json_object_get(report, "links")) == 1);
	CHECK(has("dropped", "what", "cloud Cloud1", "reason", "host's networks"));
	CHECK(json_object_size(json_array_get(json_object_get(report, "mapped"), 0)) == 4);
	json_decref(body);

	/* past IMPORT_DROPPED_MAX lines: a count of the rest */
	model("gns3");
	for (int i = 0; i < IMPORT_DROPPED_MAX + 5; i++)
		imp_drop(&im, "x", "y");
	body = map(NULL, &e);
	CHECK(json_array_size(json_object_get(report, "dropped")) == IMPORT_DROPPED_MAX);
	CHECK(json_integer_value(json_object_get(report, "dropped_more")) == 5);
	json_decref(body);

	/* kept and dropped are counted apart: 999 kept lines leave room for drops */
	model("gns3");
	for (int i = 0; i < IMPORT_DROPPED_MAX - 1; i++)
		imp_keep(&im, "n", "startup config", "z");
	for (int i = 0; i < 3; i++)
		imp_drop(&im, "x", "y");
	imp_keep(&im, "n", "startup config", "z");
	imp_keep(&im, "n", "startup config", "z");
	body = map(NULL, &e);
	CHECK(json_array_size(json_object_get(report, "dropped")) == 3);
	CHECK(json_object_get(report, "dropped_more") == NULL);
	CHECK(json_array_size(json_object_get(report, "kept")) == IMPORT_DROPPED_MAX);
	CHECK(json_integer_value(json_object_get(report, "kept_more")) == 1);
	json_decref(body);
}

/* import_body on text: the body, or NULL with e. */
static json_t *
body_of(const char *fmt, const char *name, const char *text, size_t len, struct lw_err *e)
{
	json_t *b;

	json_decref(report);
	report = NULL;
	*e = (struct lw_err){0};
	b = import_body(fmt, name, text, len, &report, e);
	CHECK((b == NULL) == (report == NULL));
	return (b);
}

static bool
refused(const char *fmt, const char *text, size_t len, int code, const char *msg)
{
	struct lw_err e;
	json_t *b = body_of(fmt, NULL, text, len, &e);

	if (b != NULL || e.code != code || strstr(e.msg, msg) == NULL) {
		fprintf(stderr, "  got: %d %s\n", e.code, b ? "(a body)" : e.msg);
		json_decref(b);
		return (false);
	}
	return (true);
}

static void
test_detect(void)
{
	static const struct {
		const char *json, *format;
	} cases[] = {
	    {"{\"format\":\"labwire\",\"name\":\"x\"}", "labwire"},
	    {"{\"revision\":9,\"topology\":{\"nodes\":[]}}", "gns3"},
	    {"{\"type\":\"topology\",\"topology\":{\"nodes\":[]}}", "gns3"},
	    {"{\"name\":\"x\",\"topology\":{\"nodes\":{}}}", "clab"},
	    {"{\"lab\":{\"title\":\"x\"},\"nodes\":[]}", "cml"},
	    {"{\"nodes\":[\"a\"],\"links\":[\"a-b\"]}", "netlab"},
	    {"{\"nodes\":[{\"id\":\"n0\",\"node_definition\":\"iosv\"}],\"links\":[]}", "cml"},
	    {"{\"nodes\":{\"a\":{}},\"module\":[\"ospf\"]}", "netlab"},
	    {"{\"nodes\":{\"a\":{}},\"provider\":\"clab\"}", "netlab"},
	    {"{\"nodes\":[\"a\"]}", NULL},
	    {"{\"foo\":1}", NULL},
	    {"[1,2]", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = json_loads(cases[i].json, 0, NULL);
		const char *got = import_detect(doc);

		if (cases[i].format == NULL)
			CHECK(got == NULL);
		else
			CHECK_STR(got, cases[i].format);
		json_decref(doc);
	}
	CHECK(refused(
	    NULL, "{\"foo\": 1}", 10, ERR_INVALID, "cannot tell the format; give ?format="));
	CHECK(refused("docker", "{}", 2, ERR_INVALID, "format: 'docker' is not one of"));
}

static void
test_text_checks(void)
{
	char *big = malloc((size_t)IMPORT_FILE_MAX + 1);

	CHECK(refused(NULL, "{\"a\": \"\xff\"}", 10, ERR_INVALID, "not UTF-8 at byte 7"));
	CHECK(refused(NULL, "{\"a\": \"\xc0\x80\"}", 11, ERR_INVALID, "not UTF-8 at byte 7"));
	CHECK(refused(NULL, "{\"a\": \"\xed\xa0\x80\"}", 12, ERR_INVALID, "not UTF-8 at byte 7"));
	CHECK(refused(NULL, "{\"a\": \"\xe2\x82\"}", 11, ERR_INVALID, "not UTF-8 at byte 7"));
	CHECK(refused(NULL, "{\"a\": \"\xf4\x90\x80\x80\"}", 13, ERR_INVALID, "not UTF-8"));
	CHECK(refused(NULL, "{\"a\"\0: 1}", 9, ERR_INVALID, "a NUL byte at byte 4"));
	CHECK(refused(NULL, " \n\t ", 4, ERR_INVALID, "the file is empty"));
	CHECK(refused(NULL, "", 0, ERR_INVALID, "the file is empty"));
	CHECK(refused(NULL, "{\n  \"a\": 1,\n  }", 15, ERR_INVALID, "line 3, column"));
	if (big != NULL) {
		memset(big, ' ', (size_t)IMPORT_FILE_MAX + 1);
		CHECK(refused(NULL, big, (size_t)IMPORT_FILE_MAX + 1, ERR_TOO_LARGE, "at most"));
		free(big);
	}
	{
		char deep[200] = "{\"a\":";
		size_t n = strlen(deep);

		for (int i = 0; i < 80; i++)
			deep[n++] = '[';
		for (int i = 0; i < 80; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		CHECK(refused(NULL, deep, n, ERR_INVALID, "nested deeper than 64"));
	}
	/* a UTF-8 byte-order mark and characters are fine */
	{
		static const char f[] =
		    "\xef\xbb\xbf{\"format\":\"labwire\",\"name\":\"caf\xc3\xa9\"}";
		struct lw_err e;
		json_t *b = body_of(NULL, NULL, f, sizeof(f) - 1, &e);

		CHECK(b != NULL);
		CHECK_STR(str(b, "name"), "caf\xc3\xa9"); /* lab_create judges the name */
		json_decref(b);
	}
}

static void
test_labwire(void)
{
	static const char f[] = "{\"format\": \"labwire\", \"version\": 1, \"name\": \"a\",\n"
	                        " \"nodes\": [{\"name\": \"r1\", \"template\": \"frr-router\"},\n"
	                        "  {\"name\": \"h1\", \"template\": \"linux-host\", \"origin\":\n"
	                        "   {\"format\": \"clab\", \"kind\": \"linux\"}}],\n"
	                        " \"links\": [{\"endpoints\": [\"r1:eth0\", \"h1:eth0\"]}]}\n";
	struct lw_err e;
	json_t *b = body_of(NULL, NULL, f, sizeof(f) - 1, &e);

	CHECK(b != NULL);
	CHECK(json_object_get(b, "format") == NULL);
	CHECK(json_object_get(b, "version") == NULL);
	CHECK_STR(str(b, "name"), "a");
	CHECK(json_array_size(json_object_get(b, "nodes")) == 2);
	CHECK_STR(str(report, "format"), "labwire");
	CHECK(json_integer_value(json_object_get(report, "links")) == 1);
	CHECK(json_object_size(report) == 9);
	json_decref(b);
	b = body_of("labwire", "b", f, sizeof(f) - 1, &e);
	CHECK_STR(str(b, "name"), "b");
	json_decref(b);
	CHECK(refused(
	    NULL, "{\"format\":\"labwire\",\"version\":2}", 32, ERR_INVALID, "version 2 is not 1"));
	CHECK(refused(
	    "labwire", "{\"format\":\"labwire\",\"version\":2}", 32, ERR_INVALID, "version"));
}

/* A node's origin as POST /labs takes it: bounded fields, nothing else. */
static void
test_origin_field(void)
{
	struct lw_err e = {0};
	char kind[80];
	json_t *n = json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", "a", "template", "frr-router",
	    "origin", "format", "clab", "kind", "linux");

	CHECK(fields_check(n, validate_node_create, "node", &e) == 0);
	json_object_set_new(json_object_get(n, "origin"), "colour", json_string("red"));
	CHECK(fields_check(n, validate_node_create, "node", &e) == -1);
	CHECK(e.code == ERR_INVALID && strstr(e.msg, "colour") != NULL);
	json_object_del(json_object_get(n, "origin"), "colour");
	memset(kind, 'k', 65);
	kind[65] = '\0';
	json_object_set_new(json_object_get(n, "origin"), "kind", json_string(kind));
	CHECK(fields_check(n, validate_node_create, "node", &e) == -1);
	CHECK(strstr(e.msg, "node.origin.kind") != NULL);
	json_object_set_new(n, "origin", json_string("clab"));
	CHECK(fields_check(n, validate_node_create, "node", &e) == -1);
	json_decref(n);
}

int
main(void)
{
	const char *dir =
	    getenv("LW_TEMPLATE_DIR") ? getenv("LW_TEMPLATE_DIR") : "images/templates";
	struct lw_err e = {0};

	if (template_load_dir(dir, &e) < 0) {
		fprintf(stderr, "templates: %s\n", e.msg);
		return (1);
	}
	importmap_set_image_probe(image_uploaded);
	test_mapping();
	test_table();
	test_renames();
	test_interfaces();
	test_drops();
	test_configs();
	test_lab_name();
	test_report_shape();
	test_detect();
	test_text_checks();
	test_labwire();
	test_origin_field();
	json_decref(report);
	template_free_all();
	TEST_DONE();
}
