/*
 * Practice labs: the checks and stages validator (every kind, every bound,
 * field paths in messages), the template families, and against a real
 * store: PUT refused changes nothing, practice_checks_for per stage.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/config.h"
#include "db/db.h"
#include "labs/practice.h"
#include "test.h"

static json_t *nodes;

/* expect: checks (JSON text, or NULL) and stages validate (want NULL) or fail with want in msg. */
static void
expect(const char *checks, const char *stages, const char *want)
{
	json_t *c = checks ? json_loads(checks, 0, NULL) : NULL;
	json_t *s = stages ? json_loads(stages, 0, NULL) : NULL;
	struct lw_err e = {0};
	int r;

	CHECK((checks == NULL || c != NULL) && (stages == NULL || s != NULL));
	r = practice_validate(c, s, nodes, &e);
	if (want == NULL) {
		CHECK(r == 0);
		if (r != 0)
			fprintf(stderr, "  refused: %s\n  %s\n", e.msg, checks ? checks : stages);
	} else {
		CHECK(r == -1 && e.code == ERR_INVALID && strstr(e.msg, want) != NULL);
		if (!(r == -1 && strstr(e.msg, want) != NULL))
			fprintf(stderr, "  r=%d msg '%s', want '%s'\n", r, e.msg, want);
	}
	json_decref(c);
	json_decref(s);
}

/* One check of node r1 (frr) with fields f besides id and description, as a checks array. */
static char *
one(const char *node, const char *f)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "[{\"id\":\"c1\",\"description\":\"d\",\"node\":\"%s\",%s}]",
	    node, f);
	return (buf);
}

static void
test_kinds(void)
{
	expect(one("r1", "\"kind\":\"ping\",\"target\":\"10.0.0.1\""), NULL, NULL);
	expect(one("h1", "\"kind\":\"ping\",\"target\":\"fe80::1\",\"expect\":\"failure\""), NULL,
	    NULL);
	expect(one("x1", "\"kind\":\"exec\",\"command\":\"show version\",\"match\":\"IOS\""), NULL,
	    NULL);
	expect(one("r1", "\"kind\":\"config\",\"match\":\"^router ospf\",\"absent\":true"), NULL,
	    NULL);
	expect(one("h1", "\"kind\":\"route\",\"prefix\":\"0.0.0.0/0\",\"via\":\"10.0.0.1\""), NULL,
	    NULL);
	expect(one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.1/32\""), NULL, NULL);
	expect(one("r1", "\"kind\":\"ospf_neighbors\",\"full\":64"), NULL, NULL);
	expect(one("r1", "\"kind\":\"bgp_established\",\"peer\":\"192.0.2.1\""), NULL, NULL);
	expect(one("r1",
	           "\"kind\":\"config\",\"match\":\"x\",\"points\":100,\"hint\":\"h\",\"timeout_"
	           "s\":60"),
	    NULL, NULL);
	expect("[]", "[]", NULL);
	expect(NULL, NULL, NULL);
}

