/*
 * fuzz_configdrive - libFuzzer target for the config drive's expansion
 * (images/configdrive.c configdrive_expand), which puts a node's hostname
 * and its startup config (a user's text) into a template's files, within a
 * bound. The input is MAX (2 bytes) CONTENT NUL HOSTNAME NUL CONFIG. Besides
 * ASan's checks: what comes out is the content with each {hostname} and
 * {config} replaced once, left to right, nothing in the values expanded
 * again; it is refused (EFBIG) exactly when it would be longer than MAX.
 */
#include <errno.h>
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
	char *s, *host, *config, *out;
	size_t max, want;

	if (size < 2)
		return (0);
	max = (size_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	if ((s = malloc(size + 3)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	host = s + strlen(s) + 1;
	config = host + strlen(host) + 1;
	if ((size_t)(config - s) > size + 2)
		config = s + size + 2;
	want = fuzz_expected(s, host, config);
	errno = 0;
	out = configdrive_expand(s, host, config, max);
	if (out == NULL && errno == EFBIG && want <= max)
		__builtin_trap();
	if (out != NULL && (want > max || strlen(out) != want))
		__builtin_trap();
	if (out != NULL && strchr(s, '{') == NULL && strcmp(out, s) != 0)
		__builtin_trap();
	free(out);
	free(s);
	return (0);
}
