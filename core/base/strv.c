/* strv - growable string vector. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strv.h"

static int
strv_push(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (v == NULL) {
			free(s);
			return (-1);
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return (0);
}

int
strv_add(struct strv *sv, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		return (-1);
	return (strv_push(sv, d));
}

int
strv_addf(struct strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = ENOMEM;
		return (-1);
	}
	return (strv_push(sv, s));
}

char *
strv_join(const struct strv *sv)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return (NULL);
	p = out;
	*p = '\0';
	for (size_t i = 0; i < sv->n; i++) {
		size_t l = strlen(sv->v[i]);

		if (i > 0)
			*p++ = ' ';
		memcpy(p, sv->v[i], l);
		p += l;
	}
	*p = '\0';
	return (out);
}

void
strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
