/*
 * fuzz_yaml - libFuzzer target for labs/yamljson.c, which reads every
 * imported YAML file: any bytes are read as YAML within small bounds; a
 * refusal must be a 422 that names the line; a tree that was read is
 * written back as YAML, and reading that must give the same tree
 * (yaml_to_json(json_to_yaml(v)) == v, the export's promise).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labs/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_err e = {.code = ERR_NONE};
	json_t *v = yaml_to_json((const char *)data, size, 32, 2000, &e), *back;
	size_t len = 0;
	char *y;

	if (v == NULL) {
		if (e.code != ERR_INVALID || strncmp(e.msg, "line ", 5) != 0)
			__builtin_trap();
		return (0);
	}
	if ((y = json_to_yaml(v, &len, &e)) == NULL || strlen(y) != len)
		__builtin_trap();
	back = yaml_to_json(y, len, 32, 2000, &e);
	if (back == NULL || !json_equal(v, back))
		__builtin_trap();
	free(y);
	json_decref(back);
	json_decref(v);
	return (0);
}