static void
test_refused(void)
{
	expect(one("r1", "\"kind\":\"telnet\""), NULL, "checks[0].kind: 'telnet' is not one of");
	expect(one("r1", "\"target\":\"10.0.0.1\""), NULL, "checks[0].kind: is required");
	expect(one("r1", "\"kind\":\"ping\",\"target\":\"10.0.0.1\",\"x\":1"), NULL,
	    "unknown field 'x'");
	expect(one("r1", "\"kind\":\"ping\""), NULL, "checks[0].target: is required");
	expect(one("r9", "\"kind\":\"ping\",\"target\":\"10.0.0.1\""), NULL,
	    "checks[0].node: the lab has no node 'r9'");
	expect(one("h1", "\"kind\":\"ospf_neighbors\",\"full\":1"), NULL, "does not fit node 'h1'");
	expect(
	    one("h1", "\"kind\":\"bgp_established\",\"peer\":\"10.0.0.1\""), NULL, "family linux");
	expect(one("x1", "\"kind\":\"ping\",\"target\":\"10.0.0.1\""), NULL, "only exec checks");
	expect(one("r1", "\"kind\":\"ping\",\"target\":\"10.0.0.256\""), NULL,
	    "checks[0].target: not an IP address");
	expect(one("r1", "\"kind\":\"ping\",\"target\":\"r2\""), NULL, "not an IP address");
	expect(one("r1", "\"kind\":\"ping\",\"target\":\"10.0.0.1\",\"expect\":\"maybe\""), NULL,
	    "checks[0].expect");
	expect(one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.0\""), NULL, "not an IPv4 prefix");
	expect(
	    one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.0/33\""), NULL, "not an IPv4 prefix");
	expect(
	    one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.0/-1\""), NULL, "not an IPv4 prefix");
	expect(
	    one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.0/8x\""), NULL, "not an IPv4 prefix");
	expect(one("r1", "\"kind\":\"route\",\"prefix\":\"2001:db8::/32\""), NULL,
	    "not an IPv4 prefix");
	expect(one("r1", "\"kind\":\"route\",\"prefix\":\"10.1.0.0/8\""), NULL, "host bits");
	expect(one("r1", "\"kind\":\"route\",\"prefix\":\"10.0.0.0/8\",\"via\":\"x\""), NULL,
	    "checks[0].via: not an IP address");
	expect(one("r1", "\"kind\":\"ospf_neighbors\",\"full\":65"), NULL, "checks[0].full");
	expect(one("r1", "\"kind\":\"ospf_neighbors\""), NULL, "checks[0].full: is required");
	expect(one("r1", "\"kind\":\"config\",\"match\":\"(\""), NULL, "checks[0].match:");
	expect(one("r1", "\"kind\":\"config\",\"match\":\"(a)\\\\1\""), NULL, "checks[0].match:");
	expect(one("r1", "\"kind\":\"config\",\"match\":\"\""), NULL, "length must be 1..");
	expect(one("r1", "\"kind\":\"exec\",\"command\":\"ls\\nreboot\",\"match\":\"x\""), NULL,
	    "checks[0].command: only printable ASCII");
	expect(one("r1", "\"kind\":\"exec\",\"command\":\"ls\",\"match\":\"x\",\"absent\":1"), NULL,
	    "checks[0].absent: must be");
	expect(one("r1", "\"kind\":\"config\",\"match\":\"x\",\"points\":101"), NULL,
	    "checks[0].points");
	expect(one("r1", "\"kind\":\"config\",\"match\":\"x\",\"timeout_s\":0"), NULL,
	    "checks[0].timeout_s");
	expect("[{\"id\":\"c 1\",\"description\":\"d\",\"node\":\"r1\",\"kind\":\"config\","
	       "\"match\":\"x\"}]",
	    NULL, "checks[0].id");
	expect("[{\"id\":\"c1\",\"node\":\"r1\",\"kind\":\"config\",\"match\":\"x\"}]", NULL,
	    "checks[0].description: is required");
	expect("[5]", NULL, "checks[0]: must be a JSON object");
	expect("{}", NULL, "checks: must be an array");
	expect("[{\"id\":\"a\",\"description\":\"d\",\"node\":\"r1\",\"kind\":\"config\",\"match\":"
	       "\"x\"},{\"id\":\"a\",\"description\":\"d\",\"node\":\"r1\",\"kind\":\"config\","
	       "\"match\":\"x\"}]",
	    NULL, "checks[1].id: 'a' is used by checks[0]");
	/* Text a terminal prints (labwire grade's hint): no escape sequence in it. */
	expect("[{\"id\":\"c1\",\"description\":\"d\",\"node\":\"r1\",\"kind\":\"config\","
	       "\"match\":\"x\",\"hint\":\"look \\u001b]0;owned\\u0007 here\"}]",
	    NULL, "checks[0].hint: no control character but tab, newline and CR (byte 5 is 0x1b)");
	expect("[{\"id\":\"c1\",\"description\":\"d\\u001b[2J\",\"node\":\"r1\","
	       "\"kind\":\"config\",\"match\":\"x\"}]",
	    NULL, "checks[0].description: no control character");
	expect("[{\"id\":\"c1\",\"description\":\"two\\nlines\\tand a tab\",\"node\":\"r1\","
	       "\"kind\":\"config\",\"match\":\"x\"}]",
	    NULL, NULL);
	expect(NULL, "[{\"name\":\"one\\u009b[31m\"}]",
	    "stages[0].name: no control character but tab, newline and CR (byte 3 is 0xc2)");
	expect(NULL, "[{\"name\":\"caf\\u00e9 \\u00a0ok\"}]", NULL);
	expect(NULL, "[{\"name\":\"one\",\"description\":\"x\\u007f\"}]",
	    "stages[0].description: no control");
}

