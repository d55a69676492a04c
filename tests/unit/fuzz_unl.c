/*
 * fuzz_unl - libFuzzer target for labs/import_unl: an EVE-NG .unl file is
 * whatever XML a user uploads. The input is the file, as imp_unl gets it
 * (also bytes import_body's UTF-8 check would refuse). Besides ASan's
 * checks: a refusal is a 422 with a message; an accepted file gives a model
 * whose nodes have names and kinds, whose links are 2 or more endpoints
 * naming nodes of the model, and whose report strings are UTF-8 (jansson
 * would not have made them otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
model_ok(struct imp *im)
{
	json_t *n, *l, *ep;
	size_t i, j;

	json_array_foreach(im->nodes, i, n) {
		if (!json_is_string(json_object_get(n, "name")) ||
		    !json_is_string(json_object_get(n, "kind")))
			__builtin_trap();
	}
	json_array_foreach(im->links, i, l) {
		json_t *eps = json_object_get(l, "endpoints");

		if (json_array_size(eps) < 2)
			__builtin_trap();
		json_array_foreach(eps, j, ep) {
			const char *node = json_string_value(json_object_get(ep, "node"));

			if (node == NULL || imp_node_find(im, node) == NULL ||
			    !json_is_string(json_object_get(ep, "interface")))
				__builtin_trap();
		}
	}
	if (json_array_size(im->dropped) > IMPORT_DROPPED_MAX)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_err e = {0};
	struct imp im;

	if (imp_init(&im, "unl", &e) == -1)
		return (0);
	if (imp_unl(&im, (const char *)data, size, NULL, &e) == 0)
		model_ok(&im);
	else if ((e.code != ERR_INVALID && e.code != ERR_INTERNAL) || e.msg[0] == '\0')
		__builtin_trap();
	imp_free(&im);
	return (0);
}
