/*
 * test_yamljson - YAML in and out (labs/yamljson.c): core-schema typing,
 * anchors and merge keys, errors that name the line, the alias and depth
 * bombs refused fast, and strings that must survive a round trip.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labs/yamljson.h"
#include "test.h"

static json_t *
yj(const char *s, struct lw_err *e)
{
	return (yaml_to_json(s, strlen(s), 64, 100000, e));
}

/* s read equals the JSON text want. */
static int
yj_is(const char *s, const char *want)
{
	struct lw_err e = {0};
	json_t *got = yj(s, &e), *w = json_loads(want, JSON_DECODE_ANY, NULL);
	int ok = got != NULL && w != NULL && json_equal(got, w);

	if (!ok) {
		char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
		fprintf(stderr, "  %s -> %s (%s), want %s\n", s, g ? g : "NULL", e.msg, want);
		free(g);
	}
	json_decref(got);
	json_decref(w);
	return (ok);
}

/* s fails with a message containing want. */
static int
yj_fails(const char *s, size_t len, const char *want)
{
	struct lw_err e = {0};
	json_t *got = yaml_to_json(s, len, 64, 100000, &e);
	int ok = got == NULL && e.code == ERR_INVALID && strstr(e.msg, want) != NULL;

	if (!ok)
		fprintf(stderr, "  error '%s', want '%s'\n", e.msg, want);
	json_decref(got);
	return (ok);
}

/* v written and read back equals v. */
static int
yj_round(json_t *v)
{
	struct lw_err e = {0};
	size_t len = 0;
	char *y = json_to_yaml(v, &len, &e);
	json_t *back = y ? yaml_to_json(y, len, 64, 100000, &e) : NULL;
	int ok = back != NULL && json_equal(back, v) && strlen(y) == len;

	if (!ok) {
		char *a = json_dumps(v, JSON_ENCODE_ANY),
		     *b = back ? json_dumps(back, JSON_ENCODE_ANY) : NULL;
		fprintf(stderr, "  round trip %s -> [%s] -> %s (%s)\n", a, y ? y : "NULL",
		    b ? b : "NULL", e.msg);
		free(a);
		free(b);
	}
	free(y);
	json_decref(back);
	json_decref(v);
	return (ok);
}

static void
test_types(void)
{
	CHECK(
	    yj_is("a: ~\nb: null\nc:\nd: Null\n", "{\"a\":null,\"b\":null,\"c\":null,\"d\":null}"));
	CHECK(yj_is("[true, False, TRUE, yes, no, on]", "[true,false,true,\"yes\",\"no\",\"on\"]"));
	CHECK(yj_is("[1, -2, +3, 0x1F, 0o17, 007, 9223372036854775807]",
	    "[1,-2,3,31,15,7,9223372036854775807]"));
	CHECK(yj_is("[9223372036854775808, 0x, 1_000, 0b11]",
	    "[\"9223372036854775808\",\"0x\",\"1_000\",\"0b11\"]"));
	CHECK(yj_is("[1.5, .5, 1e3, -2.5E-1, 1.]", "[1.5,0.5,1000.0,-0.25,1.0]"));
	CHECK(yj_is("[.inf, -.Inf, .NaN, 1e999]", "[\".inf\",\"-.Inf\",\".NaN\",\"1e999\"]"));
	CHECK(yj_is("- '1'\n- \"true\"\n- |\n  null\n- ''\n- >\n  a\n  b\n",
	    "[\"1\",\"true\",\"null\\n\",\"\",\"a b\\n\"]"));
	CHECK(yj_is("!!str 12", "12"));
	CHECK(yj_is("1: a\nnull: b\n", "{\"1\":\"a\",\"null\":\"b\"}"));
	CHECK(yj_is("a: 1\na: 2\n", "{\"a\":2}"));
	CHECK(yj_is("x\n---\ny: [\n", "\"x\""));
	CHECK(yj_is("", "null"));
	/* A Windows editor's file: a byte-order mark and CR LF line ends. */
	CHECK(yj_is("\xef\xbb\xbf"
	            "a: 1\r\nb: |\r\n  x\r\n  y\r\n",
	    "{\"a\":1,\"b\":\"x\\ny\\n\"}"));
	CHECK(yj_is("héllo: wörld ✓", "{\"héllo\":\"wörld ✓\"}"));
}

static void
test_anchors(void)
{
	CHECK(yj_is("a: &x [1, 2]\nb: *x\n", "{\"a\":[1,2],\"b\":[1,2]}"));
	CHECK(yj_is("base: &b {k: 1, j: 2}\nn:\n  <<: *b\n  j: 3\n",
	    "{\"base\":{\"k\":1,\"j\":2},\"n\":{\"k\":1,\"j\":3}}"));
	CHECK(yj_is("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  w: 0\n  <<: [*a, *b]\n",
	    "{\"a\":{\"x\":1,\"y\":1},\"b\":{\"x\":2,\"z\":2},\"c\":{\"w\":0,\"x\":1,\"y\":1,"
	    "\"z\":2}}"));
	CHECK(yj_is("'<<': 1\n", "{\"<<\":1}"));
	CHECK(yj_is("k: &k key\n*k : v\n", "{\"k\":\"key\",\"key\":\"v\"}"));
	CHECK(yj_fails("a: *nope\n", 9, "line 1, column 4: alias 'nope' names no anchor"));
	CHECK(yj_fails("a: &a [*a]\n", 11, "names no anchor"));
	CHECK(yj_fails("x: 1\n<<: 3\n", 11, "line 2, column 5: '<<' merges a mapping"));
	CHECK(yj_fails("<<: [1]\n", 8, "'<<' merges a mapping"));
}

