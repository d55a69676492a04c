/*
 * fuzz_host - libFuzzer target for names_host_split, the HTTP Host header's
 * parser (every request's first check): whatever comes in, a name it
 * returns is within the buffer, NUL-terminated, bracket-free and non-empty,
 * and a port is 1..65535.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *host = malloc(size + 1), name[64];
	int port = 0;

	if (host == NULL)
		return (0);
	memcpy(host, data, size);
	host[size] = '\0';
	if (names_host_split(host, name, sizeof(name), &port, 80) == 0) {
		assert(strlen(name) > 0 && strlen(name) < sizeof(name));
		assert(strchr(name, '[') == NULL && strchr(name, ']') == NULL);
		assert(port >= 1 && port <= 65535);
	}
	free(host);
	return (0);
}
