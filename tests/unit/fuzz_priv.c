/*
 * fuzz_priv - libFuzzer target for what the privileged parent reads from
 * the unprivileged daemon (who may be compromised): a spawn request's
 * payload (hv/jail jail_spawn_decode) and a netlink batch's (core/net
 * fabric_priv_decode). The first byte picks the decoder and, for a spawn,
 * how many fds came with it. Whatever comes in: an accepted spawn has
 * argc strings inside the payload, of a kind's binary; an accepted batch
 * has its count in bounds and every string ends inside its field.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "core/net/fabric_priv.h"
#include "hv/jail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_spawn(const uint8_t *p, size_t n, int nfds)
{
	char *argv[JAIL_ARGC_MAX + 1];
	struct jail_req r;
	uint8_t *copy = malloc(n ? n : 1);

	if (copy == NULL)
		return;
	memcpy(copy, p, n);
	if (jail_spawn_decode(copy, n, nfds, &r, argv) == 0) {
		int argc = 0;

		while (argv[argc] != NULL) {
			assert((uint8_t *)argv[argc] >= copy && (uint8_t *)argv[argc] < copy + n);
			assert(
			    memchr(argv[argc], '\0', (size_t)(copy + n - (uint8_t *)argv[argc])));
			argc++;
		}
		assert(argc >= 1 && argc <= JAIL_ARGC_MAX);
		assert(jail_argv_ok(r.kind, argv));
	}
	free(copy);
}

static void
fuzz_batch(const uint8_t *p, size_t n)
{
	struct fabric_wop *ops;
	uint32_t k;

	if ((ops = fabric_priv_decode(p, n, &k)) == NULL)
		return;
	assert(k >= 1 && n == 8 + k * sizeof(*ops));
	for (uint32_t i = 0; i < k; i++)
		assert(strlen(ops[i].a) < FW_NAME && strlen(ops[i].b) < FW_NAME &&
		    strlen(ops[i].mac) < sizeof(ops[i].mac));
	free(ops);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) { /* node N's uid is N (no --node-ids given); paths under /DATA */
		snprintf(lw.cfg.data_dir, sizeof(lw.cfg.data_dir), "/DATA");
		ready = 1;
	}
	if (size < 1)
		return (0);
	if (data[0] & 0x80)
		fuzz_batch(data + 1, size - 1);
	else
		fuzz_spawn(data + 1, size - 1, data[0] & 0x3f);
	return (0);
}