static void
test_bounds(void)
{
	char *big = malloc(PRACTICE_COMMAND_MAX + 200), *cmd = malloc(PRACTICE_COMMAND_MAX + 300);
	json_t *many = json_array(), *g, *st;
	struct lw_err e = {0};

	memset(big, 'a', PRACTICE_COMMAND_MAX + 1);
	big[PRACTICE_COMMAND_MAX + 1] = '\0';
	snprintf(cmd, PRACTICE_COMMAND_MAX + 300,
	    "\"kind\":\"exec\",\"command\":\"%s\",\"match\":\"x\"", big);
	expect(one("r1", cmd), NULL, "checks[0].command: length must be 1..256");
	for (int i = 0; i < PRACTICE_CHECKS_MAX + 1; i++)
		json_array_append_new(many,
		    json_pack("{s:s%,s:s,s:s,s:s,s:s}", "id", "c", (size_t)1, "description", "d",
		        "node", "r1", "kind", "config", "match", "x"));
	/* 201 checks: refused on the count before any is looked at. */
	CHECK(
	    practice_validate(many, NULL, nodes, &e) == -1 && strstr(e.msg, "at most 200") != NULL);
	json_array_remove(many, 0);
	for (size_t i = 0; i < json_array_size(many); i++)
		json_object_set_new(json_array_get(many, i), "id", json_sprintf("c%zu", i));
	CHECK(practice_validate(many, NULL, nodes, &e) == 0); /* 200: the limit */
	/* The limit counts the stages' checks too. */
	json_array_remove(many, 0);
	st = json_pack("[{s:s,s:[{s:s,s:s,s:s,s:s,s:s}, {s:s,s:s,s:s,s:s,s:s}]}]", "name", "s1",
	    "checks", "id", "z1", "description", "d", "node", "r1", "kind", "config", "match", "x",
	    "id", "z2", "description", "d", "node", "r1", "kind", "config", "match", "x");
	CHECK(practice_validate(many, st, nodes, &e) == -1 &&
	    strstr(e.msg, "stages[0].checks: at most 200") != NULL);
	json_decref(st);
	json_decref(many);
	g = json_stringn_nocheck(big, 0);
	CHECK(practice_guide_check(g, "guide", &e) == 0);
	json_decref(g);
	{
		char *gb = malloc(PRACTICE_GUIDE_MAX + 2);

		memset(gb, '#', PRACTICE_GUIDE_MAX + 1);
		g = json_stringn(gb, PRACTICE_GUIDE_MAX + 1);
		CHECK(practice_guide_check(g, "guide", &e) == -1 && e.code == ERR_TOO_LARGE);
		json_decref(g);
		g = json_stringn(gb, PRACTICE_GUIDE_MAX);
		CHECK(practice_guide_check(g, "guide", &e) == 0);
		json_decref(g);
		free(gb);
	}
	g = json_string("# Title\r\n\tcode\n");
	CHECK(practice_guide_check(g, "guide", &e) == 0);
	json_decref(g);
	g = json_string("# Title\n\x1b]52;c;cm0gLXJmIH4=\x07");
	CHECK(practice_guide_check(g, "guide", &e) == -1 && e.code == ERR_INVALID &&
	    strstr(e.msg, "byte 8 is 0x1b") != NULL);
	json_decref(g);
	g = json_integer(1);
	CHECK(practice_guide_check(g, "guide", &e) == -1 && e.code == ERR_INVALID);
	json_decref(g);
	free(big);
	free(cmd);
}

