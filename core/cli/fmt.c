/*
 * fmt - fields of the daemon's JSON answers as text for people: in table
 * cells and in the one-line reports commands print. It only formats into
 * the caller's buffer; it prints nothing itself.
 */
#include <stdio.h>

#include "core/cli/cli_int.h"

const char *
cli_fmt_field(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		return (json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return (buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%g", json_real_value(v));
		return (buf);
	}
	if (json_is_boolean(v))
		return (json_is_true(v) ? "yes" : "no");
	return ("-");
}

const char *
cli_fmt_string(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return (s != NULL ? s : "");
}

void
cli_fmt_size(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u > 0 && v < 10)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%.0f %s", v, unit[u]);
}

const char *
cli_fmt_size_field(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ("-");
	cli_fmt_size((uint64_t)json_integer_value(v), buf, len);
	return (buf);
}
