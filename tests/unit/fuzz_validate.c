/*
 * libFuzzer target for request bodies: any bytes are parsed as JSON the way
 * the server does and validated against every endpoint's table, including
 * each endpoint of a link. Build with `make fuzz` (clang).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "labs/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct field *tables[] = {validate_lab_create, validate_lab_patch,
	    validate_node_create, validate_node_patch, validate_link_create, validate_link_patch,
	    validate_impairment, validate_login, validate_token_create, validate_quota,
	    validate_user_create, validate_user_patch, validate_group, validate_group_patch};
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct lw_err e;

	if (o == NULL)
		return (0);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		fields_check(o, tables[i], "body", &e);
	json_decref(o);
	return (0);
}