static void
test_stages(void)
{
	const char *ok = "[{\"name\":\"one\",\"description\":\"d\",\"checks\":[{\"id\":\"s1\","
	                 "\"description\":\"d\",\"node\":\"r1\",\"kind\":\"config\",\"match\":"
	                 "\"x\"}],\"configs\":{\"r1\":\"hostname r1\\n\",\"h1\":\"\"}},"
	                 "{\"name\":\"two\"}]";
	json_t *s = json_array();

	expect(NULL, ok, NULL);
	expect(one("r1", "\"kind\":\"config\",\"match\":\"x\""),
	    "[{\"name\":\"one\",\"checks\":[{\"id\":\"c1\",\"description\":\"d\",\"node\":\"r1\","
	    "\"kind\":\"config\",\"match\":\"x\"}]}]",
	    "stages[0].checks[0].id: 'c1' is used by checks[0]");
	expect(NULL, "[{\"name\":\"one\",\"configs\":{\"r9\":\"x\"}}]",
	    "stages[0].configs: the lab has no node 'r9'");
	expect(
	    NULL, "[{\"name\":\"one\",\"configs\":{\"r1\":5}}]", "stages[0].configs.r1: must be");
	expect(NULL, "[{\"configs\":{}}]", "stages[0].name: is required");
	expect(NULL, "[{\"name\":\"one\",\"colour\":1}]", "stages[0]: unknown field 'colour'");
	expect(NULL,
	    "[{\"name\":\"one\",\"checks\":[{\"id\":\"c1\",\"description\":\"d\",\"node\":"
	    "\"h1\",\"kind\":\"ospf_neighbors\",\"full\":1}]}]",
	    "stages[0].checks[0].kind");
	expect(NULL, "{}", "stages: must be an array");
	for (int i = 0; i < PRACTICE_STAGES_MAX + 1; i++)
		json_array_append_new(s, json_pack("{s:s}", "name", "s"));
	{
		struct lw_err e = {0};
		char *big = calloc(1, PRACTICE_CONFIG_MAX + 2);

		CHECK(practice_validate(NULL, s, nodes, &e) == -1 &&
		    strstr(e.msg, "at most 16 stages") != NULL);
		json_array_remove(s, 0);
		CHECK(practice_validate(NULL, s, nodes, &e) == 0);
		memset(big, 'x', PRACTICE_CONFIG_MAX + 1);
		json_object_set_new(json_array_get(s, 3), "configs", json_pack("{s:s}", "r1", big));
		CHECK(practice_validate(NULL, s, nodes, &e) == -1 &&
		    strstr(e.msg, "stages[3].configs.r1: at most") != NULL);
		free(big);
	}
	json_decref(s);
}

static void
test_family(void)
{
	CHECK(practice_family("frr-router") == PRACTICE_FRR);
	CHECK(practice_family("tiny-linux") == PRACTICE_LINUX);
	CHECK(practice_family("tiny-linux-arm64") == PRACTICE_LINUX);
	CHECK(practice_family("linux-host") == PRACTICE_LINUX);
	CHECK(practice_family("linux-cloud") == PRACTICE_LINUX);
	CHECK(practice_family("vlan-switch") == PRACTICE_LINUX);
	CHECK(practice_family("iosv") == PRACTICE_OTHER);
	CHECK(practice_family("tiny-linux-x") == PRACTICE_OTHER);
	CHECK(practice_family(NULL) == PRACTICE_OTHER);
}

