/*
 * strv - a growable NULL-terminated string vector, used for argv arrays.
 * It owns nothing but its vector and the copies of the strings it is given;
 * it knows nothing of processes or paths: its users (hv/qemu, the spawn
 * callers, core/net/fabric) decide what goes in and check it first.
 */
#ifndef LW_STRV_H
#define LW_STRV_H

#include <stddef.h>

struct strv {
	char **v; /* always NULL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/* strv_add - append a copy of s; returns 0, or -1 (ENOMEM). */
int strv_add(struct strv *sv, const char *s);
/* strv_addf - append a formatted string; returns 0 or -1. */
int strv_addf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strv_join - the vector joined by single spaces (for logs and golden tests); caller frees. */
char *strv_join(const struct strv *sv);
void strv_free(struct strv *sv);

#endif
