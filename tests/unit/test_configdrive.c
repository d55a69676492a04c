/* The config drive's text expansion: {config} and {hostname}, bounded before any allocation. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/configdrive.h"
#include "test.h"

int
main(void)
{
	char *t, *bomb, *cfg;
	size_t n = 200000;

	t = configdrive_expand("hostname {hostname}\n{config}!", "r1", "ip route\n", 1 << 20);
	CHECK(t != NULL);
	CHECK_STR(t, "hostname r1\nip route\n!");
	free(t);
	t = configdrive_expand("{config}{hostname", "r1", NULL, 100);
	CHECK(t != NULL);
	CHECK_STR(t, "{hostname"); /* no config: empty; an unclosed placeholder stays text */
	free(t);
	/* The bound is exact: 6 bytes fit in 6, not in 5. */
	t = configdrive_expand("a{hostname}", "abcde", "", 6);
	CHECK(t != NULL && strcmp(t, "aabcde") == 0);
	free(t);
	errno = 0;
	CHECK(configdrive_expand("a{hostname}", "abcde", "", 5) == NULL && errno == EFBIG);
	CHECK(configdrive_expand("abcdef", "r", "", 5) == NULL && errno == EFBIG);

	/*
	 * 200,000 {config} of 256 KiB each would be 48 GiB: refused from the
	 * count alone (before, it was built in memory and then measured).
	 */
	bomb = malloc(n * 8 + 1);
	cfg = malloc(256 << 10);
	CHECK(bomb != NULL && cfg != NULL);
	for (size_t i = 0; i < n; i++)
		memcpy(bomb + i * 8, "{config}", 8);
	bomb[n * 8] = '\0';
	memset(cfg, 'x', (256 << 10) - 1);
	cfg[(256 << 10) - 1] = '\0';
	errno = 0;
	CHECK(configdrive_expand(bomb, "r1", cfg, 1 << 20) == NULL && errno == EFBIG);
	/* Four of them fit in 1 MiB. */
	bomb[4 * 8] = '\0';
	t = configdrive_expand(bomb, "r1", cfg, 1 << 20);
	CHECK(t != NULL && strlen(t) == 4 * ((256u << 10) - 1));
	free(t);
	free(bomb);
	free(cfg);
	TEST_DONE();
}