/* Against a real store: a refused PUT changes nothing; practice_checks_for by stage. */
static void
test_store(void)
{
	char dir[] = "/tmp/lwpractice.XXXXXX", path[128], cmd[160];
	struct lw_err e = {0};
	json_t *body, *got;
	int64_t lab;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	CHECK((lw.db = db_open(path, &e)) != NULL);
	lab = db_insert(lw.db, &e, "INSERT INTO labs (name, created_at) VALUES ('l', 1)", "");
	CHECK(
	    db_exec(lw.db, &e,
	        "INSERT INTO nodes (lab_id, name, template, arch, cpus, ram_mb, nics, console_port)"
	        " VALUES (?, 'r1', 'frr-router', 'x86_64', 1, 64, 1, 5000)",
	        "i", lab) == 1);
	body =
	    json_loads("{\"checks\":[{\"id\":\"a\",\"description\":\"d\",\"node\":\"r1\",\"kind\":"
	               "\"ping\",\"target\":\"10.0.0.1\"}]}",
	        0, NULL);
	CHECK(practice_put(lab, "checks", body, &e) == 0);
	json_decref(body);
	body =
	    json_loads("{\"stages\":[{\"name\":\"s\",\"checks\":[{\"id\":\"b\",\"description\":"
	               "\"d\",\"node\":\"r1\",\"kind\":\"config\",\"match\":\"x\",\"absent\":true,"
	               "\"points\":3}]}]}",
	        0, NULL);
	CHECK(practice_put(lab, "stages", body, &e) == 0);
	json_decref(body);
	/* A stage check reusing the lab check's id: refused, stored stages as they were. */
	body = json_loads("{\"stages\":[{\"name\":\"s\",\"checks\":[{\"id\":\"a\",\"description\":"
	                  "\"d\",\"node\":\"r1\",\"kind\":\"config\",\"match\":\"x\"}]}]}",
	    0, NULL);
	CHECK(practice_put(lab, "stages", body, &e) == -1 && e.code == ERR_INVALID);
	json_decref(body);
	body = json_loads("{\"checks\":[],\"guide\":\"\"}", 0, NULL);
	CHECK(
	    practice_put(lab, "checks", body, &e) == -1 && strstr(e.msg, "unknown field") != NULL);
	json_decref(body);

	got = practice_checks_for(lab, 0, &e);
	CHECK(json_array_size(got) == 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(got, 0), "expect")), "success");
	CHECK(json_integer_value(json_object_get(json_array_get(got, 0), "points")) == 1);
	CHECK(json_integer_value(json_object_get(json_array_get(got, 0), "timeout_s")) == 10);
	CHECK(json_integer_value(json_object_get(json_array_get(got, 0), "stage")) == 0);
	CHECK(json_integer_value(json_object_get(json_array_get(got, 1), "points")) == 3);
	CHECK(json_integer_value(json_object_get(json_array_get(got, 1), "stage")) == 1);
	json_decref(got);
	got = practice_checks_for(lab, 1, &e);
	CHECK(json_array_size(got) == 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(got, 0), "id")), "b");
	json_decref(got);
	CHECK(practice_checks_for(lab, 2, &e) == NULL && e.code == ERR_NOT_FOUND);
	CHECK(practice_checks_for(lab, -1, &e) == NULL && e.code == ERR_NOT_FOUND);
	CHECK(practice_checks_for(lab + 1, 0, &e) == NULL && e.code == ERR_NOT_FOUND);

	/* The node the checks name can be neither deleted nor renamed. */
	CHECK(practice_node_unnamed(db_int(lw.db, 0, "SELECT id FROM nodes", ""), "deleted", &e) ==
	        -1 &&
	    e.code == ERR_CONFLICT && strstr(e.msg, "(a, b)") != NULL);
	/* Renamed, the checks follow it (inside the caller's transaction). */
	CHECK(db_begin(lw.db, &e) == 0);
	CHECK(
	    practice_node_renamed(db_int(lw.db, 0, "SELECT id FROM nodes", ""), "core1", &e) == 0);
	CHECK(db_exec(lw.db, &e, "UPDATE nodes SET name = 'core1'", "") == 1);
	CHECK(db_commit(lw.db, &e) == 0);
	got = practice_checks_for(lab, 0, &e);
	CHECK_STR(json_string_value(json_object_get(json_array_get(got, 0), "node")), "core1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(got, 1), "node")), "core1");
	json_decref(got);
	db_close(lw.db);
	lw.db = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int
main(void)
{
	nodes = json_pack("{s:s,s:s,s:s}", "r1", "frr-router", "h1", "linux-host", "x1", "iosv");
	test_kinds();
	test_refused();
	test_bounds();
	test_stages();
	test_family();
	test_store();
	json_decref(nodes);
	TEST_DONE();
}
