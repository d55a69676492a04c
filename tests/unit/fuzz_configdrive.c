/*
 * fuzz_configdrive - libFuzzer target for the config drive's expansion
 * (images/configdrive.c configdrive_expand), which puts a node's hostname
 * and its startup config (a user's text) into a template's files. The input
 * is CONTENT NUL HOSTNAME NUL CONFIG. Besides ASan's checks: what comes out
 * is the content with each {hostname} and {config} replaced once, left to
 * right, and nothing in the values expanded again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/configdrive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The expansion's length, done by hand. */
static size_t
fuzz_expected(const char *content, const char *hostname, const char *config)
{
	size_t n = 0;

	for (const char *p = content; *p != '\0';) {
		if (strncmp(p, "{config}", 8) == 0) {
			n += strlen(config);
			p += 8;
		} else if (strncmp(p, "{hostname}", 10) == 0) {
			n += strlen(hostname);
			p += 10;
		} else {
			n++;
			p++;
		}
	}
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 3), *host, *config, *out;

	if (s == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	host = s + strlen(s) + 1;
	config = host + strlen(host) + 1;
	if ((size_t)(config - s) > size + 2)
		config = s + size + 2;
	out = configdrive_expand(s, host, config);
	if (out != NULL && strlen(out) != fuzz_expected(s, host, config))
		__builtin_trap();
	if (out != NULL && strstr(s, "{") == NULL && strcmp(out, s) != 0)
		__builtin_trap();
	free(out);
	free(s);
	return (0);
}
