/*
 * typing - startup configs typed on the console.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/err.h"
#include "core/base/strv.h"
#include "core/console/console.h"
#include "core/run/typing.h"
#include "images/template.h"

#define TYPE_LINE_MS 60000

struct typing {
	int64_t node;
	char prompt[128];
	struct strv lines;
};

/* add_lines - the template's console lines (pre or post); 0, or nonzero when out of memory. */
static int
add_lines(struct typing *ty, const struct template *t, bool post)
{
	json_t *v;
	size_t i;
	int bad = 0;

	json_array_foreach(template_console_lines(t, post), i, v)
		bad |= strv_add(&ty->lines, json_string_value(v));
	return (bad);
}

struct typing *
typing_new(int64_t node, const struct template *t, const char *config)
{
	struct typing *ty = calloc(1, sizeof(*ty));
	int bad;

	if (ty == NULL)
		return (NULL);
	ty->node = node;
	snprintf(ty->prompt, sizeof(ty->prompt), "%s", t->prompt);
	bad = add_lines(ty, t, false);
	for (const char *p = config; p != NULL && *p;) {
		size_t l = strcspn(p, "\r\n");

		if (l > 0)
			bad |= strv_addf(&ty->lines, "%.*s", (int)l, p);
		p += l;
		p += strspn(p, "\r\n");
	}
	bad |= add_lines(ty, t, true);
	if (bad) {
		typing_free(ty);
		return (NULL);
	}
	return (ty);
}

int
typing_run(struct typing *ty, char *msg, size_t msglen)
{
	struct lw_err e = {0};
	int r = 0;

	for (size_t i = 0; i < ty->lines.n && r == 0; i++) {
		char *out = NULL;

		if (console_exec(ty->node, ty->lines.v[i], ty->prompt, TYPE_LINE_MS, &out, &e) ==
		    -1) {
			snprintf(
			    msg, msglen, "typing the startup config, line %zu: %s", i + 1, e.msg);
			r = -1;
		}
		free(out);
	}
	if (r == 0)
		snprintf(msg, msglen, "%zu line(s) typed", ty->lines.n);
	typing_free(ty);
	return (r);
}

void
typing_free(struct typing *ty)
{
	if (ty == NULL)
		return;
	strv_free(&ty->lines);
	free(ty);
}
