/* Request-body validation of every endpoint's body. */
#include <jansson.h>

#include "labs/validate.h"
#include "test.h"

/* check one body against a table: want_ok, and when refused the error code. */
static void
expect(const struct field *spec, const char *body, int want_code)
{
	struct lw_err e = {0};
	json_t *o = json_loads(body, 0, NULL);
	int r = fields_check(o, spec, "x", &e);

	if (want_code == 0) {
		CHECK(r == 0);
		if (r != 0)
			fprintf(stderr, "  body %s refused: %s\n", body, e.msg);
	} else {
		CHECK(r == -1 && e.code == want_code);
		if (!(r == -1 && e.code == want_code))
			fprintf(stderr, "  body %s: r=%d code=%d msg=%s\n", body, r, e.code, e.msg);
	}
	json_decref(o);
}

static void
test_lab(void)
{
	expect(validate_lab_create, "{\"name\":\"lab1\"}", 0);
	expect(validate_lab_create,
	    "{\"name\":\"lab1\",\"description\":\"d\",\"nodes\":[],"
	    "\"links\":[]}",
	    0);
	expect(validate_lab_create, "{}", ERR_INVALID);
	expect(validate_lab_create, "[]", ERR_BAD_REQUEST);
	expect(validate_lab_create, "{\"name\":5}", ERR_INVALID);
	expect(validate_lab_create, "{\"name\":\"a/b\"}", ERR_INVALID);
	expect(validate_lab_create, "{\"name\":\"..\"}", ERR_INVALID);
	expect(validate_lab_create, "{\"name\":\"a..b\"}", ERR_INVALID);
	expect(validate_lab_create,
	    "{\"name\":\""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"}",
	    ERR_INVALID); /* 64 characters */
	expect(validate_lab_create, "{\"name\":\"lab\",\"color\":\"red\"}", ERR_INVALID);
	expect(validate_lab_create, "{\"name\":\"lab\",\"nodes\":{}}", ERR_INVALID);
	expect(validate_lab_patch, "{\"description\":\"new\"}", 0);
	expect(validate_lab_patch, "{\"name\":\"x y\"}", ERR_INVALID);
}

static void
test_node(void)
{
	expect(validate_node_create, "{\"name\":\"r1\",\"template\":\"tiny-linux\"}", 0);
	expect(validate_node_create,
	    "{\"name\":\"r1\",\"template\":\"tiny-linux\",\"accel\":\"tcg\","
	    "\"cpus\":2,\"ram_mb\":256,\"nics\":4,\"startup_config\":\"ip l\",\"x\":-5,\"y\":9}",
	    0);
	expect(validate_node_create, "{\"name\":\"r1\"}", ERR_INVALID);
	expect(validate_node_create, "{\"name\":\"r1\",\"template\":\"t\",\"accel\":\"xen\"}",
	    ERR_INVALID);
	expect(
	    validate_node_create, "{\"name\":\"r1\",\"template\":\"t\",\"cpus\":0}", ERR_INVALID);
	expect(validate_node_create, "{\"name\":\"r1\",\"template\":\"t\",\"cpus\":\"2\"}",
	    ERR_INVALID);
	expect(
	    validate_node_create, "{\"name\":\"r1\",\"template\":\"t\",\"nics\":33}", ERR_INVALID);
	expect(validate_node_create, "{\"name\":\"r1\",\"template\":\"t\",\"ram_mb\":1.5}",
	    ERR_INVALID);
	expect(validate_node_create, "{\"name\":\"r1\",\"template\":\"../etc\"}", ERR_INVALID);
	expect(validate_node_patch, "{\"x\":1,\"y\":2}", 0);
	expect(validate_node_patch, "{\"template\":\"other\"}", ERR_INVALID);
}

static void
test_link(void)
{
	expect(validate_link_create, "{\"endpoints\":[\"r1:eth0\",\"r2:eth0\"]}", 0);
	expect(validate_link_create,
	    "{\"endpoints\":[{\"node\":\"r1\",\"interface\":\"Gi0/1\"},"
	    "\"r2:eth0\",\"r3:eth0\"]}",
	    0);
	expect(validate_link_create, "{\"endpoints\":[\"r1:eth0\"]}", ERR_INVALID);
	expect(validate_link_create, "{\"endpoints\":[]}", ERR_INVALID);
	expect(validate_link_create, "{\"endpoints\":[\"r1eth0\",\"r2:eth0\"]}", ERR_INVALID);
	expect(validate_link_create, "{\"endpoints\":[\"r1:\",\"r2:eth0\"]}", ERR_INVALID);
	expect(validate_link_create, "{\"endpoints\":[7,\"r2:eth0\"]}", ERR_INVALID);
	expect(
	    validate_link_create, "{\"endpoints\":[{\"node\":\"r1\"},\"r2:eth0\"]}", ERR_INVALID);
	expect(validate_link_create, "{\"endpoints\":\"r1:eth0\"}", ERR_INVALID);
	expect(validate_link_create, "{}", ERR_INVALID);
	expect(validate_link_patch, "{\"state\":\"down\"}", 0);
	expect(validate_link_patch, "{\"state\":\"sideways\"}", ERR_INVALID);
	expect(validate_impairment, "{\"delay_ms\":10,\"loss_pct\":5}", 0);
	expect(validate_impairment, "{\"loss_pct\":101}", ERR_INVALID);
	expect(validate_impairment, "{\"latency\":1}", ERR_INVALID);
	expect(validate_impairment, "{\"loss_pct\":0.5,\"duplicate_pct\":12.25}", 0);
	expect(validate_impairment, "{\"loss_pct\":-0.1}", ERR_INVALID);
	expect(validate_impairment, "{\"loss_pct\":\"5\"}", ERR_INVALID);
	expect(validate_impairment, "{\"delay_ms\":1.5}", ERR_INVALID);
	expect(validate_impairment, "{\"loss_burst\":4,\"seed\":7}", 0);
	expect(validate_impairment, "{\"seed\":-1}", ERR_INVALID);
	expect(validate_impairment, "{\"a_to_b\":{\"delay_ms\":5},\"b_to_a\":{}}", 0);
	expect(validate_impairment, "{\"a_to_b\":5}", ERR_INVALID);
	expect(validate_impairment_dir, "{\"rate_kbps\":1000,\"reorder_pct\":10}", 0);
	expect(validate_impairment_dir, "{\"seed\":1}", ERR_INVALID);    /* common only */
	expect(validate_impairment_dir, "{\"a_to_b\":{}}", ERR_INVALID); /* no nesting */
}

int
main(void)
{
	test_lab();
	test_node();
	test_link();
	TEST_DONE();
}