static void
test_errors(void)
{
	CHECK(yj_fails("a: 1\nb: [1, 2\nc: 3\n", 19, "line 3"));
	CHECK(yj_fails("a:\n  b: 1\n c: 2\n", 16, "line 3, column 2"));
	CHECK(yj_fails("? [1, 2]\n: x\n", 13, "line 1, column 3: a mapping key must be a scalar"));
	CHECK(yj_fails("{{a: 1}: 2}", 11, "a mapping key must be a scalar"));
	CHECK(yj_fails("a: 1\nb: x\0y\n", 12, "line 2, column 5: a NUL character"));
	CHECK(yj_fails("a: \"x\\0y\"\n", 10, "line 1, column 4: a NUL character"));
	CHECK(yj_fails("a: \xff\xfe\n", 6, "line 1"));
	/* Indented less than the first line: not a second document, an error. */
	CHECK(yj_fails(
	    " a: 1\nb: 2\n", 11, "line 2, column 1: did not find expected <document start>"));
}

/* The billion laughs, nine levels of nine: refused after the budget, fast. */
static void
test_alias_bomb(void)
{
	char buf[4096];
	size_t n = 0;
	struct lw_err e = {0};
	struct timespec t0, t1;
	json_t *v;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a0: &a0 [lol]\n");
	for (int i = 1; i < 10; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	v = yaml_to_json(buf, n, 64, 1000000, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(v == NULL && strstr(e.msg, "more than 1000000 values") != NULL);
	CHECK(strncmp(e.msg, "line 7, column ", 15) == 0);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	json_decref(v);
}

static void
test_depth(void)
{
	size_t n = 100000;
	char *s = malloc(2 * n + 1);
	struct lw_err e = {0};
	json_t *v;

	memset(s, '[', n);
	memset(s + n, ']', n);
	CHECK(yj_fails(s, 2 * n, "line 1, column 65: nested deeper than 64"));
	memset(s, '[', 64);
	memset(s + 64, ']', 64);
	v = yaml_to_json(s, 128, 64, 1000, &e);
	CHECK(v != NULL);
	json_decref(v);
	free(s);
}

static void
test_round_trips(void)
{
	static const char *const strs[] = {"yes", "no", "on", "1.0", "1", "-1", "0x10", "null", "~",
	    "", " x", "x ", "a: b", "#x", "x #y", "- x", "[x]", "{x}", "'q'", "\"q\"", "true",
	    "True", ".inf", ".nan", "1e3", "1_000", "12:30", "<<", "@x", "`x", "%x", "!x", "&x",
	    "*x", "|", ">", "?", ":", "-", "---", "...", "line1\nline2", "line1\nline2\n",
	    "a  \nb\n", "trailing space \n", "\n\nx", "x\n\n\n", "  indented\nmore\n", "\tt\nab",
	    "tab\there", "crlf\r\nx", "ünïcödé ✓ 日本", "\xe2\x80\xa8sep", "é\n", "\x01\x7f",
	    "a\\b", "a\"b'c"};
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		CHECK(yj_round(json_string(strs[i])));
		CHECK(yj_round(json_pack("{s:s}", strs[i], strs[i])));
		CHECK(yj_round(json_pack("[s]", strs[i])));
		json_object_set_new(o, strs[i], json_string(strs[i]));
		json_array_append_new(a, json_string(strs[i]));
	}
	CHECK(yj_round(json_pack("{s:o,s:o}", "o", o, "a", a)));
	CHECK(yj_round(json_loads("{\"i\":[0,-0,9223372036854775807,-9223372036854775808],"
	                          "\"r\":[0.0,-0.0,1.5,1e300,1e-300,0.1,100.0,-3.0],"
	                          "\"b\":[true,false,null],\"e\":[{},[],[[]],{\"x\":{}}]}",
	    0, NULL)));
	CHECK(yj_round(json_integer(5)));
	CHECK(yj_round(json_null()));
	CHECK(yj_round(json_array()));
}

/* What the export looks like: block style, literal text, plain numbers. */
static void
test_shape(void)
{
	json_t *v = json_pack("{s:s,s:i,s:s,s:[s]}", "name", "lab", "x", 10, "config",
	    "hostname r1\n!\n", "list", "yes");
	struct lw_err e = {0};
	size_t len;
	char *y = json_to_yaml(v, &len, &e);

	CHECK_STR(y, "name: lab\nx: 10\nconfig: |\n  hostname r1\n  !\nlist:\n- \"yes\"\n");
	free(y);
	json_decref(v);
}

int
main(void)
{
	test_types();
	test_anchors();
	test_errors();
	test_alias_bomb();
	test_depth();
	test_round_trips();
	test_shape();
	TEST_DONE();
}
