/*
 * yamljson - (being written: issue 19) YAML through libyaml (labs/yamljson.h).
 */
#include "labs/yamljson.h"

json_t *
yaml_to_json(const char *buf, size_t len, int max_depth, long max_values, struct lw_err *e)
{
	(void)buf, (void)len, (void)max_depth, (void)max_values;
	err_set(e, ERR_INVALID, "YAML cannot be read yet");
	return (NULL);
}

char *
json_to_yaml(json_t *v, size_t *len, struct lw_err *e)
{
	(void)v, (void)len;
	err_set(e, ERR_INTERNAL, "YAML cannot be written yet");
	return (NULL);
}
