/*
 * fuzz_checks - libFuzzer target for a practice lab's checks and stages
 * (labs/practice.c practice_validate): any bytes are parsed as JSON the way
 * the server does; its "checks" and "stages" are validated against its
 * "nodes" ({name: template}) or, without them, a fixed lab of an FRR
 * router, a namespace host and an IOSv; its "guide" is checked too.
 * Besides ASan's and UBSan's checks (every regex goes through core/base/rx):
 * each refusal says why, with the field path first and a 4xx code; what is
 * accepted holds what grading relies on (at most 200 checks, unique ids,
 * each check's node in the lab, its kind one of the six).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "labs/practice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_refusal(const struct lw_err *e)
{
	if (e->msg[0] == '\0' || (e->code != ERR_INVALID && e->code != ERR_TOO_LARGE))
		__builtin_trap();
	if (strncmp(e->msg, "checks", 6) != 0 && strncmp(e->msg, "stages", 6) != 0 &&
	    strncmp(e->msg, "guide", 5) != 0)
		__builtin_trap();
}

/* What grading relies on in checks that passed; ids collects the ids seen. */
static size_t
fuzz_accepted(json_t *checks, json_t *nodes, json_t *ids)
{
	static const char *kinds[] = {
	    "ping", "exec", "config", "route", "ospf_neighbors", "bgp_established"};
	json_t *c;
	size_t i;

	json_array_foreach(checks, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *kind = json_string_value(json_object_get(c, "kind"));
		int known = 0;

		if (id == NULL || kind == NULL || json_object_get(ids, id) != NULL ||
		    !json_is_string(
		        json_object_get(nodes, json_string_value(json_object_get(c, "node")))))
			__builtin_trap();
		json_object_set_new(ids, id, json_true());
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			known |= strcmp(kind, kinds[k]) == 0;
		if (!known)
			__builtin_trap();
	}
	return (json_array_size(checks));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *nodes, *checks, *stages, *s, *ids;
	struct lw_err e = {.code = ERR_NONE};
	size_t total, i;

	if (o == NULL)
		return (0);
	nodes = json_object_get(o, "nodes");
	nodes = json_is_object(nodes)
	    ? json_incref(nodes)
	    : json_pack("{s:s,s:s,s:s}", "r1", "frr-router", "h1", "linux-host", "x1", "iosv");
	if (json_object_get(o, "guide") != NULL &&
	    practice_guide_check(json_object_get(o, "guide"), "guide", &e) == -1)
		fuzz_refusal(&e);
	checks = json_object_get(o, "checks");
	stages = json_object_get(o, "stages");
	e = (struct lw_err){.code = ERR_NONE};
	if (practice_validate(checks, stages, nodes, &e) == -1) {
		fuzz_refusal(&e);
	} else {
		ids = json_object();
		total = fuzz_accepted(checks, nodes, ids);
		json_array_foreach(stages, i, s)
			total += fuzz_accepted(json_object_get(s, "checks"), nodes, ids);
		if (total > PRACTICE_CHECKS_MAX || json_array_size(stages) > PRACTICE_STAGES_MAX)
			__builtin_trap();
		json_decref(ids);
	}
	json_decref(nodes);
	json_decref(o);
	return (0);
}
