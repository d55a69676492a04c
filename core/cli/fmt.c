/*
 * fmt - fields of the daemon's JSON answers as text for people: in table
 * cells and in the one-line reports commands print. It only formats into
 * the caller's buffer; it prints nothing itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* fmt_ctrl - the length of the control character at s (C0, DEL, UTF-8 C1), 0 when none. */
static size_t
fmt_ctrl(const unsigned char *s)
{
	if (*s < 0x20 || *s == 0x7f)
		return (1);
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return (2);
	return (0);
}

const char *
cli_fmt_text(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	if (len == 0)
		return ("");
	while (*p != '\0' && o + 1 < len) {
		if ((n = fmt_ctrl(p)) > 0) {
			buf[o++] = '?';
			p += n;
		} else {
			buf[o++] = (char)*p++;
		}
	}
	buf[o] = '\0';
	return (buf);
}

void
cli_fmt_clean(json_t *v)
{
	const unsigned char *p;
	const char *k;
	json_t *c;
	size_t i, n;
	char *buf;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c)
			cli_fmt_clean(c);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			cli_fmt_clean(c);
	} else if (json_is_string(v)) {
		for (p = (const unsigned char *)json_string_value(v); *p != '\0'; p++)
			if (fmt_ctrl(p) > 0)
				break;
		if (*p == '\0')
			return;
		n = json_string_length(v) + 1;
		if ((buf = malloc(n)) == NULL)
			return;
		json_string_set(v, cli_fmt_text(json_string_value(v), buf, n));
		free(buf);
	}
}
